"""Every worker, grouped by host and refreshed live: what each runs and for how long, its heartbeat,
and whether it is late (stale) or gone (dead). Enter opens the job a worker runs; the worker actions
(stop its job, warm shutdown, kill its horse) are the overview's, audited and role-checked.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from queuetui import fmt
from queuetui.present.table import Column, column_widths, fit
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.liveness import DEAD, OK, STALE
from queuetui.rqdata.workers import WorkerRow, Workers, read_workers
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import FetchFailed, WorkersFetched
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.worker_actions import WORKER_KEYS, WorkerActions, worker_bindings
from queuetui.tui.sorting import SORT_BINDINGS, SortActions, WindowSort
from queuetui.tui.text import literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

# The first columns share the screen's width (at 80 columns the table scrolls sideways from Function
# on); the rest keep their width, beyond the right edge when the screen is narrow.
COLUMNS: dict[str, Column] = {
    "name": Column("Worker", 15, flex=1, max_width=30),
    "health": Column("Health", 7),
    "state": Column("State", 9),
    "beat": Column("Beat", 5, right=True),
    "job": Column("Job", 12, flex=3, max_width=36),
    "running": Column("Running", 7, right=True),
    "func": Column("Function", 12, flex=3, keep_end=True),
    "ok": Column("OK", 6, right=True),
    "failed": Column("Failed", 6, right=True),
}
MORE_COLUMNS: dict[str, Column] = {
    "worked": Column("Worked", 6, right=True),
    "queues": Column("Queues", 24),
    "pid": Column("PID", 7, right=True),
    "born": Column("Born", 19),
}
HOST_KEY = "\x00host:"
"""Host header rows are keyed apart from workers (a worker name never holds a NUL)."""
UNKNOWN_HOST = "unknown host"
HEALTH_STYLE = {STALE: "bold yellow", DEAD: "bold red"}
STATE_STYLE = {"busy": "green", "idle": "dim", "suspended": "yellow"}


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


def widths_for(total: int) -> dict[str, int]:
    """Each column's width on a screen `total` cells wide."""
    first = column_widths(list(COLUMNS.values()), max(40, total - 4))
    return dict(zip(COLUMNS, first, strict=True)) | {k: c.width for k, c in MORE_COLUMNS.items()}


def worker_cells(w: WorkerRow, widths: dict[str, int]) -> list[Cell]:
    info, job = w.info, w.job
    alarm = HEALTH_STYLE.get(w.health, "")
    state = info.state + (" (stop)" if w.shutdown_requested else "")
    func = "-"
    if job is not None:
        func = job.func or ("(unreadable)" if job.problem else "-")
    return [
        Text("  " + fit(info.name, widths["name"] - 2), style=alarm),
        Text(w.health, style=alarm or "dim"),
        Text(state, style=STATE_STYLE.get(info.state, "")),
        _right(fmt.age(info.heartbeat_age_seconds), alarm),
        fit(info.current_job_id or "-", widths["job"]),
        _right(fmt.duration(w.job_running_seconds)),
        fit(func, widths["func"], keep_end=True),
        _right(fmt.compact(info.successful), "" if info.successful else "dim"),
        _right(fmt.compact(info.failed), "red" if info.failed else "dim"),
        _right(fmt.age(info.total_working_time)),
        fit(",".join(info.queues) or "-", widths["queues"]),
        _right(str(info.pid or "-")),
        fmt.local_time(info.birth, with_zone=False),
    ]


