"""The Contexts view against two real redis-servers and one nothing listens on: summaries, switching."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue

from queuetui.config import load_settings
from queuetui.embedded import EmbeddedRedis, free_port
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.contexts import ContextsScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests import jobs
from tests.tui.helpers import until


@pytest.fixture
def second_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, own_server: EmbeddedRedis, second_server: EmbeddedRedis) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
refresh = 0.2
default_context = "staging"
[contexts.staging]
redis_url = "{own_server.url}"
[contexts.prod]
redis_url = "{second_server.url}"
production = true
[contexts.gone]
redis_url = "redis://127.0.0.1:{free_port()}/0"
""",
        encoding="utf-8",
    )
    return path


def _rows(app: QueueTUI) -> dict[str, list[str]]:
    table = app.screen.query_one("#contexts", LiveTable)
    return {
        str(table.coordinate_to_cell_key((i, 0)).row_key.value): [str(c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    }


async def test_contexts_view_and_switch(
    config: Path, own_server: EmbeddedRedis, second_server: EmbeddedRedis
) -> None:
    Queue("default", connection=own_server.client()).enqueue(jobs.add, 1, 1)
    prod = second_server.client()
    for i in range(3):
        Queue("default", connection=prod).enqueue(jobs.add, i, 1)
    prod.zadd("rq:failed:default", {"failed-1": 1_900_000_000})
    app = QueueTUI(load_settings(path=config))
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, OverviewScreen)
        await until(pilot, lambda: app.screen.query_one(StatusBar).state == "live", what="the overview")
        assert app.screen.query_one(StatusBar).context == "staging"
        app.open_jobs("default", "failed")
        await pilot.pause()
        app.run_command("ctx")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContextsScreen)
        await until(pilot, lambda: screen.rounds >= 1, what="every context read")
        rows = _rows(app)
        assert list(rows) == ["staging", "prod", "gone"]
        assert rows["staging"][1:5] == ["1", "0", "0", "0"] and rows["staging"][0].startswith("●")
        assert rows["prod"][1:4] == ["3", "0", "1"] and "prod" in rows["prod"][0]
        assert rows["gone"][-1].startswith("unreachable: cannot reach Redis")

        await pilot.press("down", "enter")  # prod
        await until(pilot, lambda: isinstance(app.screen, JobsScreen), what="the same view in prod")
        view = app.screen
        assert isinstance(view, JobsScreen) and (view.queue, view.registry) == ("default", "failed")
        assert [type(s) for s in app.screen_stack[1:]] == [OverviewScreen, JobsScreen]
        assert app.settings.context == "prod" and app.settings.read_only  # production, no --write
        status = view.query_one(StatusBar)
        assert status.context == "prod" and status.production and status.read_only
        assert not app.may("jobs.retry")
        await pilot.press("escape")
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        await until(pilot, lambda: overview.last_overview is not None, what="prod's overview")
        assert overview.last_overview is not None
        assert [q.waiting for q in overview.last_overview.queues] == [3]

        app.run_command("ctx gone")  # an unreachable context: the overview says so and keeps trying
        await pilot.pause()
        await until(
            pilot, lambda: app.screen.query_one(StatusBar).state == "disconnected", what="disconnected"
        )
        assert app.settings.context == "gone"
        app.run_command("ctx nope")
        await pilot.pause()
        assert app.settings.context == "gone"


async def test_ctx_without_contexts_says_how(redis_url: str) -> None:
    app = QueueTUI(load_settings(redis_url=redis_url))
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command("ctx")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        assert any("No contexts configured" in str(n.message) for n in app._notifications)
