"""The jobs the last bulk action left alone, each with the reason."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from queuetui.present.text import safe
from queuetui.tui.text import line, literal_block


class ProblemsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="problems.close"),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(line((self.title_text, "bold"), "   (esc closes)"), id="help-title")
            yield Static(literal_block("\n".join(safe(shown) for shown in self.lines)))
