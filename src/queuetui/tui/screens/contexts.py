"""The Contexts view (`:ctx`): every context of the config file with a live summary; enter switches.

Each context is read in turn in one thread worker (services.summarize_context: the overview's three
round trips, a one-second connect timeout), so an unreachable one costs its own row a second and
never holds up the others; each row updates as its read arrives.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from queuetui.present.contexts import counts, state_text
from queuetui.present.text import safe
from queuetui.services import ContextSummary
from queuetui.tui.messages import ContextsRead, ContextSummarized
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar, context_style

COLUMNS = [("Context", 16), ("Waiting", 7), ("Running", 7), ("Failed", 6), ("Workers", 7), ("Firing", 6)]
REFRESH_AT_LEAST = 5.0
"""Seconds between rounds at the least: a round reads every context's Redis and database."""


def context_row(summary: ContextSummary | None, name: str, current: str) -> tuple[str, list[Cell]]:
    """A context's cells: its name (marked when in use, coloured for production), its counts, its
    Redis URL or why it cannot be reached."""
    mark = "● " if name == current else "  "
    if summary is None:
        return name, [Text(mark + safe(name)), *["…"] * (len(COLUMNS) - 1), Text("reading…", style="dim")]
    label = Text.assemble(mark, (safe(name), context_style(summary.production, summary.color)))
    if summary.production:
        label.append(" prod", style="bold red")
    numbers = [Text(value, justify="right") for value in counts(summary)]
    if summary.reachable and summary.failed:
        numbers[2].stylize("red")
    if summary.firing:
        numbers[4].stylize("bold red")
    state = Text(state_text(summary), style="" if summary.reachable else "bold red")
    return name, [label, *numbers, state]


class ContextsScreen(LiveScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="contexts.back"),
        Binding(
            "enter", "switch", "Switch", id="contexts.switch", tooltip="Work in this context", priority=True
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: dict[str, ContextSummary] = {}
        self.rounds = 0
        """Rounds of reads completed (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            table = LiveTable(id="contexts", cursor_type="row", zebra_stripes=True)
            table.border_title = "Contexts"
            yield table
        yield KeysFooter()

    @property
    def names(self) -> list[str]:
        return list((self.console.settings.base or self.console.settings).contexts)

    def on_mount(self) -> None:
        table = self.query_one(LiveTable)
        for label, width in COLUMNS:
            table.add_column(
                label if label == "Context" else Text(label, justify="right"), width=width, key=label
            )
        spare = self.app.size.width - sum(w for _, w in COLUMNS) - 2 * (len(COLUMNS) + 1) - 2
        table.add_column("Redis", width=max(12, spare), key="Redis")
        table.border_title = f"Contexts ({len(self.names)})"
        self._show()
        current = (
            self.names.index(self.console.settings.context)
            if self.console.settings.context in self.names
            else 0
        )
        table.move_cursor(row=current)
        self.start_live()

    def refresh_every(self) -> float:
        return max(self.console.settings.refresh, REFRESH_AT_LEAST)

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        """Read each context in turn; each summary goes back as soon as it is read."""
        settings = self.console.settings
        for name in self.names:
            summary = self.console.summarize(settings, name)
            self.post_message(ContextSummarized(summary))
        self.post_message(ContextsRead())

    def _show(self) -> None:
        current = self.console.settings.context
        rows = [context_row(self.summaries.get(name), name, current) for name in self.names]
        self.query_one(LiveTable).sync(rows)

    @on(ContextSummarized)
    def _summarized(self, message: ContextSummarized) -> None:
        self.summaries[message.summary.name] = message.summary
        self._show()

    @on(ContextsRead)
    def _read(self, message: ContextsRead) -> None:
        self.rounds += 1
        self.fetched()

    def action_switch(self) -> None:
        table = self.query_one(LiveTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.console.switch_context(str(key))