def host_cells(host: str, workers: list[WorkerRow], widths: dict[str, int]) -> list[Cell]:
    """A host's header: its name, its worst problem (dead, else stale), how many busy, how many workers."""
    dead, stale = (sum(1 for w in workers if w.health == h) for h in (DEAD, STALE))
    worst = Text(f"{dead} {DEAD}", style="bold red") if dead else Text("")
    if stale and not dead:
        worst = Text(f"{stale} {STALE}", style="bold yellow")
    busy = sum(1 for w in workers if w.info.state == "busy")
    count = f"{len(workers)} worker{'s' if len(workers) != 1 else ''}"
    both = f"{stale} {STALE}, {dead} {DEAD}" if stale and dead else ""
    cells: list[Cell] = [
        Text(fit(host or UNKNOWN_HOST, widths["name"]), style="bold"),
        worst,
        Text(f"{busy} busy", style="dim"),
        "",
        Text(count, style="dim"),
        "",
        Text(both, style="bold yellow"),
    ]
    return cells + [""] * (len(COLUMNS) + len(MORE_COLUMNS) - len(cells))


_SORT_VALUES = {
    "name": lambda w: w.name,
    "health": lambda w: w.health,
    "state": lambda w: w.info.state,
    "beat": lambda w: w.info.heartbeat_age_seconds,
    "job": lambda w: w.info.current_job_id,
    "running": lambda w: w.job_running_seconds,
    "func": lambda w: w.job.func if w.job is not None else None,
    "ok": lambda w: w.info.successful,
    "failed": lambda w: w.info.failed,
    "worked": lambda w: w.info.total_working_time,
    "queues": lambda w: ",".join(w.info.queues),
    "pid": lambda w: w.info.pid,
    "born": lambda w: w.info.birth,
}


def table_rows(
    view: Workers, widths: dict[str, int], sort: WindowSort | None = None
) -> list[tuple[str, list[Cell]]]:
    """A header row per host (its workers, how many busy, stale, dead), then its workers (sorted by a
    column within their host when `sort` says so)."""
    rows: list[tuple[str, list[Cell]]] = []
    by_host: dict[str, list[WorkerRow]] = {}
    for w in view.workers:
        by_host.setdefault(w.hostname, []).append(w)
    for host, workers in by_host.items():
        rows.append((HOST_KEY + host, host_cells(host, workers, widths)))
        if sort is not None:
            workers = sort.apply(workers, lambda w, column: _SORT_VALUES[column](w))
        rows.extend((w.name, worker_cells(w, widths)) for w in workers)
    return rows


def note(w: WorkerRow) -> Text:
    info = w.info
    health = w.why or ("heartbeat on time" if w.health == OK else w.health)
    parts = [
        f"queues {safe(','.join(info.queues)) or '-'}",
        f"pid {info.pid or '-'}",
        f"born {fmt.local_time(info.birth)}",
    ]
    if w.shutdown_requested is not None:
        parts.append(f"asked to shut down at {fmt.local_time(w.shutdown_requested)}")
    line = Text(f"{safe(info.name)}: ", style="bold")
    line.append(safe(health), style=HEALTH_STYLE.get(w.health, ""))
    line.append("  ·  " + "  ·  ".join(parts), style="dim")
    return line


def title(view: Workers) -> str:
    if not view.workers:
        return "Workers (none registered in this Redis: start one with queuetui worker or rq worker)"
    hosts = len(view.hosts)
    parts = [f"{len(view.workers)} on {hosts} host{'s' if hosts != 1 else ''}", f"{view.busy} busy"]
    parts += [f"{n} {h}" for h in (STALE, DEAD) if (n := view.count(h))]
    return f"Workers ({', '.join(parts)})"


