"""What every command shares: the connection options, settings, the services, one-line errors.

Errors are classified by type: bad input exits 2, a refusal or a server that is down exits 1.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from queuetui.config import ConfigError, Settings, redact_url
from queuetui.policy import load_enforced
from queuetui.present.text import safe

if TYPE_CHECKING:
    import redis

    from queuetui.services import Services


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    click.echo(f"queuetui: error: {safe(message)}", err=True)
    sys.exit(code)


url_option = click.option(
    "-u", "--redis-url", "redis_url", metavar="URL", default=None,
    help="Redis URL (redis://, rediss://, unix://, redis+sentinel://HOST:PORT[,HOST:PORT]/MASTER[/DB]). "
    "Env: QUEUETUI_REDIS_URL, RQ_REDIS_URL.",
)  # fmt: skip
context_option = click.option(
    "-c", "--context", "context", metavar="NAME", default=None,
    help="A [contexts.NAME] of the config file: its Redis, database and limits. Env: QUEUETUI_CONTEXT.",
)  # fmt: skip
write_option = click.option(
    "--write", is_flag=True, default=False,
    help="Allow changes in a production context (read-only without it).",
)  # fmt: skip
name_option = click.option("--name", default=None, help="Connection name shown in the header.")
config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Config file (default: $XDG_CONFIG_HOME/queuetui/config.toml).",
)  # fmt: skip
db_url_option = click.option(
    "--db-url", default=None, metavar="URL",
    help="Schedule database (any SQLAlchemy URL). Env: QUEUETUI_DB_URL. "
    "Default: a SQLite file in $XDG_DATA_HOME/queuetui.",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
front_option = click.option("--front", is_flag=True, help="Put them at the front of the queue (next to run).")
dependents_option = click.option(
    "--with-dependents", is_flag=True, help="Also the jobs that depend on them (transitively)."
)


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-u/--redis-url, -c/--context, --write, --name and --config, before or after the subcommand."""
    return name_option(connection_only(command))


def connection_only(command: Callable[..., Any]) -> Callable[..., Any]:
    """-u/--redis-url, -c/--context, --write and --config; merges them with the group's into
    `connection`."""

    @url_option
    @context_option
    @write_option
    @config_option
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        redis_url: str | None,
        context: str | None,
        write: bool,
        config_path: Path | None,
        **kwargs: Any,
    ) -> Any:
        parent = click.get_current_context().find_root().obj or {}
        kwargs["connection"] = {
            "redis_url": redis_url or parent.get("redis_url"),
            "name": kwargs.pop("name", None) or parent.get("name"),
            "path": config_path or parent.get("path"),
            "read_only": parent.get("read_only") or None,
            "context": context or parent.get("context"),
            "write": write or parent.get("write") or None,
        }
        return command(*args, **kwargs)

    return wrapper


def settings_from(connection: dict[str, Any], refresh: float | None = None) -> Settings:
    """The settings from flags, environment and config under the system policy; a config error exits 2."""
    try:
        return load_enforced(refresh=refresh, **connection)
    except ConfigError as exc:
        fail(str(exc), code=2)


def redis_for(connection: dict[str, Any]) -> tuple[Settings, redis.Redis]:
    """The settings and a Redis client for them (it connects on first use)."""
    from queuetui.rqdata.connection import connect

    settings = settings_from(connection)
    return settings, connect(settings.redis_url, options=settings.connection)


def services_for(connection: dict[str, Any], db_url: str | None = None) -> Services:
    """The services of the person running the command (nothing is opened yet)."""
    from queuetui.services import Services

    return Services(settings_from({**connection, "db_url": db_url}))


@contextlib.contextmanager
def redis_errors(settings: Settings) -> Iterator[None]:
    """Redis unreachable or refusing: one line naming the server, exit 1."""
    from queuetui.rqdata.connection import REDIS_ERRORS, describe_error

    try:
        yield
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """A database URL that cannot be parsed exits 2; a database that cannot be used exits 1."""
    from queuetui.errors import DatabaseError, DatabaseURLError

    try:
        yield
    except DatabaseURLError as exc:
        fail(str(exc), code=2)
    except DatabaseError as exc:
        fail(str(exc))


@contextlib.contextmanager
def action_errors(settings: Settings) -> Iterator[None]:
    """Refused, impossible or failed: one line and exit 1; Redis and database trouble as everywhere."""
    from queuetui.errors import Refused
    from queuetui.rqdata.actions import ActionError

    with redis_errors(settings), database_errors():
        try:
            yield
        except (Refused, ActionError) as exc:
            fail(str(exc))


def aware_time(option: str, text: str) -> datetime:
    """An ISO time with its UTC offset from an option, or exit 2 saying what is wrong."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not an ISO time like 2026-11-24T09:00+01:00", code=2)
    if moment.tzinfo is None:
        fail(f"{option}: {text!r} has no UTC offset; add one, e.g. +00:00", code=2)
    return moment


def scan_progress() -> Callable[[int, int], None]:
    """Prints 'scanned N of M' over itself on stderr."""

    def show(scanned: int, total: int) -> None:
        click.echo(f"\rscanned {scanned:,} of {total:,}", nl=False, err=True)

    return show


def instance_name(name: str | None) -> str:
    """A daemon's name in its lease: the one given, else host:pid."""
    return name or f"{socket.gethostname()}:{os.getpid()}"


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: a daemon's loop ends cleanly on either."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    return stop
