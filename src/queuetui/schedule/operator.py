"""What an operator does to schedules that writes to Redis: run now, backfill, pause every schedule.

Each is one audited mutation (refused when read-only, recorded with its outcome, a Redis error
included), shared by the CLI and the console. Changes that only touch the database (add, edit,
enable, snooze, remove) are ScheduleStore's.
"""

from __future__ import annotations

from datetime import datetime

import redis

from queuetui.schedule.scheduler import PAUSE_KEY, backfill, run_now
from queuetui.schedule.store import ScheduleStore


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

    def paused_by(self) -> str:
        """Who paused every schedule and when ('' when not paused)."""
        value = self.connection.get(PAUSE_KEY)
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")
