"""`queuetui cron explain`: what a cron expression means and when it fires."""

from __future__ import annotations

import json

import click

from queuetui.cli.options import fail


@click.group()
def cron() -> None:
    """Cron expressions: what a schedule means and when it fires."""


@cron.command("explain")
@click.argument("expression")
@click.option("--tz", "zone", default="UTC", show_default=True, help="IANA time zone the schedule runs in.")
@click.option("-n", "count", type=click.IntRange(1, 1000), default=5, show_default=True, help="Fire times.")
@click.option("--name", default=None, help="Schedule name that H hashes into concrete values.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cron_explain(expression: str, zone: str, count: int, name: str | None, as_json: bool) -> None:
    """Explain EXPRESSION in English, with its next fire times and warnings.

    Times are computed in --tz, which defaults to UTC rather than this machine's zone, so the answer
    is the same on every host; each is shown in that zone and in UTC.
    """
    from datetime import UTC

    from queuetui.clock import SYSTEM
    from queuetui.schedule.cron import CronError, explain

    try:
        result = explain(expression, zone, after=SYSTEM.now(), n=count, name=name)
    except CronError as exc:
        fail(str(exc), code=2)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    click.echo(f"expression   {result.expression}")
    if result.concrete != result.expression:
        click.echo(f"runs as      {result.concrete}")
    click.echo(f"time zone    {result.timezone}")
    click.echo(f"description  {result.description}")
    label = f"next {len(result.next)}"
    for fire in result.next:
        utc = fire.astimezone(UTC)
        click.echo(f"{label:<12} {fire.isoformat(' ')} {fire.tzname()}   {utc:%Y-%m-%d %H:%M:%S} UTC")
        label = ""
    if not result.next:
        click.echo("next         never")
    for warning in result.warnings:
        click.echo(f"warning      {warning}")
