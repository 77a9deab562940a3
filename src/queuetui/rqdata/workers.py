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

Health (stale, dead) is decided in rqdata.liveness, from the TTL of each worker's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.rqdata import keys, scripting
from queuetui.rqdata.fields import parse_rq_time, text
from queuetui.rqdata.overview import WorkerInfo, worker_info
from queuetui.rqdata.rows import JobRow, read_rows

CHUNK = 1000


@dataclass(frozen=True)
class WorkerRow:
    info: WorkerInfo
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

    @property
    def health(self) -> str:
        return self.info.health

    @property
    def why(self) -> str:
        return self.info.why

    @property
    def expires_in(self) -> float | None:
        return self.info.expires_in


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
    suffix = keys.worker_executions_key("")[len(keys.WORKER_PREFIX) :]
    replies = scripting.run(connection, _WORKERS_SCRIPT, [suffix], keys=[keys.WORKERS_SET])
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
    try:
        raws_by_key = _read_scripted(connection)
    except scripting.ScriptingRefused:
        raws_by_key = _read_pipelined(connection)
    names = sorted(keys.names(set(raws_by_key), keys.WORKER_PREFIX))  # type: ignore[arg-type]
    raws = [raws_by_key[keys.WORKER_PREFIX + name] for name in names]

    now = clock.now()
    infos = [
        worker_info(name, raw, members, now, ttl)
        for name, (raw, ttl, members) in zip(names, raws, strict=True)
    ]
    running = sorted({i.current_job_id for i in infos if i.current_job_id})
    jobs = {row.id: row for row in read_rows(connection, "", "started", [(j, None) for j in running])}

    rows = []
    for info, (raw, _, _) in zip(infos, raws, strict=True):
        job = jobs.get(info.current_job_id or "")
        started = job.started_at if job is not None else None
        rows.append(
            WorkerRow(
                info=info,
                job=job,
                job_running_seconds=max(0.0, (now - started).total_seconds()) if started else None,
                shutdown_requested=parse_rq_time(raw.get(b"shutdown_requested_date")),
            )
        )
    rows.sort(key=lambda w: (not w.hostname, w.hostname, w.name))
    return Workers(tuple(rows), now)
