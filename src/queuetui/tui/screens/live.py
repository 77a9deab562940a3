"""What every live screen shares: a fetch re-armed after it finishes, pause, and visible reconnects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from queuetui import fmt
from queuetui.config import is_sentinel_url
from queuetui.errors import DatabaseError, Refused, ScheduleError
from queuetui.rqdata import actions
from queuetui.rqdata.actions import ActionError
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.tui.draw import LeanScreen
from queuetui.tui.messages import ActionDone, FetchFailed, SuspensionRead
from queuetui.tui.text import line, literal
from queuetui.tui.widgets.status_bar import StatusBar, context_style

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

MAX_BACKOFF = 5.0


def start_header(screen: Screen[object], console: QueueTUI, tick: Callable[[], object] | None = None) -> None:
    """Fill a screen's StatusBar from the console (context, connection, role, mode, tenant) and tick
    its clock every second (with `tick`, where given)."""
    status = screen.query_one(StatusBar)
    settings = console.settings
    status.context = settings.context
    status.production = settings.production
    status.context_look = context_style(settings.production, settings.color)
    status.connection = console.connection_label
    status.role = console.role.label
    status.read_only = settings.read_only
    status.tenant = console.tenant
    status.tick()
    screen.set_interval(1.0, tick or status.tick)


class LiveScreen(LeanScreen, Screen[None]):  # type: ignore[misc]
    """Subclasses compose a StatusBar, a `#banner` Static and a `#tables` container, implement
    `fetch()` as a thread worker in group FETCH_GROUP that posts a result or FetchFailed, and call
    `fetched()` when a result arrives."""

    FETCH_GROUP = "fetch"
    BINDINGS = [
        Binding("r", "refresh_now", "Refresh", id="live.refresh", tooltip="Fetch now"),
        Binding("p", "toggle_pause", "Pause", id="live.pause", tooltip="Pause or resume live refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self._problem: str | None = None
        """The banner's text as last shown (None: not shown yet)."""
        self._due = False  # a refresh came due while paused or hidden
        self.paused = False
        self.failures = 0
        self.last_fetched_at: datetime | None = None

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def fetch(self) -> None:
        raise NotImplementedError

    def start_live(self, fetch: bool = True) -> None:
        """The header and its clock, and the first read (`fetch=False`: the view has its first read)."""
        start_header(self, self.console, tick=self._tick)
        if fetch:
            self.fetch()

    @property
    def showing(self) -> bool:
        """On screen: on top, or under a dialog. (A kept view outlives the stack as the console closes.)"""
        stack = self.app.screen_stack
        return (bool(stack) and stack[-1] is self) or (
            len(stack) > 1 and stack[-2] is self and isinstance(stack[-1], ModalScreen)
        )

    @property
    def is_current(self) -> bool:
        """Only while showing. Textual holds the screen right under the top one current even when a
        full screen covers it: it then lays itself out and draws on its timer, and every change it
        draws repaints the whole terminal from the screen on top (40 lines, ~30 KB at 120x40).
        Back on top, it is laid out and drawn whole again."""
        return self.showing

    def _tick(self) -> None:
        """The clock moves only on the screen shown (a hidden screen draws nothing)."""
        if self.showing:
            self.query_one(StatusBar).tick()

    def _arm(self, delay: float) -> None:
        """Schedule the next fetch; only ever one pending, and only after the last one finished."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self._due_now)

    def _due_now(self) -> None:
        self._due = True
        self._fetch_if_due()

    def _fetch_if_due(self) -> None:
        """Fetch a refresh that came due, unless paused or covered by another screen."""
        if self._due and not self.paused and self.showing:
            self._due = False
            self.fetch()

    def on_screen_resume(self) -> None:
        self.query_one(StatusBar).tick()
        self._fetch_if_due()

    def fetched(self) -> None:
        """A fetch succeeded: clear any outage and arm the next one."""
        self.last_fetched_at = self.console.clock.now()
        if self.failures:
            sentinel = is_sentinel_url(self.console.settings.redis_url)
            self.notify("Reconnected to the master" if sentinel else "Reconnected to Redis", timeout=3)
        self.failures = 0
        self.set_state()
        self._arm(self.refresh_every())

    def refresh_every(self) -> float:
        """Seconds from one fetch's end to the next (views of slower data wait longer)."""
        return self.console.settings.refresh

    @on(FetchFailed)
    def show_failure(self, message: FetchFailed) -> None:
        self.failures += 1
        delay = min(MAX_BACKOFF, self.console.settings.refresh * 2 ** (self.failures - 1))
        seen = ""
        if self.last_fetched_at is not None:
            seen = f"; showing data from {fmt.local_time(self.last_fetched_at)}"
        if is_sentinel_url(self.console.settings.redis_url):  # the Sentinels name the master to go to
            lost = f"Master lost: reconnecting to the new master every {delay:g}s"
        else:
            lost = f"Disconnected, retrying every {delay:g}s"
        self.set_state(f"{lost} (attempt {self.failures}): {message.error}{seen}")
        self._arm(delay)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in a fetch must not end live refresh: say so, and keep going."""
        if event.worker.group == self.FETCH_GROUP and event.state == WorkerState.ERROR:
            self.notify(f"Refresh failed: {event.worker.error!r}", severity="error", timeout=10)
            self._arm(MAX_BACKOFF)

    def set_state(self, problem: str = "") -> None:
        status = self.query_one(StatusBar)
        if problem != self._problem:  # a Static's update lays the screen out again: every line redrawn
            self._problem = problem
            banner = self.query_one("#banner", Static)
            banner.update(literal(problem))
            banner.display = bool(problem)
            self.query_one("#tables").set_class(bool(problem), "stale")
        status.state = "disconnected" if problem else ("paused" if self.paused else "live")

    @work(thread=True, exit_on_error=False, group="action")
    def act(self, change: Callable[[], str]) -> None:
        """Run an operator's change in a thread; report it in one line either way (ActionDone)."""
        try:
            text = change()
        except (ActionError, ScheduleError, Refused, DatabaseError) as exc:
            self.post_message(ActionDone(str(exc), error=True))
        except REDIS_ERRORS as exc:
            self.post_message(ActionDone(describe_error(exc), error=True))
        else:
            self.post_message(ActionDone(text))

    @on(ActionDone)
    def _acted(self, message: ActionDone) -> None:
        """Say what the change did, and show its effect at once."""
        self.notify(message.text, severity="error" if message.error else "information", timeout=6)
        self.fetch()

    # -- P: suspend or resume every worker, from any screen (the app's key, asked here)

    def ask_suspension(self) -> None:
        """Read whether the workers are suspended, then ask to resume or to suspend them (default no)."""
        self._read_suspension()

    @work(thread=True, exit_on_error=False, group="worker-action")
    def _read_suspension(self) -> None:
        try:
            self.post_message(SuspensionRead(actions.workers_suspended(self.console.redis)))
        except REDIS_ERRORS as exc:
            self.post_message(ActionDone(describe_error(exc), error=True))

    @on(SuspensionRead)
    def _ask_suspension(self, message: SuspensionRead) -> None:
        from queuetui.tui.screens.confirm import ConfirmScreen

        operations = self.console.services.operations
        if message.suspended:
            question = line("Resume every worker? They take jobs again, on every queue and every host.")

            def change() -> str:
                operations.resume_workers()
                return "workers resumed: they take jobs again"
        else:
            question = line(
                "Suspend ",
                ("every", "bold"),
                " worker? RQ's suspension is global: every worker on this Redis, on every"
                " queue and every host, finishes its job and takes no new one until resumed (P again).",
            )

            def change() -> str:
                operations.suspend_workers()
                return "workers suspended (RQ's suspension is global: every queue, every host)"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act(change)

        self.app.push_screen(ConfirmScreen(question), confirmed)

    def action_refresh_now(self) -> None:
        self.fetch()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self._fetch_if_due()
        if not self.failures:
            self.set_state()
        self.notify("Live refresh paused" if self.paused else "Live refresh resumed", timeout=2)
