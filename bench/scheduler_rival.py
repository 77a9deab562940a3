"""The schedules bench/scheduler.py runs, written for each scheduler, and the rivals' scheduler process.

A schedule here fires at a second, minute and hour of the day (None: every one), in UTC; `cron()`
writes it in each scheduler's dialect: queuetui reads 6 fields with seconds first, croniter (RQ's
CronScheduler) 6 fields with seconds last, crontab (rq-scheduler) 7 fields with seconds first and
the year last.

Run as a script, it is the scheduler process of one rival, started by bench/scheduler.py:
    scheduler_rival.py rq-cron URL COUNT EVERY_SECOND EVERY_MINUTE RECORD
    scheduler_rival.py rq-scheduler URL INTERVAL RECORD
It prints 'ready' once it is about to run its loop, and runs until SIGTERM. Neither rival keeps a
job's fire time on the job, so a thin wrapper writes to RECORD, one line per fire, what the rival
itself computed: RQ's CronScheduler 'job id, due time' (CronJob.next_enqueue_time as it enqueues);
rq-scheduler 'job id, next due time' as it reschedules a cron job (its job ids repeat per fire).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

QUEUE = "bench"
FUNC = "scheduler_rival:noop"


def noop() -> None:
    """The job every schedule enqueues (no worker runs in the bench)."""


@dataclass(frozen=True)
class Spec:
    name: str
    second: int | None
    minute: int | None
    hour: int | None

    def cron(self, dialect: str) -> str:
        s, m, h = (("*" if v is None else str(v)) for v in (self.second, self.minute, self.hour))
        if dialect == "queuetui":
            return f"{s} {m} {h} * * *"
        if dialect == "croniter":
            return f"{m} {h} * * * {s}"
        assert dialect == "crontab"
        return f"{s} {m} {h} * * * *"

    def fires_at(self, moment: datetime) -> bool:
        return (
            self.second in (None, moment.second)
            and self.minute in (None, moment.minute)
            and self.hour in (None, moment.hour)
        )


def busy_mix(count: int, every_second: int, every_minute: int) -> Iterator[Spec]:
    """`every_second` schedules firing every second, `every_minute` once a minute (spread over the
    seconds), the rest hourly (spread over the minutes, at second 0)."""
    for i in range(count):
        if i < every_second:
            yield Spec(f"s{i:06d}", None, None, None)
        elif i < every_second + every_minute:
            yield Spec(f"m{i:06d}", i % 60, None, None)
        else:
            yield Spec(f"h{i:06d}", 0, i % 60, None)


def idle_mix(count: int, now: datetime) -> Iterator[Spec]:
    """Daily schedules, none of which fires in the hour after `now`."""
    for i in range(count):
        yield Spec(f"d{i:06d}", 0, i % 60, (now.hour + 2 + i % 20) % 24)


def _rq_cron(url: str, count: int, every_second: int, every_minute: int, record: TextIO) -> None:
    import redis
    from rq.cron import CronJob, CronScheduler

    from scheduler_rival import noop as job  # importable by this name, not as __main__.noop

    scheduler = CronScheduler(connection=redis.Redis.from_url(url), logging_level="WARNING", name="bench")
    for spec in busy_mix(count, every_second, every_minute):
        scheduler.register(job, QUEUE, cron=spec.cron("croniter"), name=spec.name)
    enqueue = CronJob.enqueue

    def recording(self: CronJob, connection: Any) -> Any:
        due = self.next_enqueue_time
        job = enqueue(self, connection)
        record.write(f"{job.id}\t{due.timestamp() if due else ''}\n")
        return job

    CronJob.enqueue = recording  # type: ignore[method-assign]
    print("ready", flush=True)
    scheduler.start()  # until SIGTERM


def _rq_scheduler(url: str, interval: float, record: TextIO) -> None:
    import redis
    import rq_scheduler.scheduler as module
    from rq_scheduler import Scheduler
    from rq_scheduler.utils import to_unix

    scheduler = Scheduler(queue_name=QUEUE, connection=redis.Redis.from_url(url), interval=interval)
    following = module.get_next_scheduled_time
    enqueue = Scheduler.enqueue_job
    current = [""]

    def recording_next(cron_string: str, use_local_timezone: bool = False) -> Any:
        moment = following(cron_string, use_local_timezone=use_local_timezone)
        record.write(f"{current[0]}\t{to_unix(moment)}\n")
        return moment

    def recording_enqueue(self: Scheduler, job: Any) -> Any:
        current[0] = job.id
        return enqueue(self, job)

    module.get_next_scheduled_time = recording_next
    Scheduler.enqueue_job = recording_enqueue  # type: ignore[method-assign]
    print("ready", flush=True)
    with contextlib.suppress(SystemExit):
        scheduler.run()  # until SIGTERM (its handler raises SystemExit)


def main() -> None:
    warnings.simplefilter("ignore")  # crontab warns about its default_utc on every call
    kind, url = sys.argv[1], sys.argv[2]
    with open(sys.argv[-1], "w") as record:
        if kind == "rq-cron":
            _rq_cron(url, *(int(a) for a in sys.argv[3:6]), record)
        else:
            _rq_scheduler(url, float(sys.argv[3]), record)


if __name__ == "__main__":
    main()
