"""`queuetui queues`: act on a whole queue."""

from __future__ import annotations

from typing import Any

import click

from queuetui.cli.options import action_errors, connection_options, db_url_option, services_for


@click.group()
def queues() -> None:
    """Act on a whole queue."""


@queues.command("empty")
@connection_options
@db_url_option
@click.argument("queue")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask to confirm (scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the dry run or the result as JSON.")
def queues_empty(
    connection: dict[str, Any], db_url: str | None, queue: str, dry_run: bool, yes: bool, as_json: bool
) -> None:
    """Delete every job waiting in QUEUE (admin)."""
    from queuetui.rqdata.bulk import Selection

    services = services_for(connection, db_url)
    with action_errors(services.settings):
        ops = services.operations
        plan = ops.plan("queues.empty", Selection(queue, "waiting"))
    from queuetui.cli.plan import run_plan

    run_plan(services.settings, ops, plan, dry_run=dry_run, yes=yes, throttle=None, as_json=as_json)
