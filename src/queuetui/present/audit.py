"""Audit entries as a line of text and as JSON (`queuetui audit`)."""

from __future__ import annotations

import json
from typing import Any

from queuetui import fmt
from queuetui.db.models import AuditEntry
from queuetui.present.text import safe


def entry_line(e: AuditEntry) -> str:
    """When, who, what, how many, the outcome and the target of one entry."""
    who = safe(f"{e.actor}@{e.client}" + (f" ({e.role})" if e.role else ""))
    counts = f"{e.done:,}/{e.requested:,}" + (f" {e.failed:,} failed" if e.failed else "")
    place = (f"{e.context}: " if e.context else "") + e.target + (f" [{e.filter}]" if e.filter else "")
    where = safe(place)
    return (
        f"{fmt.short_time(e.at)}  {who:<28} {safe(e.action):<18} {counts:<18} {safe(e.outcome):<10} {where}"
    )


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """Every field of one entry."""
    fields = (
        "id", "actor", "client", "host", "role", "context", "action", "target", "filter", "requested", "done",
    )  # fmt: skip
    data = {name: getattr(entry, name) for name in fields}
    data.update(failed=entry.failed, outcome=entry.outcome, job_ids=entry.job_ids, detail=entry.detail)
    data["started_at"] = entry.at.isoformat()
    data["ended_at"] = entry.ended_at.isoformat() if entry.ended_at else None
    return data


def entry_detail(entry: AuditEntry) -> list[tuple[str, str]]:
    """Every field of entry_json as (name, text) for the console's detail: scalars on their line, the
    job ids and the detail (problems, options, context) as indented JSON. Text is made safe by the caller
    (tui.text.literal_block), JSON keeps the exact data."""
    data = entry_json(entry)
    fields: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "job_ids":
            shown = ", ".join(str(i) for i in value) if value else "-"
            note = (
                f" ({len(value):,} kept of {entry.requested:,} asked)" if len(value) < entry.requested else ""
            )
            fields.append((name, shown + note))
        elif isinstance(value, dict | list):
            fields.append((name, json.dumps(value, indent=2, sort_keys=True, default=str) if value else "-"))
        else:
            fields.append((name, "-" if value in (None, "") else str(value)))
    return fields


def detail_text(entry: AuditEntry) -> str:
    """entry_detail as aligned 'name  value' lines (a multi-line value indented under its name)."""
    lines = []
    for name, value in entry_detail(entry):
        first, *rest = value.split("\n")
        lines.append(f"{name:<12} {first}")
        lines.extend(f"{'':<12} {more}" for more in rest)
    return "\n".join(lines)
