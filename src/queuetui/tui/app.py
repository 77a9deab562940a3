"""The queuetui console: a Textual app over the rqdata read layer."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import redis
from rich.text import Text
from textual import events, on
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from queuetui.actor import current_actor
from queuetui.clock import SYSTEM, Clock
from queuetui.config import ConfigError, Settings, redact_url, with_context
from queuetui.present.text import safe, safe_block
from queuetui.roles import Role, refusal, user_groups
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.names import job_stored, unknown_queue
from queuetui.rqdata.rows import VIEWS
from queuetui.services import ContextSummary, Services, acl_mismatch, summarize_context
from queuetui.tui import commands
from queuetui.tui.collector import IdleCollector
from queuetui.tui.kept import KeptViews
from queuetui.tui.keymap import check_keymap
from queuetui.tui.messages import JobFound
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.screens.prompt import PromptScreen
from queuetui.tui.styles import style_path
from queuetui.tui.text import literal
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from queuetui.actor import Identity

VIEW_MODULES = ("jobs", "workers", "schedules", "batches", "alerts", "metrics", "audit", "job_detail")
"""The views an operator opens from the overview, loaded once it shows (QueueTUI.warm_views)."""

QUIET = 1.0
"""Seconds without a key before a view is built ahead of its first visit."""
PREPARE_EVERY = 0.3

PASS_THROUGH = ("escape", "ctrl+c", "ctrl+q")
"""Keys that reach a view even while its dry run is on its way: cancel it, or leave."""


class QueueTUI(App[None]):
    CSS_PATH = [style_path()]
    TITLE = "queuetui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave queuetui"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="Every key of this screen"),
        Binding(
            "colon", "command", "Command", id="app.command", tooltip=":failed [queue], :job ID, :123 ..."
        ),
        Binding(
            "P",
            "suspend_workers",
            "Suspend/resume",
            id="app.suspend",
            tooltip="Suspend or resume every worker (RQ's suspension is global)",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        clock: Clock = SYSTEM,
        connection: redis.Redis | None = None,
        connection_url: str | None = None,
        sessions: sessionmaker[Session] | None = None,
        identity: Identity | None = None,
    ) -> None:
        """`connection`, `connection_url` and `sessions` let tests and the demo pass a Redis client,
        its label and the schedule database; `identity` is a browser user's (queuetui serve)."""
        super().__init__()
        self.settings = settings
        self.clock = clock
        self.services = Services(
            settings, clock=clock, connection=connection, sessions=sessions, identity=identity
        )
        self.redis = self.services.redis
        self.identity = identity
        """The web user of `queuetui serve` this console serves, if any (else the OS account)."""
        self.role = self._role(settings)
        """The operator's role from the config (and the context), or the web user's: screens hide what
        it may not do (Audit refuses it)."""
        self.connection_label = self._label(settings, connection_url)
        self.tenant = ""
        """`:tenant NAME`: the job views show only this tenant's jobs (empty: every tenant's)."""
        self.known_queues: tuple[str, ...] = ()
        """The queues the overview last read: what `:` completes queue names from."""
        self.summarize: Callable[[Settings, str], ContextSummary] = summarize_context
        """How the Contexts view reads a context (snapshot tests show their servers at fixed URLs)."""
        self._dialog_closed_at = 0.0
        """When the last dialog closed (monotonic): keys typed before then were typed into it."""
        self._after_dialog: list[Callable[[], object]] = []
        """Views a background lookup found while a prompt or dialog was open: they open once it closes."""
        self.acl_problem: str | None = None
        """Why this context's Redis user does not match the role (a viewer's user that can write)."""
        self.views = KeptViews(self)
        """The views kept mounted between visits (tui/kept.py)."""
        self.prepare = False
        """Build the one-key views before their first visit (prepare_views); set by run_console."""
        self.last_key_at = 0.0
        """When the operator last pressed a key (monotonic)."""
        self.collector: IdleCollector | None = None
        """Full garbage collections while the operator is not typing (tui/collector.py); set by
        run_console, as it tunes the whole process."""

    def get_driver_class(self) -> type[Driver]:
        """In a terminal, Textual's driver writing through the colour-code compactor (tui/driver.py);
        any other (the browser's, or one set by TEXTUAL_DRIVER) as Textual picks it."""
        from textual.drivers.linux_driver import LinuxDriver

        from queuetui.tui.driver import CompactDriver

        driver = super().get_driver_class()
        return CompactDriver if driver is LinuxDriver else driver

    def _role(self, settings: Settings) -> Role:
        if self.identity is not None:
            return self.identity.role
        actor = current_actor()
        return settings.roles.role_for(actor.user, user_groups(actor.user))

    @staticmethod
    def _label(settings: Settings, connection_url: str | None = None) -> str:
        url = redact_url(connection_url or settings.redis_url)
        return f"{settings.name}  {url}" if settings.name else url

    def switch_context(self, name: str) -> None:
        """Work in context `name`: its Redis, database, role and read-only from now on; the view the
        operator was on (a queue's job view) reopens there, else the overview."""
        from queuetui.tui.screens.contexts import ContextsScreen
        from queuetui.tui.screens.jobs import JobsScreen

        try:
            settings = with_context(self.settings, name)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        below = [s for s in self.screen_stack[1:] if not isinstance(s, ContextsScreen)]
        view = below[-1] if below else None
        reopen = (view.queue, view.registry) if isinstance(view, JobsScreen) and view.registry else None
        old = self.services
        self.views.forget()  # they read through the old context
        self.settings = settings
        self.services = Services(settings, clock=self.clock, identity=self.identity)
        self.redis = self.services.redis
        self.role = self._role(settings)
        self.connection_label = self._label(settings)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(OverviewScreen())
        if reopen is not None:
            self.open_jobs(*reopen)
        old.close()
        self.notify(Text(f"Now in context {name}"), timeout=3)
        self.check_acl()

    def check_acl(self) -> None:
        """Tell a viewer whose Redis user can write (services.acl_mismatch), at start and on each context
        switch: the role alone does not stop them, or anyone with that password."""
        self.acl_problem = None
        if self.role != Role.VIEWER:
            return
        services = self.services

        def work() -> None:
            try:
                problem = acl_mismatch(services.redis, Role.VIEWER)
            except REDIS_ERRORS:
                return  # the views say Redis cannot be reached, and this is asked again on a switch
            if problem and services is self.services:
                self.call_from_thread(self._acl_told, problem)

        self.run_worker(work, thread=True, exit_on_error=False, group="acl")

    def _acl_told(self, problem: str) -> None:
        self.acl_problem = problem
        self.notify(literal(problem), title="Redis ACL", severity="warning", timeout=30)

    def warm_views(self) -> None:
        """Load the views' code in a thread, once the overview shows its first read: the first `w`, `s`
        or `enter` into a queue then builds its view at once, instead of loading its modules first
        (up to a second for the schedules' database layer, which the start path leaves out)."""

        def work() -> None:
            for name in VIEW_MODULES:
                importlib.import_module(f"queuetui.tui.screens.{name}")
            if self.collector is not None:
                self.call_from_thread(self.collector.start)
            if self.prepare:
                self.call_from_thread(self.prepare_views)

        self.run_worker(work, thread=True, exit_on_error=False, group="warm")

    def preparable(self) -> list[tuple[tuple[str], Callable[[], Screen[Any]]]]:
        """The views opened from the overview by one key, as those keys make them (under the same
        keys in self.views)."""
        from queuetui.metrics.trends import WINDOWS
        from queuetui.tui.screens.alerts import AlertsScreen
        from queuetui.tui.screens.batches import BatchesScreen
        from queuetui.tui.screens.metrics import MetricsScreen
        from queuetui.tui.screens.schedules import SchedulesScreen
        from queuetui.tui.screens.workers import WorkersScreen

        views: list[tuple[tuple[str], Callable[[], Screen[Any]]]] = [
            (("workers",), WorkersScreen),
            (("schedules",), lambda: SchedulesScreen("")),
            (("batches",), BatchesScreen),
            (("alerts",), AlertsScreen),
            (("metrics",), lambda: MetricsScreen(self.current_queue(), WINDOWS[0])),
        ]
        if self.may("schedule.add"):  # `a` in the Schedules view; the form's 180 widgets take 0.6 s
            from queuetui.tui.screens.schedule_form import ScheduleFormScreen

            views.append((ScheduleFormScreen.KEPT, ScheduleFormScreen))
        return views

    def prepare_views(self) -> None:
        """Build the next view of `preparable` not kept yet, hidden (KeptViews.prepare), once the
        keyboard has been quiet for QUIET seconds and the overview is on top, and lay it out
        (KeptViews.settle); then the next. Each step takes the loop for 20-120 ms: never while the
        operator types."""
        pending = [(key, make) for key, make in self.preparable() if key not in self.views]
        unsettled = self.views.unsettled()
        if not pending and unsettled is None:
            return
        if time.monotonic() - self.last_key_at >= QUIET and isinstance(self.screen, OverviewScreen):
            if unsettled is not None:
                self.views.settle(unsettled)
            else:
                self.views.prepare(*pending[0])
        self.set_timer(PREPARE_EVERY, self.prepare_views)

    def open_contexts(self) -> None:
        """The Contexts view: every context with its summary (a notice when none is configured)."""
        from queuetui.tui.screens.contexts import ContextsScreen

        if not (self.settings.base or self.settings).contexts:
            self.notify("No contexts configured: add [contexts.NAME] tables to the config file", timeout=5)
        elif not isinstance(self.screen, ContextsScreen):
            self.push_screen(ContextsScreen())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast of the console, a screen's too: never markup, its text made safe (it names queues,
        jobs and errors). `markup` is accepted for Textual's signature and ignored."""
        super().notify(
            safe_block(message, limit=2_000),
            title=safe(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def may(self, action: str) -> bool:
        """Whether the operator may do `action` (a roles.ACTIONS name): not read-only, within the role."""
        return refusal(action, self.role, self.settings.read_only) is None

    def holds_input(self) -> bool:
        """A dialog is open or a form is on screen: q must not throw away what is in it."""
        return any(
            (isinstance(s, ModalScreen) and getattr(s, "holds_input", True)) or getattr(s, "form", False)
            for s in self.screen_stack
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "suspend_workers":
            return self.may("workers.suspend") and self.may("workers.resume") and not self.holds_input()
        # While a dialog or form holds input, q goes to it: it decides what q means there.
        return not (action == "quit" and self.holds_input())

    def pop_screen(self) -> AwaitComplete:
        if isinstance(self.screen, ModalScreen):
            self._dialog_closed_at = time.monotonic()
        top = self.screen
        popped = super().pop_screen()
        self.views.left(top)
        if self._after_dialog and not isinstance(self.screen, ModalScreen):
            waiting, self._after_dialog = self._after_dialog, []
            for open_view in waiting:
                self.call_later(open_view)
        return popped

    def when_free(self, open_view: Callable[[], object]) -> None:
        """Open a view a background lookup found: now, or once the prompt or dialog on top closes.

        A view pushed over a prompt would take its focus and its typed text out of sight (rule 13)."""
        if isinstance(self.screen, ModalScreen):
            self._after_dialog.append(open_view)
        else:
            open_view()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key_at = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded and self._kept_from_view(event):
            return
        await super().on_event(event)

    def _kept_from_view(self, key: events.Key) -> bool:
        """A dialog owns the keyboard while it is open, and from the key that asks for it.

        A key typed while a dialog was open that reaches the app only after the dialog closed (the
        loop was busy) was meant for the dialog: it never reaches the view beneath, where an `enter`
        would open a job's detail. A key typed while a dry run is on its way to its dialog is kept
        for that dialog (BulkActionsScreen.typed_ahead); only escape (cancel the dry run) and the app's
        own priority keys pass."""
        from queuetui.tui.screens.bulk_actions import BulkActionsScreen

        if not self.screen_stack or isinstance(self.screen, ModalScreen):
            return False
        screen = self.screen
        if key.time < self._dialog_closed_at:
            return True
        if isinstance(screen, BulkActionsScreen) and screen.planning and key.key not in PASS_THROUGH:
            screen.typed_ahead.append((key.key, key.character))
            return True
        return False

    def action_suspend_workers(self) -> None:
        """P on any screen (but the schedules', where P pauses every schedule): asked, then audited."""
        live = next((s for s in reversed(self.screen_stack) if isinstance(s, LiveScreen)), None)
        if live is not None:
            live.ask_suspension()

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keys)  # [keys] in the config: any binding moved to other keys
        self.push_screen(OverviewScreen())
        self.check_acl()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Keys", "Show every key of this screen", self.action_help)
        if isinstance(screen, LiveScreen):
            yield SystemCommand("Refresh now", "Fetch this view now", screen.action_refresh_now)
            yield SystemCommand(
                "Pause / resume live refresh", "Toggle live refresh", screen.action_toggle_pause
            )
        for command in commands.COMMANDS:
            if command.palette:
                yield SystemCommand(
                    command.name.capitalize(), command.help, partial(self.run_command, command.name)
                )
        queue = self.current_queue()
        for registry, label in VIEWS.items():
            yield SystemCommand(
                f"{label}: {queue}",
                f"Open the {label} jobs of {queue}",
                partial(self.open_jobs, queue, registry),
            )

    # -- navigation

    def current_queue(self) -> str:
        """The queue the operator is looking at: the open view's, or the one under the overview cursor."""
        from queuetui.tui.screens.jobs import JobsScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, JobsScreen) and screen.queue:
                return screen.queue
            if isinstance(screen, OverviewScreen):
                table = screen.query_one("#queues", LiveTable)
                if table.row_count:
                    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return "default"

    def open_jobs(
        self, queue: str, registry: str, *, focus_job: str | None = None, position: int = 0
    ) -> None:
        """Show a queue's registry, reusing the open view of it if it is on top."""
        from queuetui.tui.screens.jobs import JobsScreen

        screen = self.screen
        if isinstance(screen, JobsScreen) and (screen.queue, screen.registry) == (queue, registry):
            if focus_job is not None:
                screen.focus_on(focus_job, position)
            return
        offset = max(0, position - 50) if focus_job is not None else 0

        def make() -> JobsScreen:
            view = JobsScreen(queue, registry, focus_job=focus_job, offset=offset)
            if not self.tenant:  # a tenant's view reads through its filter
                view.read_ahead(self.redis)
            return view

        self.views.show(
            ("jobs", queue, registry),
            make,
            None if focus_job is None else lambda view: view.focus_on(focus_job, position),
        )

    def open_jobs_named(self, queue: str, registry: str) -> None:
        """Open a registry of a queue named by the operator: at once if the overview's last read had
        it, else once Redis says the queue exists."""
        if queue in self.known_queues:
            self.open_jobs(queue, registry)
            return

        def work() -> None:
            try:
                problem = unknown_queue(self.redis, queue)
            except REDIS_ERRORS as exc:
                problem = describe_error(exc)
            if problem:
                self.call_from_thread(self.notify, problem, severity="error", timeout=8, markup=False)
            else:
                self.call_from_thread(self.when_free, partial(self.open_jobs, queue, registry))

        self.run_worker(work, thread=True, exit_on_error=False, group="find")

    def action_open_batches(self) -> None:
        from queuetui.tui.screens.batches import BatchesScreen

        if not isinstance(self.screen, BatchesScreen):
            self.views.show(("batches",), BatchesScreen)

    def open_batch(self, name: str) -> None:
        """Show a batch's jobs (every state, every queue) in the jobs view."""
        from queuetui.tui.screens.jobs import JobsScreen

        screen = self.screen
        if not (isinstance(screen, JobsScreen) and screen.group == name):
            self.views.show(("batch", name), lambda: JobsScreen("", "", group=name))

    def open_detail(self, job_id: str) -> None:
        from queuetui.tui.screens.job_detail import JobDetailScreen

        self.push_screen(JobDetailScreen(job_id))

    def open_log(self, job_id: str) -> None:
        """A job's log, followed live while the job runs."""
        from queuetui.tui.screens.job_log import JobLogScreen

        self.push_screen(JobLogScreen(job_id))

    def action_open_schedules(self) -> None:
        self.open_schedules()

    def action_open_workers(self) -> None:
        from queuetui.tui.screens.workers import WorkersScreen

        if not isinstance(self.screen, WorkersScreen):
            self.views.show(("workers",), WorkersScreen)

    def open_schedules(self, search: str = "") -> None:
        from queuetui.tui.screens.schedules import SchedulesScreen

        screen = self.screen
        if isinstance(screen, SchedulesScreen):
            screen.apply_search(search)
            return

        def again(view: SchedulesScreen) -> None:
            if view.search != search:
                view.apply_search(search)

        self.views.show(("schedules",), lambda: SchedulesScreen(search), again)

    def action_open_metrics(self) -> None:
        self.open_metrics()

    def open_metrics(self, *args: str) -> None:
        """The Metrics view of a queue (default: the one the operator is on) over a window (default 1h)."""
        from queuetui.metrics.trends import WINDOWS, window_named
        from queuetui.tui.screens.metrics import MetricsScreen

        windows = [a for a in args if a in {w.name for w in WINDOWS}]
        queues = [a for a in args if a not in windows]
        window = window_named(windows[0]) if windows else WINDOWS[0]
        queue = queues[0] if queues else self.current_queue()
        if isinstance(self.screen, MetricsScreen):
            self.screen.show(queues[0] if queues else self.screen.queue, window)
            return

        def again(view: MetricsScreen) -> None:
            if (view.queue, view.window) != (queue, window):
                view.show(queue, window)

        self.views.show(("metrics",), lambda: MetricsScreen(queue, window), again)

    def action_open_alerts(self) -> None:
        self.open_alerts()

    def open_alerts(self) -> None:
        from queuetui.tui.screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.views.show(("alerts",), AlertsScreen)

    def action_command(self) -> None:
        def submitted(text: str | None) -> None:
            if text:
                self.run_command(text)

        sources = {"queues": list(self.known_queues), "registries": list(VIEWS)}
        prompt = PromptScreen(
            ":", placeholder=commands.HELP, check=commands.check,
            complete=lambda text: commands.completions(text, sources),
        )  # fmt: skip
        self.push_screen(prompt, submitted)

    def set_tenant(self, tenant: str) -> None:
        """Scope the job views to `tenant`'s jobs ("" for every tenant's); open views filter again."""
        from queuetui.tui.screens.jobs import JobsScreen

        self.tenant = tenant
        self.views.forget()  # scoped to the old tenant
        for status in (bar for screen in self.screen_stack for bar in screen.query(StatusBar)):
            status.tenant = tenant
        for screen in self.screen_stack:
            if isinstance(screen, JobsScreen) and not screen.group:
                screen.apply_filter(screen.filter_text)
        self.notify(f"job views: tenant {tenant} only" if tenant else "job views: every tenant", timeout=3)

    def run_command(self, text: str) -> None:
        """Run a `:` command (see tui/commands.py)."""
        commands.run(self, text)

    def open_overview(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def open_groups(self, queue: str) -> None:
        """A queue's Failed view with its failures grouped."""
        from queuetui.tui.screens.jobs import JobsScreen

        self.open_jobs(queue, "failed")
        if isinstance(self.screen, JobsScreen):
            self.call_after_refresh(self.screen.action_groups)

    def open_tenants(self, queue: str, registry: str = "") -> None:
        """A queue's jobs counted by tenant (every registry of the Tenants view, or the one named)."""
        from queuetui.tui.screens.tenants import TenantsScreen

        screen = self.screen
        if not (isinstance(screen, TenantsScreen) and (screen.queue, screen.registry) == (queue, registry)):
            self.push_screen(TenantsScreen(queue, registry))

    def jobs_view_do(self, what: str, row: int = 0) -> None:
        """In the job view on top: go to its top, its bottom or a row number; elsewhere nothing."""
        from queuetui.tui.screens.jobs import JobsScreen

        screen = self.screen
        if not isinstance(screen, JobsScreen):
            self.notify(f":{row or what} moves within a job view; open one first", timeout=3)
        elif what == "top":
            screen.action_top()
        elif what == "bottom":
            screen.action_bottom()
        else:
            screen.jump_to_row(row)

    def find_job(self, job_id: str) -> None:
        from queuetui.rqdata.pages import find_job

        def work() -> None:
            try:
                locations = find_job(self.redis, job_id)
                if not locations and not job_stored(self.redis, job_id):
                    message = f"job {job_id!r} is nowhere: no queue or registry holds it, and no job hash"
                    self.call_from_thread(self.notify, message, severity="error", timeout=8, markup=False)
                    return
            except REDIS_ERRORS as exc:
                self.call_from_thread(self.notify, describe_error(exc), severity="error")
                return
            self.post_message(JobFound(job_id, locations))

        self.run_worker(work, thread=True, exit_on_error=False, group="find")

    @on(JobFound)
    def _found(self, message: JobFound) -> None:
        self.when_free(partial(self._open_found, message))

    def _open_found(self, message: JobFound) -> None:
        if not message.locations:
            self.notify(f"{message.job_id} is in no queue or registry; showing what is stored", timeout=4)
            self.open_detail(message.job_id)
            return
        where = message.locations[0]
        if len(message.locations) > 1:
            others = ", ".join(f"{x.registry} in {x.queue}" for x in message.locations[1:])
            self.notify(f"{message.job_id} is also in {others}", timeout=6)
        self.open_jobs(where.queue, where.registry, focus_job=message.job_id, position=where.position)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        title = type(screen).__name__.removesuffix("Screen").lower()
        rows: list[tuple[int, str, str, str, str]] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding, node = active.binding, active.node
            scope = (0, title) if node is screen else (1, "global") if node is self else (2, "table")
            if key in seen:
                continue
            seen.add(key)
            description = binding.description or binding.action.replace("_", " ").capitalize()
            # The binding's id is what [keys] in the config takes to move it to other keys.
            what = f"{binding.tooltip}  ({binding.id})".lstrip() if binding.id else binding.tooltip
            rows.append((scope[0], scope[1], self.get_key_display(binding), description, what))
        for command in commands.COMMANDS:
            aliases = ", ".join(f":{a}" for a in command.names[1:])
            rows.append(
                (3, "command", f":{command.usage}", command.help, f"also {aliases}" if aliases else "")
            )
        rows.sort(key=lambda row: row[0])
        self.push_screen(HelpScreen(title, [row[1:] for row in rows]))


def run_console(settings: Settings) -> int:
    """Run the console until the operator quits; its exit status: non-zero after a crash (Textual
    prints the traceback and returns from `run`, which must not look like a normal quit).
    ConfigError when a [keys] entry names no binding or no key."""
    check_keymap(settings.keys, settings.source.get("keys", "config"))
    app = QueueTUI(settings)
    app.collector = IdleCollector(app)
    app.prepare = True
    app.run()
    return app.return_code or 0