class WorkersScreen(SortActions, WorkerActions, LiveScreen):
    BINDINGS = [
        Binding(
            "enter",
            "open_job",
            "Open job",
            id="workers.open",
            tooltip="The job the worker runs",
            priority=True,
        ),
        Binding("l", "open_log", "Job log", id="workers.log", tooltip="The log of the job the worker runs"),
        *worker_bindings("workers"),
        *SORT_BINDINGS,
        Binding("escape", "app.pop_screen", "Back", id="workers.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_view: Workers | None = None
        self._width = 0
        self._widths: dict[str, int] = {}
        self._placed = False
        """The cursor was put on the first worker once; from then on it is the operator's."""
        self.sort = WindowSort()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            table = LiveTable(id="worker-list", cursor_type="row")
            set_border_title(table, "Workers")
            yield table
            yield Static(id="worker-note")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        self.start_live()

    def _build_columns(self) -> None:
        self._width = self.size.width
        self._widths = widths_for(self._width)
        table = self.query_one(LiveTable)
        table.clear(columns=True)
        self._placed = False
        for key, column in (COLUMNS | MORE_COLUMNS).items():
            label = Text(column.label, justify="right") if column.right else column.label
            table.add_column(label, width=self._widths[key], key=key)
        self._resort()

    def _mark_sorted(self) -> None:
        labels = {n: (c.label, c.right) for n, c in (COLUMNS | MORE_COLUMNS).items()}
        self.sort.mark_headers(self.query_one(LiveTable), labels)

    def _sort_names(self) -> list[str]:
        return list(COLUMNS | MORE_COLUMNS)

    def _resort(self) -> None:
        self._mark_sorted()
        if self.last_view is not None:
            self._show(self.last_view, table_rows(self.last_view, self._widths, self.sort))

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        try:
            view = read_workers(self.console.redis, self.console.clock)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        # The rows too are built here: at 500 workers that is most of a refresh's work in Python.
        self.post_message(WorkersFetched(view, table_rows(view, self._widths, replace(self.sort))))

    @on(WorkersFetched)
    def show_workers(self, message: WorkersFetched) -> None:
        self.last_view = message.workers
        self._show(message.workers, message.rows)
        self.fetched()

    def _show(self, view: Workers, rows: list[tuple[str, list[Cell]]]) -> None:
        table = self.query_one(LiveTable)
        with self.app.batch_update():
            table.sync(rows)
            labels = {n: c.label for n, c in (COLUMNS | MORE_COLUMNS).items()}
            sorted_by = self.sort.note(labels).replace("in window", "within each host")
            set_border_title(table, literal(title(view) + (f"  {sorted_by}" if sorted_by else "")))
        if not self._placed and view.workers:
            table.move_cursor(row=1, scroll=False)  # the first worker, not its host's header
            self._placed = True
        self._note()

    @on(LiveTable.RowHighlighted)
    def _note(self) -> None:
        """Under the table, the worker under the cursor: why its health is what it is, and what a
        narrow screen leaves out (queues, pid, birth)."""
        worker = self.selected()
        update_static(self.query_one("#worker-note", Static), "" if worker is None else note(worker))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WORKER_KEYS:
            return self.console.may(WORKER_KEYS[action])
        return True

    def selected(self) -> WorkerRow | None:
        table = self.query_one(LiveTable)
        if self.last_view is None or not table.row_count or table.cursor_row < 0:
            return None
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return next((w for w in self.last_view.workers if w.name == key), None)

    def selected_worker(self) -> str | None:
        worker = self.selected()
        return worker.name if worker is not None else None

    def selected_worker_job(self) -> str:
        worker = self.selected()
        return (worker.info.current_job_id or "") if worker is not None else ""

    @on(LiveTable.RowSelected)
    def _row_selected(self) -> None:
        """A click on a row (enter is the screen's own key)."""
        self.action_open_job()

    def action_open_log(self) -> None:
        worker = self.selected()
        if worker is None or not worker.info.current_job_id:
            self.notify("No running job here: move to a busy worker's row", timeout=2)
        else:
            self.console.open_log(worker.info.current_job_id)

    def action_open_job(self) -> None:
        worker = self.selected()
        if worker is None:
            self.notify("No worker here: move to a worker's row", timeout=2)
        elif not worker.info.current_job_id:
            self.notify(f"{worker.name} runs no job ({worker.info.state})", timeout=3)
        else:
            self.console.open_detail(worker.info.current_job_id)
