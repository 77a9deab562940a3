"""Run the console headless against a Redis URL for N seconds; print its memory as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from textual.pilot import Pilot

from console_run import status_mb  # type: ignore[import-not-found]
from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.overview import OverviewScreen


def main() -> None:
    url, seconds = sys.argv[1], float(sys.argv[2])
    app = QueueTUI(Settings(redis_url=url, refresh=1.0))
    seen: set[object] = set()

    async def watch(pilot: Pilot[None]) -> None:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            screen = pilot.app.screen
            if isinstance(screen, OverviewScreen) and screen.last_overview is not None:
                seen.add(screen.last_overview.taken_at)
            await asyncio.sleep(0.2)
        report = {
            "seconds": seconds,
            "rss_mb": status_mb("VmRSS"),
            "peak_mb": status_mb("VmHWM"),
            "refreshes": len(seen),
        }
        pilot.app.exit(json.dumps(report))

    result = app.run(headless=True, size=(120, 40), auto_pilot=watch)
    print(result)


if __name__ == "__main__":
    main()
