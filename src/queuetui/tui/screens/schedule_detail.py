"""One schedule: its definition, next fire times, success rate and run durations, and its runs."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.widgets import Sparkline, Static

from queuetui import fmt
from queuetui.db.models import ScheduleRun
from queuetui.errors import DatabaseError
from queuetui.present import schedules as schedtext
from queuetui.present.table import Column, column_widths
from queuetui.present.text import safe
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.schedule.cron import get_zone
from queuetui.schedule.listing import ScheduleDetail, english, schedule_detail, schedule_state
from queuetui.tui.draw import set_border_title, update_static
from queuetui.tui.messages import FetchFailed, ScheduleDetailFetched
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.schedule_actions import ScheduleActionsScreen
from queuetui.tui.text import SEPARATOR, line, literal
from queuetui.tui.widgets.footer import KeysFooter
from queuetui.tui.widgets.live_table import Cell, LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

RUN_COLUMNS = {
    "fire": Column("Fire time", 11),
    "trigger": Column("Trigger", 8),
    "state": Column("State", 8),
    "waited": Column("Waited", 6, right=True),
    "ran": Column("Ran", 6, right=True),
    "worker": Column("Worker", 8, flex=1, max_width=24),
    "why": Column("Exception or reason", 12, flex=4),
}


def _waited(run: ScheduleRun) -> str:
    """How long after its fire time the run started (or was enqueued, while it waits)."""
    began = run.started_at or run.enqueued_at
    return fmt.age(max(0.0, (began - run.fire_time).total_seconds())) if began else "-"


def run_row(run: ScheduleRun) -> tuple[str, list[Cell]]:
    why = run.exception or run.reason or ""
    return run.job_id, [
        fmt.short_time(run.fire_time),
        literal(run.trigger),
        literal(run.state, schedtext.STATE_STYLES.get(str(run.state), "")),
        Text(_waited(run), justify="right"),
        Text(fmt.duration(run.duration), justify="right"),
        literal(run.worker or "-"),
        literal(" ".join(why.split()), "red" if run.exception else "dim", no_wrap=True),
    ]


def _times(moments: list[datetime], now: datetime) -> str:
    """Fire times, shortest first: the time of day alone while they all fall on today's date."""
    today = all(m.date() == now.astimezone(m.tzinfo).date() for m in moments)
    return "  ".join(f"{m:%H:%M:%S}" if today else f"{m:%m-%d %H:%M}" for m in moments)


def definition(detail: ScheduleDetail, now: datetime) -> Text:
    """The schedule's fields as aligned 'key  value' lines, what matters at 3 a.m. first."""
    s, stats = detail.schedule, detail.stats
    state = schedule_state(s.enabled, s.snoozed_until, now)
    if state == "snoozed" and s.snoozed_until:
        state += f" until {fmt.local_time(s.snoozed_until)}"
    fires = [fire.astimezone(get_zone(s.timezone)) for fire in detail.upcoming]  # none if unreadable
    local = [fire.astimezone() for fire in fires]
    rate = f"{stats.success_rate:.0%}" if stats.success_rate is not None else "-"
    retries = (
        f"{s.retry_max} (after {', '.join(map(str, s.retry_intervals)) or '0'} s)" if s.retry_max else "none"
    )
    notify = ", ".join(k for k in ("failure", "success", "late") if getattr(s, f"notify_on_{k}")) or "none"
    fields = [
        ("About", s.description),
        ("Runs", f"{s.func}(*{s.args or []}, **{s.kwargs or {}})"),
        ("When", f"{s.cron}  ·  {english(s.cron, s.name)}  ·  {s.timezone}"),
        ("State", state),
        ("Next", f"{_times(fires, now)}  {s.timezone}" if fires else "-"),
        ("Local", f"{_times(local, now)}  {local[0]:%Z}" if local else ""),
        (
            "History",
            f"{stats.runs} shown  ·  {stats.finished} finished, {stats.failed} failed  ·  success {rate}",
        ),
        ("Queue", f"{s.queue}  ·  timeout {s.job_timeout or 'RQ default'}  ·  retries {retries}"),
        ("Policies", f"overlap {s.overlap}  ·  misfire {s.misfire} within {fmt.age(s.misfire_grace)}"),
        ("Notify", f"{notify}{'  ·  ' + s.webhook_url if s.webhook_url else ''}"),
        ("Keeps", f"{s.keep_runs or 'all'} runs, {s.keep_days or 'any'} days"),
        ("Tags", ", ".join(s.tags or []) or "-"),
        ("Changed", f"{fmt.local_time(s.updated_at)} by {s.updated_by or '?'}  ·  version {s.version}"),
    ]
    if local and local[0].utcoffset() == fires[0].utcoffset():
        fields = [f for f in fields if f[0] != "Local"]  # the operator's zone is the schedule's
    width = max(len(k) for k, _ in fields)
    text = Text()
    for key, value in fields:
        if value:
            text.append(("\n" if text else "") + key.ljust(width), style="dim")
            text.append("  " + safe(value))
    return text


