"""`queuetui serve` in a real browser: Debian's chromium driven by Playwright, against a real server
process, a real Redis and a real SQLite audit trail. One server and one browser for the module.

What the browser shows is read from what it received: the websocket's frames go through a terminal
emulator (pyte), so the assertions read the same screen xterm.js draws. Skipped where no chromium is
installed (`apt-get install -y chromium`; CI's .ci/run installs it).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from rq import Queue

from queuetui.audit import recent
from queuetui.db.engine import open_database
from queuetui.embedded import EmbeddedRedis, free_port
from queuetui.serve.gate import sha256_hex
from tests import jobs
from tests.workload import seed_failed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="no chromium here: `apt-get install -y chromium` (CI's .ci/run installs it)",
    ),
    pytest.mark.xdist_group(
        "browser"
    ),  # one worker: one server and one browser (make test: --dist loadgroup)
]
FLAGS = [  # how headless Chromium must start on these machines (closed network)
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWER_TOKEN = "viewer-token-for-vera-0123456789"


@dataclass
class Served:
    url: str
    port: int
    token: str
    db_url: str
    conn: redis.Redis
    process: subprocess.Popen[str]
    failed_ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`queuetui serve` on a free port, over a Redis of its own seeded with waiting and failed jobs."""
    home = tmp_path_factory.mktemp("serve")
    config = home / "config.toml"
    config.write_text(
        f'[serve.users.vera]\ntoken_sha256 = "{sha256_hex(VIEWER_TOKEN)}"\nrole = "viewer"\n',
        encoding="utf-8",
    )
    db_url = f"sqlite:///{home / 'q.db'}"
    with EmbeddedRedis() as server:
        conn = server.client()
        failed = seed_failed(conn, "emails", 3)
        queue = Queue("emails", connection=conn)
        for i in range(7):
            queue.enqueue(jobs.add, 1, i, job_id=f"w{i}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUEUETUI_", "RQ_"))}
        env |= {
            "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "XDG_DATA_HOME": str(home / "xdg-data"),
            "QUEUETUI_CONFIG": str(config),
            "QUEUETUI_DB_URL": db_url,
            "QUEUETUI_REDIS_URL": server.url,
        }
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "queuetui", "serve", "--port", str(port), "--refresh", "0.5"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        token = ""
        for line in process.stdout:  # the banner: the URL with the local user's token
            if "?token=" in line:
                token = line.strip().split("?token=", 1)[1]
                break
        assert token, "queuetui serve printed no token"
        try:
            yield Served(f"http://127.0.0.1:{port}", port, token, db_url, conn, process, failed)
        finally:
            process.terminate()
            process.wait(timeout=20)
            conn.close()


