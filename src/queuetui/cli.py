"""The `queuetui` command: the console by default, plus demo, worker and stats."""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from queuetui.config import ConfigError, Settings, load_settings, redact_url
from queuetui.rqdata.connection import REDIS_ERRORS, connect, describe_error


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    click.echo(f"queuetui: error: {message}", err=True)
    sys.exit(code)


_url_option = click.option(
    "-u", "--redis-url", "redis_url", metavar="URL", default=None,
    help="Redis URL (redis://, rediss://, unix://). Env: QUEUETUI_REDIS_URL, RQ_REDIS_URL.",
)  # fmt: skip
_name_option = click.option("--name", default=None, help="Connection name shown in the header.")
_config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Config file (default: $XDG_CONFIG_HOME/queuetui/config.toml).",
)  # fmt: skip


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-u/--redis-url, --name and --config, accepted before or after the subcommand."""
    return _name_option(_connection(command))


def _connection(command: Callable[..., Any]) -> Callable[..., Any]:
    """-u/--redis-url and --config; merges them with the group's into `connection`."""

    @_url_option
    @_config_option
    @functools.wraps(command)
    def wrapper(*args: Any, redis_url: str | None, config_path: Path | None, **kwargs: Any) -> Any:
        parent = click.get_current_context().find_root().obj or {}
        kwargs["connection"] = {
            "redis_url": redis_url or parent.get("redis_url"),
            "name": kwargs.pop("name", None) or parent.get("name"),
            "path": config_path or parent.get("path"),
        }
        return command(*args, **kwargs)

    return wrapper


def settings_from(connection: dict[str, Any], refresh: float | None = None) -> Settings:
    try:
        return load_settings(refresh=refresh, **connection)
    except ConfigError as exc:
        fail(str(exc), code=2)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@_url_option
@_name_option
@_config_option
@click.option("--refresh", type=float, default=None, help="Seconds between live refreshes (default 1).")
@click.version_option(package_name="queuetui")
@click.pass_context
def main(
    ctx: click.Context,
    redis_url: str | None,
    name: str | None,
    config_path: Path | None,
    refresh: float | None,
) -> None:
    """queuetui: an operations console for RQ. With no command, opens the console."""
    ctx.obj = {"redis_url": redis_url, "name": name, "path": config_path, "refresh": refresh}
    if ctx.invoked_subcommand is None:
        ctx.invoke(console, refresh=refresh)


@main.command()
@connection_options
@click.option("--refresh", type=float, default=None, help="Seconds between live refreshes (default 1).")
def console(connection: dict[str, Any], refresh: float | None) -> None:
    """Open the console."""
    parent = click.get_current_context().find_root().obj or {}
    settings = settings_from(connection, refresh if refresh is not None else parent.get("refresh"))
    from queuetui.tui.app import run_console

    run_console(settings)


@main.command()
@click.option("--no-console", is_flag=True, help="Run only the backend and print the Redis URL.")
@click.option("--workers", type=click.IntRange(0, 16), default=2, show_default=True)
@click.option("--redis-server", metavar="PATH", default=None, help="redis-server binary to use.")
@click.option("--refresh", type=float, default=1.0, show_default=True)
def demo(no_console: bool, workers: int, redis_server: str | None, refresh: float) -> None:
    """Start an embedded Redis, workers and a demo workload, then open the console on it."""
    from queuetui.demo.backend import DemoBackend
    from queuetui.embedded import EmbeddedRedisError

    backend = DemoBackend(workers=workers, redis_server=redis_server)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the demo as cleanly as Ctrl-C
    try:
        backend.start()
    except EmbeddedRedisError as exc:
        fail(str(exc))
    try:
        if no_console:
            click.echo(f"queuetui demo: Redis at {backend.url}")
            click.echo(f"  attach with:  queuetui -u {backend.url}")
            click.echo(f"  worker logs:  {backend.log_dir}")
            click.echo("  Ctrl-C stops everything.")
            try:
                while True:
                    signal.pause()
            except KeyboardInterrupt:
                pass
        else:
            from queuetui.tui.app import run_console

            run_console(load_settings(redis_url=backend.url, name="demo", refresh=refresh))
    finally:
        backend.stop()


