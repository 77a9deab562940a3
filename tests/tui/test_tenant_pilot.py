"""`:tenant NAME` scopes the console's job views to one tenant's jobs; `:tenant -` shows every tenant's."""

from __future__ import annotations

import redis
from rq import Queue

from queuetui.tenancy import enqueue
from queuetui.tui import commands
from tests import jobs
from tests.tui.helpers import until
from tests.tui.test_jobs_pilot import app_for, open_view


async def test_tenant_scopes_the_job_views_and_their_filters(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("tq", connection=conn)
    for i in range(3):
        enqueue(q, jobs.add, 1, i, tenant="acme", job_id=f"acme-{i}")
    enqueue(q, jobs.add, 1, 2, tenant="[bold]globex", job_id="globex-0")
    q.enqueue(jobs.add, 1, 2, job_id="plain-0")
    assert commands.check("tenant") == "usage: tenant NAME (- for every tenant)"
    app = app_for(redis_url, conn)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_view(pilot, app, "tq", "waiting")
        assert screen.total == 5
        app.run_command("tenant acme")
        await until(pilot, lambda: screen.matches is not None and screen.total == 3, what="acme's jobs")
        assert sorted(r.id for r in screen.rows) == ["acme-0", "acme-1", "acme-2"]
        assert screen.filter_text == ""
        screen.apply_filter("id:acme-1")
        await until(pilot, lambda: screen.matches is not None and screen.total == 1, what="acme's filtered")
        app.run_command("tenant [bold]globex")
        await until(pilot, lambda: screen.matches is not None and screen.total == 0, what="globex, filtered")
        screen.apply_filter("")
        await until(pilot, lambda: screen.matches is not None and screen.total == 1, what="globex's jobs")
        assert [r.id for r in screen.rows] == ["globex-0"]
        app.run_command("tenant -")
        await until(pilot, lambda: screen.matches is None and screen.total == 5, what="every tenant's jobs")
