"""`queuetui batches`: RQ groups with their progress (list, show), and the bulk actions on one batch
(retry its failed jobs, cancel its pending ones) through the dry run, confirmation and audit of
`queuetui jobs retry|cancel`."""

from __future__ import annotations

import json
from typing import Any

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
    services_for,
)
from queuetui.present.text import safe


@click.group()
def batches() -> None:
    """Batches (RQ groups): their progress, their jobs; retry their failed jobs, cancel their pending ones."""


@batches.command("list")
@connection_options
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@json_option
def batches_list(connection: dict[str, Any], offset: int, limit: int, as_json: bool) -> None:
    """List a page of batches by name, each counted by state (read only: nothing is cleaned up)."""
    from queuetui.clock import SYSTEM
    from queuetui.present.batches import batch_json, batches_table
    from queuetui.rqdata.batches import read_batches

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        page = read_batches(redis, offset, limit)
    if as_json:
        payload = {
            "offset": page.offset,
            "total": page.total,
            "batches": [batch_json(b) for b in page.batches],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(batches_table(list(page.batches), SYSTEM.now()))
    shown = f"{page.offset + 1:,}-{page.end:,}" if page.batches else "none"
    click.echo(f"batches: {shown} of {page.total:,}", err=True)


@batches.command("show")
@connection_options
@click.argument("batch_name", metavar="NAME")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="First job shown.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Jobs shown.")
@json_option
def batches_show(connection: dict[str, Any], batch_name: str, offset: int, limit: int, as_json: bool) -> None:
    """Show one batch: its counts by state and a page of its jobs, oldest first, wherever they are."""
    from queuetui.clock import SYSTEM
    from queuetui.present.batches import batch_json, batch_lines
    from queuetui.present.jobs import row_json, rows_table
    from queuetui.rqdata.batches import batch_members, read_batch, read_batch_rows

    name = batch_name
    settings, redis = redis_for(connection)
    with redis_errors(settings):
        batch = read_batch(redis, name)
        if batch is None:
            fail(f"no batch named {name!r} (see queuetui batches list)")
        members = batch_members(redis, name)
        rows = read_batch_rows(redis, members.ids[offset : offset + limit])
    now = SYSTEM.now()
    if as_json:
        payload = {**batch_json(batch), "offset": offset, "jobs": [row_json(r, now) for r in rows]}
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo("\n".join(batch_lines(batch, now)))
    click.echo("")
    click.echo(rows_table(rows, "batch", now))
    shown = f"{offset + 1:,}-{offset + len(rows):,}" if rows else "none"
    capped = f" (the first {len(members.ids):,} read)" if members.truncated else ""
    click.echo(safe(f"batch {name}: jobs {shown} of {batch.size:,}{capped}"), err=True)


def _batch_action(action: str, name: str, summary: str, extra: Any) -> None:
    """Register `queuetui batches NAME BATCH` for the job action `action` on a batch's jobs."""

    @connection_options
    @db_url_option
    @click.argument("batch")
    @click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
    @click.option("-y", "--yes", is_flag=True, help="Do not ask to confirm (scripts).")
    @click.option("--throttle", type=click.FloatRange(min=0, min_open=True), default=None,
                  help="At most this many jobs per second.")  # fmt: skip
    @click.option("--json", "as_json", is_flag=True, help="Print the dry run or the result as JSON.")
    @extra
    def command(
        connection: dict[str, Any],
        db_url: str | None,
        batch: str,
        dry_run: bool,
        yes: bool,
        throttle: float | None,
        as_json: bool,
        front: bool = False,
        with_dependents: bool = False,
    ) -> None:
        from queuetui.rqdata.actions import ActionError, Options
        from queuetui.rqdata.bulk import Selection

        services = services_for(connection, db_url)
        settings = services.settings
        with action_errors(settings):
            ops = services.operations
            try:
                plan = ops.plan(
                    action, Selection(group=batch), Options(at_front=front, dependents=with_dependents)
                )
            except ActionError as exc:
                fail(str(exc), code=2)
        if not plan.requested and not dry_run and ops.refusal(action) is None:
            takes = " or ".join(plan.action.sources)
            click.echo(safe(f"{action}: nothing to do (no job of batch {batch} is {takes})"), err=True)
            return
        from queuetui.cli.plan import run_plan

        run_plan(settings, ops, plan, dry_run=dry_run, yes=yes, throttle=throttle, as_json=as_json)

    command.__doc__ = summary
    batches.command(name)(command)


_batch_action("jobs.retry", "retry", "Retry the failed jobs of BATCH on their own queues.", front_option)
_batch_action(
    "jobs.cancel", "cancel", "Cancel the waiting, scheduled and deferred jobs of BATCH.", dependents_option
)
