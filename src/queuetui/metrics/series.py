"""Bounded time series in Redis: what the sampler writes and the console, alerts and exporter read.

Layout (every key under PREFIX, none of RQ's touched):

    {PREFIX}:{res}:queue:{queue}          sorted set, one point per sample: score = time (epoch s),
                                          member = JSON [at, waiting, running, failed, enqueued,
                                          finished, failures, oldest, seconds]
    {PREFIX}:{res}:func:{queue}:{func}    sorted set, run times of jobs ended in that sample:
                                          member = JSON [at, count, p50, p95, max]
    {PREFIX}:{res}:index                  sorted set of the series above (JSON names), score = the
                                          time each was last written
    {PREFIX}:histogram:{queue}:{func}     hash of cumulative run-time bucket counts, sum and count
                                          (the exporter's histograms)
    {PREFIX}:totals                       hash of cumulative enqueued / finished / failed per queue

Two resolutions: FINE (a point per sample, 24 hours) and COARSE (5-minute roll-ups, 30 days). Sorted
sets rather than capped lists because retention is by time: every write trims its series by score
(ZREMRANGEBYSCORE older than the retention) and by rank (ZREMRANGEBYRANK beyond the capacity, so
sampling faster than the step shortens the history instead of growing it), and sets the key to
expire after the retention, so a queue or function that stops appearing leaves nothing behind.
Memory is therefore bounded by (queues + functions) x capacity whatever the run time; functions are
capped per queue (MAX_FUNCTIONS, the rest counted as OTHER) so a job per distinct function name
cannot grow the key space.

Writes go through one Lua script that first checks the sampler's lease still holds the writer's
fencing token: a deposed sampler can never write a point.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

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


@dataclass(frozen=True)
class Resolution:
    name: str
    step: float
    """Seconds between points."""
    retention: float
    """Seconds of history kept."""

    @property
    def capacity(self) -> int:
        """Points kept per series at most."""
        return int(self.retention // self.step)

    def key(self, kind: str, *parts: str) -> str:
        return ":".join((PREFIX, self.name, kind, *parts))

    @property
    def index_key(self) -> str:
        return f"{PREFIX}:{self.name}:index"


FINE = Resolution("fine", 10.0, 86400.0)
COARSE = Resolution("coarse", 300.0, 30 * 86400.0)
RESOLUTIONS = (FINE, COARSE)


@dataclass(frozen=True)
class QueuePoint:
    at: float
    """Epoch seconds (UTC) of the sample, or the start of a COARSE bucket."""
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
    """Age in seconds of the job at the head of the queue; None when empty."""
    seconds: float
    """The span the three counts cover (0 for a first sample)."""

    def encode(self) -> str:
        fields = [self.at, self.waiting, self.running, self.failed, self.enqueued, self.finished]
        return json.dumps([*fields, self.failures, self.oldest, self.seconds], separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes | str) -> QueuePoint:
        at, waiting, running, failed, enqueued, finished, failures, oldest, seconds = json.loads(raw)
        return cls(at, waiting, running, failed, enqueued, finished, failures, oldest, seconds)


@dataclass(frozen=True)
class FunctionPoint:
    at: float
    count: int
    """Jobs of this function whose run time was read in this point."""
    p50: float
    p95: float
    max: float

    def encode(self) -> str:
        return json.dumps([self.at, self.count, self.p50, self.p95, self.max], separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes | str) -> FunctionPoint:
        at, count, p50, p95, top = json.loads(raw)
        return cls(at, count, p50, p95, top)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (0 < q <= 1) of sorted values; 0.0 for none."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def function_point(at: float, durations: Iterable[float]) -> FunctionPoint:
    ordered = sorted(durations)
    return FunctionPoint(at, len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[-1])


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

    def point(self, resolution: Resolution, name: list[str], member: str, at: float) -> None:
        """Add a point to a series, trim the series by time and size, and note it in the index."""
        key = resolution.key(*name)
        oldest = at - resolution.retention
        self.add("ZADD", key, at, member)
        self.add("ZREMRANGEBYSCORE", key, "-inf", f"({oldest}")
        self.add("ZREMRANGEBYRANK", key, 0, -(resolution.capacity + 1))
        self.add("PEXPIRE", key, int(resolution.retention * 1000))
        self.add("ZADD", resolution.index_key, at, json.dumps(name))
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


def series_names(connection: redis.Redis, resolution: Resolution = FINE) -> list[list[str]]:
    """Every series of a resolution: ['queue', name] and ['func', queue, function], oldest first."""
    return [json.loads(m) for m in _members(connection.zrange(resolution.index_key, 0, -1))]


def function_names(connection: redis.Redis, queue: str, resolution: Resolution = FINE) -> list[str]:
    """The functions of a queue with run-time points in a resolution, by name (one round trip)."""
    return sorted(name[2] for name in series_names(connection, resolution) if name[:2] == ["func", queue])


def read_queue(
    connection: redis.Redis, queue: str, since: float, until: float = math.inf, resolution: Resolution = FINE
) -> list[QueuePoint]:
    """A queue's points with since <= at <= until, oldest first (one round trip)."""
    raw = connection.zrangebyscore(resolution.key("queue", queue), since, until)
    return [QueuePoint.decode(m) for m in _members(raw)]


def read_queues(
    connection: redis.Redis,
    queues: Sequence[str],
    since: float,
    until: float = math.inf,
    resolution: Resolution = FINE,
) -> dict[str, list[QueuePoint]]:
    """Several queues' points at once (one round trip)."""
    pipe = connection.pipeline(transaction=False)
    for queue in queues:
        pipe.zrangebyscore(resolution.key("queue", queue), since, until)
    replies = pipe.execute()
    return {q: [QueuePoint.decode(m) for m in _members(raw)] for q, raw in zip(queues, replies, strict=True)}


def read_function(
    connection: redis.Redis,
    queue: str,
    func: str,
    since: float,
    until: float = math.inf,
    resolution: Resolution = FINE,
) -> list[FunctionPoint]:
    """A function's run-time points with since <= at <= until, oldest first (one round trip)."""
    raw = connection.zrangebyscore(resolution.key("func", queue, func), since, until)
    return [FunctionPoint.decode(m) for m in _members(raw)]


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
