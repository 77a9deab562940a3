"""Every worker as the Workers view shows it: what it runs and for how long, and whether it is alive.

Round trips, whatever the number of workers:
  1. one read-only script: SMEMBERS of the worker set, then per worker HGETALL of its hash, PTTL of
     that key and SMEMBERS of its executions;
  2. the rows of the jobs the workers run (rows.read_rows: one read-only script); skipped when no
     worker is busy.
Where scripting is refused (an ACL without @scripting, a proxy without EVAL), the first becomes
SMEMBERS then a pipeline per CHUNK workers, and the second two pipelines: 4 round trips up to CHUNK
workers. Only read commands are sent: unlike Worker.all(), a worker whose hash is gone is reported,
not removed from the set, and no execution index is pruned.

Liveness comes from the key's time to live, which Redis counts itself, so clocks that differ between
the worker's host and this one do not matter. At every heartbeat RQ sets the worker key's TTL to the
time until the next beat plus 60 s (worker_ttl - 15 s between beats while idle, job_monitoring_interval
while a job runs), so a worker on time always has about 60 s or more left. Less than OVERDUE left means
its heartbeat is late (stale); a key that expired while its name stays in the set, or a hash with RQ's
`death` field, is a worker that is gone (dead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from rq.defaults import DEFAULT_WORKER_TTL

from queuetui.clock import SYSTEM, Clock
from queuetui.rqdata import keys
from queuetui.rqdata.fields import parse_rq_time, text
from queuetui.rqdata.overview import WorkerInfo, worker_info
from queuetui.rqdata.rows import NO_SCRIPTING, JobRow, read_rows

CHUNK = 1000
OVERDUE = 45.0
"""Seconds left on a worker's key below which its heartbeat is late: RQ leaves 60 s or more at each beat."""
UNEXPIRING_STALE = float(DEFAULT_WORKER_TTL)
"""A key without a TTL (not written by RQ's heartbeat): stale once its heartbeat is this old..."""
UNEXPIRING_DEAD = float(DEFAULT_WORKER_TTL + 60)
"""...and gone once RQ would have let it expire."""

OK = "ok"
STALE = "stale"
DEAD = "dead"


@dataclass(frozen=True)
class WorkerRow:
    info: WorkerInfo
    health: str
    """OK, STALE (its heartbeat is late) or DEAD (its hash expired or it registered its death)."""
    why: str
    """What the health is based on, for people ('' when OK)."""
    expires_in: float | None
    """Seconds its key has left; None when it has no TTL or is gone."""
    job: JobRow | None
    """The job it runs (its row as a jobs view reads it); None when idle."""
    job_running_seconds: float | None
    shutdown_requested: datetime | None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def hostname(self) -> str:
        return self.info.hostname


@dataclass(frozen=True)
class Workers:
    workers: tuple[WorkerRow, ...]
    """By host, then name; workers whose host is unknown (hash gone) last."""
    taken_at: datetime

    @property
    def hosts(self) -> list[str]:
        return list(dict.fromkeys(w.hostname for w in self.workers))

    def count(self, health: str) -> int:
        return sum(1 for w in self.workers if w.health == health)

    @property
    def busy(self) -> int:
        return sum(1 for w in self.workers if w.info.state == "busy")


def _health(info: WorkerInfo, raw: dict[bytes, bytes], ttl_ms: int) -> tuple[str, str, float | None]:
    if ttl_ms == -2:
        return DEAD, "its key expired: no heartbeat for its whole TTL", None
    if not raw:
        return DEAD, "its key holds no worker hash", None
    left = ttl_ms / 1000 if ttl_ms >= 0 else None
    if b"death" in raw:
        return DEAD, f"it registered its death at {text(raw[b'death'])}", left
    if left is not None:
        if left < OVERDUE:
            return STALE, f"heartbeat late: its key expires in {left:.0f}s unless it beats", left
        return OK, "", left
    age = info.heartbeat_age_seconds
    if age is None or age > UNEXPIRING_DEAD:
        return DEAD, "no heartbeat for longer than RQ's worker TTL (its key never expires)", None
    if age > UNEXPIRING_STALE:
        return STALE, "heartbeat late (its key never expires)", None
    return OK, "", None


