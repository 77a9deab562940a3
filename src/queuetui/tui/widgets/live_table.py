"""A DataTable that updates rows in place by key, so cursor and scroll survive every refresh."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from queuetui.tui.text import literal

Cell = str | Text


class LiveTable(DataTable[Cell]):
    DEFAULT_CSS = """
    LiveTable { height: auto; }
    """

    def sync(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        """Make the table show exactly `rows` (key, cells), in that order, touching only what changed.

        The cursor stays on the row it was on when rows come, go or move, as long as that row stays.
        A `str` cell is data: it is shown literally (tui.text.literal), never parsed as markup.
        """
        rows = [(key, [literal(c) if isinstance(c, str) else c for c in cells]) for key, cells in rows]
        current = self._key_at_cursor()
        wanted = {key for key, _ in rows}
        for row_key in [k for k in self.rows if k.value not in wanted]:
            self.remove_row(row_key)
        present = {k.value for k in self.rows}
        columns = list(self.columns)
        changed: list[tuple[str, int]] = []
        for key, cells in rows:
            if key not in present:
                self.add_row(*cells, key=key)
                continue
            for index, (column, value) in enumerate(zip(columns, cells, strict=True)):
                if self.get_cell(key, column) != value:
                    self._set_cell(key, column, value)
                    changed.append((key, index))
        order = [key for key, _ in rows]
        if [self.coordinate_to_cell_key((i, 0)).row_key.value for i in range(self.row_count)] != order:
            position = {tuple(str(cell) for cell in cells): i for i, (_, cells) in enumerate(rows)}
            self.sort(*columns, key=lambda values: position.get(tuple(str(v) for v in values), len(position)))
        if current is not None and current in wanted and self._key_at_cursor() != current:
            self.move_cursor(row=order.index(current), scroll=False)
        for key, column_index in changed:  # only the cells that changed are drawn again
            self.refresh_coordinate(Coordinate(self.get_row_index(key), column_index))

    def _set_cell(self, row: str, column: ColumnKey, value: Cell) -> None:
        """A cell's new value, drawn by the caller's refresh_coordinate: DataTable.update_cell would
        repaint the whole table, every line of it over SSH, for one changed cell."""
        self._data[RowKey(row)][column] = value
        self._update_count += 1  # the rendered-line caches are keyed on it

    def action_scroll_home(self) -> None:
        """home: the first row of a row table (DataTable scrolls a row table sideways instead)."""
        if self.cursor_type == "row":
            self.action_scroll_top()
        else:
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        """end: the last row of a row table (DataTable scrolls a row table sideways instead)."""
        if self.cursor_type == "row":
            self.action_scroll_bottom()
        else:
            super().action_scroll_end()

    def _key_at_cursor(self) -> str | None:
        if not self.row_count or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        value = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        return None if value is None else str(value)


def window_moved(cursor_row: int, held: int, start: int, total: int, step: int) -> int | None:
    """Where a window of `held` rows from `start` (of `total`) moves when the cursor reaches
    `cursor_row`: `step` rows on from its last row, back from its first; None when it stays."""
    if cursor_row >= held - 1 and start + held < total:
        return start + step
    if cursor_row == 0 and start > 0:
        return start - step
    return None
