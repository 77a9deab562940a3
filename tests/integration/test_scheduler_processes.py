"""Two real scheduler processes on one Redis and one database (a SQLite file, then PostgreSQL), the
leader killed again and again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select

from queuetui.audit import Actor, Audit
from queuetui.daemon.lease import LEASE_KEY
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import Schedule, ScheduleRun
from queuetui.embedded import EmbeddedRedis
from queuetui.schedule.store import ScheduleStore
from tests.conftest import run_env, wait_for

SCHEDULES = 200
EVERY = 2  # seconds
KILLS = 3


def start(name: str, url: str, db_url: str, log_dir: Path) -> subprocess.Popen[bytes]:
    env = {**run_env(url), "QUEUETUI_DB_URL": db_url}
    log = (log_dir / f"{name}.log").open("wb")
    command = [sys.executable, "-m", "queuetui", "scheduler", "--instance", name, "--interval", "0.2"]
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
