"""Job actions from the jobs view against a real Redis and a real SQLite audit trail: marks, the dry-run
dialog, the typed count, a bulk run cancelled halfway, and keys that answer while 100,000 jobs move."""

from __future__ import annotations

from pathlib import Path

import redis
from textual.pilot import Pilot

from queuetui.audit import recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.roles import Role, RoleMap
from queuetui.rqdata import keys
from queuetui.rqdata.bulk import CHUNK
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.dry_run import DryRunScreen
from queuetui.tui.screens.help import HelpScreen
from queuetui.tui.screens.jobs import JOB_KEYS, JobsScreen
from queuetui.tui.widgets.bulk_bar import BulkBar
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.workload import seed_failed


def app_for(url: str, db: Path, **settings: object) -> QueueTUI:
    config = Settings(redis_url=url, refresh=3600, db_url=f"sqlite:///{db}", **settings)  # type: ignore[arg-type]
    return QueueTUI(config, clock=CLOCK)


async def failed_view(pilot: Pilot[None], app: QueueTUI, queue: str = "emails") -> JobsScreen:
    app.open_jobs(queue, "failed")
    await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="failed view")
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    screen.query_one("#jobs", LiveTable).focus()
    return screen


async def dry_run(pilot: Pilot[None], app: QueueTUI) -> DryRunScreen:
    await until(pilot, lambda: isinstance(app.screen, DryRunScreen), what="the dry-run dialog")
    dialog = app.screen
    assert isinstance(dialog, DryRunScreen)
    return dialog


def failed_count(conn: redis.Redis, queue: str = "emails") -> int:
    return int(conn.zcard(keys.registry_key(queue, "failed")))


def title(screen: JobsScreen) -> str:
    return str(screen.query_one("#view-title").render())


async def test_marks_then_retry_after_a_first_no(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    ids = seed_failed(conn, "emails", 10)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app)
        await pilot.press("o")  # oldest first: f000000 on top
        await until(pilot, lambda: screen.current_job() == ids[0], what="oldest first")
        await pilot.press("space", "space", "down", "down", "v")  # f0, f1, then the range f1..f4
        assert list(screen.marked) == ids[0:5]
        assert "5 marked" in title(screen)
        await pilot.press("space")  # unmarks f4
        assert list(screen.marked) == ids[0:4]
        await pilot.press("R")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.total == 4 and dialog.plan.samples() == ids[0:4]
        text = str(dialog.query_one("#confirm-question").render())
        assert "emails failed: 4" in text and "e.g. f000000, f000001, f000002, f000003" in text
        await pilot.press("enter")  # the default answer is no
        await until(pilot, lambda: app.screen is screen, what="the dialog to close")
        assert failed_count(conn) == 10 and conn.llen("rq:queue:emails") == 0
        assert list(screen.marked) == ids[0:4]
        await pilot.press("R")
        await dry_run(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: failed_count(conn) == 6, what="the retry")
        await until(pilot, lambda: not screen.bulk_busy and not screen.marked, what="the run to end")
    assert [i.decode() for i in conn.lrange("rq:queue:emails", 0, -1)] == ids[0:4]
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"), action="jobs.retry")
    assert (entry.requested, entry.done, entry.outcome) == (4, 4, "ok")


async def test_mark_all_reaches_every_match_and_needs_the_typed_count(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    matching = seed_failed(conn, "emails", 1_200, prefix="m")
    others = seed_failed(conn, "emails", 300, prefix="o")
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app)
        screen.apply_filter("id:m")
        await until(pilot, lambda: screen.matches is not None and screen.total == 1_200, what="the filter")
        await pilot.press("asterisk")
        assert screen.marked_all and "all 1,200 matching marked" in title(screen)
        await pilot.press("R")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.total == 1_200 and dialog.typed  # above confirm_above (100)
        await pilot.press(*"1199", "enter")  # a wrong count does nothing
        await until(pilot, lambda: app.screen is screen, what="the dialog to close")
        assert failed_count(conn) == 1_500
        await pilot.press("R")
        await dry_run(pilot, app)
        await pilot.press("y", "enter")  # y is not the count: typing is refused by the input
        assert isinstance(app.screen, JobsScreen) and failed_count(conn) == 1_500
        await pilot.press("R")
        await dry_run(pilot, app)
        await pilot.press(*"1,200", "enter")
        await until(pilot, lambda: failed_count(conn) == 300, what="the retry of every match")
        await until(pilot, lambda: not screen.bulk_busy, what="the run to end")
    queued = {i.decode() for i in conn.lrange("rq:queue:emails", 0, -1)}
    assert queued == set(matching)
    assert {i.decode() for i in conn.zrange(keys.registry_key("emails", "failed"), 0, -1)} == set(others)


