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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

import redis
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import SYSTEM, Clock
from queuetui.daemon.lease import Lease
from queuetui.daemon.notify import Notifier
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import Misfire, Overlap, RunState, Schedule, ScheduleRun, Trigger
from queuetui.schedule.cron import CronError
from queuetui.schedule.firing import Fire, Outcome, enqueue_many
from queuetui.schedule.history import prune
from queuetui.schedule.outcomes import reconcile
from queuetui.schedule.store import ScheduleError, fire_clock

log = logging.getLogger("queuetui.scheduler")

PAUSE_KEY = "queuetui:scheduler:paused"
ON_TIME = timedelta(seconds=60)
"""A fire time less late than this is a normal run (covers a failover of a few seconds)."""
CATCH_UP_LIMIT = 100
BATCH = 1000
"""Schedules read per batch; a tick works through batches until none is due or TICK_BUDGET is spent."""
FIRE_BATCH = 5000
"""Fire times enqueued per batch (one Redis round trip, one database transaction)."""
TICK_BUDGET = 1.0
"""Seconds a tick may spend on batches before it lets reconcile, prune and the pause check run."""
RECONCILE_EVERY = 5.0
"""Seconds between reads of run outcomes (one round trip for up to 1,000 unfinished runs)."""
PRUNE_EVERY = 10.0
"""Seconds between history pruning passes (history.BATCH schedules each)."""
_BUSY = {b"queued", b"started", b"deferred", b"scheduled"}
_WAKE_AFTER = 0.002
"""Seconds after a fire time the loop wakes, so the fire time is due when the tick reads it."""


class _LeaseLost(Exception):
    """Redis refused an enqueue: another scheduler holds the lease now."""


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
    next_due: datetime | None = None
    """The earliest next fire time after the tick (while leading): the run loop wakes for it."""


