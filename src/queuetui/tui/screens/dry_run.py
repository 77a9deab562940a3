"""The dry run of a job action before it runs: how many jobs, from where, five of them; default no.

Above confirm_above the operator types the count instead of pressing y. The action's options (to
the front, with dependents) are toggled here with f and d; they change how the jobs are acted on,
not which, so the dry run stands.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from queuetui.present.actions import plan_lines
from queuetui.rqdata.actions import Options
from queuetui.rqdata.bulk import Plan
from queuetui.tui.text import literal, literal_block
from queuetui.tui.widgets.field import Field

SHOWN_PROBLEMS = 5


class DryRunScreen(ModalScreen[Options | None]):
    """Dismisses with the options to run with once confirmed, or None (nothing is done)."""

    BINDINGS = [
        Binding("escape", "decline", "No", id="dry-run.no"),
        Binding("f", "toggle('at_front')", "Front", id="dry-run.front", priority=True),
        Binding("d", "toggle('dependents')", "Dependents", id="dry-run.dependents", priority=True),
    ]

    def __init__(
        self,
        plan: Plan,
        confirm_above: int,
        typed: bool,
        typed_ahead: tuple[tuple[str, str | None], ...] = (),
        drift: str = "",
    ) -> None:
        """`typed_ahead`: keys typed while the dry run ran, answered here as if typed now; `drift`: how
        the count differs from the one the operator marked (present.actions.marked_drift)."""
        super().__init__()
        self.drift = drift
        self.typed_ahead = typed_ahead
        self.answered = False
        self.plan = plan
        self.options = plan.options
        self.confirm_above = confirm_above
        self.typed = typed

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="confirm-box", classes="dry-run"):
            title = f"Dry run of {plan.action.name} — nothing has changed yet"
            yield Static(literal(title, "bold"), id="dry-run-title")
            lines = plan_lines(plan)
            if self.drift:
                lines.insert(1, self.drift)
            problems = len(plan.problems)
            if problems > SHOWN_PROBLEMS:
                cut = len(lines) - problems - 1 + SHOWN_PROBLEMS  # the header, then one line a problem
                lines = [*lines[: cut + 1], f"  ... and {problems - SHOWN_PROBLEMS:,} more"]
            yield Static(literal_block("\n".join(lines)), id="confirm-question")
            yield Static(id="dry-run-options")
            if not plan.total:
                yield Static("Nothing to do  ·  any key closes", classes="confirm-keys")
            elif self.typed:
                yield Static(f"More than {self.confirm_above:,} jobs: type the count", classes="confirm-keys")
                yield Field(
                    placeholder=f"type {plan.total} to confirm", id="confirm-input", restrict=r"[0-9,]*"
                )
                yield Static("enter confirms once it matches  ·  esc cancels", classes="confirm-keys")
            else:
                yield Static("[b]y[/b] yes  ·  [b]n[/b] / esc no (default)", classes="confirm-keys")

    def on_mount(self) -> None:
        self._show_options()
        if self.typed_ahead:
            self.call_after_refresh(self._replay)

    def _replay(self) -> None:
        for key, character in self.typed_ahead:
            event = Key(key, character)
            event.set_sender(self.app)  # as the terminal's keys are: the app checks its bindings on them
            self.app.post_message(event)

    def _show_options(self) -> None:
        takes = self.plan.action.options
        parts = []
        if "at_front" in takes:
            parts.append(f"[b]f[/b] to the front: {'yes' if self.options.at_front else 'no'}")
        if "dependents" in takes:
            parts.append(f"[b]d[/b] with dependents: {'yes' if self.options.dependents else 'no'}")
        box = self.query_one("#dry-run-options", Static)
        box.update("  ·  ".join(parts))
        box.display = bool(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            return parameters[0] in self.plan.action.options
        return True

    def action_toggle(self, name: str) -> None:
        self.options = replace(self.options, **{name: not getattr(self.options, name)})
        self._show_options()

    def on_key(self, event: Key) -> None:
        if self.typed and self.plan.total:
            return
        event.stop()
        self.answer(self.options if event.key == "y" and self.plan.total else None)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip().replace(",", "") == str(self.plan.total):
            self.answer(self.options)
        elif not self.answered:
            self.notify(f"That is not {self.plan.total}; nothing done", severity="warning", timeout=3)
            self.answer(None)

    def action_decline(self) -> None:
        self.answer(None)

    def answer(self, options: Options | None) -> None:
        """Close with the first answer; a key already on its way (a second enter) closes nothing more."""
        if not self.answered:
            self.answered = True
            self.dismiss(options)
