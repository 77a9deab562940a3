"""Table layout shared by the console and the CLI: columns that fill a width, cells cut to fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from queuetui.present.text import safe


@dataclass(frozen=True)
class Column:
    label: str
    width: int
    """Fixed width, or the minimum of a flexible column."""
    flex: int = 0
    """Share of the spare width a flexible column takes (0: fixed)."""
    right: bool = False
    max_width: int = 0
    keep_end: bool = False
    """Cut at the start, not the end: the end says more ('…send_email')."""


def column_widths(columns: Sequence[Column], total: int, padding: int = 2) -> list[int]:
    """Widths that fill `total` cells: fixed columns keep theirs, flexible ones share the rest."""
    widths = [c.width for c in columns]
    spare = total - sum(widths) - padding * len(columns)
    while spare > 0:
        growable = [
            i for i, c in enumerate(columns) if c.flex and (not c.max_width or widths[i] < c.max_width)
        ]
        if not growable:
            break
        weight = sum(columns[i].flex for i in growable)
        given = 0
        for i in growable:
            extra = max(1, spare * columns[i].flex // weight)
            if columns[i].max_width:
                extra = min(extra, columns[i].max_width - widths[i])
            extra = min(extra, spare - given)
            widths[i] += extra
            given += extra
        spare -= given
        if given == 0:
            break
    return widths


def fit(text: str, width: int, keep_end: bool = False) -> str:
    """`text` on one line in `width` cells, cut with '…' (at the start when the end matters more).

    Every cell of a table goes through here, so it is where a cell becomes literal text
    (present.text.safe): runs of spaces, tabs and newlines become one space, other controls show as
    escapes."""
    text = safe(" ".join(text.split()))
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1 :] if keep_end else text[: max(0, width - 1)] + "…"


def plain_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int = 0) -> str:
    """Rows as a plain-text table for the terminal, `width` wide (default: the terminal's)."""
    import shutil

    widths = column_widths(columns, width or shutil.get_terminal_size((120, 24)).columns)
    lines = []
    for cells in [[c.label for c in columns], *rows]:
        parts = [
            fit(text, w, c.keep_end).rjust(w) if c.right else fit(text, w, c.keep_end).ljust(w)
            for text, w, c in zip(cells, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
