"""The next 24 hours of fires as a heat strip, one cell per few minutes, and the busiest minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from queuetui import fmt
from queuetui.errors import DatabaseError
from queuetui.present.text import safe
from queuetui.schedule.forecast import Forecast, forecast
from queuetui.tui.draw import update_static
from queuetui.tui.messages import FetchFailed, ForecastFetched
from queuetui.tui.text import literal
from queuetui.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

SHADES = " ▁▂▃▄▅▆▇█"
STRIP_ROWS = 4
"""The 24 hours are drawn as this many rows of 6 hours each."""


def heat_strip(result: Forecast, width: int) -> Text:
    """STRIP_ROWS lines of cells, each the busiest minute it covers, shaded against the busiest of all."""
    minutes = len(result.per_minute)
    per_row = minutes // STRIP_ROWS
    cells = max(8, width - 12)  # the time label, the padding and a scrollbar's room
    peak = max(result.per_minute, default=0) or 1
    text = Text()
    for row in range(STRIP_ROWS):
        start = result.start + timedelta(minutes=row * per_row)
        chunk = result.per_minute[row * per_row : (row + 1) * per_row]
        size = max(1, -(-len(chunk) // cells))
        text.append(("\n" if row else "") + fmt.short_time(start)[-5:] + "  ", style="dim")
        for i in range(0, len(chunk), size):
            busiest = max(chunk[i : i + size])
            shade = SHADES[min(len(SHADES) - 1, -(-busiest * (len(SHADES) - 1) // peak))] if busiest else "·"
            style = (
                "bold red" if busiest == peak and peak > 1 else "yellow" if busiest * 2 > peak else "green"
            )
            text.append(shade, style=style if busiest else "dim")
    return text


class ForecastScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="forecast.back"),
        Binding("r", "refresh", "Recount", id="forecast.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: Forecast | None = None

    @property
    def console(self) -> QueueTUI:
        return cast("QueueTUI", self.app)

    def compose(self) -> ComposeResult:
        yield Static("[b]Forecast[/b]  ·  counting the next 24 hours…", id="view-title")
        with VerticalScroll(id="forecast"):
            yield Static(id="strip")
            yield Static(id="busiest")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="forecast")
    def action_refresh(self) -> None:
        try:
            result = forecast(self.console.services.sessions, self.console.clock.now())
        except DatabaseError as exc:
            self.post_message(FetchFailed(str(exc)))
            return
        self.post_message(ForecastFetched(result))

    @on(FetchFailed)
    def failed(self, message: FetchFailed) -> None:
        update_static(self.query_one("#strip", Static), literal(f"{message.error} (r retries)", "bold red"))

    @on(ForecastFetched)
    def show(self, message: ForecastFetched) -> None:
        self.result = result = message.forecast
        parts = [
            "[b]Forecast[/b]",
            f"next 24 h from {fmt.short_time(result.start)}",
            f"{result.total:,} fires of {result.schedules:,} schedules",
            f"busiest minute {max(result.per_minute, default=0):,}",
        ]
        update_static(self.query_one("#view-title", Static), "  ·  ".join(parts))
        self._draw()

    def on_resize(self) -> None:
        if self.result is not None:
            self._draw()

    def _draw(self) -> None:
        assert self.result is not None
        update_static(self.query_one("#strip", Static), heat_strip(self.result, self.size.width))
        lines = Text("Busiest minutes", style="bold")
        for minute, count, names in self.result.busiest:
            who = ", ".join(names) + (" …" if count > len(names) else "")
            lines.append(f"\n{fmt.short_time(minute)}  ")
            lines.append(f"{count:>6,}", style="bold")
            lines.append(f"  {safe(who)}", style="dim")
        if not self.result.busiest:
            lines.append("\nno enabled schedule fires in the next 24 hours", style="dim")
        update_static(self.query_one("#busiest", Static), lines)
