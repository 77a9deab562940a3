"""Per-tenant metrics: the sampler splits each sample's finished and failed jobs by tenant (job meta,
decoded as data), bounded to the top N tenants plus OTHER, rolled up, and read back split."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker

from queuetui.clock import FrozenClock
from queuetui.config import TenantSettings
from queuetui.metrics import sampler as sampler_module
from queuetui.metrics.series import OTHER, Resolution, TenantPoint, read_tenants, tenant_names
from queuetui.metrics.trends import read_trend, window_named
from queuetui.present.metrics import tenant_lines
from queuetui.rqdata import keys
from queuetui.tenancy import enqueue
from tests import jobs
from tests.integration.test_metrics_sampler import START, sampler


def split(sample: sampler_module.Sample | None) -> dict[tuple[str, str], tuple[int, int]]:
    assert sample is not None
    return {name: (p.finished, p.failures) for name, p in sample.tenants.items()}


class Opens:
    """Unpickled, this would create a file: the proof that a sample never unpickles a job's meta."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.path), "w")


def test_a_sample_splits_finished_and_failed_by_tenant_without_unpickling(
    conn: redis.Redis, tmp_path: Path
) -> None:
    clock = FrozenClock(START)
    s = sampler(conn, clock)
    s.sample()
    q = Queue("default", connection=conn)
    for i in range(3):
        enqueue(q, jobs.add, i, 1, tenant="acme")
    enqueue(q, jobs.boom, tenant="acme")
    enqueue(q, jobs.add, 1, 1, tenant="globex")
    enqueue(q, jobs.add, 1, 2, tenant="globex")
    q.enqueue(jobs.boom)  # no tenant
    hostile = q.enqueue(jobs.add, 2, 2)
    SimpleWorker([q], connection=conn).work(burst=True)
    marker = tmp_path / "unpickled"
    conn.hset(keys.job_key(hostile.id), "meta", pickle.dumps({"tenant": Opens(marker)}))
    clock.advance(10)
    sample = s.sample()
    assert split(sample) == {
        ("default", "acme"): (3, 1),
        ("default", "globex"): (2, 0),
        ("default", ""): (0, 1),  # the job without a tenant
        ("default", "<pickled io.open>"): (1, 0),  # shown as what it is, never called
    }
    assert not marker.exists()
    assert tenant_names(conn, "default") == ["", "<pickled io.open>", "acme", "globex"]
    stored = read_tenants(conn, "default", ["acme", "globex"], 0, clock.now().timestamp())
    assert stored["acme"] == [TenantPoint(sample.at, 3, 1)]  # type: ignore[union-attr]

    clock.advance(10)
    assert split(s.sample()) == {}  # nothing ended since: no tenant point written
    assert len(read_tenants(conn, "default", ["acme"], 0, clock.now().timestamp())["acme"]) == 1


def test_tenants_beyond_the_top_count_as_other_and_zero_records_none(conn: redis.Redis) -> None:
    clock = FrozenClock(START)
    s = sampler(conn, clock, tenants=TenantSettings(metrics_top=2))
    s.sample()
    q = Queue("default", connection=conn)
    for tenant, n in (("a", 3), ("b", 2), ("c", 1)):
        for i in range(n):
            enqueue(q, jobs.add, i, 1, tenant=tenant)
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    assert split(s.sample()) == {
        ("default", "a"): (3, 0),
        ("default", "b"): (2, 0),
        ("default", OTHER): (1, 0),
    }

    for tenant in ("c", "d", "c", "a"):  # the two tracked stay, the rest stay OTHER
        enqueue(q, jobs.add, 1, 1, tenant=tenant)
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    assert split(s.sample()) == {("default", "a"): (1, 0), ("default", OTHER): (3, 0)}
    assert tenant_names(conn, "default") == [OTHER, "a", "b"]

    off = sampler(conn, clock, "b", tenants=TenantSettings(metrics_top=0))
    conn.delete(sampler_module.LEASE_KEY)
    enqueue(q, jobs.add, 1, 1, tenant="a")
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    sample = off.sample()
    assert sample is not None and sample.queues["default"].finished == 1 and sample.tenants == {}


def test_more_ended_than_read_scales_to_the_exact_counts(
    conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sampler_module, "TIMED_PER_QUEUE", 10)
    clock = FrozenClock(START)
    s = sampler(conn, clock)
    s.sample()
    q = Queue("default", connection=conn)
    for i in range(25):
        enqueue(q, jobs.add, i, 1, tenant="acme" if i % 5 else "globex")
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    sample = s.sample()
    assert sample is not None and sample.queues["default"].finished == 25
    by = split(sample)
    assert sum(finished for finished, _ in by.values()) == 25  # 10 read, scaled to the 25 that ended
    assert set(by) <= {("default", "acme"), ("default", "globex")}


def test_tenant_points_roll_up_and_read_back_split_by_tenant(conn: redis.Redis) -> None:
    fine, coarse = Resolution("fine", 10, 600), Resolution("coarse", 30, 1800)
    clock = FrozenClock(START)
    s = sampler(conn, clock, fine=fine, coarse=coarse)
    s.sample()
    q = Queue("default", connection=conn)
    for round_ in range(2):
        for i in range(2 + round_):
            enqueue(q, jobs.add, i, 1, tenant="acme")
        enqueue(q, jobs.boom, tenant="globex")
        SimpleWorker([q], connection=conn).work(burst=True)
        clock.advance(10)
        s.sample()
    clock.advance(60)  # two COARSE buckets later: the first one rolls up
    s.sample()
    until = clock.now().timestamp()
    rolled = read_tenants(conn, "default", ["acme", "globex"], 0, until, coarse)
    assert sum(p.finished for p in rolled["acme"]) == 5
    assert sum(p.failures for p in rolled["globex"]) == 2

    trend = read_trend(conn, "default", "", window_named("1h"), until, by_tenant=True)
    assert trend.tenants == ("acme", "globex") and trend.by_tenant is not None
    lines = tenant_lines(trend, 20)
    assert [(t.tenant, t.finished, t.failures) for t in lines] == [("acme", 5, 0), ("globex", 0, 2)]
    assert lines[1].failure_rate == 100.0 and len(lines[0].spark) == 20
    assert read_trend(conn, "default", "", window_named("1h"), until).by_tenant is None
