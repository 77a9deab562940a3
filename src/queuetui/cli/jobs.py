"""`queuetui jobs`: list, show, deps and groups read as the console does; retry, requeue, move, cancel,
stop, delete, enqueue-now and release act through the dry run, confirmation and audit of cli.plan."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click

from queuetui.cli.options import (
    action_errors,
    connection_options,
    db_url_option,
    dependents_option,
    fail,
    front_option,
    json_option,
    redis_errors,
    redis_for,
    scan_progress,
    services_for,
)
from queuetui.present.text import safe

if TYPE_CHECKING:
    from queuetui.rqdata.logs import LogEntry


_tenant_option = click.option(
    "--tenant", default=None, metavar="NAME", help="Only this tenant's jobs (the filter term tenant:NAME)."
)


@click.group()
def jobs() -> None:
    """List, show and group jobs; retry, requeue, move, cancel, stop, delete them (as the console does)."""


@jobs.command("list")
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@click.option(
    "-r",
    "--registry",
    default="waiting",
    show_default=True,
    help="waiting, started (running), failed, scheduled, deferred, finished, canceled, ready.",
)
@click.option(
    "-f", "--filter", "filter_text", default="", help="Filter, e.g. 'func:send exc:Timeout age>1h'."
)
@_tenant_option
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--order",
    type=click.Choice(["asc", "desc"]),
    default=None,
    help="Default: newest first for failed, finished, canceled; next to run first otherwise.",
)
@json_option
def jobs_list(
    connection: dict[str, Any],
    queue: str,
    registry: str,
    filter_text: str,
    tenant: str | None,
    offset: int,
    limit: int,
    order: str | None,
    as_json: bool,
) -> None:
    """List one page of the jobs in a queue or one of its registries."""
    from queuetui.clock import SYSTEM
    from queuetui.present.jobs import row_json, rows_table
    from queuetui.rqdata.pages import read_window
    from queuetui.rqdata.query import QueryError, parse, with_tenant_term
    from queuetui.rqdata.rows import registry_name
    from queuetui.rqdata.search import filter_ids

    settings, redis = redis_for(connection)
    try:
        registry = registry_name(registry)
        if tenant is not None:
            filter_text = with_tenant_term(filter_text, tenant)
        query = parse(filter_text, settings.tenants.meta_key)
    except (ValueError, QueryError) as exc:
        fail(str(exc), code=2)
    descending = None if order is None else order == "desc"
    note = ""
    with redis_errors(settings):
        matches = None
        if query:
            progress = scan_progress() if sys.stderr.isatty() and not as_json else None
            found = filter_ids(redis, queue, registry, query, descending=descending, progress=progress)
            if progress is not None:
                click.echo("", err=True)
            matches = found.matches
            note = f" matching {filter_text!r} (of {found.walk.scanned:,} scanned)"
            if found.truncated:
                note += f"; stopped at the first {len(matches):,} matches"
        page = read_window(redis, queue, registry, offset, limit, descending, matches)
    now = SYSTEM.now()
    if as_json:
        payload = {
            "queue": queue,
            "registry": registry,
            "offset": page.offset,
            "total": page.total,
            "filter": filter_text,
            "jobs": [row_json(r, now) for r in page.rows],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(rows_table(page.rows, registry, now))
    shown = f"{page.offset + 1:,}-{page.end:,}" if page.rows else "none"
    click.echo(safe(f"{queue} {registry}: {shown} of {page.total:,}{note}"), err=True)


@jobs.command("show")
@connection_options
@click.argument("job_id")
@json_option
@click.option("--disassemble", is_flag=True, help="Also print the pickle opcodes of the payload.")
def jobs_show(connection: dict[str, Any], job_id: str, as_json: bool, disassemble: bool) -> None:
    """Show everything stored about one job, decoded as data (nothing is unpickled as code)."""
    from queuetui.clock import SYSTEM
    from queuetui.present.jobs import detail_json, detail_text
    from queuetui.present.text import safe_block
    from queuetui.rqdata.detail import job_detail
    from queuetui.rqdata.payload import disassemble as dis

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        detail = job_detail(redis, job_id)
    if not detail.exists and not detail.locations and not detail.results:
        fail(f"no job {job_id!r}: no hash, in no queue or registry")
    if as_json:
        click.echo(json.dumps(detail_json(detail), indent=2))
    else:
        click.echo(detail_text(detail, SYSTEM.now()))
    if disassemble:
        click.echo("── Payload opcodes")
        click.echo(safe_block(dis(detail.payload)) if detail.payload else "  (no payload)")


@jobs.command("deps")
@connection_options
@click.argument("job_id")
@json_option
def jobs_deps(connection: dict[str, Any], job_id: str, as_json: bool) -> None:
    """Show what a job waits on and what waits on it, with states, and why a deferred one never runs."""
    from queuetui.present.deps import tree_json, tree_text
    from queuetui.rqdata.deps import dependency_tree

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        tree = dependency_tree(redis, job_id)
    if not tree.job.exists and not tree.waits_on and not tree.waited_on_by:
        fail(f"no job {job_id!r}: no hash and nothing waits on it")
    if as_json:
        click.echo(json.dumps(tree_json(tree), indent=2))
    else:
        click.echo(tree_text(tree))


@jobs.command("logs")
@connection_options
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines while the job runs.")
@json_option
def jobs_logs(connection: dict[str, Any], job_id: str, follow: bool, as_json: bool) -> None:
    """Print what a job logged while `queuetui worker` ran it (--json: a list; with -f, one object a line)."""
    from queuetui.present.logs import NO_LOG, entry_json, entry_line, exception_lines, log_json, log_lines
    from queuetui.rqdata.logs import read_log

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        log = read_log(redis, job_id)
    if not log.exists and not (follow and log.running):
        fail(f"{job_id}: {NO_LOG}")
    if not follow:
        click.echo(json.dumps(log_json(log), indent=2) if as_json else "\n".join(log_lines(log)))
        return
    for line in [json.dumps(item) for item in log_json(log)] if as_json else log_lines(log):
        click.echo(line)
    try:
        with redis_errors(settings):
            for entry in _follow(redis, job_id, log.chunk.last_id, log.running):
                if as_json:
                    click.echo(json.dumps(entry_json(entry)))
                else:
                    click.echo(entry_line(entry))
                    for line in exception_lines(entry):
                        click.echo(line)
    except KeyboardInterrupt:
        pass


def _follow(redis: Any, job_id: str, last_id: str, running: bool) -> Iterator[LogEntry]:
    """The entries after `last_id` as the worker writes them, until the job ends (then the rest)."""
    from queuetui.rqdata.logs import RUNNING, job_status, read_after

    while running:
        chunk = read_after(redis, job_id, last_id, block_ms=1000)
        yield from chunk.entries
        last_id = chunk.last_id
        if not chunk.entries:
            running = job_status(redis, job_id) in RUNNING
    # The job ended: its worker flushed before recording the end, so one more read has the rest.
    yield from read_after(redis, job_id, last_id, block_ms=None).entries


@jobs.command("groups")
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@json_option
def jobs_groups(connection: dict[str, Any], queue: str, as_json: bool) -> None:
    """Group a queue's failed jobs by exception type and normalised message."""
    from queuetui.present.jobs import failure_groups_json, failure_groups_lines
    from queuetui.rqdata.search import failure_groups

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        result = failure_groups(redis, queue)
    if as_json:
        click.echo(json.dumps(failure_groups_json(queue, result), indent=2))
        return
    for line in failure_groups_lines(result):
        click.echo(line)
    click.echo(safe(f"{queue}: {result.walk.scanned:,} failed jobs in {len(result.groups)} groups"), err=True)


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("job_ids", nargs=-1, metavar="[JOB_ID]..."),
        click.option("-q", "--queue", default="", help="The queue whose jobs to act on."),
        click.option("-r", "--registry", default="", help="Its registry (default: the action's own)."),
        click.option("-f", "--filter", "filter_text", default="", help="Only the jobs matching this filter."),
        _tenant_option,
        click.option("--ids", "ids_text", multiple=True, help="Job ids, comma-separated (repeatable)."),
        click.option(
            "--ids-file", type=click.File("r"), default=None, help="Job ids, one a line ('-' for stdin)."
        ),
        click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing."),
        click.option("-y", "--yes", is_flag=True, help="Do not ask to confirm (scripts)."),
        click.option("--throttle", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="At most this many jobs per second."),
        click.option("--json", "as_json", is_flag=True, help="Print the dry run or the result as JSON."),
        db_url_option,
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
        tenant: str | None,
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
        from queuetui.rqdata.query import QueryError, with_tenant_term
        from queuetui.rqdata.rows import registry_name

        ids = [*job_ids, *(i for text in ids_text for i in text.replace(",", " ").split())]
        if ids_file is not None:
            ids.extend(line.strip() for line in ids_file if line.strip())
        try:
            registry = registry_name(registry) if registry else ""
            if tenant is not None:
                filter_text = with_tenant_term(filter_text, tenant)
        except (ValueError, QueryError) as exc:
            fail(str(exc), code=2)
        services = services_for(connection, db_url)
        settings = services.settings
        selection = Selection(queue, registry, filter_text, tuple(ids), tenant_key=settings.tenants.meta_key)
        options = Options(to=to, at_front=front, dependents=with_dependents)
        with action_errors(settings):
            ops = services.operations
            try:
                progress = scan_progress() if sys.stderr.isatty() and filter_text else None
                plan = ops.plan(action, selection, options, progress=progress)
            except (ActionError, QueryError) as exc:
                fail(str(exc), code=2)
        from queuetui.cli.plan import run_plan

        run_plan(settings, ops, plan, dry_run=dry_run, yes=yes, throttle=throttle, as_json=as_json)

    command.__doc__ = summary
    decorated: Callable[..., Any] = _selection_options(command)
    for option in reversed(extra):
        decorated = option(decorated)
    jobs.command(name)(decorated)


_to = click.option("--to", default="", metavar="QUEUE", help="Destination queue.")

_job_action(
    "jobs.retry", "retry", "Retry failed jobs on their own queue (back, or --front).", (front_option,)
)
_job_action(
    "jobs.requeue",
    "requeue",
    "Put failed, canceled or finished jobs on a queue: their own, or --to another.",
    (_to, front_option),
)
_job_action("jobs.move", "move", "Move waiting jobs to another queue (--to).", (_to, front_option))
_job_action(
    "jobs.cancel",
    "cancel",
    "Cancel waiting, scheduled or deferred jobs (kept in Canceled).",
    (dependents_option,),
)
_job_action("jobs.stop", "stop", "Stop running jobs (they end as stopped, in Failed, not retried).")
_job_action("jobs.delete", "delete", "Delete jobs, their results and executions.", (dependents_option,))
_job_action(
    "jobs.enqueue-now", "enqueue-now", "Enqueue scheduled jobs now instead of at their time.", (front_option,)
)
_job_action(
    "jobs.release",
    "release",
    "Enqueue deferred jobs now, whatever their dependencies (e.g. -q QUEUE -f never:).",
    (front_option,),
)
