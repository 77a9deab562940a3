"""[tenants.limits] in `queuetui worker`: at most N of a tenant's jobs run at once, across workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import redis
from rq import Queue

from queuetui.config import TenantSettings
from queuetui.executor.limits import TenantLimiter, slots_key
from queuetui.tenancy import enqueue
from tests import jobs
from tests.conftest import run_env, wait_for


def test_a_flooding_tenant_runs_one_at_a_time_and_does_not_hold_up_another(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[tenants.limits]\nacme = 1\n")
    q = Queue("lim", connection=conn)
    for i in range(30):
        enqueue(q, jobs.tenant_nap, f"acme-{i}", 0.02, tenant="acme")
    for i in range(10):
        enqueue(q, jobs.tenant_nap, f"globex-{i}", 0.02, tenant="globex")
    env = {**run_env(redis_url), "QUEUETUI_CONFIG": str(config)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "queuetui", "worker", "lim", "--name", f"w-lim-{n}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(2)
    ]
    try:
        wait_for(lambda: conn.llen("test:order") == 40, timeout=90, message="all 40 jobs to run")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    order = [tag.decode() for tag in conn.lrange("test:order", 0, -1)]
    last = {t: max(i for i, tag in enumerate(order) if tag.startswith(t)) for t in ("acme", "globex")}
    assert last["globex"] < last["acme"], order  # queued behind all of acme's, done before them
    assert int(conn.get("test:most:acme") or 0) == 1
    assert int(conn.get("test:most:globex") or 0) >= 1
    assert conn.zcard(slots_key("acme")) == 0
    assert sorted(order) == sorted([f"acme-{i}" for i in range(30)] + [f"globex-{i}" for i in range(10)])


def test_slots_are_shared_renewed_released_and_expire(conn: redis.Redis) -> None:
    settings = TenantSettings(limits={"acme": 2}, default_limit=1)
    first, second = TenantLimiter(conn, settings, 90), TenantLimiter(conn, settings, 90)
    assert first.acquire("acme", "a1") and second.acquire("acme", "a2")
    assert not first.acquire("acme", "a3")
    assert first.acquire("acme", "a1")  # a holder asking again keeps its slot
    first.release("acme", "a1")
    assert second.acquire("acme", "a3")
    assert second.acquire("other", "o1") and not first.acquire("other", "o2")  # the default limit
    assert first.acquire("", "n1") and first.acquire("", "n2")  # no tenant: never limited
    unlimited = TenantLimiter(conn, TenantSettings(limits={"acme": 1}), 90)
    assert unlimited.acquire("globex", "g1") and unlimited.acquire("globex", "g2")

    dead = TenantLimiter(conn, TenantSettings(limits={"dead": 1}), -1.0)  # slots already expired
    assert dead.acquire("dead", "d1")
    dead.renew("dead", "d1")  # a renewal that still lies in the past: as if the worker died
    alive = TenantLimiter(conn, TenantSettings(limits={"dead": 1}), 90)
    assert alive.acquire("dead", "d2")
    alive.renew("dead", "d2")
    assert conn.zscore(slots_key("dead"), "d2") is not None
    assert conn.zscore(slots_key("dead"), "d1") is None


def test_a_deferred_job_goes_back_on_its_queue_when_a_slot_is_given_back(conn: redis.Redis) -> None:
    q = Queue("lim", connection=conn)
    limiter = TenantLimiter(conn, TenantSettings(limits={"acme": 1}), 90)
    running = enqueue(q, jobs.add, 1, 2, tenant="acme", job_id="run")
    waiting = enqueue(q, jobs.add, 1, 2, tenant="acme", job_id="over")
    other = q.enqueue(jobs.add, 1, 2, job_id="other")
    conn.delete(q.key)  # as if a worker had taken all three
    conn.rpush(q.intermediate_queue_key, "over")
    assert limiter.acquire("acme", running.id) and not limiter.acquire("acme", waiting.id)
    limiter.defer("acme", waiting, q)
    assert conn.zrange("rq:scheduled:lim", 0, -1) == [b"over"] and conn.llen(q.intermediate_queue_key) == 0
    assert waiting.get_status(refresh=True) == "scheduled"
    conn.rpush(q.key, other.id)
    assert limiter.release("acme", running.id) == 1
    assert conn.lrange(q.key, 0, -1) == [b"other", b"over"]  # behind the others
    assert conn.zcard("rq:scheduled:lim") == 0 and waiting.get_status(refresh=True) == "queued"
    assert limiter.release("acme", "over") == 0  # nothing left to wake
