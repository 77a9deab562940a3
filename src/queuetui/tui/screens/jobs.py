"""One queue's jobs in one registry, or a batch's jobs wherever they are: a window of rows over a
registry of any size, filters, order, marks, and the job actions on the marks or the job under the
cursor.

A batch (RQ group, `group=`) is read once in full as ids in creation order (rqdata.batches, as a
filter's matches are) and then paged like a registry; each row shows the job's own state and queue.

Marks are job ids, or, after `*`, the whole filter: the Selection of the queue's registry and the
filter, which the dry run reads in full, however many jobs match (never a list of ids held here).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from functools import partial

import redis
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key, Resize
from textual.widgets import Static
from textual.worker import get_current_worker

from queuetui import fmt
from queuetui.present import jobs as jobtext
from queuetui.present import table as table_layout
from queuetui.rqdata.actions import JOB_ACTIONS, Options
from queuetui.rqdata.batches import batch_members, read_batch_rows, row_state
from queuetui.rqdata.bulk import Outcome, Selection
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.pages import Page, default_descending, read_window
from queuetui.rqdata.query import Query, parse, with_tenant_term
from queuetui.rqdata.rows import VIEWS, JobRow
from queuetui.rqdata.search import filter_ids
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import BatchMembersFetched, FetchFailed, FilterDone, PageFetched, ScanProgress
from queuetui.tui.screens.bulk_actions import BulkActionsScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.sorting import SORT_BINDINGS, SortActions, WindowSort
from queuetui.tui.text import SEPARATOR, line, literal
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable, window_moved
from queuetui.tui.widgets.status_bar import StatusBar

STATE_STYLES = {"running": "green", "failed": "red", "finished": "dim", "canceled": "dim", "gone": "dim"}
PAGE = 100
"""Rows held at once. Moving past either end fetches the window STEP rows further."""
STEP = 50
AHEAD_WAIT = 0.03
"""How long a new view waits for the window read ahead before it draws "loading…" (the read takes
7-20 ms on a local Redis; the loop waits no longer than drawing "loading…" would take it)."""


JOB_KEYS = {
    "retry": "jobs.retry",
    "requeue": "jobs.requeue",
    "move": "jobs.move",
    "cancel": "jobs.cancel",
    "stop": "jobs.stop",
    "delete": "jobs.delete",
    "enqueue_now": "jobs.enqueue-now",
    "release": "jobs.release",
}
"""Each action key's job action: shown where the registry is one of its sources and the role allows it."""


