"""Export the README screenshots from the app itself, on the seeded data the snapshot tests use.

Run from the top of the checkout: .venv/bin/python -m docs.screenshots
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.snapshots.seed import CLOCK, DISPLAY_URL, seed

from queuetui.config import Settings
from queuetui.embedded import EmbeddedRedis
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.overview import OverviewScreen

HERE = Path(__file__).parent


async def export(server: EmbeddedRedis, name: str, size: tuple[int, int], keys: tuple[str, ...] = ()) -> None:
    conn = server.client()
    seed(conn)
    app = QueueTUI(
        Settings(redis_url=DISPLAY_URL, name="prod-eu", refresh=3600), clock=CLOCK, connection=conn
    )
    async with app.run_test(size=size) as pilot:
        while not (isinstance(app.screen, OverviewScreen) and app.screen.last_overview):
            await pilot.pause(0.05)
        await pilot.press(*keys)
        await pilot.pause(0.2)
        app.save_screenshot(str(HERE / f"{name}.svg"))


async def main() -> None:
    with EmbeddedRedis() as server:
        await export(server, "overview", (120, 40))
        await export(server, "overview-80x24", (80, 24))
        await export(server, "help", (100, 30), ("question_mark",))


if __name__ == "__main__":
    asyncio.run(main())
