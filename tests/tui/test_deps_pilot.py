"""The dependency tree and the Deferred view's never-runnable jobs, driven by keys against a real Redis."""

from __future__ import annotations

from pathlib import Path

import redis
from textual.widgets import Tree

from queuetui.audit import recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.embedded import EmbeddedRedis
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests.snapshots.deps_seed import QUEUE, seed_deps
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until


def app_for(url: str, db: Path) -> QueueTUI:
    return QueueTUI(Settings(redis_url=url, refresh=3600, db_url=f"sqlite:///{db}"), clock=CLOCK)


def status(conn: redis.Redis, job_id: str) -> str:
    return (conn.hget(f"rq:job:{job_id}", "status") or b"").decode()


def detail_of(app: QueueTUI, job_id: str) -> bool:
    screen = app.screen
    return isinstance(screen, JobDetailScreen) and screen.job_id == job_id and screen.loaded is not None


def labels(tree: Tree[str]) -> list[str]:
    """Each visible line of the tree: its label's text."""
    return [str(tree.get_node_at_line(i).label) for i in range(tree.last_line + 1)]  # type: ignore[union-attr]


async def test_the_tree_opens_the_job_under_the_cursor_and_folds(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_deps(conn)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_detail("load-0001")
        await until(pilot, lambda: detail_of(app, "load-0001"), what="load-0001")
        first = app.screen
        await pilot.press("t")
        tree = first.query_one("#deps", Tree)
        assert tree.has_focus
        lines = labels(tree)
        assert [line.split()[:2] for line in lines] == [
            ["deferred", "load-0001"],
            ["waits", "on"],
            ["failed", "transform-0001"],
            ["finished", "extract-0001"],
            ["waited", "on"],
            ["deferred", "report-0001"],
        ]
        assert lines[0].endswith("never: dep transform-0001 failed")
        assert lines[5].endswith("never: dep load-0001 never runs")
        await pilot.press("down", "down", "space")  # folds transform-0001: extract-0001 is hidden
        assert [line.split()[1] for line in labels(tree)][:4] == ["load-0001", "on", "transform-0001", "on"]
        await pilot.press("space", "enter")
        await until(pilot, lambda: detail_of(app, "transform-0001"), what="transform-0001")
        second = app.screen
        assert second is not first
        assert [line.split()[:2] for line in labels(second.query_one("#deps", Tree))] == [
            ["failed", "transform-0001"],
            ["waits", "on"],
            ["finished", "extract-0001"],
            ["waited", "on"],
            ["deferred", "load-0001"],
            ["deferred", "report-0001"],
            ["deferred", "notify-0001"],
        ]
        await pilot.press("escape")
        assert app.screen is first
        app.open_detail("extract-0001")  # nothing waits on it any more (RQ dropped the set): no tree
        await until(pilot, lambda: detail_of(app, "extract-0001"), what="extract-0001")
        assert not app.screen.query_one("#deps", Tree).display


async def test_only_the_never_runnable_then_release_and_cancel_them(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_deps(conn)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_jobs(QUEUE, "deferred")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="deferred")
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        assert {r.id: r.never for r in screen.rows}["archive-0001"] == "dep purge-0001 gone"
        screen.query_one("#jobs", LiveTable).focus()
        await pilot.press("n")
        await until(pilot, lambda: screen.matches is not None and len(screen.rows) == 4, what="never:")
        assert [r.id for r in screen.rows] == ["load-0001", "report-0001", "archive-0001", "vacuum-0002"]
        await pilot.press("space", "C")  # cancel load-0001
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the cancel dialog")
        await pilot.press("y")
        await until(pilot, lambda: status(conn, "load-0001") == "canceled", what="the cancel")
        await until(pilot, lambda: not screen.bulk_busy and len(screen.rows) == 3, what="the filter again")
        await pilot.press("asterisk", "L")  # release the three left
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the release dialog")
        dialog = app.screen
        assert isinstance(dialog, DryRunScreen) and sorted(dialog.plan.ids) == [
            "archive-0001",
            "report-0001",
            "vacuum-0002",
        ]
        await pilot.press("y")
        await until(pilot, lambda: status(conn, "vacuum-0002") == "queued", what="the release")
        await until(pilot, lambda: not screen.bulk_busy and screen.total == 0, what="an empty filter")
        await pilot.press("n")  # the filter off: the two that may still run
        await until(pilot, lambda: screen.matches is None and len(screen.rows) == 2, what="all deferred")
        assert [(r.id, r.never) for r in screen.rows] == [("notify-0001", ""), ("sync-0001", "")]
    assert [j.decode() for j in conn.lrange("rq:queue:etl", 0, -1)] == [
        "report-0001",
        "archive-0001",
        "vacuum-0002",
    ]
    entries = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"), 5)
    assert [(e.action, e.filter, e.done) for e in entries] == [
        ("jobs.release", "never:", 3),
        ("jobs.cancel", "", 1),
    ]


async def test_redis_going_away_is_a_line_not_a_crash(own_server: EmbeddedRedis, tmp_path: Path) -> None:
    seed_deps(own_server.client())
    app = app_for(own_server.url, tmp_path / "q.db")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_jobs(QUEUE, "deferred")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="deferred")
        view = app.screen
        assert isinstance(view, JobsScreen)
        app.open_detail("load-0001")
        await until(pilot, lambda: detail_of(app, "load-0001"), what="load-0001")
        detail = app.screen
        own_server.kill()
        await pilot.press("r")
        await until(pilot, lambda: "(r retries)" in str(detail.query_one("#detail").children[0].render()),
                    what="the error line")  # fmt: skip
        assert "cannot reach Redis" in str(detail.query_one("#detail").children[0].render())
        await pilot.press("escape")
        await pilot.press("r")
        await until(pilot, lambda: view.query_one("#banner").display, what="the disconnected banner")
        assert [r.id for r in view.rows][:1] == ["load-0001"]  # the last page stays on screen
        assert app.is_running
