"""The Workers view against real worker processes: their jobs, enter to a job, and the worker actions,
audited, or refused to a viewer and in read-only mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from rq import Queue

from queuetui.audit import recent
from queuetui.config import Settings
from queuetui.db.engine import open_database
from queuetui.roles import Role, RoleMap
from queuetui.rqdata.workers import read_workers
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.confirm import ConfirmScreen
from queuetui.tui.screens.job_detail import JobDetailScreen
from queuetui.tui.screens.workers import WorkersScreen
from queuetui.tui.widgets.live_table import LiveTable
from tests import jobs
from tests.snapshots.seed import CLOCK
from tests.tui.helpers import until
from tests.workload import worker_process


def app_for(url: str, db: Path, **settings: object) -> QueueTUI:
    config = Settings(redis_url=url, refresh=0.2, db_url=f"sqlite:///{db}", **settings)  # type: ignore[arg-type]
    return QueueTUI(config, clock=CLOCK)


def shown(screen: WorkersScreen) -> set[str]:
    return {active.binding.action for active in screen.active_bindings.values()}


def status(conn: redis.Redis, job_id: str) -> bytes | None:
    return conn.hget(f"rq:job:{job_id}", "status")  # type: ignore[return-value]


def cursor_key(screen: WorkersScreen) -> str:
    table = screen.query_one(LiveTable)
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


async def test_open_a_workers_job_then_kill_its_horse_stop_its_next_job_and_shut_it_down(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    queue = Queue("slow", connection=conn)
    queue.enqueue(jobs.hold, "test:release", job_id="h1")
    queue.enqueue(jobs.hold, "test:release", job_id="h2")
    app = app_for(redis_url, tmp_path / "q.db", roles=RoleMap(default=Role.ADMIN))
    with worker_process(redis_url, "slow", burst=False) as worker:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="the Workers view")
            screen = app.screen
            assert isinstance(screen, WorkersScreen)

            def running(job_id: str) -> bool:
                rows = {w.name: w for w in screen.last_view.workers} if screen.last_view else {}
                return "w-test" in rows and rows["w-test"].info.current_job_id == job_id

            await until(pilot, lambda: running("h1"), timeout=20, what="w-test running h1")
            assert cursor_key(screen) == "w-test"  # the worker's row, not its host's header
            assert {"stop_job", "shutdown", "kill_horse"} <= shown(screen)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="the job detail")
            assert app.screen.job_id == "h1"  # type: ignore[attr-defined]
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen, what="back to the Workers view")

            await pilot.press("K")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            await until(pilot, lambda: status(conn, "h1") == b"failed", timeout=20, what="h1's horse killed")
            await until(pilot, lambda: running("h2"), timeout=20, what="w-test running h2")
            await pilot.press("S")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            await until(pilot, lambda: status(conn, "h2") == b"stopped", timeout=20, what="h2 stopped")
            await pilot.press("T")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            await until(pilot, lambda: worker.poll() is not None, timeout=30, what="the worker to exit")
        assert worker.returncode == 0
    entries = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"))
    assert [(e.action, e.target, e.outcome) for e in entries] == [
        ("workers.shutdown", "w-test", "ok"),
        ("workers.stop-job", "w-test", "ok"),
        ("workers.kill-horse", "w-test", "ok"),
    ]


@pytest.mark.parametrize(
    "settings",
    [{"roles": RoleMap(default=Role.VIEWER)}, {"read_only": True}],
    ids=["viewer", "read-only"],
)
async def test_viewer_and_read_only_have_no_worker_keys_and_are_refused(
    conn: redis.Redis, redis_url: str, tmp_path: Path, settings: dict[str, object]
) -> None:
    Queue("slow", connection=conn).enqueue(jobs.hold, "test:release", job_id="h1")
    app = app_for(redis_url, tmp_path / "q.db", **settings)
    with worker_process(redis_url, "slow", burst=False):
        async with app.run_test(size=(120, 40)) as pilot:
            app.run_command("workers")
            await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="the Workers view")
            screen = app.screen
            assert isinstance(screen, WorkersScreen)
            await until(pilot, lambda: status(conn, "h1") == b"started", timeout=20, what="h1 to start")
            await until(
                pilot, lambda: screen.last_view is not None and screen.last_view.busy == 1, what="busy"
            )
            assert not {"stop_job", "shutdown", "kill_horse"} & shown(screen)
            await pilot.press("K")
            await pilot.pause()
            assert app.screen is screen  # the key does nothing: no question
            screen.action_kill_horse()  # below the keys, the operation itself refuses
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("y")
            db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
            await until(pilot, lambda: recent(db), what="the refusal recorded")
            assert status(conn, "h1") == b"started"
            conn.set("test:release", 1)
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"))
    assert (entry.action, entry.target) == ("workers.kill-horse", "w-test")
    assert entry.outcome.startswith("refused: " + ("read-only" if "read_only" in settings else "needs admin"))


def test_no_worker_says_how_to_start_one(conn: redis.Redis) -> None:
    from queuetui.tui.screens.workers import table_rows, title, widths_for

    view = read_workers(conn)
    assert (title(view), table_rows(view, widths_for(80))) == (
        "Workers (none registered in this Redis: start one with queuetui worker or rq worker)",
        [],
    )


async def test_the_note_says_why_a_worker_is_stale_or_dead(conn: redis.Redis, tmp_path: Path) -> None:
    from tests.snapshots.seed import DEAD_WORKER, STALE_WORKER, seed_workers

    seed_workers(conn)
    app = QueueTUI(Settings(redis_url="redis://unused", refresh=3600), clock=CLOCK, connection=conn)
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_open_workers()
        await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="the Workers view")
        screen = app.screen
        assert isinstance(screen, WorkersScreen)
        await until(pilot, lambda: screen.last_view is not None, what="the first fetch")
        notes = {}
        while cursor_key(screen) != DEAD_WORKER:
            notes[cursor_key(screen)] = str(screen.query_one("#worker-note").render())
            await pilot.press("down")
        notes[DEAD_WORKER] = str(screen.query_one("#worker-note").render())
    assert notes["app-1.4021"].startswith("app-1.4021: heartbeat on time  ·  queues critical,high,default")
    assert notes[STALE_WORKER].startswith(f"{STALE_WORKER}: heartbeat late: its key expires in ")
    assert notes[DEAD_WORKER].startswith(f"{DEAD_WORKER}: its key expired: no heartbeat for its whole TTL")
    assert notes["\x00host:batch-1"] == ""  # a host's header row


@pytest.mark.parametrize("key", ["S", "K"])
async def test_a_worker_action_names_the_job_on_screen_and_spares_the_next_one(
    conn: redis.Redis, redis_url: str, tmp_path: Path, key: str
) -> None:
    queue = Queue("slow", connection=conn)
    queue.enqueue(jobs.hold, "test:release-1", job_id="h1")
    queue.enqueue(jobs.hold, "test:release-2", job_id="h2")
    app = app_for(redis_url, tmp_path / "q.db", roles=RoleMap(default=Role.ADMIN))
    with worker_process(redis_url, "slow", burst=False):
        async with app.run_test(size=(120, 40)) as pilot:
            app.action_open_workers()
            await until(pilot, lambda: isinstance(app.screen, WorkersScreen), what="the Workers view")
            screen = app.screen
            assert isinstance(screen, WorkersScreen)
            await until(
                pilot,
                lambda: screen.last_view is not None and screen.selected_worker_job() == "h1",
                timeout=20,
                what="w-test shown running h1",
            )
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            dialog = app.screen
            assert isinstance(dialog, ConfirmScreen)
            question = dialog.question.plain
            assert "h1" in question and "w-test" in question
            conn.set("test:release-1", 1)  # the worker moves on while the dialog is open
            await until(pilot, lambda: status(conn, "h2") == b"started", timeout=20, what="h2 to start")
            await pilot.press("y")
            db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
            await until(pilot, lambda: recent(db), what="the attempt recorded")
            assert status(conn, "h2") == b"started"  # the job the operator did not see runs on
            conn.set("test:release-2", 1)
    [entry] = recent(open_database(f"sqlite:///{tmp_path / 'q.db'}"))
    assert entry.job_ids == ["h1"]
    assert entry.outcome == (
        f"failed: worker 'w-test' now runs h2, not h1: nothing {'stopped' if key == 'S' else 'killed'}"
    )
