"""Per-tenant concurrency limits of `queuetui worker` ([tenants.limits]), across every worker on the Redis.

Each limited tenant has a sorted set of slot holders, `queuetui:tenant-slots:<tenant>`: member the job
id, score the time (epoch seconds) the slot expires. Before a job of a limited tenant runs, one Lua
script drops the expired holders and takes a slot if fewer than the limit hold one. The worker renews
its slot with each heartbeat of the job and gives it back when the job ends, so a worker that dies
loses its slots within SLOT_TTL_MARGIN of its last heartbeat.

A job over its tenant's limit is not run, and the worker takes the next job (another tenant's is not
held up): the job goes to RQ's ScheduledJobRegistry, due DEFER_SECONDS later, and to the tenant's
line of deferred jobs, `queuetui:tenant-deferred:<tenant>`. A worker that gives a slot back puts the
first job of that line that is not yet nearly due back on its queue at once, behind the jobs waiting
there, so a busy tenant runs near its limit without any worker spinning on its jobs; RQ's scheduler
enqueues the others when they are due (and any whose slot holder died).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from queuetui.config import TenantSettings
from queuetui.rqdata import keys

SLOTS_PREFIX = "queuetui:tenant-slots:"
DEFERRED_PREFIX = "queuetui:tenant-deferred:"
DEFER_SECONDS = 2.0
"""How long a job over its tenant's limit waits (in the scheduled registry) before RQ's scheduler puts
it back on its queue, if no slot of its tenant was given back before."""
WAKE_MARGIN = 1.0
"""A given-back slot wakes only deferred jobs due more than this from now (the rest are RQ's scheduler's);
also the clock difference tolerated between Redis and the host running RQ's scheduler."""
SLOT_TTL_MARGIN = 60.0
SCHEDULED_PREFIX = keys.registry_key("", "scheduled")
"""A slot outlives its holder's last heartbeat by the heartbeat interval plus this."""

log = logging.getLogger("queuetui.worker")

# KEYS[1] the tenant's slots; ARGV: now, expiry, job id, limit. 1: the job holds a slot; 0: full.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
  return 1
end
return 0
"""


# KEYS[1] the tenant's deferred line; ARGV: how many to wake, the job, scheduled-registry and queue key
# prefixes, the queues set, WAKE_MARGIN. A job goes back on its queue only while it is due more than
# WAKE_MARGIN from now (Redis' clock): RQ's scheduler reads the due ids, then enqueues them without
# looking again, so a job it may already have read is left to it (taking it too would run it twice).
_WAKE = """
local t = redis.call('TIME')
local horizon = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[6])
local woken, wanted = 0, tonumber(ARGV[1])
while woken < wanted do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not first then break end
  redis.call('ZREM', KEYS[1], first)
  local origin = redis.call('HGET', ARGV[2] .. first, 'origin')
  local due = origin and redis.call('ZSCORE', ARGV[3] .. origin, first)
  if due and tonumber(due) > horizon and redis.call('ZREM', ARGV[3] .. origin, first) == 1 then
    redis.call('HSET', ARGV[2] .. first, 'status', 'queued')
    redis.call('RPUSH', ARGV[4] .. origin, first)
    redis.call('SADD', ARGV[5], ARGV[4] .. origin)
    woken = woken + 1
  end
end
return woken
"""


def deferred_key(tenant: str) -> str:
    """The line of `tenant`'s jobs deferred over its limit, oldest first."""
    return DEFERRED_PREFIX + tenant


def slots_key(tenant: str) -> str:
    """The sorted set of `tenant`'s slot holders."""
    return SLOTS_PREFIX + tenant


class TenantLimiter:
    """Takes, renews and gives back the slots of limited tenants' jobs (one per worker)."""

    def __init__(self, connection: redis.Redis, settings: TenantSettings, slot_ttl: float) -> None:
        self.connection = connection
        self.settings = settings
        self.slot_ttl = slot_ttl
        self._acquire = connection.register_script(_ACQUIRE)
        self._wake = connection.register_script(_WAKE)

    def limit(self, tenant: str) -> int:
        """`tenant`'s limit (0: none; jobs without a tenant are never limited)."""
        return self.settings.limit_for(tenant) if tenant else 0

    def acquire(self, tenant: str, job_id: str) -> bool:
        """Take a slot of `tenant` for `job_id` if one is free (True also when it has no limit)."""
        limit = self.limit(tenant)
        if limit <= 0:
            return True
        now = time.time()
        args: list[float | str | int] = [now, now + self.slot_ttl, job_id, limit]
        return bool(self._acquire(keys=[slots_key(tenant)], args=args))

    def renew(self, tenant: str, job_id: str) -> None:
        """Push back the expiry of the job's slot (with the job's heartbeat); nothing if it holds none."""
        if self.limit(tenant) > 0:
            expiry = time.time() + self.slot_ttl
            with self.connection.pipeline(transaction=False) as pipe:
                pipe.zadd(slots_key(tenant), {job_id: expiry}, xx=True)
                pipe.expireat(slots_key(tenant), int(expiry) + 2)
                pipe.execute()

    def release(self, tenant: str, job_id: str) -> int:
        """Give back the job's slot, and put the first of the tenant's deferred jobs back on its queue."""
        if self.limit(tenant) <= 0:
            return 0
        self.connection.zrem(slots_key(tenant), job_id)
        args: list[int | str | float] = [
            1, keys.JOB_PREFIX, SCHEDULED_PREFIX, keys.QUEUE_PREFIX, keys.QUEUES_SET, WAKE_MARGIN
        ]  # fmt: skip
        return int(self._wake(keys=[deferred_key(tenant)], args=args))

    def defer(self, tenant: str, job: Job, queue: Queue) -> None:
        """Put a job over its tenant's limit in the scheduled registry (due DEFER_SECONDS from now) and
        at the end of its tenant's deferred line."""
        now = datetime.now(UTC)
        with self.connection.pipeline() as pipe:
            pipe.hset(job.key, "status", JobStatus.SCHEDULED.value)
            ScheduledJobRegistry(queue=queue).schedule(
                job, now + timedelta(seconds=DEFER_SECONDS), pipeline=pipe
            )
            pipe.lrem(queue.intermediate_queue_key, 1, job.id)
            pipe.zadd(deferred_key(tenant), {job.id: now.timestamp()})
            pipe.expire(deferred_key(tenant), int(self.slot_ttl) + 60)
            pipe.execute()
