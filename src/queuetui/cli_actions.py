"""The CLI twins of the console's actions: jobs retry|requeue|move|cancel|stop|delete|enqueue-now|release,
queues empty, workers suspend|resume|stop-job|shutdown|kill-horse, and audit.

Each job action runs the dry run first (how many jobs, from where, five of them), asks to confirm
(typing the count above confirm_above; the default answer is no; --yes for scripts), then runs through
operations.Operations: the code path, refusals and audit of the console. It exits 1 when any job could
not be acted on (each is listed with the reason), 2 on bad input, 130 when interrupted halfway.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import click

from queuetui.cli import (
    _aware_time,
    _db_url_option,
    _progress_printer,
    _redis_errors,
    connection_options,
    fail,
    jobs,
    main,
    settings_from,
)
from queuetui.config import Settings
from queuetui.present.actions import outcome_line, plan_lines, problem_lines
from queuetui.rqdata.connection import connect


def _operations(connection: dict[str, Any], db_url: str | None) -> tuple[Settings, Any]:
    from queuetui.audit import Audit
    from queuetui.db.engine import DatabaseError, open_database
    from queuetui.operations import Operations

    settings = settings_from({**connection, "db_url": db_url})
    try:
        sessions = open_database(settings.db_url)
    except DatabaseError as exc:
        fail(str(exc), code=2 if "invalid database URL" in str(exc) else 1)
    audit = Audit.for_settings(sessions, settings)
    return settings, Operations(connect(settings.redis_url), audit, confirm_above=settings.confirm_above)


@contextlib.contextmanager
def _action_errors(settings: Settings) -> Iterator[None]:
    """Refused, impossible or failed: one line and exit 1; Redis trouble as everywhere else."""
    from queuetui.audit import Refused
    from queuetui.db.engine import DatabaseError
    from queuetui.rqdata.actions import ActionError

    with _redis_errors(settings):
        try:
            yield
        except (Refused, ActionError, DatabaseError) as exc:
            fail(str(exc))


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("job_ids", nargs=-1, metavar="[JOB_ID]..."),
        click.option("-q", "--queue", default="", help="The queue whose jobs to act on."),
        click.option("-r", "--registry", default="", help="Its registry (default: the action's own)."),
        click.option("-f", "--filter", "filter_text", default="", help="Only the jobs matching this filter."),
        click.option("--ids", "ids_text", multiple=True, help="Job ids, comma-separated (repeatable)."),
        click.option(
            "--ids-file", type=click.File("r"), default=None, help="Job ids, one a line ('-' for stdin)."
        ),
        click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing."),
        click.option("-y", "--yes", is_flag=True, help="Do not ask to confirm (scripts)."),
        click.option("--throttle", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="At most this many jobs per second."),
        click.option("--json", "as_json", is_flag=True, help="Print the dry run or the result as JSON."),
        _db_url_option,
        connection_options,
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _job_action(action: str, name: str, summary: str, extra: tuple[Callable[..., Any], ...] = ()) -> None:
    """Register `queuetui jobs NAME` for the job action `action`."""

    def command(
        connection: dict[str, Any],
        db_url: str | None,
        job_ids: tuple[str, ...],
        queue: str,
        registry: str,
        filter_text: str,
        ids_text: tuple[str, ...],
        ids_file: Any,
        dry_run: bool,
        yes: bool,
        throttle: float | None,
        as_json: bool,
        to: str = "",
        front: bool = False,
        with_dependents: bool = False,
    ) -> None:
        from queuetui.rqdata.actions import ActionError, Options
        from queuetui.rqdata.bulk import Selection
        from queuetui.rqdata.query import QueryError
        from queuetui.rqdata.rows import registry_name

        ids = [*job_ids, *(i for text in ids_text for i in text.replace(",", " ").split())]
        if ids_file is not None:
            ids.extend(line.strip() for line in ids_file if line.strip())
        try:
            registry = registry_name(registry) if registry else ""
        except ValueError as exc:
            fail(str(exc), code=2)
        settings, ops = _operations(connection, db_url)
        selection = Selection(queue, registry, filter_text, tuple(ids))
        options = Options(to=to, at_front=front, dependents=with_dependents)
        with _redis_errors(settings):
            try:
                progress = _progress_printer() if sys.stderr.isatty() and filter_text else None
                plan = ops.plan(action, selection, options, progress=progress)
            except (ActionError, QueryError) as exc:
                fail(str(exc), code=2)
        _run_plan(settings, ops, plan, dry_run=dry_run, yes=yes, throttle=throttle, as_json=as_json)

    command.__doc__ = summary
    decorated: Callable[..., Any] = _selection_options(command)
    for option in reversed(extra):
        decorated = option(decorated)
    jobs.command(name)(decorated)


def _plan_text(plan: Any) -> str:
    return "\n".join(plan_lines(plan))


def _plan_json(plan: Any) -> dict[str, Any]:
    return {
        "action": plan.action.name,
        "dry_run": True,
        "total": plan.total,
        "sources": [{"queue": s.queue, "registry": s.registry, "count": n} for s, n in plan.sources.items()],
        "samples": plan.samples(),
        "truncated": plan.truncated,
        "problems": [{"id": p.job_id, "reason": p.reason} for p in plan.problems],
    }


def _confirm(ops: Any, plan: Any) -> bool:
    """Ask on the terminal; the default answer is no. Above confirm_above, the count must be typed."""
    if not sys.stdin.isatty():
        fail("not confirmed: pass --yes to act without a terminal (or --dry-run to look first)", code=2)
    if ops.needs_typed_count(plan):
        answer = click.prompt(f"Type {plan.total} to confirm", default="", show_default=False, err=True)
        return bool(answer.strip().replace(",", "") == str(plan.total))
    return click.confirm("Go ahead?", default=False, err=True)


@contextlib.contextmanager
def _interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) stops the run between two chunks instead of in the middle of one."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: cancel.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_plan(
    settings: Settings,
    ops: Any,
    plan: Any,
    *,
    dry_run: bool,
    yes: bool,
    throttle: float | None,
    as_json: bool,
) -> None:
    from queuetui import fmt

    refused = ops.refusal(plan.action.name)
    if dry_run:
        if as_json:
            click.echo(json.dumps({**_plan_json(plan), "refused": refused}, indent=2))
        else:
            click.echo(_plan_text(plan))
            if refused:
                click.echo(f"(it would be refused: {refused})")
        return
    # A refused action is refused (and recorded) by the run itself, without asking first.
    if refused is None:
        if not plan.requested:
            click.echo(
                f"{plan.action.name}: nothing to do ({plan.selection.describe()} holds no jobs)", err=True
            )
            return
        if not yes:
            click.echo(_plan_text(plan), err=True)
            if plan.total and not _confirm(ops, plan):
                click.echo("not confirmed: nothing changed", err=True)
                sys.exit(1)
    cancel = threading.Event()
    show = None
    if sys.stderr.isatty() and not as_json:

        def show(p: Any) -> None:
            eta = f", {fmt.duration(p.eta)} left" if p.eta else ""
            click.echo(f"\r{p.handled:,} of {p.total:,} ({p.rate:,.0f}/s{eta})   ", nl=False, err=True)

    with _action_errors(settings), _interrupt_cancels(cancel):
        outcome = ops.run(plan, progress=show, cancel=cancel, throttle=throttle)
    if show is not None:
        click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(_outcome_json(outcome), indent=2))
    else:
        click.echo(_outcome_text(plan, outcome))
    if outcome.cancelled:
        sys.exit(130)
    if outcome.problems:
        sys.exit(1)


def _outcome_text(plan: Any, outcome: Any) -> str:
    return "\n".join(
        [outcome_line(plan, outcome), *problem_lines(outcome.problems, "not " + plan.action.past)]
    )


def _outcome_json(outcome: Any) -> dict[str, Any]:
    return {
        "action": outcome.action,
        "requested": outcome.requested,
        "done": outcome.done,
        "failed": outcome.failed,
        "cancelled": outcome.cancelled,
        "elapsed": round(outcome.elapsed, 3),
        "dependents": outcome.dependents,
        "problems": [{"id": p.job_id, "reason": p.reason} for p in outcome.problems],
    }


_to = click.option("--to", default="", metavar="QUEUE", help="Destination queue.")
_front = click.option("--front", is_flag=True, help="Put them at the front of the queue (next to run).")
_dependents = click.option(
    "--with-dependents", is_flag=True, help="Also the jobs that depend on them (transitively)."
)

_job_action("jobs.retry", "retry", "Retry failed jobs on their own queue (back, or --front).", (_front,))
_job_action(
    "jobs.requeue",
    "requeue",
    "Put failed, canceled or finished jobs on a queue: their own, or --to another.",
    (_to, _front),
)
_job_action("jobs.move", "move", "Move waiting jobs to another queue (--to).", (_to, _front))
_job_action(
    "jobs.cancel", "cancel", "Cancel waiting, scheduled or deferred jobs (kept in Canceled).", (_dependents,)
)
_job_action("jobs.stop", "stop", "Stop running jobs (they end as stopped, in Failed, not retried).")
_job_action("jobs.delete", "delete", "Delete jobs, their results and executions.", (_dependents,))
_job_action(
    "jobs.enqueue-now", "enqueue-now", "Enqueue scheduled jobs now instead of at their time.", (_front,)
)
_job_action(
    "jobs.release",
    "release",
    "Enqueue deferred jobs now, whatever their dependencies (e.g. -q QUEUE -f never:).",
    (_front,),
)


@main.group()
def queues() -> None:
    """Act on a whole queue."""


@queues.command("empty")
@connection_options
@_db_url_option
@click.argument("queue")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask to confirm (scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the dry run or the result as JSON.")
def queues_empty(
    connection: dict[str, Any], db_url: str | None, queue: str, dry_run: bool, yes: bool, as_json: bool
) -> None:
    """Delete every job waiting in QUEUE (admin)."""
    from queuetui.rqdata.bulk import Selection

    settings, ops = _operations(connection, db_url)
    with _action_errors(settings):
        plan = ops.plan("queues.empty", Selection(queue, "waiting"))
    _run_plan(settings, ops, plan, dry_run=dry_run, yes=yes, throttle=None, as_json=as_json)


@main.group()
def workers() -> None:
    """Suspend and resume every worker; stop a worker's job, shut it down, kill its work horse."""


