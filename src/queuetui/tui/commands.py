"""The console's `:` language as one table: each command's names, arguments, what it does, how it checks
its arguments, what completes them, and what it runs.

The `:` prompt runs and checks commands from it, `?` lists it, and the command palette (ctrl+p) offers
every command it can run without arguments, so every screen is reachable from each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from queuetui.rqdata.rows import ALIASES, VIEWS, registry_name

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

Run = Callable[["QueueTUI", list[str]], None]
Check = Callable[[list[str]], str]


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    """The command first, then its aliases."""
    args: str
    """Its arguments as usage shows them: 'ID', '[queue]'."""
    help: str
    run: Run
    check: Check | None = None
    """Why its arguments cannot run, in one line; empty when they can."""
    complete: str = ""
    """What completes its first argument: 'queues', 'registries', 'schedules', or nothing."""
    palette: bool = True
    """Offered in the command palette (it runs without arguments)."""

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def usage(self) -> str:
        return f"{self.name} {self.args}".strip()


def _exactly_one(usage: str) -> Check:
    def check(args: list[str]) -> str:
        return "" if len(args) == 1 else f"usage: {usage}"

    return check


def _at_most(count: int, usage: str) -> Check:
    def check(args: list[str]) -> str:
        return "" if len(args) <= count else f"usage: {usage}"

    return check


def _check_audit(args: list[str]) -> str:
    from queuetui.tui.screens.audit import parse_audit_filter

    try:
        parse_audit_filter(" ".join(args))
    except ValueError as exc:
        return str(exc)
    return ""


def _check_metrics(args: list[str]) -> str:
    if len(args) > 2:
        return "usage: metrics [queue] [1h|6h|24h|7d|30d]"
    from queuetui.metrics.trends import window_named

    for word in args:
        if re.fullmatch(r"\d+[smhdw]", word):  # meant as a window, not a queue
            try:
                window_named(word)
            except ValueError as exc:
                return str(exc)
    return ""


def _overview(app: QueueTUI, args: list[str]) -> None:
    app.open_overview()


def _quit(app: QueueTUI, args: list[str]) -> None:
    app.exit()


def _job(app: QueueTUI, args: list[str]) -> None:
    app.find_job(args[0])


def _logs(app: QueueTUI, args: list[str]) -> None:
    app.open_log(args[0])


def _schedules(app: QueueTUI, args: list[str]) -> None:
    app.open_schedules(" ".join(args))


def _workers(app: QueueTUI, args: list[str]) -> None:
    app.action_open_workers()


def _imports(app: QueueTUI, args: list[str]) -> None:
    from queuetui.tui.screens.imports import ImportsScreen

    app.push_screen(ImportsScreen())


def _audit(app: QueueTUI, args: list[str]) -> None:
    from queuetui.tui.screens.audit import AuditScreen

    text = " ".join(args)

    def again(view: AuditScreen) -> None:
        if view.filter_text != text:
            view.apply_filter(text)

    app.views.show(("audit",), lambda: AuditScreen(text), again)


def _batches(app: QueueTUI, args: list[str]) -> None:
    app.open_batch(args[0]) if args else app.action_open_batches()


def _forecast(app: QueueTUI, args: list[str]) -> None:
    from queuetui.tui.screens.forecast import ForecastScreen

    app.push_screen(ForecastScreen())


def _metrics(app: QueueTUI, args: list[str]) -> None:
    app.open_metrics(*args)


def _alerts(app: QueueTUI, args: list[str]) -> None:
    app.open_alerts()


def _groups(app: QueueTUI, args: list[str]) -> None:
    app.open_groups(args[0] if args else app.current_queue())


def _contexts(app: QueueTUI, args: list[str]) -> None:
    app.switch_context(args[0]) if args else app.open_contexts()


def _tenant(app: QueueTUI, args: list[str]) -> None:
    app.set_tenant("" if args[0] == "-" else args[0])


def _check_tenant(args: list[str]) -> str:
    if len(args) != 1:
        return "usage: tenant NAME (- for every tenant)"
    if '"' in args[0] and "'" in args[0]:
        return "a tenant name cannot hold both kinds of quote"
    return ""


def _tenants(app: QueueTUI, args: list[str]) -> None:
    queue = args[0] if args else app.current_queue()
    app.open_tenants(queue, registry_name(args[1]) if len(args) > 1 else "")


def _check_tenants(args: list[str]) -> str:
    if len(args) > 2:
        return "usage: tenants [queue] [registry]"
    if len(args) == 2:
        try:
            registry_name(args[1])
        except ValueError as exc:
            return str(exc)
    return ""


def _top(app: QueueTUI, args: list[str]) -> None:
    app.jobs_view_do("top")


def _bottom(app: QueueTUI, args: list[str]) -> None:
    app.jobs_view_do("bottom")


def _registry(registry: str) -> Run:
    def run(app: QueueTUI, args: list[str]) -> None:
        if args:  # a typed name: checked against Redis first, an unknown one is an error
            app.open_jobs_named(args[0], registry)
        else:
            app.open_jobs(app.current_queue(), registry)

    return run


def _registry_commands() -> Iterator[Command]:
    for registry, label in VIEWS.items():
        aliases = tuple(a for a, r in ALIASES.items() if r == registry and a != label.lower())
        names = (label.lower(), *((registry,) if registry != label.lower() else ()), *aliases)
        yield Command(
            tuple(dict.fromkeys(names)), "[queue]", f"the {label} jobs of a queue (default: this one)",
            _registry(registry), _at_most(1, f"{label.lower()} [queue]"), complete="queues", palette=False,
        )  # fmt: skip


COMMANDS: tuple[Command, ...] = (
    Command(("overview", "queues", "home"), "", "the overview: every queue and worker", _overview),
    *_registry_commands(),
    Command(("job",), "ID", "find a job by id, wherever it is", _job, _exactly_one("job ID"), palette=False),
    Command(
        ("logs", "log"),
        "ID",
        "a job's log, followed while it runs",
        _logs,
        _exactly_one("logs ID"),
        palette=False,
    ),
    Command(
        ("groups",),
        "[queue]",
        "a queue's failures grouped by exception",
        _groups,
        _at_most(1, "groups [queue]"),
        complete="queues",
    ),
    Command(
        ("batches", "batch"),
        "[NAME]",
        "batches (RQ groups), or one batch's jobs",
        _batches,
        _at_most(1, "batches [NAME]"),
    ),
    Command(("workers", "worker"), "", "every worker, by host", _workers),
    Command(
        ("schedules", "schedule"),
        "[search]",
        "cron schedules, optionally searched",
        _schedules,
        complete="schedules",
    ),
    Command(("forecast",), "", "when the schedules fire next, hour by hour", _forecast),
    Command(("imports",), "", "schedule imports and their errors", _imports),
    Command(
        ("audit",),
        "[action:jobs.* actor:NAME]",
        "the audit trail of every operator action",
        _audit,
        _check_audit,
    ),
    Command(
        ("metrics",),
        "[queue] [1h|6h|24h|7d|30d]",
        "a queue's throughput, failures and backlog",
        _metrics,
        _check_metrics,
        complete="queues",
    ),
    Command(("alerts",), "", "alerts the rules fired", _alerts),
    Command(
        ("ctx", "context", "contexts"),
        "[NAME]",
        "every context with its summary, or switch to one",
        _contexts,
        _at_most(1, "ctx [NAME]"),
    ),
    Command(
        ("tenant",),
        "NAME|-",
        "show only one tenant's jobs in the job views (- for all)",
        _tenant,
        _check_tenant,
        palette=False,
    ),
    Command(
        ("tenants",),
        "[queue] [registry]",
        "a queue's jobs counted by tenant (waiting, running, failed)",
        _tenants,
        _check_tenants,
        complete="queues",
    ),
    Command(("top",), "", "the first row of this job view", _top, palette=False),
    Command(("bottom",), "", "the last row of this job view", _bottom, palette=False),
    Command(("quit", "q"), "", "leave queuetui", _quit, palette=False),
)

_BY_NAME = {name: command for command in COMMANDS for name in command.names}

HELP = " · ".join(c.usage for c in COMMANDS if c.name not in ("top", "bottom", "quit")) + " · 123 (row)"
"""The `:` prompt's placeholder: every command with its arguments."""


