"""The long-running commands: `queuetui worker`, `scheduler`, `monitor` and `exporter`.

Each stops cleanly on SIGTERM or SIGINT and logs one line a state change.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from queuetui.cli.options import (
    connection_only,
    connection_options,
    database_errors,
    db_url_option,
    fail,
    instance_name,
    json_option,
    redis_errors,
    services_for,
    settings_from,
    stop_on_signals,
)
from queuetui.config import Settings, redact_url

LOG_FORMAT = "%(asctime)s %(name)s %(message)s"
WRITES = {
    "worker": "takes jobs off queues and writes their results, statuses and registries to Redis",
    "scheduler": "enqueues jobs into Redis and writes its lease, run history and metrics",
    "monitor": "writes metric samples, its lease and alert state to Redis and the database",
}
"""What each daemon writes: why a read-only queuetui refuses to start it."""


def refuse_if_read_only(settings: Settings, daemon: str) -> None:
    """Exit 1 naming what `daemon` writes and where read-only comes from, when it is on."""
    if settings.read_only:
        where = settings.source.get("read_only", "the settings")
        fail(f"queuetui is read-only ({where}): {daemon} {WRITES[daemon]}, so it does not start")


@click.command()
@connection_only
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
    Each job's log records are kept in Redis within the [logs] caps (`queuetui jobs logs ID`).
    """
    from queuetui.executor.worker import listen_order, run_worker
    from queuetui.rqdata.connection import connect

    settings = settings_from(connection)
    refuse_if_read_only(settings, "worker")
    try:
        listen_order(queues)
    except ValueError as exc:
        fail(str(exc), code=2)
    redis = connect(settings.redis_url, options=settings.connection)
    with redis_errors(settings):
        redis.ping()
        run_worker(
            redis,
            queues,
            burst=burst,
            pool=pool,
            name=worker_name,
            logging_level=logging_level,
            retry=settings.retry,
            logs=settings.logs,
            tenants=settings.tenants,
        )


@click.group(invoke_without_command=True)
@connection_only
@db_url_option
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
    from datetime import timedelta

    from queuetui.schedule.scheduler import Scheduler

    services = services_for(connection, db_url)
    refuse_if_read_only(services.settings, "scheduler")
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    with database_errors():
        sessions = services.sessions
    name = instance_name(instance)
    stop = stop_on_signals()
    logging.getLogger("queuetui.scheduler").info(
        "scheduler %s starting (%s)", name, redact_url(services.settings.redis_url)
    )
    monitoring = None
    if not no_metrics:
        from queuetui.metrics.monitor import start_monitor

        monitoring = start_monitor(
            services.redis, services.settings.alerts, sessions, name, stop, tenants=services.settings.tenants
        )
    Scheduler(
        services.redis,
        sessions,
        instance=name,
        lease_ttl=lease_ttl,
        standby_poll=standby_poll,
        db_stall_limit=db_stall_limit,
        on_time=timedelta(seconds=late_after),
        tenant_key=services.settings.tenants.meta_key,
    ).run(stop, interval)
    if monitoring is not None:
        thread, alerts = monitoring
        thread.join(5)
        alerts.close()


@scheduler.command("status")
@connection_options
@db_url_option
@json_option
def scheduler_status(connection: dict[str, Any], db_url: str | None, as_json: bool) -> None:
    """Show which scheduler leads, since when, its last tick, the lag of the oldest due fire time,
    and each instance's last heartbeat."""
    from queuetui.db.engine import DatabaseError
    from queuetui.present.scheduler import status_text
    from queuetui.schedule import status

    given = db_url or click.get_current_context().meta.get("scheduler_db_url")
    services = services_for(connection, given)
    problem = ""
    try:
        sessions = services.sessions
    except DatabaseError as exc:
        sessions, problem = None, str(exc)
    with redis_errors(services.settings):
        state = status.read(services.redis, sessions)
    if problem:
        state["database"] = {"error": problem}
    click.echo(json.dumps(state, indent=2) if as_json else status_text(state))


@click.command()
@connection_only
@db_url_option
@click.option("--instance", default=None, help="This sampler's name in its lease (default host:pid).")
@click.option(
    "--interval", type=click.FloatRange(0.1, 300), default=10.0, show_default=True, help="Seconds per sample."
)
def monitor(connection: dict[str, Any], db_url: str | None, instance: str | None, interval: float) -> None:
    """Sample queue metrics into Redis and check the alert rules; several may run, one samples."""
    from queuetui.metrics.monitor import start_monitor

    services = services_for(connection, db_url)
    settings = services.settings
    refuse_if_read_only(settings, "monitor")
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    with database_errors():
        sessions = services.sessions
    name = instance_name(instance)
    stop = stop_on_signals()
    rules = len(settings.alerts.rules)
    log = logging.getLogger("queuetui.metrics")
    log.info("monitor %s starting (%s), %d alert rules", name, redact_url(settings.redis_url), rules)
    thread, alerts = start_monitor(
        services.redis, settings.alerts, sessions, name, stop, interval, tenants=settings.tenants
    )
    while thread.is_alive():
        thread.join(0.5)
    alerts.close()


@click.command()
@connection_only
@db_url_option
@click.option("--port", type=click.IntRange(0, 65535), default=9726, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one)."
)
def exporter(connection: dict[str, Any], db_url: str | None, port: int, host: str) -> None:
    """Serve Prometheus metrics on /metrics (rq-exporter's names and more) and /healthz."""
    from queuetui.metrics.exporter import application, serve

    services = services_for(connection, db_url)
    with database_errors():
        sessions = services.sessions
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    stop = stop_on_signals()
    try:
        server, _ = serve(application(services.redis, sessions), host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound = server.server_address[1]
    log = logging.getLogger("queuetui.metrics")
    log.info("exporter on http://%s:%s/metrics (%s)", host, bound, redact_url(services.settings.redis_url))
    stop.wait()
    server.shutdown()
    server.server_close()
