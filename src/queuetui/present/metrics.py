"""The Metrics view's plots and the overview's sparklines, worked out from a trend for a given width:
the arithmetic lives here, the console only draws."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from queuetui import fmt
from queuetui.metrics.series import FINE, OTHER, QueuePoint
from queuetui.metrics.trends import SPARK_SAMPLES, Trend, Window
from queuetui.present import plot


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


@dataclass(frozen=True)
class TenantLine:
    tenant: str
    """The tenant ("" for jobs without one, series.OTHER for the tenants not recorded by name)."""
    finished: int
    failures: int
    spark: str
    """Jobs ended (finished + failed) per column over the window."""

    @property
    def failure_rate(self) -> float | None:
        """Failed of ended, in percent (None when none ended)."""
        ended = self.finished + self.failures
        return 100 * self.failures / ended if ended else None


def tenant_lines(trend: Trend, width: int) -> list[TenantLine]:
    """The queue's tenants over the trend's window, most jobs ended first and OTHER last, each with its
    totals and a sparkline `width` columns wide (none when the trend was not read by tenant)."""
    lines = []
    for tenant, points in (trend.by_tenant or {}).items():
        ended = [(p.at, float(p.finished + p.failures)) for p in points]
        spark = plot.sparkline(plot.columns(ended, trend.since, trend.until, width)) if width > 0 else ""
        finished, failures = sum(p.finished for p in points), sum(p.failures for p in points)
        if finished or failures:
            lines.append(TenantLine(tenant, finished, failures, spark))
    return sorted(lines, key=lambda t: (t.tenant == OTHER, -(t.finished + t.failures), t.tenant))


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
