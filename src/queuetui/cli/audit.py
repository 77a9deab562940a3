"""`queuetui audit`: the audit trail, newest first."""

from __future__ import annotations

import json
from typing import Any

import click

from queuetui.cli.options import (
    aware_time,
    connection_options,
    database_errors,
    db_url_option,
    services_for,
)


@click.command("audit")
@connection_options
@db_url_option
@click.option("--action", default="", help="One action ('jobs.retry') or a prefix ('jobs.*').")
@click.option("--actor", default="", help="One OS user.")
@click.option(
    "--since", default=None, metavar="WHEN", help="A duration back from now (2h, 7d) or an ISO time."
)
@click.option("-n", "--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with every field.")
def audit(
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

    from queuetui.audit import recent
    from queuetui.clock import SYSTEM
    from queuetui.present.audit import entry_json, entry_line
    from queuetui.rqdata.query import parse_duration

    moment = None
    if since is not None:
        seconds = parse_duration(since)
        moment = (
            SYSTEM.now() - timedelta(seconds=seconds) if seconds is not None else aware_time("--since", since)
        )
    services = services_for(connection, db_url)
    with database_errors():
        entries = recent(services.sessions, limit, action=action, actor=actor, since=moment)
    if as_json:
        click.echo(json.dumps({"entries": [entry_json(e) for e in entries]}, indent=2))
        return
    for e in entries:
        click.echo(entry_line(e))
    click.echo(f"{len(entries)} entries", err=True)
