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
from textual.widgets import Static

from queuetui import fmt
from queuetui.config import AlertRule
from queuetui.db.engine import DatabaseError
from queuetui.db.models import Alert
from queuetui.metrics.alerts import OK, SENDING, notified, recent, show_value, threshold
from queuetui.present.text import safe
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import AlertsFetched, FetchFailed
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.text import literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

LIMIT = 500
COLUMNS = [  # 117 columns with their padding and the border: all but the message fit 120
    ("Fired", "fired", 11),
    ("Resolved", "resolved", 11),
    ("Lasted", "lasted", 6),
    ("Rule", "rule", 12),
    ("Subject", "subject", 14),
    ("Value", "value", 6),
    ("Threshold", "threshold", 17),
    ("Notified", "notified", 22),
    ("Message", "message", 60),
]


def alert_row(alert: Alert, rules: dict[str, AlertRule], now: datetime) -> tuple[str, list[Cell]]:
    firing = alert.resolved_at is None
    lasted = ((alert.resolved_at or now) - alert.fired_at).total_seconds()
    rule = rules.get(alert.rule)
    return str(alert.id), [  # Text, not markup: names and messages are shown as they are
        Text(fmt.short_time(alert.fired_at), style="bold" if firing else ""),
        Text("firing", style="bold red")
        if firing
        else Text(fmt.short_time(alert.resolved_at), style="green"),
        Text(fmt.age(lasted), justify="right"),
        literal(alert.rule),
        literal(alert.subject),
        literal(show_value(alert.kind, alert.value), justify="right"),
        literal(threshold(rule) if rule is not None else "(rule removed)", "" if rule else "dim"),
        literal(notified(alert), _notified_style(alert)),
        literal(alert.message),
    ]


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

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield LiveTable(id="alerts", cursor_type="row", zebra_stripes=True)
            yield Static(id="alert-message")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#alerts", LiveTable)
        for label, key, width in COLUMNS:
            table.add_column(Text(label, justify="right") if key in ("lasted", "value") else label,
                             width=width, key=key)  # fmt: skip
        set_border_title(table, "Alerts")
        self.start_live()

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        try:
            alerts = recent(self.console.services.sessions, LIMIT)
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        self.post_message(AlertsFetched(alerts))

    @on(AlertsFetched)
    def _show(self, message: AlertsFetched) -> None:
        self.alerts = message.alerts
        rules = {rule.name: rule for rule in self.console.settings.alerts.rules}
        now = self.console.clock.now()
        firing = sum(a.resolved_at is None for a in self.alerts)
        with self.app.batch_update():
            table = self.query_one("#alerts", LiveTable)
            table.sync([alert_row(a, rules, now) for a in self.alerts])
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
        text.append(safe(f"  notified: {notified(alert)}"), style=_notified_style(alert))
        update_static(shown, text)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
