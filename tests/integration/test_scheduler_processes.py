"""Two real scheduler processes on one Redis and one database (a SQLite file, then PostgreSQL), the
leader killed again and again."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import NullPool, create_engine, select
from sqlalchemy.engine import make_url

from queuetui.audit import Actor, Audit
from queuetui.daemon.lease import LEASE_KEY
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.embedded import EmbeddedRedis
from queuetui.schedule.firing import FIRED_PREFIX
from queuetui.schedule.store import ScheduleStore
from tests.conftest import run_env, wait_for

SCHEDULES = 200
EVERY = 2  # seconds
KILLS = 3


def start(
    name: str, url: str, db_url: str, log_dir: Path, flags: list[str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**run_env(url), "QUEUETUI_DB_URL": db_url}
    log = (log_dir / f"{name}.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "queuetui",
        "scheduler",
        "--instance",
        name,
        "--interval",
        "0.2",
        *(flags or []),
    ]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def leader(conn: redis.Redis) -> str:
    value = conn.get(LEASE_KEY)
    return value.decode().split(":", 1)[1] if value else ""


def test_killing_the_leader_loses_and_duplicates_nothing(
    conn: redis.Redis, redis_url: str, db_url: str, tmp_path: Path
) -> None:
    sessions = open_database(db_url)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("test", "local")))
    for i in range(SCHEDULES):
        store.add(
            f"s{i:03d}", {"func": "tests.jobs:add", "cron": f"*/{EVERY} * * * * *", "misfire": "catch-up"}
        )
    created = datetime.now(UTC)
    procs = {name: start(name, redis_url, db_url, tmp_path) for name in ("s0", "s1")}
    killed = []
    try:
        for kill in range(KILLS):
            wait_for(lambda: leader(conn) in procs, timeout=20, message="a scheduler to lead")
            time.sleep(4)
            victim = leader(conn)
            killed.append(victim)
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            del procs[victim]
            name = f"s{kill + 2}"
            procs[name] = start(name, redis_url, db_url, tmp_path)
        wait_for(lambda: leader(conn) in procs, timeout=20, message="a scheduler to lead after the last kill")
        time.sleep(4)
        cutoff = datetime.now(UTC) - timedelta(seconds=2)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=30)

    ids = [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]
    assert ids and max(Counter(ids).values()) == 1, "a fire time was enqueued twice"
    with session_scope(sessions) as session:
        rows = session.execute(
            select(Schedule.name, ScheduleRun.fire_time, ScheduleRun.state, ScheduleRun.job_id).join(
                ScheduleRun.schedule
            )
        ).all()
    assert {state for _, _, state, _ in rows} == {"queued"}
    assert sorted(job for *_, job in rows) == sorted(ids)
    first = created.replace(microsecond=0) + timedelta(seconds=1)
    expected = [first + timedelta(seconds=s) for s in range(int((cutoff - first).total_seconds()) + 1)]
    expected = [t for t in expected if t.second % EVERY == 0]
    fired: dict[str, set[datetime]] = {}
    for name, fire_time, _, _ in rows:
        fired.setdefault(name, set()).add(fire_time)
    missing = {name: [t for t in expected if t not in fired.get(name, set())] for name in store_names(store)}
    assert not any(missing.values()), f"missed fire times: {sum(map(len, missing.values()))}"
    assert len(set(killed)) == KILLS and len(expected) >= 8  # three leaders died mid-run
    assert len(ids) >= SCHEDULES * len(expected)


def store_names(store: ScheduleStore) -> list[str]:
    return [s.name for s in store.schedules()]


def test_a_redis_restart_mid_run_duplicates_and_loses_no_fire_time(
    own_server: EmbeddedRedis, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'q.db'}"
    sessions = open_database(db_url)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("test", "local")))
    for i in range(20):
        store.add(f"r{i:02d}", {"func": "tests.jobs:add", "cron": f"*/{EVERY} * * * * *"})
    created = datetime.now(UTC)
    proc = start("solo", own_server.url, db_url, tmp_path)
    try:
        conn = own_server.client()
        wait_for(lambda: conn.llen("rq:queue:default") > 0, timeout=20, message="the first jobs")
        own_server.kill()  # a crash: no persistence here, so Redis comes back empty
        time.sleep(3)
        own_server.start()
        conn = own_server.client()
        wait_for(lambda: conn.llen("rq:queue:default") > 0, timeout=20, message="jobs after the restart")
        time.sleep(3)
        cutoff = datetime.now(UTC) - timedelta(seconds=2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = (tmp_path / "solo.log").read_text()
    assert "Redis: " in log and "Traceback" not in log
    ids = [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]
    assert max(Counter(ids).values()) == 1
    with session_scope(sessions) as session:
        rows = session.execute(select(Schedule.name, ScheduleRun.fire_time).join(ScheduleRun.schedule)).all()
    assert len(rows) == len(set(rows))
    first = created.replace(microsecond=0) + timedelta(seconds=1)
    expected = {first + timedelta(seconds=s) for s in range(int((cutoff - first).total_seconds()) + 1)}
    expected = {t for t in expected if t.second % EVERY == 0}
    fired = {fire for name, fire in rows if name == "r00"}
    assert expected <= fired, f"missed: {sorted(expected - fired)}"
    assert set(ids) <= {job for job in _job_ids(sessions)}


def _job_ids(sessions: Any) -> list[str]:
    with session_scope(sessions) as session:
        return list(session.scalars(select(ScheduleRun.job_id)))


CHAOS_FLAGS = ["--lease-ttl", "1", "--standby-poll", "0.1", "--db-stall-limit", "3", "--late-after", "6"]
LOCK_SECONDS = 9  # longer than --late-after: recorded only after the lock, the fire times are late by then


@contextmanager
def database_locked(db_url: str) -> Iterator[None]:
    """Another process holding the database's write lock (readers still read), as in the chaos runs."""
    if db_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(db_url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE scheduler_fence IN EXCLUSIVE MODE")  # every leader write waits
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def test_a_paused_leader_and_a_locked_database_duplicate_lose_and_misrecord_nothing(
    conn: redis.Redis, redis_url: str, db_url: str, tmp_path: Path
) -> None:
    sessions = open_database(db_url)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("test", "local")))
    for i in range(20):  # 'skip': a fire time judged late would be recorded missed
        store.add(f"c{i:02d}", {"func": "tests.jobs:add", "cron": "* * * * * *", "misfire": "skip"})
    created = datetime.now(UTC)
    procs = {name: start(name, redis_url, db_url, tmp_path, CHAOS_FLAGS) for name in ("s0", "s1")}
    try:
        wait_for(lambda: leader(conn) in procs, timeout=20, message="a scheduler to lead")
        wait_for(lambda: conn.llen("rq:queue:default") >= 40, message="two seconds of fire times")
        paused = leader(conn)
        procs[paused].send_signal(signal.SIGSTOP)  # past its lease: the other takes over meanwhile
        wait_for(lambda: leader(conn) not in ("", paused), message="the standby to take over")
        before = conn.llen("rq:queue:default")
        wait_for(lambda: conn.llen("rq:queue:default") >= before + 40, message="the new leader's fire times")
        procs[paused].send_signal(signal.SIGCONT)  # it resumes believing, for a moment, that it leads
        with database_locked(db_url):
            locked = conn.llen("rq:queue:default")
            wait_for(
                lambda: conn.llen("rq:queue:default") >= locked + 40, message="fire times during the lock"
            )
            time.sleep(LOCK_SECONDS - 2)  # the stall itself: the lock is held this long
        cutoff = datetime.now(UTC)
        first = created.replace(microsecond=0) + timedelta(seconds=1)
        expected = {first + timedelta(seconds=s) for s in range(int((cutoff - first).total_seconds()) + 1)}
        wait_for(
            lambda: expected <= _fire_times(sessions, "c19"), timeout=20, message="the history to catch up"
        )
        wait_for(lambda: set(queued_ids(conn)) <= set(_job_ids(sessions)), message="every enqueue recorded")
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=30)

    ids = queued_ids(conn)
    assert max(Counter(ids).values()) == 1, "a fire time was enqueued twice"
    with session_scope(sessions) as session:
        rows = session.execute(
            select(Schedule.name, ScheduleRun.fire_time, ScheduleRun.state, ScheduleRun.job_id).join(
                ScheduleRun.schedule
            )
        ).all()
    missed = [job for *_, state, job in rows if state == "missed"]
    assert not [job for job in missed if conn.exists(FIRED_PREFIX + job)], "recorded missed, yet enqueued"
    assert {job for *_, state, job in rows if state != "missed"} == set(ids)
    for name in (f"c{i:02d}" for i in range(20)):
        recorded = {fire for n, fire, _, _ in rows if n == name}
        assert expected <= recorded, f"{name}: not in the history: {sorted(expected - recorded)[:3]}"
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("s0", "s1")}
    for name, text in logs.items():
        assert "Logging error" not in text and "Traceback" not in text, f"{name}:\n{text[-3000:]}"
    assert all("leading (lease" in text for text in logs.values())  # both led: before and after the pause
    assert any("database stalled" in text for text in logs.values())


def queued_ids(conn: redis.Redis) -> list[str]:
    return [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]


def _fire_times(sessions: Any, name: str) -> set[datetime]:
    with session_scope(sessions) as session:
        query = select(ScheduleRun.fire_time).join(ScheduleRun.schedule).where(Schedule.name == name)
        return set(session.scalars(query))