def _worker_action(
    name: str, summary: str, act: Callable[[Any, str], str], takes_worker: bool = True
) -> None:
    def command(connection: dict[str, Any], db_url: str | None, **kwargs: Any) -> None:
        settings, ops = _operations(connection, db_url)
        with _action_errors(settings):
            click.echo(act(ops, kwargs.get("worker", "")))

    command.__doc__ = summary
    decorated = connection_options(_db_url_option(command))
    if takes_worker:
        decorated = click.argument("worker")(decorated)
    workers.command(name)(decorated)


def _stop_job(ops: Any, worker: str) -> str:
    return f"{worker}: asked to stop job {ops.stop_worker_job(worker)}"


def _shutdown(ops: Any, worker: str) -> str:
    ops.shutdown_worker(worker)
    return f"{worker}: asked to shut down after its current job"


def _kill_horse(ops: Any, worker: str) -> str:
    job_id = ops.kill_horse(worker)
    return f"{worker}: work horse killed" + (f" (it ran {job_id})" if job_id else "")


def _resume(ops: Any, worker: str) -> str:
    ops.resume_workers()
    return "workers resumed: they take jobs again"


_worker_action("stop-job", "Stop the job WORKER is running (it ends as stopped).", _stop_job)
_worker_action("shutdown", "Shut WORKER down once its current job ends (admin).", _shutdown)
_worker_action("kill-horse", "Kill WORKER's work horse, failing its job (admin).", _kill_horse)
_worker_action("resume", "Let every worker take jobs again.", _resume, takes_worker=False)