class ScheduleDetailScreen(ScheduleActionsScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="schedule.back"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.schedule_name = name
        self.detail: ScheduleDetail | None = None
        self._width = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Vertical(id="tables"):
            yield Static(line(("Schedule", "bold"), " ", self.schedule_name), id="view-title")
            with VerticalScroll(id="schedule-info"):
                yield Static("Loading…", id="schedule-fields")
            yield Static(id="durations-label")
            yield Sparkline([], id="durations")
            runs = LiveTable(id="runs", cursor_type="row", zebra_stripes=True)
            set_border_title(runs, "Runs (enter opens the job)")
            yield runs
        yield KeysFooter()

    def on_mount(self) -> None:
        self._build_columns()
        self.start_live()

    def _build_columns(self) -> None:
        self._width = self.size.width
        widths = column_widths(list(RUN_COLUMNS.values()), max(40, self.size.width - 6))  # borders, scrollbar
        table = self.query_one("#runs", LiveTable)
        table.clear(columns=True)
        for (key, column), width in zip(RUN_COLUMNS.items(), widths, strict=True):
            table.add_column(
                Text(column.label, justify="right") if column.right else column.label, width=width, key=key
            )
        if self.detail is not None:
            table.sync([run_row(run) for run in self.detail.runs])

    def on_resize(self, event: Resize) -> None:
        if self.is_mounted and event.size.width != self._width:
            self._build_columns()

    def current_schedule(self) -> str | None:
        return self.schedule_name if self.detail is not None else None

    def shown_enabled(self, name: str) -> bool | None:
        return self.detail.schedule.enabled if self.detail is not None else None

    @work(thread=True, exclusive=True, exit_on_error=False, group=LiveScreen.FETCH_GROUP)
    def fetch(self) -> None:
        try:
            store = self.console.services.store
            detail = schedule_detail(store.sessions, self.schedule_name, self.console.clock.now())
            paused_by = self.console.services.operator.paused_by()
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        except REDIS_ERRORS as exc:
            self.post_message(FetchFailed(describe_error(exc)))
            return
        self.paused_by = paused_by
        self.post_message(ScheduleDetailFetched(detail))

    @on(ScheduleDetailFetched)
    def show(self, message: ScheduleDetailFetched) -> None:
        self.detail = detail = message.detail
        title = self.query_one("#view-title", Static)
        if detail is None:
            update_static(
                title, line(("Schedule", "bold"), f" {self.schedule_name}  ·  ", ("deleted", "bold red"))
            )
            update_static(self.query_one("#schedule-fields", Static), "This schedule no longer exists.")
            self.query_one("#runs", LiveTable).sync([])
            self.fetched()
            return
        now = self.console.clock.now()
        s = detail.schedule
        state = schedule_state(s.enabled, s.snoozed_until, now)
        last = detail.runs[0].state if detail.runs else "never ran"
        parts = [line(("Schedule", "bold"), f" {s.name}"), line(state), line(f"last {last}")]
        if self.paused_by:
            parts.append(line(("every schedule paused", "bold yellow")))
        with self.app.batch_update():
            update_static(title, SEPARATOR.join(parts))
            update_static(self.query_one("#schedule-fields", Static), definition(detail, now))
            durations = detail.stats.durations[-120:]
            sparkline = self.query_one("#durations", Sparkline)
            sparkline.data = list(durations)
            label = self.query_one("#durations-label", Static)
            if len(durations) > 1:
                label.update(
                    f"Run time of the last {len(durations)} runs, oldest to newest: "
                    f"{fmt.duration(min(durations))} to {fmt.duration(max(durations))}"
                )
            sparkline.display = label.display = len(durations) > 1
            self.query_one("#runs", LiveTable).sync([run_row(run) for run in detail.runs])
        self.fetched()

    @on(LiveTable.RowSelected, "#runs")
    def _open_job(self, event: LiveTable.RowSelected) -> None:
        self.console.find_job(str(event.row_key.value))
