"""A DataTable that updates rows in place by key, so cursor and scroll survive every refresh."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


class LiveTable(DataTable[Cell]):
    DEFAULT_CSS = """
    LiveTable { height: auto; }
    """

    def sync(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        """Make the table show exactly `rows` (key, cells), in that order, touching only what changed."""
        wanted = {key for key, _ in rows}
        for row_key in [k for k in self.rows if k.value not in wanted]:
            self.remove_row(row_key)
        present = {k.value for k in self.rows}
        added = False
        columns = list(self.columns)
        for key, cells in rows:
            if key not in present:
                self.add_row(*cells, key=key)
                added = True
                continue
            for column, value in zip(columns, cells, strict=True):
                if self.get_cell(key, column) != value:
                    self.update_cell(key, column, value)
        if added:  # rows new to the table were appended: put every row back in the order given
            order = {tuple(str(cell) for cell in cells): i for i, (_, cells) in enumerate(rows)}
            self.sort(*columns, key=lambda values: order.get(tuple(str(v) for v in values), len(order)))