def status_of(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_no_token_no_app_and_bound_to_loopback_only(served: Served) -> None:
    for path in ("/", "/static/js/textual.js", "/ws"):
        code, body, _ = status_of(served.url + path)
        assert code == 401 and "textual" not in body.lower(), (path, body)
    assert status_of(served.url + "/", {"Authorization": "Bearer wrong"})[0] == 401
    assert status_of(served.url + "/?token=wrong")[0] == 401
    code, body, headers = status_of(f"{served.url}/?token={served.token}")
    assert code == 200 and "textual-terminal" in body
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert status_of(served.url + "/", {"Authorization": f"Bearer {served.token}"})[0] == 200
    assert status_of(served.url + "/", {"Cookie": cookie.split(";")[0]})[0] == 200
    with pytest.raises(ConnectionRefusedError):  # 127.0.0.1 only, not every address of the machine
        socket.create_connection(("127.0.0.2", served.port), timeout=5).close()


def test_websocket_from_another_origin_is_refused(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Authorization": f"Bearer {served.token}",
    }
    connection.request("GET", "/ws", headers={**upgrade, "Origin": "http://evil.example"})
    assert connection.getresponse().status == 403
    connection.close()


class Terminal:
    """The screen the browser draws, rebuilt from the websocket frames it received."""

    def __init__(self) -> None:
        import pyte

        self.screen = pyte.Screen(200, 60)
        self.stream = pyte.ByteStream(self.screen)
        self.sent_frames: list[str | bytes] = []

    def received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)

    def sent(self, payload: str | bytes) -> None:
        import json

        self.sent_frames.append(payload)
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.screen.resize(size["height"], size["width"])

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_console(browser: object, url: str) -> tuple[object, Terminal]:
    """A new browser context (no cookies) on `url`, with its terminal read from the websocket."""
    context = browser.new_context(viewport={"width": 1400, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    terminal = Terminal()

    def watch(ws: object) -> None:
        ws.on("framereceived", terminal.received)  # type: ignore[attr-defined]
        ws.on("framesent", terminal.sent)  # type: ignore[attr-defined]

    page.on("websocket", watch)
    page.goto(url)
    return page, terminal


def until(
    page: object,
    predicate: Callable[[], object],
    what: str,
    terminal: Terminal | None = None,
    timeout: float = 20.0,
) -> None:
    """Let the browser run until `predicate()` holds; fail naming `what` when it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            screen = terminal.text() if terminal is not None else ""
            sent = terminal.sent_frames[-10:] if terminal is not None else []
            pytest.fail(f"timed out waiting for {what}; the screen:\n{screen}\nsent: {sent}")
        page.wait_for_timeout(50)  # type: ignore[attr-defined]


def command(page: object, terminal: Terminal, text: str) -> None:
    """Press `:` in the browser, wait for the prompt, type `text` and enter."""
    page.focus(".xterm-helper-textarea")  # type: ignore[attr-defined]
    page.keyboard.press(":")  # type: ignore[attr-defined]
    until(page, lambda: "─ : ─" in terminal.text(), what="the : prompt", terminal=terminal)
    page.keyboard.type(text)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def queue_row(terminal: Terminal, queue: str) -> list[str]:
    """The cells of a queue's row in the overview's Queues table, or [] while it is not drawn."""
    for line in terminal.text().splitlines():
        words = line.replace("│", " ").split()
        if words[:1] == [queue]:
            return words
    return []


def test_overview_live_then_a_key_opens_failed(served: Served, browser: object) -> None:
    page, terminal = open_console(browser, f"{served.url}/?token={served.token}")
    until(page, lambda: queue_row(terminal, "emails")[1:3] == ["7", "0"], what="emails: 7 waiting")
    assert queue_row(terminal, "emails")[3] == "3"  # failed
    for i in range(7, 12):  # live: the numbers follow Redis without a key press
        Queue("emails", connection=served.conn).enqueue(jobs.add, 1, i, job_id=f"w{i}")
    until(page, lambda: queue_row(terminal, "emails")[1:2] == ["12"], what="emails: 12 waiting")
    if shot := os.environ.get("QUEUETUI_SERVE_SCREENSHOT"):  # docs/serve.png is taken this way
        page.screenshot(path=shot)  # type: ignore[attr-defined]
    command(page, terminal, "failed emails")
    until(
        page,
        lambda: all(i in terminal.text() for i in served.failed_ids),
        what="the failed jobs",
        terminal=terminal,
    )
    assert "Failed" in terminal.text()
    page.context.close()  # type: ignore[attr-defined]


def test_a_viewer_cannot_retry_and_the_refusal_names_them(served: Served, browser: object) -> None:
    page, terminal = open_console(browser, f"{served.url}/?token={VIEWER_TOKEN}")
    until(page, lambda: "viewer" in terminal.text() and queue_row(terminal, "emails"), what="the overview")
    command(page, terminal, "failed emails")
    until(page, lambda: served.failed_ids[0] in terminal.text(), what="the Failed view", terminal=terminal)
    page.keyboard.press("R")  # type: ignore[attr-defined]
    db = open_database(served.db_url)
    until(page, lambda: recent(db, action="jobs.retry"), what="the refusal in the audit trail")
    until(page, lambda: "refused" in terminal.text(), what="the refusal on screen")
    [entry] = recent(db, action="jobs.retry")
    assert (entry.actor, entry.role, entry.outcome) == (
        "vera",
        "viewer",
        "refused: needs operator, you are viewer",
    )
    assert entry.client.startswith("web 127.0.0.1 via ")
    assert served.conn.zcard("rq:failed:emails") == 3
    page.context.close()  # type: ignore[attr-defined]
