"""What the console plots: a queue's series (and one function's run times) over a window.

`read_trend` reads what the Metrics view shows in two round trips whatever the window (the series
index of both resolutions, then one pipeline of the window's chunks, each tenant's too when split);
`recent_throughput` reads the overview's sparklines in one. `plots` turns a trend into labelled
columns for a given width: the arithmetic lives here, the console only draws.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from queuetui.clock import Clock
from queuetui.metrics.series import (
    COARSE,
    FINE,
    RESOLUTIONS,
    FunctionPoint,
    QueuePoint,
    Resolution,
    TenantPoint,
    read_queues,
    read_series,
)
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
    tenants: tuple[str, ...] = ()
    """The queue's tenants with points in the window's resolution (series.OTHER among them)."""
    by_tenant: dict[str, tuple[TenantPoint, ...]] | None = None
    """Each tenant's points in the window, when the trend was read split by tenant (else None)."""

    @property
    def since(self) -> float:
        return self.until - self.window.seconds

    @property
    def sampled(self) -> bool:
        """Whether any sampler has written anything (within the retention)."""
        return bool(self.queues)


def read_trend(
    connection: redis.Redis, queue: str, function: str, window: Window, until: float, by_tenant: bool = False
) -> Trend:
    """`queue` (else the first sampled one) and `function` (else its first) over `window` up to `until`;
    `by_tenant` reads each of the queue's tenants' points too (in the same pipeline)."""
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
    tenants = tuple(sorted({n[2] for n in own if n[0] == "tenant" and n[1] == queue}))
    if function not in functions:
        function = functions[0] if functions else ""
    points: list[QueuePoint] = []
    runs: list[FunctionPoint] = []
    split: dict[str, list[TenantPoint]] = {}
    if queue:
        since = until - window.seconds
        wanted = tenants if by_tenant else ()
        points, runs, split = read_series(
            connection, queue, function, since, until, window.resolution, wanted
        )
    return Trend(
        queue, function, window, until, queues, functions, tuple(points), tuple(runs), tenants,
        {t: tuple(p) for t, p in split.items()} if by_tenant else None,
    )  # fmt: skip


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
