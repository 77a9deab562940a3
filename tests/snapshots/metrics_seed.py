"""Deterministic metrics for snapshots and the README: an hour of samples taken by the real sampler.

Over the hour before seed.NOW, every ten seconds of a frozen clock, each queue of seed.QUEUES gets
jobs that finished and failed (real RQ job hashes with fixed run times and tenants, at fixed ids) and the real
Sampler records them, so the series are exactly what a sampler would have written. Plus alert rows,
firing and resolved, at fixed times.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta

import redis
from rq.job import Job
from rq.utils import utcformat
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import FrozenClock
from queuetui.config import AlertRule, AlertSettings
from queuetui.daemon.lease import Lease
from queuetui.db.engine import session_scope
from queuetui.db.models import Alert
from queuetui.metrics import sampler as sampler_module
from queuetui.metrics.sampler import Sampler
from queuetui.rqdata import keys
from tests.snapshots.seed import NOW, seed

STEP = 10.0
SAMPLES = 360
FUNCTIONS = {
    "critical": ("app.tasks.ping",),
    "high": ("app.billing.charge", "app.tasks.ping"),
    "default": ("app.billing.charge", "app.reports.build"),
    "low": ("app.reports.build",),
    "emails": ("app.mail.send_email",),
}
TENANTS = ("acme", "globex", "initech", "umbrella")
RUN_SECONDS = {
    "app.tasks.ping": 0.05,
    "app.billing.charge": 0.4,
    "app.reports.build": 3.0,
    "app.mail.send_email": 1.2,
}


def _wave(i: int, period: int, height: int) -> int:
    """A triangle wave from 0 up to `height` and back over `period` samples."""
    phase = i % period
    half = period // 2
    return (phase if phase < half else period - phase) * height // half


def ended(queue: str, i: int) -> tuple[int, int]:
    """(finished, failed) jobs of `queue` in the sample `i` (1 ... SAMPLES)."""
    if queue == "critical":
        return 2 + (i // 30) % 3, 0
    if queue == "high":
        return 3 + _wave(i, 60, 5), 1 if i % 20 == 0 else 0
    if queue == "default":
        failed = 3 + i % 3 if 200 <= i < 240 else (1 if i % 15 == 0 else 0)
        return 6 + _wave(i, 120, 8), failed
    if queue == "low":
        return 1 if i % 4 == 0 else 0, 0
    return i % 2, 1 if i % 45 == 0 else 0


def tenant_of(registry: str, i: int, n: int) -> str:
    """Whose job the n-th that ended in sample `i` is: globex's fail, the others share the rest."""
    return "globex" if registry == "failed" else TENANTS[(i + n) % len(TENANTS)]


class _Still:
    """A monotonic clock that never moves: the seed's lease never needs renewing."""

    def __call__(self) -> float:
        return 1000.0


def seed_metrics(conn: redis.Redis, samples: int = SAMPLES) -> None:
    """`samples` samples, STEP apart, ending at seed.NOW, of the queues already seeded in `conn`."""
    start = NOW - timedelta(seconds=samples * STEP)
    clock = FrozenClock(start)
    lease = Lease(conn, "seed", ttl=3600, margin=60, monotonic=_Still(), key=sampler_module.LEASE_KEY,
                  fence_key=sampler_module.FENCE_KEY)  # fmt: skip
    sampler = Sampler(conn, instance="seed", clock=clock, lease=lease)
    payloads = {
        func: Job.create(func, args=("x",), connection=conn, id="seed-template").data for func in RUN_SECONDS
    }
    metas = {tenant: pickle.dumps({"tenant": tenant}) for tenant in TENANTS}  # as RQ saves meta
    assert sampler.sample() is not None
    score = 2_000_000_000  # above every member seed() put in the registries: these are the new ones
    for i in range(1, samples + 1):
        at = start + timedelta(seconds=i * STEP)
        pipe = conn.pipeline(transaction=False)
        for queue, functions in FUNCTIONS.items():
            finished, failed = ended(queue, i)
            for n in range(finished + failed):
                func = functions[n % len(functions)]
                took = RUN_SECONDS[func] * (1 + (i + n) % 7 / 3)
                job_id = f"m-{queue}-{i:04d}-{n}"
                end = at - timedelta(seconds=1 + n * 0.1)
                registry = "finished" if n < finished else "failed"
                pipe.hset(keys.job_key(job_id), mapping={
                    "data": payloads[func], "origin": queue, "meta": metas[tenant_of(registry, i, n)],
                    "started_at": utcformat(end - timedelta(seconds=took)), "ended_at": utcformat(end),
                })  # fmt: skip
                score += 1
                pipe.zadd(keys.registry_key(queue, registry), {job_id: score})
        pipe.execute()
        clock.advance(STEP)
        assert sampler.sample() is not None


