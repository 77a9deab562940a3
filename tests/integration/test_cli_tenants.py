"""`queuetui tenants` and `--tenant` on the jobs commands, against jobs of several tenants."""

from __future__ import annotations

import json
from pathlib import Path

import redis
from rq import Queue
from rq.job import JobStatus
from rq.registry import FailedJobRegistry

from queuetui.tenancy import enqueue, tenant_scope
from tests import jobs
from tests.cli import queuetui
from tests.hostile import NAMED, leaks
from tests.workload import running_job


def _fail(conn: redis.Redis, queue: str, job_id: str, tenant: str | None) -> None:
    """A failed job of `tenant`, failed through RQ's own calls (as tests.workload.seed_failed)."""
    q = Queue(queue, connection=conn)
    job = q.create_job(jobs.add, args=(1, 2), job_id=job_id, meta={"tenant": tenant} if tenant else None)
    job.origin = queue
    with conn.pipeline() as pipe:
        job.save(pipeline=pipe)
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        FailedJobRegistry(queue, connection=conn).add(
            job, exc_string="Traceback...\nValueError: x", pipeline=pipe
        )
        pipe.execute()


def test_tenants_counts_waiting_running_and_failed_jobs_by_tenant(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("tq", connection=conn)
    with running_job(conn, redis_url, "run-acme", "tq", meta={"tenant": "acme"}):
        for i in range(3):
            enqueue(q, jobs.add, 1, i, tenant="acme", job_id=f"acme-{i}")
        with tenant_scope("globex"):
            enqueue(q, jobs.add, 1, 2, job_id="globex-0")
        q.enqueue(jobs.add, 1, 2, job_id="plain-0")
        _fail(conn, "tq", "acme-f", "acme")
        _fail(conn, "tq", "globex-f", "globex")
        _fail(conn, "tq", "plain-f", None)

        done = queuetui("tenants", "-q", "tq", "--json", url=redis_url)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [
            {"tenant": "acme", "waiting": 3, "running": 1, "failed": 1},
            {"tenant": "", "waiting": 1, "running": 0, "failed": 1},
            {"tenant": "globex", "waiting": 1, "running": 0, "failed": 1},
        ]
        text = queuetui("tenants", "-q", "tq", url=redis_url)
        assert text.returncode == 0
        assert text.stdout.splitlines()[0].split() == ["TENANT", "WAITING", "RUNNING", "FAILED"]
        assert "(none)" in text.stdout and "3 tenants in 9 jobs" in text.stderr
        only = queuetui("tenants", "-q", "tq", "-r", "failed", "--json", url=redis_url)
        assert json.loads(only.stdout) == [
            {"tenant": "", "failed": 1},
            {"tenant": "acme", "failed": 1},
            {"tenant": "globex", "failed": 1},
        ]

        listed = queuetui("jobs", "list", "-q", "tq", "--tenant", "acme", "--json", url=redis_url)
        assert listed.returncode == 0, listed.stderr
        assert [j["id"] for j in json.loads(listed.stdout)["jobs"]] == ["acme-0", "acme-1", "acme-2"]
        failed = queuetui(
            "jobs", "list", "-q", "tq", "-r", "failed", "--tenant", "globex", "--json", url=redis_url
        )
        assert [j["id"] for j in json.loads(failed.stdout)["jobs"]] == ["globex-f"]
        narrowed = queuetui(
            "jobs",
            "list",
            "-q",
            "tq",
            "-f",
            "id:acme-1 OR id:globex",
            "--tenant",
            "acme",
            "--json",
            url=redis_url,
        )
        assert [j["id"] for j in json.loads(narrowed.stdout)["jobs"]] == ["acme-1"]
        bad = queuetui("jobs", "list", "-q", "tq", "--tenant", "a'\"", url=redis_url)
        assert bad.returncode == 2 and "both kinds of quote" in bad.stderr


def test_job_actions_take_a_tenant(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    for tenant in ("acme", "globex"):
        for i in range(2):
            _fail(conn, "tq", f"{tenant}-{i}", tenant)
    env = {"QUEUETUI_REDIS_URL": redis_url, "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}"}
    dry = queuetui(
        "jobs", "delete", "-q", "tq", "-r", "failed", "--tenant", "acme", "--dry-run", "--json", env=env
    )
    assert dry.returncode == 0, dry.stderr
    done = queuetui("jobs", "delete", "-q", "tq", "-r", "failed", "--tenant", "acme", "-y", env=env)
    assert done.returncode == 0, done.stderr
    left = sorted(m.decode() for m in conn.zrange("rq:failed:tq", 0, -1))
    assert left == ["globex-0", "globex-1"]


def test_a_configured_meta_key_and_hostile_tenant_names(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tenants]\nmeta_key = "customer"\n')
    env = {"QUEUETUI_REDIS_URL": redis_url, "QUEUETUI_CONFIG": str(config)}
    q = Queue("tq", connection=conn)
    names = list(NAMED.values())
    for i, name in enumerate(names):
        enqueue(q, jobs.add, 1, 2, tenant=name, meta_key="customer", job_id=f"h-{i}")
    enqueue(q, jobs.add, 1, 2, tenant="ignored", job_id="other-key")  # under "tenant", not "customer"
    conn.hset("rq:job:bad-meta", mapping={"status": "queued", "meta": b"\x80\x05not a pickle"})
    conn.rpush("rq:queue:tq", "bad-meta", "no-hash")
    counts = json.loads(queuetui("tenants", "-q", "tq", "--json", env=env).stdout)
    assert {c["tenant"]: c["waiting"] for c in counts} == {**{n: 1 for n in names}, "": 3}
    text = queuetui("tenants", "-q", "tq", env=env)
    assert text.returncode == 0 and not leaks(text.stdout)
    listed = queuetui("jobs", "list", "-q", "tq", "--tenant", names[0], "--json", env=env)
    assert [j["id"] for j in json.loads(listed.stdout)["jobs"]] == ["h-0"]
