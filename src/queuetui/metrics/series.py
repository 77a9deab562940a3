"""Bounded time series in Redis: what the sampler writes and the console, alerts and exporter read.

Layout (every key under PREFIX, none of RQ's touched):

    {PREFIX}:{res}:queue:{queue}:{chunk}        sorted sets of one queue's points, CHUNK_POINTS
    {PREFIX}:{res}:func:{queue}:{func}:{chunk}  consecutive points per key: score = time (epoch s),
                                                member = compact CSV (see QueuePoint, FunctionPoint)
    {PREFIX}:{res}:tenant:{queue}:{tenant}:{chunk}  a tenant's jobs finished and failed (TenantPoint)
    {PREFIX}:{res}:index                        sorted set of the series (JSON names), score = the
                                                time each was last written
    {PREFIX}:histogram:{queue}:{func}           hash of cumulative run-time bucket counts, sum and
                                                count (the exporter's histograms)
    {PREFIX}:totals                             hash of cumulative enqueued / finished / failed

Two resolutions: FINE (a point per sample, 24 hours) and COARSE (5-minute roll-ups, 30 days).
A series is cut into chunks of CHUNK_POINTS steps, one sorted set each, small enough that Redis
keeps it in its compact listpack encoding (up to 128 members of up to 64 bytes, the default): 50 to
65 bytes a point, against about 150 in one big sorted set. Retention is by time: every write trims
its chunk to CHUNK_POINTS members (ZREMRANGEBYRANK: sampling faster than the step keeps each
chunk's latest points) and deletes the chunks that just fell out of the retention, and every chunk
expires on its own after the retention (a series that stops being written leaves nothing behind).
Memory is therefore bounded by series x (retention / step + CHUNK_POINTS) points whatever the run
time: a queue costs about 0.55 MB for a day of FINE points (a function 0.45 MB) and as much again
for 30 days of COARSE ones; functions are capped per queue (MAX_FUNCTIONS, the rest counted as OTHER),
and so are tenants ([tenants] metrics_top; a tenant's point is written only in a sample where its jobs
ended, about 30 bytes).

Writes go through one Lua script that first checks the sampler's lease still holds the writer's
fencing token: a deposed sampler can never write a point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import redis

PREFIX = "queuetui:metrics"
TOTALS_KEY = f"{PREFIX}:totals"
HISTOGRAMS_KEY = f"{PREFIX}:histograms"
"""Sorted set of the histogram series (JSON [queue, func]), score = last written."""
MAX_FUNCTIONS = 25
"""Distinct function names tracked per queue; beyond them, run times count under OTHER."""
OTHER = "(other)"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
"""Upper bounds (seconds) of the run-time histograms; +Inf is implied."""
HISTOGRAM_TTL = 30 * 86400
CHUNK_POINTS = 120
"""Steps per chunk key (Redis keeps sorted sets of up to 128 small members compact)."""
STALE_CHUNKS = 4
"""Chunks just out of the retention that a write deletes: a series written at least every few
chunks frees them at once, whatever the clock says; older ones expire on their own (PEXPIRE)."""


@dataclass(frozen=True)
class Resolution:
    name: str
    step: float
    """Seconds between points."""
    retention: float
    """Seconds of history kept."""

    @property
    def capacity(self) -> int:
        """Steps in the retention: a series read over it has at most capacity + 1 points."""
        return int(self.retention // self.step)

    @property
    def span(self) -> float:
        """Seconds one chunk covers."""
        return CHUNK_POINTS * self.step

    def chunk(self, at: float) -> int:
        return math.floor(at / self.span)

    def key(self, name: Sequence[str], chunk: int) -> str:
        """The sorted set holding a series' points of one chunk."""
        return ":".join((PREFIX, self.name, *name, str(chunk)))

    @property
    def index_key(self) -> str:
        return f"{PREFIX}:{self.name}:index"


FINE = Resolution("fine", 10.0, 86400.0)
COARSE = Resolution("coarse", 300.0, 30 * 86400.0)
RESOLUTIONS = (FINE, COARSE)


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


