"""What an operator does to schedules that writes to Redis: run now, backfill, pause every schedule.

Each is one audited mutation (refused when read-only, recorded with its outcome, a Redis error
included), shared by the CLI and the console. Changes that only touch the database (add, edit,
enable, snooze, remove) are ScheduleStore's.

Every change to a schedule has a dry run first, as job actions do, in the console and the CLI alike:

    change = operator.plan("schedule.backfill", "nightly", start=start, end=end)  # reads only
    change.lines, change.total      # what it will do, in words; how many jobs (the typed count)
    operator.apply(change)          # does it, once the operator said yes; refused when it moved on
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import func, select

from queuetui.db.engine import session_scope
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.schedule.scheduler import PAUSE_KEY, backfill, backfill_times, run_now
from queuetui.schedule.store import ScheduleError, ScheduleStore, fire_clock

SKIPPED_SHOWN = 1000
"""A snooze's dry run counts the fire times it skips up to this many."""

CHANGES = (
    "schedule.run-now",
    "schedule.enable",
    "schedule.disable",
    "schedule.snooze",
    "schedule.backfill",
    "schedule.rm",
    "scheduler.pause",
    "scheduler.resume",
)


@dataclass(frozen=True)
class ScheduleChange:
    """A change's dry run: what it will do, bound to what the operator saw when asking for it."""

    action: str
    name: str = ""
    """The schedule ('' for pausing or resuming every schedule)."""
    lines: tuple[str, ...] = ()
    total: int = 1
    """How much it does: the jobs a backfill enqueues, the schedules a pause stops; the typed count."""
    until: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    kwarg: str | None = None
    fires: tuple[datetime, ...] = ()
    """A backfill's fire times, checked again when it runs."""
    nothing: bool = False
    """Nothing to do (already in that state): no question, no change."""

    @property
    def title(self) -> str:
        return f"Dry run of {self.action}" + (f" on {self.name}" if self.name else "")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else "never"


