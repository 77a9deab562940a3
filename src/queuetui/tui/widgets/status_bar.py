"""The header line: connection name and URL (password hidden), the mode and role, live state, the time."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from queuetui import fmt
from queuetui.present.text import safe


class StatusBar(Static):
    connection = reactive("")
    role = reactive("")
    read_only = reactive(False)
    state = reactive("connecting")
    clock_text = reactive("")
    firing = reactive(0)
    """Alerts firing now (shown only by the screens that count them)."""

    def render(self) -> Text:
        left = Text.assemble(("queuetui", "bold"), "  ", (safe(self.connection), ""))
        styles = {"live": "green", "paused": "yellow", "disconnected": "bold red", "connecting": "dim"}
        marks = {"live": "●", "paused": "‖", "disconnected": "✖", "connecting": "…"}
        mode = Text.assemble((" read-only ", "bold black on yellow"), " ") if self.read_only else Text()
        alarm = Text.assemble((f"⚠ {self.firing} firing", "bold red"), "  ") if self.firing else Text()
        right = Text.assemble(
            alarm,
            mode,
            (safe(self.role), "bold cyan"),
            "  " if self.role else "",
            (f"{marks.get(self.state, '?')} {self.state}", styles.get(self.state, "")),
            "  ",
            self.clock_text,
        )
        room = self.size.width - right.cell_len - 1
        if left.cell_len > room:  # a narrow terminal loses the end of the URL, never the state or time
            left.truncate(max(room, 0), overflow="ellipsis")
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)

    def tick(self) -> None:
        self.clock_text = fmt.clock_time(self.app.clock.now())  # type: ignore[attr-defined]