@dataclass(frozen=True)
class QueuePoint:
    at: float
    """Epoch seconds (UTC) of the sample, to the millisecond, or the start of a COARSE bucket."""
    waiting: int
    running: int
    failed: int
    """Jobs in the failed registry."""
    enqueued: int
    """Jobs that entered the queue since the previous point (see sampler.py for how it is counted)."""
    finished: int
    """Jobs that finished since the previous point."""
    failures: int
    """Jobs that failed since the previous point."""
    oldest: float | None
    """Age in seconds of the job at the head of the queue, to the millisecond; None when empty."""
    seconds: float
    """The span the three counts cover, to the millisecond (0 for a first sample)."""

    def fields(self) -> str:
        counts = (self.waiting, self.running, self.failed, self.enqueued, self.finished, self.failures)
        return ",".join((*map(str, counts), _number(self.oldest), _number(self.seconds)))

    @classmethod
    def parse(cls, at: float, member: bytes) -> QueuePoint:
        _, waiting, running, failed, enqueued, finished, failures, oldest, seconds = member.split(b",")
        return cls(
            at, int(waiting), int(running), int(failed), int(enqueued), int(finished), int(failures),
            float(oldest) if oldest else None, float(seconds),
        )  # fmt: skip


@dataclass(frozen=True)
class FunctionPoint:
    at: float
    count: int
    """Jobs of this function whose run time was read in this point."""
    p50: float
    p95: float
    max: float
    """The run times, to four significant digits."""

    def fields(self) -> str:
        return ",".join((str(self.count), _number(self.p50), _number(self.p95), _number(self.max)))

    @classmethod
    def parse(cls, at: float, member: bytes) -> FunctionPoint:
        _, count, p50, p95, top = member.split(b",")
        return cls(at, int(count), float(p50), float(p95), float(top))


@dataclass(frozen=True)
class TenantPoint:
    at: float
    finished: int
    """The tenant's jobs of the queue that finished since the previous point."""
    failures: int
    """...and that failed."""

    def fields(self) -> str:
        return f"{self.finished},{self.failures}"

    @classmethod
    def parse(cls, at: float, member: bytes) -> TenantPoint:
        _, finished, failures = member.split(b",")
        return cls(at, int(finished), int(failures))


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (0 < q <= 1) of sorted values; 0.0 for none."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def function_point(at: float, durations: Iterable[float]) -> FunctionPoint:
    ordered = sorted(durations)

    def kept(seconds: float) -> float:
        return float(f"{seconds:.4g}")

    return FunctionPoint(
        at, len(ordered), kept(percentile(ordered, 0.5)), kept(percentile(ordered, 0.95)), kept(ordered[-1])
    )


_FENCED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
"""


class Writes:
    """Commands collected for one fenced write (one round trip, all or nothing, leader only)."""

    def __init__(self) -> None:
        self.commands: list[tuple[str | float | int, ...]] = []

    def add(self, *command: str | float | int) -> None:
        self.commands.append(command)

    def point(
        self, resolution: Resolution, name: list[str], point: QueuePoint | FunctionPoint | TenantPoint
    ) -> None:
        """Add a point to its series' chunk, drop what fell out of the retention, note it in the index."""
        at = point.at
        chunk = resolution.chunk(at)
        key = resolution.key(name, chunk)
        offset = round((at - chunk * resolution.span) * 1000)  # keeps members unique and short
        self.add("ZADD", key, repr(at), f"{offset},{point.fields()}")
        self.add("ZREMRANGEBYRANK", key, 0, -(CHUNK_POINTS + 1))
        self.add("PEXPIRE", key, int((resolution.retention + resolution.span) * 1000))
        gone = resolution.chunk(at - resolution.retention)  # chunks before this one fell out
        self.add("DEL", *(resolution.key(name, gone - n) for n in range(1, STALE_CHUNKS + 1)))
        oldest = at - resolution.retention
        self.add("ZADD", resolution.index_key, repr(at), json.dumps(name))
        self.add("ZREMRANGEBYSCORE", resolution.index_key, "-inf", f"({oldest}")
        self.add("PEXPIRE", resolution.index_key, int(resolution.retention * 1000))

    def histogram(self, queue: str, func: str, durations: Sequence[float], at: float) -> None:
        """Add run times to the cumulative histogram of (queue, func)."""
        key = f"{PREFIX}:histogram:{queue}:{func}"
        for bound in BUCKETS:
            if below := sum(1 for d in durations if d <= bound):
                self.add("HINCRBY", key, repr(bound), below)
        self.add("HINCRBY", key, "+Inf", len(durations))
        self.add("HINCRBYFLOAT", key, "sum", repr(sum(durations)))
        self.add("PEXPIRE", key, HISTOGRAM_TTL * 1000)
        self.add("ZADD", HISTOGRAMS_KEY, at, json.dumps([queue, func]))
        self.add("ZREMRANGEBYSCORE", HISTOGRAMS_KEY, "-inf", f"({at - HISTOGRAM_TTL}")

    def flush(self, connection: redis.Redis, lease_key: str, lease_value: str) -> bool:
        """Run the commands if `lease_value` still holds the lease; False (nothing written) if not."""
        args: list[Any] = [lease_value]
        for command in self.commands:
            args += [len(command), *command]
        return bool(connection.eval(_FENCED, 1, lease_key, *args))


