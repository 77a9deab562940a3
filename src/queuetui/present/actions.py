"""What a bulk job action says, in the CLI and the console alike: its dry run and its outcome."""

from __future__ import annotations

from typing import Any

from queuetui.present.text import safe
from queuetui.rqdata.bulk import Outcome, Plan, Problem

SHOWN_PROBLEMS = 20


def plan_lines(plan: Plan) -> list[str]:
    """How many jobs, from which queues and registries, five of them, and what cannot be acted on."""
    verb = plan.action.name.split(".", 1)[1]
    lines = [f"{verb}: {plan.total:,} jobs" + (f" -> {plan.options.to}" if plan.options.to else "")]
    if plan.selection.group:
        lines[0] += f" of batch {plan.selection.group} ({plan.scanned:,} jobs in it)"
    lines += [f"  {source}: {count:,}" for source, count in plan.sources.items()]
    if plan.truncated:
        lines.append(f"  (stopped at the first {plan.total:,}: run it again for the rest)")
    if plan.total:
        lines.append(f"  e.g. {', '.join(plan.samples())}")
    lines += problem_lines(plan.problems, "cannot be acted on")
    return [safe(line) for line in lines]


def marked_drift(now: int, marked: int, words: str = "match") -> str:
    """When the jobs the dry run found differ in number from those marked with `*`: how many now, how
    many then, and why ('' when the same). `words` says what was counted ('match', 'in the view')."""
    if now == marked:
        return ""
    why = f"{now - marked:,} arrived since" if now > marked else f"{marked - now:,} gone since"
    return f"  {now:,} {words} now ({marked:,} when marked: {why})"


def problem_lines(problems: list[Problem], label: str, shown: int = SHOWN_PROBLEMS) -> list[str]:
    if not problems:
        return []
    lines = [f"{len(problems):,} {label}:"]
    lines += [safe(f"  {p.job_id}  {p.reason}") for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"  ... and {len(problems) - shown:,} more (queuetui audit --json)")
    return lines


def outcome_line(plan: Plan, outcome: Outcome) -> str:
    """One line: how many of how many were acted on, how fast, and what was left when interrupted."""
    rate = f" ({outcome.rate:,.0f}/s)" if outcome.done and outcome.elapsed > 0 else ""
    line = (
        f"{plan.action.past} {outcome.done:,} of {outcome.requested:,} jobs in {outcome.elapsed:.1f}s{rate}"
    )
    if outcome.dependents:
        line += f", and {len(outcome.dependents):,} jobs that depend on them"
    if outcome.cancelled:
        line += f"; interrupted: {outcome.requested - outcome.done - outcome.failed:,} left as they were"
    if outcome.stopped:
        left = outcome.requested - outcome.done - outcome.failed
        line += f"; stopped, {left:,} left as they were: {outcome.stopped}"
    return line


def plan_json(plan: Plan) -> dict[str, Any]:
    """The dry run as JSON: how many jobs, from where, a sample, and the jobs that cannot be acted on."""
    return {
        "action": plan.action.name,
        "dry_run": True,
        "total": plan.total,
        "sources": [{"queue": s.queue, "registry": s.registry, "count": n} for s, n in plan.sources.items()],
        "samples": plan.samples(),
        "truncated": plan.truncated,
        "problems": [{"id": p.job_id, "reason": p.reason} for p in plan.problems],
    }


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """A run's outcome as JSON: the counts and every job that could not be acted on, with why."""
    return {
        "action": outcome.action,
        "requested": outcome.requested,
        "done": outcome.done,
        "failed": outcome.failed,
        "cancelled": outcome.cancelled,
        **({"stopped": outcome.stopped} if outcome.stopped else {}),
        "elapsed": round(outcome.elapsed, 3),
        "dependents": outcome.dependents,
        "problems": [{"id": p.job_id, "reason": p.reason} for p in outcome.problems],
    }
