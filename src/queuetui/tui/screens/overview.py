"""The first screen: every queue's counts and every worker, refreshed live, and the queue and worker
actions: empty a queue (admin), suspend or resume every worker (RQ's suspension is global), stop a
worker's job, shut it down after its job (admin), kill its work horse (admin).

Each goes through operations.Operations in a thread worker, as the CLI's does (audited, refused in
read-only mode or beyond the role); the keys the operator may not use are hidden.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from queuetui import fmt
from queuetui.errors import DatabaseError
from queuetui.metrics.series import QueuePoint
from queuetui.metrics.trends import SPARK_SAMPLES, overview_with_throughput
from queuetui.present.metrics import spark
from queuetui.rqdata.bulk import Selection
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.liveness import DEAD, STALE
from queuetui.rqdata.overview import Overview, QueueCounts, WorkerInfo
from queuetui.tui.draw import set_border_title
from queuetui.tui.messages import FetchFailed, FiringCounted, OverviewFetched
from queuetui.tui.screens.bulk_actions import BulkActionsScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.worker_actions import WORKER_KEYS, WorkerActions, worker_bindings
from queuetui.tui.text import literal
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.footer import KeysFooter
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
SPARK_COLUMN = ("Ended (5m)", "spark", 15, False)
"""Jobs finished + failed over the last 30 samples (2 a character), where the terminal is wide enough."""
SPARK_MIN_WIDTH = 100
ALERTS_EVERY = 10.0
"""Seconds between counts of the firing alerts (a database query; they change once a sample)."""
COLUMN_REGISTRY = {key: key for _, key, _, _ in QUEUE_COLUMNS[1:8]}  # waiting ... canceled
HEALTH_STYLE = {STALE: "yellow", DEAD: "bold red"}
"""The heartbeat's colour: late (stale) or gone (dead), as rqdata.liveness decides from its key's TTL."""


def _num(n: int, style: str = "") -> Text:
    return Text(fmt.compact(n), style=style if n else "dim", justify="right")


def _age_cell(seconds: float | None, warn: float, alarm: float) -> Text:
    style = "" if seconds is None or seconds < warn else ("yellow" if seconds < alarm else "bold red")
    return Text(fmt.age(seconds), style=style, justify="right")


def queue_row(
    q: QueueCounts, points: list[QueuePoint] | None = None, until: float = 0.0
) -> tuple[str, list[Cell]]:
    """A queue's cells; with `points`, its throughput sparkline last."""
    spark_cell = [] if points is None else [Text(spark(points, until, SPARK_COLUMN[2]), style="cyan")]
    return q.name, [
        literal(q.name),
        _num(q.waiting, "bold"),
        _num(q.started, "green"),
        _num(q.failed, "red"),
        _num(q.scheduled),
        _num(q.deferred),
        _num(q.finished),
        _num(q.canceled),
        _age_cell(q.oldest_waiting_seconds, 60, 600),
        *spark_cell,
    ]


def worker_row(w: WorkerInfo) -> tuple[str, list[Cell]]:
    state_style = {"busy": "green", "idle": "dim", "suspended": "yellow"}.get(w.state, "")
    return w.name, [
        literal(w.name),
        literal(w.state, style=state_style),
        Text(fmt.age(w.heartbeat_age_seconds), style=HEALTH_STYLE.get(w.health, ""), justify="right"),
        literal(w.current_job_id or "-"),
        _num(w.successful),
        _num(w.failed, "red"),
        Text(fmt.age(w.total_working_time), justify="right"),
        literal(",".join(w.queues)),
        literal(w.hostname),
        Text(str(w.pid or "-"), justify="right"),
        fmt.local_time(w.birth, with_zone=False),
    ]


QUEUE_KEYS = {"empty": "queues.empty"}
"""Its key's action (roles.ACTIONS), shown while the queues table has the focus and the role allows it;
the worker keys (WORKER_KEYS) while the workers table has it."""