def _members(reply: Any) -> list[bytes]:
    """A ZRANGE reply without scores (redis-py types it loosely)."""
    return cast(list[bytes], reply)


_Point = TypeVar("_Point", "QueuePoint", "FunctionPoint", "TenantPoint")


def series_names(connection: redis.Redis, resolution: Resolution = FINE) -> list[list[str]]:
    """Every series of a resolution: ['queue', name], ['func', queue, function] and ['tenant', queue,
    tenant], oldest first."""
    return [json.loads(m) for m in _members(connection.zrange(resolution.index_key, 0, -1))]


def function_names(connection: redis.Redis, queue: str, resolution: Resolution = FINE) -> list[str]:
    """The functions of a queue with run-time points in a resolution, by name (one round trip)."""
    return sorted(name[2] for name in series_names(connection, resolution) if name[:2] == ["func", queue])


def _read(
    connection: redis.Redis,
    names: Sequence[Sequence[str]],
    since: float,
    until: float | None,
    resolution: Resolution,
) -> list[list[tuple[bytes, float]]]:
    """(member, time) of each series' points with since <= time <= until, oldest first.

    `until` None means up to each series' latest point (one more round trip, for its time).
    Reads one pipeline of a ZRANGEBYSCORE per chunk in the range, at most the retention's.
    """
    if until is None:
        pipe = connection.pipeline(transaction=False)
        for name in names:
            pipe.zscore(resolution.index_key, json.dumps(list(name)))
        ends: list[float | None] = pipe.execute()
    else:
        ends = [until] * len(names)
    pipe = connection.pipeline(transaction=False)
    plan: list[int] = []
    for name, end in zip(names, ends, strict=True):
        if end is None:
            plan.append(0)
            continue
        start = max(since, end - resolution.retention)
        chunks = range(resolution.chunk(start), resolution.chunk(end) + 1)
        for chunk in chunks:
            pipe.zrangebyscore(resolution.key(name, chunk), start, end, withscores=True)
        plan.append(len(chunks))
    replies = iter(pipe.execute())
    return [[point for _ in range(n) for point in next(replies)] for n in plan]


def read_queues(
    connection: redis.Redis,
    queues: Sequence[str],
    since: float,
    until: float | None = None,
    resolution: Resolution = FINE,
) -> dict[str, list[QueuePoint]]:
    """Several queues' points with since <= at <= until (default: their latest), oldest first."""
    replies = _read(connection, [["queue", q] for q in queues], since, until, resolution)
    return {q: [QueuePoint.parse(at, m) for m, at in raw] for q, raw in zip(queues, replies, strict=True)}


def read_bucket(
    connection: redis.Redis,
    queues: Sequence[str],
    tenants: Sequence[tuple[str, str]],
    since: float,
    until: float,
    resolution: Resolution = FINE,
) -> tuple[dict[str, list[QueuePoint]], dict[tuple[str, str], list[TenantPoint]]]:
    """Queues' points and (queue, tenant)s' points with since <= at <= until, oldest first: one round trip."""
    names = [["queue", q] for q in queues] + [["tenant", q, t] for q, t in tenants]
    raw = _read(connection, names, since, until, resolution)
    points = {q: _parsed(QueuePoint.parse, r) for q, r in zip(queues, raw, strict=False)}
    by_tenant = {n: _parsed(TenantPoint.parse, r) for n, r in zip(tenants, raw[len(queues) :], strict=True)}
    return points, by_tenant


def read_queue(
    connection: redis.Redis,
    queue: str,
    since: float,
    until: float | None = None,
    resolution: Resolution = FINE,
) -> list[QueuePoint]:
    """A queue's points with since <= at <= until (default: its latest), oldest first."""
    return read_queues(connection, [queue], since, until, resolution)[queue]