_BUILT: dict[int, list[tuple[bytes, int, bytes]]] = {}


def seed_with_metrics(conn: redis.Redis, samples: int = SAMPLES) -> None:
    """seed() then seed_metrics(samples), built once a process and then restored key by key (DUMP and
    RESTORE: the same bytes, without running the sampler hundreds of times for every test)."""
    built = _BUILT.get(samples)
    if built is None:
        seed(conn)
        seed_metrics(conn, samples)
        names = list(conn.scan_iter(count=1000))
        pipe = conn.pipeline(transaction=False)
        for name in names:
            pipe.pttl(name)
            pipe.dump(name)
        replies = pipe.execute()
        _BUILT[samples] = [
            (name, max(ttl, 0), value)
            for name, ttl, value in zip(names, replies[::2], replies[1::2], strict=True)
        ]
        return
    conn.flushall()
    pipe = conn.pipeline(transaction=False)
    for name, ttl, value in built:
        pipe.restore(name, ttl, value)
    pipe.execute()


RULES = (
    AlertRule("backlog", "backlog", queue="low", above=5000, for_seconds=300),
    AlertRule("failures", "failure-rate", above=20, window=600, min_jobs=10),
    AlertRule("heartbeat", "worker-heartbeat", above=60),
    AlertRule("late runs", "schedule-late", window=3600),
)
ALERT_SETTINGS = AlertSettings(rules=RULES)


def seed_alerts(sessions: sessionmaker[Session]) -> None:
    """Two alerts firing and four resolved (one of a rule no longer configured), at fixed times, with how
    their notices went (one still sending, one webhook that failed, some never sent)."""

    def at(minutes: float) -> datetime:
        return NOW - timedelta(minutes=minutes)

    backlog = "queue low: 9,800 waiting, above 5,000 for 2h48m"
    rate = "queue default: 34% of 412 jobs failed in the last 10m (above 20%)"
    beat = "worker batch-1.77: no heartbeat for 2m30s (above 1m00s)"
    late = "schedule nightly-report: the run due 2026-11-23 03:00 UTC is missed"
    emails = "queue emails: 25% of 12 jobs failed in the last 10m (above 20%)"
    old = "queue default: the oldest waiting job is 12m old (above 10m)"
    gone = "the rule is no longer configured"
    down = "HTTP 503 Service Unavailable"
    rows = [
        ("backlog", "backlog", "low", backlog, 9800, at(168), None, "", "ok", "ok"),
        ("failures", "failure-rate", "default", rate, 34.2, at(19), None, "", "sending", "ok"),
        ("heartbeat", "worker-heartbeat", "batch-1.77", beat, 150, at(41), at(38), "cleared", down, "ok"),
        ("late runs", "schedule-late", "nightly-report", late, 3700, at(535), at(470), "cleared", "ok", None),
        ("failures", "failure-rate", "emails", emails, 25.0, at(300), at(290), "cleared", "ok", None),
        ("old rule", "oldest-waiting", "default", old, 720, at(1500), at(1480), gone, None, None),
    ]
    with session_scope(sessions) as session:
        for rule, kind, subject, message, value, fired, resolved, resolution, webhook, email in rows:
            session.add(
                Alert(
                    rule=rule, kind=kind, subject=subject, message=message, value=value, fired_at=fired,
                    resolved_at=resolved, resolution=resolution,
                    open_key=None if resolved else f"{rule}/{subject}", webhook_outcome=webhook,
                    email_outcome=email,
                )
            )  # fmt: skip
