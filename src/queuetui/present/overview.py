"""`queuetui stats`: the overview snapshot as a plain table or as JSON."""

from __future__ import annotations

from typing import Any

from queuetui import fmt
from queuetui.present.text import safe
from queuetui.rqdata.overview import Overview

QUEUE_COLUMNS = ("waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled")


def _error(error: str) -> dict[str, str]:
    """An "error" field for a row that could not be read in full; none for one that was."""
    return {"error": error} if error else {}


def overview_json(overview: Overview) -> dict[str, Any]:
    """The stable JSON shape of `queuetui stats --json` (a row read in part has an "error" field)."""
    return {
        "taken_at": overview.taken_at.isoformat(),
        **({"errors": list(overview.errors)} if overview.errors else {}),
        "queues": [
            {
                "name": q.name,
                **{c: getattr(q, c) for c in QUEUE_COLUMNS},
                "ready": q.ready,
                "oldest_waiting_seconds": q.oldest_waiting_seconds,
                **_error(q.error),
            }
            for q in overview.queues
        ],
        "workers": [
            {
                "name": w.name,
                "hostname": w.hostname,
                "pid": w.pid,
                "state": w.state,
                "queues": list(w.queues),
                "current_job_id": w.current_job_id,
                "heartbeat_age_seconds": w.heartbeat_age_seconds,
                "health": w.health,
                "successful": w.successful,
                "failed": w.failed,
                "total_working_time": w.total_working_time,
                "birth": w.birth.isoformat() if w.birth else None,
                **_error(w.error),
            }
            for w in overview.workers
        ],
        "rate_limits": [
            {
                "key": r.key,
                "concurrency": r.concurrency,
                "allowed": r.allowed,
                "rate_limited": r.rate_limited,
                **_error(r.error),
            }
            for r in overview.rate_limits
        ],
    }


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def overview_table(overview: Overview) -> str:
    """Queues, then workers, as aligned plain-text tables."""
    queue_rows = [
        [safe(q.name), *(fmt.count(getattr(q, c)) for c in QUEUE_COLUMNS), fmt.age(q.oldest_waiting_seconds)]
        for q in overview.queues
    ]
    worker_rows = [
        [
            safe(w.name),
            safe(w.hostname),
            str(w.pid or "-"),
            safe(w.state),
            safe(",".join(w.queues)),
            safe(w.current_job_id or "-"),
            fmt.age(w.heartbeat_age_seconds),
            safe(w.health),
            fmt.count(w.successful),
            fmt.count(w.failed),
        ]
        for w in overview.workers
    ]
    parts = [
        _table(["queue", *QUEUE_COLUMNS, "oldest"], queue_rows) if queue_rows else "no queues",
        "",
        _table(
            ["worker", "host", "pid", "state", "queues", "job", "heartbeat", "health", "ok", "failed"],
            worker_rows,
        )
        if worker_rows
        else "no workers",
    ]
    errors = [
        *overview.errors,
        *(f"queue {q.name}: {q.error}" for q in overview.queues if q.error),
        *(f"worker {w.name}: {w.error}" for w in overview.workers if w.error),
        *(f"rate limit {r.key}: {r.error}" for r in overview.rate_limits if r.error),
    ]
    if errors:
        parts += ["", *(f"error: {e}" for e in errors)]
    return "\n".join(parts)
