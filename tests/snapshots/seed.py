"""Deterministic data for snapshot tests and README screenshots: fixed ids, fixed times."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from rq import Worker
from rq.job import Job
from rq.results import Result

from queuetui.clock import FrozenClock
from queuetui.rqdata import keys
from queuetui.rqdata.retrynote import META_KEY, Attempt, RetryNote

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
CLOCK = FrozenClock(NOW)
DISPLAY_URL = "redis://:secret@redis.prod.internal:6379/0"

QUEUES = {
    # name: (waiting, oldest enqueued_at, started, failed, scheduled, deferred, finished, canceled)
    "critical": (3, "2026-11-23T11:59:58.000000Z", 2, 0, 0, 0, 4210, 0),
    "high": (48, "2026-11-23T11:58:10.000000Z", 4, 17, 2, 0, 18930, 3),
    "default": (1250, "2026-11-23T11:45:00.000000Z", 6, 342, 25, 12, 55012, 8),
    "low": (9800, "2026-11-23T09:12:00.000000Z", 1, 5, 140, 3, 1200, 0),
    "emails": (0, "", 0, 1, 0, 0, 310, 0),
}
WORKERS = [
    (
        "app-1.4021",
        "app-1",
        4021,
        "busy",
        "critical,high,default,low",
        "job-critical-0",
        "2026-11-23T11:59:57.000000Z",
        1520,
        12,
        8123.5,
    ),
    (
        "app-1.4022",
        "app-1",
        4022,
        "busy",
        "critical,high,default,low",
        "job-default-0",
        "2026-11-23T11:59:55.000000Z",
        1498,
        9,
        8040.0,
    ),
    ("app-2.911", "app-2", 911, "idle", "default,low", None, "2026-11-23T11:59:59.000000Z", 702, 40, 3002.25),
    ("batch-1.77", "batch-1", 77, "busy", "low", "job-low-0", "2026-11-23T11:57:30.000000Z", 88, 1, 50231.0),
]


# Members PREFIX0..PREFIX(n-1), built inside Redis: a list's (RPUSH) or a registry's (ZADD, scores
# 1,900,000,000 + i). The same data as a pipeline of one command a member, without the client packing
# ~100,000 commands for every test that seeds.
_FILL = """
local key, prefix, n, zset = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3] == 'zset'
local batch = {}
local function flush()
  if #batch > 0 then
    redis.call(zset and 'ZADD' or 'RPUSH', key, unpack(batch))
    batch = {}
  end
