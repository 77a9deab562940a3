"""Turning one fire time of one schedule into one RQ job, exactly once.

The job id is derived from (schedule, fire time, trigger), and the enqueue is a single Lua script
that, atomically in Redis:
  1. checks the scheduler's lease still holds its fencing token (a deposed leader is refused);
  2. sets a 'fired' marker for the job id with NX (a second scheduler, a restart or a retry that
     reaches the same fire time is refused, even after the job itself finished and expired); the
     marker holds when the job was enqueued ('<epoch seconds>@<lease value>'), so a fire time whose
     record never reached the database (a stalled or refused commit) is recorded later as enqueued,
     at its real time (fired_at);
  3. saves the job hash as RQ writes it and pushes the id onto the queue, or, when the fire time
     queues behind a previous run that is still queued or running (overlap policy 'queue'), defers
     it on that run as RQ does for a dependency: RQ's worker enqueues it when the previous run ends,
     whether it finished or failed.
So no interleaving of schedulers, crashes or retries can put a fire time in a queue twice. A tick's
fire times go to Redis in one pipeline: one round trip for the lot, each fire time still atomic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Dependency, Job, JobStatus
from rq.registry import DeferredJobRegistry

from queuetui.config import DEFAULT_TENANT_KEY
from queuetui.daemon.lease import LEASE_KEY
from queuetui.db.models import Schedule, Trigger

FIRED_PREFIX = "queuetui:fired:"
FIRED_TTL = 7 * 86400
"""Seconds a fire time stays marked: longer than any outage the scheduler may catch up after."""

_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if not redis.call('SET', KEYS[2], ARGV[4] .. '@' .. ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], unpack(ARGV, 6))
if #KEYS > 5 then
  local status = redis.call('HGET', KEYS[6], 'status')
  if status == 'queued' or status == 'started' or status == 'deferred' or status == 'scheduled' then
    redis.call('HSET', KEYS[3], 'status', 'deferred')
    redis.call('ZADD', KEYS[7], ARGV[4], ARGV[3])
    redis.call('SADD', KEYS[8], ARGV[3])
    redis.call('SADD', KEYS[9], ARGV[5])
    return 2
  end
end
redis.call('RPUSH', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], KEYS[4])
return 1
"""


class Outcome(StrEnum):
    ENQUEUED = "enqueued"
    DEFERRED = "deferred"  # saved behind the previous run (overlap 'queue'); RQ enqueues it after
    DUPLICATE = "duplicate"  # this fire time was enqueued before (by us or another scheduler)
    NOT_LEADER = "not-leader"  # the lease moved on: nothing was enqueued


def job_id(schedule_id: int, fire_time: datetime, trigger: str = Trigger.CRON) -> str:
    """The one job id a fire time can have. Cron and catch-up share it: they are the same run."""
    # RQ accepts letters, digits, '_' and '-' in a job id: no '.' before the microseconds.
    t = fire_time  # formatted by hand: strftime was a tenth of a 10,000-fire tick
    stamp = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}"
    stamp += (f"_{t.microsecond:06d}" if t.microsecond else "") + "Z"
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
    after: str = ""
    """The previous run's job id this one queues behind while it is busy (overlap 'queue')."""

    @cached_property
    def job_id(self) -> str:
        return job_id(self.schedule.id, self.fire_time, self.trigger)


def _job(queue: Queue, fire: Fire, now: datetime, tenant_key: str = DEFAULT_TENANT_KEY) -> Job:
    """The RQ job of a fire time, built by RQ itself so its hash is exactly what RQ writes."""
    schedule = fire.schedule
    meta = {
        **(schedule.meta or {}),
        **({tenant_key: schedule.tenant} if schedule.tenant else {}),
        "schedule": schedule.name,
        "schedule_id": schedule.id,
        "fire_time": fire.fire_time.isoformat(),
        "trigger": str(fire.trigger),  # a plain str: an enum would pickle a reference to queuetui
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
        depends_on=Dependency([fire.after], allow_failure=True) if fire.after else None,
    )
    job.origin = schedule.queue
    job.created_at = job.enqueued_at = now
    return job


def _fields(job: Job) -> list[Any]:
    fields: list[Any] = []
    for key, value in job.to_dict().items():
        if value is not None:
            fields += [key, value]
    return fields


def enqueue_many(
    connection: redis.Redis,
    lease_value: str,
    fires: list[Fire],
    now: datetime,
    tenant_key: str = DEFAULT_TENANT_KEY,
) -> list[Any]:
    """Enqueue each fire time if, atomically, we lead and it was never enqueued (one round trip).

    One answer per fire: an Outcome, or the ResponseError Redis gave for that fire time alone
    (a queue key of the wrong type, say); the others are unaffected. An empty `lease_value` skips
    the leader check: an operator's run-now or backfill, whose job ids are their own, still enqueue
    at most once. A schedule's tenant goes into its jobs' meta under `tenant_key`.
    """
    if not fires:
        return []
    script = connection.register_script(_ENQUEUE)
    queues: dict[str, Queue] = {}
    stamp = now.timestamp()
    with connection.pipeline(transaction=False) as pipe:
        for fire in fires:
            name = fire.schedule.queue
            queue = queues.setdefault(name, Queue(name, connection=connection))
            job = _job(queue, fire, now, tenant_key)
            keys = [LEASE_KEY, FIRED_PREFIX + job.id, job.key, queue.key, Queue.redis_queues_keys]
            if fire.after:  # RQ's own key names: rq 3.0 spells the dependencies set 'rq:job::<id>:...'
                keys += [
                    Job.key_for(fire.after),
                    DeferredJobRegistry(name, connection=connection).key,
                    Job.dependents_key_for(fire.after),
                    job.dependencies_key,
                ]
            args = [lease_value, FIRED_TTL, job.id, stamp, fire.after, *_fields(job)]
            script(keys=keys, args=args, client=pipe)
        answers = pipe.execute(raise_on_error=False)
    return [
        answer if isinstance(answer, Exception) else _OUTCOMES.get(int(answer), Outcome.NOT_LEADER)
        for answer in answers
    ]


_OUTCOMES = {1: Outcome.ENQUEUED, 2: Outcome.DEFERRED, 0: Outcome.DUPLICATE}


def fired_at(connection: redis.Redis, job_ids: list[str], unknown: datetime) -> list[datetime | None]:
    """When each job id was enqueued, from its fired marker (one round trip); None if never.

    A marker written before markers carried the time reads as enqueued at `unknown`.
    """
    if not job_ids:
        return []
    markers = connection.mget([FIRED_PREFIX + job for job in job_ids])
    return [None if marker is None else _marker_time(marker, unknown) for marker in markers]


def _marker_time(marker: bytes | str, unknown: datetime) -> datetime:
    stamp, at, _ = (marker.decode() if isinstance(marker, bytes) else marker).partition("@")
    try:
        return datetime.fromtimestamp(float(stamp), UTC) if at else unknown
    except ValueError:
        return unknown


def enqueue(connection: redis.Redis, lease_value: str, fire: Fire, now: datetime) -> Outcome:
    """enqueue_many for one fire time; a ResponseError is raised."""
    (answer,) = enqueue_many(connection, lease_value, [fire], now)
    if isinstance(answer, Exception):
        raise answer
    return Outcome(answer)
