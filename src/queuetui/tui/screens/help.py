"""`?`: every key of the screen below, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from queuetui.tui.widgets.live_table import LiveTable


class HelpScreen(ModalScreen[None]):
    holds_input = False
    """Nothing typed here to lose: q still quits (app.holds_input)."""
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(f"[b]Keys: {self.title_text}[/b]   (esc closes)", id="help-title")
            table = LiveTable(id="help-keys", cursor_type="row", zebra_stripes=True)  # end: the last key
            table.add_columns("Scope", "Key", "Action", "What it does")
            for row in self.keys:
                table.add_row(*row)
            yield table
