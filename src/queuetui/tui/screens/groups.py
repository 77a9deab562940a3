"""The failed jobs of a queue grouped by exception; enter filters the Failed view to a group."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from queuetui import fmt
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.search import failure_groups
from queuetui.tui.messages import FetchFailed, GroupsDone, ScanProgress
from queuetui.tui.text import line, literal
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI


class FailureGroupsScreen(Screen[str | None]):
    BINDINGS = [
        Binding("escape", "close", "Back", id="groups.back", tooltip="Stop grouping and go back"),
    ]

    def __init__(self, queue: str) -> None:
        super().__init__()
        self.queue = queue
        self.signatures: list[str] = []

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static(
            line(
                (self.queue, "bold"), " › ", ("Failed", "bold"), " by exception  ·  enter filters to a group"
            ),
            id="view-title",
        )
        yield Static(id="scan")
        table: DataTable[str | Text] = DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#groups", DataTable)
        table.add_column(Text("Count", justify="right"), width=8, key="count")
        table.add_column("Last seen", width=11, key="last")
        table.add_column("First seen", width=11, key="first")
        # Borders, padding and the fixed columns take 58 cells; the signature gets the rest.
        table.add_column("Exception", width=max(20, self.size.width - 58), key="signature")
        table.add_column("Sample job", width=12, key="sample")
        self.query_one("#scan", Static).display = True
        self.query_one("#scan", Static).update("Grouping… esc stops")
        self.scan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="groups")
    def scan(self) -> None:
        worker = get_current_worker()
        try:
            result = failure_groups(
                self.console.redis,
                self.queue,
                progress=lambda scanned, total: self.post_message(ScanProgress(scanned, total)),
                cancelled=lambda: worker.is_cancelled,
            )
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(GroupsDone(result))

    @on(ScanProgress)
    def _progress(self, message: ScanProgress) -> None:
        done = fmt.progress(message.scanned, message.total)
        self.query_one("#scan", Static).update(f"Grouping… {done} failed jobs  ·  esc stops")

    @on(FetchFailed)
    def _failed(self, message: FetchFailed) -> None:
        self.query_one("#scan", Static).update(line((message.error, "bold red")))

    @on(GroupsDone)
    def _done(self, message: GroupsDone) -> None:
        result = message.result
        self.query_one("#scan", Static).display = False
        table = self.query_one("#groups", DataTable)
        self.signatures = [g.signature for g in result.groups]
        for g in result.groups:
            table.add_row(
                Text(fmt.count(g.count), justify="right"),
                fmt.short_time(g.last_seen),
                fmt.short_time(g.first_seen),
                literal(g.signature, "red"),
                literal(g.sample_id),
                key=g.signature,
            )
        table.border_title = f"{len(result.groups)} groups in {fmt.count(result.walk.scanned)} failed jobs"

    @on(DataTable.RowSelected, "#groups")
    def _choose(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    def action_close(self) -> None:
        self.workers.cancel_group(self, "groups")
        self.dismiss(None)
