"""A question whose default answer is no: y confirms, anything else (n, escape, enter) declines.

With `typed`, the operator must type that text (a name, a count) and press enter instead.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from queuetui.present.text import safe


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "decline", "No", id="confirm.no")]

    def __init__(self, question: Content, typed: str = "") -> None:
        """`question` is a Content (tui.text.line), so a name in it is never read as markup."""
        super().__init__()
        self.question = question
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question")
            if self.typed:
                yield Input(placeholder=f"type {safe(self.typed)} to confirm", id="confirm-input")
                yield Static("enter confirms once it matches  ·  esc cancels", classes="confirm-keys")
            else:
                yield Static("[b]y[/b] yes  ·  [b]n[/b] / esc no (default)", classes="confirm-keys")

    def on_key(self, event: Key) -> None:
        if self.typed:
            return
        event.stop()
        self.dismiss(event.key == "y")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.typed:
            self.dismiss(True)
        else:
            self.notify(f"That is not {self.typed!r}; nothing done", severity="warning", timeout=3)
            self.dismiss(False)

    def action_decline(self) -> None:
        self.dismiss(False)
