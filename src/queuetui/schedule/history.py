"""Run history retention: each schedule keeps its last keep_runs runs and/or keep_days of them.

The scheduler prunes a few hundred schedules per pass, in id order, wrapping around, so a
database with 100,000 schedules is pruned steadily without a long transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from queuetui.db.models import Schedule, ScheduleRun

BATCH = 200


def prune(session: Session, now: datetime, after_id: int = 0) -> tuple[int, int]:
    """Prune the history of up to BATCH schedules with ids above `after_id`.

    Returns (runs deleted, the id to continue after; 0 once every schedule had its turn).
    """
    query = (
        select(Schedule.id, Schedule.keep_runs, Schedule.keep_days)
        .where(Schedule.id > after_id)
        .order_by(Schedule.id)
        .limit(BATCH)
    )
    batch = session.execute(query).all()
    deleted = 0
    for schedule_id, keep_runs, keep_days in batch:
        of_schedule = ScheduleRun.schedule_id == schedule_id
        if keep_days is not None:
            old = delete(ScheduleRun).where(
                of_schedule, ScheduleRun.fire_time < now - timedelta(days=keep_days)
            )
            deleted += session.execute(old).rowcount or 0  # type: ignore[attr-defined]
        if keep_runs is not None:  # the first run past the newest keep_runs, and every run older
            first_extra = session.execute(
                select(ScheduleRun.fire_time, ScheduleRun.id)
                .where(of_schedule)
                .order_by(ScheduleRun.fire_time.desc(), ScheduleRun.id.desc())
                .offset(keep_runs)
                .limit(1)
            ).first()
            if first_extra is not None:
                fire_time, run_id = first_extra
                older = (ScheduleRun.fire_time < fire_time) | (
                    (ScheduleRun.fire_time == fire_time) & (ScheduleRun.id <= run_id)
                )
                deleted += session.execute(delete(ScheduleRun).where(of_schedule, older)).rowcount or 0  # type: ignore[attr-defined]
    return deleted, batch[-1][0] if len(batch) == BATCH else 0
