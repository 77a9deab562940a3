"""The scheduler on a real Redis and a real SQLite file or PostgreSQL database: leadership,
exactly-once, misfires."""

from __future__ import annotations

import http.server
import json
import logging
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import redis
from click.testing import CliRunner
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import NullPool, create_engine, select, update
from sqlalchemy.engine import make_url

from queuetui.audit import Actor, Audit
from queuetui.cli import main
from queuetui.clock import FrozenClock
from queuetui.daemon.lease import LEASE_KEY, Lease, leader
from queuetui.db import engine as schedule_db
from queuetui.db.engine import DatabaseError, open_database, session_scope
from queuetui.db.models import Schedule, SchedulerFence, ScheduleRun
from queuetui.schedule import status
from queuetui.schedule.firing import Fire, Outcome, enqueue
from queuetui.schedule.scheduler import (
    PAUSE_KEY,
    PRUNE_EVERY,
    RECONCILE_EVERY,
    Scheduler,
    TickReport,
    _LeaseLost,
    backfill,
    fence,
    run_now,
)
from queuetui.schedule.store import ScheduleError, ScheduleStore
from tests.conftest import wait_for

START = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)


class Monotonic:
    """A monotonic clock the test moves, so lease expiry is decided by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env(db_url: str, conn: redis.Redis) -> tuple[ScheduleStore, FrozenClock]:
    sessions = open_database(db_url)
    clock = FrozenClock(START - timedelta(minutes=1))
    return ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock), clock


def scheduler(conn: redis.Redis, store: ScheduleStore, clock: FrozenClock, name: str) -> Scheduler:
    lease = Lease(conn, name, monotonic=Monotonic())
    return Scheduler(conn, store.sessions, instance=name, clock=clock, lease=lease)


def runs(store: ScheduleStore) -> list[tuple[str, str, str, str]]:
    with session_scope(store.sessions) as session:
        rows = session.scalars(select(ScheduleRun).order_by(ScheduleRun.fire_time, ScheduleRun.id))
        return [(r.fire_time.strftime("%H:%M"), r.trigger, r.state, r.reason) for r in rows]


def queued(conn: redis.Redis, queue: str = "default") -> list[str]:
    return [i.decode() for i in conn.lrange(f"rq:queue:{queue}", 0, -1)]


def test_only_the_leader_enqueues_and_each_fire_time_once(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, clock = env
    store.add("minutely", {"func": "tests.jobs:add", "cron": "* * * * *", "args": [1, 2]})
    a, b = scheduler(conn, store, clock, "a"), scheduler(conn, store, clock, "b")
    clock.advance(60)  # 12:00:30; the 12:00 fire time is due
    assert a.tick().enqueued == 1
    report = b.tick()
    assert not report.led and report.enqueued == 0
    assert queued(conn) == ["qt-1-20261123T120000Z"]
    assert conn.hget("rq:job:qt-1-20261123T120000Z", "status") == b"queued"
    assert conn.hget("rq:job:qt-1-20261123T120000Z", "origin") == b"default"

    # The lease changes hands while 'a' still believes it leads: Redis refuses a's enqueue.
    stale = a.lease.value
    conn.delete(LEASE_KEY)
    assert b.tick().led
    schedule = store.get("minutely")
    fire = Fire(schedule, datetime(2026, 11, 23, 12, 1, tzinfo=UTC))
    assert enqueue(conn, stale, fire, clock.now()) == Outcome.NOT_LEADER
    assert enqueue(conn, b.lease.value, fire, clock.now()) == Outcome.ENQUEUED
    assert enqueue(conn, b.lease.value, fire, clock.now()) == Outcome.DUPLICATE
    conn.delete("rq:job:qt-1-20261123T120100Z")  # finished and expired: still never again
    assert enqueue(conn, b.lease.value, fire, clock.now()) == Outcome.DUPLICATE
    assert Counter(queued(conn)) == {"qt-1-20261123T120000Z": 1, "qt-1-20261123T120100Z": 1}


@contextmanager
def another_writer(db_url: str) -> Iterator[None]:
    """Another process holding the write lock on the runs: SQLite's one for the file, a table lock
    that lets reads through on PostgreSQL."""
    if db_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(db_url).database or "")
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.rollback()
        holder.close()
        return
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE schedule_runs IN EXCLUSIVE MODE")
        yield
        connection.rollback()
    engine.dispose()


def test_a_failed_commit_is_retried_without_a_duplicate(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, clock = env
    monkeypatch.setattr(schedule_db, "BUSY_TIMEOUT_MS", 100)
    store.add("minutely", {"func": "tests.jobs:add", "cron": "* * * * *"})
    sched = scheduler(conn, store, clock, "a")
    store.sessions.kw["bind"].dispose()  # new connections get the short busy timeout
    clock.advance(60)
    with another_writer(db_url), pytest.raises(DatabaseError, match=r"lock.*\(another process holds"):
        sched.tick()
    assert queued(conn) == ["qt-1-20261123T120000Z"]  # enqueued before the commit failed
    assert runs(store) == []
    enqueued_at = clock.now()
    clock.advance(65)  # the lock held a while: 12:00 is now late (run-once would miss it) but was enqueued
    report = sched.tick()
    assert (report.enqueued, report.duplicates, report.recovered, report.missed) == (1, 0, 1, 0)
    assert runs(store) == [("12:00", "cron", "queued", ""), ("12:01", "cron", "queued", "")]
    with session_scope(store.sessions) as session:
        assert (
            session.scalars(select(ScheduleRun.enqueued_at).order_by(ScheduleRun.id)).first() == enqueued_at
        )
    assert queued(conn) == ["qt-1-20261123T120000Z", "qt-1-20261123T120100Z"]
    assert store.get("minutely").next_fire_at == datetime(2026, 11, 23, 12, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("policy", "enqueued", "catch_up"),
    [("catch-up", 5, ["11:56", "11:57", "11:58", "11:59"]), ("run-once", 1, []), ("skip", 1, [])],
)
def test_misfire_policies_after_an_outage(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], policy: str, enqueued: int, catch_up: list[str]
) -> None:
    store, clock = env
    clock.advance(-600)  # created at 11:49:30; no scheduler ran until 12:00:30
    store.add(
        "minutely", {"func": "tests.jobs:add", "cron": "* * * * *", "misfire": policy, "misfire_grace": 300}
    )
    clock.advance(660)
    report = scheduler(conn, store, clock, "a").tick()
    assert (report.enqueued, report.missed) == (enqueued, 11 - enqueued)
    recorded = runs(store)
    assert [r[0] for r in recorded if r[1] == "catch-up"] == catch_up
    assert recorded[-1] == ("12:00", "cron", "queued", "")
    assert ("11:50", "cron", "missed", "older than the misfire grace") in recorded
    assert len(queued(conn)) == enqueued


def test_snooze_pause_disable_and_overlap_take_effect_within_a_tick(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, clock = env
    store.add("snoozy", {"func": "tests.jobs:add", "cron": "* * * * *"})
    store.add("busy", {"func": "tests.jobs:add", "cron": "* * * * *", "overlap": "skip", "queue": "busy"})
    store.add("off", {"func": "tests.jobs:add", "cron": "* * * * *", "queue": "off"})
    store.snooze("snoozy", START + timedelta(seconds=30))
    store.set_enabled("off", False)
    sched = scheduler(conn, store, clock, "a")
    clock.advance(60)
    sched.tick()
    conn.set(PAUSE_KEY, "maintenance")
    clock.advance(30)
    assert sched.tick().paused
    conn.delete(PAUSE_KEY)
    clock.advance(30)  # 12:01:30
    sched.tick()
    with session_scope(store.sessions) as session:
        rows = session.execute(
            select(Schedule.name, ScheduleRun.fire_time, ScheduleRun.state, ScheduleRun.reason)
            .join(ScheduleRun.schedule)
            .order_by(Schedule.name, ScheduleRun.fire_time)
        ).all()
    summary = [(name, fire.strftime("%H:%M"), state, reason[:24]) for name, fire, state, reason in rows]
    assert summary == [
        ("busy", "12:00", "queued", ""),
        ("busy", "12:01", "skipped", "the previous run is stil"),
        ("snoozy", "12:00", "skipped", "snoozed until 2026-11-23"),
        ("snoozy", "12:01", "queued", ""),
    ]
    assert queued(conn, "off") == []


@pytest.mark.parametrize("first", ["tests.jobs:add", "tests.jobs:boom"])
def test_overlap_queue_defers_a_fire_time_behind_the_busy_previous_run(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], first: str
) -> None:
    store, clock = env
    store.add("chain", {"func": first, "cron": "* * * * *", "overlap": "queue", "queue": "chain",
                        "args": [1, 2] if first.endswith("add") else ["disk full"]})  # fmt: skip
    sched = scheduler(conn, store, clock, "a")
    clock.advance(60)  # 12:00 runs
    assert sched.tick().enqueued == 1
    clock.advance(60)  # 12:01 while 12:00 still waits in the queue: deferred behind it
    assert sched.tick().enqueued == 1
    first_id, second_id = "qt-1-20261123T120000Z", "qt-1-20261123T120100Z"
    assert queued(conn, "chain") == [first_id]
    assert conn.hget(f"rq:job:{second_id}", "status") == b"deferred"
    assert conn.zscore("rq:deferred:chain", second_id) is not None
    assert Job.fetch(second_id, connection=conn).dependency_ids == [first_id]

    # RQ's worker runs the first and then enqueues the second, whether the first finished or failed.
    SimpleWorker([Queue("chain", connection=conn)], connection=conn).work(burst=True)
    assert Job.fetch(second_id, connection=conn).get_status() == ("finished" if "add" in first else "failed")
    assert conn.zscore("rq:deferred:chain", second_id) is None

    # Nothing busy any more: the next fire time is queued directly.
    clock.advance(60)
    sched.tick()
    assert queued(conn, "chain") == ["qt-1-20261123T120200Z"]
    assert conn.hget("rq:job:qt-1-20261123T120200Z", "status") == b"queued"
    assert [state for _, _, state, _ in runs(store)] == ["queued", "queued", "queued"]


def test_run_outcomes_are_read_back_from_the_jobs(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, clock = env
    store.add("adds", {"func": "tests.jobs:add", "cron": "* * * * *", "args": [1, 2], "queue": "ok"})
    store.add(
        "fails", {"func": "tests.jobs:boom", "cron": "* * * * *", "args": ["disk full"], "queue": "bad"}
    )
    store.add("waits", {"func": "tests.jobs:add", "cron": "* * * * *", "args": [1, 2], "queue": "idle",
                        "misfire_grace": 120})  # fmt: skip
    store.add("gone", {"func": "tests.jobs:add", "cron": "* * * * *", "args": [1, 2], "queue": "gone"})
    sched = scheduler(conn, store, clock, "a")
    clock.advance(60)
    sched.tick()
    queues = [Queue("ok", connection=conn), Queue("bad", connection=conn)]
    SimpleWorker(queues, name="w" * 250, connection=conn).work(burst=True)  # longer than the column
    conn.delete("rq:job:qt-4-20261123T120000Z")
    clock.advance(150)  # the idle queue's run is now past its grace
    sched.lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
    assert sched.tick().outcomes == 4
    with session_scope(store.sessions) as session:
        rows = session.execute(
            select(Schedule.name, ScheduleRun)
            .join(ScheduleRun.schedule)
            .where(ScheduleRun.fire_time == START.replace(second=0))
        ).all()
    got = {
        name: (run.state, run.exception or run.reason, bool(run.duration is not None and run.worker))
        for name, run in rows
    }
    assert got == {
        "adds": ("finished", "", True),
        "fails": ("failed", "ValueError: disk full", True),
        "waits": ("late", "not started 120 s after its fire time", False),
        "gone": ("unknown", "job hash missing (expired or deleted)", False),
    }
    assert {run.worker for _, run in rows} == {"w" * 200, ""}


def test_a_schedule_broken_behind_the_stores_back_is_logged_and_the_others_fire(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = env
    store.add("broken", {"func": "tests.jobs:add", "cron": "* * * * *"})
    store.add("fine", {"func": "tests.jobs:add", "cron": "* * * * *"})
    with session_scope(store.sessions) as session:  # e.g. edited in SQL by hand
        session.execute(update(Schedule).where(Schedule.name == "broken").values(cron="61 * * * *"))
    sched = scheduler(conn, store, clock, "a")
    clock.advance(60)
    with caplog.at_level(logging.ERROR, logger="queuetui.scheduler"):
        report = sched.tick()
    assert report.enqueued == 1 and queued(conn) == ["qt-2-20261123T120000Z"]
    assert "schedule 'broken': " in caplog.text and "does not fire until it is edited" in caplog.text
    assert store.get("broken").next_fire_at is None
    store.edit("broken", {"cron": "*/5 * * * *"})  # fixing it brings it back
    assert store.get("broken").next_fire_at == START.replace(minute=5, second=0)


def test_an_edit_made_during_a_tick_wins_over_the_ticks_advance(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, _ = env
    store.add("edited", {"func": "tests.jobs:add", "cron": "* * * * *"})
    with session_scope(store.sessions) as session:
        read_by_tick = session.scalars(select(Schedule)).one()
        session.expunge(read_by_tick)
    store.edit("edited", {"cron": "0 9 * * *"})  # an operator, between the tick's read and its write
    with session_scope(store.sessions) as session:
        Scheduler._advance(session, [(read_by_tick, [START], START + timedelta(minutes=1))])
    after = store.get("edited")
    assert (after.cron, after.next_fire_at, after.version) == (
        "0 9 * * *",
        datetime(2026, 11, 24, 9, tzinfo=UTC),
        2,
    )


class Hooks:
    """A real HTTP endpoint on loopback that keeps what is POSTed to it; /broken answers 500."""

    def __init__(self) -> None:
        received: list[dict[str, object]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/broken":
                    self.send_response(500)
                else:
                    received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_webhooks_tell_of_failed_finished_and_late_runs_as_each_schedule_asks(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = env
    hooks = Hooks()
    try:
        every = {"cron": "* * * * *", "webhook_url": f"{hooks.url}/hook"}
        store.add("fails", {**every, "func": "tests.jobs:boom", "args": ["disk full"], "queue": "bad",
                            "notify_on_failure": True})  # fmt: skip
        store.add("adds", {**every, "func": "tests.jobs:add", "args": [1, 2], "queue": "ok",
                           "notify_on_success": True})  # fmt: skip
        store.add("quiet", {**every, "func": "tests.jobs:add", "args": [1, 2], "queue": "ok"})
        store.add("waits", {**every, "func": "tests.jobs:add", "args": [1, 2], "queue": "idle",
                            "misfire_grace": 120, "notify_on_late": True})  # fmt: skip
        store.add("down", {"cron": "* * * * *", "webhook_url": f"{hooks.url}/broken", "queue": "bad",
                           "func": "tests.jobs:boom", "notify_on_failure": True})  # fmt: skip
        sched = scheduler(conn, store, clock, "a")
        clock.advance(60)
        sched.tick()
        queues = [Queue(name, connection=conn) for name in ("ok", "bad")]
        SimpleWorker(queues, connection=conn).work(burst=True)
        clock.advance(150)  # the idle queue's run is now past its grace
        sched.lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
        with caplog.at_level(logging.ERROR, logger="queuetui.scheduler"):
            sched.tick()
            sched.notifier.close()
        got = sorted((h["schedule"], h["event"], h["exception"], h["job_id"]) for h in hooks.received)
        assert got == [
            ("adds", "finished", "", "qt-2-20261123T120000Z"),
            ("fails", "failed", "ValueError: disk full", "qt-1-20261123T120000Z"),
            ("waits", "late", "", "qt-4-20261123T120000Z"),
        ]
        assert sched.notifier.failed == 1
        assert "webhook http://127.0.0.1" in caplog.text and "HTTP 500" in caplog.text

        # A state is told once: the next reads change nothing and send nothing.
        sched.lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
        sched.tick()
        sched.notifier.close()
        assert len(hooks.received) == 3
    finally:
        hooks.server.shutdown()


def test_run_now_and_backfill_enqueue_once_each_with_their_trigger(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, clock = env
    store.add(
        "daily", {"func": "tests.jobs:add", "cron": "0 6 * * *", "timezone": "Europe/Rome", "args": [1, 2]}
    )
    now_id = run_now(conn, store.sessions, "daily", clock)
    assert now_id == "qt-1-run-now-20261123T115930Z"
    start, end = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 22, 23, tzinfo=UTC)
    ids = backfill(conn, store.sessions, "daily", start, end, kwarg="day", clock=clock)
    assert ids == [f"qt-1-backfill-202611{d}T050000Z" for d in (20, 21, 22)]  # 06:00 in Rome
    assert backfill(conn, store.sessions, "daily", start, end, kwarg="day", clock=clock) == ids
    assert queued(conn) == [now_id, *ids]  # the second backfill found them enqueued already
    job = Job.fetch(ids[0], connection=conn)
    assert job.kwargs == {"day": "2026-11-20T05:00:00+00:00"}
    assert job.meta["trigger"] == "backfill" and job.meta["fire_time"] == "2026-11-20T05:00:00+00:00"
    with pytest.raises(ScheduleError, match="narrow the range"):
        backfill(conn, store.sessions, "daily", start - timedelta(days=2000), end, clock=clock)
    assert [r[1] for r in runs(store)] == ["backfill"] * 3 + ["run-now"]


def test_history_keeps_the_last_runs_and_the_recent_days(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock]
) -> None:
    store, clock = env
    store.add("few", {"func": "tests.jobs:add", "cron": "* * * * *", "keep_runs": 2, "keep_days": None})
    store.add("recent", {"func": "tests.jobs:add", "cron": "* * * * *", "keep_runs": None, "keep_days": 1})
    sched = scheduler(conn, store, clock, "a")
    clock.advance(60)
    sched.tick()  # 12:00 for both; the prune pass ran first at this tick and found one run each
    for _ in range(3):
        clock.advance(60)
        sched.tick()
    clock.advance(86400)  # a day later, the 12:00..12:03 runs are older than a day
    store.set_enabled("few", False)
    store.set_enabled("recent", False)
    sched.lease.monotonic.now += PRUNE_EVERY  # type: ignore[attr-defined]
    assert sched.tick().pruned == 2 + 4
    assert [fire for fire, *_ in runs(store)] == ["12:02", "12:03"]  # the last two of "few"


@contextmanager
def fence_held(db_url: str) -> Iterator[Callable[[str], None]]:
    """Another transaction holding the fence row (PostgreSQL) or the write lock (SQLite); the callable
    writes a lease value into the fence and commits, as a newer leader's tick does."""
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("SELECT token FROM scheduler_fence FOR UPDATE")

        def write(value: str) -> None:
            token = int(value.split(":")[0])
            connection.execute(update(SchedulerFence).values(token=token, holder=value))
            connection.commit()

        yield write
        connection.rollback()
    engine.dispose()


