"""What the console plots: a queue's series (and one function's run times) over a window.

`read_trend` reads what the Metrics view shows in two round trips whatever the window (the series
index of both resolutions, then one pipeline of the window's chunks); `recent_throughput` reads the
overview's sparklines in one. `plots` turns a trend into labelled columns for a given width: the
arithmetic lives here, the console only draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from queuetui import fmt
from queuetui.clock import Clock
from queuetui.metrics.series import (
    COARSE,
    FINE,
    RESOLUTIONS,
    FunctionPoint,
    QueuePoint,
    Resolution,
    read_queues,
    read_series,
)
from queuetui.present import plot
from queuetui.rqdata.overview import MAX_ROUND_TRIPS, Overview, snapshot
from queuetui.rqdata.priority import priority_order

SPARK_SAMPLES = 30
"""The overview's sparkline covers the last this many FINE samples."""


@dataclass(frozen=True)
class Window:
    name: str
    seconds: float
    resolution: Resolution

    @property
    def label(self) -> str:
        step = self.resolution.step
        return f"last {self.name} ({f'{step / 60:g} min' if step >= 60 else f'{step:g} s'} points)"


WINDOWS = (
    Window("1h", 3600.0, FINE),
    Window("6h", 6 * 3600.0, FINE),
    Window("24h", 86400.0, FINE),
    Window("7d", 7 * 86400.0, COARSE),
    Window("30d", 30 * 86400.0, COARSE),
)


def window_named(name: str) -> Window:
    """The window called `name` (1h, 6h, 24h, 7d, 30d); ValueError naming them otherwise."""
    for window in WINDOWS:
        if window.name == name:
            return window
    raise ValueError(f"no window {name!r}; try {', '.join(w.name for w in WINDOWS)}")


@dataclass(frozen=True)
class Trend:
    queue: str
    """The queue shown ('' when no queue has been sampled)."""
    function: str
    """The function whose run times are shown ('' when the queue has none in this resolution)."""
    window: Window
    until: float
    queues: tuple[str, ...]
    """Every queue with a series, in priority order."""
    functions: tuple[str, ...]
    """The queue's functions with run-time points in the window's resolution."""
    points: tuple[QueuePoint, ...]
    runs: tuple[FunctionPoint, ...]

    @property
    def since(self) -> float:
        return self.until - self.window.seconds

    @property
    def sampled(self) -> bool:
        """Whether any sampler has written anything (within the retention)."""
        return bool(self.queues)


def read_trend(connection: redis.Redis, queue: str, function: str, window: Window, until: float) -> Trend:
    """`queue` (else the first sampled one) and `function` (else its first) over `window` up to `until`."""
    pipe = connection.pipeline(transaction=False)
    for resolution in RESOLUTIONS:
        pipe.zrange(resolution.index_key, 0, -1)
    indexes = pipe.execute()
    names = [json.loads(m) for index in indexes for m in index]
    queues = tuple(priority_order(n[1] for n in names if n[0] == "queue"))
    if queue not in queues:
        queue = queues[0] if queues else ""
    own = [json.loads(m) for m in indexes[RESOLUTIONS.index(window.resolution)]]
    functions = tuple(sorted({n[2] for n in own if n[0] == "func" and n[1] == queue}))
    if function not in functions:
        function = functions[0] if functions else ""
    points: list[QueuePoint] = []
    runs: list[FunctionPoint] = []
    if queue:
        since = until - window.seconds
        points, runs = read_series(connection, queue, function, since, until, window.resolution)
    return Trend(queue, function, window, until, queues, functions, tuple(points), tuple(runs))


def recent_throughput(
    connection: redis.Redis, queues: Sequence[str], until: float, samples: int = SPARK_SAMPLES
) -> dict[str, list[QueuePoint]]:
    """Each queue's last `samples` FINE points up to `until` (one round trip; none without queues)."""
    if not queues:
        return {}
    return read_queues(connection, queues, until - samples * FINE.step, until, FINE)


OVERVIEW_ROUND_TRIPS = MAX_ROUND_TRIPS + 1


def overview_with_throughput(
    connection: redis.Redis, clock: Clock, samples: int = SPARK_SAMPLES
) -> tuple[Overview, dict[str, list[QueuePoint]]]:
    """The overview snapshot and each queue's last `samples` points (none for 0): OVERVIEW_ROUND_TRIPS
    round trips, one fewer without samples."""
    overview = snapshot(connection, clock)
    if not samples:
        return overview, {}
    names = [q.name for q in overview.queues]
    try:
        throughput = recent_throughput(connection, names, overview.taken_at.timestamp(), samples)
    except ValueError:  # a garbled series must not hide the queues
        throughput = {}
    return overview, throughput


