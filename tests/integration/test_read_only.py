"""Reading never writes: a snapshot leaves every key, value and TTL exactly as it found them."""

from __future__ import annotations

import time
from pathlib import Path

import redis
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry, StartedJobRegistry

from queuetui.rqdata.overview import snapshot
from tests import jobs


def redis_state(conn: redis.Redis) -> dict[bytes, tuple[bytes | None, float]]:
    """Every key with its serialized value (DUMP) and its expiry deadline (-1: none).

    A TTL counts down between two reads, so the deadline (the server's TIME + PTTL, read in one
    pipeline, so no pause of this process between the two can move it) is kept instead.
    """
    names = list(conn.scan_iter(count=1000))
    pipe = conn.pipeline(transaction=False)
    pipe.time()
    for key in names:
        pipe.pttl(key)
        pipe.dump(key)
    (seconds, micros), *replies = pipe.execute()
    now = seconds * 1000 + micros / 1000
    return {
        key: (value, now + pttl if pttl >= 0 else -1.0)
        for key, pttl, value in zip(names, replies[::2], replies[1::2], strict=True)
    }


def same_state(
    a: dict[bytes, tuple[bytes | None, float]], b: dict[bytes, tuple[bytes | None, float]]
) -> bool:
    """Same keys, same values, deadlines within 100 ms of each other (an EXPIRE moves them far more)."""
    return a.keys() == b.keys() and all(a[k][0] == b[k][0] and abs(a[k][1] - b[k][1]) < 100 for k in a)


def seed_with_expired_entries(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 1)
    q.enqueue(jobs.boom)
    SimpleWorker([q], connection=conn).work(burst=True)
    q.enqueue(jobs.add, 2, 2, job_id="waiting")
    past = time.time() - 3600
    # A job whose worker died mid-run: its started entry expired an hour ago.
    q.enqueue(jobs.add, 3, 3, job_id="orphaned")
    conn.lrem("rq:queue:default", 0, "orphaned")
    conn.zadd("rq:wip:default", {"orphaned:exec-1": past})
    # Failed and finished entries past their TTL, and a scheduled job that is due.
    conn.zadd("rq:failed:default", {"expired-failure": past})
    conn.zadd("rq:finished:default", {"expired-finish": past})
    conn.zadd("rq:scheduled:default", {"due-now": past})
    # A queue whose head job's hash is gone, and a worker whose hash expired.
    conn.rpush("rq:queue:ghost", "no-such-job")
    conn.sadd("rq:queues", "rq:queue:ghost")
    conn.sadd("rq:workers", "rq:worker:expired")


def test_snapshot_changes_nothing(conn: redis.Redis) -> None:
    seed_with_expired_entries(conn)
    before = redis_state(conn)
    time.sleep(0.01)
    overview = snapshot(conn)
    assert same_state(redis_state(conn), before)
    default = overview.queue("default")
    assert default is not None
    assert (default.started, default.failed, default.finished, default.scheduled) == (1, 2, 2, 1)
    assert overview.queue("ghost").oldest_waiting_seconds is None  # type: ignore[union-attr]


def test_the_check_detects_rq_public_api_writes(conn: redis.Redis) -> None:
    """The same check catches RQ's own counting, which cleans registries as it reads."""
    seed_with_expired_entries(conn)
    before = redis_state(conn)
    q = Queue("default", connection=conn)
    len(StartedJobRegistry(queue=q))
    len(FailedJobRegistry(queue=q))
    assert not same_state(redis_state(conn), before)


def test_sampling_alert_checks_and_scrapes_write_only_their_own_keys(
    conn: redis.Redis, tmp_path: Path
) -> None:
    from queuetui.config import AlertRule, AlertSettings
    from queuetui.db.engine import open_database
    from queuetui.metrics.alerts import Alerts
    from queuetui.metrics.exporter import QueuetuiCollector
    from queuetui.metrics.sampler import Sampler
    from queuetui.metrics.series import PREFIX, read_queue

    seed_with_expired_entries(conn)
    kinds = ("backlog", "oldest-waiting", "failure-rate", "stuck", "worker-heartbeat")
    rules = tuple(AlertRule(kind, kind, above=0.0) for kind in kinds)
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    alerts = Alerts(AlertSettings(rules=rules), sessions, conn)

    def rq_state() -> dict[bytes, tuple[bytes | None, float]]:
        return {k: v for k, v in redis_state(conn).items() if not k.startswith(PREFIX.encode())}

    before = rq_state()
    time.sleep(0.01)
    sampler = Sampler(conn, instance="a")
    fired = []
    for _ in range(2):
        sample = sampler.sample()
        assert sample is not None
        fired.append({e.alert.kind for e in alerts.evaluate(sample)})
    assert fired == [{"backlog", "oldest-waiting", "worker-heartbeat"}, set()]  # the worker: its hash expired
    assert list(QueuetuiCollector(conn, sessions).collect())
    assert same_state(rq_state(), before)
    assert read_queue(conn, "default", 0)[-1].waiting == 1
