"""The Batches view against a real Redis and a real SQLite audit trail: opened from the overview and by
command, live progress as a worker runs the jobs, the drill-down into a batch's jobs in every state,
and retry / cancel of a batch through the dry-run dialog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue
from rq.job import Job
from textual.pilot import Pilot

from queuetui.audit import recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.embedded import free_port
from queuetui.rqdata import batches
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.batches import BatchesScreen
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.overview import OverviewScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests import jobs
from tests.integration.test_batches import burst, enqueue_group
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.tui.test_actions_pilot import dry_run


def app_for(url: str, db: Path) -> QueueTUI:
    return QueueTUI(Settings(redis_url=url, refresh=3600, db_url=f"sqlite:///{db}"), clock=CLOCK)


def seed(conn: redis.Redis) -> None:
    """'import': 2 finished, 2 failed, 1 waiting, 1 scheduled, 1 canceled, 1 gone; 'zz-late': 3 waiting."""
    calls = [(jobs.add, (i, i), f"i-ok-{i}") for i in range(2)] + [
        (jobs.needs, ("test:ok",), f"i-bad-{i}") for i in range(2)
    ]
    enqueue_group(conn, "import", calls)
    burst(conn)
    enqueue_group(
        conn, "import", [(jobs.add, (5, 5), "i-wait"), (jobs.add, (6, 6), "i-cancel")], queue="slow"
    )
    Job.fetch("i-cancel", connection=conn).cancel()
    Queue("slow", connection=conn).enqueue_in(timedelta(hours=1), jobs.add, 1, 1, job_id="i-later")
    conn.hset("rq:job:i-later", "group_id", "import")
    conn.sadd(batches.group_key("import"), "i-later", "i-gone")
    enqueue_group(conn, "zz-late", [(jobs.add, (i, 2), f"z-{i}") for i in range(3)], queue="late")


def table_text(screen: BatchesScreen | JobsScreen, table_id: str) -> list[str]:
    table = screen.query_one(f"#{table_id}", LiveTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def batches_view(pilot: Pilot[None], app: QueueTUI) -> BatchesScreen:
    await until(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, BatchesScreen) and app.screen.loaded, what="batches")
    screen = app.screen
    assert isinstance(screen, BatchesScreen)
    screen.query_one("#batches", LiveTable).focus()
    return screen


async def test_the_view_its_progress_and_the_drill_down(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(conn)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await batches_view(pilot, app)
        first, late = table_text(screen, "batches")
        # Batch, bar, share, Size, Wait, Run, Def, Sch, Done, Fail, Canc, Gone: done counts gone and canceled
        assert first.split()[0] == "import" and set(first.split()[1]) == {"█", "░"}
        assert first.split()[2:12] == ["75%", "8", "1", "0", "0", "1", "2", "2", "1", "1"]
        assert late.startswith("zz-late") and "0%" in late
        assert "1–2 of 2" in str(screen.query_one("#view-title").render())

        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = help_screen.keys
        assert any(k[2] == "Retry failed" for k in keys) and any(k[2] == "Cancel pending" for k in keys)
        await pilot.press("escape")

        burst(conn, "late")  # a worker runs zz-late: r shows it done
        await pilot.press("r")
        await until(pilot, lambda: "100%" in table_text(screen, "batches")[1], what="zz-late at 100%")

        await pilot.press("enter")  # the cursor is on 'import'
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="its jobs")
        jobs_screen = app.screen
        assert isinstance(jobs_screen, JobsScreen) and jobs_screen.group == "import"
        rows = {line.split()[0]: line.split()[1:3] for line in table_text(jobs_screen, "jobs")}
        assert rows == {
            "i-ok-0": ["finished", "default"],
            "i-ok-1": ["finished", "default"],
            "i-bad-0": ["failed", "default"],
            "i-bad-1": ["failed", "default"],
            "i-wait": ["waiting", "slow"],
            "i-cancel": ["canceled", "slow"],
            "i-later": ["scheduled", "slow"],
            "i-gone": ["gone", "-"],
        }
        assert "batch import › Jobs  ·  1–8 of 8  ·  oldest first" in str(
            jobs_screen.query_one("#view-title").render()
        )
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="back to the batches")

        app.run_command("batches zz-late")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, JobsScreen) and app.screen.group == "zz-late" and app.screen.loaded
            ),
            what=":batches NAME",
        )
        assert [line.split()[:2] for line in table_text(app.screen, "jobs")] == [
            [f"z-{i}", "finished"] for i in range(3)
        ]


async def test_retry_and_cancel_a_batch_from_the_view(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(conn)
    db = tmp_path / "q.db"
    app = app_for(redis_url, db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await batches_view(pilot, app)
        conn.set("test:ok", 1)
        await pilot.press("R")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.total == 2 and sorted(dialog.plan.ids) == ["i-bad-0", "i-bad-1"]
        assert "retry: 2 jobs of batch import (8 jobs in it)" in str(
            dialog.query_one("#confirm-question").render()
        )
        await pilot.press("y")
        await until(pilot, lambda: batches.read_batch(conn, "import").counts["failed"] == 0, what="retried")  # type: ignore[union-attr]
        await until(
            pilot,
            lambda: table_text(screen, "batches")[0].split()[4:10:5] == ["3", "0"],
            what="the view refreshed",
        )

        await pilot.press("down", "C")
        dialog = await dry_run(pilot, app)
        assert sorted(dialog.plan.ids) == ["z-0", "z-1", "z-2"]
        await pilot.press("y")
        await until(
            pilot, lambda: batches.read_batch(conn, "zz-late").counts["canceled"] == 3, what="canceled"
        )  # type: ignore[union-attr]
    canceled, retried = recent(open_database(f"sqlite:///{db}"))
    assert (retried.action, retried.target, retried.done) == (
        "jobs.retry",
        "batch import (default failed)",
        2,
    )
    assert (canceled.action, canceled.target, canceled.done) == (
        "jobs.cancel",
        "batch zz-late (late waiting)",
        3,
    )


async def test_redis_down_shows_a_banner_not_a_crash(tmp_path: Path) -> None:
    app = app_for(f"redis://127.0.0.1:{free_port()}/0", tmp_path / "q.db")
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command("batches")

        def banner() -> str:
            found = app.screen.query("#banner") if isinstance(app.screen, BatchesScreen) else []
            return str(found[0].render()) if found else ""

        await until(pilot, lambda: "cannot reach Redis" in banner(), what="the banner")
        assert "Disconnected, retrying" in banner()


async def test_many_batches_are_paged(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    pipe = conn.pipeline()
    for g in range(80):
        pipe.sadd(batches.GROUPS_SET, f"b{g:03d}")
        pipe.sadd(batches.group_key(f"b{g:03d}"), f"job-{g}")
        pipe.hset(f"rq:job:job-{g}", mapping={"status": "finished", "origin": "default"})
    pipe.execute()
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await batches_view(pilot, app)
        assert (screen.start, screen.total, len(screen.batches)) == (0, 80, 50)
        await pilot.press("ctrl+end")  # the last row held: the window moves on
        await until(pilot, lambda: screen.start == 25, what="the next window")
        assert [b.name for b in screen.batches][:1] == ["b025"] and len(screen.batches) == 50
        assert "26–75 of 80" in str(screen.query_one("#view-title").render())
        assert screen.current_batch() == "b049"  # the cursor stayed on the batch it was on


async def test_actions_on_marks_and_on_the_whole_batch_from_its_jobs(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(conn)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command("batches import")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="its jobs")
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        screen.query_one("#jobs", LiveTable).focus()
        await pilot.press("down", "down", "space", "space")  # i-bad-0 and i-bad-1
        assert list(screen.marked) == ["i-bad-0", "i-bad-1"]
        conn.set("test:ok", 1)
        await pilot.press("R")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.ids == ["i-bad-0", "i-bad-1"] and not dialog.plan.problems
        await pilot.press("y")
        await until(pilot, lambda: conn.llen("rq:queue:default") == 2, what="the two retried")

        await pilot.press("asterisk", "C")  # every job of the batch: cancel takes the pending ones
        dialog = await dry_run(pilot, app)
        assert sorted(dialog.plan.ids) == ["i-bad-0", "i-bad-1", "i-later", "i-wait"]
        await pilot.press("y")
        await until(
            pilot,
            lambda: batches.read_batch(conn, "import").counts["canceled"] == 5,  # type: ignore[union-attr]
            what="canceled",
        )
        await until(pilot, lambda: not screen.marked_all and screen.matches is not None, what="re-read")
