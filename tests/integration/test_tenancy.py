"""Tenants: enqueue helpers write the tenant into job meta; `queuetui worker` exposes it to the job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq import Queue
from rq.job import Job

from queuetui.db.models import Schedule
from queuetui.schedule.firing import Fire, enqueue
from queuetui.tenancy import TenantQueue, current_tenant, scoped_tenant, tenant_scope
from queuetui.tenancy import enqueue as tenant_enqueue
from tests import jobs
from tests.workload import worker_process


def _meta(conn: redis.Redis, job_id: str) -> dict:
    return Job.fetch(job_id, connection=conn).meta


def test_enqueue_writes_the_tenant_into_meta(conn: redis.Redis) -> None:
    q = Queue("t", connection=conn)
    job = tenant_enqueue(q, jobs.add, 1, 2, tenant="acme", meta={"x": 1}, job_id="a1")
    assert _meta(conn, job.id) == {"x": 1, "tenant": "acme"}
    other = tenant_enqueue(q, jobs.add, 1, 2, tenant="globex", meta_key="customer", job_id="g1")
    assert _meta(conn, other.id) == {"customer": "globex"}
    plain = tenant_enqueue(q, jobs.add, 1, 2, job_id="p1")
    assert _meta(conn, plain.id) == {}
    with pytest.raises(ValueError):
        tenant_enqueue(q, jobs.add, 1, 2, tenant="")


def test_a_scope_sets_the_tenant_of_every_enqueue_inside_it(conn: redis.Redis) -> None:
    q = TenantQueue("t", connection=conn)
    with tenant_scope("acme"):
        assert scoped_tenant() == "acme"
        q.enqueue(jobs.add, 1, 2, job_id="s1")
        tenant_enqueue(Queue("t", connection=conn), jobs.add, 1, 2, job_id="s2")
        with tenant_scope("globex", meta_key="customer"):
            q.enqueue(jobs.add, 1, 2, job_id="s3")
        q.enqueue(jobs.add, 1, 2, job_id="s4", meta={"tenant": "explicit"})
        tenant_enqueue(q, jobs.add, 1, 2, job_id="s5", tenant="given")
    q.enqueue(jobs.add, 1, 2, job_id="s6")
    assert scoped_tenant() == ""
    assert [_meta(conn, f"s{i}") for i in range(1, 7)] == [
        {"tenant": "acme"},
        {"tenant": "acme"},
        {"customer": "globex"},
        {"tenant": "explicit"},
        {"tenant": "given"},
        {},
    ]


def test_a_schedules_tenant_goes_into_its_jobs_meta(conn: redis.Redis) -> None:
    schedule = Schedule(id=7, name="nightly", func="tests.jobs:add", queue="t", tenant="acme", args=[1, 2])
    fire = Fire(schedule, datetime(2026, 1, 1, tzinfo=UTC))
    enqueue(conn, "", fire, datetime(2026, 1, 1, tzinfo=UTC))
    assert _meta(conn, fire.job_id)["tenant"] == "acme"


def test_the_worker_runs_each_job_as_its_tenant(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("tq", connection=conn)
    tenant_enqueue(q, jobs.whose, tenant="acme", job_id="w-acme")
    q.enqueue(jobs.whose, job_id="w-none")
    with worker_process(redis_url, "tq") as worker:
        assert worker.wait(60) == 0
    assert sorted(v.decode() for v in conn.lrange("test:tenants", 0, -1)) == ["w-acme=acme", "w-none="]
    assert current_tenant() == ""
