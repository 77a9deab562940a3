"""Turning one fire time of one schedule into one RQ job, exactly once.

The job id is derived from (schedule, fire time, trigger), and the enqueue is a single Lua script
that, atomically in Redis:
  1. checks the scheduler's lease still holds its fencing token (a deposed leader is refused);
  2. sets a 'fired' marker for the job id with NX (a second scheduler, a restart or a retry that
     reaches the same fire time is refused, even after the job itself finished and expired);
  3. saves the job hash as RQ writes it and pushes the id onto the queue.
So no interleaving of schedulers, crashes or retries can put a fire time in a queue twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import JobStatus

from queuetui.schedule.lease import LEASE_KEY
from queuetui.schedule.models import Schedule, Trigger

FIRED_PREFIX = "queuetui:fired:"
FIRED_TTL = 7 * 86400
"""Seconds a fire time stays marked: longer than any outage the scheduler may catch up after."""

_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], unpack(ARGV, 4))
redis.call('RPUSH', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], KEYS[4])
return 1
"""


class Outcome(StrEnum):
    ENQUEUED = "enqueued"
    DUPLICATE = "duplicate"  # this fire time was enqueued before (by us or another scheduler)
    NOT_LEADER = "not-leader"  # the lease moved on: nothing was enqueued


def job_id(schedule_id: int, fire_time: datetime, trigger: str = Trigger.CRON) -> str:
    """The one job id a fire time can have. Cron and catch-up share it: they are the same run."""
    # RQ accepts letters, digits, '_' and '-' in a job id: no '.' before the microseconds.
    stamp = fire_time.strftime("%Y%m%dT%H%M%S") + (f"_{fire_time:%f}" if fire_time.microsecond else "") + "Z"
    kind = "" if trigger in (Trigger.CRON, Trigger.CATCH_UP) else f"-{trigger}"
    return f"qt-{schedule_id}{kind}-{stamp}"


@dataclass(frozen=True)
class Fire:
    schedule: Schedule
    fire_time: datetime
    """UTC."""
    trigger: str = Trigger.CRON
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments added to the schedule's own (a backfill's fire time)."""

    @property
    def job_id(self) -> str:
        return job_id(self.schedule.id, self.fire_time, self.trigger)


def _job_fields(connection: redis.Redis, fire: Fire, now: datetime) -> list[Any]:
    schedule = fire.schedule
    queue = Queue(schedule.queue, connection=connection)
    meta = {
        **(schedule.meta or {}),
        "schedule": schedule.name,
        "schedule_id": schedule.id,
        "fire_time": fire.fire_time.isoformat(),
        "trigger": fire.trigger,
    }
    retry = Retry(schedule.retry_max, interval=schedule.retry_intervals or 0) if schedule.retry_max else None
    job = queue.create_job(
        schedule.func.replace(":", "."),
        args=list(schedule.args or []),
        kwargs={**(schedule.kwargs or {}), **fire.kwargs},
        timeout=schedule.job_timeout,
        result_ttl=schedule.result_ttl,
        failure_ttl=schedule.failure_ttl,
        job_id=fire.job_id,
        meta=meta,
        status=JobStatus.QUEUED,
        retry=retry,
    )
    job.origin = schedule.queue
    job.enqueued_at = now
    fields: list[Any] = []
    for key, value in job.to_dict().items():
        if value is not None:
            fields += [key, value]
    return fields


def enqueue(connection: redis.Redis, lease_value: str, fire: Fire, now: datetime) -> Outcome:
    """Enqueue one fire time if, atomically, we lead and it was never enqueued (one round trip).

    An empty `lease_value` skips the leader check: an operator's run-now or backfill, whose job
    ids are their own, still enqueue at most once.
    """
    key_of = f"rq:job:{fire.job_id}"
    queue_key = f"rq:queue:{fire.schedule.queue}"
    keys = [LEASE_KEY, FIRED_PREFIX + fire.job_id, key_of, queue_key, Queue.redis_queues_keys]
    args = [lease_value, FIRED_TTL, fire.job_id, *_job_fields(connection, fire, now)]
    result = int(connection.eval(_ENQUEUE, len(keys), *keys, *args))
    return {1: Outcome.ENQUEUED, 0: Outcome.DUPLICATE}.get(result, Outcome.NOT_LEADER)
