"""The queuetui console: a Textual app over the rqdata read layer."""

from __future__ import annotations

from collections.abc import Iterable

import redis
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from queuetui.clock import SYSTEM, Clock
from queuetui.config import Settings, redact_url
from queuetui.rqdata.connection import connect
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.styles import style_path


class QueueTUI(App[None]):
    CSS_PATH = [style_path()]
    TITLE = "queuetui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave queuetui"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="Every key of this screen"),
    ]

    def __init__(
        self,
        settings: Settings,
        clock: Clock = SYSTEM,
        connection: redis.Redis | None = None,
        connection_url: str | None = None,
    ) -> None:
        """`connection` and `connection_url` let tests and the demo pass a client and its label."""
        super().__init__()
        self.settings = settings
        self.clock = clock
        self.redis = connection if connection is not None else connect(settings.redis_url)
        url = redact_url(connection_url or settings.redis_url)
        self.connection_label = f"{settings.name}  {url}" if settings.name else url

    def on_mount(self) -> None:
        self.push_screen(OverviewScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Keys", "Show every key of this screen", self.action_help)
        if isinstance(screen, OverviewScreen):
            yield SystemCommand("Refresh now", "Fetch the overview now", screen.action_refresh_now)
            yield SystemCommand(
                "Pause / resume live refresh", "Toggle live refresh", screen.action_toggle_pause
            )

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        title = type(screen).__name__.removesuffix("Screen").lower()
        rows: list[tuple[int, str, str, str, str]] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding, node = active.binding, active.node
            scope = (0, title) if node is screen else (1, "global") if node is self else (2, "table")
            if key in seen:
                continue
            seen.add(key)
            description = binding.description or binding.action.replace("_", " ").capitalize()
            rows.append((scope[0], scope[1], self.get_key_display(binding), description, binding.tooltip))
        rows.sort(key=lambda row: row[0])
        self.push_screen(HelpScreen(title, [row[1:] for row in rows]))


def run_console(settings: Settings) -> None:
    """Run the console until the operator quits."""
    QueueTUI(settings).run()
