"""Batches (RQ groups): a page of them with a progress bar and counts by state, refreshed live.

Enter opens the batch's jobs in the jobs view (every state, every queue). R retries the batch's
failed jobs and C cancels its pending ones through the dry run, confirmation and audit every bulk
action takes (bulk_actions.BulkActionsScreen, operations.Operations).
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from queuetui.present import batches as batchtext
from queuetui.present import table as table_layout
from queuetui.rqdata.batches import Batch, read_batches
from queuetui.rqdata.bulk import Selection
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.tui.draw import update_static
from queuetui.tui.messages import BatchesFetched, FetchFailed
from queuetui.tui.screens.bulk_actions import BulkActionsScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.sorting import SORT_BINDINGS, SortActions, WindowSort
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable, window_moved
from queuetui.tui.widgets.status_bar import StatusBar

PAGE = 50
"""Batches held at once; moving past either end fetches the window STEP further."""
STEP = 25
BUSY_SHARE = 0.2
"""At most this share of the time goes to counting: a page that takes 1 s to count refreshes every 5 s."""
STATE_STYLES = {"running": "green", "failed": "red", "waiting": "bold", "gone": "dim"}


class BatchesScreen(SortActions, BulkActionsScreen):
    BINDINGS = [
        Binding("R", "retry", "Retry failed", id="batches.retry", tooltip="Retry the batch's failed jobs"),
        Binding(
            "C",
            "cancel",
            "Cancel pending",
            id="batches.cancel",
            tooltip="Cancel the batch's waiting, scheduled and deferred jobs",
        ),
        Binding(
            "x",
            "problems",
            "Problems",
            id="batches.problems",
            tooltip="Jobs the last action left alone",
            show=False,
        ),
        *SORT_BINDINGS,
        Binding("escape", "back", "Back", id="batches.back", tooltip="Cancel a run, or go back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.start = 0
        self.total = 0
        self.batches: tuple[Batch, ...] = ()
        """The page's batches as shown: by name, or sorted (self.sort)."""
        self._page: tuple[Batch, ...] = ()
        self.sort = WindowSort()
        self.loaded = False
        self._names: tuple[str, ...] = ()
        self._widths: dict[str, int] = {}
        self._focus_name: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield Static(id="view-title")
            yield LiveTable(id="batches", cursor_type="row", zebra_stripes=True)
        yield BulkBar(id="bulk")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        self._show_title()
        self.start_live()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.console.may("jobs.retry")
        if action == "cancel":
            return self.console.may("jobs.cancel")
        return True

    # -- columns and rows

    def _build_columns(self) -> None:
        width = max(40, self.size.width - 4)
        names = batchtext.columns_for(width)
        widths = table_layout.column_widths([batchtext.COLUMNS[n] for n in names], width)
        self._names, self._widths = names, dict(zip(names, widths, strict=True))
        table = self.query_one("#batches", LiveTable)
        table.clear(columns=True)
        for name, column_width in self._widths.items():
            column = batchtext.COLUMNS[name]
            label = Text(column.label, justify="right") if column.right else column.label
            table.add_column(label, width=column_width, key=name)
        self._mark_sorted()
        self._fill()

    def _mark_sorted(self) -> None:
        labels = {n: (batchtext.COLUMNS[n].label, batchtext.COLUMNS[n].right) for n in self._names}
        self.sort.mark_headers(self.query_one("#batches", LiveTable), labels)

    def _sorted(self, batches: tuple[Batch, ...]) -> tuple[Batch, ...]:
        now = self.console.clock.now()
        return tuple(self.sort.apply(batches, lambda batch, name: batchtext.sort_value(batch, name, now)))

    def _sort_names(self) -> list[str]:
        return list(self._names)

    def _resort(self) -> None:
        self.batches = self._sorted(self._page)
        with self.app.batch_update():
            self._mark_sorted()
            self._fill()
            self._show_title()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and batchtext.columns_for(max(40, event.size.width - 4)) != self._names:
            self._build_columns()

    def _cells(self, batch: Batch) -> list[Cell]:
        now = self.console.clock.now()
        cells: list[Cell] = []
        for name in self._names:
            column = batchtext.COLUMNS[name]
            width = self._widths[name]
            value = table_layout.fit(batchtext.cell(batch, name, now, width), width, column.keep_end)
            style = "bold" if name == "name" else STATE_STYLES.get(name, "")
            if name == "progress":
                style = "green" if batch.done == batch.size else ("red" if batch.counts["failed"] else "")
            if name in batch.counts and not batch.counts[name]:
                style = "dim"
            cells.append(Text(value, style=style, justify="right" if column.right else "left", no_wrap=True))
        return cells

    def _fill(self) -> None:
        table = self.query_one("#batches", LiveTable)
        table.sync([(b.name, self._cells(b)) for b in self.batches])
        if self._focus_name is not None:
            row = next((i for i, b in enumerate(self.batches) if b.name == self._focus_name), None)
            if row is not None:
                table.move_cursor(row=row, scroll=True)
            self._focus_name = None

    def _show_title(self) -> None:
        span = f"{self.start + 1:,}–{self.start + len(self.batches):,} of {self.total:,}"
        if not self.loaded:
            span = "loading…"
        elif not self.batches:
            span = "no batches: RQ groups appear here (Group.create(...).enqueue_many)"
        parts = ["[b]Batches[/b] (RQ groups)", span, "by name", "enter: its jobs"]
        if sorted_by := self.sort.note({n: batchtext.COLUMNS[n].label for n in self._names}):
            parts.insert(3, f"[b]{sorted_by}[/b]")
        update_static(self.query_one("#view-title", Static), "  ·  ".join(parts))

    # -- fetching

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        started = time.monotonic()
        try:
            page = read_batches(self.console.redis, self.start, PAGE)
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(BatchesFetched(page, time.monotonic() - started))

    @on(BatchesFetched)
    def show_page(self, message: BatchesFetched) -> None:
        page = message.page
        self.start, self.total, self._page, self.loaded = page.offset, page.total, page.batches, True
        self.batches = self._sorted(page.batches)
        with self.app.batch_update():
            self._fill()
            self._show_title()
        self.fetched()
        # A page holding a batch of 100,000 jobs takes about a second to count: refresh it less often.
        if message.seconds / BUSY_SHARE > self.console.settings.refresh:
            self._arm(message.seconds / BUSY_SHARE)

    @on(LiveTable.RowHighlighted, "#batches")
    def _scroll_window(self, event: LiveTable.RowHighlighted) -> None:
        if not self.loaded or not self.batches or event.cursor_row != event.data_table.cursor_row:
            return
        start = window_moved(event.cursor_row, len(self.batches), self.start, self.total, STEP)
        if start is not None:
            self._focus_name = self.batches[min(event.cursor_row, len(self.batches) - 1)].name
            self.start = start
            self.fetch()

    def current_batch(self) -> str | None:
        table = self.query_one("#batches", LiveTable)
        if not self.batches or table.cursor_row < 0:
            return None
        return self.batches[min(table.cursor_row, len(self.batches) - 1)].name

    @on(LiveTable.RowSelected, "#batches")
    def _open(self, event: LiveTable.RowSelected) -> None:
        self.console.open_batch(str(event.row_key.value))

    # -- actions

    def _act(self, action: str) -> None:
        name = self.current_batch()
        if name is None:
            self.notify("No batch here", timeout=2)
            return
        self.start_action(action, Selection(group=name))

    def action_retry(self) -> None:
        self._act("jobs.retry")

    def action_cancel(self) -> None:
        self._act("jobs.cancel")

    def action_back(self) -> None:
        if not self.cancel_bulk() and len(self.app.screen_stack) > 2:
            self.app.pop_screen()
