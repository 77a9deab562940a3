"""Schedule imports as people read them: the diff, the one-line summary, and JSON."""

from __future__ import annotations

from typing import Any

from queuetui import fmt
from queuetui.db.models import ScheduleImport
from queuetui.present.text import safe
from queuetui.schedule.transfer import Plan, row_label, shown


def plan_lines(plan: Plan) -> list[str]:
    """The diff as people read it: '+ added', '~ changed  field: old -> new', '- removed', '! errors',
    '= kept'. The CLI prints these lines; the console colours them by their first character."""
    lines = []
    for item in plan.items:
        if item.kind == "add":
            new = {k: v for k, (_, v) in item.changes.items()}
            lines.append(
                f"+ {item.name}  {new.get('cron')} ({new.get('timezone', 'UTC')})  {new.get('func')}"
            )
        elif item.kind == "change":
            changes = "; ".join(
                f"{k}: {shown(old, 60)} -> {shown(new, 60)}" for k, (old, new) in item.changes.items()
            )
            lines.append(f"~ {item.name}  {changes}")
        elif item.kind == "remove":
            lines.append(f"- {item.name}  (not in the file)")
    for error in plan.errors:
        value = f" {error.value!r}" if error.value else ""
        field = f" {error.field}{value}:" if error.field else ""
        lines.append(f"! {row_label(plan.format, error.row)}:{field} {error.message}")
    if plan.kept:
        more = f" and {len(plan.kept) - 10} more" if len(plan.kept) > 10 else ""
        lines.append(
            f"= kept, not in the file: {', '.join(plan.kept[:10])}{more} (--delete-missing removes them)"
        )
    return [safe(line) for line in lines]


def summary(run: ScheduleImport) -> str:
    """One line: the import's number, mode, outcome and counts."""
    counts = (
        f"{run.added} to add, {run.changed} to change, {run.unchanged} unchanged, {run.removed} to remove"
    )
    if run.outcome in ("applied", "partly applied"):
        counts = f"{run.added} added, {run.changed} changed, {run.unchanged} unchanged, {run.removed} removed"
    failed = f"; {run.failed} of {run.rows} rows failed" if run.failed else ""
    tail = {
        "rejected": "; nothing applied (--partial applies the rows that pass)",
        "partly applied": ", not applied",
        "dry run": "; nothing changed",
    }.get(run.outcome, "")
    return safe(f"import {run.id} ({run.mode}): {run.outcome}: {counts}{failed}{tail}")


def import_json(run: ScheduleImport, plan: Plan | None = None, *, errors: bool = True) -> dict[str, Any]:
    """An import as recorded; with its plan, the diff too; errors from the plan or the record."""
    keys = ("id", "file", "format", "mode", "dry_run", "delete_missing", "outcome", "actor", "client")
    data: dict[str, Any] = {k: getattr(run, k) for k in keys}
    data["at"] = run.at.isoformat()
    data["counts"] = {
        k: getattr(run, k) for k in ("rows", "added", "changed", "unchanged", "removed", "failed")
    }
    if plan is not None:
        data["add"] = [{"name": i.name, "row": i.row} for i in plan.of("add")]
        data["change"] = [
            {"name": i.name, "row": i.row, "changes": {k: list(v) for k, v in i.changes.items()}}
            for i in plan.of("change")
        ]
        data["remove"] = [i.name for i in plan.of("remove")]
        data["kept"] = plan.kept
    if not errors:
        return data
    data["errors"] = [
        {"row": e.row, "where": row_label(run.format, e.row), "field": e.field, "value": e.value,
         "message": e.message}
        for e in (plan.errors if plan is not None else run.errors)
    ]  # fmt: skip
    return data


def import_lines(run: ScheduleImport) -> list[str]:
    """One recorded import in full: when, who, which file, its summary and each row's error."""
    lines = [f"{run.at.isoformat()}  {run.actor}@{run.client}  {run.file} ({run.format})", summary(run)]
    for error in run.errors:
        where = row_label(run.format, error.row)
        lines.append(f"{where:<10} {error.field:<16} {error.value!r:<24} {error.message}")
    return [safe(line) for line in lines]


def import_line(run: ScheduleImport) -> str:
    """One recorded import as a line: number, when, who, mode, counts, outcome, file."""

    dry = " dry" if run.dry_run else ""
    counts = f"+{run.added} ~{run.changed} ={run.unchanged} -{run.removed} !{run.failed}"
    return (
        f"{run.id:>5}  {fmt.short_time(run.at)}  {safe(run.actor):<10} {run.mode + dry:<12} {counts:<24} "
        f"{safe(run.outcome):<16} {safe(run.file)}"
    )
