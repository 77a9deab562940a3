"""The web server of `queuetui serve`: textual-serve's Server with a gate in front of everything.

textual-serve (an aiohttp app) serves the page, its static files, downloads and a websocket per browser
tab, and starts one console process per websocket; it authenticates nobody. Here every request goes
through a middleware that wants a user (Authorization: Bearer, or ?token= once and then an HttpOnly
SameSite=Strict cookie) and answers 401 with nothing of the app otherwise; the websocket also wants the
server's own Origin, a free session (at most max_sessions) and input within idle_timeout. Each session's
console is started with exec (no shell), and learns who it serves from a pipe only it inherits
(session.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from queuetui.serve.gate import COOKIE, Gate, WebIdentity

log = logging.getLogger("queuetui.serve")

USER = "queuetui.user"
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the ?token= URL never leaves in a Referer
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
UNAUTHORIZED = (
    "401 Unauthorized: queuetui serve needs a token: open the URL it printed (?token=...) "
    "or send Authorization: Bearer TOKEN\n"
)
SESSION_ARGV = (sys.executable, "-m", "queuetui.serve.session")


@dataclass(frozen=True)
class Limits:
    idle_timeout: float
    """Seconds without input before a session ends."""
    max_sessions: int


class SessionService(AppService):
    """One console process, started with exec and handed its user on an inherited pipe."""

    def __init__(self, handover: bytes, **kwargs: Any) -> None:
        """`handover`: the JSON the session reads from the pipe (session.read_handover)."""
        super().__init__(" ".join(SESSION_ARGV), **kwargs)
        self.handover = handover

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        environment = self._build_environment(width=width, height=height)
        read_end, write_end = os.pipe()
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(self.handover)  # a few hundred bytes: the pipe holds them before anyone reads
            process = await asyncio.create_subprocess_exec(
                *SESSION_ARGV,
                str(read_end),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                pass_fds=(read_end,),
            )
        finally:
            os.close(read_end)
        self._process = process
        assert process.stdin is not None
        self._stdin = process.stdin
        return process


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as a browser sends it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class GuardedServer(Server):
    def __init__(
        self,
        *,
        host: str,
        port: int,
        public_url: str,
        gate: Gate,
        connection: dict[str, Any],
        limits: Limits,
        ssl_context: ssl.SSLContext | None = None,
        banner: Callable[[], None] = lambda: None,
    ) -> None:
        """Serve the console on host:port, as `public_url` is seen by browsers, to whom `gate` lets in;
        `connection` is what each session resolves its settings from (config.load_settings)."""
        command = " ".join(SESSION_ARGV)
        super().__init__(command, host=host, port=port, title="queuetui", public_url=public_url)
        self.gate = gate
        self.connection = connection
        self.limits = limits
        self.ssl_context = ssl_context
        self.origin = origin_of(public_url)
        self.banner = banner
        self.secure_cookie = public_url.startswith("https:")
        self.sessions: set[web.WebSocketResponse] = set()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    def _authenticate(self, request: web.Request) -> tuple[WebIdentity | None, bool]:
        """The user of a request and whether a cookie should be issued (the token came in the URL)."""
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            return (self.gate.by_token(token.strip()) if scheme.lower() == "bearer" else None), False
        if "token" in request.query:
            return self.gate.by_token(request.query["token"]), True
        cookie = request.cookies.get(COOKIE)
        return (self.gate.by_cookie(cookie) if cookie else None), False

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        identity, issue = self._authenticate(request)
        if identity is None:
            log.warning("401 %s %s from %s", request.method, request.path, request.remote)
            return web.Response(
                status=401,
                text=UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Bearer realm="queuetui"', **SECURITY_HEADERS},
            )
        request[USER] = identity
        response = await handler(request)
        if not response.prepared:  # a websocket is on its way already
            response.headers.update(SECURITY_HEADERS)
            if issue:
                response.set_cookie(
                    COOKIE,
                    self.gate.issue_cookie(identity),
                    httponly=True,
                    samesite="Strict",
                    secure=self.secure_cookie,
                    path="/",
                )
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket of one browser tab: its Origin checked, a session free, then its console."""
        origin = request.headers.get("Origin", "")
        if origin.lower() != self.origin:
            log.warning("403 websocket from %s: Origin %r is not %s", request.remote, origin, self.origin)
            raise web.HTTPForbidden(text=f"403 Forbidden: Origin {origin!r} is not {self.origin}\n")
        if len(self.sessions) >= self.limits.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"503: {self.limits.max_sessions} sessions are open, the most this server allows\n"
            )
        identity: WebIdentity = request[USER]
        websocket = web.WebSocketResponse(heartbeat=15)
        self.sessions.add(websocket)
        handover = {
            "user": identity.name,
            "role": identity.role.label,
            "address": request.remote or "unknown",
            "connection": self.connection,
        }
        service: SessionService | None = None
        try:
            await websocket.prepare(request)
            service = SessionService(
                json.dumps(handover).encode("utf-8"),
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            log.info("session for %s (%s) from %s", identity.name, identity.role.label, request.remote)
            await service.start(width, height)
            await self._relay(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            self.sessions.discard(websocket)
            if service is not None:
                await service.stop()
            log.info("session for %s from %s ended", identity.name, request.remote)
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, service: AppService) -> None:
        """Browser to console until either ends, or until no input came for idle_timeout seconds."""
        loop = asyncio.get_running_loop()
        last_input = loop.time()

        async def close_when_idle() -> None:
            while True:
                left = last_input + self.limits.idle_timeout - loop.time()
                if left <= 0:
                    await websocket.close(code=4000, message=b"idle timeout")
                    return
                await asyncio.sleep(left)

        watchdog = asyncio.create_task(close_when_idle())
        try:
            async for message in websocket:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    envelope = json.loads(message.data)
                except ValueError:
                    continue
                if not isinstance(envelope, list) or not envelope:
                    continue
                kind = envelope[0]
                if kind == "stdin" and len(envelope) > 1 and isinstance(envelope[1], str):
                    last_input = loop.time()
                    await service.send_bytes(envelope[1].encode("utf-8"))
                elif kind == "resize" and len(envelope) > 1 and isinstance(envelope[1], dict):
                    width, height = (to_int(str(envelope[1].get(k)), 0) for k in ("width", "height"))
                    if width > 0 and height > 0:
                        await service.set_terminal_size(width, height)
                elif kind == "ping" and len(envelope) > 1:
                    await websocket.send_json(["pong", envelope[1]])
                elif kind == "blur":
                    await service.blur()
                elif kind == "focus":
                    await service.focus()
        finally:
            watchdog.cancel()

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: textual-serve prints its logo here, before the port is bound; the banner is printed
        once it listens (serve)."""

    async def on_shutdown(self, app: web.Application) -> None:
        for websocket in list(self.sessions):
            await websocket.close(code=1001, message=b"server shutdown")

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            ssl_context=self.ssl_context,
            # run_app calls `print` once every site listens: the banner's URL answers when it shows
            # (aiohttp's on_startup ran before the port was bound, and a client reading the banner
            # could be refused).
            print=lambda _running: self.banner(),
            access_log=None,
        )
