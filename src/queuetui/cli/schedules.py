"""`queuetui schedules`: cron schedules in the schedule database, as the console's Schedules view
shows and changes them (list, show, add, edit, rm, enable, disable, snooze, run-now, backfill,
pause-all, history, export, import, imports)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from queuetui.cli.options import (
    aware_time,
    connection_options,
    database_errors,
    db_url_option,
    fail,
    redis_errors,
    services_for,
)
from queuetui.present.text import safe

if TYPE_CHECKING:
    from queuetui.services import Services


def _schedule_fields(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options add and edit share; an option left out is not changed."""
    options = [
        click.option("--func", help="The job function, 'package.module:function'."),
        click.option("--cron", help="Cron expression (5 fields, 6 with seconds first, @daily, H...)."),
        click.option("--tz", "timezone", help="IANA zone the cron expression is read in (default UTC)."),
        click.option("-q", "--queue", help="RQ queue to enqueue on (default 'default')."),
        click.option("--args", help="Positional arguments, a JSON list."),
        click.option("--kwargs", help="Keyword arguments, a JSON object."),
        click.option("--description"),
        click.option("--timeout", "job_timeout", type=int, help="Job timeout, seconds."),
        click.option("--result-ttl", type=int, help="Seconds RQ keeps a result."),
        click.option("--failure-ttl", type=int, help="Seconds RQ keeps a failed job."),
        click.option("--retries", "retry_max", type=int, help="Retries after a failure."),
        click.option("--retry-intervals", help="Seconds between retries, comma-separated (e.g. 10,60,300)."),
        click.option("--overlap", type=click.Choice(["allow", "skip", "queue"])),
        click.option("--misfire", type=click.Choice(["skip", "run-once", "catch-up"])),
        click.option("--grace", "misfire_grace", type=int, help="Seconds a missed fire time stays due."),
        click.option("--tag", "tags", multiple=True, help="A tag (repeatable)."),
        click.option("--tenant"),
        click.option("--meta", help="Job meta, a JSON object."),
        click.option("--webhook-url", help="URL notified of failures, successes or lateness."),
        click.option("--notify", "notify", multiple=True, type=click.Choice(["failure", "success", "late"])),
        click.option("--keep-runs", type=int, help="Run history kept: the last N runs."),
        click.option("--keep-days", type=int, help="Run history kept: runs younger than N days."),
        click.option("--allow-missing", is_flag=True, help="Save even if the function cannot be imported."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _schedule_values(options: dict[str, Any]) -> dict[str, Any]:
    """The schedule fields the operator gave, in the store's terms."""
    values = {k: v for k, v in options.items() if v is not None and v != ()}
    if "retry_intervals" in values:
        try:
            values["retry_intervals"] = [int(i) for i in values["retry_intervals"].split(",") if i.strip()]
        except ValueError:
            fail(
                f"--retry-intervals: expected seconds like 10,60,300, got {values['retry_intervals']!r}",
                2,
            )
    if "tags" in values:
        values["tags"] = list(values["tags"])
    for kind in values.pop("notify", ()):
        values[f"notify_on_{kind}"] = True
    return values


def _services(connection: dict[str, Any], db_url: str | None) -> Services:
    return services_for(connection, db_url)


@contextlib.contextmanager
def _schedule_errors() -> Iterator[None]:
    """Bad input exits 2, a refused or impossible change 1; each with one line."""
    from queuetui.audit import Refused
    from queuetui.schedule.store import ScheduleError

    with database_errors():
        try:
            yield
        except ScheduleError as exc:
            fail(str(exc), code=2)
        except Refused as exc:
            fail(str(exc))


@click.group()
def schedules() -> None:
    """Cron schedules in the schedule database: list, show, add, edit, remove, enable, snooze, import."""


@schedules.command("list")
@connection_options
@db_url_option
@click.option("-s", "--search", default="", help="tag:x queue:q is:enabled|disabled|snoozed name: func: text")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_list(
    connection: dict[str, Any], db_url: str | None, search: str, offset: int, limit: int, as_json: bool
) -> None:
    """Schedules as the console lists them: enabled first, soonest next run first."""
    from queuetui.clock import SYSTEM
    from queuetui.present import schedules as schedtext
    from queuetui.present.table import plain_table
    from queuetui.schedule.listing import SearchError, list_schedules

    services = _services(connection, db_url)
    with _schedule_errors():
        try:
            listing = list_schedules(services.store.sessions, search=search, offset=offset, limit=limit)
        except SearchError as exc:
            fail(f"--search: {exc}", code=2)
    now = SYSTEM.now()
    if as_json:
        rows = [schedtext.listing_json(row, now) for row in listing.rows]
        click.echo(
            json.dumps({"total": listing.total, "offset": listing.offset, "schedules": rows}, indent=2)
        )
        return
    names = schedtext.WIDE
    cells = [[schedtext.cell(row, name, now) for name in names] for row in listing.rows]
    click.echo(plain_table([schedtext.COLUMNS[n] for n in names], cells))
    click.echo(f"{len(listing.rows)} of {listing.total} schedules", err=True)


@schedules.command("show")
@connection_options
@db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_show(connection: dict[str, Any], db_url: str | None, schedule_name: str, as_json: bool) -> None:
    """One schedule, every field."""
    from queuetui.present import schedules as schedtext

    services = _services(connection, db_url)
    with _schedule_errors():
        data = schedtext.schedule_json(services.store.get(schedule_name))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo("\n".join(schedtext.schedule_lines(data)))


@schedules.command("add")
@connection_options
@db_url_option
@click.argument("schedule_name", metavar="NAME")
@_schedule_fields
@click.option("--disabled", is_flag=True, help="Create it disabled.")
def schedules_add(
    connection: dict[str, Any],
    db_url: str | None,
    schedule_name: str,
    allow_missing: bool,
    disabled: bool,
    **options: Any,
) -> None:
    """Create a schedule (needs --func and --cron)."""
    services = _services(connection, db_url)
    values = _schedule_values(options)
    if disabled:
        values["enabled"] = False
    with _schedule_errors():
        schedule = services.store.add(schedule_name, values, allow_missing=allow_missing)
    nxt = schedule.next_fire_at.isoformat() if schedule.next_fire_at else "never"
    click.echo(safe(f"added {schedule.name}: {schedule.cron} ({schedule.timezone}), next fire {nxt}"))


@schedules.command("edit")
@connection_options
@db_url_option
@click.argument("schedule_name", metavar="NAME")
@_schedule_fields
def schedules_edit(
    connection: dict[str, Any], db_url: str | None, schedule_name: str, allow_missing: bool, **options: Any
) -> None:
    """Change the fields given; the rest stay as they are."""
    services = _services(connection, db_url)
    values = _schedule_values(options)
    if not values:
        fail("nothing to change: give at least one option (see --help)", code=2)
    with _schedule_errors():
        schedule = services.store.edit(schedule_name, values, allow_missing=allow_missing)
    click.echo(safe(f"changed {schedule.name}: {', '.join(sorted(values))} (version {schedule.version})"))


dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Say what it would do (as the console's dialog does); change nothing."
)


def _change(
    connection: dict[str, Any],
    db_url: str | None,
    action: str,
    name: str = "",
    *,
    dry_run: bool,
    yes: bool = True,
    **params: Any,
) -> str | None:
    """The change's dry run (ScheduleOperator.plan, the console's too), printed with --dry-run; else the
    change itself (apply), asking for the typed count above confirm_above unless --yes. The line that
    says what was done, or None after a dry run."""
    from queuetui.cli.plan import confirm

    services = _services(connection, db_url)
    with _schedule_errors(), redis_errors(services.settings):
        change = services.operator.plan(action, name, **params)
        ops = services.operations
        refused = ops.refusal(action)
        if dry_run:
            click.echo("\n".join(safe(line) for line in change.lines))
            if refused:
                click.echo(f"(it would be refused: {refused})")
            return None
        # A refused change is refused (and recorded) by apply itself, without asking first.
        if not yes and refused is None and not change.nothing and ops.needs_typed_count(change):
            click.echo("\n".join(safe(line) for line in change.lines), err=True)
            if not confirm(ops, change):
                click.echo("not confirmed: nothing changed", err=True)
                sys.exit(1)
        return str(services.operator.apply(change))


@schedules.command("rm")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
def schedules_rm(connection: dict[str, Any], db_url: str | None, dry_run: bool, schedule_name: str) -> None:
    """Delete a schedule and its run history (jobs already enqueued stay)."""
    if _change(connection, db_url, "schedule.rm", schedule_name, dry_run=dry_run) is not None:
        click.echo(safe(f"removed {schedule_name}"))


@schedules.command("enable")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
def schedules_enable(
    connection: dict[str, Any], db_url: str | None, dry_run: bool, schedule_name: str
) -> None:
    """Fire again, from the next fire time after now."""
    if _change(connection, db_url, "schedule.enable", schedule_name, dry_run=dry_run) is not None:
        click.echo(safe(f"enabled {schedule_name}"))


@schedules.command("disable")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
def schedules_disable(
    connection: dict[str, Any], db_url: str | None, dry_run: bool, schedule_name: str
) -> None:
    """Stop firing until enabled."""
    if _change(connection, db_url, "schedule.disable", schedule_name, dry_run=dry_run) is not None:
        click.echo(safe(f"disabled {schedule_name}"))


@schedules.command("snooze")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--for", "duration", metavar="DURATION", help="How long: 30m, 2h, 1d.")
@click.option("--until", "until_text", metavar="TIME", help="Until an ISO time with offset.")
@click.option("--wake", is_flag=True, help="End a snooze now.")
def schedules_snooze(
    connection: dict[str, Any],
    db_url: str | None,
    dry_run: bool,
    schedule_name: str,
    duration: str | None,
    until_text: str | None,
    wake: bool,
) -> None:
    """Skip fire times for a while (recorded as skipped runs)."""
    from datetime import timedelta

    from queuetui.clock import SYSTEM
    from queuetui.rqdata.query import parse_duration

    if sum(x is not None and x is not False for x in (duration, until_text, wake)) != 1:
        fail("give exactly one of --for, --until or --wake", code=2)
    until = None
    if duration is not None:
        seconds = parse_duration(duration)
        if seconds is None:
            fail(f"--for: {duration!r} is not a duration like 30m, 2h or 1d", code=2)
        until = SYSTEM.now() + timedelta(seconds=seconds)
    elif until_text is not None:
        until = aware_time("--until", until_text)
    done = _change(connection, db_url, "schedule.snooze", schedule_name, dry_run=dry_run, until=until)
    if done is not None:
        click.echo(safe(done))


@schedules.command("run-now")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
def schedules_run_now(
    connection: dict[str, Any], db_url: str | None, dry_run: bool, schedule_name: str
) -> None:
    """Enqueue the schedule's job now, once (recorded with trigger run-now)."""
    done = _change(connection, db_url, "schedule.run-now", schedule_name, dry_run=dry_run)
    if done is not None:
        click.echo(safe(done))


@schedules.command("backfill")
@connection_options
@db_url_option
@dry_run_option
@click.argument("schedule_name", metavar="NAME")
@click.option("--from", "start", required=True, metavar="TIME", help="First fire time, ISO with offset.")
@click.option("--to", "end", required=True, metavar="TIME", help="Last fire time, ISO with offset.")
@click.option("--kwarg", default=None, help="Also pass each fire time (ISO) as this keyword argument.")
@click.option("--yes", is_flag=True, help="Do not ask for the count, however many runs it enqueues.")
def schedules_backfill(
    connection: dict[str, Any],
    db_url: str | None,
    dry_run: bool,
    schedule_name: str,
    start: str,
    end: str,
    kwarg: str | None,
    yes: bool,
) -> None:
    """Enqueue every fire time in a past range, once each (recorded with trigger backfill); above
    confirm_above runs, the count is typed to confirm (or --yes)."""
    bounds = {"start": aware_time("--from", start), "end": aware_time("--to", end)}
    done = _change(
        connection,
        db_url,
        "schedule.backfill",
        schedule_name,
        dry_run=dry_run,
        yes=yes,
        kwarg=kwarg,
        **bounds,
    )
    if done is not None:
        click.echo(safe(done))


@schedules.command("pause-all")
@connection_options
@db_url_option
@dry_run_option
@click.option("--resume", is_flag=True, help="End the pause: due fire times follow their misfire policy.")
@click.option("--yes", is_flag=True, help="Do not ask for the count, however many schedules it stops.")
def schedules_pause_all(
    connection: dict[str, Any], db_url: str | None, dry_run: bool, resume: bool, yes: bool
) -> None:
    """Pause every schedule at the scheduler's next tick (maintenance), or --resume; above
    confirm_above enabled schedules, the count is typed to confirm (or --yes)."""
    action = "scheduler.resume" if resume else "scheduler.pause"
    if _change(connection, db_url, action, dry_run=dry_run, yes=yes) is not None:
        click.echo("scheduling resumed" if resume else "scheduling paused: every schedule waits for --resume")


@schedules.command("history")
@connection_options
@db_url_option
@click.argument("schedule_name", metavar="NAME")
@click.option("-n", "--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_history(
    connection: dict[str, Any], db_url: str | None, schedule_name: str, limit: int, as_json: bool
) -> None:
    """The schedule's runs, newest first."""
    from queuetui.present.schedules import run_json, run_line

    services = _services(connection, db_url)
    with _schedule_errors():
        runs = services.store.history(schedule_name, limit)
    if as_json:
        click.echo(json.dumps({"schedule": schedule_name, "runs": [run_json(r) for r in runs]}, indent=2))
        return
    for run in runs:
        click.echo(run_line(run))


_format_option = click.option(
    "--format", "fmt", type=click.Choice(["toml", "json", "csv"]), default=None,
    help="File format (default: from the file name's extension).",
)  # fmt: skip


@schedules.command("export")
@connection_options
@db_url_option
@_format_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def schedules_export(
    connection: dict[str, Any], db_url: str | None, fmt: str | None, output: Path | None
) -> None:
    """Every schedule, by name, as TOML (default), JSON or CSV, to stdout or -o FILE."""
    from queuetui.schedule import transfer

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in transfer.FORMATS else "toml"
    services = _services(connection, db_url)
    with _schedule_errors():
        found = services.store.schedules()
    text = transfer.export(found, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"exported {len(found)} schedules to {output} ({fmt})", err=True)


@schedules.command("import")
@connection_options
@db_url_option
@click.argument("file", metavar="FILE")
@_format_option
@click.option("--dry-run", is_flag=True, help="Show the diff and the errors; change nothing.")
@click.option(
    "--atomic/--partial", default=True,
    help="Apply nothing if any row fails (default), or apply the rows that pass.",
)  # fmt: skip
@click.option("--delete-missing", is_flag=True, help="Also remove the schedules the file does not name.")
@click.option("--allow-missing", is_flag=True, help="Accept functions that cannot be imported here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_import(
    connection: dict[str, Any],
    db_url: str | None,
    file: str,
    fmt: str | None,
    dry_run: bool,
    atomic: bool,
    delete_missing: bool,
    allow_missing: bool,
    as_json: bool,
) -> None:
    """Add, change (matched by name) and optionally remove schedules from FILE ('-': stdin).

    Every row is checked and the diff shown; the import, its counts and each row's errors are
    recorded (see `schedules imports`). Exit 0 when applied cleanly, 1 when rows failed, 2 when
    the file cannot be read.
    """
    from queuetui.present.imports import import_json, plan_lines, summary
    from queuetui.schedule import transfer

    try:
        fmt = transfer.format_of(file, fmt) if file != "-" or fmt else ""
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except transfer.Unreadable as exc:
        fail(str(exc), code=2)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", code=2)
    if not fmt:
        fail("reading stdin: give --format toml|json|csv", code=2)
    services = _services(connection, db_url)
    mode = transfer.ImportMode.ATOMIC if atomic else transfer.ImportMode.PARTIAL
    try:
        with _schedule_errors():
            result = transfer.run_import(
                services.store, file, data, fmt,
                mode=mode, dry_run=dry_run, allow_missing=allow_missing, delete_missing=delete_missing,
            )  # fmt: skip
    except transfer.ImportConflict as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(import_json(result.run, result.plan), indent=2, ensure_ascii=False))
    elif result.plan.unreadable:
        fail(f"{file}: {result.plan.errors[0].message} (recorded as import {result.run.id})", code=2)
    else:
        for line in plan_lines(result.plan):
            click.echo(line)
        click.echo(summary(result.run))
    sys.exit(0 if result.clean else 2 if result.plan.unreadable else 1)


@schedules.command("imports")
@connection_options
@db_url_option
@click.argument("import_id", metavar="[ID]", type=int, required=False)
@click.option("-n", "--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def schedules_imports(
    connection: dict[str, Any], db_url: str | None, import_id: int | None, limit: int, as_json: bool
) -> None:
    """The recorded imports, newest first; with ID, one import and every error of its rows."""
    from queuetui.present.imports import import_json, import_line, import_lines
    from queuetui.schedule import transfer

    services = _services(connection, db_url)
    if import_id is not None:
        with _schedule_errors():
            run = transfer.import_run(services.store, import_id)
        if as_json:
            click.echo(json.dumps(import_json(run), indent=2, ensure_ascii=False))
            return
        click.echo("\n".join(import_lines(run)))
        return
    with _schedule_errors():
        runs = transfer.imports(services.store, limit)
    if as_json:
        click.echo(
            json.dumps(
                {"imports": [import_json(r, errors=False) for r in runs]}, indent=2, ensure_ascii=False
            )
        )
        return
    for run in runs:
        click.echo(import_line(run))
