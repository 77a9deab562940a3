"""Audit entries as a line of text and as JSON (`queuetui audit`)."""

from __future__ import annotations

from typing import Any

from queuetui import fmt
from queuetui.db.models import AuditEntry
from queuetui.present.text import safe


def entry_line(e: AuditEntry) -> str:
    """When, who, what, how many, the outcome and the target of one entry."""
    who = safe(f"{e.actor}@{e.client}" + (f" ({e.role})" if e.role else ""))
    counts = f"{e.done:,}/{e.requested:,}" + (f" {e.failed:,} failed" if e.failed else "")
    where = safe(e.target + (f" [{e.filter}]" if e.filter else ""))
    return (
        f"{fmt.short_time(e.at)}  {who:<28} {safe(e.action):<18} {counts:<18} {safe(e.outcome):<10} {where}"
    )


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """Every field of one entry."""
    fields = ("id", "actor", "client", "host", "role", "action", "target", "filter", "requested", "done")
    data = {name: getattr(entry, name) for name in fields}
    data.update(failed=entry.failed, outcome=entry.outcome, job_ids=entry.job_ids, detail=entry.detail)
    data["started_at"] = entry.at.isoformat()
    data["ended_at"] = entry.ended_at.isoformat() if entry.ended_at else None
    return data
