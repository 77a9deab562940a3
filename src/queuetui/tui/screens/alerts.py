"""`:alerts` (a on the overview): the alerts still firing, then the resolved ones, newest first.

Read from the database in a thread worker through metrics/alerts.recent, what `queuetui alerts`
prints; the threshold comes from the rule as configured now, and Notified says how the alert's latest
webhook and email notices went. The line under the table says what the alert under the cursor is
about, in full.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from queuetui import fmt
from queuetui.config import AlertRule
from queuetui.db.models import Alert
from queuetui.errors import DatabaseError
from queuetui.metrics.alerts import OK, SENDING, current_values, notified, recent, show_value, threshold
from queuetui.present.table import Column, column_widths, fitting
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import AlertsFetched, FetchFailed
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.text import literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

LIMIT = 500
# At 120 columns every column but the message has its width; narrower, the ones that give way go
# (the highest first): what fired, on what, at which value, and its value now stay.
COLUMNS: dict[str, Column] = {
    "fired": Column("Fired", 11),
    "resolved": Column("Resolved", 11),
    "lasted": Column("Lasted", 6, right=True, give_way=2),
    "rule": Column("Rule", 12, flex=1, max_width=30),
    "subject": Column("Subject", 12, flex=1, max_width=40),
    "value": Column("At fire", 7, right=True),
    "now": Column("Now", 7, right=True),
    "threshold": Column("Threshold", 17, give_way=3),
    "notified": Column("Notified", 14, flex=1, max_width=22, give_way=4),
    "message": Column("Message", 20, flex=4, give_way=5),
}


def alert_row(
    alert: Alert,
    rules: dict[str, AlertRule],
    now: datetime,
    current: dict[int, float | None] | None = None,
    widths: dict[str, int] | None = None,
) -> tuple[str, list[Cell]]:
    """An alert's cells for the columns shown (`widths`, default all). Now is the rule's value at the
    last fetch for a firing alert ('-' when there is nothing to measure now), blank for a resolved one."""
    firing = alert.resolved_at is None
    lasted = ((alert.resolved_at or now) - alert.fired_at).total_seconds()
    rule = rules.get(alert.rule)
    value_now = ""
    if firing and current is not None and alert.id in current:
        value_now = show_value(alert.kind, current[alert.id])
    cells: dict[str, Cell] = {  # Text, not markup: names and messages are shown as they are
        "fired": Text(fmt.short_time(alert.fired_at), style="bold" if firing else ""),
        "resolved": Text("firing", style="bold red")
        if firing
        else Text(fmt.short_time(alert.resolved_at), style="green"),
        "lasted": Text(fmt.age(lasted), justify="right"),
        "rule": literal(alert.rule),
        "subject": literal(alert.subject),
        "value": literal(show_value(alert.kind, alert.value), justify="right"),
        "now": literal(value_now, "bold", justify="right"),
        "threshold": literal(
            threshold(rule) if rule is not None else "(rule removed)", "" if rule else "dim"
        ),
        "notified": literal(notified(alert), _notified_style(alert)),
        "message": literal(alert.message),
    }
    return str(alert.id), [cells[name] for name in (widths or COLUMNS)]


def _notified_style(alert: Alert) -> str:
    outcomes = {alert.webhook_outcome, alert.email_outcome} - {None}
    if outcomes - {OK, SENDING}:
        return "red"
    return "yellow" if SENDING in outcomes else "green" if outcomes else "dim"


class AlertsScreen(LiveScreen):
    BINDINGS = [Binding("escape", "back", "Back", id="alerts.back", tooltip="Back to the previous view")]

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[Alert] = []
        self.current: dict[int, float | None] = {}
        """Each firing alert's value now (metrics.alerts.current_values), from the last fetch."""
        self._widths: dict[str, int] = {}
        self._width = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield LiveTable(id="alerts", cursor_type="row", zebra_stripes=True)
            yield Static(id="alert-message")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        set_border_title(self.query_one("#alerts", LiveTable), "Alerts")
        self.start_live()

    def _build_columns(self) -> None:
        self._width = self.size.width
        total = max(40, self.size.width - 4)
        names = fitting(COLUMNS, list(COLUMNS), total)
        self._widths = dict(zip(names, column_widths([COLUMNS[n] for n in names], total), strict=True))
        table = self.query_one("#alerts", LiveTable)
        table.clear(columns=True)
        for name, width in self._widths.items():
            column = COLUMNS[name]
            table.add_column(
                Text(column.label, justify="right" if column.right else "left"), width=width, key=name
            )
        if self.alerts:
            self._fill()

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        services = self.console.services
        try:
            alerts = recent(services.sessions, LIMIT)
            firing = [a for a in alerts if a.resolved_at is None]
            current = current_values(
                self.console.settings.alerts,
                services.sessions,
                self.console.redis,
                self.console.clock,
                firing,
            )
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.post_message(AlertsFetched(alerts, current))

    def _fill(self) -> None:
        rules = {rule.name: rule for rule in self.console.settings.alerts.rules}
        now = self.console.clock.now()
        rows = [alert_row(a, rules, now, self.current, self._widths) for a in self.alerts]
        self.query_one("#alerts", LiveTable).sync(rows)

    @on(AlertsFetched)
    def _show(self, message: AlertsFetched) -> None:
        self.alerts, self.current = message.alerts, message.current
        firing = sum(a.resolved_at is None for a in self.alerts)
        with self.app.batch_update():
            table = self.query_one("#alerts", LiveTable)
            self._fill()
            more = "+" if len(self.alerts) >= LIMIT else ""
            set_border_title(
                table, f"Alerts ({len(self.alerts):,}{more}, {firing} firing; firing first, newest first)"
            )
            self._show_message()
        self.fetched()

    @on(LiveTable.RowHighlighted, "#alerts")
    def _highlighted(self) -> None:
        self._show_message()

    def _show_message(self) -> None:
        shown = self.query_one("#alert-message", Static)
        if not self.alerts:
            rules = len(self.console.settings.alerts.rules)
            update_static(
                shown,
                Text(
                    "No alerts yet."
                    + (f" {rules} rules are checked after each sample." if rules else
                       " No rules configured: add [[alerts.rules]] to the config file."),
                    style="dim",
                )
            )  # fmt: skip
            return
        table = self.query_one("#alerts", LiveTable)
        row = min(max(table.cursor_row, 0), len(self.alerts) - 1)
        key = table.coordinate_to_cell_key((row, 0)).row_key.value
        alert = next((a for a in self.alerts if str(a.id) == key), None)
        if alert is None:
            return
        text = Text.assemble((safe(f"{alert.rule} ({alert.kind}): "), "bold"), safe(alert.message))
        if alert.resolved_at is not None:
            text.append(
                safe(f"  resolved {fmt.local_time(alert.resolved_at)}: {alert.resolution}"), style="green"
            )
        else:
            text.append(f"  firing since {fmt.local_time(alert.fired_at)}", style="red")
            if alert.id in self.current:
                fired, now = (
                    show_value(alert.kind, alert.value),
                    show_value(alert.kind, self.current[alert.id]),
                )
                text.append(f"  value at firing {fired}, now {now}")
        text.append(safe(f"  notified: {notified(alert)}"), style=_notified_style(alert))
        update_static(shown, text)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
