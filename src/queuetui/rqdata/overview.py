"""The overview snapshot: every queue's counts and every worker's state, in three round trips.

Round trips, whatever the number of jobs, queues or workers:
  1. SMEMBERS of the queue, worker and rate-limit sets (one pipeline);
  2. per queue LLEN, LINDEX 0 and a ZCARD per registry; per worker HGETALL, PTTL (its liveness) and
     SMEMBERS of its executions; per rate limit HGET and two ZCARDs (one pipeline);
  3. HGET enqueued_at of each queue's head job, when any queue has one (one pipeline).
Only read commands are sent: no registry cleanup, no callbacks, nothing expires or moves.
Job payloads are never read, so any RQ serializer works. A key of the wrong type (a registry that is a
hash...) costs the row it belongs to: that queue, worker or rate limit carries an error, the rest reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.rqdata import keys, liveness
from queuetui.rqdata.fields import number, parse_rq_time, text
from queuetui.rqdata.priority import priority_order
from queuetui.rqdata.rows import job_id_of
from queuetui.rqdata.scripting import wrong_type

MAX_ROUND_TRIPS = 3


@dataclass(frozen=True)
class QueueCounts:
    name: str
    waiting: int
    started: int
    failed: int
    scheduled: int
    deferred: int
    finished: int
    canceled: int
    ready: int
    oldest_waiting_seconds: float | None
    """Age of the job at the head of the queue (the next to run); None when the queue is empty."""
    error: str = ""
    """Why some of its counts could not be read (they show as 0); empty when all were."""


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    hostname: str
    pid: int | None
    ip_address: str
    state: str
    queues: tuple[str, ...]
    current_job_id: str | None
    birth: datetime | None
    last_heartbeat: datetime | None
    heartbeat_age_seconds: float | None
    successful: int
    failed: int
    total_working_time: float
    version: str
    health: str = liveness.OK
    """liveness.OK, STALE (its heartbeat is late) or DEAD (its key expired, or it registered its death)."""
    why: str = ""
    """What the health is based on, for people ('' when OK)."""
    expires_in: float | None = None
    """Seconds its key has left; None when it has no TTL or is gone."""
    error: str = ""
    """Why some of it could not be read; empty when all was."""


@dataclass(frozen=True)
class RateLimitCounts:
    key: str
    concurrency: int
    allowed: int
    rate_limited: int
    error: str = ""


@dataclass(frozen=True)
class Overview:
    queues: tuple[QueueCounts, ...]
    workers: tuple[WorkerInfo, ...]
    rate_limits: tuple[RateLimitCounts, ...]
    taken_at: datetime
    errors: tuple[str, ...] = ()
    """Keys of the wrong type that hold the lists themselves (rq:queues...): what is missing, why."""

    def queue(self, name: str) -> QueueCounts | None:
        return next((q for q in self.queues if q.name == name), None)


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


class _Replies:
    """A pipeline's replies in order; a WRONGTYPE reply reads as a default and is noted, any other
    error reply is raised (the server refused, that is no bad data)."""

    def __init__(self, replies: list[Any]) -> None:
        self._replies: Iterator[Any] = iter(replies)
        self.bad: list[str] = []

    def next(self, key: str, kind: str, default: Any) -> Any:
        reply = next(self._replies)
        if isinstance(reply, redis.ResponseError):
            if not wrong_type(reply):
                raise reply
            if f"{key} is not a {kind}" not in self.bad:
                self.bad.append(f"{key} is not a {kind}")
            return default
        return reply

    def take_bad(self) -> str:
        """The wrong-type keys noted since the last call, as one line; '' when none."""
        bad, self.bad = self.bad, []
        return "wrong type of key: " + "; ".join(bad) if bad else ""


def snapshot(connection: redis.Redis, clock: Clock = SYSTEM) -> Overview:
    """Read every queue's counts and every worker's state in at most MAX_ROUND_TRIPS round trips."""
    pipe = connection.pipeline(transaction=False)
    pipe.smembers(keys.QUEUES_SET)
    pipe.smembers(keys.WORKERS_SET)
    pipe.smembers(keys.RATE_LIMIT_KEYS_SET)
    first = _Replies(pipe.execute(raise_on_error=False))
    errors: list[str] = []
    queue_members = first.next(keys.QUEUES_SET, "set", set())
    worker_members = first.next(keys.WORKERS_SET, "set", set())
    limit_members = first.next(keys.RATE_LIMIT_KEYS_SET, "set", set())
    if error := first.take_bad():
        errors.append(error)

    queue_names = priority_order(keys.names(queue_members, keys.QUEUE_PREFIX))
    worker_names = sorted(keys.names(worker_members, keys.WORKER_PREFIX))
    limit_names = sorted(text(m) for m in limit_members)

    pipe = connection.pipeline(transaction=False)
    for name in queue_names:
        pipe.llen(keys.queue_key(name))
        pipe.lindex(keys.queue_key(name), 0)
        for registry in keys.REGISTRIES:
            pipe.zcard(keys.registry_key(name, registry))
    for name in worker_names:
        pipe.hgetall(keys.WORKER_PREFIX + name)
        pipe.pttl(keys.WORKER_PREFIX + name)
        pipe.smembers(keys.worker_executions_key(name))
    for limit in limit_names:
        config_key, allowed_key, limited_key = keys.rate_limit_keys(limit)
        pipe.hget(config_key, "concurrency")
        pipe.zcard(allowed_key)
        pipe.zcard(limited_key)
    replies = _Replies(pipe.execute(raise_on_error=False))

    queue_rows: list[tuple[str, int, str | None, dict[str, int], str]] = []
    for name in queue_names:
        waiting = int(replies.next(keys.queue_key(name), "list", 0))
        head = replies.next(keys.queue_key(name), "list", None)
        counts = {
            registry: int(replies.next(keys.registry_key(name, registry), "sorted set", 0))
            for registry in keys.REGISTRIES
        }
        error = replies.take_bad()
        queue_rows.append((name, waiting, text(head) if head is not None else None, counts, error))
    worker_rows = []
    for name in worker_names:
        data = replies.next(keys.WORKER_PREFIX + name, "hash", {})
        ttl = int(replies.next(keys.WORKER_PREFIX + name, "hash", -2))
        executions = replies.next(keys.worker_executions_key(name), "set", set())
        worker_rows.append((name, data, ttl, executions, replies.take_bad()))
    limit_rows = []
    for limit in limit_names:
        config_key, allowed_key, limited_key = keys.rate_limit_keys(limit)
        concurrency = int(number(replies.next(config_key, "hash", None)))
        allowed = int(replies.next(allowed_key, "sorted set", 0))
        limited = int(replies.next(limited_key, "sorted set", 0))
        limit_rows.append(RateLimitCounts(limit, concurrency, allowed, limited, replies.take_bad()))

    heads = [head for _, _, head, _, _ in queue_rows if head]
    enqueued: dict[str, datetime | None] = {}
    if heads:
        pipe = connection.pipeline(transaction=False)
        for head in heads:
            pipe.hget(keys.job_key(head), "enqueued_at")
        times = _Replies(pipe.execute(raise_on_error=False))
        # A head job whose key is not a hash has no age to show; that is the job's problem, not the queue's.
        enqueued = {head: parse_rq_time(times.next(keys.job_key(head), "hash", None)) for head in heads}

    now = clock.now()
    queues = tuple(
        QueueCounts(
            name=name,
            waiting=waiting,
            oldest_waiting_seconds=_age(now, enqueued.get(head)) if head else None,
            error=error,
            **counts,
        )
        for name, waiting, head, counts, error in queue_rows
    )
    workers = tuple(
        worker_info(name, data, executions, now, ttl, error)
        for name, data, ttl, executions, error in worker_rows
    )
    return Overview(
        queues=queues, workers=workers, rate_limits=tuple(limit_rows), taken_at=now, errors=tuple(errors)
    )


def worker_info(
    name: str, raw: dict[bytes, bytes], executions: set[bytes], now: datetime, ttl_ms: int, error: str = ""
) -> WorkerInfo:
    """A worker from its hash (HGETALL), its executions (SMEMBERS) and the PTTL of its key; state
    'gone' when the hash is."""
    data = {text(k): text(v) for k, v in raw.items()}
    current = sorted(job_id_of(e) for e in executions)
    heartbeat = parse_rq_time(data.get("last_heartbeat"))
    health, why, left = liveness.health(raw, ttl_ms, _age(now, heartbeat))
    pid = data.get("pid", "")
    queues = tuple(q for q in data.get("queues", "").split(",") if q)
    return WorkerInfo(
        name=name,
        hostname=data.get("hostname", ""),
        pid=int(pid) if pid.isdigit() else None,
        ip_address=data.get("ip_address", ""),
        state=data.get("state", "?") if raw else "gone",
        queues=queues,
        current_job_id=current[0] if current else None,
        birth=parse_rq_time(data.get("birth")),
        last_heartbeat=heartbeat,
        heartbeat_age_seconds=_age(now, heartbeat),
        successful=int(number(data.get("successful_job_count"))),
        failed=int(number(data.get("failed_job_count"))),
        total_working_time=number(data.get("total_working_time")),
        version=data.get("version", ""),
        health=health,
        why=why,
        expires_in=left,
        error=error,
    )