def read_function(
    connection: redis.Redis,
    queue: str,
    func: str,
    since: float,
    until: float | None = None,
    resolution: Resolution = FINE,
) -> list[FunctionPoint]:
    """A function's run-time points with since <= at <= until (default: its latest), oldest first."""
    (raw,) = _read(connection, [["func", queue, func]], since, until, resolution)
    return [FunctionPoint.parse(at, m) for m, at in raw]


def read_series(
    connection: redis.Redis,
    queue: str,
    func: str,
    since: float,
    until: float,
    resolution: Resolution = FINE,
    tenants: Sequence[str] = (),
) -> tuple[list[QueuePoint], list[FunctionPoint], dict[str, list[TenantPoint]]]:
    """A queue's points, one of its functions' ('' for none) and its `tenants`' with since <= at <= until:
    one pipeline.

    A member that does not parse (written by something else) is left out rather than failing the read.
    """
    names = [["queue", queue]] + ([["func", queue, func]] if func else [])
    names += [["tenant", queue, tenant] for tenant in tenants]
    raw = _read(connection, names, since, until, resolution)
    runs = _parsed(FunctionPoint.parse, raw[1]) if func else []
    by_tenant = {
        t: _parsed(TenantPoint.parse, r) for t, r in zip(tenants, raw[len(raw) - len(tenants) :], strict=True)
    }
    return _parsed(QueuePoint.parse, raw[0]), runs, by_tenant


def read_tenants(
    connection: redis.Redis,
    queue: str,
    tenants: Sequence[str],
    since: float,
    until: float,
    resolution: Resolution = FINE,
) -> dict[str, list[TenantPoint]]:
    """Each of a queue's `tenants`' points with since <= at <= until, oldest first: one round trip."""
    return read_series(connection, queue, "", since, until, resolution, tenants)[2]


def tenant_names(connection: redis.Redis, queue: str, resolution: Resolution = FINE) -> list[str]:
    """The tenants of a queue with points in a resolution, by name (one round trip)."""
    return sorted(name[2] for name in series_names(connection, resolution) if name[:2] == ["tenant", queue])


def _parsed(parse: Callable[[float, bytes], _Point], raw: list[tuple[bytes, float]]) -> list[_Point]:
    points = []
    for member, at in raw:
        try:
            points.append(parse(at, member))
        except ValueError:
            continue
    return points


@dataclass(frozen=True)
class Histogram:
    queue: str
    func: str
    buckets: tuple[tuple[float, int], ...]
    """(upper bound, cumulative count), +Inf last."""
    sum: float


def read_histograms(connection: redis.Redis, names: Sequence[Sequence[str]] | None = None) -> list[Histogram]:
    """The run-time histograms of `names` ([queue, function]; default every one): a round trip or two."""
    if names is None:
        names = [json.loads(m) for m in _members(connection.zrange(HISTOGRAMS_KEY, 0, -1))]
    if not names:
        return []
    pipe = connection.pipeline(transaction=False)
    for queue, func in names:
        pipe.hgetall(f"{PREFIX}:histogram:{queue}:{func}")
    histograms = []
    for (queue, func), raw in zip(names, pipe.execute(), strict=True):
        fields = {k.decode(): float(v) for k, v in raw.items()}
        if "+Inf" not in fields:  # expired since the index was read
            continue
        buckets = tuple((b, int(fields.get(repr(b), 0))) for b in BUCKETS)
        total = (math.inf, int(fields["+Inf"]))
        histograms.append(Histogram(queue, func, (*buckets, total), fields.get("sum", 0.0)))
    return histograms


def read_totals(connection: redis.Redis) -> dict[tuple[str, str], int]:
    """Cumulative counts since the series began: (queue, 'enqueued' | 'finished' | 'failed') -> n."""
    totals: dict[tuple[str, str], int] = {}
    for field, value in cast(dict[bytes, bytes], connection.hgetall(TOTALS_KEY)).items():
        queue, _, kind = field.decode().rpartition("|")
        totals[(queue, kind)] = int(value)
    return totals


def memory(connection: redis.Redis) -> int:
    """Bytes Redis uses for every metrics key (MEMORY USAGE summed; SCAN, so for tests and diagnostics)."""
    total = 0
    for key in connection.scan_iter(match=f"{PREFIX}:*", count=1000):
        total += int(connection.memory_usage(key, samples=0) or 0)
    return total
