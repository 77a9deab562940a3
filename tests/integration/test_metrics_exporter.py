"""The Prometheus exporter over real HTTP, its output parsed by prometheus_client's own text parser."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.worker import Worker

from queuetui.audit import Actor, Audit
from queuetui.clock import SYSTEM, FrozenClock
from queuetui.daemon.lease import Lease
from queuetui.db.engine import open_database
from queuetui.embedded import EmbeddedRedis
from queuetui.metrics.exporter import application, serve
from queuetui.metrics.sampler import Sampler
from queuetui.schedule.scheduler import RECONCILE_EVERY, Scheduler
from queuetui.schedule.store import ScheduleStore
from tests import jobs
from tests.integration.test_scheduler import Monotonic
from tests.workload import running_job, seed_every_registry

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def parse(text: str) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, sorted labels), and every family's type, as Prometheus would read them."""
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, types


def value(samples: Samples, metric: str, **labels: str) -> float:
    return samples[(metric, tuple(sorted(labels.items())))]


@pytest.fixture
def exporter_of() -> Iterator[object]:
    servers = []

    def start(app: object) -> str:
        server, _ = serve(app, "127.0.0.1", 0)  # type: ignore[arg-type]
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_metrics_match_a_real_workload(
    conn: redis.Redis, redis_url: str, tmp_path: Path, exporter_of
) -> None:  # type: ignore[no-untyped-def]
    sampler = Sampler(conn, instance="sampler-1")
    assert sampler.sample() is not None
    seed_every_registry(conn)
    slow = Queue("slow", connection=conn)
    slow.enqueue(jobs.add, 1, 2, job_id="slow-add-1")
    slow.enqueue(jobs.add, 3, 4, job_id="slow-add-2")
    slow.enqueue(jobs.boom, "timeout", job_id="slow-boom")

    # Schedules: an outage leaves missed runs; a run waiting in an idle queue past its grace is late.
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    start = datetime.now(UTC).replace(second=30, microsecond=0) - timedelta(minutes=30)
    clock = FrozenClock(start - timedelta(minutes=11))
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)
    store.add(
        "outage", {"func": "tests.jobs:add", "cron": "* * * * *", "queue": "reports", "misfire": "skip"}
    )
    store.add("waits", {"func": "tests.jobs:add", "cron": "* * * * *", "queue": "idle", "misfire_grace": 120})
    scheduler = Scheduler(
        conn, sessions, instance="sched-a", clock=clock, lease=Lease(conn, "sched-a", monotonic=Monotonic())
    )
    clock.advance(11 * 60)
    missed = scheduler.tick().missed
    clock.advance(150)
    scheduler.lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
    missed += scheduler.tick().missed

    with running_job(conn, redis_url):  # w-test runs the two adds, fails the boom, then holds run-1
        assert sampler.sample() is not None
        url = exporter_of(application(conn, sessions, SYSTEM))
        before = datetime.now(UTC)
        status, body = get(f"{url}/metrics")
        after = datetime.now(UTC)
        assert status == 200
        samples, types = parse(body)

        worker = Worker.find_by_key("rq:worker:w-test", connection=conn)
        assert worker is not None
        assert value(samples, "rq_workers", name="w-test", state="busy", queues="slow") == 1
        labels = {"name": "w-test", "queues": "slow"}
        assert value(samples, "rq_workers_success_total", **labels) == worker.successful_job_count == 2
        assert value(samples, "rq_workers_failed_total", **labels) == worker.failed_job_count == 1
        assert value(samples, "rq_workers_working_time_total", **labels) == pytest.approx(
            worker.total_working_time
        )
        assert types["rq_workers_success"] == "counter" and types["rq_jobs"] == "gauge"

        for name in ("default", "slow"):
            q = Queue(name, connection=conn)
            expected = {
                "queued": q.count,
                "started": StartedJobRegistry(name, connection=conn).get_job_count(cleanup=False),
                "finished": FinishedJobRegistry(name, connection=conn).get_job_count(cleanup=False),
                "failed": FailedJobRegistry(name, connection=conn).get_job_count(cleanup=False),
                "deferred": DeferredJobRegistry(name, connection=conn).get_job_count(cleanup=False),
                "scheduled": ScheduledJobRegistry(name, connection=conn).get_job_count(cleanup=False),
                "canceled": CanceledJobRegistry(name, connection=conn).get_job_count(cleanup=False),
            }
            got = {status: value(samples, "rq_jobs", queue=name, status=status) for status in expected}
            assert got == expected
        assert value(samples, "rq_jobs", queue="slow", status="started") == 1

        head = Job.fetch("wait-1", connection=conn).enqueued_at
        assert head is not None
        age = value(samples, "queuetui_queue_oldest_waiting_seconds", queue="default")
        assert (before - head).total_seconds() <= age <= (after - head).total_seconds()
        assert value(samples, "queuetui_queue_oldest_waiting_seconds", queue="slow") == 0

    # The sampler's counts: default finished 2 and failed 1 (seed), slow the same (w-test).
    for name in ("default", "slow"):
        assert value(samples, "queuetui_jobs_finished_total", queue=name) == 2
        assert value(samples, "queuetui_jobs_failed_total", queue=name) == 1
    add_times = []
    for job_id in ("slow-add-1", "slow-add-2"):
        result = Job.fetch(job_id, connection=conn).latest_result()
        assert result is not None and result.execution_ended_at and result.execution_started_at
        add_times.append((result.execution_ended_at - result.execution_started_at).total_seconds())
    add = {"queue": "slow", "function": "tests.jobs.add"}
    assert types["queuetui_job_duration_seconds"] == "histogram"
    assert value(samples, "queuetui_job_duration_seconds_count", **add) == 2
    assert value(samples, "queuetui_job_duration_seconds_bucket", le="+Inf", **add) == 2
    assert value(samples, "queuetui_job_duration_seconds_bucket", le="0.05", **add) == sum(
        t <= 0.05 for t in add_times
    )
    assert value(samples, "queuetui_job_duration_seconds_sum", **add) == pytest.approx(
        sum(add_times), abs=1e-5
    )
    boom = {"queue": "slow", "function": "tests.jobs.boom"}
    assert value(samples, "queuetui_job_duration_seconds_count", **boom) == 1

    assert value(samples, "queuetui_scheduler_leader", instance="sched-a") == 1
    assert value(samples, "queuetui_metrics_sampler_leader", instance="sampler-1") == 1
    assert missed > 0
    assert value(samples, "queuetui_schedule_runs", state="missed") == missed
    assert value(samples, "queuetui_schedule_runs", state="late") == 1

    assert get(f"{url}/healthz") == (200, "ok\n")
    assert get(f"{url}/nope")[0] == 404


def test_redis_down_answers_503_in_one_line(own_server: EmbeddedRedis, exporter_of) -> None:  # type: ignore[no-untyped-def]
    url = exporter_of(application(own_server.client(socket_timeout=2)))
    assert get(f"{url}/healthz") == (200, "ok\n")
    own_server.kill()
    for path in ("/healthz", "/metrics"):
        status, body = get(url + path)
        assert status == 503
        assert body.startswith("cannot reach Redis") and body.count("\n") == 1
