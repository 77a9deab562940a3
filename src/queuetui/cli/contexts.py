"""`queuetui contexts`: every context of the config file, reachable or not, with its counts."""

from __future__ import annotations

import json
from typing import Any

import click

from queuetui.cli.options import connection_options, fail, json_option, settings_from


@click.command()
@connection_options
@json_option
def contexts(connection: dict[str, Any], as_json: bool) -> None:
    """List every context: reachable (or why not), waiting, running, failed, workers, firing alerts.

    Reads one context at a time, each with a short connect timeout. Exits 1 when any is unreachable.
    """
    from queuetui.present.contexts import context_json, contexts_table
    from queuetui.services import summarize_context

    settings = settings_from(connection)
    names = list((settings.base or settings).contexts)
    if not names:
        fail("no contexts configured: add [contexts.NAME] tables with a redis_url to the config file", code=2)
    summaries = [summarize_context(settings, name) for name in names]
    if as_json:
        click.echo(json.dumps([context_json(s, settings.context) for s in summaries], indent=2))
    else:
        click.echo(contexts_table(summaries, settings.context))
    if not all(s.reachable for s in summaries):
        raise SystemExit(1)
