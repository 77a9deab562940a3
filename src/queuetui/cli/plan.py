"""The loop every bulk action runs through, in the CLI as in the console: the dry run (how many jobs,
from where, five of them), the confirmation (typing the count above confirm_above; the default answer
is no; --yes for scripts), then the run through operations.Operations with progress, Ctrl-C stopping
it between two chunks. Exits 1 when any job could not be acted on or Redis stopped the run (out of
memory), 130 when interrupted halfway.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import click

from queuetui.cli.options import action_errors, fail
from queuetui.config import Settings, redact_url
from queuetui.present.actions import outcome_json, outcome_line, plan_json, plan_lines, problem_lines


def confirm(ops: Any, plan: Any) -> bool:
    """Ask on the terminal; the default answer is no. Above confirm_above, the count must be typed."""
    if not sys.stdin.isatty():
        fail("not confirmed: pass --yes to act without a terminal (or --dry-run to look first)", code=2)
    if ops.needs_typed_count(plan):
        answer = click.prompt(f"Type {plan.total} to confirm", default="", show_default=False, err=True)
        return bool(answer.strip().replace(",", "") == str(plan.total))
    return click.confirm("Go ahead?", default=False, err=True)


@contextlib.contextmanager
def interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) stops the run between two chunks instead of in the middle of one."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: cancel.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_plan(
    settings: Settings,
    ops: Any,
    plan: Any,
    *,
    dry_run: bool,
    yes: bool,
    throttle: float | None,
    as_json: bool,
) -> None:
    """Show the dry run, or confirm and run the plan, then say what was done."""
    from queuetui import fmt

    refused = ops.refusal(plan.action.name)
    if dry_run:
        if as_json:
            click.echo(json.dumps({**plan_json(plan), "refused": refused}, indent=2))
        else:
            click.echo("\n".join(plan_lines(plan)))
            if refused:
                click.echo(f"(it would be refused: {refused})")
        return
    # A refused action is refused (and recorded) by the run itself, without asking first.
    if refused is None:
        if not plan.requested:
            click.echo(
                f"{plan.action.name}: nothing to do ({plan.selection.describe()} holds no jobs)", err=True
            )
            return
        if not yes:
            click.echo("\n".join(plan_lines(plan)), err=True)
            if plan.total and not confirm(ops, plan):
                click.echo("not confirmed: nothing changed", err=True)
                sys.exit(1)
    cancel = threading.Event()
    show = None
    if sys.stderr.isatty() and not as_json:

        def show(p: Any) -> None:
            eta = f", {fmt.duration(p.eta)} left" if p.eta else ""
            click.echo(f"\r{p.handled:,} of {p.total:,} ({p.rate:,.0f}/s{eta})   ", nl=False, err=True)

    from queuetui.db.engine import DatabaseError
    from queuetui.rqdata.connection import REDIS_ERRORS, describe_error

    with action_errors(settings), interrupt_cancels(cancel):
        try:
            outcome = ops.run(plan, progress=show, cancel=cancel, throttle=throttle)
        except REDIS_ERRORS as exc:  # say how far it got, not only that Redis went away
            fail(ops.failed_midway(plan, f"{describe_error(exc)} ({redact_url(settings.redis_url)})"))
        except DatabaseError as exc:
            fail(ops.failed_midway(plan, str(exc)))
    if show is not None:
        click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(outcome_json(outcome), indent=2))
    else:
        lines = [outcome_line(plan, outcome), *problem_lines(outcome.problems, "not " + plan.action.past)]
        click.echo("\n".join(lines))
    if outcome.cancelled:
        sys.exit(130)
    if outcome.problems or outcome.stopped:
        sys.exit(1)
