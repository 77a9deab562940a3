"""The header line: connection name and URL (password hidden), live state and the time."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from queuetui import fmt


class StatusBar(Static):
    connection = reactive("")
    state = reactive("connecting")
    clock_text = reactive("")

    def render(self) -> Text:
        left = Text.assemble(("queuetui", "bold"), "  ", (self.connection, ""))
        styles = {"live": "green", "paused": "yellow", "disconnected": "bold red", "connecting": "dim"}
        marks = {"live": "●", "paused": "‖", "disconnected": "✖", "connecting": "…"}
        right = Text.assemble(
            (f"{marks.get(self.state, '?')} {self.state}", styles.get(self.state, "")), "  ", self.clock_text
        )
        room = self.size.width - right.cell_len - 1
        if left.cell_len > room:  # a narrow terminal loses the end of the URL, never the state or time
            left.truncate(max(room, 0), overflow="ellipsis")
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)

    def tick(self) -> None:
        self.clock_text = fmt.clock_time(self.app.clock.now())  # type: ignore[attr-defined]
