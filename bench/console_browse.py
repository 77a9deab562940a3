"""Run the console headless on the big queue's Waiting view, paging about for N seconds; print RSS."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from textual.pilot import Pilot

from console_run import status_mb  # type: ignore[import-not-found]
from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.jobs import JobsScreen


def main() -> None:
    url, seconds = sys.argv[1], float(sys.argv[2])
    app = QueueTUI(Settings(redis_url=url, refresh=1.0))

    async def browse(pilot: Pilot[None]) -> None:
        app.open_jobs("default", "waiting")
        moves = 0
        start = time.monotonic()
        keys = ["pagedown", "pagedown", "G", "pageup", "g", "o", "o"]
        while time.monotonic() - start < seconds:
            await pilot.press(keys[moves % len(keys)])
            if moves % 10 == 9 and isinstance(app.screen, JobsScreen):
                app.screen.jump_to_row((moves * 7919) % max(1, app.screen.total))
            moves += 1
            await asyncio.sleep(0.1)
        screen = app.screen
        report = {
            "seconds": seconds,
            "moves": moves,
            "rss_mb": status_mb("VmRSS"),
            "peak_mb": status_mb("VmHWM"),
            "rows_held": len(screen.rows) if isinstance(screen, JobsScreen) else 0,
        }
        pilot.app.exit(json.dumps(report))

    print(app.run(headless=True, size=(120, 40), auto_pilot=browse))


if __name__ == "__main__":
    main()
