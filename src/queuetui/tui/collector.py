"""Full garbage collections while the operator is not typing.

CPython collects its oldest generation when enough objects have outlived the younger ones, which in a
console that draws all day came every 4-5 seconds. Each pass scans every object the console holds
(the modules, the kept views, their tables), 90-200 ms with the loop stopped, so a key pressed during
one waited for it: the slowest view switches were these. Here the modules are frozen out of the
collector's sight once the views are loaded, the automatic full pass is off, and a full pass runs
once the keyboard has been quiet for IDLE seconds, at most every EVERY seconds, and at least every
LATEST seconds even while keys keep coming (memory is still given back).
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queuetui.tui.app import QueueTUI

IDLE = 1.0
EVERY = 10.0
LATEST = 60.0
NEVER = 1 << 30
"""A full-collection threshold never reached."""


class IdleCollector:
    def __init__(self, app: QueueTUI) -> None:
        self.app = app
        self.last_full = time.monotonic()
        self.started = False

    def start(self) -> None:
        """From now on (the views' modules loaded): freeze what is loaded, collect when idle."""
        if self.started:
            return
        self.started = True
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, NEVER)
        self.last_full = time.monotonic()
        self.app.set_interval(IDLE / 2, self.tick)

    def tick(self) -> None:
        now = time.monotonic()
        since = now - self.last_full
        if (since >= EVERY and now - self.app.last_key_at >= IDLE) or since >= LATEST:
            gc.collect()
            self.last_full = time.monotonic()
