"""`queuetui tenants`: a queue's jobs counted by tenant (read only, a chunked walk of job meta)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from queuetui.cli.options import connection_options, fail, json_option, redis_errors, redis_for, scan_progress
from queuetui.present.text import safe


@click.command()
@connection_options
@click.option("-q", "--queue", default="default", show_default=True)
@click.option(
    "-r",
    "--registry",
    default=None,
    help="Count only this registry (default: waiting, running and failed side by side).",
)
@json_option
def tenants(connection: dict[str, Any], queue: str, registry: str | None, as_json: bool) -> None:
    """Count a queue's jobs by tenant (job meta [tenants] meta_key; jobs without one are (none))."""
    from queuetui.present.tenants import tenants_json, tenants_table
    from queuetui.rqdata.rows import registry_name
    from queuetui.rqdata.tenants import DEFAULT_COLUMNS, count_by_tenant

    columns = DEFAULT_COLUMNS
    if registry is not None:
        try:
            name = registry_name(registry)
        except ValueError as exc:
            fail(str(exc), code=2)
        columns = (("running" if name == "started" else name, name),)
    settings, redis = redis_for(connection)
    progress = scan_progress() if sys.stderr.isatty() and not as_json else None
    with redis_errors(settings):
        result = count_by_tenant(redis, queue, columns, settings.tenants.meta_key, progress=progress)
    if progress is not None:
        click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(tenants_json(result), indent=2))
        return
    click.echo(tenants_table(result))
    click.echo(safe(f"{queue}: {len(result.counts):,} tenants in {result.scanned:,} jobs"), err=True)
