"""The long-running commands: `queuetui worker`, `scheduler`, `monitor` and `exporter`.

Each stops cleanly on SIGTERM or SIGINT and logs one line a state change.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from queuetui.cli.options import (
    connection_only,
    database_errors,
    db_url_option,
    fail,
    instance_name,
    redis_errors,
    services_for,
    settings_from,
    stop_on_signals,
)
from queuetui.config import redact_url

LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


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
    """
    from queuetui.executor.worker import listen_order, run_worker
    from queuetui.rqdata.connection import connect

    settings = settings_from(connection)
    try:
        listen_order(queues)
    except ValueError as exc:
        fail(str(exc), code=2)
    redis = connect(settings.redis_url)
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
        )


@click.command()
@connection_only
@db_url_option
@click.option("--instance", default=None, help="This scheduler's name in the lease (default host:pid).")
@click.option(
    "--interval", type=click.FloatRange(0.05, 60), default=0.5, show_default=True, help="Seconds per tick."
)
@click.option("--no-metrics", is_flag=True, help="Do not run the metrics sampler and alert rules beside it.")
def scheduler(
    connection: dict[str, Any], db_url: str | None, instance: str | None, interval: float, no_metrics: bool
) -> None:
    """Run the cron scheduler: several may run; the one holding the lease enqueues.

    It also runs the metrics sampler and alert rules (as `queuetui monitor` does) unless --no-metrics.
    """
    from queuetui.schedule.scheduler import Scheduler

    services = services_for(connection, db_url)
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

        monitoring = start_monitor(services.redis, services.settings.alerts, sessions, name, stop)
    Scheduler(services.redis, sessions, instance=name).run(stop, interval)
    if monitoring is not None:
        thread, alerts = monitoring
        thread.join(5)
        alerts.close()


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
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    with database_errors():
        sessions = services.sessions
    name = instance_name(instance)
    stop = stop_on_signals()
    rules = len(settings.alerts.rules)
    log = logging.getLogger("queuetui.metrics")
    log.info("monitor %s starting (%s), %d alert rules", name, redact_url(settings.redis_url), rules)
    thread, alerts = start_monitor(services.redis, settings.alerts, sessions, name, stop, interval)
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
