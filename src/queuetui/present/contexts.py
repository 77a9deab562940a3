"""`queuetui contexts` and the console's Contexts view: every context's summary as JSON and as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queuetui import fmt
from queuetui.present.text import safe
from queuetui.services import ContextSummary

COLUMNS = ("Context", "Waiting", "Running", "Failed", "Workers", "Firing", "Redis")


def context_json(summary: ContextSummary, current: str = "") -> dict[str, Any]:
    """The stable JSON shape of one context in `queuetui contexts --json`."""
    return {
        "name": summary.name,
        "current": summary.name == current,
        "url": summary.url,
        "production": summary.production,
        "read_only": summary.read_only,
        "reachable": summary.reachable,
        "error": summary.error or None,
        "waiting": summary.waiting if summary.reachable else None,
        "running": summary.running if summary.reachable else None,
        "failed": summary.failed if summary.reachable else None,
        "workers": summary.workers if summary.reachable else None,
        "firing": summary.firing,
    }


def counts(summary: ContextSummary) -> list[str]:
    """Waiting, running, failed, workers and firing as the table shows them ('-': not known)."""
    if not summary.reachable:
        return ["-", "-", "-", "-", "-" if summary.firing is None else fmt.compact(summary.firing)]
    firing = "?" if summary.firing is None else fmt.compact(summary.firing)
    return [
        fmt.compact(summary.waiting),
        fmt.compact(summary.running),
        fmt.compact(summary.failed),
        fmt.compact(summary.workers),
        firing,
    ]


def state_text(summary: ContextSummary) -> str:
    """What the last column says: the URL, or the one-line error of an unreachable context."""
    return safe(summary.url if summary.reachable else f"unreachable: {summary.error}")


def marks(summary: ContextSummary, current: str = "") -> str:
    """'*' for the context in use; 'production' and 'read-only' when they apply."""
    words = [w for w, on in (("production", summary.production), ("read-only", summary.read_only)) if on]
    return (
        ("* " if summary.name == current else "  ")
        + safe(summary.name)
        + (f" ({', '.join(words)})" if words else "")
    )


def contexts_table(summaries: Sequence[ContextSummary], current: str = "") -> str:
    """Every context as a plain table, one line each."""
    rows = [[marks(s, current), *counts(s), state_text(s)] for s in summaries]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(COLUMNS)]
    lines = []
    for row in [list(COLUMNS), *rows]:
        cells = [
            c.ljust(w) if i in (0, len(COLUMNS) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
