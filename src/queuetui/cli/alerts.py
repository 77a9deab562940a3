"""`queuetui alerts`: what the alert rules fired."""

from __future__ import annotations

import json
from typing import Any

import click

from queuetui.cli.options import connection_options, database_errors, db_url_option, json_option, services_for


@click.command("alerts")
@connection_options
@db_url_option
@click.option("--firing", is_flag=True, help="Only the alerts still firing.")
@click.option("-n", "--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@json_option
def alerts(connection: dict[str, Any], db_url: str | None, firing: bool, limit: int, as_json: bool) -> None:
    """Alerts fired by the rules in the config file: those still firing, then the resolved, newest first."""
    from queuetui.metrics.alerts import recent
    from queuetui.present.alerts import alert_json, alerts_table

    services = services_for(connection, db_url)
    with database_errors():
        rows = recent(services.sessions, limit=limit, firing_only=firing)
    if as_json:
        click.echo(json.dumps({"alerts": [alert_json(a) for a in rows]}, indent=2))
        return
    click.echo(alerts_table(rows))
    still = sum(a.resolved_at is None for a in rows)
    click.echo(f"{len(rows)} alerts, {still} firing", err=True)
