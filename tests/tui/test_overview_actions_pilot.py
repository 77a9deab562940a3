"""Queue and worker actions from the overview against a real Redis, real workers and a SQLite audit."""

from __future__ import annotations

from pathlib import Path

import redis
from rq import Queue
from rq.suspension import is_suspended

from queuetui.audit import recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.roles import Role, RoleMap
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests import jobs
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.workload import running_job


def app_for(url: str, db: Path, **settings: object) -> QueueTUI:
    config = Settings(redis_url=url, refresh=0.2, db_url=f"sqlite:///{db}", **settings)  # type: ignore[arg-type]
    return QueueTUI(config, clock=CLOCK)


def shown(screen: OverviewScreen) -> set[str]:
    return {active.binding.action for active in screen.active_bindings.values()}


async def test_empty_a_queue_and_suspend_then_resume_every_worker(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    queue = Queue("default", connection=conn)
    for i in range(7):
        queue.enqueue(jobs.add, i, 1, job_id=f"w{i}")
    app = app_for(redis_url, tmp_path / "q.db", roles=RoleMap(default=Role.ADMIN))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        await until(pilot, lambda: screen.last_overview is not None, what="overview")
        screen.query_one("#queues", LiveTable).focus()
        await pilot.pause()
        assert {"empty", "suspend_workers"} <= shown(screen) and "kill_horse" not in shown(screen)
        await pilot.press("E")
        await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the dry run")
        await pilot.press("y")
        await until(pilot, lambda: conn.llen("rq:queue:default") == 0, what="the queue emptied")
        assert not conn.exists("rq:job:w0")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert "global" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await until(pilot, lambda: is_suspended(conn), what="the suspension")
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(pilot, lambda: not is_suspended(conn), what="the resumption")
        screen.query_one("#workers", LiveTable).focus()
        await pilot.pause()
        assert {"stop_job", "shutdown", "kill_horse"} <= shown(screen) and "empty" not in shown(screen)
    actions = [e.action for e in recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"))]
    assert actions == ["workers.resume", "workers.suspend", "queues.empty"]


async def test_stop_a_workers_job(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    app = app_for(redis_url, tmp_path / "q.db")
    with running_job(conn, redis_url, job_id="long-1"):
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, OverviewScreen)
            workers = screen.query_one("#workers", LiveTable)
            await until(pilot, lambda: workers.row_count == 1, what="the worker")
            workers.focus()
            await pilot.pause()
            assert "stop_job" in shown(screen) and "kill_horse" not in shown(screen)  # operator, not admin
            await pilot.press("S")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            await until(pilot, lambda: conn.hget("rq:job:long-1", "status") == b"stopped", what="stopped")
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"), action="workers.stop-job")
    assert entry.target == "w-test" and entry.outcome == "ok"