class JobsScreen(SortActions, BulkActionsScreen):
    BINDINGS = [
        Binding("space", "mark", "Mark", id="jobs.mark", tooltip="Mark or unmark the job, then move down"),
        Binding(
            "v",
            "mark_range",
            "Mark range",
            id="jobs.mark-range",
            tooltip="Mark from the last mark to here",
            show=False,
        ),
        Binding(
            "asterisk",
            "mark_all",
            "Mark all",
            id="jobs.mark-all",
            tooltip="Mark every job matching the filter (all pages), or the whole view",
        ),
        Binding("u", "unmark", "Unmark", id="jobs.unmark", tooltip="Clear every mark", show=False),
        Binding(
            "R", "retry", "Retry", id="jobs.retry", tooltip="Retry (failed) or requeue on their own queue"
        ),
        Binding("M", "move", "To queue", id="jobs.move", tooltip="Requeue or move to another queue"),
        Binding("C", "cancel", "Cancel", id="jobs.cancel", tooltip="Cancel (kept in Canceled)"),
        Binding("S", "stop", "Stop", id="jobs.stop", tooltip="Stop running jobs"),
        Binding("D", "delete", "Delete", id="jobs.delete", tooltip="Delete jobs and their results"),
        Binding(
            "N", "enqueue_now", "Enqueue now", id="jobs.enqueue-now", tooltip="Enqueue scheduled jobs now"
        ),
        Binding(
            "L",
            "release",
            "Release",
            id="jobs.release",
            tooltip="Enqueue deferred jobs now, whatever their dependencies",
        ),
        Binding(
            "n",
            "never",
            "Never runs",
            id="jobs.never",
            tooltip="Only the deferred jobs that can never run (the filter never:), or all again",
        ),
        Binding(
            "x",
            "problems",
            "Problems",
            id="jobs.problems",
            tooltip="Jobs the last action left alone",
            show=False,
        ),
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
        Binding("l", "log", "Log", id="jobs.log", tooltip="The job's log (followed while it runs)"),
        Binding(
            "y", "copy_id", "Copy id", id="jobs.copy", tooltip="Copy the job id (OSC 52, works over SSH)"
        ),
        *SORT_BINDINGS,
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
        group: str = "",
    ) -> None:
        super().__init__()
        self.queue = queue
        self.group = group
        """The batch (RQ group) whose jobs this view shows, in every queue and registry; '' for a registry."""
        self.marked: dict[str, int] = {}
        """Marked job ids, in marking order, with their row number in the view when marked."""
        self.marked_all = False
        """Every job of the view (of the filter, when one is set) is marked."""
        self.marked_total = 0
        """How many jobs the view (the filter) held when every job was marked: the dry run says how many
        match by the time it runs, and why that differs."""
        self._last_mark: int | None = None
        self.registry = "batch" if group else registry
        self.start = offset
        self.total = 0
        self.descending = default_descending(registry)
        self.filter = Query("", None)
        self.filter_text = ""
        """The filter as the operator typed it (self.filter adds the console's tenant scope)."""
        self.matches: list[tuple[str, float | None]] | None = None
        self.truncated = False
        self.focus_job = focus_job
        self.focus_row: int | None = 0 if focus_job is None else None
        self.rows: tuple[JobRow, ...] = ()
        """The window's rows as shown: in the registry's order, or sorted (self.sort)."""
        self._window: tuple[JobRow, ...] = ()
        """The window's rows in the registry's order."""
        self.sort = WindowSort()
        self.loaded = False
        self.scanning = False
        self._initial_filter = filter_text
        self._width = 0
        self._widths: dict[str, int] = {}
        self._ahead: tuple[tuple[int, bool], Future[Page]] | None = None
        """The first window, read as the view was built (`read_ahead`), with the offset and order read."""

    def read_ahead(self, connection: redis.Redis) -> None:
        """Start reading the first window now, in a thread, while the view is built: the read (7-20 ms)
        and the build (about 17 ms) then overlap, and the view's first frame can show its rows instead
        of "loading…". Its first fetch takes this answer (or its error)."""
        if self.group or self._initial_filter:
            return  # a batch reads its members first; a filtered view shows only what matches
        read = partial(read_window, connection, self.queue, self.registry, self.start, PAGE, self.descending)
        self._ahead = ((self.start, self.descending), _in_thread(read))

    def _read_ahead_by(self, seconds: float) -> Page | None:
        """The window read ahead, if it comes within `seconds`: the first frame then shows the rows, and
        "loading…" is not drawn first (drawing it took the loop 13-24 ms, and delayed the rows as long).
        Later, slower or failed, the first fetch takes it."""
        if self._ahead is None:
            return None
        try:
            page = self._ahead[1].result(timeout=seconds)
        except Exception:  # not yet (TimeoutError), or failed: the first fetch reports it
            return None
        self._ahead = None
        return page

    @property
    def label(self) -> str:
        return "Jobs" if self.group else VIEWS[self.registry]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield Static(id="view-title")
            yield LiveTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static(id="scan")
        yield BulkBar(id="bulk")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        page = self._read_ahead_by(AHEAD_WAIT)
        self._show_title()
        self.start_live(fetch=page is None)
        if page is not None:
            self.show_page(PageFetched(page))
        if self._initial_filter or (self.app.tenant and not self.group):
            self.apply_filter(self._initial_filter)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.group and action in ("filter", "groups", "move"):
            return False  # a filter walks one registry; a batch spans them
        if self.group and action in JOB_KEYS:
            return self.console.may(JOB_KEYS[action])
        if action == "groups":
            return self.registry == "failed"
        if action == "never":
            return self.registry == "deferred"
        if action in ("retry", "move"):
            name = self._job_action(action)
            return name is not None and self.console.may(name)
        if action in JOB_KEYS:
            name = JOB_KEYS[action]
            return self.registry in JOB_ACTIONS[name].sources and self.console.may(name)
        return True

    def _refused(self, action: str) -> str | None:
        """The job action a key's `action` would run here when read-only mode or the role refuses it."""
        if action in ("retry", "move"):
            name = self._job_action(action)
        elif action in JOB_KEYS and (self.group or self.registry in JOB_ACTIONS[JOB_KEYS[action]].sources):
            name = JOB_KEYS[action]
        else:
            return None
        return name if name is not None and not self.console.may(name) else None

    def on_key(self, event: Key) -> None:
        """An action key that is hidden because it is refused still answers: refused, audited, explained."""
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            name = self._refused(binding.action)
            if name is None:
                continue
            event.stop()
            event.prevent_default()
            selection = self.selection()
            if selection is None:
                self.notify("No job here", timeout=2)
            else:
                self.refuse_action(name, selection)
            return

    # -- columns and rows

    def _build_columns(self) -> None:
        table = self.query_one("#jobs", LiveTable)
        self._width = self.size.width
        total = max(40, self.size.width - 4)
        names = table_layout.fitting(jobtext.COLUMNS, jobtext.VIEW_COLUMNS[self.registry], total)
        widths = table_layout.column_widths([jobtext.COLUMNS[n] for n in names], total)
        self._widths = dict(zip(names, widths, strict=True))
        table.clear(columns=True)
        for name, width in zip(names, widths, strict=True):
            column = jobtext.COLUMNS[name]
            label = Text(column.label, justify="right") if column.right else column.label
            table.add_column(label, width=width, key=name)
        self._mark_sorted()
        self._fill()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    def _mark_sorted(self) -> None:
        labels = {n: (jobtext.COLUMNS[n].label, jobtext.COLUMNS[n].right) for n in self._widths}
        self.sort.mark_headers(self.query_one("#jobs", LiveTable), labels)

    def _sorted(self, rows: tuple[JobRow, ...]) -> tuple[JobRow, ...]:
        now = self.console.clock.now()
        return tuple(self.sort.apply(rows, lambda row, column: jobtext.sort_value(row, column, now)))

    def _sort_names(self) -> list[str]:
        return list(self._widths)

    def _resort(self) -> None:
        self.rows = self._sorted(self._window)
        with self.app.batch_update():
            self._mark_sorted()
            self._fill()
            self._show_title()

    def _cells(self, row: JobRow) -> list[Cell]:
        now = self.console.clock.now()
        marked = self.marked_all or row.id in self.marked
        cells: list[Cell] = []
        for name, width in self._widths.items():
            column = jobtext.COLUMNS[name]
            if marked and name == "id":  # only marked rows give two columns of the id to the mark
                value = "▶ " + table_layout.fit(jobtext.cell(row, name, now), width - 2, column.keep_end)
            else:
                value = table_layout.fit(jobtext.cell(row, name, now), width, column.keep_end)
            style = ""
            if not row.readable and name in ("func", "args", "exception"):
                style = "bold red" if name != "func" else "red"
            elif name == "exception" or (name == "never" and row.never):
                style = "red"
            elif name == "id":
                style = "bold"
            elif name == "state":
                style = STATE_STYLES.get(row_state(row), "")
            if marked:
                style = f"{style} reverse".strip()
            cells.append(Text(value, style=style, justify="right" if column.right else "left", no_wrap=True))
        return cells

    def _fill(self) -> None:
        table = self.query_one("#jobs", LiveTable)
        table.sync([(row.id, self._cells(row)) for row in self.rows])
        target: int | None = None
        if self.focus_job is not None:
            target = next((i for i, r in enumerate(self.rows) if r.id == self.focus_job), None)
        elif self.focus_row is not None and self.rows:
            # a row number of the registry's order: where that job sits in the sorted rows
            wanted = self._window[min(self.focus_row, len(self._window) - 1)].id
            target = next((i for i, r in enumerate(self.rows) if r.id == wanted), 0)
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
        where = f"batch {self.group}" if self.group else self.queue
        parts = [line((where, "bold"), " › ", (self.label, "bold")), line(span), line(order)]
        if sorted_by := self.sort.note({n: jobtext.COLUMNS[n].label for n in self._widths}):
            parts.append(line((sorted_by, "bold")))
        if self.app.tenant and not self.group:
            parts.insert(1, line("tenant ", (self.app.tenant, "bold")))
        if self.group and self.truncated:
            parts.append(line(f"the first {len(self.matches or ()):,} jobs"))
        if self.marked_all:
            matching = " matching" if self.filter else ""
            parts.append(line((f"all {self.marked_total:,}{matching} marked", "reverse")))
        elif self.marked:
            parts.append(line((f"{len(self.marked):,} marked", "reverse")))
        update_static(self.query_one("#view-title", Static), SEPARATOR.join(parts))
        table = self.query_one("#jobs", LiveTable)
        set_border_title(table, "")
        if self.filter:
            matched = ""
            if self.matches is not None:
                matched = f" ({self.total:,} matches{', stopped at the cap' if self.truncated else ''})"
            set_border_title(table, literal(f"filter: {self.filter.source}{matched}"))

    # -- fetching

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        connection = self.console.redis
        offset, descending, matches = self.start, self.descending, self.matches
        ahead, self._ahead = self._ahead, None
        try:
            if self.group:
                self._fetch_batch(offset, descending, matches)
                return
            if ahead is not None and ahead[0] == (offset, descending) and matches is None:
                page = ahead[1].result()
            else:
                page = read_window(connection, self.queue, self.registry, offset, PAGE, descending, matches)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(PageFetched(page))

    def _fetch_batch(
        self, offset: int, descending: bool, matches: list[tuple[str, float | None]] | None
    ) -> None:
        """A window of the batch's jobs; the first fetch (and one after an action) reads its ids first."""
        members = None
        if matches is None:
            members = batch_members(self.console.redis, self.group)
            matches = members.ids[::-1] if descending else members.ids
        offset = max(0, min(offset, len(matches) - PAGE))
        rows = read_batch_rows(self.console.redis, matches[offset : offset + PAGE])
        page = Page("", "batch", offset, len(matches), descending, tuple(rows))
        if members is None:
            self.post_message(PageFetched(page))
        else:
            self.post_message(BatchMembersFetched(replace(members, ids=matches), page))

    @on(BatchMembersFetched)
    def _members(self, message: BatchMembersFetched) -> None:
        if message.page.descending != self.descending:
            return
        self.matches, self.truncated = message.members.ids, message.members.truncated
        self.show_page(PageFetched(message.page))

    @on(PageFetched)
    def show_page(self, message: PageFetched) -> None:
        page = message.page
        if page.descending != self.descending:
            return  # fetched before the order flipped; the fetch for the new order is on its way
        self.start, self.total, self._window, self.loaded = page.offset, page.total, page.rows, True
        self.rows = self._sorted(page.rows)
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

    def action_log(self) -> None:
        job_id = self.current_job()
        if job_id:
            self.console.open_log(job_id)

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
            self.filter_text,
            "func:send_email exc:Timeout age>1h tenant:acme !worker:w1 ... (empty clears)",
            refusal(parse),
        )
        self.app.push_screen(prompt, submitted)

    def action_back(self) -> None:
        if self.cancel_bulk():
            return
        if self.group:
            self.app.pop_screen()
        elif self.scanning:
            self.workers.cancel_group(self, "filter")
            self._scan_finished("Filter cancelled")
        elif self.filter_text:
            self.apply_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    # -- filtering

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        tenant = "" if self.group else self.app.tenant
        self.filter = parse(
            with_tenant_term(text, tenant) if tenant else text, self.app.settings.tenants.meta_key
        )
        self._clear_marks()
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

    # -- marks

    def _position(self) -> int | None:
        """The cursor's row number in the whole view (0-based), or None when the view is empty."""
        table = self.query_one("#jobs", LiveTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.start + min(table.cursor_row, len(self.rows) - 1)

    def _remark(self) -> None:
        with self.app.batch_update():
            self._fill()
            self._show_title()
        self.refresh_bindings()

    def drop_marks(self) -> None:
        """No job marked (a kept view shown again: tui/kept.py), the rows redrawn if any was."""
        if self.marked or self.marked_all:
            self._clear_marks()
            self._remark()

    def _clear_marks(self) -> None:
        self.marked.clear()
        self.marked_all = False
        self.marked_total = 0
        self._last_mark = None

    def action_mark(self) -> None:
        position = self._position()
        if position is None:
            return
        if self.marked_all:
            self.notify("Every job is marked: u clears the marks", timeout=3)
            return
        job_id = self.rows[position - self.start].id
        if self.marked.pop(job_id, None) is None:
            self.marked[job_id] = position
            self._last_mark = position
        self._remark()
        self.query_one("#jobs", LiveTable).action_cursor_down()

    def action_mark_range(self) -> None:
        """Marks the rows from the last mark to the cursor (those held in the window: up to PAGE)."""
        position = self._position()
        if position is None or self.marked_all:
            return
        anchor = position if self._last_mark is None else self._last_mark
        low, high = sorted((anchor, position))
        low, high = max(low, self.start), min(high, self.start + len(self.rows) - 1)
        for index in range(low, high + 1):
            self.marked.setdefault(self.rows[index - self.start].id, index)
        self._last_mark = position
        self._remark()

    def action_mark_all(self) -> None:
        if self.scanning:
            self.notify("The filter is still running: mark all once it ends", timeout=3)
            return
        self.marked.clear()
        self.marked_all = True
        self.marked_total = self.total
        self._remark()

    def action_unmark(self) -> None:
        self._clear_marks()
        self._remark()

    def selection(self) -> Selection | None:
        """What the action keys act on: every matching job, the marked jobs, or the job under the cursor."""
        if self.group:  # each job where it is: the action takes those it works on
            if self.marked_all:
                return Selection(group=self.group)
            ids = tuple(self.marked) or ((self.current_job(),) if self.current_job() else ())
            return Selection(ids=ids) if ids else None
        if self.marked_all:
            return Selection(self.queue, self.registry, self.filter.source)
        if self.marked:
            return Selection(self.queue, self.registry, ids=tuple(self.marked))
        job_id = self.current_job()
        return Selection(self.queue, self.registry, ids=(job_id,)) if job_id else None

    # -- job actions

    def _job_action(self, key: str) -> str | None:
        """The job action of the retry and move keys here (they differ by registry), or None."""
        if self.group:
            return "jobs.retry" if key == "retry" else None
        if key == "retry":
            names = {"failed": "jobs.retry", "canceled": "jobs.requeue", "finished": "jobs.requeue"}
        else:
            names = {r: "jobs.requeue" for r in ("failed", "canceled", "finished")} | {"waiting": "jobs.move"}
        return names.get(self.registry)

    def _act(self, action: str, options: Options | None = None) -> None:
        selection = self.selection()
        if selection is None:
            self.notify("No job here", timeout=2)
            return
        marked = (self.marked_total, "match" if self.filter else "in the view") if self.marked_all else None
        self.start_action(action, selection, options, marked)

    def action_retry(self) -> None:
        if name := self._job_action("retry"):
            self._act(name)

    def action_move(self) -> None:
        name = self._job_action("move")
        if name is None:
            return

        def submitted(queue: str | None) -> None:
            if queue and queue.strip():
                self._act(name, Options(to=queue.strip()))

        def check(text: str) -> str:
            text = text.strip()
            if not text:
                return "name the queue"
            if name == "jobs.move" and text == self.queue:
                return f"the jobs already wait in {text!r}: choose another queue"
            return ""

        what = "move" if name == "jobs.move" else "requeue"
        self.app.push_screen(
            PromptScreen(f"{what} to queue", "", "a queue name, e.g. default", check), submitted
        )

    def action_cancel(self) -> None:
        self._act("jobs.cancel")

    def action_stop(self) -> None:
        self._act("jobs.stop")

    def action_delete(self) -> None:
        self._act("jobs.delete")

    def action_enqueue_now(self) -> None:
        self._act("jobs.enqueue-now")

    def action_release(self) -> None:
        self._act("jobs.release")

    def action_never(self) -> None:
        """Toggle the never: filter: the deferred jobs that can never run, then all of them again."""
        self.apply_filter("" if self.filter_text == "never:" else "never:")

    def acted(self, outcome: Outcome) -> None:
        self._clear_marks()
        self._show_title()
        if self.group:
            self.matches = None  # read the batch's ids again: jobs may have left it (deleted)
            self.fetch()
        elif self.filter:
            self.apply_filter(self.filter_text)  # the matches moved: find them again
        else:
            self.fetch()


def _in_thread(call: Callable[[], Page]) -> Future[Page]:
    """`call()` run in a thread of its own; its answer or its error in the future."""
    future: Future[Page] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to whoever takes the answer
            future.set_exception(exc)

    threading.Thread(target=run, name="read-ahead", daemon=True).start()
    return future
