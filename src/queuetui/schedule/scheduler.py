"""The scheduler daemon: turns due schedules into RQ jobs, once per fire time, while it leads.

Each tick: renew (or take) the lease; unless paused, select the schedules whose indexed
next_fire_at is due, work out the fire times each owes, enqueue them through firing.enqueue
(fenced by the lease, deduplicated by job id), record a run per fire time and advance
next_fire_at, all in one database transaction. Redis is written before the database commits: if
the commit fails (a locked or unreachable database), the next tick finds the same fire times due,
the enqueue answers 'duplicate' and only the records are written. Nothing is lost, nothing runs
twice.

Fire times owed by a schedule are sorted into:
  - on time (less than ON_TIME late): enqueued;
  - late, missed while no scheduler ran, within the schedule's grace: its misfire policy decides
    (skip: recorded as missed; run-once: only the latest runs; catch-up: each runs, at most
    CATCH_UP_LIMIT);
  - older than the grace: recorded as missed.
A snoozed schedule records its fire times as skipped. Overlap 'skip' records a fire time as skipped
while the previous run's job is still queued or running in Redis.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import SYSTEM, Clock
from queuetui.schedule.db import DatabaseError, session_scope
from queuetui.schedule.firing import Fire, Outcome, enqueue
from queuetui.schedule.history import prune
from queuetui.schedule.lease import Lease
from queuetui.schedule.models import Misfire, Overlap, RunState, Schedule, ScheduleRun, Trigger
from queuetui.schedule.outcomes import reconcile
from queuetui.schedule.store import ScheduleError, fire_clock

log = logging.getLogger("queuetui.scheduler")

PAUSE_KEY = "queuetui:scheduler:paused"
ON_TIME = timedelta(seconds=60)
"""A fire time less late than this is a normal run (covers a failover of a few seconds)."""
CATCH_UP_LIMIT = 100
BATCH = 1000
RECONCILE_EVERY = 5.0
"""Seconds between reads of run outcomes (one round trip for up to 1,000 unfinished runs)."""
PRUNE_EVERY = 10.0
"""Seconds between history pruning passes (history.BATCH schedules each)."""
_BUSY = {b"queued", b"started", b"deferred", b"scheduled"}


@dataclass
class TickReport:
    led: bool = False
    paused: bool = False
    due: int = 0
    enqueued: int = 0
    duplicates: int = 0
    skipped: int = 0
    missed: int = 0
    lost_lease: bool = False
    outcomes: int = 0
    """Runs whose state changed as their jobs ran (outcomes.reconcile)."""
    pruned: int = 0
    """Runs deleted by history retention."""
    fires: list[str] = field(default_factory=list)
    """Job ids enqueued by this tick."""


class Scheduler:
    def __init__(
        self,
        connection: redis.Redis,
        sessions: sessionmaker[Session],
        *,
        instance: str,
        clock: Clock = SYSTEM,
        lease: Lease | None = None,
    ) -> None:
        self.connection = connection
        self.sessions = sessions
        self.clock = clock
        self.lease = lease or Lease(connection, instance)
        self._next_reconcile = 0.0
        self._next_prune = 0.0
        self._prune_after = 0

    def tick(self) -> TickReport:
        """One pass: lead or stand by; enqueue and record what is due."""
        report = TickReport(led=self.lease.acquire_or_renew())
        if not report.led:
            return report
        if self.connection.exists(PAUSE_KEY):
            report.paused = True
            return report
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            query = (
                select(Schedule)
                .where(Schedule.enabled.is_(True), Schedule.next_fire_at <= now)
                .order_by(Schedule.next_fire_at)
                .limit(BATCH)
            )
            due = list(session.scalars(query))
            report.due = len(due)
            for schedule in due:
                if not self.lease.held:
                    report.lost_lease = True
                    break
                if not self._fire(session, schedule, now, report):
                    break
        if self.lease.held and self.lease.monotonic() >= self._next_reconcile:
            with session_scope(self.sessions) as session:
                report.outcomes = reconcile(self.connection, session, now)
            self._next_reconcile = self.lease.monotonic() + RECONCILE_EVERY
        if self.lease.held and self.lease.monotonic() >= self._next_prune:
            with session_scope(self.sessions) as session:
                report.pruned, self._prune_after = prune(session, now, self._prune_after)
            self._next_prune = self.lease.monotonic() + PRUNE_EVERY
        return report

    def _owed(self, schedule: Schedule, now: datetime) -> tuple[list[datetime], datetime | None]:
        """The fire times due up to now (at most CATCH_UP_LIMIT + the on-time ones), and the next."""
        following = fire_clock(schedule)
        owed: list[datetime] = []
        fire = schedule.next_fire_at
        while fire is not None and fire <= now:
            owed.append(fire)
            if len(owed) > CATCH_UP_LIMIT and now - fire > ON_TIME:
                return owed, following(now)  # a long outage: skip ahead, owed is bounded
            fire = following(fire)
        return owed, fire

    def _fire(self, session: Session, schedule: Schedule, now: datetime, report: TickReport) -> bool:
        """Handle one due schedule; False when the lease was lost (stop the tick)."""
        owed, following = self._owed(schedule, now)
        grace = timedelta(seconds=schedule.misfire_grace)
        late = [f for f in owed if now - f >= ON_TIME]
        plan: list[tuple[datetime, str, str]] = []  # (fire time, trigger or '', reason when not run)
        for moment in late:
            if now - moment > grace:
                plan.append((moment, "", "missed: older than the misfire grace"))
            elif schedule.misfire == Misfire.SKIP:
                plan.append((moment, "", "missed: misfire policy skip"))
            elif schedule.misfire == Misfire.RUN_ONCE and (moment != late[-1] or len(owed) > len(late)):
                plan.append((moment, "", "missed: misfire policy run-once runs only the latest"))
            else:
                plan.append((moment, Trigger.CATCH_UP, ""))
        plan += [(f, Trigger.CRON, "") for f in owed if now - f < ON_TIME]

        for fire_time, trigger, reason in plan:
            fire = Fire(schedule, fire_time, trigger or Trigger.CRON)
            if not reason and schedule.snoozed_until is not None and fire_time < schedule.snoozed_until:
                reason = f"skipped: snoozed until {schedule.snoozed_until.isoformat()}"
            if not reason and schedule.overlap == Overlap.SKIP and self._previous_busy(session, schedule):
                reason = "skipped: the previous run is still queued or running"
            if reason:
                state = RunState.MISSED if reason.startswith("missed") else RunState.SKIPPED
                record_run(session, fire, state, reason.partition(": ")[2], None)
                report.missed += state == RunState.MISSED
                report.skipped += state == RunState.SKIPPED
                continue
            outcome = enqueue(self.connection, self.lease.value, fire, now)
            if outcome == Outcome.NOT_LEADER:
                report.lost_lease = True
                self.lease.drop()
                return False
            if outcome == Outcome.ENQUEUED:
                report.enqueued += 1
                report.fires.append(fire.job_id)
            else:
                report.duplicates += 1
            record_run(session, fire, RunState.QUEUED, "", now)
            session.flush()
        schedule.next_fire_at = following
        if owed:
            schedule.last_fire_at = owed[-1]
        return True

    def _previous_busy(self, session: Session, schedule: Schedule) -> bool:
        query = (
            select(ScheduleRun.job_id)
            .where(ScheduleRun.schedule_id == schedule.id, ScheduleRun.enqueued_at.is_not(None))
            .order_by(ScheduleRun.fire_time.desc())
            .limit(1)
        )
        previous = session.scalar(query)
        return previous is not None and self.connection.hget(f"rq:job:{previous}", "status") in _BUSY

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Tick until `stop` is set; errors are logged in one line and the loop goes on."""
        leading = False
        while not stop.is_set():
            started = time.monotonic()
            try:
                report = self.tick()
                if report.led != leading:
                    leading = report.led
                    log.info("leading (lease %s)" if leading else "standing by", self.lease.value)
                if report.enqueued or report.missed or report.skipped:
                    log.info(
                        "enqueued %d, skipped %d, missed %d, duplicates %d",
                        report.enqueued, report.skipped, report.missed, report.duplicates,
                    )  # fmt: skip
            except redis.RedisError as exc:
                log.error("Redis: %s; retrying", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                self.lease.drop()
                leading = False
            except DatabaseError as exc:
                log.error("%s; fire times stay due and are enqueued once it is back", exc)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
        with contextlib.suppress(redis.RedisError):  # unreleased, the lease expires on its own
            self.lease.release()


def record_run(session: Session, fire: Fire, state: str, reason: str, enqueued_at: datetime | None) -> None:
    """A run per fire time; a fire time recorded before (a retried tick) is left as it is."""
    exists = session.scalar(select(ScheduleRun.id).where(ScheduleRun.job_id == fire.job_id))
    if exists is None:
        session.add(
            ScheduleRun(
                schedule_id=fire.schedule.id,
                fire_time=fire.fire_time,
                job_id=fire.job_id,
                trigger=fire.trigger,
                state=state,
                reason=reason,
                enqueued_at=enqueued_at,
            )
        )


def run_now(
    connection: redis.Redis, sessions: sessionmaker[Session], name: str, clock: Clock = SYSTEM
) -> str:
    """Enqueue a schedule's job now (trigger run-now); the job id."""
    return _enqueue_by_hand(
        connection, sessions, name, lambda _: [clock.now()], Trigger.RUN_NOW, None, clock
    )[0]


BACKFILL_LIMIT = 1000


def backfill(
    connection: redis.Redis,
    sessions: sessionmaker[Session],
    name: str,
    start: datetime,
    end: datetime,
    *,
    kwarg: str | None = None,
    clock: Clock = SYSTEM,
) -> list[str]:
    """Enqueue every fire time in [start, end] (trigger backfill), each once; the job ids.

    The fire time is in each job's meta, and also passed as keyword argument `kwarg` when given.
    """

    def fire_times(schedule: Schedule) -> list[datetime]:
        following = fire_clock(schedule)
        times: list[datetime] = []
        moment = following(start - timedelta(microseconds=1))
        while moment is not None and moment <= end:
            if len(times) == BACKFILL_LIMIT:
                raise ScheduleError(
                    f"backfill: more than {BACKFILL_LIMIT} fire times between {start.isoformat()} and "
                    f"{end.isoformat()}; narrow the range"
                )
            times.append(moment)
            moment = following(moment)
        return times

    if end < start:
        raise ScheduleError("backfill: the range ends before it starts")
    return _enqueue_by_hand(connection, sessions, name, fire_times, Trigger.BACKFILL, kwarg, clock)


def _enqueue_by_hand(
    connection: redis.Redis,
    sessions: sessionmaker[Session],
    name: str,
    fire_times: Callable[[Schedule], list[datetime]],
    trigger: str,
    kwarg: str | None,
    clock: Clock,
) -> list[str]:
    """An operator's enqueue: no lease needed, each job id still enqueued at most once."""
    with session_scope(sessions) as session:
        schedule = session.scalar(select(Schedule).where(Schedule.name == name))
        if schedule is None:
            raise ScheduleError(f"no schedule named {name!r}")
        now = clock.now()
        fires = [
            Fire(schedule, moment, trigger, {kwarg: moment.isoformat()} if kwarg else {})
            for moment in fire_times(schedule)
        ]
        for fire in fires:
            enqueue(connection, "", fire, now)
            record_run(session, fire, RunState.QUEUED, "", now)
        return [fire.job_id for fire in fires]
