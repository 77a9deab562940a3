"""The console on a Sentinel URL while the master dies: it says it is reconnecting to the new master,
then shows the promoted replica's data by itself."""

from __future__ import annotations

from rq import Queue
from textual.widgets import Static

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.status_bar import StatusBar
from tests import jobs
from tests.sentinel import sentinel_group
from tests.tui.helpers import until


async def test_console_follows_a_failover() -> None:
    with sentinel_group() as group:
        client = group.master.client()
        Queue("default", connection=client).enqueue(jobs.add, 1, 2)
        client.wait(1, 2000)
        app = QueueTUI(Settings(redis_url=group.url, refresh=0.2))
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, OverviewScreen)
            status = screen.query_one(StatusBar)
            await until(pilot, lambda: screen.last_overview is not None, what="the first fetch")
            group.master.kill()
            banner = screen.query_one("#banner", Static)
            await until(
                pilot,
                lambda: "reconnecting to the new master" in str(banner.render()),
                timeout=20,
                what="the reconnecting banner",
            )
            await until(
                pilot, lambda: group.master_port() == group.replica.port, timeout=20, what="the promotion"
            )
            Queue("emails", connection=group.replica.client()).enqueue(jobs.add, 3, 4)
            await until(pilot, lambda: status.state == "live", timeout=20, what="live again")
            await until(
                pilot,
                lambda: screen.last_overview is not None and screen.last_overview.queue("emails") is not None,
                what="the new master's data",
            )
            assert not banner.display
