"""A live screen that runs job actions: the dry run, its dialog, then the run with progress and cancel.

The dry run and the run each go through operations.Operations in a thread worker, as the CLI's do, so
they are refused in read-only mode or beyond the operator's role and audited below the UI; the keys
the operator may not use are hidden too (app.may). The run stops between chunks on escape: what was
done stays done and audited, the rest stays as it was.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from textual import on, work
from textual.worker import get_current_worker

from queuetui.errors import DatabaseError, Refused
from queuetui.present.actions import marked_drift, outcome_line, problem_lines
from queuetui.rqdata.actions import ActionError, Options
from queuetui.rqdata.bulk import Outcome, Plan, Progress, Selection
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.query import QueryError
from queuetui.tui.messages import BulkDone, BulkProgress, PlanReady
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.problems import ProblemsScreen
from queuetui.tui.widgets.bulk_bar import BulkBar

EXPECTED = (ActionError, QueryError, Refused, DatabaseError)


class BulkActionsScreen(LiveScreen):
    """Subclasses compose a BulkBar and call `start_action`; `bulk_busy` says one is on its way."""

    def __init__(self) -> None:
        super().__init__()
        self.planning = False
        self.cancel_event: threading.Event | None = None
        self.running_action = ""
        self.last_outcome: tuple[Plan, Outcome] | None = None
        self.typed_ahead: list[tuple[str, str | None]] = []
        self.marked_then: tuple[int, str] | None = None
        """Keys typed while the dry run was on its way (the app keeps them from this view): the dialog's."""

    @property
    def bulk_busy(self) -> bool:
        return self.planning or self.cancel_event is not None

    def start_action(
        self,
        action: str,
        selection: Selection,
        options: Options | None = None,
        marked: tuple[int, str] | None = None,
    ) -> None:
        """Dry-run `action` on `selection`, then ask, then run it. `marked`: how many jobs the operator
        marked with `*` and in which words ('match', 'in the view'), for the dry run to compare."""
        if self.bulk_busy:
            self.notify("A bulk action is on its way: wait for it or cancel it (esc)", timeout=3)
            return
        self.planning = True
        self.marked_then = marked
        self.typed_ahead.clear()
        self.query_one(BulkBar).planning(action)
        self.plan_action(action, selection, options or Options())

    @work(thread=True, exclusive=True, exit_on_error=False, group="bulk-plan")
    def plan_action(self, action: str, selection: Selection, options: Options) -> None:
        worker = get_current_worker()
        try:
            ops = self.console.services.operations
            plan = ops.plan(action, selection, options, cancelled=lambda: worker.is_cancelled)
            typed = ops.needs_typed_count(plan)
        except EXPECTED as exc:
            self.post_message(PlanReady(None, str(exc)))
            return
        except REDIS_ERRORS as exc:
            self.post_message(PlanReady(None, describe_error(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(PlanReady(plan, typed=typed))

    @work(thread=True, exit_on_error=False, group="bulk-refused")
    def refuse_action(self, action: str, selection: Selection) -> None:
        """A key pressed that read-only mode or the role refuses: the operation refuses it below the UI,
        the audit records the attempt, and a notice says why."""
        try:
            ops = self.console.services.operations
            message = ops.refuse(ops.plan(action, selection))
        except EXPECTED as exc:
            message = str(exc)
        except REDIS_ERRORS as exc:
            message = describe_error(exc)
        self.app.call_from_thread(self.notify, message, severity="error", timeout=6, markup=False)

    def cancel_bulk(self) -> bool:
        """Escape: stop the dry run, or the run between two chunks; False when neither is on."""
        if self.planning:
            self.workers.cancel_group(self, "bulk-plan")
            self.planning = False
            self.typed_ahead.clear()
            self.query_one(BulkBar).hide()
            self.notify("Dry run cancelled: nothing changed", timeout=3)
            return True
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.notify("Cancelling after the chunk in progress…", timeout=3)
            return True
        return False

    @on(PlanReady)
    def _planned(self, message: PlanReady) -> None:
        if not self.planning:
            return
        self.planning = False
        self.query_one(BulkBar).hide()
        plan = message.plan
        typed_ahead, self.typed_ahead = tuple(self.typed_ahead), []
        if plan is None:
            unused = f" ({len(typed_ahead)} keys typed meanwhile not used)" if typed_ahead else ""
            self.notify(message.error + unused, severity="error", timeout=8)
            return

        def answered(options: Options | None) -> None:
            if options is None:
                if plan.total:
                    self.notify("Not confirmed: nothing changed", timeout=3)
                return
            self.cancel_event = threading.Event()
            self.running_action = plan.action.name
            self.query_one(BulkBar).running(plan.action.name, _start(plan))
            self.run_plan(replace(plan, options=options), self.cancel_event)

        confirm_above = self.console.settings.confirm_above
        drift = marked_drift(plan.total, *self.marked_then) if self.marked_then else ""
        self.app.push_screen(DryRunScreen(plan, confirm_above, message.typed, typed_ahead, drift), answered)

    @work(thread=True, exit_on_error=False, group="bulk-run")
    def run_plan(self, plan: Plan, cancel: threading.Event) -> None:
        ops = self.console.services.operations
        try:
            outcome = ops.run(
                plan,
                progress=lambda p: self.post_message(BulkProgress(p)),
                cancel=cancel,
                throttle=self.console.settings.throttle or None,
            )
        except EXPECTED as exc:
            self.post_message(BulkDone(plan, None, ops.failed_midway(plan, str(exc))))
        except REDIS_ERRORS as exc:
            self.post_message(BulkDone(plan, None, ops.failed_midway(plan, describe_error(exc))))
        else:
            self.post_message(BulkDone(plan, outcome))

    @on(BulkProgress)
    def _progressed(self, message: BulkProgress) -> None:
        if self.cancel_event is not None:
            self.query_one(BulkBar).running(self.running_action, message.progress)

    @on(BulkDone)
    def _ran(self, message: BulkDone) -> None:
        self.cancel_event = None
        self.query_one(BulkBar).hide()
        if message.outcome is None:
            self.notify(message.error, severity="error", timeout=8)
            return
        plan, outcome = message.plan, message.outcome
        self.last_outcome = (plan, outcome)
        line = outcome_line(plan, outcome)
        if outcome.problems:
            line += f"; {outcome.failed:,} not {plan.action.past} (x lists them)"
        self.notify(line, severity="warning" if outcome.problems or outcome.cancelled else "information",
                    timeout=10)  # fmt: skip
        self.acted(outcome)

    def acted(self, outcome: Outcome) -> None:
        """A run ended (done, partly done or cancelled): show the change."""
        self.fetch()

    def action_problems(self) -> None:
        if self.last_outcome is None:
            self.notify("No bulk action has run here yet", timeout=2)
            return
        plan, outcome = self.last_outcome
        lines = problem_lines(outcome.problems, "not " + plan.action.past, shown=500) or ["No problems."]
        self.app.push_screen(ProblemsScreen(outcome_line(plan, outcome), lines))


def _start(plan: Plan) -> Progress:
    return Progress(0, 0, plan.requested, 0.0)
