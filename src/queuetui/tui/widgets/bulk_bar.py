"""The line under a view while a bulk action is planned or runs: done/total, rate, ETA, esc cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from queuetui import fmt
from queuetui.rqdata.bulk import Progress
from queuetui.tui.text import literal


class BulkBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield ProgressBar(show_eta=False, show_percentage=False, id="bulk-progress")
        yield Static(id="bulk-text")

    def on_mount(self) -> None:
        self.display = False

    def planning(self, action: str) -> None:
        self.query_one(ProgressBar).update(total=None)
        self.query_one("#bulk-text", Static).update(
            literal(f"Dry run of {action}: reading the jobs…  ·  esc cancels")
        )
        self.display = True

    def running(self, action: str, progress: Progress) -> None:
        self.query_one(ProgressBar).update(total=max(progress.total, 1), progress=progress.handled)
        verb = action.split(".", 1)[-1]
        eta = f" · {fmt.duration(progress.eta)} left" if progress.eta else ""
        failed = f" · {progress.failed:,} not done" if progress.failed else ""
        counts = f"{verb} {progress.handled:,}/{progress.total:,} · {progress.rate:,.0f}/s"
        self.query_one("#bulk-text", Static).update(literal(f"{counts}{eta} · esc cancels{failed}"))
        self.display = True

    def hide(self) -> None:
        self.display = False