async def test_cancel_halfway_and_keys_answer_while_100_000_jobs_move(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    total = 100_000
    seed_failed(conn, "bulk", total, chunk=10_000)
    # At most 4,000 jobs a second (the config's throttle, so chunks of 400): 25 s if left alone, time
    # to press keys and cancel on a busy machine; the test cancels after a few seconds.
    throttle = 4_000
    app = app_for(redis_url, tmp_path / "q.db", throttle=throttle)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app, "bulk")
        await pilot.press("asterisk", "R")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.total == total
        await pilot.press(*str(total), "enter")
        await until(pilot, lambda: screen.cancel_event is not None, what="the run to start")
        bar = screen.query_one(BulkBar)
        await until(pilot, lambda: "/100,000" in str(bar.query_one("#bulk-text").render()), what="progress")
        # While it runs, the console keeps answering: the keys screen opens and closes, the cursor moves.
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the keys screen")
        assert screen.cancel_event is not None, "the run ended before the keys were answered"
        await pilot.press("escape")
        assert app.screen is screen
        before = screen.query_one("#jobs", LiveTable).cursor_row
        await pilot.press("down")
        assert screen.query_one("#jobs", LiveTable).cursor_row == before + 1
        assert screen.cancel_event is not None and 0 < failed_count(conn, "bulk") < total
        await pilot.press("escape")  # cancel between two chunks
        await until(pilot, lambda: not screen.bulk_busy, what="the run to stop")
        assert screen.last_outcome is not None
        outcome = screen.last_outcome[1]
    assert outcome.cancelled and 0 < outcome.done < total and outcome.done % min(CHUNK, throttle // 10) == 0
    assert failed_count(conn, "bulk") == total - outcome.done
    assert conn.llen("rq:queue:bulk") == outcome.done
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"), action="jobs.retry")
    assert (entry.requested, entry.done, entry.outcome) == (total, outcome.done, "cancelled")


async def test_read_only_and_viewer_have_no_action_keys(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_failed(conn, "emails", 3)
    for settings in ({"read_only": True}, {"roles": RoleMap(default=Role.VIEWER)}):
        app = app_for(redis_url, tmp_path / "q.db", **settings)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await failed_view(pilot, app)
            actions = {active.binding.action for active in screen.active_bindings.values()}
            assert "mark" in actions and not actions & set(JOB_KEYS), settings
            header = str(screen.query_one(StatusBar).render())
            assert ("read-only" in header) == ("read_only" in settings), header
            assert ("viewer" if "roles" in settings else "operator") in header
            before = len(recent(open_database(f"sqlite:///{tmp_path / 'q.db'}")))
            await pilot.press("R", "D")  # hidden keys still answer: refused below the UI, and audited
            db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
            expected = before + 2
            await until(pilot, lambda db=db, n=expected: len(recent(db)) == n, what="both refusals recorded")
            assert app.screen is screen and not screen.bulk_busy
            reason = "read-only" if "read_only" in settings else "needs operator, you are viewer"
            assert {(e.action, e.outcome) for e in recent(db)[:2]} == {
                ("jobs.retry", f"refused: {reason}"),
                ("jobs.delete", f"refused: {reason}"),
            }
    assert failed_count(conn) == 3


async def test_an_operator_has_the_keys_of_the_view(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_failed(conn, "emails", 3)
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app)
        actions = {active.binding.action for active in screen.active_bindings.values()}
        assert actions & set(JOB_KEYS) == {"retry", "move", "delete"}


async def test_a_vanished_job_s_row_can_be_deleted(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    """Its registry entry outlived the job hash: D removes the entry, audited like any delete."""
    ids = seed_failed(conn, "emails", 2)
    conn.delete(keys.job_key(ids[0]))
    app = app_for(redis_url, tmp_path / "q.db")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await failed_view(pilot, app)
        await pilot.press("o")  # oldest first: the vanished f000000 on top
        await until(pilot, lambda: screen.current_job() == ids[0], what="the vanished job under the cursor")
        await pilot.press("D")
        dialog = await dry_run(pilot, app)
        assert dialog.plan.total == 1 and not dialog.plan.problems
        await pilot.press("y")
        await until(pilot, lambda: failed_count(conn) == 1, what="the dangling entry to go")
        await until(pilot, lambda: not screen.bulk_busy, what="the run to end")
    assert conn.zrange(keys.registry_key("emails", "failed"), 0, -1) == [ids[1].encode()]
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"), action="jobs.delete")
    assert (entry.requested, entry.done, entry.outcome) == (1, 1, "ok")
