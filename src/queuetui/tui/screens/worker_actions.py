"""The actions on one worker, shared by the overview and the Workers view: stop the job it runs, shut
it down after its job (warm shutdown), kill its work horse.

Each asks first, then goes through operations.Operations in a thread worker (LiveScreen.act), as the
CLI's does: audited, refused in read-only mode or beyond the operator's role. The screens hide the
keys the operator may not use.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.content import Content

from queuetui.operations import Operations
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.text import line

WORKER_KEYS = {
    "stop_job": "workers.stop-job",
    "shutdown": "workers.shutdown",
    "kill_horse": "workers.kill-horse",
}
"""Each key's action (roles.ACTIONS), shown where a worker is under the cursor and the role allows it."""


def worker_bindings(screen: str) -> list[Binding]:
    """The worker action keys, with ids under `screen` (what [keys] in the config moves)."""
    return [
        Binding("S", "stop_job", "Stop job", id=f"{screen}.stop-job", tooltip="Stop the worker's job"),
        Binding(
            "T",
            "shutdown",
            "Shutdown",
            id=f"{screen}.shutdown",
            tooltip="Warm shutdown: after its current job",
        ),
        Binding("K", "kill_horse", "Kill horse", id=f"{screen}.kill-horse", tooltip="Kill its work horse"),
    ]


class WorkerActions:
    """Mixed into a LiveScreen that says which worker is under the cursor (`selected_worker`)."""

    def selected_worker(self) -> str | None:
        raise NotImplementedError

    def confirm_then(self, question: Content, change: Callable[[], str]) -> None:
        """Ask `question` (default no); on yes run `change` in a thread and report its line."""

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(change)  # type: ignore[attr-defined]

        self.app.push_screen(ConfirmScreen(question), confirmed)  # type: ignore[attr-defined]

    def _worker_action(self, question: tuple[str, str], change: Callable[[Operations, str], str]) -> None:
        """`question` is the words before and after the worker's name."""
        worker = self.selected_worker()
        if worker is None:
            self.notify("No worker here", timeout=2)  # type: ignore[attr-defined]
            return
        console = self.console  # type: ignore[attr-defined]
        before, after = question
        self.confirm_then(
            line(before, (worker, "bold"), after), lambda: change(console.services.operations, worker)
        )

    def action_stop_job(self) -> None:
        self._worker_action(
            ("Stop the job ", " is running? It ends as stopped, in Failed, and is not retried."),
            lambda ops, w: f"{w}: asked to stop job {ops.stop_worker_job(w)}",
        )

    def action_shutdown(self) -> None:
        def shutdown(ops: Operations, worker: str) -> str:
            ops.shutdown_worker(worker)
            return f"{worker}: asked to shut down after its current job"

        self._worker_action(("Shut ", " down once its current job ends (warm shutdown)?"), shutdown)

    def action_kill_horse(self) -> None:
        def kill(ops: Operations, worker: str) -> str:
            job_id = ops.kill_horse(worker)
            return f"{worker}: work horse killed" + (f" (it ran {job_id})" if job_id else "")

        self._worker_action(("Kill ", "'s work horse? Its job fails at once."), kill)