class Scheduler:
    def __init__(
        self,
        connection: redis.Redis,
        sessions: sessionmaker[Session],
        *,
        instance: str,
        clock: Clock = SYSTEM,
        lease: Lease | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.connection = connection
        self.notifier = notifier or Notifier()
        self.sessions = sessions
        self.clock = clock
        self.lease = lease or Lease(connection, instance)
        self._next_reconcile = 0.0
        self._next_prune = 0.0
        self._prune_after = 0

    def tick(self) -> TickReport:
        """One pass: lead or stand by; enqueue and record what is due, a batch at a time."""
        report = TickReport(led=self.lease.acquire_or_renew())
        if not report.led:
            return report
        if self.connection.exists(PAUSE_KEY):
            report.paused = True
            return report
        now = self.clock.now()
        budget_ends = self.lease.monotonic() + TICK_BUDGET
        query = (
            select(Schedule)
            .where(Schedule.enabled.is_(True), Schedule.next_fire_at <= now)
            .order_by(Schedule.next_fire_at)
            .limit(BATCH)
        )
        try:
            while True:
                with session_scope(self.sessions) as session:
                    due = list(session.scalars(query))
                    done = self._fire_batch(session, due, now, report)
                    report.due += done
                if done == len(due) < BATCH or self.lease.monotonic() >= budget_ends:
                    break
                if not self.lease.acquire_or_renew():  # a long tick renews between batches
                    report.lost_lease = True
                    return report
        except _LeaseLost:
            report.lost_lease = True
            self.lease.drop()
            return report
        with session_scope(self.sessions) as session:
            earliest = select(func.min(Schedule.next_fire_at)).where(Schedule.enabled.is_(True))
            report.next_due = session.scalar(earliest)
        if self.lease.held and self.lease.monotonic() >= self._next_reconcile:
            with session_scope(self.sessions) as session:
                report.outcomes, notices = reconcile(self.connection, session, now)
            self.notifier.send(notices)  # after the commit: a notice never tells of an unrecorded state
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

    def _plan(self, schedule: Schedule, owed: list[datetime], now: datetime) -> list[tuple[Fire, str]]:
        """Each owed fire time with the reason it is not run ('missed: ...', 'skipped: ...'), or ''."""
        grace = timedelta(seconds=schedule.misfire_grace)
        late = [f for f in owed if now - f >= ON_TIME]
        plan: list[tuple[Fire, str]] = []
        for moment in late:
            if now - moment > grace:
                reason = "missed: older than the misfire grace"
            elif schedule.misfire == Misfire.SKIP:
                reason = "missed: misfire policy skip"
            elif schedule.misfire == Misfire.RUN_ONCE and (moment != late[-1] or len(owed) > len(late)):
                reason = "missed: misfire policy run-once runs only the latest"
            else:
                reason = ""
            plan.append((Fire(schedule, moment, Trigger.CRON if reason else Trigger.CATCH_UP), reason))
        plan += [(Fire(schedule, f, Trigger.CRON), "") for f in owed if now - f < ON_TIME]
        snoozed = schedule.snoozed_until
        if snoozed is None:
            return plan
        asleep = f"skipped: snoozed until {snoozed.isoformat()}"
        return [(fire, reason or (asleep if fire.fire_time < snoozed else "")) for fire, reason in plan]

    def _fire_batch(self, session: Session, due: list[Schedule], now: datetime, report: TickReport) -> int:
        """Enqueue, record and advance due schedules (up to FIRE_BATCH fire times); how many were done.

        Raises _LeaseLost (rolling the batch back) when Redis refuses our lease: the next leader
        finds the same fire times due, and those already enqueued answer 'duplicate'.
        """
        plans: list[tuple[Schedule, list[datetime], datetime | None, list[tuple[Fire, str]]]] = []
        fires = 0
        for schedule in due:
            if fires >= FIRE_BATCH:
                break
            try:
                owed, following = self._owed(schedule, now)
            except (CronError, ScheduleError) as exc:  # changed behind the store's back, or tzdata changed
                log.error("schedule %r: %s; it does not fire until it is edited", schedule.name, exc)
                plans.append((schedule, [], None, []))
                continue
            plan = self._plan(schedule, owed, now)
            plans.append((schedule, owed, following, plan))
            fires += len(plan)
        if not plans:
            return 0
        if not self.lease.held:
            raise _LeaseLost
        watched = [s for s, _, _, plan in plans if s.overlap != Overlap.ALLOW and plan]
        busy = self._busy_previous(session, watched)
        runs: list[tuple[Fire, str, str]] = []  # (fire, state, reason)
        to_enqueue: list[Fire] = []
        for schedule, _, _, plan in plans:
            previous = busy.get(schedule.id, "")
            for fire, reason in plan:
                if not reason and previous and schedule.overlap == Overlap.SKIP:
                    reason = "skipped: the previous run is still queued or running"
                if reason:
                    state = RunState.MISSED if reason.startswith("missed") else RunState.SKIPPED
                    runs.append((fire, state, reason.partition(": ")[2]))
                    continue
                if previous and schedule.overlap == Overlap.QUEUE:
                    fire = replace(fire, after=previous)
                to_enqueue.append(fire)
                if schedule.overlap != Overlap.ALLOW:
                    previous = fire.job_id  # the run just enqueued is the one the next waits for
        enqueued_at = self.clock.now()  # later than `now` when earlier batches of the tick took a while
        answers = enqueue_many(self.connection, self.lease.value, to_enqueue, enqueued_at)
        if Outcome.NOT_LEADER in answers:
            raise _LeaseLost
        for fire, answer in zip(to_enqueue, answers, strict=True):
            if isinstance(answer, Exception):
                log.error("%s: Redis refused the enqueue: %s", fire.job_id, str(answer).splitlines()[0])
                runs.append((fire, RunState.MISSED, f"Redis refused the enqueue: {answer}"))
                continue
            if answer == Outcome.DUPLICATE:
                report.duplicates += 1
            else:
                report.enqueued += 1
                report.fires.append(fire.job_id)
            runs.append((fire, RunState.QUEUED, ""))
        for _, kind, _ in runs:
            report.missed += kind == RunState.MISSED
            report.skipped += kind == RunState.SKIPPED
        record_runs(session, runs, enqueued_at)
        self._advance(session, [(s, owed, following) for s, owed, following, _ in plans])
        return len(plans)

    def _busy_previous(self, session: Session, schedules: list[Schedule]) -> dict[int, str]:
        """For each schedule, its latest enqueued run's job id if that job is still queued or running."""
        if not schedules:
            return {}
        ids = [s.id for s in schedules]
        newest = (
            select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_time).label("fire_time"))
            .where(ScheduleRun.schedule_id.in_(ids), ScheduleRun.enqueued_at.is_not(None))
            .group_by(ScheduleRun.schedule_id)
            .subquery()
        )
        query = select(ScheduleRun.schedule_id, ScheduleRun.job_id).join(
            newest,
            (ScheduleRun.schedule_id == newest.c.schedule_id) & (ScheduleRun.fire_time == newest.c.fire_time),
        )
        previous: dict[int, str] = {sid: job_id for sid, job_id in session.execute(query)}
        if not previous:
            return {}
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in previous.values():
                pipe.hget(f"rq:job:{job_id}", "status")
            statuses = pipe.execute()
        answers = zip(previous.items(), statuses, strict=True)
        return {sid: job_id for (sid, job_id), status in answers if status in _BUSY}

    @staticmethod
    def _advance(session: Session, done: list[tuple[Schedule, list[datetime], datetime | None]]) -> None:
        """Move each schedule's next fire time on, unless an operator changed it meanwhile.

        The update is conditional on the version the tick read and leaves it as it is: an edit
        made since wins (its own next fire time stands), and the scheduler never makes an
        operator's edit stale.
        """
        table = cast(Table, Schedule.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(next_fire_at=bindparam("b_next"), last_fire_at=bindparam("b_last"))
        )
        rows = [
            {
                "b_id": s.id,
                "b_version": s.version,
                "b_next": following,
                "b_last": owed[-1] if owed else s.last_fire_at,
            }
            for s, owed, following in done
        ]
        session.execute(statement, rows)

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Tick until `stop` is set; errors are logged in one line and the loop goes on."""
        leading = False
        while not stop.is_set():
            started = time.monotonic()
            report = None
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
            pause = interval - (time.monotonic() - started)
            if report is not None and report.next_due is not None:  # wake for the next fire time itself
                until_due = (report.next_due - self.clock.now()).total_seconds() + _WAKE_AFTER
                if until_due > 0 or report.due:  # due already: the tick's budget ran out, go on at once
                    pause = min(pause, until_due)
            stop.wait(max(0.0, pause))
        with contextlib.suppress(redis.RedisError):  # unreleased, the lease expires on its own
            self.lease.release()
        self.notifier.close()


def record_runs(session: Session, runs: list[tuple[Fire, str, str]], enqueued_at: datetime) -> None:
    """A run per (fire, state, reason); a fire time recorded before (a retried tick) is left as it is."""
    ids = [fire.job_id for fire, _, _ in runs]
    recorded: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        recorded.update(session.scalars(select(ScheduleRun.job_id).where(ScheduleRun.job_id.in_(chunk))))
    rows = [
        {
            "schedule_id": fire.schedule.id,
            "fire_time": fire.fire_time,
            "job_id": fire.job_id,
            "trigger": str(fire.trigger),
            "state": str(state),
            "reason": reason,
            "enqueued_at": enqueued_at if state == RunState.QUEUED else None,
        }
        for fire, state, reason in runs
        if fire.job_id not in recorded
    ]
    if rows:
        session.execute(insert(ScheduleRun), rows)


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
        for answer in enqueue_many(connection, "", fires, now):
            if isinstance(answer, Exception):
                raise answer
        record_runs(session, [(fire, RunState.QUEUED, "") for fire in fires], now)
        return [fire.job_id for fire in fires]
