"""Sort a table by one of its columns within the rows it holds (its loaded window), not the registry.

`>` sorts by the next column to the right (from the view's own order: the first column), `<` by the one
to the left; past either end the view's own order comes back. `!` reverses. The sort holds across
refreshes (each new window is sorted the same way) and the cursor stays on its row (LiveTable.sync
keeps it on its key). The header marks the column and the title says "sorted in window": the rows
beyond the window are not part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

Row = TypeVar("Row")

SORT_BINDINGS = [
    Binding(
        "greater_than_sign",
        "sort(1)",
        "Sort →",
        id="sort.right",
        tooltip="Sort the loaded rows by the next column to the right (past the last: the view's order)",
        show=False,
    ),
    Binding(
        "less_than_sign",
        "sort(-1)",
        "Sort ←",
        id="sort.left",
        tooltip="Sort the loaded rows by the next column to the left (past the first: the view's order)",
        show=False,
    ),
    Binding("exclamation_mark", "sort_reverse", "Reverse sort", id="sort.reverse", show=False),
]


def sort_value(value: object) -> tuple[int, float | str]:
    """A key that orders numbers (and durations in seconds) by size, times by time, text ignoring case."""
    if isinstance(value, bool):
        return (0, float(value))
    if isinstance(value, int | float):
        return (0, float(value))
    if isinstance(value, datetime):
        return (1, value.timestamp())
    return (2, str(value).casefold())


@dataclass
class WindowSort:
    column: str | None = None
    """The column the rows are sorted by; None: the view's own order."""
    descending: bool = False

    def step(self, names: Sequence[str], by: int) -> None:
        """Sort by the column `by` places from the current one (the view's order beyond either end)."""
        index = names.index(self.column) if self.column in names else (-1 if by > 0 else len(names))
        index += by
        self.column = names[index] if 0 <= index < len(names) else None
        self.descending = False

    def reverse(self) -> bool:
        """Flip the direction; False when the rows are in the view's own order (nothing to flip)."""
        if self.column is None:
            return False
        self.descending = not self.descending
        return True

    def apply(self, rows: Iterable[Row], value: Callable[[Row, str], object]) -> list[Row]:
        """`rows` sorted by `value(row, column)`; rows without a value (None) come last either way."""
        rows = list(rows)
        column = self.column
        if column is None:
            return rows
        known = [r for r in rows if value(r, column) is not None]
        unknown = [r for r in rows if value(r, column) is None]
        known.sort(key=lambda r: sort_value(value(r, column)), reverse=self.descending)
        return known + unknown

    def note(self, labels: dict[str, str]) -> str:
        """The title's words for it: 'sorted by Exception ↓ in window' ('' in the view's own order)."""
        if self.column is None:
            return ""
        arrow = "↓" if self.descending else "↑"
        return f"sorted by {labels.get(self.column, self.column)} {arrow} in window"

    def mark_headers(self, table: DataTable[object], labels: dict[str, tuple[str, bool]]) -> None:
        """Put the arrow on the sorted column's header, take it off the others (labels: name -> (label,
        right-aligned)). Repaints the header only when a label changes."""
        changed = False
        for name, (label, right) in labels.items():
            column = table.columns.get(ColumnKey(name))
            if column is None:
                continue
            text = label
            if name == self.column:
                text = f"{label}{'↓' if self.descending else '↑'}"
            if column.label.plain != text:
                column.label = Text(text, justify="right" if right else "left")
                changed = True
        if changed:
            table.refresh()


class SortActions:
    """The `>` `<` `!` actions of a view sorted within its window. The view holds `sort`, names the
    columns it can sort by (`_sort_names`) and draws its rows again in the new order (`_resort`)."""

    sort: WindowSort

    def _sort_names(self) -> Sequence[str]:
        raise NotImplementedError

    def _resort(self) -> None:
        raise NotImplementedError

    def action_sort(self, by: int) -> None:
        self.sort.step(self._sort_names(), by)
        self._resort()

    def action_sort_reverse(self) -> None:
        if self.sort.reverse():
            self._resort()
