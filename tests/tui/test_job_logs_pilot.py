"""The job log screen: `l` from a job view or the Workers view, `:logs ID`, live follow, hostile text."""

from __future__ import annotations

import redis
from rq import Queue, SimpleWorker
from textual.widgets import RichLog

from queuetui.config import Settings
from queuetui.executor.worker import build_worker
from queuetui.rqdata.logs import log_key
from queuetui.tui.app import QueueTUI
from queuetui.tui.screens.job_log import JobLogScreen
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.workers import WorkersScreen
from tests import jobs
from tests.conftest import wait_for
from tests.tui.helpers import until
from tests.workload import worker_process


def app_for(url: str) -> QueueTUI:
    return QueueTUI(Settings(redis_url=url, refresh=3600))


def shown(app: QueueTUI) -> list[str]:
    """The log widget's lines as plain text."""
    return [strip.text.rstrip() for strip in app.screen.query_one(RichLog).lines]


def log_screen(app: QueueTUI) -> JobLogScreen:
    assert isinstance(app.screen, JobLogScreen), app.screen
    return app.screen


async def test_three_lines_then_a_running_job_followed(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.chatty, 3, job_id="chatty-1")
    q.enqueue(jobs.hold_logging, "test:release", job_id="held-1")
    with worker_process(redis_url, "default") as worker:
        wait_for(lambda: conn.exists(log_key("held-1")), message="held-1 to log its first line")
        app = app_for(redis_url)
        async with app.run_test(size=(120, 40)) as pilot:
            app.open_jobs("default", "finished")
            await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="view")
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, JobLogScreen) and app.screen.loaded, what="log")
            assert log_screen(app).job_id == "chatty-1" and not log_screen(app).following
            assert [line.split(" app.chatty: ")[1] for line in shown(app)] == ["line 1", "line 2", "line 3"]
            await pilot.press("escape", "escape")

            app.action_open_workers()
            workers = app.screen
            assert isinstance(workers, WorkersScreen)
            await until(pilot, lambda: workers.last_view is not None and workers.selected(), what="a row")
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, JobLogScreen) and app.screen.loaded, what="log")
            screen = log_screen(app)
            assert screen.job_id == "held-1" and screen.following
            assert shown(app)[-1].endswith("app.hold: waiting for test:release")
            conn.set("test:release", 1)
            await until(pilot, lambda: not screen.following, what="the job to end")
            assert [e.message for e in screen.entries] == ["waiting for test:release", "released"]
            assert shown(app)[-1].endswith("app.hold: released")
        worker.wait(30)


async def test_hostile_text_literal_search_and_wrap(conn: redis.Redis, redis_url: str) -> None:
    hostile = ["\x1b[31mred\x1b]52;c;Zm9v\x07", "[b]bold[/] [/] [link=x]", "needle " + "x" * 300]
    Queue("default", connection=conn).enqueue(jobs.say, *hostile, job_id="evil-log")
    build_worker(conn, ["default"], worker_class=SimpleWorker).work(burst=True, logging_level="CRITICAL")
    app = app_for(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_command("logs evil-log")
        await until(pilot, lambda: isinstance(app.screen, JobLogScreen) and app.screen.loaded, what="log")
        lines = shown(app)
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        assert lines[0].endswith("app.say: \\x1b[31mred\\x1b]52;c;Zm9v\\x07")
        assert lines[1].endswith("app.say: [b]bold[/] [/] [link=x]")
        assert lines[-1].strip() == "KeyError: 'gone'"
        unwrapped = len(lines)
        await pilot.press("w")
        assert len(shown(app)) > unwrapped  # the long line now takes several
        await pilot.press("slash", *"NEEDLE", "enter")
        await until(pilot, lambda: log_screen(app).match == 2, what="the search to find entry 3")
        await pilot.press("escape")
        assert not isinstance(app.screen, JobLogScreen)


async def test_a_job_without_log_says_so(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 2, job_id="plain-1")
    SimpleWorker([q], connection=conn).work(burst=True, logging_level="CRITICAL")
    app = app_for(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_log("plain-1")
        await until(pilot, lambda: isinstance(app.screen, JobLogScreen) and app.screen.loaded, what="log")
        status = app.screen.query_one("#log-status").render()
        assert "no log: run by a plain rq worker, or expired" in str(status)