def find(verb: str) -> Command | None:
    """The command called `verb` (a name or an alias, any case), or None."""
    return _BY_NAME.get(verb.lower())


def check(text: str) -> str:
    """Why `text` cannot run as a `:` command, in one line; empty when it can (or is empty)."""
    words = text.split()
    if not words or words[0].isdigit():
        return ""
    command = find(words[0])
    if command is None:
        try:
            registry_name(words[0])
        except ValueError:
            return f"unknown command {words[0]!r}; try: {HELP}"
        return ""
    return command.check(words[1:]) if command.check else ""


def run(app: QueueTUI, text: str) -> None:
    """Run a `:` command that check() accepted."""
    words = text.split()
    if words[0].isdigit():
        app.jobs_view_do("row", int(words[0]))
        return
    command = find(words[0])
    if command is None:  # a registry spelled another way registry_name knows
        _registry(registry_name(words[0]))(app, words[1:])
        return
    command.run(app, words[1:])


def completions(text: str, sources: dict[str, list[str]]) -> list[str]:
    """Whole `:` lines that complete `text`: a command name while the first word is typed, then the
    command's completion source ('queues', 'registries', 'schedules': names from `sources`)."""
    words = text.split(" ")
    if len(words) == 1:
        return sorted(name for name in _BY_NAME if name.startswith(text.lower()) and name != text.lower())
    command = find(words[0])
    if command is None or not command.complete or len(words) != 2:
        return []
    partial = words[1]
    names = sources.get(command.complete, [])
    return [f"{words[0]} {name}" for name in names if name.startswith(partial) and name != partial]
