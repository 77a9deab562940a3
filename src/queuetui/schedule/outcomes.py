"""Run outcomes read back from Redis: what became of each enqueued fire time.

The scheduler reads the jobs of unfinished runs (queued, started, late) with the console's own row
read (rqdata.rows.read_rows: one round trip for up to BATCH jobs, nothing unpickled) and records
state, start, end, duration, worker and the exception summary. It needs nothing from the worker,
so it works for plain `rq worker` processes as well as `queuetui worker`. A run still waiting
after its schedule's misfire grace is marked late (it may still run). A run that becomes failed,
stopped, finished or late yields a webhook notice when its schedule asks for one (notify.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from queuetui.daemon.notify import Notice
from queuetui.db.models import RunState, Schedule, ScheduleRun
from queuetui.rqdata.rows import JobRow, read_rows

BATCH = 1000
WORKER_LENGTH = 200  # schedule_runs.worker, String(200)
OPEN_STATES = (RunState.QUEUED, RunState.STARTED, RunState.LATE)
_FROM_RQ = {
    "queued": RunState.QUEUED,
    "deferred": RunState.QUEUED,
    "scheduled": RunState.QUEUED,
    "started": RunState.STARTED,
    "finished": RunState.FINISHED,
    "failed": RunState.FAILED,
    "stopped": RunState.STOPPED,
    "canceled": RunState.STOPPED,
}
_NOTIFY_FLAG = {
    RunState.FAILED: "notify_on_failure",
    RunState.STOPPED: "notify_on_failure",
    RunState.FINISHED: "notify_on_success",
    RunState.LATE: "notify_on_late",
}


def reconcile(connection: redis.Redis, session: Session, now: datetime) -> tuple[int, list[Notice]]:
    """Bring up to BATCH unfinished runs up to date with their jobs; how many changed, and the
    webhook notices their schedules ask for (to send once this transaction has committed)."""
    query = (
        select(ScheduleRun, Schedule)
        .join(ScheduleRun.schedule)
        .where(ScheduleRun.state.in_([s.value for s in OPEN_STATES]))
        .order_by(ScheduleRun.fire_time)
        .limit(BATCH)
    )
    pending = session.execute(query).all()
    if not pending:
        return 0, []
    rows = read_rows(
        connection, "", "", [(run.job_id, None) for run, _ in pending], payload=False, exceptions=True
    )
    changed = 0
    notices: list[Notice] = []
    for (run, schedule), row in zip(pending, rows, strict=True):
        before = (run.state, run.started_at, run.ended_at)
        _apply(run, row, now, timedelta(seconds=schedule.misfire_grace))
        changed += before != (run.state, run.started_at, run.ended_at)
        flag = _NOTIFY_FLAG.get(RunState(run.state))
        if run.state != before[0] and flag and getattr(schedule, flag) and schedule.webhook_url:
            notices.append(Notice(schedule.webhook_url, _payload(schedule, run)))
    return changed, notices


def _payload(schedule: Schedule, run: ScheduleRun) -> dict[str, object]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "event": str(run.state),
        "schedule": schedule.name,
        "schedule_id": schedule.id,
        "job_id": run.job_id,
        "fire_time": when(run.fire_time),
        "trigger": str(run.trigger),
        "state": str(run.state),
        "started_at": when(run.started_at),
        "ended_at": when(run.ended_at),
        "duration": run.duration,
        "worker": run.worker,
        "exception": run.exception,
        "reason": run.reason,
    }


def _apply(run: ScheduleRun, row: JobRow, now: datetime, grace: timedelta) -> None:
    if not row.readable:  # expired, deleted, or lost with a Redis that restarted empty
        run.state = RunState.UNKNOWN
        run.reason = row.problem
        return
    state = _FROM_RQ.get(row.status, RunState(run.state))
    if state == RunState.QUEUED and now - run.fire_time > grace:
        state = RunState.LATE
        run.reason = f"not started {int(grace.total_seconds())} s after its fire time"
    run.state = state
    run.started_at = row.started_at or run.started_at
    run.ended_at = row.ended_at or run.ended_at
    run.worker = (row.worker or run.worker)[:WORKER_LENGTH]  # a worker may name itself at any length
    if run.started_at and run.ended_at:
        run.duration = (run.ended_at - run.started_at).total_seconds()
    if state in (RunState.FAILED, RunState.STOPPED) and row.exception is not None:
        summary = row.exception.summary()
        run.exception = summary.splitlines()[0][:500] if summary else ""