def test_a_deposed_leaders_database_writes_are_refused_and_its_enqueues_recorded_by_the_next(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, clock = env
    store.add("minutely", {"func": "tests.jobs:add", "cron": "* * * * *", "misfire": "skip"})
    a, b = scheduler(conn, store, clock, "a"), scheduler(conn, store, clock, "b")
    clock.advance(60)
    assert a.tick().enqueued == 1  # 12:00, under token 1
    clock.advance(60)  # 12:01:30
    outcome: list[object] = []
    with fence_held(db_url) as newer_leader_writes:
        # a enqueues 12:01 in Redis, then its write waits behind the fence (PostgreSQL) or is refused
        # at once (SQLite: the write lock is taken); meanwhile the lease goes to b, whose write lands.
        thread = threading.Thread(target=lambda: outcome.append(_attempt(a.tick)))
        thread.start()
        wait_for(lambda: "qt-1-20261123T120100Z" in queued(conn), message="a's enqueue")
        enqueued_at = clock.now()
        conn.delete(LEASE_KEY)
        assert b.lease.acquire_or_renew()
        newer_leader_writes(b.lease.value)
        thread.join(10)
    (result,) = outcome
    assert isinstance(result, DatabaseError) or (isinstance(result, TickReport) and result.lost_lease)
    assert runs(store) == [("12:00", "cron", "queued", "")]  # a changed nothing
    assert store.get("minutely").next_fire_at == datetime(2026, 11, 23, 12, 1, tzinfo=UTC)

    clock.advance(65)  # b's first tick, 12:02:35: 12:01 is late, but a enqueued it in time
    report = b.tick()
    assert (report.recovered, report.enqueued, report.missed, report.duplicates) == (1, 1, 0, 0)
    assert runs(store)[1:] == [("12:01", "cron", "queued", ""), ("12:02", "cron", "queued", "")]
    with session_scope(store.sessions) as session:
        recorded = session.scalar(select(ScheduleRun.enqueued_at).where(ScheduleRun.job_id.endswith("0100Z")))
        fence_row = session.get(SchedulerFence, "scheduler")
        assert fence_row is not None and (fence_row.token, fence_row.holder) == (2, b.lease.value)
    assert recorded == enqueued_at
    assert Counter(queued(conn)) == Counter(f"qt-1-20261123T12{m}00Z" for m in ("00", "01", "02"))
    assert not a.tick().led  # and Redis tells a so
    with session_scope(store.sessions) as session, pytest.raises(_LeaseLost):  # a's old token, refused
        fence(session, "1:a", clock.now())


def _attempt(call: Callable[[], object]) -> object:
    try:
        return call()
    except DatabaseError as exc:
        return exc


def test_a_leader_whose_database_stalls_logs_it_once_steps_down_and_the_other_leads(
    conn: redis.Redis, env: tuple[ScheduleStore, FrozenClock], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = ScheduleStore(env[0].sessions, Audit(env[0].sessions, actor=Actor("ops", "local")))  # real time
    store.add("every-second", {"func": "tests.jobs:add", "cron": "* * * * * *"})
    stop = threading.Event()
    made = {
        name: Scheduler(
            conn, store.sessions, instance=name, lease_ttl=0.6, standby_poll=0.05, db_stall_limit=1.0
        )
        for name in ("a", "b")
    }
    threads = [threading.Thread(target=s.run, args=(stop, 0.1)) for s in made.values()]
    try:
        with caplog.at_level(logging.INFO, logger="queuetui.scheduler"):
            threads[0].start()
            wait_for(lambda: "leading (lease" in caplog.text, message="a to lead")
            threads[1].start()
            wait_for(lambda: "standing by" in caplog.text, message="b to stand by")
            with another_writer(db_url):
                wait_for(lambda: "stepping down" in caplog.text, message="a to step down")
                wait_for(lambda: leader(conn).endswith(":b"), message="b to lead")
            recorded_late = re.compile(r"database recovered|recorded [1-9]")  # by a, or b's first ticks
            wait_for(
                lambda: recorded_late.search(caplog.text), message="the fire times enqueued to be recorded"
            )
            state = status.read(conn, store.sessions)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    lines = [r.getMessage() for r in caplog.records if r.name == "queuetui.scheduler"]
    assert sum("database stalled" in line for line in lines) <= 2  # once per instance that led
    assert sum("stepping down" in line for line in lines) >= 1
    assert "Logging error" not in caplog.text
    assert {i["instance"] for i in state["instances"]} == {"a", "b"}
    assert state["leader"]["instance"] in ("a", "b") and state["database"]["fence_token"] >= 1
    ids = queued(conn)
    assert ids and max(Counter(ids).values()) == 1
    with session_scope(store.sessions) as session:
        recorded = dict(session.execute(select(ScheduleRun.job_id, ScheduleRun.state)).all())
    assert set(ids) <= set(recorded) and "missed" not in recorded.values()


def test_scheduler_status_names_the_leader_its_token_and_each_instance(
    conn: redis.Redis, redis_url: str, env: tuple[ScheduleStore, FrozenClock], db_url: str
) -> None:
    store, _ = env
    stop = threading.Event()
    running = Scheduler(conn, store.sessions, instance="solo\x1b[31m", lease_ttl=0.6, standby_poll=0.05)
    thread = threading.Thread(target=running.run, args=(stop, 0.1))
    thread.start()
    try:
        wait_for(lambda: conn.exists(status.HEARTBEAT_PREFIX + "solo\x1b[31m") and running.lease.held)
        wait_for(
            lambda: json.loads(conn.get(status.HEARTBEAT_PREFIX + "solo\x1b[31m") or "{}").get("last_tick")
        )
        runner = CliRunner()
        shown = runner.invoke(main, ["scheduler", "status", "--json", "-u", redis_url, "--db-url", db_url])
        text = runner.invoke(main, ["scheduler", "status", "-u", redis_url, "--db-url", db_url])
    finally:
        stop.set()
        thread.join(10)
    assert shown.exit_code == 0, shown.output
    state = json.loads(shown.output)
    assert state["leader"]["instance"] == "solo\x1b[31m" and state["leader"]["token"] == 1
    assert state["leader"]["since"] and state["leader"]["last_tick"]
    assert [(i["instance"], i["role"]) for i in state["instances"]] == [("solo\x1b[31m", "leading")]
    assert state["database"]["lag"] == 0
    assert text.exit_code == 0 and "leader      solo\\x1b[31m (token 1)" in text.output
    assert "\x1b" not in text.output
    assert not conn.exists(status.HEARTBEAT_PREFIX + "solo\x1b[31m")  # a clean stop removes it