@workers.command("suspend")
@connection_options
@_db_url_option
@click.option("--for", "ttl", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Resume on its own after this many seconds.")  # fmt: skip
def workers_suspend(connection: dict[str, Any], db_url: str | None, ttl: int | None) -> None:
    """Suspend every worker on this Redis: they finish their jobs and take no new ones."""
    settings, ops = _operations(connection, db_url)
    with _action_errors(settings):
        ops.suspend_workers(ttl)
    until = f" for {ttl}s" if ttl else " until `queuetui workers resume`"
    click.echo(f"workers suspended{until} (RQ's suspension is global: every queue, every host)")


@main.command("audit")
@connection_options
@_db_url_option
@click.option("--action", default="", help="One action ('jobs.retry') or a prefix ('jobs.*').")
@click.option("--actor", default="", help="One OS user.")
@click.option(
    "--since", default=None, metavar="WHEN", help="A duration back from now (2h, 7d) or an ISO time."
)
@click.option("-n", "--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with every field.")
def audit_command(
    connection: dict[str, Any],
    db_url: str | None,
    action: str,
    actor: str,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The audit trail, newest first: who did what, to which jobs, how many, with what outcome."""
    from datetime import timedelta

    from queuetui import fmt
    from queuetui.audit import recent
    from queuetui.clock import SYSTEM
    from queuetui.db.engine import DatabaseError, open_database
    from queuetui.rqdata.query import parse_duration

    moment = None
    if since is not None:
        seconds = parse_duration(since)
        moment = (
            SYSTEM.now() - timedelta(seconds=seconds)
            if seconds is not None
            else _aware_time("--since", since)
        )
    settings = settings_from({**connection, "db_url": db_url})
    try:
        entries = recent(open_database(settings.db_url), limit, action=action, actor=actor, since=moment)
    except DatabaseError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"entries": [_entry_json(e) for e in entries]}, indent=2))
        return
    for e in entries:
        who = f"{e.actor}@{e.client}" + (f" ({e.role})" if e.role else "")
        counts = f"{e.done:,}/{e.requested:,}" + (f" {e.failed:,} failed" if e.failed else "")
        where = e.target + (f" [{e.filter}]" if e.filter else "")
        click.echo(f"{fmt.short_time(e.at)}  {who:<28} {e.action:<18} {counts:<18} {e.outcome:<10} {where}")
    click.echo(f"{len(entries)} entries", err=True)


def _entry_json(entry: Any) -> dict[str, Any]:
    fields = ("id", "actor", "client", "host", "role", "action", "target", "filter", "requested", "done")
    data = {name: getattr(entry, name) for name in fields}
    data.update(failed=entry.failed, outcome=entry.outcome, job_ids=entry.job_ids, detail=entry.detail)
    data["started_at"] = entry.at.isoformat()
    data["ended_at"] = entry.ended_at.isoformat() if entry.ended_at else None
    return data
