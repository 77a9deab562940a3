"""The scheduler daemon: turns due schedules into RQ jobs, once per fire time, while it leads.

Leadership is a lease in Redis (lease.py), kept by a thread of its own (lease.Keeper): renewed every
lease_ttl / 3 seconds whatever the ticks are doing, so a tick stuck on the database does not cost
the lease. Standbys try to take it every STANDBY_POLL seconds. A leader that dies stops renewing:
its lease expires at most lease_ttl after its last renewal and a standby takes it within
STANDBY_POLL, then ticks at once; with the defaults (1.5 s, 0.25 s) a failover takes at most
~1.75 s. The trade-off: a leader whose renewals all fail for lease_ttl - lease_ttl/3 = 1 s (Redis
slow or unreachable, a process paused) stops ticking and may lose the lease; fencing (below) keeps
that safe, it only costs a failover. A leader whose database has failed every tick for
db_stall_limit seconds steps down on purpose (logged once) and leaves the lease to the others for
as long, in case one of them reaches the database.

Each tick, while it leads and unless paused, works in batches, each batch one database transaction
holding its reads and its writes (SQLite: an explicit BEGIN, so the reads are one snapshot and a
write fails if anyone wrote since; PostgreSQL: a transaction whose idle time is bounded, so a paused
process cannot hold the fence row for long):
  1. select the schedules whose indexed next_fire_at is due and work out the fire times each owes;
  2. read the fired markers of those fire times (firing.fired_at, one round trip): a fire time
     already enqueued (by a tick whose commit failed or was refused) is recorded as enqueued, at
     its real enqueue time, whatever its lateness;
  3. sort the others (below) and enqueue those to run through firing.enqueue_many (fenced by the
     lease in Redis, deduplicated by job id);
  4. write the fence: the tick's lease token goes into scheduler_fence unless a higher one is there
     (a newer leader wrote), in which case the batch is rolled back and the lease dropped; then
     record a run per fire time, advance next_fire_at, and commit.
Redis is written before the database commits: if the commit fails (a locked or unreachable
database) or is refused (a deposed leader), the next tick finds the same fire times due and their
markers, and only the records are written. Nothing is lost, nothing runs twice, and a deposed
leader that resumes changes nothing.

Fire times owed by a schedule and never enqueued are sorted into:
  - on time (less than on_time late, ON_TIME by default): enqueued;
  - late, missed while no scheduler ran, within the schedule's grace: its misfire policy decides
    (skip: recorded as missed; run-once: only the latest runs; catch-up: each runs, at most
    CATCH_UP_LIMIT);
  - older than the grace: recorded as missed.
A snoozed schedule records its fire times as skipped. Overlap 'skip' records a fire time as skipped
while the previous run's job is still queued or running in Redis.

The log has one line per change of state (leading, standing by, database stalled, stepping down,
Redis lost, recovered); errors that repeat are logged once per ERROR_EVERY seconds with a count.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

import redis
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import SYSTEM, Clock
from queuetui.config import DEFAULT_TENANT_KEY
from queuetui.daemon.lease import Keeper, Lease
from queuetui.daemon.notify import Notifier
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import (
    Misfire,
    Overlap,
    RunState,
    Schedule,
    SchedulerFence,
    ScheduleRun,
    Trigger,
)
from queuetui.rqdata.connection import describe_error
from queuetui.schedule import status
from queuetui.schedule.cron import CronError
from queuetui.schedule.firing import Fire, Outcome, enqueue_many, fired_at
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
LEASE_TTL = 1.5
"""Seconds the lease lives unless renewed; renewed every third of it, counted lost locally a third early."""
STANDBY_POLL = 0.25
"""Seconds between a standby's attempts to take the lease."""
DB_STALL_LIMIT = 30.0
"""Seconds of failing database transactions after which a leader steps down (and stays down as long)."""
ERROR_EVERY = 30.0
"""Seconds between two log lines of the same repeating error (the count of the others is given)."""
FENCE_ROW = "scheduler"
_BUSY = {b"queued", b"started", b"deferred", b"scheduled"}
_WAKE_AFTER = 0.002
"""Seconds after a fire time the loop wakes, so the fire time is due when the tick reads it."""


class _LeaseLost(Exception):
    """Redis refused an enqueue, or the database a write: another scheduler holds the lease now."""


@dataclass
class TickReport:
    led: bool = False
    paused: bool = False
    due: int = 0
    enqueued: int = 0
    duplicates: int = 0
    recovered: int = 0
    """Fire times found enqueued (their fired marker) without a record, recorded now as enqueued."""
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


