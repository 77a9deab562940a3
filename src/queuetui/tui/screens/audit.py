"""`:audit`: the audit trail, newest first: who did what, to which jobs, how many, with what outcome.

Read from the database in a thread worker (audit.recent, what `queuetui audit` prints); `/` filters it
by action (a name or a prefix: jobs.*) and by actor.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static

from queuetui import fmt
from queuetui.audit import recent
from queuetui.db.models import AuditEntry
from queuetui.errors import DatabaseError
from queuetui.present.audit import detail_text
from queuetui.present.table import Column, column_widths, fit, fitting
from queuetui.tui.draw import set_border_title
from queuetui.tui.messages import AuditFetched, FetchFailed
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.prompt import PromptScreen, refusal
from queuetui.tui.sorting import SORT_BINDINGS, SortActions, WindowSort
from queuetui.tui.text import line, literal, literal_block
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

LIMIT = 500
# What an entry did and how it ended stay at any width; who, role and counts give way (enter shows them).
COLUMNS: dict[str, Column] = {
    "at": Column("When", 11),
    "who": Column("Who", 14, flex=1, max_width=30, give_way=2),
    "role": Column("Role", 8, give_way=3),
    "action": Column("Action", 15),
    "counts": Column("Done", 13, right=True, give_way=1),  # 12,000/40,000 whole, or not at all
    "outcome": Column("Outcome", 10, flex=1, max_width=30),
    "target": Column("Target [filter]", 16, flex=4, useful=20),
}


def parse_audit_filter(text: str) -> tuple[str, str]:
    """'action:jobs.* actor:alice' -> (action, actor); a bare word is an action; ValueError otherwise."""
    action = actor = ""
    for word in text.split():
        field, _, value = word.partition(":")
        if not value:
            action = word
        elif field == "action":
            action = value
        elif field == "actor":
            actor = value
        else:
            raise ValueError(f"{word!r}: filter by action:NAME (or a prefix, jobs.*) and actor:USER")
    return action, actor


def _counts(entry: AuditEntry) -> str:
    return f"{entry.done:,}/{entry.requested:,}" + (f" {entry.failed:,}✗" if entry.failed else "")


def _text(entry: AuditEntry, name: str) -> str:
    if name == "at":
        return fmt.short_time(entry.at)
    if name == "who":
        return f"{entry.actor}@{entry.client}"
    if name == "counts":
        return _counts(entry)
    if name == "target":
        return entry.target + (f" [{entry.filter}]" if entry.filter else "")
    return str(getattr(entry, name))


def sort_value(entry: AuditEntry, name: str) -> object:
    """What a column sorts by: the time and the count done by value, the rest by its text."""
    return entry.at if name == "at" else entry.done if name == "counts" else _text(entry, name)


def entry_row(entry: AuditEntry, widths: dict[str, int]) -> tuple[str, list[Cell]]:
    """An entry's cells for the columns shown (`widths`): text, not markup, so a filter like
    [exc:Timeout] is shown as typed."""
    outcome_style = "green" if entry.outcome == "ok" else ("yellow" if entry.outcome != "running" else "")
    if entry.outcome.startswith(("failed", "refused")):
        outcome_style = "red"
    cells: list[Cell] = []
    for name, width in widths.items():
        column = COLUMNS[name]
        style = outcome_style if name == "outcome" else ""
        text = fit(_text(entry, name), width, column.keep_end)
        cells.append(Text(text, style=style, justify="right" if column.right else "left", no_wrap=True))
    return str(entry.id), cells


class AuditEntryScreen(ModalScreen[None]):
    """One audit entry, every field `queuetui audit --json` has: ids, filter, problems, times, counts,
    client, context."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="audit-entry.close"),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, entry: AuditEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(line((f"Audit entry {self.entry.id}", "bold"), "   (esc closes)"), id="help-title")
            yield Static(literal_block(detail_text(self.entry)), id="audit-entry")


class AuditScreen(SortActions, LiveScreen):
    BINDINGS = [
        Binding("enter", "open", "Entry", id="audit.open", tooltip="Every field of the entry", priority=True),
        Binding("slash", "filter", "Filter", id="audit.filter", tooltip="action:jobs.* actor:alice"),
        *SORT_BINDINGS,
        Binding("escape", "back", "Back", id="audit.back", tooltip="Clear the filter, or go back"),
    ]

    def __init__(self, filter_text: str = "") -> None:
        super().__init__()
        self.filter_text = filter_text
        self.entries = 0
        self.shown: list[AuditEntry] = []
        """The entries as shown (sorted when self.sort says so)."""
        self._fetched: list[AuditEntry] = []
        self.sort = WindowSort()
        self._widths: dict[str, int] = {}
        self._width = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield LiveTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        self._show_title()
        self.start_live()

    def _build_columns(self) -> None:
        self._width = self.size.width
        total = max(40, self.size.width - 4)
        names = fitting(COLUMNS, list(COLUMNS), total)
        self._widths = dict(zip(names, column_widths([COLUMNS[n] for n in names], total), strict=True))
        table = self.query_one("#audit", LiveTable)
        table.clear(columns=True)
        for name, width in self._widths.items():
            column = COLUMNS[name]
            table.add_column(
                Text(column.label, justify="right" if column.right else "left"), width=width, key=name
            )
        self._mark_sorted()
        self._fill()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    def _mark_sorted(self) -> None:
        labels = {n: (COLUMNS[n].label, COLUMNS[n].right) for n in self._widths}
        self.sort.mark_headers(self.query_one("#audit", LiveTable), labels)

    def _fill(self) -> None:
        self.shown = self.sort.apply(self._fetched, sort_value)
        self.query_one("#audit", LiveTable).sync([entry_row(e, self._widths) for e in self.shown])

    def _sort_names(self) -> list[str]:
        return list(self._widths)

    def _resort(self) -> None:
        with self.app.batch_update():
            self._mark_sorted()
            self._fill()
            self._show_title()

    @on(LiveTable.RowSelected, "#audit")
    def _row_selected(self) -> None:
        """A click on a row (enter is the screen's own key)."""
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#audit", LiveTable)
        if self.shown and 0 <= table.cursor_row < len(self.shown):
            self.app.push_screen(AuditEntryScreen(self.shown[table.cursor_row]))

    def _show_title(self) -> None:
        title = f"Audit ({self.entries:,}{'+' if self.entries >= LIMIT else ''}, newest first)"
        if note := self.sort.note({n: c.label for n, c in COLUMNS.items()}):
            title += f"  {note}"
        if self.filter_text:
            title += f"  filter: {self.filter_text}"
        set_border_title(self.query_one("#audit", LiveTable), literal(title))

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        action, actor = parse_audit_filter(self.filter_text)
        try:
            sessions = self.console.services.sessions
            entries = recent(sessions, LIMIT, action=action, actor=actor)
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        self.post_message(AuditFetched(entries))

    @on(AuditFetched)
    def _show(self, message: AuditFetched) -> None:
        self.entries = len(message.entries)
        self._fetched = list(message.entries)
        with self.app.batch_update():
            self._fill()
            self._show_title()
        self.fetched()

    def apply_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._show_title()
        self.fetch()

    def action_filter(self) -> None:
        def submitted(text: str | None) -> None:
            if text is not None:
                self.apply_filter(text)

        prompt = PromptScreen(
            "filter the audit trail", self.filter_text, "action:jobs.* actor:alice (empty clears)",
            refusal(parse_audit_filter),
        )  # fmt: skip
        self.app.push_screen(prompt, submitted)

    def action_back(self) -> None:
        if self.filter_text:
            self.apply_filter("")
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()
