"""Importing a schedules file from the console, and the imports made so far with their row errors.

The import is the CLI's (schedule/transfer.py): read and check every row, show the diff and the
errors (a dry run, recorded like every import), then apply it as shown, atomically (nothing if a row
fails) or partially (the rows that pass). Applying is audited and refused read-only or beyond the
operator's role, below the UI; the keys are hidden then too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from queuetui import fmt
from queuetui.errors import DatabaseError, Refused, ScheduleError
from queuetui.present.imports import plan_lines, summary
from queuetui.present.text import safe
from queuetui.schedule.transfer import (
    ImportMode,
    ImportResult,
    apply,
    format_of,
    import_run,
    imports,
    row_label,
    run_import,
)
from queuetui.tui.draw import update_static
from queuetui.tui.messages import ActionDone, ImportDone, ImportsFetched
from queuetui.tui.text import line, literal
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

STYLES = {"+": "green", "~": "yellow", "-": "red", "!": "bold red", "=": "dim"}


def diff_text(lines: list[str]) -> Text:
    """The import's diff, each line coloured by what it does."""
    text = Text()
    for shown in lines:
        text.append(("\n" if text else "") + safe(shown), style=STYLES.get(shown[:1], ""))
    return text or Text("(the file names no schedule)", style="dim")


class ImportScreen(Screen[None]):
    BINDINGS = [
        Binding("A", "apply('atomic')", "Apply", id="import.apply", tooltip="Nothing if a row fails"),
        Binding("P", "apply('partial')", "Apply valid rows", id="import.partial", tooltip="Rows that pass"),
        Binding("d", "toggle_delete", "Delete missing", id="import.delete",
                tooltip="Also delete the schedules the file leaves out (admin)"),
        Binding("escape", "app.pop_screen", "Back", id="import.back"),
    ]  # fmt: skip

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.delete_missing = False
        self.result: ImportResult | None = None
        self.applied = False

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static(line(("Import", "bold"), f" {self.path}"), id="view-title")
        yield Static("reading…", id="import-summary")
        with VerticalScroll(id="import-diff"):
            yield Static(id="diff")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.read_plan()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            plan = self.result.plan if self.result else None
            if plan is None or plan.unreadable or self.applied:
                return False
            if parameters == ("partial",) and not plan.errors:
                return False
            return self.console.may("schedule.import-delete" if self.delete_missing else "schedule.import")
        if action == "toggle_delete":
            return not self.applied and self.console.may("schedule.import-delete")
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def read_plan(self) -> None:
        try:
            data = Path(self.path).expanduser().read_bytes()
            file_format = format_of(self.path)
            result = run_import(
                self.console.services.store, self.path, data, file_format,
                dry_run=True, delete_missing=self.delete_missing,
            )  # fmt: skip
        except OSError as exc:
            self.post_message(ActionDone(f"{self.path}: {exc.strerror or exc}", error=True))
            return
        except (ScheduleError, DatabaseError, ValueError) as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(ImportDone(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def action_apply(self, mode: str) -> None:
        assert self.result is not None
        try:
            result = apply(self.console.services.store, self.result.plan, ImportMode(mode))
        except (ScheduleError, Refused, DatabaseError) as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.applied = result.run.outcome in ("applied", "partly applied")
        self.post_message(ImportDone(result))

    def action_toggle_delete(self) -> None:
        self.delete_missing = not self.delete_missing
        self.read_plan()

    @on(ActionDone)
    def _failed(self, message: ActionDone) -> None:
        self.notify(message.text, severity="error" if message.error else "information", timeout=8)
        if self.result is None:
            update_static(
                self.query_one("#view-title", Static),
                line(("Import", "bold"), f" {self.path}  ·  ", (message.text, "bold red")),
            )

    @on(ImportDone)
    def show(self, message: ImportDone) -> None:
        self.result = result = message.result
        deleting = "  ·  deletes what the file leaves out" if self.delete_missing else ""
        update_static(
            self.query_one("#view-title", Static),
            line(("Import", "bold"), f" {self.path} ({result.plan.format}){deleting}"),
        )
        self.query_one("#import-summary", Static).update(literal(summary(result.run)))
        self.query_one("#diff", Static).update(diff_text(plan_lines(result.plan)))
        self.refresh_bindings()
        if self.applied:
            self.notify(summary(result.run), timeout=6)


class ImportsScreen(Screen[None]):
    """The imports made so far, newest first; the highlighted one's row errors below."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="imports.back")]

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static("[b]Schedule imports[/b]  ·  newest first", id="view-title")
        with Vertical(id="tables"):
            table: DataTable[str] = DataTable(id="imports", cursor_type="row", zebra_stripes=True)
            table.add_columns("Import", "At", "Who", "Mode", "Outcome", "+ ~ = - !", "File")
            yield table
            with VerticalScroll(id="import-errors"):
                yield Static(id="errors")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.fetch()

    @work(thread=True, exit_on_error=False, group="imports")
    def fetch(self, run_id: int | None = None) -> None:
        try:
            store = self.console.services.store
            runs = imports(store) if run_id is None else []
            detail = import_run(store, run_id) if run_id is not None else None
        except (ScheduleError, DatabaseError) as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(ImportsFetched(runs, detail))

    @on(ActionDone)
    def _failed(self, message: ActionDone) -> None:
        self.query_one("#errors", Static).update(literal(message.text, "bold red"))

    @on(ImportsFetched)
    def show(self, message: ImportsFetched) -> None:
        if message.detail is not None:
            run = message.detail
            lines = [summary(run)] + [
                f"! {row_label(run.format, e.row)}: {e.field + ' ' if e.field else ''}"
                f"{repr(e.value) + ': ' if e.value else ''}{e.message}"
                for e in run.errors
            ]
            self.query_one("#errors", Static).update(diff_text(lines))
            return
        table = self.query_one("#imports", DataTable)
        table.clear()
        for run in message.runs:
            counts = f"{run.added} {run.changed} {run.unchanged} {run.removed} {run.failed}"
            mode = run.mode + (" dry" if run.dry_run else "")
            cells = (str(run.id), fmt.short_time(run.at), run.actor, mode, run.outcome, counts, run.file)
            table.add_row(*(literal(cell) for cell in cells), key=str(run.id))
        if not message.runs:
            self.query_one("#errors", Static).update(
                Text("No import yet: i on the schedules list", style="dim")
            )

    @on(DataTable.RowHighlighted, "#imports")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.fetch(int(event.row_key.value))