class _Repeats:
    """Log an error the first time, then once per `every` seconds with the count of those not logged."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}
        self._lock = threading.Lock()

    def error(self, kind: str, message: str, *args: object) -> None:
        """Log `message % args` unless `kind` was logged less than `every` seconds ago."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -math.inf) < self.every:
                self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
                return
            self._last[kind] = now
            unlogged = self._unlogged.pop(kind, 0)
        if unlogged:
            log.error(message + " (%d more like it not logged)", *args, unlogged)
        else:
            log.error(message, *args)

    def logged(self, kind: str) -> None:
        """`kind` was just logged in a line of its own (its first): repeats wait `every` seconds."""
        with self._lock:
            self._last[kind] = time.monotonic()

    def forget(self, kind: str) -> int:
        """Start `kind` afresh (it recovered); how many were not logged since the last line."""
        with self._lock:
            self._last.pop(kind, None)
            return self._unlogged.pop(kind, 0)


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
        lease_ttl: float = LEASE_TTL,
        standby_poll: float = STANDBY_POLL,
        db_stall_limit: float = DB_STALL_LIMIT,
        on_time: timedelta = ON_TIME,
        tenant_key: str = DEFAULT_TENANT_KEY,
    ) -> None:
        self.connection = connection
        self.tenant_key = tenant_key
        self.notifier = notifier or Notifier()
        self.sessions = sessions
        self.clock = clock
        self.instance = instance
        self.lease = lease or Lease(connection, instance, ttl=lease_ttl, margin=lease_ttl / 3)
        self.standby_poll = standby_poll
        self.db_stall_limit = db_stall_limit
        self.on_time = on_time
        """A fire time later than this, never enqueued, runs only as its misfire policy says."""
        self._next_reconcile = 0.0
        self._next_prune = 0.0
        self._prune_after = 0
        self._keeper: Keeper | None = None
        """Set while run() runs: the lease is then kept by its thread, not by tick()."""
        self._wake = threading.Event()
        self._state_lock = threading.Lock()
        self._repeats = _Repeats(ERROR_EVERY)
        self._role = ""
        self._redis_lost_at: float | None = None
        self._db_stalled_at: float | None = None
        """Monotonic time of the first failed database transaction in a row (None: the database answers)."""
        self._db_failures = 0
        self._term_failing_since: float | None = None
        """The same, counted within the present term of leadership (the step-down clock)."""
        self._stepped_down = False
        self._last_tick = 0.0
        self._last_commit = 0.0
        self._lag: float | None = None

    def _leads(self, value: str = "") -> bool:
        """Whether we lead: the keeper's word while run() runs, else renew or take the lease now."""
        led = self.lease.acquire_or_renew() if self._keeper is None else self.lease.held
        return led and (not value or self.lease.value == value)

    def tick(self) -> TickReport:
        """One pass: lead or stand by; enqueue and record what is due, a batch at a time."""
        report = TickReport(led=self._leads())
        if not report.led:
            return report
        value = self.lease.value  # the term this tick works under: its Redis and database writes carry it
        if self.connection.exists(PAUSE_KEY):
            report.paused = True
            return report
        now = self.clock.now()
        self._last_tick = time.time()
        budget_ends = self.lease.monotonic() + TICK_BUDGET
        query = (
            select(Schedule)
            .where(Schedule.enabled.is_(True), Schedule.next_fire_at <= now)
            .order_by(Schedule.next_fire_at)
            .limit(BATCH)
        )
        try:
            while True:
                with self._transaction() as session:
                    due = list(session.scalars(query))
                    done = self._fire_batch(session, due, now, report, value)
                    report.due += done
                self._last_commit = time.time()
                if done == len(due) < BATCH or self.lease.monotonic() >= budget_ends:
                    break
                if not self._leads(value):  # a long tick checks the lease between batches
                    report.lost_lease = True
                    return report
            with self._transaction() as session:
                earliest = select(func.min(Schedule.next_fire_at)).where(Schedule.enabled.is_(True))
                report.next_due = session.scalar(earliest)
            self._lag = max(0.0, (now - report.next_due).total_seconds()) if report.next_due else 0.0
            if self._leads(value) and self.lease.monotonic() >= self._next_reconcile:
                with self._transaction() as session:
                    report.outcomes, notices = reconcile(self.connection, session, now)
                    if session.dirty:
                        fence(session, value, now)
                self.notifier.send(notices)  # after the commit: a notice never tells of an unrecorded state
                self._next_reconcile = self.lease.monotonic() + RECONCILE_EVERY
            if self._leads(value) and self.lease.monotonic() >= self._next_prune:
                with self._transaction() as session:
                    report.pruned, self._prune_after = prune(session, now, self._prune_after)
                    if report.pruned:
                        fence(session, value, now)
                self._next_prune = self.lease.monotonic() + PRUNE_EVERY
        except _LeaseLost:
            report.lost_lease = True
            if self.lease.value == value:
                self.lease.drop()
        return report

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A tick's transaction: its reads and writes in one, on SQLite as on PostgreSQL.

        SQLite's Python driver begins a transaction only before a write, leaving the reads before it
        outside: BEGIN is issued first, so the reads are one snapshot and the first write fails if
        anyone wrote since. PostgreSQL ends the session of a transaction left idle longer than twice
        the lease TTL (a paused process), so it cannot hold the fence row from the next leader.
        """
        with session_scope(self.sessions) as session:
            connection = session.connection()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")
            elif connection.dialect.name == "postgresql":
                idle_ms = max(1000, int(self.lease.ttl * 2000))
                connection.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {idle_ms}")
            yield session

    def _owed(self, schedule: Schedule, now: datetime) -> tuple[list[datetime], datetime | None]:
        """The fire times due up to now (at most CATCH_UP_LIMIT + the on-time ones), and the next."""
        following = fire_clock(schedule)
        owed: list[datetime] = []
        fire = schedule.next_fire_at
        while fire is not None and fire <= now:
            owed.append(fire)
            if len(owed) > CATCH_UP_LIMIT and now - fire > self.on_time:
                return owed, following(now)  # a long outage: skip ahead, owed is bounded
            fire = following(fire)
        return owed, fire

    def _plan(self, schedule: Schedule, owed: list[datetime], now: datetime) -> list[tuple[Fire, str]]:
        """Each owed fire time with the reason it is not run ('missed: ...', 'skipped: ...'), or ''."""
        grace = timedelta(seconds=schedule.misfire_grace)
        late = [f for f in owed if now - f >= self.on_time]
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
        plan += [(Fire(schedule, f, Trigger.CRON), "") for f in owed if now - f < self.on_time]
        snoozed = schedule.snoozed_until
        if snoozed is None:
            return plan
        asleep = f"skipped: snoozed until {snoozed.isoformat()}"
        return [(fire, reason or (asleep if fire.fire_time < snoozed else "")) for fire, reason in plan]

    def _fire_batch(
        self, session: Session, due: list[Schedule], now: datetime, report: TickReport, value: str
    ) -> int:
        """Enqueue, record and advance due schedules (up to FIRE_BATCH fire times); how many were done.

        Raises _LeaseLost (rolling the batch back) when Redis refuses our lease or the fence shows a
        newer leader wrote: that leader finds the same fire times due, and those already enqueued
        by their markers.
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
        planned = [fire.job_id for _, _, _, plan in plans for fire, _ in plan]
        marked = dict(zip(planned, fired_at(self.connection, planned, now), strict=True))
        watched = [s for s, _, _, plan in plans if s.overlap != Overlap.ALLOW and plan]
        busy = self._busy_previous(session, watched)
        runs: list[tuple[Fire, str, str, datetime | None]] = []  # (fire, state, reason, enqueued at)
        to_enqueue: list[Fire] = []
        for schedule, _, _, plan in plans:
            previous = busy.get(schedule.id, "")
            for fire, reason in plan:
                enqueued_at = marked[fire.job_id]
                if enqueued_at is not None:  # enqueued by a tick whose record never reached the database
                    late = enqueued_at - fire.fire_time >= self.on_time
                    trigger = Trigger.CATCH_UP if late else Trigger.CRON
                    runs.append((replace(fire, trigger=trigger), RunState.QUEUED, "", enqueued_at))
                    report.recovered += 1
                    previous = fire.job_id if schedule.overlap != Overlap.ALLOW else previous
                    continue
                if not reason and previous and schedule.overlap == Overlap.SKIP:
                    reason = "skipped: the previous run is still queued or running"
                if reason:
                    state = RunState.MISSED if reason.startswith("missed") else RunState.SKIPPED
                    runs.append((fire, state, reason.partition(": ")[2], None))
                    continue
                if previous and schedule.overlap == Overlap.QUEUE:
                    fire = replace(fire, after=previous)
                to_enqueue.append(fire)
                if schedule.overlap != Overlap.ALLOW:
                    previous = fire.job_id  # the run just enqueued is the one the next waits for
        enqueued_at = self.clock.now()  # later than `now` when earlier batches of the tick took a while
        answers = enqueue_many(self.connection, value, to_enqueue, enqueued_at, self.tenant_key)
        if Outcome.NOT_LEADER in answers:
            raise _LeaseLost
        duplicates = [
            f.job_id for f, answer in zip(to_enqueue, answers, strict=True) if answer == Outcome.DUPLICATE
        ]
        earlier = dict(zip(duplicates, fired_at(self.connection, duplicates, enqueued_at), strict=True))
        for fire, answer in zip(to_enqueue, answers, strict=True):
            if isinstance(answer, Exception):
                log.error("%s: Redis refused the enqueue: %s", fire.job_id, str(answer).splitlines()[0])
                runs.append((fire, RunState.MISSED, f"Redis refused the enqueue: {answer}", None))
                continue
            if answer == Outcome.DUPLICATE:
                report.duplicates += 1
            else:
                report.enqueued += 1
                report.fires.append(fire.job_id)
            runs.append((fire, RunState.QUEUED, "", earlier.get(fire.job_id) or enqueued_at))
        for _, kind, _, _ in runs:
            report.missed += kind == RunState.MISSED
            report.skipped += kind == RunState.SKIPPED
        fence(session, value, enqueued_at)
        record_runs(session, runs)
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
        """Tick until `stop` is set, the lease kept by a thread of its own; errors are logged, it goes on."""
        halt = threading.Event()  # the keeper stops with the loop, whatever ends it: no lease without ticks
        keeper = Keeper(
            self.lease,
            halt,
            renew_every=self.lease.ttl / 3,
            poll_every=self.standby_poll,
            on_change=self._leadership,
            on_error=self._redis_failed,
            on_pass=self._beat,
        )
        self._keeper = keeper
        keeper.start()
        try:
            self._loop(stop, interval)
        finally:
            halt.set()
            keeper.join()
            with contextlib.suppress(redis.RedisError):  # unreleased, the lease expires on its own
                self.lease.release()
                status.forget(self.connection, self.instance)
            self._keeper = None
            self.notifier.close()

    def _loop(self, stop: threading.Event, interval: float) -> None:
        """Tick while leading, until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            report = None
            if self.lease.held:
                try:
                    report = self.tick()
                    self._database_answered()
                    if report.enqueued or report.missed or report.skipped or report.recovered:
                        log.info(
                            "enqueued %d, recorded %d enqueued before, skipped %d, missed %d, duplicates %d",
                            report.enqueued, report.recovered, report.skipped, report.missed,
                            report.duplicates,
                        )  # fmt: skip
                except redis.RedisError as exc:
                    self._redis_failed(exc)
                except DatabaseError as exc:
                    self._database_failed(exc)
            pause = interval - (time.monotonic() - started)
            if report is not None and report.next_due is not None:  # wake for the next fire time itself
                until_due = (report.next_due - self.clock.now()).total_seconds() + _WAKE_AFTER
                if until_due > 0 or report.due:  # due already: the tick's budget ran out, go on at once
                    pause = min(pause, until_due)
            self._wake.wait(max(0.0, pause))  # set by the keeper when it takes the lease
            self._wake.clear()

    def _leadership(self, leading: bool) -> None:
        """The keeper saw leadership start or end: one log line, and a tick at once when it starts."""
        with self._state_lock:
            role = "leading" if leading else "standing by"
            if role == self._role:
                return
            self._role = role
            self._term_failing_since = None
        if leading:
            log.info("leading (lease %s)", self.lease.value)
            self._wake.set()
        else:
            log.info(
                "standing by (%s)",
                "stepped down" if self._stepped_down else f"lease {self.lease.holder or 'free'}",
            )

    def _redis_failed(self, exc: redis.RedisError) -> None:
        """A Redis error on either thread: 'Redis lost' once, then the repeats rate-limited."""
        with self._state_lock:
            first = self._redis_lost_at is None
            if first:
                self._redis_lost_at = time.monotonic()
        if first:
            self._repeats.logged("redis")
            log.error("Redis lost: %s; retrying", describe_error(exc))
        else:
            self._repeats.error("redis", "Redis still failing: %s", describe_error(exc))

    def _database_failed(self, exc: DatabaseError) -> None:
        """A failed tick transaction: 'database stalled' once; stepping down after db_stall_limit."""
        now = time.monotonic()
        with self._state_lock:
            first = self._db_stalled_at is None
            if first:
                self._db_stalled_at = now
            self._db_failures += 1
            if self._term_failing_since is None:
                self._term_failing_since = now
            failing = now - self._term_failing_since
        if first:
            self._repeats.logged("database")
            log.error("database stalled: %s; fire times are still enqueued and recorded once it answers", exc)
        else:
            self._repeats.error("database", "database still failing: %s", exc)
        if failing >= self.db_stall_limit and self.lease.value:
            log.error(
                "database failing for %.0f s: stepping down so another scheduler can lead; "
                "not taking the lease again for %.0f s", failing, self.db_stall_limit,
            )  # fmt: skip
            if self._keeper is not None:
                self._keeper.hold_off(self.db_stall_limit)
            self._stepped_down = True
            with contextlib.suppress(redis.RedisError):  # unreleased, it expires on its own
                self.lease.release()

    def _database_answered(self) -> None:
        """A tick's transactions all committed: 'database recovered' if it had stalled."""
        with self._state_lock:
            stalled_at, failures = self._db_stalled_at, self._db_failures
            self._db_stalled_at, self._db_failures, self._term_failing_since = None, 0, None
            self._stepped_down = False
        if stalled_at is not None:
            self._repeats.forget("database")
            log.info(
                "database recovered after %.1f s (%d failed transactions)",
                time.monotonic() - stalled_at,
                failures,
            )

    def _beat(self) -> None:
        """The keeper reached Redis: 'Redis recovered' if it was lost; write this instance's heartbeat."""
        with self._state_lock:
            lost_at, self._redis_lost_at = self._redis_lost_at, None
        if lost_at is not None:
            unlogged = self._repeats.forget("redis")
            log.info(
                "Redis recovered after %.1f s (%d errors not logged)", time.monotonic() - lost_at, unlogged
            )
        stalled_at = self._db_stalled_at
        leading = self.lease.held
        role = "leading" if leading else ("stepped down" if self._stepped_down else "standing by")
        status.beat(
            self.connection,
            status.Heartbeat(
                instance=self.instance,
                host=socket.gethostname(),
                pid=os.getpid(),
                role=role,
                lease=self.lease.value,
                leading_since=self.lease.since or None,
                last_tick=self._last_tick or None,
                last_commit=self._last_commit or None,
                lag=self._lag if leading else None,
                database="ok" if stalled_at is None else f"stalled for {time.monotonic() - stalled_at:.0f} s",
                beat=time.time(),
            ),
        )


