"""`:tenants`: a queue's jobs counted by tenant in a thread worker; enter scopes the console to one.
`t` in the Metrics view splits it by tenant."""

from __future__ import annotations

from pathlib import Path

import redis
from rq import Queue
from rq.job import Job

from queuetui.tenancy import enqueue
from queuetui.tui import commands
from queuetui.tui.screens.jobs import JobsScreen
from queuetui.tui.screens.metrics import MetricsScreen, Plots
from queuetui.tui.screens.tenants import KEY, TenantsScreen
from queuetui.tui.widgets.live_table import LiveTable
from queuetui.tui.widgets.status_bar import StatusBar
from tests import jobs
from tests.tui.helpers import until
from tests.tui.test_jobs_pilot import app_for
from tests.tui.test_metrics_pilot import make_app as metrics_app
from tests.tui.test_metrics_pilot import showing


def seed(conn: redis.Redis, waiting: dict[str, int], failed: dict[str, int] | None = None) -> Queue:
    q = Queue("tq", connection=conn)
    for t, (tenant, n) in enumerate(waiting.items()):
        for i in range(n):
            if tenant:
                enqueue(q, jobs.add, 1, i, tenant=tenant, job_id=f"w{t}-{i}")
            else:
                q.enqueue(jobs.add, 1, i, job_id=f"plain-{i}")
    for t, (tenant, n) in enumerate((failed or {}).items()):
        for i in range(n):
            job = Job.create(jobs.boom, id=f"f{t}-{i}", origin="tq", meta={"tenant": tenant}, connection=conn)
            job.save()
            q.failed_job_registry.add(job, exc_string="boom")
    return q


def counted(screen: TenantsScreen) -> dict[str, list[str]]:
    table = screen.query_one("#tenants", LiveTable)
    return {str(key.value).removeprefix(KEY): [str(c) for c in table.get_row(key)[1:]] for key in table.rows}


async def test_tenants_view_counts_then_enter_scopes_the_console(conn: redis.Redis, redis_url: str) -> None:
    seed(conn, {"acme": 3, "[bold]globex": 2, "": 1}, failed={"acme": 2, "initech": 1})
    assert commands.check("tenants tq failed") == ""
    assert commands.check("tenants tq nowhere").startswith("unknown registry 'nowhere'")
    assert commands.check("tenants a b c") == "usage: tenants [queue] [registry]"
    app = app_for(redis_url, conn)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command("tenants tq")
        await until(pilot, lambda: isinstance(app.screen, TenantsScreen) and app.screen.result, what="counts")
        screen = app.screen
        assert isinstance(screen, TenantsScreen)
        assert counted(screen) == {
            "acme": ["3", "0", "2"],
            "[bold]globex": ["2", "0", "0"],
            "": ["1", "0", "0"],
            "initech": ["0", "0", "1"],
        }
        table = screen.query_one("#tenants", LiveTable)
        assert [str(k.value) for k in table.rows][:2] == [KEY + "acme", KEY + "[bold]globex"]  # most first
        assert not screen.query_one("#scan").display
        await pilot.press("down", "enter")  # [bold]globex, shown literally
        await until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.loaded, what="waiting")
        jobs_view = app.screen
        assert isinstance(jobs_view, JobsScreen)
        assert (jobs_view.queue, jobs_view.registry, app.tenant) == ("tq", "waiting", "[bold]globex")
        await until(pilot, lambda: jobs_view.matches is not None and jobs_view.total == 2, what="its jobs")
        assert sorted(r.id for r in jobs_view.rows) == ["w1-0", "w1-1"]
        assert "tenant [bold]globex" in str(jobs_view.query_one(StatusBar).render())
        await pilot.press("escape")
        assert app.screen is screen
        assert "tenant [bold]globex" in str(screen.query_one(StatusBar).render())


async def test_counting_can_be_stopped_and_keeps_what_it_counted(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("tq", connection=conn)
    with conn.pipeline() as pipe:
        for i in range(2000):
            enqueue(q, jobs.add, 1, i, tenant=f"t{i % 7}", job_id=f"j{i}", pipeline=pipe)
        pipe.execute()
    app = app_for(redis_url, conn)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = TenantsScreen("tq", "waiting", chunk=1)  # a round trip a job: long enough to stop
        app.push_screen(screen)
        await until(pilot, lambda: app.screen is screen and screen.is_mounted, what="the Tenants view")
        scan = screen.query_one("#scan")
        await until(pilot, lambda: " of 2,000 " in str(scan.render()), what="counting under way")
        await pilot.press("s")
        await until(pilot, lambda: screen.result is not None, what="the stopped count")
        assert screen.result is not None and not screen.result.complete
        assert 0 < screen.result.scanned < 2000
        assert "Stopped" in str(scan.render())
        screen.chunk = 1000
        await pilot.press("r")
        await until(pilot, lambda: screen.result is not None and screen.result.complete, what="a full count")
        assert screen.result.scanned == 2000
        assert sum(int(c[0].replace(",", "")) for c in counted(screen).values()) == 2000
        await pilot.press("escape")
        assert not isinstance(app.screen, TenantsScreen)


async def test_t_splits_the_metrics_view_by_tenant_and_back(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    app = metrics_app(conn, redis_url, tmp_path, samples=20)
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command("metrics default")
        await until(pilot, lambda: showing(app, "default", "1h"), what="the Metrics view")
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        plots = screen.query_one(Plots)
        await pilot.press("t")
        await until(pilot, lambda: screen.trend is not None and screen.trend.by_tenant, what="the split")
        shown = str(plots.render())
        rows = [line.split()[:3] for line in shown.splitlines()[1:-1]]
        ended = [
            int(finished.replace(",", "")) + int(failed.replace(",", "")) for _, finished, failed in rows
        ]
        assert {name for name, *_ in rows} == {"acme", "globex", "initech", "umbrella"}
        assert ended == sorted(ended, reverse=True)  # most jobs ended first
        assert [failed for name, _, failed in rows if name != "globex"] == ["0", "0", "0"]
        assert next(failed for name, _, failed in rows if name == "globex") != "0"  # the seed's failures
        assert "by tenant" in str(screen.query_one("#view-title").render())
        await pilot.press("t")
        await until(pilot, lambda: screen.trend is not None and screen.trend.by_tenant is None, what="plots")
        assert "Finished" in str(plots.render()) and "globex" not in str(plots.render())
