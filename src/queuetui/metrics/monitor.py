"""The sampler with the configured alert rules, as the scheduler and `queuetui monitor` run it."""

from __future__ import annotations

import threading

import redis
from sqlalchemy.orm import Session, sessionmaker

from queuetui.config import AlertSettings, TenantSettings
from queuetui.metrics.alerts import Alerts
from queuetui.metrics.sampler import Sampler, start


def start_monitor(
    connection: redis.Redis,
    alerts: AlertSettings,
    sessions: sessionmaker[Session],
    instance: str,
    stop: threading.Event,
    interval: float = 10.0,
    tenants: TenantSettings | None = None,
) -> tuple[threading.Thread, Alerts]:
    """The sampler, with the alert rules, on a thread of its own until `stop` is set.

    The scheduler process runs one beside its ticks; `queuetui monitor` runs one alone. Returns the
    thread and the Alerts (close it after the thread ends, to deliver the notices still waiting).
    """
    checker = Alerts(alerts, sessions, connection)
    sampler = Sampler(connection, instance=instance, interval=interval, tenants=tenants)
    listeners = [checker] if alerts.rules else []
    return start(sampler, stop, listeners), checker
