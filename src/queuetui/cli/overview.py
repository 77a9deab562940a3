"""`queuetui stats`: the overview snapshot as a table or as JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from queuetui.cli.options import connection_options, json_option, redis_errors, redis_for


@click.command()
@connection_options
@json_option
def stats(connection: dict[str, Any], as_json: bool) -> None:
    """Print queue and worker counts (the overview snapshot)."""
    from queuetui.present.overview import overview_json, overview_table
    from queuetui.rqdata.overview import snapshot

    settings, redis = redis_for(connection)
    with redis_errors(settings):
        overview = snapshot(redis)
    if as_json:
        click.echo(json.dumps(overview_json(overview), indent=2))
    else:
        click.echo(overview_table(overview))
