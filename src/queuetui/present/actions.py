"""What a bulk job action says, in the CLI and the console alike: its dry run and its outcome."""

from __future__ import annotations

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
    return lines


def problem_lines(problems: list[Problem], label: str, shown: int = SHOWN_PROBLEMS) -> list[str]:
    if not problems:
        return []
    lines = [f"{len(problems):,} {label}:"]
    lines += [f"  {p.job_id}  {p.reason}" for p in problems[:shown]]
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
    return line
