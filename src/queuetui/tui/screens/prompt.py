"""A one-line prompt at the bottom of the screen (`:` commands, `/` filters), with its own error line."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import DescendantFocus
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from queuetui.present.text import safe
from queuetui.tui.draw import set_border_title
from queuetui.tui.text import literal
from queuetui.tui.widgets.field import Field


def refusal(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A prompt's check from a parser: the ValueError it raises, in one line, or '' when it parses."""

    def check(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:
            return str(exc)
        return ""

    return check


class Completer(Suggester):
    """Suggests the first of `complete(text)`, the whole lines that complete what is typed."""

    def __init__(self, complete: Callable[[str], list[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        found = self.complete(value)
        return found[0] if found else None


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the text on enter once `check` finds nothing wrong, or with None on escape.
    With `complete`, the first completion shows dimmed after the cursor; tab (or right) takes it."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
        Binding("tab", "complete", "Complete", id="prompt.complete", show=False, priority=True),
    ]

    def __init__(
        self,
        prompt: str,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str] | None = None,
        complete: Callable[[str], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.complete = complete
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(id="prompt-error")
            suggester = Completer(self.complete) if self.complete else None
            yield Field(
                self.value, placeholder=safe(self.placeholder), id="prompt-input", suggester=suggester
            )

    def on_mount(self) -> None:
        set_border_title(self.query_one(Input), literal(self.prompt))
        self.query_one("#prompt-error").display = False

    @on(DescendantFocus)
    def _focused(self) -> None:
        # The first focus selects a prefilled value, so typing replaces it; focus coming back later
        # must not select what was typed since: the next key would replace all of it.
        self.query_one(Input).select_on_focus = False

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        problem = self.check(event.value) if self.check else ""
        if problem:
            error = self.query_one("#prompt-error", Static)
            error.update(literal(problem))
            error.display = True
            return
        self.dismiss(event.value)

    def action_complete(self) -> None:
        """Take the completion shown, if any (the cursor goes to the end, as with right)."""
        field = self.query_one(Input)
        if field._suggestion:
            field.value = field._suggestion
            field.cursor_position = len(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
