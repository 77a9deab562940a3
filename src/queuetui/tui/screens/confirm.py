"""A question whose default answer is no: y confirms, anything else (n, escape, enter) declines.

With `typed`, the operator must type that text (a name, a count: with or without commas) and press
enter instead.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from queuetui.present.text import safe
from queuetui.tui.widgets.field import Field


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "decline", "No", id="confirm.no")]

    def __init__(self, question: Content | Text, typed: str = "") -> None:
        """`question` is a Content (tui.text.line) or a Text (tui.text.literal_block, a dry run's
        lines), so a name in it is never read as markup."""
        super().__init__()
        self.question = question
        self.typed = typed
        self.answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question")
            if self.typed:
                yield Field(placeholder=f"type {safe(self.typed)} to confirm", id="confirm-input")
                yield Static("enter confirms once it matches  ·  esc cancels", classes="confirm-keys")
            else:
                yield Static("[b]y[/b] yes  ·  [b]n[/b] / esc no (default)", classes="confirm-keys")

    def on_key(self, event: Key) -> None:
        if self.typed:
            return
        event.stop()
        self.answer(event.key == "y")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value == self.typed or (self.typed.isdigit() and value.replace(",", "") == self.typed):
            self.answer(True)
        elif not self.answered:
            self.notify(f"That is not {self.typed!r}; nothing done", severity="warning", timeout=3)
            self.answer(False)

    def action_decline(self) -> None:
        self.answer(False)

    def answer(self, yes: bool) -> None:
        """Close with the first answer; a key already on its way (a second enter) closes nothing more."""
        if not self.answered:
            self.answered = True
            self.dismiss(yes)
