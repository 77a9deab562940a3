"""Draw only what changed: a refresh that brings the same data sends the terminal no table line, a
changed value rewrites its own row only, and a screen hidden under another neither fetches nor draws."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.pilot import Pilot
from textual.screen import Screen

from queuetui.config import Settings
from queuetui.tui.app import QueueTUI
from queuetui.tui.draw import set_border_title
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.live import LiveScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests.snapshots.seed import CLOCK, seed_jobs
from tests.tui.helpers import screen_text, until


class Terminal:
    """The lines each screen update would write to the terminal (the app runs headless)."""

    def __init__(self, app: QueueTUI, monkeypatch: pytest.MonkeyPatch) -> None:
        self.updates: list[CompositorUpdate] = []
        display = app._display

        def recording(screen: Screen[Any], renderable: Any) -> None:
            if isinstance(renderable, CompositorUpdate):
                self.updates.append(renderable)
            display(screen, renderable)

        monkeypatch.setattr(app, "_display", recording)

    def lines(self) -> set[int]:
        """Every terminal line written since the last call (all of them for a full repaint)."""
        written: set[int] = set()
        for update in self.updates:
            if isinstance(update, LayoutUpdate):
                written.update(range(update.region.y, update.region.bottom))
            elif isinstance(update, ChopsUpdate):
                written.update(y for y, _, _ in update.spans)
        self.updates.clear()
        return written


def count_fetches(screen: LiveScreen, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list holding how many fetches `screen` has finished from now on."""
    done = [0]
    fetched = screen.fetched

    def counting() -> None:
        done[0] += 1
        fetched()

    monkeypatch.setattr(screen, "fetched", counting)
    return done


async def refresh(pilot: Pilot[None], screen: LiveScreen, done: list[int]) -> None:
    before = done[0]
    screen.fetch()
    await until(pilot, lambda: done[0] > before, what="a refresh")
    await pilot.pause()
    await pilot.pause()


async def overview_read(pilot: Pilot[None], app: QueueTUI) -> OverviewScreen:
    """The overview, once it shows its first read."""
    overview = app.screen
    assert isinstance(overview, OverviewScreen)
    await until(pilot, lambda: overview.last_overview is not None, what="overview")
    return overview


def table_lines(table: LiveTable) -> set[int]:
    region = table.content_region
    return set(range(region.y, region.bottom))


async def test_a_refresh_with_the_same_data_writes_no_table_line(
    conn: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_jobs(conn)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600), clock=CLOCK)  # the clock stands still
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="view")
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        table = screen.query_one(LiveTable)
        done = count_fetches(screen, monkeypatch)
        await refresh(pilot, screen, done)
        terminal = Terminal(app, monkeypatch)

        await refresh(pilot, screen, done)
        await refresh(pilot, screen, done)
        assert terminal.lines() == set(), "two refreshes of the same data wrote to the terminal"

        # The same instrument sees a change: one failed job's exception, on its row alone.
        job_id = str(table.coordinate_to_cell_key((2, 0)).row_key.value)
        conn.xadd(f"rq:results:{job_id}", {"type": 2, "worker_name": "w", "exc_string": "KeyError: 'x'"})
        await refresh(pilot, screen, done)
        written = terminal.lines()
        row_line = table.content_region.y + table.header_height + table.get_row_index(job_id) - table.scroll_y
        assert written == {row_line}, (written, row_line)
        assert written <= table_lines(table)


async def test_a_screen_hidden_under_another_neither_fetches_nor_draws(
    conn: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_jobs(conn)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=0.05), clock=CLOCK)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = await overview_read(pilot, app)
        app.open_jobs("emails", "failed")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="view")
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        hidden = count_fetches(overview, monkeypatch)
        shown = count_fetches(screen, monkeypatch)
        await until(pilot, lambda: shown[0] >= 5, what="five refreshes of the Failed view")
        assert hidden == [0]
        assert not overview.showing and screen.showing

        app.pop_screen()  # back on the overview: it fetches again at once
        await until(pilot, lambda: hidden[0] >= 1, what="the overview's refresh")


async def settle(pilot: Pilot[None], terminal: Terminal) -> None:
    """Until the app writes nothing more."""
    for _ in range(50):
        await pilot.pause()
        if not terminal.lines():
            return


async def test_a_new_border_title_writes_its_own_line(
    conn: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overview's Workers box counts its busy workers in its title: a new count is one line, not
    the box's 34."""
    seed_jobs(conn)
    app = QueueTUI(Settings(redis_url=redis_url, refresh=3600), clock=CLOCK)
    async with app.run_test(size=(120, 40)) as pilot:
        overview = await overview_read(pilot, app)
        terminal = Terminal(app, monkeypatch)
        box = overview.query_one("#workers", LiveTable)
        # The first change after a layout also draws the whole box once: Textual keeps what a
        # resize marked dirty until the widget's next partial update. The second one is measured.
        for title in ("Workers (7, 2 busy)", "Workers (7, 3 busy)"):
            await settle(pilot, terminal)
            set_border_title(box, title)
            await pilot.pause()
            await pilot.pause()
        assert terminal.lines() == {box.region.y}
        assert "Workers (7, 3 busy)" in screen_text(app).splitlines()[box.region.y]
