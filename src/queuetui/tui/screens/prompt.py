"""A one-line prompt at the bottom of the screen (`:` commands, `/` filters), with its own error line."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from queuetui.present.text import safe
from queuetui.tui.text import literal


def refusal(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A prompt's check from a parser: the ValueError it raises, in one line, or '' when it parses."""

    def check(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:
            return str(exc)
        return ""

    return check


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the text on enter once `check` finds nothing wrong, or with None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        prompt: str,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(id="prompt-error")
            yield Input(self.value, placeholder=safe(self.placeholder), id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).border_title = literal(self.prompt)
        self.query_one("#prompt-error").display = False

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        problem = self.check(event.value) if self.check else ""
        if problem:
            error = self.query_one("#prompt-error", Static)
            error.update(literal(problem))
            error.display = True
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
