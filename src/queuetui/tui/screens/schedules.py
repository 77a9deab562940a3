"""Every schedule: what it runs and when, its next fire and last run, a window over any number."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from queuetui.errors import DatabaseError
from queuetui.present import schedules as schedtext
from queuetui.present import table as table_layout
from queuetui.present.scheduler import leader_summary
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.schedule.listing import ScheduleRow, SearchError, check_search, list_schedules, position
from queuetui.schedule.status import read as scheduler_status
from queuetui.tui.draw import update_static
from queuetui.tui.messages import FetchFailed, SchedulesFetched
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen
from queuetui.tui.screens.schedule_actions import ScheduleActionsScreen
from queuetui.tui.sorting import SORT_BINDINGS, SortActions, WindowSort
from queuetui.tui.text import SEPARATOR, line
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable, window_moved
from queuetui.tui.widgets.status_bar import StatusBar

PAGE = 100
STEP = 50


class SchedulesScreen(SortActions, ScheduleActionsScreen):
    BINDINGS = [
        Binding("a", "add_schedule", "Add", id="schedules.add", tooltip="A new schedule, in the form"),
        Binding("slash", "search", "Search", id="schedules.search", tooltip="tag:x queue:q is:disabled text"),
        Binding("f", "forecast", "Forecast", id="schedules.forecast", tooltip="Fires per minute, next 24 h"),
        Binding(
            "i",
            "import_file",
            "Import",
            id="schedules.import",
            tooltip="Import a TOML, JSON or CSV file",
            show=False,
        ),
        Binding(
            "I",
            "imports",
            "Imports",
            id="schedules.imports",
            tooltip="Imports so far, with row errors",
            show=False,
        ),
        Binding("g", "top", "Top", id="schedules.top", show=False),
        Binding("G", "bottom", "Bottom", id="schedules.bottom", show=False),
        *SORT_BINDINGS,
        Binding("escape", "back", "Back", id="schedules.back", tooltip="Clear the search, or go back"),
    ]

    def __init__(self, search: str = "") -> None:
        super().__init__()
        self.search = search
        self.start = 0
        self.total = 0
        self.rows: tuple[ScheduleRow, ...] = ()
        """The window's schedules as shown: in the list's order, or sorted (self.sort)."""
        self._window: tuple[ScheduleRow, ...] = ()
        self.sort = WindowSort()
        self.loaded = False
        self.focus_name: str | None = None
        self.locate: str | None = None  # a schedule to open the list at (just saved)
        self._names: tuple[str, ...] = ()
        self._widths: list[int] = []
        self._width = 0
        self.leader = ""
        """Who leads the schedulers and how far behind they run, from the last fetch."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        yield Static(id="paused-banner")
        with Vertical(id="tables"):
            yield Static(id="view-title")
            yield LiveTable(id="schedules", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#paused-banner").display = False
        self._build_columns()
        self._show_title()
        self.start_live()

    def _build_columns(self) -> None:
        self._width = self.size.width
        total = max(40, self.size.width - 6)  # borders, scrollbar
        self._names = schedtext.columns_for(total)
        columns = [schedtext.COLUMNS[n] for n in self._names]
        self._widths = table_layout.column_widths(columns, total)
        table = self.query_one("#schedules", LiveTable)
        table.clear(columns=True)
        for name, column, width in zip(self._names, columns, self._widths, strict=True):
            label = Text(column.label, justify="right") if column.right else column.label
            table.add_column(label, width=width, key=name)
        self._mark_sorted()
        self._fill()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    def _mark_sorted(self) -> None:
        labels = {n: (schedtext.COLUMNS[n].label, schedtext.COLUMNS[n].right) for n in self._names}
        self.sort.mark_headers(self.query_one("#schedules", LiveTable), labels)

    def _sorted(self, rows: tuple[ScheduleRow, ...]) -> tuple[ScheduleRow, ...]:
        now = self.console.clock.now()
        return tuple(self.sort.apply(rows, lambda row, name: schedtext.sort_value(row, name, now)))

    def _sort_names(self) -> list[str]:
        return list(self._names)

    def _resort(self) -> None:
        self.rows = self._sorted(self._window)
        with self.app.batch_update():
            self._mark_sorted()
            self._fill()
            self._show_title()

    def _cells(self, row: ScheduleRow) -> list[Cell]:
        now = self.console.clock.now()
        cells: list[Cell] = []
        for name, width in zip(self._names, self._widths, strict=True):
            column = schedtext.COLUMNS[name]
            value = schedtext.cell(row, name, now)
            if name == "cron":
                text = table_layout.fit_fields(value, width)
            else:
                text = table_layout.fit(value, width, column.keep_end)
            style = ""
            if name in ("last", "state"):
                style = schedtext.STATE_STYLES.get(text, "")
            elif name == "name":
                style = "bold" if row.enabled else "dim"
            elif name == "when" and text.startswith("invalid"):
                style = "red"
            cells.append(Text(text, style=style, justify="right" if column.right else "left", no_wrap=True))
        return cells

    def _fill(self) -> None:
        table = self.query_one("#schedules", LiveTable)
        table.sync([(row.name, self._cells(row)) for row in self.rows])
        if self.focus_name is not None:
            target = next((i for i, r in enumerate(self.rows) if r.name == self.focus_name), None)
            if target is not None:
                table.move_cursor(row=target, scroll=True)
            self.focus_name = None

    def _show_title(self) -> None:
        span = (
            f"{self.start + 1:,}–{self.start + len(self.rows):,} of {self.total:,}" if self.rows else "none"
        )
        if not self.loaded:
            span = "loading…"
        parts = [
            line(("Schedules", "bold")),
            line(span),
            *([line(self.leader)] if self.leader else []),
            line("enabled first, soonest next run first"),
        ]
        if sorted_by := self.sort.note({n: schedtext.COLUMNS[n].label for n in self._names}):
            parts.append(line((sorted_by, "bold")))
        if self.search:
            parts.append(line(f"search: {self.search}"))
        if self.console.settings.read_only:
            parts.append(line(("read-only", "bold")))
        update_static(self.query_one("#view-title", Static), SEPARATOR.join(parts))

    # -- fetching

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        try:
            store = self.console.services.store
            offset, name = self.start, self.locate
            if name is not None and (at := position(store.sessions, name, self.search)) is not None:
                offset = offset if offset <= at < offset + PAGE else max(0, at - PAGE // 2)
            listing = list_schedules(store.sessions, search=self.search, offset=offset, limit=PAGE)
            paused_by = self.console.services.operator.paused_by()
            leader = leader_summary(scheduler_status(self.console.redis, store.sessions))
        except (DatabaseError, SearchError) as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(SchedulesFetched(listing, paused_by, leader))

    @on(SchedulesFetched)
    def show_schedules(self, message: SchedulesFetched) -> None:
        listing = message.listing
        if listing.search != self.search:
            return  # fetched before the search changed; the new one is on its way
        self.start, self.total, self._window, self.loaded = listing.offset, listing.total, listing.rows, True
        self.rows = self._sorted(listing.rows)
        self.locate = None
        self.paused_by, self.leader = message.paused_by, message.leader
        banner = self.query_one("#paused-banner", Static)
        update_static(banner, line(f"Every schedule is paused (by {message.paused_by}); P resumes"))
        banner.display = bool(message.paused_by)
        with self.app.batch_update():
            self._fill()
            self._show_title()
        self.fetched()

    def _jump(self, offset: int, focus_name: str | None = None) -> None:
        self.start = max(0, offset)
        self.focus_name = focus_name
        self.fetch()

    @on(LiveTable.RowHighlighted, "#schedules")
    def _scroll_window(self, event: LiveTable.RowHighlighted) -> None:
        """Moving onto the first or last row held fetches the window further along."""
        if not self.loaded or self.focus_name is not None or event.cursor_row < 0 or not self.rows:
            return
        if event.cursor_row != event.data_table.cursor_row:
            return
        start = window_moved(event.cursor_row, len(self.rows), self.start, self.total, STEP)
        if start is not None:
            self._jump(start, self.rows[min(event.cursor_row, len(self.rows) - 1)].name)

    @on(LiveTable.RowSelected, "#schedules")
    def _open(self, event: LiveTable.RowSelected) -> None:
        from queuetui.tui.screens.schedule_detail import ScheduleDetailScreen

        self.app.push_screen(ScheduleDetailScreen(str(event.row_key.value)))

    def current_schedule(self) -> str | None:
        table = self.query_one("#schedules", LiveTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)].name

    def shown_enabled(self, name: str) -> bool | None:
        return next((row.enabled for row in self.rows if row.name == name), None)

    # -- keys

    def action_add_schedule(self) -> None:
        self.open_form(None)

    def saved(self, name: str | None) -> None:
        """Show the schedule the form saved: the list at its row, even when it lies outside the window."""
        if name is not None:
            self.locate = self.focus_name = name
            self.fetch()

    def action_top(self) -> None:
        self._jump(0)

    def action_bottom(self) -> None:
        self._jump(max(0, self.total - PAGE))

    def action_search(self) -> None:
        def submitted(text: str | None) -> None:
            if text is not None:
                self.apply_search(text)

        hint = "tag:nightly queue:emails is:disabled|enabled|snoozed name: func: cron: text (empty clears)"
        self.app.push_screen(PromptScreen("search schedules", self.search, hint, check_search), submitted)

    def apply_search(self, text: str) -> None:
        self.search = text.strip()
        self.loaded = False
        self._show_title()
        self._jump(0)

    def action_import_file(self) -> None:
        from queuetui.tui.screens.imports import ImportScreen

        def submitted(path: str | None) -> None:
            if path:
                self.app.push_screen(ImportScreen(path.strip()))

        hint = "a .toml, .json or .csv file, as 'queuetui schedules export' writes"
        self.app.push_screen(PromptScreen("import schedules from", "", hint), submitted)

    def action_imports(self) -> None:
        from queuetui.tui.screens.imports import ImportsScreen

        self.app.push_screen(ImportsScreen())

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.fetch()  # back from an import or a form: show what changed now

    def action_forecast(self) -> None:
        from queuetui.tui.screens.forecast import ForecastScreen

        self.app.push_screen(ForecastScreen())

    def action_back(self) -> None:
        if self.search:
            self.apply_search("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()
