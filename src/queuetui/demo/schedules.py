"""The demo's schedules: a handful that fire often enough to watch, and some an operator would have."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from queuetui.audit import Actor, Audit
from queuetui.schedule.store import ScheduleStore

DEMO_SCHEDULES: list[tuple[str, dict[str, object]]] = [
    ("charge-retries", {"func": "queuetui.demo.jobs:charge_card", "cron": "*/10 * * * * *",
                        "args": [7, 1999], "queue": "critical", "description": "Retry declined card charges",
                        "tags": ["billing"]}),
    ("email-digest", {"func": "queuetui.demo.jobs:send_email", "cron": "* * * * *", "queue": "high",
                      "args": ["ops@example.com", "digest"], "tags": ["emails"], "overlap": "skip"}),
    ("account-sync", {"func": "queuetui.demo.jobs:sync_account", "cron": "*/30 * * * * *", "args": [42, 0.5],
                      "tags": ["sync"], "retry_max": 2, "retry_intervals": [5, 30],
                      "description": "Half of these fail: see the Failed view and the run history"}),
    ("nightly-report", {"func": "queuetui.demo.jobs:build_report", "cron": "30 2 * * *", "args": [1, 2.0],
                        "timezone": "Europe/Rome", "queue": "low", "tags": ["reports"]}),
    ("session-purge", {"func": "queuetui.demo.jobs:purge_sessions", "cron": "H * * * *", "args": [500],
                       "queue": "low", "tags": ["maintenance"]}),
    ("weekly-import", {"func": "queuetui.demo.jobs:import_row", "cron": "0 6 * * MON", "args": [1],
                       "timezone": "America/New_York", "tags": ["imports"]}),
    ("legacy-export", {"func": "queuetui.demo.jobs:always_fails", "cron": "*/2 * * * *", "args": ["export"],
                       "enabled": False, "description": "Disabled: its target system is gone"}),
]  # fmt: skip


def seed(sessions: sessionmaker[Session]) -> None:
    """Add the demo schedules that are missing (a second demo on the same file adds nothing)."""
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("demo", "local")))
    existing = {s.name for s in store.schedules()}
    for name, values in DEMO_SCHEDULES:
        if name not in existing:
            store.add(name, values)
    if "email-digest" not in existing:
        store.snooze("email-digest", store.clock.now() + timedelta(minutes=2))