def spark(points: Sequence[QueuePoint], until: float, width: int, samples: int = SPARK_SAMPLES) -> str:
    """Jobs ended (finished + failed) per column over the last `samples` steps, as one line."""
    since = until - samples * FINE.step
    ended = [(p.at, float(p.finished + p.failures)) for p in points]
    return plot.sparkline(plot.columns(ended, since, until, width))


@dataclass(frozen=True)
class Plot:
    title: str
    values: list[float | None]
    """One a column, oldest first; None where no point fell."""
    samples: list[float]
    """The value of each point in the window, oldest first: the label's now, min and max."""
    show: Callable[[float], str]

    @property
    def current(self) -> float | None:
        return self.samples[-1] if self.samples else None

    @property
    def low(self) -> float | None:
        return min(self.samples, default=None)

    @property
    def high(self) -> float | None:
        return max(self.samples, default=None)

    def label(self, window: Window) -> str:
        """'Finished  12.0/min now · min 0.0/min · max 40.5/min · last 1h'."""

        def shown(value: float | None) -> str:
            return "-" if value is None else self.show(value)

        now, low, high = shown(self.current), shown(self.low), shown(self.high)
        return f"{self.title}  {now} now · min {low} · max {high} · last {window.name}"


def _per_minute(value: float) -> str:
    return f"{value:.1f}/min" if value < 100 else f"{value:,.0f}/min"


def _percent(value: float) -> str:
    return f"{value:.0f}%"


def _ratio(top: list[float | None], bottom: list[float | None], scale: float) -> list[float | None]:
    return [None if t is None or not b else t / b * scale for t, b in zip(top, bottom, strict=True)]


def plots(trend: Trend, width: int) -> list[Plot]:
    """The Metrics view's plots of `trend` in `width` columns: jobs finished and failed per minute, the
    failure rate, the oldest waiting job's age, and the function's run-time p50 and p95.

    A column of many points shows their rate over its time (sums divided), the worst age and p95, and
    the p50s' mean weighted by the jobs timed; the labels' now, min and max are of single points.
    """
    since, until = trend.since, trend.until
    timed = [p for p in trend.points if p.seconds > 0]  # a first sample covers no time

    def cut(values: list[tuple[float, float]], how: plot.Aggregate = sum) -> list[float | None]:
        return plot.columns(values, since, until, width, how)

    seconds = cut([(p.at, p.seconds) for p in timed])
    finished = cut([(p.at, float(p.finished)) for p in timed])
    failures = cut([(p.at, float(p.failures)) for p in timed])
    ended = cut([(p.at, float(p.finished + p.failures)) for p in timed])
    rated = [p for p in timed if p.finished + p.failures]
    per_minute = ([p.finished / p.seconds * 60 for p in timed], [p.failures / p.seconds * 60 for p in timed])
    result = [
        Plot("Finished", _ratio(finished, seconds, 60), per_minute[0], _per_minute),
        Plot("Failed", _ratio(failures, seconds, 60), per_minute[1], _per_minute),
        Plot(
            "Failure rate", _ratio(failures, ended, 100),
            [100 * p.failures / (p.finished + p.failures) for p in rated], _percent,
        ),
        Plot(
            "Oldest waiting", cut([(p.at, p.oldest or 0.0) for p in trend.points], max),
            [p.oldest or 0.0 for p in trend.points], fmt.duration,
        ),
    ]  # fmt: skip
    if trend.function:
        runs = trend.runs
        weights = cut([(r.at, float(r.count)) for r in runs])
        weighted = cut([(r.at, r.p50 * r.count) for r in runs])
        p95 = cut([(r.at, r.p95) for r in runs], max)
        name = trend.function
        result += [
            Plot(f"Run time p50 {name}", _ratio(weighted, weights, 1), [r.p50 for r in runs], fmt.duration),
            Plot(f"Run time p95 {name}", p95, [r.p95 for r in runs], fmt.duration),
        ]
    return result


def axis(since: float, until: float, width: int) -> str:
    """A time axis under `width` columns: the window's start at the left, its middle, 'now' at the right."""
    if width < 12:
        return ""
    start = fmt.short_time(_moment(since))
    middle = fmt.short_time(_moment((since + until) / 2))
    line = [" "] * width
    for at, text in ((0, start), (max(0, (width - len(middle)) // 2), middle), (width - 3, "now")):
        if width >= 40 or text != middle:
            line[at : at + len(text)] = text
    return "".join(line[:width])


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
