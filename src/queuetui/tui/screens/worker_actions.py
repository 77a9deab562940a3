"""The actions on one worker, shared by the overview and the Workers view: stop the job it runs, shut
it down after its job (warm shutdown), kill its work horse.

Each asks first, then goes through operations.Operations in a thread worker (LiveScreen.act), as the
CLI's does: audited, refused in read-only mode or beyond the operator's role. The screens hide the
keys the operator may not use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content

from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.text import line

if TYPE_CHECKING:
    from queuetui.operations import Operations

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
    """Mixed into a LiveScreen that says which worker is under the cursor and the job it showed there.

    The target is bound when the key is pressed: the worker and the job id the screen showed. The
    dialog names both, and the action refuses (rqdata.actions.ActionError) when the worker runs
    another job by the time the operator says yes.
    """

    def selected_worker(self) -> str | None:
        raise NotImplementedError

    def selected_worker_job(self) -> str:
        """The job id the screen shows for the worker under the cursor ('' when it shows none)."""
        raise NotImplementedError

    def confirm_then(self, question: Content, change: Callable[[], str]) -> None:
        """Ask `question` (default no); on yes run `change` in a thread and report its line."""

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(change)  # type: ignore[attr-defined]

        self.app.push_screen(ConfirmScreen(question), confirmed)  # type: ignore[attr-defined]

    def _worker_action(
        self,
        question: Callable[[str, str], Content],
        change: Callable[[Operations, str, str], str],
        needs_job: bool = False,
    ) -> None:
        """`question(worker, job)` names both; `change(operations, worker, job)` acts on them."""
        worker = self.selected_worker()
        if worker is None:
            self.notify("No worker here", timeout=2)  # type: ignore[attr-defined]
            return
        job_id = self.selected_worker_job()
        if needs_job and not job_id:
            self.notify(f"{worker} runs no job as shown here; nothing to do", timeout=3)  # type: ignore[attr-defined]
            return
        console = self.console  # type: ignore[attr-defined]
        self.confirm_then(
            question(worker, job_id or "no job"), lambda: change(console.services.operations, worker, job_id)
        )

    def action_stop_job(self) -> None:
        self._worker_action(
            lambda worker, job: line(
                "Stop job ", (job, "bold"), " on worker ", (worker, "bold"),
                "? It ends as stopped, in Failed, and is not retried. If the worker runs another job by"
                " then, nothing is stopped.",
            ),
            lambda ops, w, job: f"{w}: asked to stop job {ops.stop_worker_job(w, job)}",
            needs_job=True,
        )  # fmt: skip

    def action_shutdown(self) -> None:
        def shutdown(ops: Operations, worker: str, job: str) -> str:
            ops.shutdown_worker(worker)
            return f"{worker}: asked to shut down after its current job"

        self._worker_action(
            lambda worker, job: line(
                "Shut ", (worker, "bold"), " down once its current job ends (warm shutdown)? It runs ",
                (job, "bold"), " as shown; it finishes whatever job it runs then.",
            ),
            shutdown,
        )  # fmt: skip

    def action_kill_horse(self) -> None:
        def kill(ops: Operations, worker: str, job: str) -> str:
            job_id = ops.kill_horse(worker, job)
            return f"{worker}: work horse killed" + (f" (it ran {job_id})" if job_id else "")

        self._worker_action(
            lambda worker, job: line(
                "Kill ", (worker, "bold"), "'s work horse running job ", (job, "bold"),
                "? That job fails at once. If the worker runs another job by then, nothing is killed.",
            ),
            kill,
            needs_job=True,
        )  # fmt: skip
