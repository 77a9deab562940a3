"""The sampler: every few seconds, each queue's counts, flows and run times, written as bounded series.

Several samplers may run (in each scheduler process and as `queuetui monitor`); the one holding the
metrics lease (daemon/lease.py, with keys of its own) samples, and every write is fenced by its
token (series.Writes), so a sample is never counted twice, even across a failover: the cursor the
counts continue from lives in Redis, not in the process.

What a sample counts, and from where (RQ 3.0 keeps no per-queue counters):
  - waiting, running, failed, oldest waiting age: the overview snapshot (rqdata/overview.py);
  - finished and failed since the previous sample: the members added to the queue's finished and
    failed registries. RQ scores a member by when it expires (end time + result_ttl / failure_ttl),
    so for the jobs of one queue, which share their TTLs in practice, a newer job has a higher
    score; the cursor keeps the highest score seen and how many members had it, and the jobs above
    it are the new ones (+inf members, result_ttl=-1, are counted by their number). Exact while a
    queue's TTLs are uniform; a job kept with result_ttl=0 is never in a registry and not counted.
    Workers' successful/failed counters were the other candidate: they are per worker, not per
    queue, and vanish with their worker's hash.
  - enqueued: by conservation, what entered the queue is the growth of waiting and running plus
    what finished or failed meanwhile (never below 0; a job cancelled or deleted while waiting
    hides one enqueue).
  - per tenant (job meta [tenants] meta_key, decoded as data, never unpickled): the finished and
    failed counts above split by the tenants of the newly ended jobs whose hashes the sample reads
    (the same jobs as the run times below, the meta read in the same round trip); when more ended
    than were read, the read jobs' split is scaled up to the exact counts (largest remainder).
    A queue's first [tenants] metrics_top tenants seen (within the FINE retention) get series of
    their own, busiest first; the others count together as OTHER. A tenant's point is written only in
    a sample where its jobs ended. metrics_top = 0 records none.
  - run times: for up to TIMED_PER_QUEUE of the newly ended jobs per queue and registry (fewer when
    many queues share TIMED_PER_SAMPLE), the execution start and end of the job's latest RQ result
    (rq:results:<id>), else the job hash's started_at/ended_at, grouped by function (decoded as
    data by rqdata.payload, never unpickled).

A sample costs a bounded number of round trips whatever the queue sizes: the lease (1-2), the
snapshot (3), the cursor (1), the registries (1, one read-only script), the ended jobs (2, when any)
and the fenced write (1); a roll-up to the COARSE resolution adds 3 every five minutes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis

from queuetui.clock import SYSTEM, Clock
from queuetui.config import TenantSettings
from queuetui.daemon.lease import Lease
from queuetui.metrics.series import (
    COARSE,
    FINE,
    MAX_FUNCTIONS,
    OTHER,
    PREFIX,
    TOTALS_KEY,
    FunctionPoint,
    QueuePoint,
    Resolution,
    TenantPoint,
    Writes,
    function_point,
    read_bucket,
)
from queuetui.rqdata import keys
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.fields import parse_rq_time, text
from queuetui.rqdata.overview import Overview, snapshot
from queuetui.rqdata.payload import decode_call
from queuetui.rqdata.rows import RESULTS_PREFIX, read_raw
from queuetui.rqdata.search import tenant_in

log = logging.getLogger("queuetui.metrics")

LEASE_KEY = f"{PREFIX}:lease"
FENCE_KEY = f"{PREFIX}:fence"
CURSOR_KEY = f"{PREFIX}:cursor"
INTERVAL = 10.0
"""Seconds between samples by default (FINE's step)."""
TIMED_PER_QUEUE = 200
"""Newly ended jobs per queue and registry whose run time a sample reads (the counts are exact)..."""
TIMED_PER_SAMPLE = 2000
"""...and in all (down to 10 per queue and registry): decoding each job's payload costs time."""
RESERVOIR = 2000
"""Run times kept per function for a COARSE bucket's percentiles."""
ROLL_UP_LIMIT = 12
"""COARSE buckets rolled up at most in one sample: after a long stop, the one it stopped in and the latest."""
UNDECODABLE = "(undecodable)"

_REGISTRY_DELTAS = """
local limit = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 2 do
  local key, seen_key, base = KEYS[i], KEYS[i + 1], 1 + (i - 1) / 2 * 3
  local mark, seen, seen_inf = ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  local inf = redis.call('ZCOUNT', key, '+inf', '+inf')
  local top = redis.call('ZREVRANGEBYSCORE', key, '(+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local new, ids = 0, {}
  if mark ~= '' then
    local above = redis.call('ZCOUNT', key, '(' .. mark, '(+inf')
    if above > 0 then
      ids = redis.call('ZREVRANGEBYSCORE', key, '(+inf', '(' .. mark, 'LIMIT', 0, limit)
    end
    local same = redis.call('ZCOUNT', key, mark, mark)
    local unseen = 0
    if same <= limit then
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', key, mark, mark)) do
        if redis.call('SISMEMBER', seen_key, id) == 0 then
          unseen = unseen + 1
          if #ids < limit then ids[#ids + 1] = id end
        end
      end
    else
      unseen = math.max(0, same - seen)
    end
    new = above + unseen + math.max(0, inf - seen_inf)
  end
  if top[1] then mark = top[2] end
  local at_mark = {}
  if mark ~= '' then at_mark = redis.call('ZRANGEBYSCORE', key, mark, mark, 'LIMIT', 0, limit) end
  local count = 0
  if mark ~= '' then count = redis.call('ZCOUNT', key, mark, mark) end
  out[#out + 1] = {new, mark, count, inf, ids, at_mark}
end
return out
"""
_COUNTED = ("finished", "failed")


@dataclass(frozen=True)
class Sample:
    """What one sample recorded."""

    overview: Overview
    queues: dict[str, QueuePoint]
    functions: dict[tuple[str, str], FunctionPoint] = field(default_factory=dict)
    tenants: dict[tuple[str, str], TenantPoint] = field(default_factory=dict)
    """(queue, tenant) -> its jobs ended since the previous sample (tenants with any only)."""
    rolled_up: tuple[float, ...] = ()
    """COARSE buckets (start times) this sample rolled up."""

    @property
    def at(self) -> float:
        """The sample's time as its points carry it: epoch seconds to the millisecond."""
        return round(self.overview.taken_at.timestamp(), 3)


@dataclass
class _Cursor:
    at: float | None = None
    rolled: float | None = None
    registries: dict[tuple[str, str], tuple[str, int, int]] = field(default_factory=dict)
    """(queue, registry) -> (highest finite score seen, members at it, +inf members)."""
    flows: dict[str, tuple[int, int]] = field(default_factory=dict)
    """queue -> (waiting, running) at the previous sample."""

    @classmethod
    def decode(cls, raw: dict[bytes, bytes]) -> _Cursor:
        cursor = cls()
        for key, value in ((text(k), text(v)) for k, v in raw.items()):
            kind, _, rest = key.partition("|")
            if kind == "at":
                cursor.at = float(value)
            elif kind == "rolled":
                cursor.rolled = float(value)
            elif kind == "reg":
                queue, _, registry = rest.rpartition("|")
                mark, seen, seen_inf = value.split(" ")
                cursor.registries[(queue, registry)] = (mark, int(seen), int(seen_inf))
            elif kind == "flow":
                waiting, running = value.split(" ")
                cursor.flows[rest] = (int(waiting), int(running))
        return cursor


class Sampler:
    def __init__(
        self,
        connection: redis.Redis,
        *,
        instance: str,
        clock: Clock = SYSTEM,
        interval: float = INTERVAL,
        lease: Lease | None = None,
        fine: Resolution = FINE,
        coarse: Resolution = COARSE,
        tenants: TenantSettings | None = None,
    ) -> None:
        """`tenants`: the job meta key of a job's tenant, and how many tenants a queue gets series for."""
        self.connection = connection
        self.tenants = tenants or TenantSettings()
        self.clock = clock
        self.interval = interval
        self.fine = fine
        self.coarse = coarse
        ttl = max(3 * interval, 5.0)
        self.lease = lease or Lease(
            connection, instance, ttl=ttl, margin=ttl / 5, key=LEASE_KEY, fence_key=FENCE_KEY
        )

    def sample(self) -> Sample | None:
        """Take one sample and write it, if this sampler leads; None when another one does."""
        if not self.lease.acquire_or_renew():
            return None
        overview = snapshot(self.connection, self.clock)
        at = round(overview.taken_at.timestamp(), 3)
        names = [q.name for q in overview.queues]
        pipe = self.connection.pipeline(transaction=False)
        pipe.hgetall(CURSOR_KEY)
        pipe.zrange(self.fine.index_key, 0, -1)
        raw_cursor, index = pipe.execute()
        cursor = _Cursor.decode(raw_cursor)
        known: dict[str, set[str]] = defaultdict(set)
        tracked: dict[str, set[str]] = defaultdict(set)
        for name in map(json.loads, index):
            if name[0] == "func":
                known[name[1]].add(name[2])
            elif name[0] == "tenant":
                tracked[name[1]].add(name[2])
        tenant_series = [(q, t) for q, ts in tracked.items() for t in ts]

        writes = Writes()
        deltas, ended = self._registry_deltas(names, cursor, writes)
        durations, read_tenants = self._ended(ended, known)
        points: dict[str, QueuePoint] = {}
        seconds = round(at - cursor.at, 3) if cursor.at is not None else 0.0
        for queue in overview.queues:
            finished, failures = deltas[(queue.name, "finished")], deltas[(queue.name, "failed")]
            # A queue new since the previous sample grew from nothing; at the first sample, unknown.
            previous = cursor.flows.get(queue.name, (0, 0) if cursor.at is not None else None)
            enqueued = 0
            if previous is not None:
                grown = queue.waiting - previous[0] + queue.started - previous[1]
                enqueued = max(0, grown + finished + failures)
            oldest = queue.oldest_waiting_seconds
            point = QueuePoint(
                at, queue.waiting, queue.started, queue.failed, enqueued, finished, failures,
                None if oldest is None else round(oldest, 3), seconds,
            )  # fmt: skip
            points[queue.name] = point
            writes.point(self.fine, ["queue", queue.name], point)
            writes.add("HSET", CURSOR_KEY, f"flow|{queue.name}", f"{queue.waiting} {queue.started}")
            for kind, count in (("enqueued", enqueued), ("finished", finished), ("failed", failures)):
                if count:
                    writes.add("HINCRBY", TOTALS_KEY, f"{queue.name}|{kind}", count)
        functions: dict[tuple[str, str], FunctionPoint] = {}
        bucket = math.floor(at / self.coarse.step) * self.coarse.step
        for (queue_name, func), values in durations.items():
            functions[(queue_name, func)] = function_point(at, values)
            writes.point(self.fine, ["func", queue_name, func], functions[(queue_name, func)])
            writes.histogram(queue_name, func, values, at)
            reservoir = f"{PREFIX}:reservoir:{int(bucket)}"
            writes.add("RPUSH", f"{reservoir}:{queue_name}:{func}", *map(repr, values))
            writes.add("LTRIM", f"{reservoir}:{queue_name}:{func}", -RESERVOIR, -1)
            writes.add("PEXPIRE", f"{reservoir}:{queue_name}:{func}", int(3 * self.coarse.step * 1000))
            writes.add("SADD", reservoir, json.dumps([queue_name, func]))
            writes.add("PEXPIRE", reservoir, int(3 * self.coarse.step * 1000))
        tenants: dict[tuple[str, str], TenantPoint] = {}
        if self.tenants.metrics_top:
            for (queue_name, tenant), (finished, failures) in _by_tenant(
                deltas, read_tenants, tracked, self.tenants.metrics_top
            ).items():
                tenants[(queue_name, tenant)] = TenantPoint(at, finished, failures)
                writes.point(self.fine, ["tenant", queue_name, tenant], tenants[(queue_name, tenant)])
        rolled = self._roll_up(cursor, bucket, names, tenant_series, writes)
        writes.add("HSET", CURSOR_KEY, "at", repr(at), "rolled", repr(bucket - self.coarse.step))
        stale = [f"flow|{q}" for q in cursor.flows if q not in points]
        gone = [(q, r) for q, r in cursor.registries if q not in points]
        stale += [f"reg|{q}|{r}" for q, r in gone]
        if stale:
            writes.add("HDEL", CURSOR_KEY, *stale)
            for name, registry in gone:
                writes.add("DEL", _seen_key(name, registry))
        if not writes.flush(self.connection, self.lease.key, self.lease.value):
            self.lease.drop()  # another sampler took over meanwhile: nothing was written
            return None
        return Sample(overview, points, functions, tenants, rolled)

    def _registry_deltas(
        self, queues: Sequence[str], cursor: _Cursor, writes: Writes
    ) -> tuple[dict[tuple[str, str], int], list[tuple[str, str, str]]]:
        """Jobs new to each queue's finished and failed registries, and (queue, registry, id) of those
        to read (run time, tenant)."""
        pairs = [(q, r) for q in queues for r in _COUNTED]
        if not pairs:
            return {}, []
        args: list[str | int] = [max(10, min(TIMED_PER_QUEUE, TIMED_PER_SAMPLE // len(pairs)))]
        for pair in pairs:
            mark, seen, seen_inf = cursor.registries.get(pair, ("", 0, 0))
            if not mark and cursor.at is not None:  # empty until now: everything in it is new
                mark = "-inf"
            args += [mark, seen, seen_inf]
        registry_keys = [k for q, r in pairs for k in (keys.registry_key(q, r), _seen_key(q, r))]
        replies = self.connection.eval(_REGISTRY_DELTAS, len(registry_keys), *registry_keys, *args)
        deltas: dict[tuple[str, str], int] = {}
        ended: list[tuple[str, str, str]] = []
        for (queue, registry), reply in zip(pairs, replies, strict=True):
            new, mark, count, inf, ids, at_mark = reply
            deltas[(queue, registry)] = int(new)
            ended += [(queue, registry, text(i)) for i in ids]
            value = f"{text(mark)} {int(count)} {int(inf)}"
            writes.add("HSET", CURSOR_KEY, f"reg|{queue}|{registry}", value)
            writes.add("DEL", _seen_key(queue, registry))
            if at_mark:
                writes.add("SADD", _seen_key(queue, registry), *map(text, at_mark))
        return deltas, ended

    def _ended(
        self, ended: list[tuple[str, str, str]], known: dict[str, set[str]]
    ) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], dict[str, int]]]:
        """Run times of ended jobs by (queue, function), from their latest results, and how many of the
        jobs read each tenant has by (queue, registry): two round trips."""
        if not ended:
            return {}, {}
        ids = [job_id for _, _, job_id in ended]
        with_meta = self.tenants.metrics_top > 0
        fields = ("started_at", "ended_at", "meta") if with_meta else ("started_at", "ended_at")
        raws = read_raw(self.connection, ids, fields, True, False)
        pipe = self.connection.pipeline(transaction=False)
        for job_id in ids:
            pipe.xrevrange(RESULTS_PREFIX + job_id, "+", "-", count=1)
        results = pipe.execute(raise_on_error=False)
        durations: dict[tuple[str, str], list[float]] = defaultdict(list)
        tenants: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        decoded: dict[bytes, str] = {}  # the jobs of a tenant often share their meta bytes
        for (queue, registry, _), raw, latest in zip(ended, raws, results, strict=True):
            values, _, data, _ = raw
            if with_meta and values is not None:
                meta = values[2] if isinstance(values[2], bytes) else b""
                if meta not in decoded:
                    decoded[meta] = tenant_in(meta, self.tenants.meta_key) if meta else ""
                tenant = decoded[meta]
                counts = tenants[(queue, registry)]
                counts[tenant] = counts.get(tenant, 0) + 1
            seconds = _result_seconds(latest)
            if seconds is None and values is not None:
                started, finished = parse_rq_time(values[0]), parse_rq_time(values[1])
                if started and finished:
                    seconds = max(0.0, (finished - started).total_seconds())
            if seconds is None:
                continue
            call = decode_call(data) if data is not None else None
            func = call.func_name if call is not None and not call.problem else UNDECODABLE
            if func not in known[queue]:
                if len(known[queue]) >= MAX_FUNCTIONS:
                    func = OTHER
                known[queue].add(func)
            durations[(queue, func)].append(seconds)
        return durations, tenants

    def _roll_up(
        self,
        cursor: _Cursor,
        bucket: float,
        queues: Sequence[str],
        tenants: Sequence[tuple[str, str]],
        writes: Writes,
    ) -> tuple[float, ...]:
        """COARSE points for the buckets that ended since the last roll-up (two round trips, if any)."""
        if cursor.rolled is None:
            return ()
        step = self.coarse.step
        first = max(cursor.rolled + step, bucket - ROLL_UP_LIMIT * step)
        todo = [first + step * i for i in range(ROLL_UP_LIMIT)]
        if cursor.at is not None:  # after a long stop, the bucket it stopped in still has its points
            todo.append(math.floor(cursor.at / step) * step)
        todo = sorted({b for b in todo if cursor.rolled < b < bucket})
        if not todo:
            return ()
        pipe = self.connection.pipeline(transaction=False)
        for start in todo:
            pipe.smembers(f"{PREFIX}:reservoir:{int(start)}")
        reservoirs: list[tuple[float, str, str]] = []
        for start, members in zip(todo, pipe.execute(), strict=True):
            reservoirs += [(start, *json.loads(m)) for m in members]
            writes.add("DEL", f"{PREFIX}:reservoir:{int(start)}")
            bucket_end = start + self.coarse.step - 0.001  # the points of [start, start + step)
            fine_points, fine_tenants = read_bucket(
                self.connection, queues, tenants, start, bucket_end, self.fine
            )
            for queue, fine in fine_points.items():
                if fine:
                    writes.point(self.coarse, ["queue", queue], _rolled(start, fine))
            for (queue, tenant), ended in fine_tenants.items():
                if ended:
                    finished, failures = sum(p.finished for p in ended), sum(p.failures for p in ended)
                    writes.point(
                        self.coarse, ["tenant", queue, tenant], TenantPoint(start, finished, failures)
                    )
        if reservoirs:
            pipe = self.connection.pipeline(transaction=False)
            for start, queue, func in reservoirs:
                pipe.lrange(f"{PREFIX}:reservoir:{int(start)}:{queue}:{func}", 0, -1)
            for (start, queue, func), values in zip(reservoirs, pipe.execute(), strict=True):
                if values:
                    writes.point(
                        self.coarse, ["func", queue, func], function_point(start, map(float, values))
                    )
                writes.add("DEL", f"{PREFIX}:reservoir:{int(start)}:{queue}:{func}")
        return tuple(todo)

    def run(self, stop: threading.Event, listeners: Sequence[Callable[[Sample], None]] = ()) -> None:
        """Sample every `interval` seconds until `stop` is set; each listener gets each sample taken.

        Redis failures are one log line and the loop goes on; a listener's own failures are its own
        to report (alerts.Alerts logs them), so sampling never stops for them.
        """
        leading = False
        while not stop.is_set():
            started = time.monotonic()
            try:
                sample = self.sample()
                if (sample is not None) != leading:
                    leading = sample is not None
                    if leading:
                        log.info("sampling (lease %s)", self.lease.value)
                    else:
                        log.info("standing by (metrics lease %s)", self.lease.holder or "not held")
                if sample is not None:
                    for listener in listeners:
                        listener(sample)
            except REDIS_ERRORS as exc:
                log.error("metrics: %s; retrying", describe_error(exc))
                self.lease.drop()
                leading = False
            stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        with contextlib.suppress(*REDIS_ERRORS):  # unreleased, the lease expires on its own
            self.lease.release()


def start(
    sampler: Sampler, stop: threading.Event, listeners: Sequence[Callable[[Sample], None]] = ()
) -> threading.Thread:
    """Run a sampler on a daemon thread of its own (the scheduler process runs one beside its ticks)."""
    thread = threading.Thread(
        target=sampler.run, args=(stop, listeners), name="queuetui-metrics", daemon=True
    )
    thread.start()
    return thread


def _seen_key(queue: str, registry: str) -> str:
    """The members of a registry at its cursor's score, already counted (a tie of one second)."""
    return f"{PREFIX}:seen:{queue}|{registry}"


def _scaled(read: dict[str, int], total: int) -> dict[str, int]:
    """The split `read` of some jobs scaled to `total` jobs, in whole jobs (largest remainder)."""
    jobs = sum(read.values())
    if jobs == total or not jobs:
        return dict(read)
    shares = {tenant: n * total / jobs for tenant, n in read.items()}
    scaled = {tenant: int(share) for tenant, share in shares.items()}
    left = total - sum(scaled.values())
    for tenant in sorted(shares, key=lambda t: (scaled[t] - shares[t], t))[:left]:
        scaled[tenant] += 1
    return {tenant: n for tenant, n in scaled.items() if n}


def _by_tenant(
    deltas: dict[tuple[str, str], int],
    read: dict[tuple[str, str], dict[str, int]],
    tracked: dict[str, set[str]],
    top: int,
) -> dict[tuple[str, str], tuple[int, int]]:
    """(queue, tenant) -> (finished, failed) since the previous sample: each registry's new jobs split
    as the jobs read split (all OTHER when none was read), the queue's tenants beyond its `top`
    tracked ones counted as OTHER. `tracked` gains the tenants admitted."""
    counts: dict[tuple[str, str], list[int]] = {}
    for (queue, registry), new in deltas.items():
        if not new:
            continue
        split = _scaled(read.get((queue, registry), {}), new) or {OTHER: new}
        for tenant, n in split.items():
            counts.setdefault((queue, tenant), [0, 0])[_COUNTED.index(registry)] += n
    named: dict[tuple[str, str], tuple[int, int]] = {}
    for (queue, tenant), (finished, failures) in sorted(counts.items(), key=lambda kv: -sum(kv[1])):
        if tenant != OTHER and tenant not in tracked[queue]:
            if len(tracked[queue] - {OTHER}) < top:
                tracked[queue].add(tenant)
            else:
                tenant = OTHER
        was = named.get((queue, tenant), (0, 0))
        named[(queue, tenant)] = (was[0] + finished, was[1] + failures)
    return named


def _result_seconds(latest: object) -> float | None:
    """Execution seconds from an XREVRANGE reply of a job's results stream, when it has them."""
    if not isinstance(latest, list) or not latest:
        return None
    entry = latest[0][1]
    started, ended = entry.get(b"execution_started_at"), entry.get(b"execution_ended_at")
    if not started or not ended:
        return None
    try:
        return max(0.0, float(ended) - float(started))
    except ValueError:
        return None


def _rolled(start: float, fine: list[QueuePoint]) -> QueuePoint:
    """A COARSE point from a bucket's FINE points: the last counts, the summed flows, the worst age."""
    last = fine[-1]
    ages = [p.oldest for p in fine if p.oldest is not None]
    return QueuePoint(
        at=start,
        waiting=last.waiting,
        running=last.running,
        failed=last.failed,
        enqueued=sum(p.enqueued for p in fine),
        finished=sum(p.finished for p in fine),
        failures=sum(p.failures for p in fine),
        oldest=max(ages) if ages else None,
        seconds=round(sum(p.seconds for p in fine), 3),
    )
