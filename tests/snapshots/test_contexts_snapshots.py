"""The Contexts view and a production context's header, from seeded Redis with a frozen clock, at 80x24
and 120x40. The contexts are read from real servers; only the URLs shown are fixed ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import redis
from rq import Queue
from textual.pilot import Pilot

from queuetui.config import Settings, load_settings
from queuetui.embedded import free_port
from queuetui.services import ContextSummary, summarize_context
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.contexts import ContextsScreen
from tests import jobs
from tests.snapshots.metrics_seed import seed_with_metrics
from tests.snapshots.seed import CLOCK, DISPLAY_URL
from tests.snapshots.test_overview_snapshots import loaded
from tests.tui.helpers import until

SIZES = [(80, 24), (120, 40)]
SHOWN = {
    "prod-eu": "redis+sentinel://:***@sentinel-1.eu:26379,sentinel-2.eu:26379/jobs/0",
    "staging": "rediss://queuetui:***@redis.staging.internal:6380/0",
    "dev": "redis://localhost:6379/0",
}


def make_app(conn: redis.Redis, redis_url: str, tmp_path: Path) -> QueueTUI:
    seed_with_metrics(conn, samples=60)
    staging = redis_url.removesuffix("/0") + "/1"
    for i in range(7):
        Queue("default", connection=redis.Redis.from_url(staging)).enqueue(jobs.add, i, 1)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
refresh = 3600
default_context = "prod-eu"
[contexts.prod-eu]
redis_url = "{redis_url}"
production = true
[contexts.staging]
redis_url = "{staging}"
color = "yellow"
[contexts.dev]
redis_url = "redis://127.0.0.1:{free_port()}/0"
""",
        encoding="utf-8",
    )
    settings = load_settings(path=path)
    app = QueueTUI(settings, clock=CLOCK, connection=conn, connection_url=DISPLAY_URL)

    def summarize(settings: Settings, name: str) -> ContextSummary:
        summary = summarize_context(settings, name)
        error = "cannot reach Redis: Error 111 connecting to localhost:6379. Connection refused."
        return dataclasses.replace(summary, url=SHOWN[name], error=error if summary.error else "")

    app.summarize = summarize
    return app


async def contexts_read(pilot: Pilot[None]) -> None:
    await loaded(pilot)
    pilot.app.run_command("ctx")  # type: ignore[attr-defined]
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ContextsScreen)
    await until(pilot, lambda: screen.rounds >= 1, what="every context read")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_contexts(
    snap_compare, conn: redis.Redis, redis_url: str, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn, redis_url, tmp_path), terminal_size=size, run_before=contexts_read)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_production_header(
    snap_compare, conn: redis.Redis, redis_url: str, tmp_path: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(conn, redis_url, tmp_path), terminal_size=size, run_before=loaded)
