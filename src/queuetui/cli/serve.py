"""`queuetui serve`: the console in a browser tab, behind a token (serve/ does the serving)."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Any

import click

from queuetui.cli.options import connection_options, fail, settings_from

WARNING = (
    "queuetui serve: WARNING: plain HTTP on {host}: tokens, cookies and every key press cross the "
    "network readable by anyone on the way; use --tls-cert/--tls-key or a TLS reverse proxy"
)


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        fail("--tls-cert and --tls-key go together", code=2)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        fail(f"cannot use {cert} and {key} for TLS: {exc}", code=2)
    return context


@click.command()
@connection_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--public-url", default=None, metavar="URL",
    help="The URL browsers use (behind a reverse proxy: https://console.example.com). "
    "Default: http(s)://HOST:PORT.",
)  # fmt: skip
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--insecure-http", is_flag=True, help="Allow plain HTTP on an address other than loopback.")
@click.option("--no-local-token", is_flag=True, help="Only the [serve.users] of the config may come in.")
@click.option(
    "--idle-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Seconds without input before a session ends (config: serve.idle_timeout, 900).",
)  # fmt: skip
@click.option(
    "--max-sessions", type=click.IntRange(min=1), default=None,
    help="Browser sessions at once (config: serve.max_sessions, 8).",
)  # fmt: skip
@click.option("--refresh", type=float, default=None, help="Seconds between live refreshes (default 1).")
def serve(
    connection: dict[str, Any],
    host: str,
    port: int,
    public_url: str | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    insecure_http: bool,
    no_local_token: bool,
    idle_timeout: float | None,
    max_sessions: int | None,
    refresh: float | None,
) -> None:
    """The console in a browser tab, for the users of [serve.users] or the token printed at start."""
    parent = click.get_current_context().find_root().obj or {}
    refresh = refresh if refresh is not None else parent.get("refresh")
    settings = settings_from(connection, refresh)
    if settings.keys:  # each session runs the console: a bad [keys] entry is refused here, once
        from queuetui.config import ConfigError
        from queuetui.tui.keymap import check_keymap

        try:
            check_keymap(settings.keys, settings.source.get("keys", "config"))
        except ConfigError as exc:
            fail(str(exc), code=2)
    context = _tls(tls_cert, tls_key)
    if not is_loopback(host):
        if context is None and not insecure_http:
            fail(f"binding {host} (not loopback) needs --tls-cert/--tls-key, or --insecure-http", code=2)
        if context is None:
            click.echo(WARNING.format(host=host), err=True)
    if no_local_token and not settings.serve.users:
        fail("--no-local-token with no [serve.users] in the config: nobody could come in", code=2)
    scheme = "https" if context is not None else "http"
    bracketed = f"[{host}]" if ":" in host else host
    url = (public_url or f"{scheme}://{bracketed}:{port}").rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail(f"--public-url must start with http:// or https://, got {url!r}", code=2)

    from queuetui.actor import current_actor
    from queuetui.roles import user_groups
    from queuetui.serve.gate import Gate, WebIdentity, new_token
    from queuetui.serve.server import GuardedServer, Limits

    local = None
    if not no_local_token:
        account = current_actor().user
        local = (WebIdentity(account, settings.roles.role_for(account, user_groups(account))), new_token())

    def banner() -> None:
        click.echo(f"queuetui serve: the console on {url}/ (bound to {host}:{port})")
        if local is not None:
            identity, token = local
            click.echo(f"  as {identity.name} ({identity.role.label}), until this server stops:")
            click.echo(f"  {url}/?token={token}")
        for user in settings.serve.users:
            click.echo(f"  [serve.users] {user.name} ({user.role.label})")
        click.echo("  Ctrl-C stops it and every session.", nl=True)

    limits = Limits(
        idle_timeout if idle_timeout is not None else settings.serve.idle_timeout,
        max_sessions if max_sessions is not None else settings.serve.max_sessions,
    )
    handed = {**connection, "refresh": settings.refresh, "read_only": settings.read_only or None}
    handed["path"] = str(handed["path"]) if handed.get("path") else None
    server = GuardedServer(
        host=host,
        port=port,
        public_url=url,
        gate=Gate(settings.serve.users, local),
        connection=handed,
        limits=limits,
        ssl_context=context,
        banner=banner,
    )
    try:
        server.serve()
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
