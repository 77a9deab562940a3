"""`?`: every key of the screen below, with what it does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from queuetui.tui.widgets.live_table import LiveTable


class HelpScreen(ModalScreen[None]):
    holds_input = False
    """Nothing typed here to lose: q still quits (app.holds_input)."""
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(f"[b]Keys: {self.title_text}[/b]   (esc closes)", id="help-title")
            table = LiveTable(id="help-keys", cursor_type="row", zebra_stripes=True)  # end: the last key
            widths = column_widths(self.keys, self.app.size.width)
            for label, width in zip(COLUMNS, widths, strict=True):
                table.add_column(label, width=width)
            for row in self.keys:
                cells = [Text(cell) for cell in row]
                height = max(
                    len(cell.wrap(self.app.console, width)) for cell, width in zip(cells, widths, strict=True)
                )
                table.add_row(*cells, height=height)
            yield table


COLUMNS = ("Scope", "Key", "Action", "What it does")
KEY_WIDTH, ACTION_WIDTH, WHAT_WIDTH = 16, 18, 24
"""The most the key and action columns take before they wrap, and the least "What it does" keeps."""


def column_widths(rows: list[tuple[str, str, str, str]], screen_width: int) -> list[int]:
    """Each column's width in the box (90% of the screen, at most 100 wide, less its border and
    padding, the table's cell padding and scrollbar): "What it does" takes what the others leave,
    and wraps, rather than running off the right edge at 80 columns (a long `:` command's usage made
    the key column 29 wide)."""
    room = min(screen_width * 9 // 10, 100) - 4 - 2 * len(COLUMNS) - 2
    longest = [max((len(row[i]) for row in rows), default=0) for i in range(len(COLUMNS))]
    scope = max(longest[0], len(COLUMNS[0]))
    key = min(max(longest[1], len(COLUMNS[1])), KEY_WIDTH)
    action = min(max(longest[2], len(COLUMNS[2])), ACTION_WIDTH)
    short = WHAT_WIDTH - (room - scope - key - action)  # on a narrow screen the key and action give way
    if short > 0:
        given = min(short, max(0, key - 10))
        key -= given
        action -= min(short - given, max(0, action - 12))
    return [scope, key, action, max(WHAT_WIDTH, room - scope - key - action)]
