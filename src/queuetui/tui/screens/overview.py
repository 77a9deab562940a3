"""The first screen: every queue's counts and every worker, refreshed live."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from queuetui import fmt
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.overview import Overview, QueueCounts, WorkerInfo, snapshot
from queuetui.tui.messages import FetchFailed, OverviewFetched
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

# (label, key, width, right-aligned). Fixed widths: the layout never jumps as numbers grow, and
# the queues table fits 80 columns.
QUEUE_COLUMNS = [
    ("Queue", "name", 9, False),
    ("Waiting", "waiting", 7, True),
    ("Running", "started", 7, True),
    ("Failed", "failed", 6, True),
    ("Sched", "scheduled", 6, True),
    ("Defer", "deferred", 6, True),
    ("Done", "finished", 6, True),
    ("Cancel", "canceled", 6, True),
    ("Oldest", "oldest", 6, True),
]
WORKER_COLUMNS = [
    ("Worker", "name", 16, False),
    ("State", "state", 9, False),
    ("Beat", "beat", 5, True),
    ("Job", "job", 20, False),
    ("OK", "ok", 6, True),
    ("Failed", "failed", 6, True),
    ("Busy", "busy", 6, True),
    ("Queues", "queues", 25, False),
    ("Host", "host", 12, False),
    ("PID", "pid", 7, True),
    ("Born", "born", 19, False),
]
STALE_HEARTBEAT = 60.0
DEAD_HEARTBEAT = 420.0  # RQ's default worker TTL: a worker silent this long is gone
MAX_BACKOFF = 5.0

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI


def _num(n: int, style: str = "") -> Text:
    return Text(fmt.compact(n), style=style if n else "dim", justify="right")


def _age_cell(seconds: float | None, warn: float, alarm: float) -> Text:
    style = "" if seconds is None or seconds < warn else ("yellow" if seconds < alarm else "bold red")
    return Text(fmt.age(seconds), style=style, justify="right")


def queue_row(q: QueueCounts) -> tuple[str, list[Cell]]:
    return q.name, [
        q.name,
        _num(q.waiting, "bold"),
        _num(q.started, "green"),
        _num(q.failed, "red"),
        _num(q.scheduled),
        _num(q.deferred),
        _num(q.finished),
        _num(q.canceled),
        _age_cell(q.oldest_waiting_seconds, 60, 600),
    ]


def worker_row(w: WorkerInfo) -> tuple[str, list[Cell]]:
    state_style = {"busy": "green", "idle": "dim", "suspended": "yellow"}.get(w.state, "")
    return w.name, [
        w.name,
        Text(w.state, style=state_style),
        _age_cell(w.heartbeat_age_seconds, STALE_HEARTBEAT, DEAD_HEARTBEAT),
        w.current_job_id or "-",
        _num(w.successful),
        _num(w.failed, "red"),
        Text(fmt.age(w.total_working_time), justify="right"),
        ",".join(w.queues),
        w.hostname,
        Text(str(w.pid or "-"), justify="right"),
        fmt.local_time(w.birth, with_zone=False),
    ]


class OverviewScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "refresh_now", "Refresh", id="overview.refresh", tooltip="Fetch now"),
        Binding("p", "toggle_pause", "Pause", id="overview.pause", tooltip="Pause or resume live refresh"),
        Binding("tab", "focus_next", "Next table", show=False, id="overview.next"),
        Binding("shift+tab", "focus_previous", "Previous table", show=False, id="overview.previous"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self._due = False  # a refresh came due while paused or hidden
        self.paused = False
        self.failures = 0
        self.last_overview: Overview | None = None

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            queues = LiveTable(id="queues", cursor_type="row", zebra_stripes=True)
            queues.border_title = "Queues"
            yield queues
            workers = LiveTable(id="workers", cursor_type="row", zebra_stripes=True)
            workers.border_title = "Workers"
            yield workers
        yield Footer()

    def on_mount(self) -> None:
        for table_id, columns in (("queues", QUEUE_COLUMNS), ("workers", WORKER_COLUMNS)):
            table = self.query_one(f"#{table_id}", LiveTable)
            for label, key, width, right in columns:
                table.add_column(Text(label, justify="right") if right else label, width=width, key=key)
        status = self.query_one(StatusBar)
        status.connection = self.console.connection_label
        status.tick()
        self.set_interval(1.0, status.tick)
        self.fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview")
    def fetch(self) -> None:
        """Read a snapshot in a thread; report back with a message (never touch widgets here)."""
        try:
            overview = snapshot(self.console.redis, self.console.clock)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(OverviewFetched(overview))

    def _arm(self, delay: float) -> None:
        """Schedule the next fetch; only ever one pending, and only after the last one finished."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self._due_now)

    def _due_now(self) -> None:
        self._due = True
        self._fetch_if_due()

    def _fetch_if_due(self) -> None:
        """Fetch a refresh that came due, unless paused or covered by another screen."""
        if self._due and not self.paused and self.is_current:
            self._due = False
            self.fetch()

    def on_screen_resume(self) -> None:
        self._fetch_if_due()

    @on(OverviewFetched)
    def show_overview(self, message: OverviewFetched) -> None:
        overview = message.overview
        self.last_overview = overview
        if self.failures:
            self.notify("Reconnected to Redis", timeout=3)
        self.failures = 0
        self._set_state()
        with self.app.batch_update():
            queues = self.query_one("#queues", LiveTable)
            queues.sync([queue_row(q) for q in overview.queues])
            queues.border_title = f"Queues ({len(overview.queues)})"
            workers = self.query_one("#workers", LiveTable)
            workers.sync([worker_row(w) for w in overview.workers])
            busy = sum(1 for w in overview.workers if w.state == "busy")
            workers.border_title = f"Workers ({len(overview.workers)}, {busy} busy)"
        self._arm(self.console.settings.refresh)

    @on(FetchFailed)
    def show_failure(self, message: FetchFailed) -> None:
        self.failures += 1
        delay = min(MAX_BACKOFF, self.console.settings.refresh * 2 ** (self.failures - 1))
        seen = ""
        if self.last_overview is not None:
            seen = f"; showing data from {fmt.local_time(self.last_overview.taken_at)}"
        self._set_state(
            f"Disconnected, retrying every {delay:g}s (attempt {self.failures}): {message.error}{seen}"
        )
        self._arm(delay)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a fetch must not end live refresh: say so, and keep going."""
        if event.worker.group == "overview" and event.state == WorkerState.ERROR:
            self.notify(f"Refresh failed: {event.worker.error!r}", severity="error", timeout=10)
            self._arm(MAX_BACKOFF)

    def _set_state(self, problem: str = "") -> None:
        status = self.query_one(StatusBar)
        banner = self.query_one("#banner", Static)
        banner.update(problem)
        banner.display = bool(problem)
        self.query_one("#tables").set_class(bool(problem), "stale")
        status.state = "disconnected" if problem else ("paused" if self.paused else "live")

    def action_refresh_now(self) -> None:
        self.fetch()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self._fetch_if_due()
        if not self.failures:
            self._set_state()
        self.notify("Live refresh paused" if self.paused else "Live refresh resumed", timeout=2)
