"""`queuetui monitor`, `queuetui alerts` and `queuetui exporter`, and the sampler the scheduler runs.

Registered on the main group by cli.py (kept in a module of their own so cli.py does not keep growing).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from typing import Any

import click
import redis
from sqlalchemy.orm import Session, sessionmaker

from queuetui.cli import _connection, _db_url_option, connection_options, fail, main, settings_from
from queuetui.config import Settings, redact_url
from queuetui.rqdata.connection import connect

log = logging.getLogger("queuetui.metrics")


def _instance(name: str | None) -> str:
    return name or f"{socket.gethostname()}:{os.getpid()}"


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    return stop


def _sessions(settings: Settings) -> sessionmaker[Session]:
    from queuetui.db.engine import DatabaseError, open_database

    try:
        return open_database(settings.db_url)
    except DatabaseError as exc:
        fail(str(exc), code=2 if "invalid database URL" in str(exc) else 1)


def start_sampler(
    connection: redis.Redis,
    settings: Settings,
    sessions: sessionmaker[Session],
    instance: str,
    stop: threading.Event,
    interval: float = 10.0,
) -> tuple[threading.Thread, Any]:
    """The sampler, with the configured alert rules, on a thread of its own until `stop` is set.

    The scheduler process runs one beside its ticks; `queuetui monitor` runs one alone. Returns the
    thread and the Alerts (close it after the thread ends, to deliver the notices still waiting).
    """
    from queuetui.metrics.alerts import Alerts
    from queuetui.metrics.sampler import Sampler, start

    alerts = Alerts(settings.alerts, sessions, connection)
    sampler = Sampler(connection, instance=instance, interval=interval)
    listeners = [alerts] if settings.alerts.rules else []
    return start(sampler, stop, listeners), alerts


@main.command()
@_connection
@_db_url_option
@click.option("--instance", default=None, help="This sampler's name in its lease (default host:pid).")
@click.option(
    "--interval", type=click.FloatRange(0.1, 300), default=10.0, show_default=True, help="Seconds per sample."
)
def monitor(connection: dict[str, Any], db_url: str | None, instance: str | None, interval: float) -> None:
    """Sample queue metrics into Redis and check the alert rules; several may run, one samples."""
    settings = settings_from({**connection, "db_url": db_url})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sessions = _sessions(settings)
    name = _instance(instance)
    stop = _stop_on_signals()
    rules = len(settings.alerts.rules)
    log.info("monitor %s starting (%s), %d alert rules", name, redact_url(settings.redis_url), rules)
    thread, alerts = start_sampler(connect(settings.redis_url), settings, sessions, name, stop, interval)
    while thread.is_alive():
        thread.join(0.5)
    alerts.close()


@main.command("alerts")
@connection_options
@_db_url_option
@click.option("--firing", is_flag=True, help="Only the alerts still firing.")
@click.option("-n", "--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def alerts_command(
    connection: dict[str, Any], db_url: str | None, firing: bool, limit: int, as_json: bool
) -> None:
    """Alerts fired by the rules in the config file: those still firing, then the resolved, newest first."""
    from queuetui import fmt
    from queuetui.db.engine import DatabaseError
    from queuetui.metrics.alerts import notified, recent
    from queuetui.present.table import Column, plain_table

    settings = settings_from({**connection, "db_url": db_url})
    try:
        rows = recent(_sessions(settings), limit=limit, firing_only=firing)
    except DatabaseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"alerts": [_alert_json(a) for a in rows]}, indent=2))
        return
    cells = [
        [
            fmt.short_time(a.fired_at),
            fmt.short_time(a.resolved_at) if a.resolved_at else "firing",
            a.rule,
            a.message,
            notified(a),
        ]
        for a in rows
    ]
    columns = [Column("FIRED", 11), Column("RESOLVED", 11), Column("RULE", 12, flex=1, max_width=30),
               Column("MESSAGE", 30, flex=4), Column("NOTIFIED", 10, flex=2, max_width=45)]  # fmt: skip
    click.echo(plain_table(columns, cells))
    still = sum(a.resolved_at is None for a in rows)
    click.echo(f"{len(rows)} alerts, {still} firing", err=True)


def _alert_json(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "kind": alert.kind,
        "subject": alert.subject,
        "message": alert.message,
        "value": alert.value,
        "state": "resolved" if alert.resolved_at else "firing",
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "resolution": alert.resolution,
        "webhook": alert.webhook_outcome,
        "email": alert.email_outcome,
    }


@main.command()
@_connection
@_db_url_option
@click.option("--port", type=click.IntRange(0, 65535), default=9726, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one)."
)
def exporter(connection: dict[str, Any], db_url: str | None, port: int, host: str) -> None:
    """Serve Prometheus metrics on /metrics (rq-exporter's names and more) and /healthz."""
    from queuetui.metrics.exporter import application, serve

    settings = settings_from({**connection, "db_url": db_url})
    sessions = _sessions(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = _stop_on_signals()
    try:
        server, _ = serve(application(connect(settings.redis_url), sessions), host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound = server.server_address[1]
    log.info("exporter on http://%s:%s/metrics (%s)", host, bound, redact_url(settings.redis_url))
    stop.wait()
    server.shutdown()
    server.server_close()
