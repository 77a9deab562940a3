"""`:metrics` (m on the overview): a queue's throughput, failure rate, wait and run times, plotted.

The series come from metrics/trends.read_trend in a thread worker (two round trips whatever the
window); `w` changes the window, `[` `]` the queue, `f` the function whose run times are shown.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from queuetui.metrics.series import OTHER
from queuetui.metrics.trends import WINDOWS, Trend, Window, read_trend
from queuetui.present import plot
from queuetui.present.metrics import Plot, TenantLine, axis, plots, tenant_lines
from queuetui.present.table import fit
from queuetui.present.tenants import NO_TENANT
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.tui.draw import update_static
from queuetui.tui.messages import FetchFailed, MetricsFetched
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.status_bar import StatusBar

NO_SAMPLES = "No samples yet: run `queuetui monitor` or the scheduler (`queuetui scheduler`) to record them."
STYLES = ("green", "red", "red", "yellow", "cyan", "cyan")
MAX_PLOT_HEIGHT = 6
SLOWEST_REFRESH = 5.0
"""The series move once a sample (10 s): reading them every second would only cost Redis."""


class Plots(Widget):
    """Every plot of a trend, each a label line over bars sized to what the screen leaves."""

    DEFAULT_CSS = """
    Plots { height: 1fr; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trend: Trend | None = None
        self.charts: tuple[int, list[Plot]] = (0, [])
        """Plots already worked out, and for how many columns."""
        self.width = 0
        """The columns it has (set here, on the main thread; the fetch reads it)."""
        self._drawn: Text | None = None

    def show(self, trend: Trend, width: int, charts: list[Plot]) -> None:
        """Draw the plots again only when they look different: the window moves every second, its
        points every ten, and a repaint sends every line of them over the link."""
        self.trend = trend
        self.charts = (width, charts)
        drawn = self.render()
        if drawn != self._drawn:
            self._drawn = drawn
            self.refresh()

    def on_resize(self) -> None:
        self.width = self.size.width

    def render(self) -> Text:
        trend = self.trend
        if trend is None:
            return Text("loading…", style="dim")
        if not trend.sampled:
            return Text(NO_SAMPLES, style="bold yellow")
        if not trend.points:
            return Text(
                f"No samples of {safe(trend.queue)} in the {trend.window.label} yet."
                " w and W change the window, [ and ] the queue.",
                style="yellow",
            )
        width = max(1, self.size.width)
        if trend.by_tenant is not None:
            return self._split(trend, width)
        charts = self.charts[1] if self.charts[0] == width else plots(trend, width)  # resized since
        out = Text()
        if not trend.function:
            out.append("No run times recorded for this queue in this window.\n", style="dim")
        room = self.size.height - out.plain.count("\n") - 1  # the time axis takes the last line
        height = max(1, min(MAX_PLOT_HEIGHT, room // len(charts) - 1))
        for chart, style in zip(charts, STYLES, strict=False):
            label = safe(chart.label(trend.window))
            out.append(label[:width] + "\n", style="bold")
            for bar in plot.bars(chart.values, height):
                out.append(bar + "\n", style=style)
        out.append(axis(trend.since, trend.until, width), style="dim")
        return out

    def _split(self, trend: Trend, width: int) -> Text:
        """A line a tenant: its jobs finished and failed in the window, the failure rate, and its jobs
        ended over the window as a sparkline."""
        name_width = max(8, min(24, width // 4))
        spark_width = width - name_width - 28
        lines = tenant_lines(trend, max(0, spark_width))
        out = Text()
        head = f"{'Tenant':<{name_width}} {'Finished':>9} {'Failed':>8} {'Fail%':>6}  Jobs ended"
        out.append(head[:width] + "\n", style="bold")
        if not lines:
            out.append(f"No tenant's jobs recorded in the {trend.window.label}.", style="yellow")
            return out
        for t in lines:
            out.append_text(_tenant_line(t, name_width, width))
        out.append(" " * (name_width + 28) + axis(trend.since, trend.until, spark_width), style="dim")
        return out


def _tenant_line(t: TenantLine, name_width: int, width: int) -> Text:
    name = NO_TENANT if not t.tenant else t.tenant
    rate = "-" if t.failure_rate is None else f"{t.failure_rate:.1f}%"
    out = Text(fit(name, name_width).ljust(name_width), style="dim" if t.tenant in ("", OTHER) else "bold")
    out.append(f" {t.finished:>9,}")
    out.append(f" {t.failures:>8,}", style="red" if t.failures else "dim")
    out.append(f" {rate:>6}  ")
    out.append(t.spark, style="green")
    out.truncate(width)
    out.append("\n")
    return out


class MetricsScreen(LiveScreen):
    BINDINGS = [
        Binding("w", "window(1)", "Window", id="metrics.window", tooltip="A longer window (1h … 30d)"),
        Binding("W", "window(-1)", "Shorter", id="metrics.window-back", tooltip="A shorter window"),
        Binding("right_square_bracket", "queue(1)", "Next queue", id="metrics.next-queue"),
        Binding("left_square_bracket", "queue(-1)", "Prev queue", id="metrics.previous-queue"),
        Binding(
            "f", "function(1)", "Function", id="metrics.function", tooltip="Run times of the next function"
        ),
        Binding("F", "function(-1)", "Prev function", show=False, id="metrics.function-back"),
        Binding(
            "t", "split", "By tenant", id="metrics.by-tenant", tooltip="Split finished and failed by tenant"
        ),
        Binding("escape", "back", "Back", id="metrics.back", tooltip="Back to the previous view"),
    ]

    def __init__(self, queue: str = "", window: Window = WINDOWS[0]) -> None:
        super().__init__()
        self.queue = queue
        self.function = ""
        self.window = window
        self.by_tenant = False
        """`t`: the jobs finished and failed split by tenant instead of the plots."""
        self.trend: Trend | None = None
        self.generation = 0
        """Bumped by every change of queue, function or window: older fetches are ignored."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield Static(id="view-title")
            yield Plots(id="plots")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.plots_widget = self.query_one(Plots)
        self._show_title()
        self.start_live()

    def refresh_every(self) -> float:
        return max(self.console.settings.refresh, SLOWEST_REFRESH)

    def _show_title(self) -> None:
        trend = self.trend
        title = Text.assemble(("Metrics", "bold"), "  queue ", (safe(self.queue or "-"), "bold"))
        if trend is not None and self.queue in trend.queues:
            title.append(f" ({trend.queues.index(self.queue) + 1}/{len(trend.queues)})")
        if self.by_tenant:  # the split shows no run times: no function to name
            title.append_text(Text.assemble("  ·  ", ("by tenant", "bold magenta")))
        elif trend is not None and self.function in trend.functions:
            at = trend.functions.index(self.function) + 1
            title.append_text(Text.assemble("  ·  function ", (safe(self.function), "bold")))
            title.append(f" ({at}/{len(trend.functions)})")
        title.append(f"  ·  {self.window.label}")
        update_static(self.query_one("#view-title", Static), title)

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        until = self.console.clock.now().timestamp()
        generation = self.generation
        width = self.plots_widget.width  # an int set on the main thread: no widget query from here
        try:
            trend = read_trend(
                self.console.redis, self.queue, self.function, self.window, until, by_tenant=self.by_tenant
            )
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        charts = plots(trend, width) if width and trend.points and trend.by_tenant is None else []
        self.post_message(MetricsFetched(trend, generation, width, charts))

    @on(MetricsFetched)
    def _show(self, message: MetricsFetched) -> None:
        trend = message.trend
        if message.generation != self.generation:  # asked before the operator chose another view
            return
        self.trend = trend
        self.queue, self.function = trend.queue, trend.function
        with self.app.batch_update():
            self._show_title()
            self.plots_widget.show(trend, message.width, message.plots)
        self.fetched()

    def show(self, queue: str, window: Window) -> None:
        """Another queue and window in this view (`:metrics` typed while it is open)."""
        self.queue, self.window = queue, window
        self.function = ""
        self._changed()

    def _changed(self) -> None:
        self.generation += 1
        self._show_title()
        self.fetch()

    def _step(self, choices: tuple[str, ...], current: str, by: int) -> str:
        if not choices:
            return current
        at = choices.index(current) if current in choices else -by
        return choices[(at + by) % len(choices)]

    def action_window(self, by: int) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + by) % len(WINDOWS)]
        self._changed()

    def action_queue(self, by: int) -> None:
        if self.trend is not None:
            self.queue = self._step(self.trend.queues, self.queue, by)
            self.function = ""
            self._changed()

    def action_function(self, by: int) -> None:
        if self.trend is not None and self.trend.functions:
            self.function = self._step(self.trend.functions, self.function, by)
            self._changed()

    def action_split(self) -> None:
        self.by_tenant = not self.by_tenant
        self._changed()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