@main.command()
@_connection
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit once the queues are empty.")
@click.option("--pool", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--worker-name", "--name", "worker_name", default=None, help="Worker name (single worker).")
@click.option("--logging-level", default="INFO", show_default=True)
def worker(
    connection: dict[str, Any],
    queues: tuple[str, ...],
    burst: bool,
    pool: int,
    worker_name: str | None,
    logging_level: str,
) -> None:
    """Run an RQ worker on QUEUES (default: critical high default low, in that order)."""
    from queuetui.executor.worker import listen_order, run_worker

    settings = settings_from(connection)
    try:
        listen_order(queues)
    except ValueError as exc:
        fail(str(exc), code=2)
    redis = connect(settings.redis_url)
    try:
        redis.ping()
        run_worker(redis, queues, burst=burst, pool=pool, name=worker_name, logging_level=logging_level)
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")


@main.command()
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(connection: dict[str, Any], as_json: bool) -> None:
    """Print queue and worker counts (the overview snapshot)."""
    from queuetui.rqdata.overview import snapshot
    from queuetui.stats import overview_json, overview_table

    settings = settings_from(connection)
    try:
        overview = snapshot(connect(settings.redis_url))
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")
    if as_json:
        click.echo(json.dumps(overview_json(overview), indent=2))
    else:
        click.echo(overview_table(overview))


@main.group()
def jobs() -> None:
    """List, show and group jobs (the same reads as the console's job views)."""


def _redis_for(connection: dict[str, Any]) -> tuple[Settings, Any]:
    settings = settings_from(connection)
    return settings, connect(settings.redis_url)


@jobs.command("list")
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@click.option(
    "-r",
    "--registry",
    default="waiting",
    show_default=True,
    help="waiting, started (running), failed, scheduled, deferred, finished, canceled, ready.",
)
@click.option(
    "-f", "--filter", "filter_text", default="", help="Filter, e.g. 'func:send exc:Timeout age>1h'."
)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--order",
    type=click.Choice(["asc", "desc"]),
    default=None,
    help="Default: newest first for failed, finished, canceled; next to run first otherwise.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_list(
    connection: dict[str, Any],
    queue: str,
    registry: str,
    filter_text: str,
    offset: int,
    limit: int,
    order: str | None,
    as_json: bool,
) -> None:
    """List one page of the jobs in a queue or one of its registries."""
    from queuetui.clock import SYSTEM
    from queuetui.jobtext import row_json, rows_table
    from queuetui.rqdata.pages import read_page
    from queuetui.rqdata.query import QueryError, parse
    from queuetui.rqdata.rows import read_rows, registry_name
    from queuetui.rqdata.search import filter_ids

    try:
        registry = registry_name(registry)
        query = parse(filter_text)
    except (ValueError, QueryError) as exc:
        fail(str(exc), code=2)
    settings, redis = _redis_for(connection)
    descending = None if order is None else order == "desc"
    now = SYSTEM.now()
    try:
        if query:
            progress = _progress_printer() if sys.stderr.isatty() and not as_json else None
            found = filter_ids(redis, queue, registry, query, descending=descending, progress=progress)
            if progress is not None:
                click.echo("", err=True)
            rows = read_rows(redis, queue, registry, found.matches[offset : offset + limit])
            total, note = len(found.matches), f" matching {filter_text!r} (of {found.walk.scanned:,} scanned)"
            if found.truncated:
                note += f"; stopped at the first {total:,} matches"
        else:
            page = read_page(redis, queue, registry, offset, limit, descending)
            rows, total, offset, note = list(page.rows), page.total, page.offset, ""
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")
    if as_json:
        payload = {
            "queue": queue,
            "registry": registry,
            "offset": offset,
            "total": total,
            "filter": filter_text,
            "jobs": [row_json(r, now) for r in rows],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(rows_table(rows, registry, now))
    shown = f"{offset + 1:,}-{offset + len(rows):,}" if rows else "none"
    click.echo(f"{queue} {registry}: {shown} of {total:,}{note}", err=True)


def _progress_printer() -> Callable[[int, int], None]:
    def show(scanned: int, total: int) -> None:
        click.echo(f"\rscanned {scanned:,} of {total:,}", nl=False, err=True)

    return show


@jobs.command("show")
@connection_options
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--disassemble", is_flag=True, help="Also print the pickle opcodes of the payload.")
def jobs_show(connection: dict[str, Any], job_id: str, as_json: bool, disassemble: bool) -> None:
    """Show everything stored about one job, decoded as data (nothing is unpickled as code)."""
    from queuetui.clock import SYSTEM
    from queuetui.jobtext import detail_json, detail_text
    from queuetui.rqdata.detail import job_detail
    from queuetui.rqdata.payload import disassemble as dis

    settings, redis = _redis_for(connection)
    try:
        detail = job_detail(redis, job_id)
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")
    if not detail.exists and not detail.locations and not detail.results:
        fail(f"no job {job_id!r}: no hash, in no queue or registry")
    if as_json:
        click.echo(json.dumps(detail_json(detail), indent=2))
    else:
        click.echo(detail_text(detail, SYSTEM.now()))
    if disassemble:
        click.echo("── Payload opcodes")
        click.echo(dis(detail.payload) if detail.payload else "  (no payload)")


@jobs.command("groups")
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_groups(connection: dict[str, Any], queue: str, as_json: bool) -> None:
    """Group a queue's failed jobs by exception type and normalised message."""
    from queuetui import fmt
    from queuetui.rqdata.search import failure_groups

    settings, redis = _redis_for(connection)
    try:
        result = failure_groups(redis, queue)
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")
    if as_json:
        groups = [
            {
                "signature": g.signature,
                "exception": g.exc_type,
                "count": g.count,
                "sample_job": g.sample_id,
                "first_seen": g.first_seen.isoformat() if g.first_seen else None,
                "last_seen": g.last_seen.isoformat() if g.last_seen else None,
            }
            for g in result.groups
        ]
        click.echo(json.dumps({"queue": queue, "scanned": result.walk.scanned, "groups": groups}, indent=2))
        return
    for g in result.groups:
        click.echo(f"{g.count:>8,}  {fmt.short_time(g.last_seen)}  {g.signature}  (e.g. {g.sample_id})")
    click.echo(f"{queue}: {result.walk.scanned:,} failed jobs in {len(result.groups)} groups", err=True)


@main.group()
def cron() -> None:
    """Cron expressions: what a schedule means and when it fires."""


@cron.command("explain")
@click.argument("expression")
@click.option("--tz", "zone", default="UTC", show_default=True, help="IANA time zone the schedule runs in.")
@click.option("-n", "count", type=click.IntRange(1, 1000), default=5, show_default=True, help="Fire times.")
@click.option("--name", default=None, help="Schedule name that H hashes into concrete values.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cron_explain(expression: str, zone: str, count: int, name: str | None, as_json: bool) -> None:
    """Explain EXPRESSION in English, with its next fire times and warnings.

    Times are computed in --tz, which defaults to UTC rather than this machine's zone, so the answer
    is the same on every host; each is shown in that zone and in UTC.
    """
    from datetime import UTC

    from queuetui.clock import SYSTEM
    from queuetui.schedule.cron import CronError, explain

    try:
        result = explain(expression, zone, after=SYSTEM.now(), n=count, name=name)
    except CronError as exc:
        fail(str(exc), code=2)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    click.echo(f"expression   {result.expression}")
    if result.concrete != result.expression:
        click.echo(f"runs as      {result.concrete}")
    click.echo(f"time zone    {result.timezone}")
    click.echo(f"description  {result.description}")
    label = f"next {len(result.next)}"
    for fire in result.next:
        utc = fire.astimezone(UTC)
        click.echo(f"{label:<12} {fire.isoformat(' ')} {fire.tzname()}   {utc:%Y-%m-%d %H:%M:%S} UTC")
        label = ""
    if not result.next:
        click.echo("next         never")
    for warning in result.warnings:
        click.echo(f"warning      {warning}")