# A worker's hash, its TTL and its executions, by its key; a key of the wrong type reads as empty.
_Raw = tuple[dict[bytes, bytes], int, set[bytes]]

_WORKERS_SCRIPT = """
local executions = ARGV[1]
local out = {}
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members do
  local key = members[i]
  -- pcall: a key of the wrong type is bad data to show, not a reason to fail the whole read
  local hash = redis.pcall('HGETALL', key)
  if hash.err then hash = {} end
  local running = redis.pcall('SMEMBERS', key .. executions)
  if running.err then running = {} end
  out[i] = {key, hash, redis.call('PTTL', key), running}
end
return out
"""


def _read_scripted(connection: redis.Redis) -> dict[str, _Raw]:
    script = connection.register_script(_WORKERS_SCRIPT)
    suffix = keys.worker_executions_key("")[len(keys.WORKER_PREFIX) :]
    replies = script(keys=[keys.WORKERS_SET], args=[suffix])
    return {
        text(key): (dict(zip(hash_[0::2], hash_[1::2], strict=True)), int(ttl), set(running))
        for key, hash_, ttl, running in replies
    }


def _read_pipelined(connection: redis.Redis) -> dict[str, _Raw]:
    members: set[bytes] = connection.smembers(keys.WORKERS_SET)  # type: ignore[assignment]
    worker_keys = sorted(map(text, members))
    raws: dict[str, _Raw] = {}
    for start in range(0, len(worker_keys), CHUNK):
        chunk = worker_keys[start : start + CHUNK]
        pipe = connection.pipeline(transaction=False)
        for key in chunk:
            pipe.hgetall(key)
            pipe.pttl(key)
            pipe.smembers(keys.worker_executions_key(key[len(keys.WORKER_PREFIX) :]))
        replies = [{} if isinstance(r, redis.ResponseError) else r for r in pipe.execute(False)]
        for i, key in enumerate(chunk):
            raws[key] = (replies[3 * i], int(replies[3 * i + 1]), replies[3 * i + 2])
    return raws


def read_workers(connection: redis.Redis, clock: Clock = SYSTEM) -> Workers:
    """Every registered worker, its health and its current job, in 2 round trips (read-only scripts)."""
    raws_by_key: dict[str, _Raw] | None = None
    if connection.connection_pool not in NO_SCRIPTING:
        try:
            raws_by_key = _read_scripted(connection)
        except redis.ResponseError:
            NO_SCRIPTING.add(connection.connection_pool)
    if raws_by_key is None:
        raws_by_key = _read_pipelined(connection)
    names = sorted(keys.names(set(raws_by_key), keys.WORKER_PREFIX))  # type: ignore[arg-type]
    raws = [raws_by_key[keys.WORKER_PREFIX + name] for name in names]

    now = clock.now()
    infos = [
        worker_info(name, raw, members, now) for name, (raw, _, members) in zip(names, raws, strict=True)
    ]
    running = sorted({i.current_job_id for i in infos if i.current_job_id})
    jobs = {row.id: row for row in read_rows(connection, "", "started", [(j, None) for j in running])}

    rows = []
    for info, (raw, ttl_ms, _) in zip(infos, raws, strict=True):
        health, why, left = _health(info, raw, int(ttl_ms))
        job = jobs.get(info.current_job_id or "")
        started = job.started_at if job is not None else None
        rows.append(
            WorkerRow(
                info=info,
                health=health,
                why=why,
                expires_in=left,
                job=job,
                job_running_seconds=max(0.0, (now - started).total_seconds()) if started else None,
                shutdown_requested=parse_rq_time(raw.get(b"shutdown_requested_date")),
            )
        )
    rows.sort(key=lambda w: (not w.hostname, w.hostname, w.name))
    return Workers(tuple(rows), now)