class OverviewScreen(WorkerActions, BulkActionsScreen):
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next table", show=False, id="overview.next"),
        Binding("shift+tab", "app.focus_previous", "Previous table", show=False, id="overview.previous"),
        Binding("s", "app.open_schedules", "Schedules", id="overview.schedules", tooltip="Cron schedules"),
        Binding(
            "b",
            "app.open_batches",
            "Batches",
            id="overview.batches",
            tooltip="Batches (RQ groups), their progress",
        ),
        Binding("w", "app.open_workers", "Workers", id="overview.workers", tooltip="Every worker, by host"),
        Binding(
            "m",
            "app.open_metrics",
            "Metrics",
            id="overview.metrics",
            tooltip="Throughput, failures, wait, run times",
        ),
        Binding("a", "app.open_alerts", "Alerts", id="overview.alerts", tooltip="Alerts firing and resolved"),
        Binding("E", "empty", "Empty", id="overview.empty", tooltip="Delete every job waiting in the queue"),
        *worker_bindings("overview"),
        Binding("escape", "cancel_bulk", "Cancel", id="overview.cancel", tooltip="Cancel a run", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_overview: Overview | None = None
        self.last_throughput: dict[str, list[QueuePoint]] = {}
        self.sparklines = False
        """Whether the sparkline column is shown (set on the main thread, read by the fetch)."""
        self.counting_alerts = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            queues = LiveTable(id="queues", cursor_type="cell", zebra_stripes=True)
            set_border_title(queues, "Queues")
            yield queues
            workers = LiveTable(id="workers", cursor_type="row", zebra_stripes=True)
            set_border_title(workers, "Workers")
            yield workers
        yield BulkBar(id="bulk")
        yield KeysFooter()

    def on_mount(self) -> None:
        for table_id, columns in (("queues", QUEUE_COLUMNS), ("workers", WORKER_COLUMNS)):
            table = self.query_one(f"#{table_id}", LiveTable)
            for label, key, width, right in columns:
                table.add_column(Text(label, justify="right") if right else label, width=width, key=key)
        self._fit_spark(self.app.size.width)
        self.start_live()

    def on_resize(self) -> None:
        self._fit_spark(self.app.size.width)

    @property
    def spark_shown(self) -> bool:
        return "spark" in {key.value for key in self.query_one("#queues", LiveTable).columns}

    def _fit_spark(self, width: int) -> None:
        """The sparkline column where it fits: the other columns take 79 of 80 columns."""
        table = self.query_one("#queues", LiveTable)
        if width >= SPARK_MIN_WIDTH and not self.spark_shown:
            label, key, size, _ = SPARK_COLUMN
            table.add_column(label, width=size, key=key, default="")
            if self.last_overview is not None:
                self.show_overview(OverviewFetched(self.last_overview, self.last_throughput), rearm=False)
                self.fetch()  # the sparklines were not read while the column was hidden
        elif width < SPARK_MIN_WIDTH and self.spark_shown:
            table.remove_column("spark")
        self.sparklines = self.spark_shown

    def start_counting_alerts(self) -> None:
        """Count the firing alerts now and every ALERTS_EVERY seconds, from the first fetch's end on
        (whatever it brought, once drawn): the count opens the database, and loading SQLAlchemy in a
        thread beside the first fetch and draw would hold the queues back from the screen."""
        if not self.counting_alerts:
            self.counting_alerts = True
            self.count_alerts()
            self.console.warm_views()
            self.set_interval(ALERTS_EVERY, self.count_alerts)

    @on(FetchFailed)
    def _count_alerts_anyway(self) -> None:
        self.start_counting_alerts()  # the database may be up while Redis is down

    @work(thread=True, exclusive=True, exit_on_error=False, group="alerts-count")
    def count_alerts(self) -> None:
        from queuetui.metrics.alerts import firing_count

        try:
            count: int | None = firing_count(self.console.services.sessions)
        except DatabaseError:
            count = None  # the database is down: the views that need it say so
        self.post_message(FiringCounted(count))

    @on(FiringCounted)
    def _show_firing(self, message: FiringCounted) -> None:
        self.query_one(StatusBar).firing = message.count or 0

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        """Read a snapshot in a thread; report back with a message (never touch widgets here)."""
        try:
            samples = SPARK_SAMPLES if self.sparklines else 0  # no read for a column not shown
            overview, throughput = overview_with_throughput(self.console.redis, self.console.clock, samples)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(OverviewFetched(overview, throughput))

    @on(OverviewFetched)
    def show_overview(self, message: OverviewFetched, rearm: bool = True) -> None:
        overview = message.overview
        self.last_overview = overview
        self.console.known_queues = tuple(q.name for q in overview.queues)
        self.last_throughput = message.throughput
        until = overview.taken_at.timestamp()
        shown = self.spark_shown
        with self.app.batch_update():
            queues = self.query_one("#queues", LiveTable)
            queues.sync(
                [
                    queue_row(q, message.throughput.get(q.name, []) if shown else None, until)
                    for q in overview.queues
                ]
            )
            set_border_title(queues, f"Queues ({len(overview.queues)})")
            workers = self.query_one("#workers", LiveTable)
            workers.sync([worker_row(w) for w in overview.workers])
            busy = sum(1 for w in overview.workers if w.state == "busy")
            set_border_title(workers, f"Workers ({len(overview.workers)}, {busy} busy)")
        if rearm:
            self.fetched()
        if not self.counting_alerts:
            self.call_after_refresh(self.start_counting_alerts)

    @on(LiveTable.RowSelected, "#workers")
    def open_worker_job(self) -> None:
        """Enter on a worker opens the job it runs, as in the Workers view."""
        worker = self.selected_worker()
        if worker is None:
            return
        if job_id := self.selected_worker_job():
            self.console.open_detail(job_id)
        else:
            self.notify(f"{worker} runs no job", timeout=3)

    @on(LiveTable.CellSelected, "#queues")
    def open_registry(self, event: LiveTable.CellSelected) -> None:
        """Enter on a queue's count opens that registry; on its name or age, the waiting jobs."""
        queue = str(event.cell_key.row_key.value)
        column = str(event.cell_key.column_key.value)
        self.console.open_jobs(queue, COLUMN_REGISTRY.get(column, "waiting"))

    # -- queue and worker actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused.id if self.focused is not None else None
        if action in QUEUE_KEYS:
            return focused == "queues" and self.console.may(QUEUE_KEYS[action])
        if action in WORKER_KEYS:
            return focused == "workers" and self.console.may(WORKER_KEYS[action])
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def _row(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", LiveTable)
        if not table.row_count or table.cursor_row < 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def selected_worker(self) -> str | None:
        return self._row("workers")

    def selected_worker_job(self) -> str:
        name = self.selected_worker()
        shown = self.last_overview.workers if self.last_overview is not None else []
        return next((w.current_job_id or "" for w in shown if w.name == name), "")

    def action_cancel_bulk(self) -> None:
        self.cancel_bulk()

    def action_empty(self) -> None:
        if queue := self._row("queues"):
            self.start_action("queues.empty", Selection(queue, "waiting"))
