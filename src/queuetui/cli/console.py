"""`queuetui console` (also `queuetui` alone) and `queuetui demo`."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

import click

from queuetui.cli.options import connection_options, fail, settings_from


@click.command()
@connection_options
@click.option("--refresh", type=float, default=None, help="Seconds between live refreshes (default 1).")
def console(connection: dict[str, Any], refresh: float | None) -> None:
    """Open the console."""
    parent = click.get_current_context().find_root().obj or {}
    settings = settings_from(connection, refresh if refresh is not None else parent.get("refresh"))
    from queuetui.config import ConfigError
    from queuetui.tui.app import run_console

    try:
        status = run_console(settings)
    except ConfigError as exc:
        fail(str(exc), code=2)
    if status:
        sys.exit(status)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--no-console", is_flag=True, help="Run only the backend and print the Redis URL.")
@click.option("--workers", type=click.IntRange(0, 16), default=2, show_default=True)
@click.option("--redis-server", metavar="PATH", default=None, help="redis-server binary to use.")
@click.option("--refresh", type=float, default=1.0, show_default=True)
def demo(no_console: bool, workers: int, redis_server: str | None, refresh: float) -> None:
    """Start an embedded Redis, workers and a demo workload, then open the console on it."""
    from queuetui.config import ConfigError, load_settings
    from queuetui.demo.backend import DemoBackend
    from queuetui.embedded import EmbeddedRedisError

    backend = DemoBackend(workers=workers, redis_server=redis_server)
    # `kill`, and a terminal gone (a dropped SSH session: SIGHUP), stop the demo as cleanly as Ctrl-C:
    # its processes and its temporary directory go. Ctrl-C itself is set too: a process started in
    # the background of a script inherits SIGINT ignored, and Python then leaves it so (the demo
    # went on after a SIGINT, its workers with it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        backend.start()
    except EmbeddedRedisError as exc:
        fail(str(exc))
    try:
        if no_console:
            click.echo(f"queuetui demo: Redis at {backend.url}")
            click.echo(f"  attach with:  queuetui -u {backend.url}")
            click.echo(f"  schedules:    queuetui schedules list --db-url {backend.db_url}")
            click.echo(f"  logs:         {backend.log_dir}")
            click.echo("  Ctrl-C stops everything.")
            try:
                while True:
                    signal.pause()
            except KeyboardInterrupt:
                pass
        else:
            import dataclasses

            from queuetui.actor import os_user
            from queuetui.roles import Role, RoleMap
            from queuetui.tui.app import run_console

            settings = load_settings(
                redis_url=backend.url, name="demo", refresh=refresh, db_url=backend.db_url
            )
            # The demo is the operator's own sandbox: every action, admin ones included, is theirs to try.
            try:
                status = run_console(
                    dataclasses.replace(
                        settings,
                        roles=RoleMap(users={os_user(): Role.ADMIN}),
                        alerts=backend.alerts(),  # the rules its scheduler checks, for their thresholds
                    )
                )
            except ConfigError as exc:
                fail(str(exc), code=2)
            if status:
                sys.exit(status)
    finally:
        backend.stop()
        _leave_at_once()


def _leave_at_once() -> None:
    """End the demo's process now that everything it started is stopped and its directory is gone:
    the interpreter's own teardown of what the demo loaded (RQ, SQLAlchemy, Textual) cost 1.3-1.5 s
    more before the shell came back (measured under load). An exception other than an exit or an
    interrupt is a bug: it goes on to print its traceback."""
    exc = sys.exc_info()[1]
    if exc is None:
        code = 0
    elif isinstance(exc, SystemExit) and (exc.code is None or isinstance(exc.code, int)):
        code = exc.code or 0
    elif isinstance(exc, KeyboardInterrupt):
        code = 130
    else:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