class ScheduleOperator:
    def __init__(self, store: ScheduleStore, connection: redis.Redis) -> None:
        self.store = store
        self.connection = connection

    def run_now(self, name: str) -> str:
        """Enqueue the schedule's job now, once (trigger run-now); the job id."""
        with self.store.audit.mutation("schedule.run-now", target=name) as entry:
            job_id = run_now(self.connection, self.store.sessions, name, self.store.clock)
            entry.detail["job_id"] = job_id
            entry.done = 1
        return job_id

    def backfill(self, name: str, start: datetime, end: datetime, kwarg: str | None = None) -> list[str]:
        """Enqueue every fire time in [start, end] once (trigger backfill); the job ids."""
        target = f"{name} {start.isoformat()}..{end.isoformat()}"
        with self.store.audit.mutation("schedule.backfill", target=target) as entry:
            job_ids = backfill(
                self.connection, self.store.sessions, name, start, end, kwarg=kwarg, clock=self.store.clock
            )
            entry.done = len(job_ids)
        return job_ids

    def pause_all(self, paused: bool = True) -> None:
        """Pause every schedule at the scheduler's next tick (maintenance), or end the pause."""
        action = "scheduler.pause" if paused else "scheduler.resume"
        with self.store.audit.mutation(action, target="every schedule") as entry:
            if paused:
                who = f"{self.store.audit.actor.user} at {self.store.clock.now().isoformat()}"
                self.connection.set(PAUSE_KEY, who)
            else:
                self.connection.delete(PAUSE_KEY)
            entry.done = 1

    # -- dry runs

    def plan(
        self,
        action: str,
        name: str = "",
        *,
        until: datetime | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        kwarg: str | None = None,
    ) -> ScheduleChange:
        """The dry run of a schedule change: what `apply` would do, in words (reads only)."""
        if action == "scheduler.pause" or action == "scheduler.resume":
            return self._plan_pause(action == "scheduler.pause")
        if action not in CHANGES:
            raise ScheduleError(f"no schedule change {action!r} (one of: {', '.join(CHANGES)})")
        now = self.store.clock.now()
        with session_scope(self.store.sessions) as session:
            schedule = session.scalar(select(Schedule).where(Schedule.name == name))
            if schedule is None:
                raise ScheduleError(f"no schedule named {name!r}")
            job = f"{schedule.func} on queue {schedule.queue}"
            if action == "schedule.run-now":
                lines = [f"run {name} now: enqueue 1 job of {job}, once (trigger run-now)"]
                return ScheduleChange(action, name, tuple(lines))
            if action in ("schedule.enable", "schedule.disable"):
                return self._plan_enabled(schedule, action == "schedule.enable", now)
            if action == "schedule.snooze":
                return self._plan_snooze(schedule, until, now)
            if action == "schedule.rm":
                runs = session.scalar(
                    select(func.count())
                    .select_from(ScheduleRun)
                    .where(ScheduleRun.schedule_id == schedule.id)
                )
                lines = [
                    f"delete {name} and its {runs or 0:,} runs of history ({job})",
                    "  jobs already enqueued stay",
                ]
                return ScheduleChange(action, name, tuple(lines))
            if start is None or end is None:
                raise ScheduleError("backfill: give the range, FROM and TO")
            fires = tuple(backfill_times(schedule, start, end))
            lines = [f"backfill {name}: enqueue {len(fires):,} runs of {job} (trigger backfill)"]
            if fires:
                lines.append(f"  first {_when(fires[0])}, last {_when(fires[-1])}")
            else:
                lines.append(f"  no fire time between {_when(start)} and {_when(end)}")
            return ScheduleChange(
                action, name, tuple(lines), len(fires), start=start, end=end, kwarg=kwarg, fires=fires,
                nothing=not fires,
            )  # fmt: skip

    def _plan_enabled(self, schedule: Schedule, enabled: bool, now: datetime) -> ScheduleChange:
        action = "schedule.enable" if enabled else "schedule.disable"
        if schedule.enabled == enabled:
            state = "enabled" if enabled else "disabled"
            return ScheduleChange(
                action, schedule.name, (f"{schedule.name} is already {state}: nothing to do",), nothing=True
            )
        if enabled:
            next_fire = fire_clock(schedule)(now)
            line = f"enable {schedule.name}: it fires again, next at {_when(next_fire)}"
        else:
            next_fire = schedule.next_fire_at
            line = (
                f"disable {schedule.name}: it stops firing until enabled (next fire time {_when(next_fire)})"
            )
        return ScheduleChange(action, schedule.name, (line,))

    def _plan_snooze(self, schedule: Schedule, until: datetime | None, now: datetime) -> ScheduleChange:
        name = schedule.name
        if until is None:
            if schedule.snoozed_until is None or schedule.snoozed_until <= now:
                return ScheduleChange(
                    "schedule.snooze", name, (f"{name} is not snoozed: nothing to do",), nothing=True
                )
            return ScheduleChange("schedule.snooze", name, (f"wake {name}: it fires again from now",))
        following = fire_clock(schedule)
        skipped: list[datetime] = []
        moment = following(now)
        while moment is not None and moment < until and len(skipped) <= SKIPPED_SHOWN:
            skipped.append(moment)
            moment = following(moment)
        count = f"more than {SKIPPED_SHOWN:,}" if len(skipped) > SKIPPED_SHOWN else f"{len(skipped):,}"
        lines = [f"snooze {name} until {_when(until)}: {count} fire times skipped (recorded as skipped runs)"]
        if skipped:
            lines.append(f"  the first {_when(skipped[0])}; it fires again at {_when(moment)}")
        return ScheduleChange("schedule.snooze", name, tuple(lines), until=until)

    def _plan_pause(self, pausing: bool) -> ScheduleChange:
        action = "scheduler.pause" if pausing else "scheduler.resume"
        by = self.paused_by()
        if pausing == bool(by):
            state = f"already paused ({by})" if by else "not paused"
            return ScheduleChange(action, "", (f"every schedule is {state}: nothing to do",), nothing=True)
        with session_scope(self.store.sessions) as session:
            enabled = session.scalar(select(func.count()).select_from(Schedule).where(Schedule.enabled)) or 0
        if pausing:
            line = f"pause every schedule: {enabled:,} enabled schedules stop enqueuing at the next tick"
            return ScheduleChange(action, "", (line, "  until resumed (P again)"), enabled)
        line = f"resume every schedule (paused by {by}): {enabled:,} enabled schedules enqueue again"
        return ScheduleChange(action, "", (line, "  due fire times follow their misfire policy"), enabled)

    def apply(self, change: ScheduleChange) -> str:
        """Do what the dry run said, audited; one line saying what was done."""
        name = change.name
        if change.action == "schedule.run-now":
            return f"{name}: enqueued {self.run_now(name)}"
        if change.action in ("schedule.enable", "schedule.disable"):
            enabled = change.action == "schedule.enable"
            self.store.set_enabled(name, enabled)
            return f"{name}: {'enabled' if enabled else 'disabled'}"
        if change.action == "schedule.snooze":
            self.store.snooze(name, change.until)
            return f"{name}: snoozed until {change.until.isoformat()}" if change.until else f"{name}: awake"
        if change.action == "schedule.rm":
            self.store.remove(name)
            return f"{name}: deleted"
        if change.action in ("scheduler.pause", "scheduler.resume"):
            self.pause_all(change.action == "scheduler.pause")
            return "every schedule paused" if change.action == "scheduler.pause" else "every schedule resumed"
        assert change.start is not None and change.end is not None
        again = self.plan(change.action, name, start=change.start, end=change.end, kwarg=change.kwarg)
        if again.fires != change.fires:
            raise ScheduleError(
                f"{name} changed since the dry run: {again.total:,} runs in the range now "
                f"({change.total:,} in the dry run); nothing enqueued, look again"
            )
        job_ids = self.backfill(name, change.start, change.end, kwarg=change.kwarg)
        return f"{name}: enqueued {len(job_ids):,} fire times"

    def paused_by(self) -> str:
        """Who paused every schedule and when ('' when not paused)."""
        value = self.connection.get(PAUSE_KEY)
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")