end
for i = 0, n - 1 do
  if zset then batch[#batch + 1] = 1900000000 + i end
  batch[#batch + 1] = prefix .. i
  if #batch >= 4000 then flush() end
end
flush()
"""


def seed(conn: redis.Redis) -> None:
    """Fill Redis with the same queues, registries and workers every time."""
    conn.flushall()
    fill = conn.register_script(_FILL)
    pipe = conn.pipeline()
    for name, (waiting, oldest, started, failed, scheduled, deferred, finished, canceled) in QUEUES.items():
        pipe.sadd(keys.QUEUES_SET, keys.queue_key(name))
        fill(keys=[keys.queue_key(name)], args=[f"job-{name}-", waiting, "list"], client=pipe)
        if waiting:
            pipe.hset(keys.job_key(f"job-{name}-0"), mapping={"enqueued_at": oldest, "origin": name})
        for registry, n in (
            ("started", started),
            ("failed", failed),
            ("scheduled", scheduled),
            ("deferred", deferred),
            ("finished", finished),
            ("canceled", canceled),
        ):
            fill(
                keys=[keys.registry_key(name, registry)], args=[f"{registry}-{name}-", n, "zset"], client=pipe
            )
    pipe.execute()
    for name, host, pid, state, queues, job, beat, ok, bad, busy in WORKERS:
        worker = Worker(queues.split(","), connection=conn, name=name)
        worker.register_birth()
        conn.hset(
            worker.key,
            mapping={
                "birth": "2026-11-22T08:00:00.000000Z",
                "last_heartbeat": beat,
                "pid": pid,
                "hostname": host,
                "ip_address": "10.0.0.1",
                "state": state,
                "successful_job_count": ok,
                "failed_job_count": bad,
                "total_working_time": busy,
                "version": "3.0.0",
            },
        )
        if job:
            conn.sadd(keys.worker_executions_key(name), f"{job}:exec-{pid}")


def _at(seconds_before_now: float) -> datetime:
    return datetime.fromtimestamp(NOW.timestamp() - seconds_before_now, UTC)


FAILURES = [
    ("SMTPServerDisconnected", "Connection unexpectedly closed: 10.0.3.{n}:587"),
    ("TimeoutError", "timed out after {n}s"),
    ("KeyError", "'user_{n}'"),
]
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/.venv/lib/python3.12/site-packages/rq/job.py", line 1539, in _execute\n'
    "    result = self.func(*self.args, **self.kwargs)\n"
    '  File "/srv/app/app/mail.py", line 88, in send_email\n'
    "    smtp.send_message(message)\n"
    "smtplib.{type}: {message}\n"
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _note(i: int, failed_at: datetime) -> RetryNote | None:
    """What `queuetui worker` decided when failed job i failed: see FAILURES for its error."""
    at = _iso(failed_at)
    if i % 4 == 0:
        return None  # enqueued with a Retry of its own
    if i % 3 == 2:
        reason = "policy 'bug' never retries"
        return RetryNote("builtins.KeyError", f"'user_{i * 7}'", "", "bug", 1, 1, False, at, reason=reason)
    if i % 3 == 1:
        delays = [9, 22, 37, 84]
        history, moment = [], failed_at.timestamp() - sum(delays) - 4
        for attempt, delay in enumerate(delays, 1):
            when = _iso(datetime.fromtimestamp(moment, UTC))
            history.append(Attempt(attempt, "builtins.TimeoutError", when, delay))
            moment += delay + 1
        error, message = "builtins.TimeoutError", f"timed out after {i * 7}s"
        reason = "gave up after 5 attempts"
        return RetryNote(error, message, error, "transient", 5, 5, False, at, reason=reason, history=history)
    error, matched = "smtplib.SMTPServerDisconnected", "smtplib.SMTPException"
    reason = "gave up after 3 attempts"
    return RetryNote(error, "Connection unexpectedly closed", matched, "mail", 3, 3, False, at, reason=reason)


def _job(
    conn: redis.Redis,
    job_id: str,
    status: str,
    created: float,
    note: RetryNote | None = None,
    **fields: object,
) -> Job:
    n = int(job_id.rsplit("-", 1)[1])
    meta: dict[str, object] = {"tenant": "acme" if n % 2 else "globex"}
    if note is not None:
        meta[META_KEY] = note.to_meta()
    job = Job.create(
        "app.mail.send_email",
        args=(f"user{n}@example.com",),
        kwargs={"template": "welcome", "locale": "en"},
        id=job_id,
        connection=conn,
        origin="emails",
        meta=meta,
        timeout=60,
    )
    job.created_at = _at(created)
    job.enqueued_at = _at(created - 1)
    job._status = status
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def _result(conn: redis.Redis, job_id: str, at: datetime, worker: str, **outcome: object) -> None:
    """A stored result (failed when it has exc_string) whose stream id fixes its time at `at`."""
    kind = Result.Type.FAILED if "exc_string" in outcome else Result.Type.SUCCESSFUL
    result = Result(job_id, kind, connection=conn, worker_name=worker, **outcome)  # type: ignore[arg-type]
    conn.xadd(Result.get_key(job_id), result.serialize(), id=f"{int(at.timestamp() * 1000)}-0")


def seed_jobs(conn: redis.Redis) -> None:
    """Queue 'emails' with real RQ job hashes in every registry, at fixed ids and times."""
    conn.flushall()
    conn.sadd(keys.QUEUES_SET, keys.queue_key("emails"))
    for i in range(1, 31):
        _job(conn, f"email-{i:04d}", "queued", created=(31 - i) * 60)
        conn.rpush(keys.queue_key("emails"), f"email-{i:04d}")
    for i in range(1, 3):
        _job(conn, f"run-{i:04d}", "started", created=300, started_at=_at(75 * i), worker_name="app-1.4021")
        conn.zadd(keys.registry_key("emails", "started"), {f"run-{i:04d}:exec-{i}": NOW.timestamp() + 60})
    for i in range(1, 13):
        kind, message = FAILURES[i % 3]
        text = message.format(n=i * 7)
        _job(
            conn,
            f"fail-{i:04d}",
            "failed",
            created=7200 - i * 300,
            started_at=_at(7000 - i * 300),
            ended_at=_at(6990 - i * 300),
            worker_name="app-2.911",
            retries_left=2 if i % 4 == 0 else 0 if i % 3 != 2 else None,
            note=_note(i, _at(6990 - i * 300)),
        )
        conn.zadd(
            keys.registry_key("emails", "failed"), {f"fail-{i:04d}": _at(6990 - i * 300).timestamp() + 86400}
        )
        _result(
            conn,
            f"fail-{i:04d}",
            _at(6990 - i * 300),
            "app-2.911",
            exc_string=TRACEBACK.format(type=kind, message=text),
        )
    conn.hset(keys.job_key("fail-0012"), "data", b"\x00\xde\xad not a payload")
    conn.zadd(keys.registry_key("emails", "failed"), {"fail-gone": NOW.timestamp() + 86400 - 100})
    for i in range(1, 6):
        note = None
        if i <= 2:  # retries of a job that lost its connection, due in 10 and 20 minutes
            due = datetime.fromtimestamp(NOW.timestamp() + i * 600, UTC)
            note = RetryNote(
                "builtins.ConnectionResetError",
                "[Errno 104] Connection reset by peer",
                "builtins.ConnectionError",
                "transient",
                attempt=3 - i,
                max_attempts=5,
                retrying=True,
                at=_iso(_at(30)),
                delay=int((due - _at(30)).total_seconds()),
                next_at=_iso(due),
            )
        _job(
            conn,
            f"later-{i:04d}",
            "scheduled",
            created=600,
            note=note,
            retries_left=(1 + i) if note else None,
        )
        conn.zadd(keys.registry_key("emails", "scheduled"), {f"later-{i:04d}": NOW.timestamp() + i * 600})
    for i in range(1, 4):
        _job(conn, f"after-{i:04d}", "deferred", created=120 * i, _dependency_ids=["email-0001"])
        conn.zadd(keys.registry_key("emails", "deferred"), {f"after-{i:04d}": "+inf"})
        conn.sadd(Job.dependents_key_for("email-0001"), f"after-{i:04d}")
    for i in range(1, 21):
        _job(
            conn,
            f"done-{i:04d}",
            "finished",
            created=4000 - i * 100,
            started_at=_at(3990 - i * 100),
            ended_at=_at(3989.5 - i * 100),
            worker_name="app-1.4022",
        )
        conn.zadd(
            keys.registry_key("emails", "finished"),
            {f"done-{i:04d}": _at(3989.5 - i * 100).timestamp() + 500},
        )
        _result(conn, f"done-{i:04d}", _at(3989.5 - i * 100), "app-1.4022", return_value={"sent": True})
    for i in range(1, 3):
        _job(conn, f"stop-{i:04d}", "canceled", created=900, ended_at=_at(800))
        conn.zadd(keys.registry_key("emails", "canceled"), {f"stop-{i:04d}": NOW.timestamp() + 3600})


HOST_WORKERS = [
    # name, host, pid, state, heartbeat (s before now), (job id, function, started s before now) or None,
    # successful, failed, working seconds
    (
        "app-1.4021",
        "app-1",
        4021,
        "busy",
        12,
        ("job-report-7", "app.reports.build_report", 95),
        1520,
        12,
        8123.5,
    ),
    ("app-1.4022", "app-1", 4022, "idle", 180, None, 1498, 9, 8040.0),
    ("app-2.911", "app-2", 911, "busy", 4, ("job-mail-3", "app.mail.send_email", 4), 702, 40, 3002.25),
    ("app-2.912", "app-2", 912, "idle", 455, None, 655, 2, 2950.0),
    ("batch-1.77", "batch-1", 77, "busy", 20, ("job-etl-1", "app.etl.nightly_rollup", 7500), 88, 1, 50231.0),
    ("batch-1.78", "batch-1", 78, "suspended", 30, None, 12, 0, 950.0),
]
STALE_WORKER = "app-2.912"
"""Its key has 40 s left: its next heartbeat is late (RQ leaves 60 s or more at each beat)."""
DEAD_WORKER = "batch-1.80"
"""Still in the worker set, its key expired: it died without registering its death."""


def seed_workers(conn: redis.Redis) -> None:
    """Workers on three hosts written as RQ writes them: three busy, one late, one gone."""
    conn.flushall()
    for name, host, pid, state, beat, job, ok, bad, busy in HOST_WORKERS:
        queues = ["low"] if host == "batch-1" else ["critical", "high", "default"]
        worker = Worker(queues, connection=conn, name=name)
        worker.register_birth()
        conn.hset(
            worker.key,
            mapping={
                "birth": "2026-11-22T08:00:00.000000Z",
                "last_heartbeat": _at(beat).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "pid": pid,
                "hostname": host,
                "ip_address": "10.0.0.1",
                "state": state,
                "successful_job_count": ok,
                "failed_job_count": bad,
                "total_working_time": busy,
                "version": "3.0.0",
            },
        )
        if job is not None:
            job_id, func, started = job
            created = Job.create(
                func, args=(pid,), id=job_id, connection=conn, origin=queues[0], timeout=9000
            )
            created.created_at = created.enqueued_at = created.started_at = _at(started)
            created._status = "started"
            created.worker_name = name
            created.save()
            conn.sadd(keys.worker_executions_key(name), f"{job_id}:exec-{pid}")
    conn.expire(keys.WORKER_PREFIX + STALE_WORKER, 40)
    conn.sadd(keys.WORKERS_SET, keys.WORKER_PREFIX + DEAD_WORKER)
