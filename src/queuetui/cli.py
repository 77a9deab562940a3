"""The `queuetui` command: the console by default, plus demo, worker and stats."""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
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


_db_url_option = click.option(
    "--db-url", default=None, metavar="URL",
    help="Schedule database (any SQLAlchemy URL). Env: QUEUETUI_DB_URL. "
    "Default: a SQLite file in $XDG_DATA_HOME/queuetui.",
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
            "read_only": parent.get("read_only") or None,
        }
        return command(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _redis_errors(settings: Settings) -> Iterator[None]:
    """Redis unreachable or refusing: one line naming the server, exit 1."""
    try:
        yield
    except REDIS_ERRORS as exc:
        fail(f"{describe_error(exc)} ({redact_url(settings.redis_url)})")


def _aware_time(option: str, text: str) -> datetime:
    """An ISO time with its UTC offset from an option, or exit 2 saying what is wrong."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not an ISO time like 2026-11-24T09:00+01:00", code=2)
    if moment.tzinfo is None:
        fail(f"{option}: {text!r} has no UTC offset; add one, e.g. +00:00", code=2)
    return moment


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
@click.option(
    "--read-only", is_flag=True, default=False,
    help="Refuse every change (retry, cancel, schedule edits...). Env: QUEUETUI_READ_ONLY=1.",
)  # fmt: skip
@click.version_option(package_name="queuetui")
@click.pass_context
def main(
    ctx: click.Context,
    redis_url: str | None,
    name: str | None,
    config_path: Path | None,
    refresh: float | None,
    read_only: bool,
) -> None:
    """queuetui: an operations console for RQ. With no command, opens the console."""
    ctx.obj = {
        "redis_url": redis_url,
        "name": name,
        "path": config_path,
        "refresh": refresh,
        "read_only": read_only,
    }
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
            import getpass

            from queuetui.roles import Role, RoleMap
            from queuetui.tui.app import run_console

            settings = load_settings(
                redis_url=backend.url, name="demo", refresh=refresh, db_url=backend.db_url
            )
            # The demo is the operator's own sandbox: every action, admin ones included, is theirs to try.
            run_console(
                dataclasses.replace(
                    settings,
                    roles=RoleMap(users={getpass.getuser(): Role.ADMIN}),
                    alerts=backend.alerts(),  # the rules its scheduler checks, for their thresholds
                )
            )
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
    """Run an RQ worker on QUEUES (default: critical high default low, in that order).

    Jobs that fail without a Retry of their own are retried by the config file's [retry] policies.
    """
    from queuetui.executor.worker import listen_order, run_worker

    settings = settings_from(connection)
    try:
        listen_order(queues)
    except ValueError as exc:
        fail(str(exc), code=2)
    redis = connect(settings.redis_url)
    with _redis_errors(settings):
        redis.ping()
        run_worker(
            redis,
            queues,
            burst=burst,
            pool=pool,
            name=worker_name,
            logging_level=logging_level,
            retry=settings.retry,
        )


@main.group(invoke_without_command=True)
@_connection
@_db_url_option
@click.option("--instance", default=None, help="This scheduler's name in the lease (default host:pid).")
@click.option(
    "--interval", type=click.FloatRange(0.05, 60), default=0.5, show_default=True, help="Seconds per tick."
)
@click.option(
    "--lease-ttl", type=click.FloatRange(0.3, 60), default=1.5, show_default=True,
    help="Seconds the leader's lease lives unless renewed: a dead leader is replaced within it "
    "(plus --standby-poll); shorter fails over faster but is lost to shorter Redis hiccups.",
)  # fmt: skip
@click.option(
    "--standby-poll", type=click.FloatRange(0.05, 10), default=0.25, show_default=True,
    help="Seconds between a standby's attempts to take the lease.",
)  # fmt: skip
@click.option(
    "--db-stall-limit", type=click.FloatRange(0.5, 3600), default=30.0, show_default=True,
    help="Seconds of failing database transactions after which a leader steps down.",
)  # fmt: skip
@click.option(
    "--late-after", type=click.FloatRange(1, 86400), default=60.0, show_default=True,
    help="Seconds after which a fire time never enqueued is late: its schedule's misfire policy decides.",
)  # fmt: skip
@click.option("--no-metrics", is_flag=True, help="Do not run the metrics sampler and alert rules beside it.")
@click.pass_context
def scheduler(
    ctx: click.Context,
    connection: dict[str, Any],
    db_url: str | None,
    instance: str | None,
    interval: float,
    lease_ttl: float,
    standby_poll: float,
    db_stall_limit: float,
    late_after: float,
    no_metrics: bool,
) -> None:
    """Run the cron scheduler: several may run; the one holding the lease enqueues.

    It also runs the metrics sampler and alert rules (as `queuetui monitor` does) unless --no-metrics.
    `queuetui scheduler status` shows who leads.
    """
    if ctx.invoked_subcommand is not None:  # `scheduler -u URL --db-url URL status` means the same servers
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), **{k: v for k, v in connection.items() if v is not None}}
        ctx.meta["scheduler_db_url"] = db_url
        return
    import logging
    import os
    import socket
    import threading
    from datetime import timedelta

    from queuetui.schedule.db import DatabaseError, open_database
    from queuetui.schedule.scheduler import Scheduler

    settings = settings_from({**connection, "db_url": db_url})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        sessions = open_database(settings.db_url)
    except DatabaseError as exc:
        fail(str(exc))
    redis = connect(settings.redis_url)
    name = instance or f"{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    logging.getLogger("queuetui.scheduler").info(
        "scheduler %s starting (%s)", name, redact_url(settings.redis_url)
    )
    sampling = None
    if not no_metrics:
        from queuetui.cli_metrics import start_sampler

        sampling = start_sampler(redis, settings, sessions, name, stop)
    Scheduler(
        redis,
        sessions,
        instance=name,
        lease_ttl=lease_ttl,
        standby_poll=standby_poll,
        db_stall_limit=db_stall_limit,
        on_time=timedelta(seconds=late_after),
    ).run(stop, interval)
    if sampling is not None:
        thread, alerts = sampling
        thread.join(5)
        alerts.close()


@scheduler.command("status")
@connection_options
@_db_url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def scheduler_status(connection: dict[str, Any], db_url: str | None, as_json: bool) -> None:
    """Show which scheduler leads, since when, its last tick, the lag of the oldest due fire time,
    and each instance's last heartbeat."""
    from queuetui.schedule import status
    from queuetui.schedule.db import DatabaseError, open_database

    settings = settings_from(
        {**connection, "db_url": db_url or click.get_current_context().meta.get("scheduler_db_url")}
    )
    try:
        sessions = open_database(settings.db_url)
    except DatabaseError as exc:
        sessions = None
        problem = str(exc)
    with _redis_errors(settings):
        state = status.read(connect(settings.redis_url), sessions)
    if sessions is None:
        state["database"] = {"error": problem}
    click.echo(json.dumps(state, indent=2) if as_json else status.text(state))


@main.command()
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(connection: dict[str, Any], as_json: bool) -> None:
    """Print queue and worker counts (the overview snapshot)."""
    from queuetui.rqdata.overview import snapshot
    from queuetui.stats import overview_json, overview_table

    settings = settings_from(connection)
    with _redis_errors(settings):
        overview = snapshot(connect(settings.redis_url))
    if as_json:
        click.echo(json.dumps(overview_json(overview), indent=2))
    else:
        click.echo(overview_table(overview))


@main.group()
def jobs() -> None:
    """List, show and group jobs; retry, requeue, move, cancel, stop, delete them (as the console does)."""


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
    with _redis_errors(settings):
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
        if registry == "deferred":
            from queuetui.rqdata.deps import flag_rows

            rows = flag_rows(redis, rows)
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
    with _redis_errors(settings):
        detail = job_detail(redis, job_id)
    if not detail.exists and not detail.locations and not detail.results:
        fail(f"no job {job_id!r}: no hash, in no queue or registry")
    if as_json:
        click.echo(json.dumps(detail_json(detail), indent=2))
    else:
        click.echo(detail_text(detail, SYSTEM.now()))
    if disassemble:
        click.echo("── Payload opcodes")
        click.echo(dis(detail.payload) if detail.payload else "  (no payload)")


@jobs.command("deps")
@connection_options
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_deps(connection: dict[str, Any], job_id: str, as_json: bool) -> None:
    """Show what a job waits on and what waits on it, with states, and why a deferred one never runs."""
    from queuetui.rqdata.deps import dependency_tree, tree_json, tree_text

    settings, redis = _redis_for(connection)
    with _redis_errors(settings):
        tree = dependency_tree(redis, job_id)
    if not tree.job.exists and not tree.waits_on and not tree.waited_on_by:
        fail(f"no job {job_id!r}: no hash and nothing waits on it")
    if as_json:
        click.echo(json.dumps(tree_json(tree), indent=2))
    else:
        click.echo(tree_text(tree))


@jobs.command("groups")
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_groups(connection: dict[str, Any], queue: str, as_json: bool) -> None:
    """Group a queue's failed jobs by exception type and normalised message."""
    from queuetui import fmt
    from queuetui.rqdata.search import failure_groups

    settings, redis = _redis_for(connection)
    with _redis_errors(settings):
        result = failure_groups(redis, queue)
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
def db() -> None:
    """The schedule database: migrate it, see its revision."""


def _engine_for(connection: dict[str, Any], db_url: str | None) -> Any:
    from queuetui.schedule.db import DatabaseError, create_engine

    settings = settings_from({**connection, "db_url": db_url})
    try:
        return create_engine(settings.db_url)
    except DatabaseError as exc:
        fail(str(exc), code=2)


@db.command("upgrade")
@connection_options
@_db_url_option
def db_upgrade(connection: dict[str, Any], db_url: str | None) -> None:
    """Bring the database up to the newest schema (also done on first use)."""
    from queuetui.schedule.db import DatabaseError, redact, upgrade

    engine = _engine_for(connection, db_url)
    try:
        before, after = upgrade(engine)
    except DatabaseError as exc:
        fail(str(exc))
    where = redact(str(engine.url))
    if before == after:
        click.echo(f"{where}: already at revision {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


@db.command("current")
@connection_options
@_db_url_option
def db_current(connection: dict[str, Any], db_url: str | None) -> None:
    """Print the database's schema revision and whether it is the newest."""
    from queuetui.schedule.db import DatabaseError, current_revision, head_revision, redact

    engine = _engine_for(connection, db_url)
    try:
        current = current_revision(engine)
    except DatabaseError as exc:
        fail(str(exc))
    state = "up to date" if current == head_revision() else f"behind (newest is {head_revision()})"
    click.echo(f"{redact(str(engine.url))}: revision {current or 'none (empty)'}, {state}")


def _schedule_fields(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options add and edit share; an option left out is not changed."""
    options = [
        click.option("--func", help="The job function, 'package.module:function'."),
        click.option("--cron", help="Cron expression (5 fields, 6 with seconds first, @daily, H...)."),
        click.option("--tz", "timezone", help="IANA zone the cron expression is read in (default UTC)."),
        click.option("-q", "--queue", help="RQ queue to enqueue on (default 'default')."),
        click.option("--args", help="Positional arguments, a JSON list."),
        click.option("--kwargs", help="Keyword arguments, a JSON object."),
        click.option("--description"),
        click.option("--timeout", "job_timeout", type=int, help="Job timeout, seconds."),
        click.option("--result-ttl", type=int, help="Seconds RQ keeps a result."),
        click.option("--failure-ttl", type=int, help="Seconds RQ keeps a failed job."),
        click.option("--retries", "retry_max", type=int, help="Retries after a failure."),
        click.option("--retry-intervals", help="Seconds between retries, comma-separated (e.g. 10,60,300)."),
        click.option("--overlap", type=click.Choice(["allow", "skip", "queue"])),
        click.option("--misfire", type=click.Choice(["skip", "run-once", "catch-up"])),
        click.option("--grace", "misfire_grace", type=int, help="Seconds a missed fire time stays due."),
        click.option("--tag", "tags", multiple=True, help="A tag (repeatable)."),
        click.option("--tenant"),
        click.option("--meta", help="Job meta, a JSON object."),
        click.option("--webhook-url", help="URL notified of failures, successes or lateness."),
        click.option("--notify", "notify", multiple=True, type=click.Choice(["failure", "success", "late"])),
        click.option("--keep-runs", type=int, help="Run history kept: the last N runs."),
        click.option("--keep-days", type=int, help="Run history kept: runs younger than N days."),
        click.option("--allow-missing", is_flag=True, help="Save even if the function cannot be imported."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _schedule_values(options: dict[str, Any]) -> dict[str, Any]:
    """The schedule fields the operator gave, in the store's terms."""
    values = {k: v for k, v in options.items() if v is not None and v != ()}
    if "retry_intervals" in values:
        try:
            values["retry_intervals"] = [int(i) for i in values["retry_intervals"].split(",") if i.strip()]
        except ValueError:
            fail(
                f"--retry-intervals: expected seconds like 10,60,300, got {values['retry_intervals']!r}",
                2,
            )
    if "tags" in values:
        values["tags"] = list(values["tags"])
    for kind in values.pop("notify", ()):
        values[f"notify_on_{kind}"] = True
    return values


def _store_for(connection: dict[str, Any], db_url: str | None) -> Any:
    return _store_with(settings_from({**connection, "db_url": db_url}))


def _store_with(settings: Settings) -> Any:
    from queuetui.audit import Audit
    from queuetui.schedule.db import DatabaseError, open_database
    from queuetui.schedule.store import ScheduleStore

    try:
        sessions = open_database(settings.db_url)
    except DatabaseError as exc:
        fail(str(exc), code=2 if "invalid database URL" in str(exc) else 1)
    return ScheduleStore(sessions, Audit.for_settings(sessions, settings))


@contextlib.contextmanager
def _schedule_errors() -> Iterator[None]:
    """Bad input exits 2, a refused or impossible change 1; each with one line."""
    from queuetui.audit import Refused
    from queuetui.schedule.db import DatabaseError
    from queuetui.schedule.store import ScheduleError

    try:
        yield
    except ScheduleError as exc:
        fail(str(exc), code=2)
    except (Refused, DatabaseError) as exc:
        fail(str(exc))


@contextlib.contextmanager
def _operator(connection: dict[str, Any], db_url: str | None) -> Iterator[Any]:
    """A ScheduleOperator (run-now, backfill, pause-all), its failures turned into one-line exits."""
    from queuetui.schedule.operator import ScheduleOperator

    settings = settings_from({**connection, "db_url": db_url})
    store = _store_with(settings)
    with _schedule_errors(), _redis_errors(settings):
        yield ScheduleOperator(store, connect(settings.redis_url))


def _schedule_json(schedule: Any) -> dict[str, Any]:
    from queuetui.schedule.store import FIELDS

    data = {"name": schedule.name, **{f: getattr(schedule, f) for f in FIELDS}}
    for key in ("snoozed_until", "next_fire_at", "last_fire_at", "created_at", "updated_at"):
        value = getattr(schedule, key)
        data[key] = value.isoformat() if value else None
    data.update(created_by=schedule.created_by, updated_by=schedule.updated_by, version=schedule.version)
    return data


def _run_json(run: Any) -> dict[str, Any]:
    times = {k: (getattr(run, k).isoformat() if getattr(run, k) else None)
             for k in ("fire_time", "enqueued_at", "started_at", "ended_at")}  # fmt: skip
    fields = ("job_id", "trigger", "state", "reason", "duration", "worker", "exception")
    return {**times, **{k: getattr(run, k) for k in fields}}


@main.group()
def schedules() -> None:
    """Cron schedules in the schedule database: list, show, add, edit, remove, enable, snooze, import."""


@schedules.command("list")
@connection_options
@_db_url_option
@click.option("-s", "--search", default="", help="tag:x queue:q is:enabled|disabled|snoozed name: func: text")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_list(
    connection: dict[str, Any], db_url: str | None, search: str, offset: int, limit: int, as_json: bool
) -> None:
    """Schedules as the console lists them: enabled first, soonest next run first."""
    from queuetui import schedtext
    from queuetui.clock import SYSTEM
    from queuetui.schedule.listing import SearchError, list_schedules
    from queuetui.table import plain_table

    store = _store_for(connection, db_url)
    with _schedule_errors():
        try:
            listing = list_schedules(store.sessions, search=search, offset=offset, limit=limit)
        except SearchError as exc:
            fail(f"--search: {exc}", code=2)
    now = SYSTEM.now()
    if as_json:
        rows = [_listing_json(row, now) for row in listing.rows]
        click.echo(
            json.dumps({"total": listing.total, "offset": listing.offset, "schedules": rows}, indent=2)
        )
        return
    names = schedtext.WIDE
    cells = [[schedtext.cell(row, name, now) for name in names] for row in listing.rows]
    click.echo(plain_table([schedtext.COLUMNS[n] for n in names], cells))
    click.echo(f"{len(listing.rows)} of {listing.total} schedules", err=True)


def _listing_json(row: Any, now: Any) -> dict[str, Any]:
    def when(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    last = row.last and {"state": row.last.state, "fire_time": when(row.last.fire_time),
                         "duration": row.last.duration}  # fmt: skip
    return {
        "name": row.name, "cron": row.cron, "description": row.description, "timezone": row.timezone,
        "queue": row.queue, "func": row.func, "enabled": row.enabled, "state": row.state(now),
        "snoozed_until": when(row.snoozed_until), "next_fire_at": when(row.next_fire_at),
        "tags": list(row.tags), "last": last or None,
    }  # fmt: skip


@schedules.command("show")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_show(connection: dict[str, Any], db_url: str | None, schedule_name: str, as_json: bool) -> None:
    """One schedule, every field."""
    store = _store_for(connection, db_url)
    with _schedule_errors():
        data = _schedule_json(store.get(schedule_name))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key:<18} {value if not isinstance(value, list | dict) else json.dumps(value)}")


@schedules.command("add")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@_schedule_fields
@click.option("--disabled", is_flag=True, help="Create it disabled.")
def schedules_add(
    connection: dict[str, Any],
    db_url: str | None,
    schedule_name: str,
    allow_missing: bool,
    disabled: bool,
    **options: Any,
) -> None:
    """Create a schedule (needs --func and --cron)."""
    store = _store_for(connection, db_url)
    values = _schedule_values(options)
    if disabled:
        values["enabled"] = False
    with _schedule_errors():
        schedule = store.add(schedule_name, values, allow_missing=allow_missing)
    nxt = schedule.next_fire_at.isoformat() if schedule.next_fire_at else "never"
    click.echo(f"added {schedule.name}: {schedule.cron} ({schedule.timezone}), next fire {nxt}")


@schedules.command("edit")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@_schedule_fields
def schedules_edit(
    connection: dict[str, Any], db_url: str | None, schedule_name: str, allow_missing: bool, **options: Any
) -> None:
    """Change the fields given; the rest stay as they are."""
    store = _store_for(connection, db_url)
    values = _schedule_values(options)
    if not values:
        fail("nothing to change: give at least one option (see --help)", code=2)
    with _schedule_errors():
        schedule = store.edit(schedule_name, values, allow_missing=allow_missing)
    click.echo(f"changed {schedule.name}: {', '.join(sorted(values))} (version {schedule.version})")


@schedules.command("rm")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
def schedules_rm(connection: dict[str, Any], db_url: str | None, schedule_name: str) -> None:
    """Delete a schedule and its run history (jobs already enqueued stay)."""
    store = _store_for(connection, db_url)
    with _schedule_errors():
        store.remove(schedule_name)
    click.echo(f"removed {schedule_name}")


@schedules.command("enable")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
def schedules_enable(connection: dict[str, Any], db_url: str | None, schedule_name: str) -> None:
    """Fire again, from the next fire time after now."""
    store = _store_for(connection, db_url)
    with _schedule_errors():
        store.set_enabled(schedule_name, True)
    click.echo(f"enabled {schedule_name}")


@schedules.command("disable")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
def schedules_disable(connection: dict[str, Any], db_url: str | None, schedule_name: str) -> None:
    """Stop firing until enabled."""
    store = _store_for(connection, db_url)
    with _schedule_errors():
        store.set_enabled(schedule_name, False)
    click.echo(f"disabled {schedule_name}")


@schedules.command("snooze")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--for", "duration", metavar="DURATION", help="How long: 30m, 2h, 1d.")
@click.option("--until", "until_text", metavar="TIME", help="Until an ISO time with offset.")
@click.option("--wake", is_flag=True, help="End a snooze now.")
def schedules_snooze(
    connection: dict[str, Any],
    db_url: str | None,
    schedule_name: str,
    duration: str | None,
    until_text: str | None,
    wake: bool,
) -> None:
    """Skip fire times for a while (recorded as skipped runs)."""
    from datetime import timedelta

    from queuetui.clock import SYSTEM
    from queuetui.rqdata.query import parse_duration

    if sum(x is not None and x is not False for x in (duration, until_text, wake)) != 1:
        fail("give exactly one of --for, --until or --wake", code=2)
    until = None
    if duration is not None:
        seconds = parse_duration(duration)
        if seconds is None:
            fail(f"--for: {duration!r} is not a duration like 30m, 2h or 1d", code=2)
        until = SYSTEM.now() + timedelta(seconds=seconds)
    elif until_text is not None:
        until = _aware_time("--until", until_text)
    store = _store_for(connection, db_url)
    with _schedule_errors():
        store.snooze(schedule_name, until)
    click.echo(f"{schedule_name}: snoozed until {until.isoformat()}" if until else f"{schedule_name}: awake")


@schedules.command("run-now")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
def schedules_run_now(connection: dict[str, Any], db_url: str | None, schedule_name: str) -> None:
    """Enqueue the schedule's job now, once (recorded with trigger run-now)."""
    with _operator(connection, db_url) as operator:
        job_id = operator.run_now(schedule_name)
    click.echo(f"{schedule_name}: enqueued {job_id}")


@schedules.command("backfill")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--from", "start", required=True, metavar="TIME", help="First fire time, ISO with offset.")
@click.option("--to", "end", required=True, metavar="TIME", help="Last fire time, ISO with offset.")
@click.option("--kwarg", default=None, help="Also pass each fire time (ISO) as this keyword argument.")
def schedules_backfill(
    connection: dict[str, Any],
    db_url: str | None,
    schedule_name: str,
    start: str,
    end: str,
    kwarg: str | None,
) -> None:
    """Enqueue every fire time in a past range, once each (recorded with trigger backfill)."""
    bounds = (_aware_time("--from", start), _aware_time("--to", end))
    with _operator(connection, db_url) as operator:
        job_ids = operator.backfill(schedule_name, *bounds, kwarg=kwarg)
    click.echo(f"{schedule_name}: enqueued {len(job_ids)} fire times")


@schedules.command("pause-all")
@connection_options
@_db_url_option
@click.option("--resume", is_flag=True, help="End the pause: due fire times follow their misfire policy.")
def schedules_pause_all(connection: dict[str, Any], db_url: str | None, resume: bool) -> None:
    """Pause every schedule at the scheduler's next tick (maintenance), or --resume."""
    with _operator(connection, db_url) as operator:
        operator.pause_all(not resume)
    click.echo("scheduling resumed" if resume else "scheduling paused: every schedule waits for --resume")


@schedules.command("history")
@connection_options
@_db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("-n", "--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_history(
    connection: dict[str, Any], db_url: str | None, schedule_name: str, limit: int, as_json: bool
) -> None:
    """The schedule's runs, newest first."""
    from queuetui import fmt

    store = _store_for(connection, db_url)
    with _schedule_errors():
        runs = store.history(schedule_name, limit)
    if as_json:
        click.echo(json.dumps({"schedule": schedule_name, "runs": [_run_json(r) for r in runs]}, indent=2))
        return
    for run in runs:
        took = fmt.duration(run.duration) if run.duration is not None else "-"
        when, note = fmt.short_time(run.fire_time), run.exception or run.reason
        click.echo(f"{when}  {run.trigger:<9} {run.state:<9} {took:>8}  {run.job_id}  {note}")


_format_option = click.option(
    "--format", "fmt", type=click.Choice(["toml", "json", "csv"]), default=None,
    help="File format (default: from the file name's extension).",
)  # fmt: skip


@schedules.command("export")
@connection_options
@_db_url_option
@_format_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def schedules_export(
    connection: dict[str, Any], db_url: str | None, fmt: str | None, output: Path | None
) -> None:
    """Every schedule, by name, as TOML (default), JSON or CSV, to stdout or -o FILE."""
    from queuetui.schedule import transfer

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in transfer.FORMATS else "toml"
    store = _store_for(connection, db_url)
    with _schedule_errors():
        found = store.schedules()
    text = transfer.export(found, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"exported {len(found)} schedules to {output} ({fmt})", err=True)


@schedules.command("import")
@connection_options
@_db_url_option
@click.argument("file", metavar="FILE")
@_format_option
@click.option("--dry-run", is_flag=True, help="Show the diff and the errors; change nothing.")
@click.option(
    "--atomic/--partial", default=True,
    help="Apply nothing if any row fails (default), or apply the rows that pass.",
)  # fmt: skip
@click.option("--delete-missing", is_flag=True, help="Also remove the schedules the file does not name.")
@click.option("--allow-missing", is_flag=True, help="Accept functions that cannot be imported here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_import(
    connection: dict[str, Any],
    db_url: str | None,
    file: str,
    fmt: str | None,
    dry_run: bool,
    atomic: bool,
    delete_missing: bool,
    allow_missing: bool,
    as_json: bool,
) -> None:
    """Add, change (matched by name) and optionally remove schedules from FILE ('-': stdin).

    Every row is checked and the diff shown; the import, its counts and each row's errors are
    recorded (see `schedules imports`). Exit 0 when applied cleanly, 1 when rows failed, 2 when
    the file cannot be read.
    """
    from queuetui.schedule import transfer

    try:
        fmt = transfer.format_of(file, fmt) if file != "-" or fmt else ""
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except transfer.Unreadable as exc:
        fail(str(exc), code=2)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", code=2)
    if not fmt:
        fail("reading stdin: give --format toml|json|csv", code=2)
    store = _store_for(connection, db_url)
    mode = transfer.ImportMode.ATOMIC if atomic else transfer.ImportMode.PARTIAL
    try:
        with _schedule_errors():
            result = transfer.run_import(
                store, file, data, fmt,
                mode=mode, dry_run=dry_run, allow_missing=allow_missing, delete_missing=delete_missing,
            )  # fmt: skip
    except transfer.ImportConflict as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(_import_json(result.run, result.plan), indent=2, ensure_ascii=False))
    elif result.plan.unreadable:
        fail(f"{file}: {result.plan.errors[0].message} (recorded as import {result.run.id})", code=2)
    else:
        _print_import(result.plan, result.run)
    sys.exit(0 if result.clean else 2 if result.plan.unreadable else 1)


def _print_import(plan: Any, run: Any) -> None:
    from queuetui.schedule.transfer import plan_lines, summary

    for line in plan_lines(plan):
        click.echo(line)
    click.echo(summary(run))


def _import_json(run: Any, plan: Any = None, *, errors: bool = True) -> dict[str, Any]:
    """An import as recorded; with its plan, the diff too; errors from the plan or the record."""
    from queuetui.schedule.transfer import row_label

    keys = ("id", "file", "format", "mode", "dry_run", "delete_missing", "outcome", "actor", "client")
    data: dict[str, Any] = {k: getattr(run, k) for k in keys}
    data["at"] = run.at.isoformat()
    data["counts"] = {
        k: getattr(run, k) for k in ("rows", "added", "changed", "unchanged", "removed", "failed")
    }
    if plan is not None:
        data["add"] = [{"name": i.name, "row": i.row} for i in plan.of("add")]
        data["change"] = [
            {"name": i.name, "row": i.row, "changes": {k: list(v) for k, v in i.changes.items()}}
            for i in plan.of("change")
        ]
        data["remove"] = [i.name for i in plan.of("remove")]
        data["kept"] = plan.kept
    if not errors:
        return data
    data["errors"] = [
        {"row": e.row, "where": row_label(run.format, e.row), "field": e.field, "value": e.value,
         "message": e.message}
        for e in (plan.errors if plan is not None else run.errors)
    ]  # fmt: skip
    return data


@schedules.command("imports")
@connection_options
@_db_url_option
@click.argument("import_id", metavar="[ID]", type=int, required=False)
@click.option("-n", "--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_imports(
    connection: dict[str, Any], db_url: str | None, import_id: int | None, limit: int, as_json: bool
) -> None:
    """The recorded imports, newest first; with ID, one import and every error of its rows."""
    from queuetui import fmt
    from queuetui.schedule import transfer

    store = _store_for(connection, db_url)
    if import_id is not None:
        with _schedule_errors():
            run = transfer.import_run(store, import_id)
        if as_json:
            click.echo(json.dumps(_import_json(run), indent=2, ensure_ascii=False))
            return
        click.echo(f"{run.at.isoformat()}  {run.actor}@{run.client}  {run.file} ({run.format})")
        click.echo(transfer.summary(run))
        for error in run.errors:
            where = transfer.row_label(run.format, error.row)
            click.echo(f"{where:<10} {error.field:<16} {error.value!r:<24} {error.message}")
        return
    with _schedule_errors():
        runs = transfer.imports(store, limit)
    if as_json:
        click.echo(
            json.dumps(
                {"imports": [_import_json(r, errors=False) for r in runs]}, indent=2, ensure_ascii=False
            )
        )
        return
    for run in runs:
        dry = " dry" if run.dry_run else ""
        counts = f"+{run.added} ~{run.changed} ={run.unchanged} -{run.removed} !{run.failed}"
        click.echo(
            f"{run.id:>5}  {fmt.short_time(run.at)}  {run.actor:<10} {run.mode + dry:<12} {counts:<24} "
            f"{run.outcome:<16} {run.file}"
        )


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


# The action commands (jobs retry..., queues, workers, audit) and the metrics ones (monitor, alerts,
# exporter) register themselves on the groups above.
from queuetui import cli_actions, cli_metrics  # noqa: E402, F401

# isort: split
from queuetui import cli_batches  # noqa: E402, F401  (batches list|show|retry|cancel)