def fence(session: Session, value: str, now: datetime) -> None:
    """Write the lease value into the fence in this transaction, or raise _LeaseLost if a newer
    token wrote there: a deposed leader's transaction is then rolled back and changes nothing.

    On PostgreSQL the row stays locked until the commit, so leaders' writes follow one another; on
    SQLite the write lock does the same, and a snapshot older than another writer's commit fails.
    """
    token = int(value.split(":", 1)[0])
    table = cast(Table, SchedulerFence.__table__)
    guarded = (
        update(table)
        .where(table.c.name == FENCE_ROW, table.c.token <= token)
        .values(token=token, holder=value, written_at=now)
    )
    if session.execute(guarded).rowcount == 1:  # type: ignore[attr-defined]
        return
    if session.scalar(select(table.c.token).where(table.c.name == FENCE_ROW)) is None:  # deleted by hand
        session.execute(insert(table).values(name=FENCE_ROW, token=token, holder=value, written_at=now))
        return
    raise _LeaseLost


def record_runs(session: Session, runs: list[tuple[Fire, str, str, datetime | None]]) -> None:
    """A run per (fire, state, reason, enqueued at); a fire time recorded before (a retried tick) stays."""
    ids = [fire.job_id for fire, _, _, _ in runs]
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
            "enqueued_at": enqueued_at,
        }
        for fire, state, reason, enqueued_at in runs
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

    return _enqueue_by_hand(
        connection, sessions, name, lambda s: backfill_times(s, start, end), Trigger.BACKFILL, kwarg, clock
    )


def backfill_times(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The fire times a backfill of [start, end] enqueues (its dry run and its run alike)."""
    if end < start:
        raise ScheduleError("backfill: the range ends before it starts")
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
        record_runs(session, [(fire, RunState.QUEUED, "", now) for fire in fires])
        return [fire.job_id for fire in fires]
