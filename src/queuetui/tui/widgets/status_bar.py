"""The header line: the context (coloured for production), connection name and URL (password hidden),
the tenant the console is scoped to, the mode and role, live state, the time."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from queuetui import fmt
from queuetui.present.table import fit, fit_url
from queuetui.present.text import safe

TENANT_LIMIT = 16
"""Characters of the tenant's name shown (the right half of the header is never cut)."""


def context_style(production: bool, color: str) -> str:
    """How a context's name is drawn: reversed in its colour (red by default) for production."""
    if production:
        return f"bold white on {color or 'red'}"
    return f"bold {color}" if color else "bold"


class StatusBar(Static):
    context = reactive("")
    """The context's name; empty without contexts."""
    context_look = reactive("bold")
    production = reactive(False)
    connection = reactive("")
    role = reactive("")
    read_only = reactive(False)
    state = reactive("connecting")
    clock_text = reactive("")
    tenant = reactive("")
    """`:tenant NAME`: the tenant every job view is scoped to (empty: none)."""
    firing = reactive(0)
    """Alerts firing now (shown only by the screens that count them)."""

    def render(self) -> Text:
        left = Text.assemble(("queuetui", "bold"), "  ")
        if self.context:
            name = f" {self.context} " if self.production else self.context
            left.append_text(Text.assemble((safe(name), self.context_look), "  "))
        name, gap, url = self.connection.rpartition("  ")  # 'name  url', or the URL alone
        if gap:
            left.append(safe(name + gap))
        styles = {"live": "green", "paused": "yellow", "disconnected": "bold red", "connecting": "dim"}
        marks = {"live": "●", "paused": "‖", "disconnected": "✖", "connecting": "…"}
        mode = Text.assemble((" read-only ", "bold black on yellow"), " ") if self.read_only else Text()
        scope = Text.assemble(("tenant ", "magenta"), (fit(self.tenant, TENANT_LIMIT), "bold magenta"), "  ")
        alarm = Text.assemble((f"⚠ {self.firing} firing", "bold red"), "  ") if self.firing else Text()
        right = Text.assemble(
            scope if self.tenant else Text(),
            alarm,
            mode,
            (safe(self.role), "bold cyan"),
            "  " if self.role else "",
            (f"{marks.get(self.state, '?')} {self.state}", styles.get(self.state, "")),
            "  ",
            self.clock_text,
        )
        room = self.size.width - right.cell_len - 1
        # A narrow terminal shortens the URL (never inside its port: present.table.fit_url), never
        # the state or time.
        left.append(fit_url(url, max(0, room - left.cell_len)))
        if left.cell_len > room:
            left.truncate(max(room, 0), overflow="ellipsis")
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right)

    def tick(self) -> None:
        self.clock_text = fmt.clock_time(self.app.clock.now())  # type: ignore[attr-defined]
