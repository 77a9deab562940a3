"""`:tenants [queue] [registry]`: a queue's jobs counted by tenant (waiting, running, failed), from the
chunked read-only walk of job meta that `queuetui tenants` runs (rqdata/tenants.py), in a thread
worker with its progress shown; `s` stops it and keeps what was counted, `r` counts again, and enter
scopes the console to a tenant and opens its jobs (the Waiting view, or the registry counted).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from queuetui import fmt
from queuetui.present.tenants import NO_TENANT
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.query import QueryError, with_tenant_term
from queuetui.rqdata.search import CHUNK
from queuetui.rqdata.tenants import DEFAULT_COLUMNS, TenantCounts, count_by_tenant
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import FetchFailed, ScanProgress, TenantsCounted
from queuetui.tui.screens.live import start_header
from queuetui.tui.text import SEPARATOR, line, literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

KEY = "t:"
"""Rows are keyed KEY + tenant: the jobs without a tenant ("") get a key too."""
COUNT_WIDTH = 10


def columns_for(registry: str) -> tuple[tuple[str, str], ...]:
    """The (column, registry) pairs counted: waiting, running and failed, or the one registry named."""
    if not registry:
        return DEFAULT_COLUMNS
    return (("running" if registry == "started" else registry, registry),)


def tenant_rows(result: TenantCounts, current: str) -> list[tuple[str, list[Cell]]]:
    """A row a tenant, most jobs first: its name (the console's tenant in bold) and its counts."""
    rows: list[tuple[str, list[Cell]]] = []
    for row in result.rows():
        name = str(row["tenant"])
        shown = literal(name, "bold magenta" if name == current and name else "") if name else None
        cells: list[Cell] = [shown or Text(NO_TENANT, style="dim")]
        for column in result.columns:
            n = int(row[column])
            style = "dim" if not n else ("red" if column == "failed" else "")
            cells.append(Text(fmt.count(n), style=style, justify="right"))
        rows.append((KEY + name, cells))
    return rows


class TenantsScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "stop", "Stop", id="tenants.stop", tooltip="Stop counting; keep what was counted"),
        Binding("r", "count", "Count again", id="tenants.count", tooltip="Count the tenants again"),
        Binding("escape", "back", "Back", id="tenants.back", tooltip="Stop counting and go back"),
    ]

    def __init__(self, queue: str, registry: str = "", chunk: int = CHUNK) -> None:
        super().__init__()
        self.chunk = chunk
        """Jobs read a round trip (tests count in small chunks to stop a count midway)."""
        self.queue = queue
        self.registry = registry
        """The one registry counted; '' for waiting, running and failed side by side."""
        self.result: TenantCounts | None = None
        self.counting = False
        self._stop = threading.Event()

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="view-title")
        yield Static(id="scan")
        yield LiveTable(id="tenants", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        start_header(self, self.console)
        counted = ", ".join(column for column, _ in columns_for(self.registry))
        update_static(
            self.query_one("#view-title", Static),
            SEPARATOR.join(
                [
                    line((self.queue, "bold"), " › ", ("Tenants", "bold"), f" ({counted})"),
                    line("enter: a tenant's jobs"),
                ]
            ),
        )
        table = self.query_one("#tenants", LiveTable)
        counts = columns_for(self.registry)
        # Borders, padding and the counts take the rest; the tenant's name gets what is left.
        name_width = max(12, self.size.width - 6 - len(counts) * (COUNT_WIDTH + 2))
        table.add_column("Tenant", width=name_width, key="tenant")
        for column, _ in counts:
            table.add_column(Text(column.capitalize(), justify="right"), width=COUNT_WIDTH, key=column)
        self.action_count()

    def action_count(self) -> None:
        """Count (again): the table keeps its rows and cursor until the new counts replace them."""
        if self.counting:
            return
        self.counting = True
        self._stop.clear()
        scan = self.query_one("#scan", Static)
        scan.display = True
        update_static(scan, line("Counting tenants…  ·  s stops, esc goes back"))
        self.count()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tenants")
    def count(self) -> None:
        worker = get_current_worker()
        try:
            result = count_by_tenant(
                self.console.redis,
                self.queue,
                columns_for(self.registry),
                self.console.settings.tenants.meta_key,
                chunk=self.chunk,
                progress=lambda scanned, total: self.post_message(ScanProgress(scanned, total)),
                cancelled=lambda: worker.is_cancelled or self._stop.is_set(),
            )
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(TenantsCounted(result))

    @on(ScanProgress)
    def _progress(self, message: ScanProgress) -> None:
        if self.counting:
            done = fmt.progress(message.scanned, message.total)
            update_static(self.query_one("#scan", Static), f"Counting tenants… {done} jobs  ·  s stops")

    @on(FetchFailed)
    def _failed(self, message: FetchFailed) -> None:
        self.counting = False
        self.query_one(StatusBar).state = "disconnected"
        update_static(self.query_one("#scan", Static), line((message.error, "bold red"), "  ·  r retries"))

    @on(TenantsCounted)
    def _counted(self, message: TenantsCounted) -> None:
        self.counting = False
        result = self.result = message.result
        self.query_one(StatusBar).state = "live"
        scan = self.query_one("#scan", Static)
        if result.complete:
            scan.display = False
        else:
            update_static(
                scan,
                line(
                    ("Stopped", "bold"),
                    f" after {fmt.count(result.scanned)} jobs: the counts are partial  ·  r counts again",
                ),
            )
        table = self.query_one("#tenants", LiveTable)
        with self.app.batch_update():
            table.sync(tenant_rows(result, self.console.tenant))
            set_border_title(
                table, f"{fmt.count(len(result.counts))} tenants in {fmt.count(result.scanned)} jobs"
            )

    def action_stop(self) -> None:
        self._stop.set()

    @on(DataTable.RowSelected, "#tenants")
    def _choose(self, event: DataTable.RowSelected) -> None:
        tenant = str(event.row_key.value).removeprefix(KEY)
        if not tenant:
            self.console.notify("These jobs have no tenant: there is no tenant to scope to", timeout=4)
            return
        try:
            with_tenant_term("", tenant)
        except QueryError as exc:
            self.console.notify(str(exc), severity="error", timeout=6)
            return
        self.console.set_tenant(tenant)
        self.console.open_jobs(self.queue, self.registry or "waiting")

    def action_back(self) -> None:
        self._stop.set()
        self.workers.cancel_group(self, "tenants")
        self.dismiss(None)
