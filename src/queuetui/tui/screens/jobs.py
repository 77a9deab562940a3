"""One queue's jobs in one registry: a window of rows over a registry of any size, filters, order."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from queuetui import fmt, jobtext
from queuetui import table as table_layout
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.pages import Page, default_descending, read_page
from queuetui.rqdata.query import Query, parse
from queuetui.rqdata.rows import VIEWS, JobRow, read_rows
from queuetui.rqdata.search import filter_ids
from queuetui.tui.messages import FetchFailed, FilterDone, PageFetched, ScanProgress
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.widgets.live_table import Cell, LiveTable, window_moved
from queuetui.tui.widgets.status_bar import StatusBar

PAGE = 100
"""Rows held at once. Moving past either end fetches the window STEP rows further."""
STEP = 50


class JobsScreen(LiveScreen):
    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="jobs.filter",
            tooltip="Filter this view (e.g. exc:Timeout age>1h)",
        ),
        Binding("o", "toggle_order", "Order", id="jobs.order", tooltip="Newest or oldest first"),
        Binding("g", "top", "Top", id="jobs.top", tooltip="First row of the whole registry"),
        Binding("G", "bottom", "Bottom", id="jobs.bottom", tooltip="Last row of the whole registry"),
        Binding("f", "groups", "Groups", id="jobs.groups", tooltip="Failure groups (Failed view)"),
        Binding(
            "y", "copy_id", "Copy id", id="jobs.copy", tooltip="Copy the job id (OSC 52, works over SSH)"
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="jobs.back",
            tooltip="Cancel a filter run, clear the filter, or go back",
        ),
    ]

    def __init__(
        self,
        queue: str,
        registry: str,
        *,
        focus_job: str | None = None,
        offset: int = 0,
        filter_text: str = "",
    ) -> None:
        super().__init__()
        self.queue = queue
        self.registry = registry
        self.start = offset
        self.total = 0
        self.descending = default_descending(registry)
        self.filter = Query("", None)
        self.matches: list[tuple[str, float | None]] | None = None
        self.truncated = False
        self.focus_job = focus_job
        self.focus_row: int | None = 0 if focus_job is None else None
        self.rows: tuple[JobRow, ...] = ()
        self.loaded = False
        self.scanning = False
        self._initial_filter = filter_text
        self._width = 0
        self._widths: dict[str, int] = {}

    @property
    def label(self) -> str:
        return VIEWS[self.registry]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield Static(id="view-title")
            yield LiveTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static(id="scan")
        yield Footer()

    def on_mount(self) -> None:
        self._build_columns()
        self._show_title()
        self.start_live()
        if self._initial_filter:
            self.apply_filter(self._initial_filter)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "groups":
            return self.registry == "failed"
        return True

    # -- columns and rows

    def _build_columns(self) -> None:
        table = self.query_one("#jobs", LiveTable)
        names = jobtext.VIEW_COLUMNS[self.registry]
        self._width = self.size.width
        widths = table_layout.column_widths([jobtext.COLUMNS[n] for n in names], max(40, self.size.width - 4))
        self._widths = dict(zip(names, widths, strict=True))
        table.clear(columns=True)
        for name, width in zip(names, widths, strict=True):
            column = jobtext.COLUMNS[name]
            label = Text(column.label, justify="right") if column.right else column.label
            table.add_column(label, width=width, key=name)
        self._fill()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    def _cells(self, row: JobRow) -> list[Cell]:
        now = self.console.clock.now()
        cells: list[Cell] = []
        for name in jobtext.VIEW_COLUMNS[self.registry]:
            column = jobtext.COLUMNS[name]
            value = table_layout.fit(
                jobtext.cell(row, name, now), self._widths.get(name, 80), column.keep_end
            )
            style = ""
            if not row.readable and name in ("func", "args", "exception"):
                style = "bold red" if name != "func" else "red"
            elif name == "exception":
                style = "red"
            elif name == "id":
                style = "bold"
            cells.append(Text(value, style=style, justify="right" if column.right else "left", no_wrap=True))
        return cells

    def _fill(self) -> None:
        table = self.query_one("#jobs", LiveTable)
        table.sync([(row.id, self._cells(row)) for row in self.rows])
        target: int | None = None
        if self.focus_job is not None:
            target = next((i for i, r in enumerate(self.rows) if r.id == self.focus_job), None)
        elif self.focus_row is not None:
            target = min(self.focus_row, max(0, len(self.rows) - 1))
        if target is not None and self.rows:
            table.move_cursor(row=target, scroll=True)
            self.focus_job = None
            self.focus_row = None

    def _show_title(self) -> None:
        order = "newest first" if self.descending else "oldest first"
        if self.registry == "waiting":
            order = "last to run first" if self.descending else "next to run first"
        elif self.registry == "scheduled":
            order = "latest first" if self.descending else "soonest first"
        span = (
            f"{self.start + 1:,}–{self.start + len(self.rows):,} of {self.total:,}" if self.rows else "empty"
        )
        if not self.loaded:
            span = "loading…"
        parts = [f"[b]{self.queue}[/b] › [b]{self.label}[/b]", span, order]
        self.query_one("#view-title", Static).update("  ·  ".join(parts))
        table = self.query_one("#jobs", LiveTable)
        table.border_title = ""
        if self.filter:
            matched = ""
            if self.matches is not None:
                matched = f" ({self.total:,} matches{', stopped at the cap' if self.truncated else ''})"
            table.border_title = f"filter: {self.filter.source}{matched}"

    # -- fetching

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        redis = self.console.redis
        offset, descending, matches = self.start, self.descending, self.matches
        try:
            if matches is None:
                page = read_page(redis, self.queue, self.registry, offset, PAGE, descending)
            else:
                offset = max(0, min(offset, len(matches) - PAGE))
                window = matches[offset : offset + PAGE]
                rows = read_rows(redis, self.queue, self.registry, window)
                page = Page(self.queue, self.registry, offset, len(matches), descending, tuple(rows))
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(PageFetched(page))

    @on(PageFetched)
    def show_page(self, message: PageFetched) -> None:
        page = message.page
        if page.descending != self.descending:
            return  # fetched before the order flipped; the fetch for the new order is on its way
        self.start, self.total, self.rows, self.loaded = page.offset, page.total, page.rows, True
        with self.app.batch_update():
            self._fill()
            self._show_title()
        self.fetched()

    def _jump(self, offset: int, focus_row: int | None = 0, focus_job: str | None = None) -> None:
        self.start = max(0, offset)
        self.focus_row, self.focus_job = focus_row, focus_job
        self.fetch()

    @on(LiveTable.RowHighlighted, "#jobs")
    def _scroll_window(self, event: LiveTable.RowHighlighted) -> None:
        """Moving onto the first or last row held fetches the window further along."""
        if not self.loaded or self.focus_job is not None or event.cursor_row < 0 or not self.rows:
            return
        if event.cursor_row != event.data_table.cursor_row:
            return  # a stale event from refilling the table; the cursor has moved on since
        start = window_moved(event.cursor_row, len(self.rows), self.start, self.total, STEP)
        if start is not None:
            self._jump(start, None, self.rows[min(event.cursor_row, len(self.rows) - 1)].id)

    @on(LiveTable.RowSelected, "#jobs")
    def _open(self, event: LiveTable.RowSelected) -> None:
        self.console.open_detail(str(event.row_key.value))

    def current_job(self) -> str | None:
        table = self.query_one("#jobs", LiveTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)].id

    # -- actions

    def action_top(self) -> None:
        self._jump(0)

    def action_bottom(self) -> None:
        self._jump(max(0, self.total - PAGE), focus_row=PAGE)

    def jump_to_row(self, row_number: int) -> None:
        """Show 1-based row `row_number` of the view with the cursor on it."""
        index = max(0, row_number - 1)
        start = max(0, index - STEP)
        self._jump(start, focus_row=index - start)

    def focus_on(self, job_id: str, position: int) -> None:
        self._jump(max(0, position - STEP), focus_row=None, focus_job=job_id)

    def action_toggle_order(self) -> None:
        if self.matches is not None:
            self.matches.reverse()
        self.descending = not self.descending
        self._show_title()
        self._jump(0)

    def action_copy_id(self) -> None:
        job_id = self.current_job()
        if job_id:
            self.app.copy_to_clipboard(job_id)
            self.notify(f"Copied {job_id}", timeout=2)

    def action_groups(self) -> None:
        from queuetui.tui.screens.groups import FailureGroupsScreen

        def chosen(signature: str | None) -> None:
            if signature:
                escaped = signature.replace('"', "'")
                self.apply_filter(f'sig:"{escaped}"')

        self.app.push_screen(FailureGroupsScreen(self.queue), chosen)

    def action_filter(self) -> None:
        def submitted(text: str | None) -> None:
            if text is not None:
                self.apply_filter(text)

        prompt = PromptScreen(
            f"filter {self.queue} › {self.label}",
            self.filter.source,
            "func:send_email exc:Timeout age>1h meta.tenant:acme !worker:w1 ... (empty clears)",
            refusal(parse),
        )
        self.app.push_screen(prompt, submitted)

    def action_back(self) -> None:
        if self.scanning:
            self.workers.cancel_group(self, "filter")
            self._scan_finished("Filter cancelled")
        elif self.filter:
            self.apply_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    # -- filtering

    def apply_filter(self, text: str) -> None:
        self.filter = parse(text)
        self.matches = None
        self.truncated = False
        if not self.filter:
            self._show_title()
            self._jump(0)
            return
        self.scanning = True
        self._show_title()
        self._show_scan(0, self.total)
        self.run_filter(self.filter, self.descending)

    @work(thread=True, exclusive=True, exit_on_error=False, group="filter")
    def run_filter(self, query: Query, descending: bool) -> None:
        worker = get_current_worker()
        try:
            result = filter_ids(
                self.console.redis,
                self.queue,
                self.registry,
                query,
                descending=descending,
                clock=self.console.clock,
                progress=lambda scanned, total: self.post_message(ScanProgress(scanned, total)),
                cancelled=lambda: worker.is_cancelled,
            )
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            self.post_message(FilterDone(None))
            return
        if not worker.is_cancelled:
            self.post_message(FilterDone(result))

    @on(ScanProgress)
    def _progress(self, message: ScanProgress) -> None:
        if self.scanning:
            self._show_scan(message.scanned, message.total)

    def _show_scan(self, scanned: int, total: int) -> None:
        scan = self.query_one("#scan", Static)
        scan.update(f"Filtering… {fmt.progress(scanned, total)} scanned  ·  esc cancels")
        scan.display = True

    def _scan_finished(self, note: str = "") -> None:
        self.scanning = False
        self.query_one("#scan", Static).display = False
        if note:
            self.notify(note, timeout=3)

    @on(FilterDone)
    def _filtered(self, message: FilterDone) -> None:
        self._scan_finished()
        if message.result is None:
            self.filter = Query("", None)
            self._show_title()
            return
        self.matches = message.result.matches
        self.truncated = message.result.truncated
        self._jump(0)
