"""Deterministic schedules and runs for snapshot tests and README screenshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from queuetui.audit import Actor, Audit
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.schedule.firing import Fire
from queuetui.schedule.store import ScheduleStore
from tests.snapshots.seed import CLOCK, NOW

SCHEDULES: list[tuple[str, dict[str, object]]] = [
    ("invoice-run", {"func": "tests.jobs:add", "cron": "0 * * * *", "args": [1, 2], "queue": "high",
                     "tags": ["billing"], "description": "Hourly invoice batch", "notify_on_failure": True,
                     "webhook_url": "https://hooks.example.com/ops", "retry_max": 3,
                     "retry_intervals": [10, 60]}),
    ("email-digest", {"func": "tests.jobs:add", "cron": "*/15 * * * *", "args": [1, 2], "queue": "emails",
                      "tags": ["emails"], "overlap": "skip"}),
    ("nightly-report", {"func": "tests.jobs:add", "cron": "30 2 * * *", "timezone": "Europe/Rome",
                        "args": [1, 2], "queue": "low", "tags": ["reports"]}),
    ("cache-warm", {"func": "tests.jobs:add", "cron": "*/30 * * * * *", "args": [1, 2]}),
    ("weekly-import", {"func": "tests.jobs:add", "cron": "0 6 * * MON", "timezone": "America/New_York",
                       "args": [1, 2], "tags": ["imports"]}),
    ("legacy-export", {"func": "tests.jobs:add", "cron": "*/2 * * * *", "enabled": False}),
]  # fmt: skip

# invoice-run's history: (hours before NOW, state, seconds it ran, seconds it waited, exception or reason)
HISTORY = [
    (9, "finished", 41.0, 1.2, ""),
    (8, "finished", 38.5, 0.8, ""),
    (7, "failed", 12.0, 0.9, "TimeoutError: upstream billing API did not answer in 10 s"),
    (6, "finished", 44.1, 1.1, ""),
    (5, "missed", None, None, "older than the misfire grace"),
    (4, "finished", 52.3, 2.5, ""),
    (3, "finished", 47.0, 0.7, ""),
    (2, "failed", 3.2, 0.6, "ValueError: customer 4411 has no billing address"),
    (1, "finished", 39.9, 1.0, ""),
    (0, "started", None, 1.4, ""),
]


def seed_schedules(folder: Path) -> sessionmaker[Session]:
    """A schedule database in `folder` with the same schedules and runs every time."""
    sessions = open_database(f"sqlite:///{folder / 'schedules.db'}")
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=CLOCK), CLOCK)
    for name, values in SCHEDULES:
        store.add(name, values)
    store.snooze("email-digest", NOW + timedelta(hours=2))
    with session_scope(sessions) as session:
        schedule = session.query(Schedule).filter_by(name="invoice-run").one()
        for hours, state, ran, waited, why in HISTORY:
            fire = Fire(schedule, NOW - timedelta(hours=hours))
            run = ScheduleRun(
                schedule_id=schedule.id, fire_time=fire.fire_time, job_id=fire.job_id, state=state
            )
            if waited is not None:
                run.enqueued_at = fire.fire_time
                run.started_at = fire.fire_time + timedelta(seconds=waited)
                run.worker = "app-1.4021"
            if ran is not None and run.started_at is not None:
                run.ended_at = run.started_at + timedelta(seconds=ran)
                run.duration = ran
            run.exception, run.reason = (why, "") if state == "failed" else ("", why)
            session.add(run)
        digest = session.query(Schedule).filter_by(name="email-digest").one()
        fire = Fire(digest, NOW - timedelta(minutes=15))
        skipped = ScheduleRun(schedule_id=digest.id, fire_time=fire.fire_time, job_id=fire.job_id)
        skipped.state, skipped.reason = "skipped", "the previous run is still queued or running"
        session.add(skipped)
    return sessions
