"""The console driven by keys against a real Redis: refresh, keys, disconnect and recovery."""

from __future__ import annotations

import redis
from rq import Queue

from queuetui.config import Settings
from queuetui.embedded import EmbeddedRedis
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests import jobs
from tests.tui.helpers import until


def cell(app: QueueTUI, table: str, row: str, column: str) -> str:
    try:
        return str(app.screen.query_one(f"#{table}", LiveTable).get_cell(row, column))
    except Exception:
        return ""


async def test_live_refresh_updates_rows_in_place(conn: redis.Redis, redis_url: str) -> None:
    for name in ("critical", "high", "default"):
        Queue(name, connection=conn).enqueue(jobs.add, 1, 1)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=0.1))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "1", what="first fetch")
        table = app.screen.query_one("#queues", LiveTable)
        table.focus()
        await pilot.press("down", "down")
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "default"

        Queue("default", connection=conn).enqueue(jobs.add, 2, 2)
        Queue("low", connection=conn).enqueue(jobs.add, 2, 2)  # a new row arrives below
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "2", what="the new count")
        await until(pilot, lambda: cell(app, "queues", "low", "waiting") == "1", what="the new queue")
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "default"
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "critical",
            "high",
            "default",
            "low",
        ]


async def test_keys_help_pause_and_quit(conn: redis.Redis, redis_url: str) -> None:
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=0.1))
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.screen.query_one(StatusBar)
        await until(pilot, lambda: status.state == "live", what="live state")

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {row[2] for row in app.screen.keys}
        assert {"Refresh", "Pause", "Quit"} <= listed
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)

        await pilot.press("p")
        assert status.state == "paused"
        await pilot.pause(0.3)  # let a fetch already under way land before the data changes
        Queue("default", connection=conn).enqueue(jobs.add, 2, 2)
        await pilot.pause(0.5)
        assert cell(app, "queues", "default", "waiting") == "1"  # paused: nothing fetched
        await pilot.press("r")  # an explicit refresh still works while paused
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "2", what="manual refresh")
        await pilot.press("p")
        assert status.state == "live"

        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_disconnected_state_and_recovery(own_server: EmbeddedRedis) -> None:
    Queue("default", connection=own_server.client()).enqueue(jobs.add, 1, 1)
    app = QueueTUI(Settings(redis_url=own_server.url, refresh=0.1))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        status = screen.query_one(StatusBar)
        banner = screen.query_one("#banner")
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "1", what="first fetch")

        own_server.kill()
        await until(pilot, lambda: status.state == "disconnected", what="disconnected state")
        assert banner.display
        text = str(banner.render())
        assert "Disconnected, retrying" in text and "cannot reach Redis" in text
        assert cell(app, "queues", "default", "waiting") == "1"  # the last data stays on screen
        assert app.is_running

        own_server.start()  # same port, empty database
        Queue("default", connection=own_server.client()).enqueue_many(
            [Queue.prepare_data(jobs.add, (i, i)) for i in range(3)]
        )
        await until(pilot, lambda: status.state == "live", timeout=15, what="recovery")
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "3", what="fresh data")
        assert not banner.display


async def test_tab_moves_between_the_queues_and_the_workers(conn: redis.Redis, redis_url: str) -> None:
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: cell(app, "queues", "default", "waiting") == "1", what="first fetch")
        assert app.focused is not None and app.focused.id == "queues"
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "workers"
        await pilot.press("shift+tab")
        assert app.focused is not None and app.focused.id == "queues"


async def test_keys_from_the_config_replace_a_bindings_keys(conn: redis.Redis, redis_url: str) -> None:
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600, keys={"overview.schedules": "f6"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await pilot.press("s")  # no longer the key
        await pilot.pause(0.2)
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("f6")
        await until(pilot, lambda: type(app.screen).__name__ == "SchedulesScreen", what="the schedules")
