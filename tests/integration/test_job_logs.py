"""Job logs: what `queuetui worker` keeps of a job's log records, and `queuetui jobs logs`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker

from queuetui.config import LogSettings
from queuetui.executor.joblog import CaptureHandler, LogWriter
from queuetui.executor.worker import build_worker
from queuetui.rqdata.logs import log_key, read_log
from tests import jobs
from tests.cli import queuetui
from tests.conftest import run_env, wait_for
from tests.workload import worker_process


def work(conn: redis.Redis, logs: LogSettings | None = None) -> None:
    build_worker(conn, ["default"], worker_class=SimpleWorker, logs=logs).work(
        burst=True, logging_level="CRITICAL"
    )


def test_three_lines_under_queuetui_worker_in_order(conn: redis.Redis, redis_url: str) -> None:
    job = Queue("default", connection=conn).enqueue(jobs.chatty, 3, job_id="chatty-1", result_ttl=600)
    with worker_process(redis_url, "default") as worker:
        worker.wait(30)
    assert job.get_status(refresh=True) == "finished"
    result = queuetui("jobs", "logs", "chatty-1", "--json", url=redis_url)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("INFO", "app.chatty", "line 1"),
        ("INFO", "app.chatty", "line 2"),
        ("INFO", "app.chatty", "line 3"),
    ]
    assert all(e["time"].endswith("Z") and "exception" not in e for e in entries)
    assert 590 <= conn.ttl(log_key("chatty-1")) <= 600  # the job's result_ttl, set as it ended


def test_ttl_follows_failure_ttl_and_forever(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.chatty_then_boom, job_id="boom-1", failure_ttl=4321)
    q.enqueue(jobs.chatty, 1, job_id="forever-1", result_ttl=-1)
    q.enqueue(jobs.chatty, 1, job_id="gone-1", result_ttl=0)
    work(conn)
    assert 4300 <= conn.ttl(log_key("boom-1")) <= 4321
    assert [e.message for e in read_log(conn, "boom-1").chunk.entries] == ["line 1", "line 2"]
    assert conn.ttl(log_key("forever-1")) == -1
    assert not conn.exists(log_key("gone-1"))  # result_ttl=0: RQ deletes the job, and its log goes too


def test_line_cap_keeps_the_newest_with_a_marker(conn: redis.Redis, redis_url: str) -> None:
    Queue("default", connection=conn).enqueue(jobs.chatty, 12, job_id="many-1")
    work(conn, LogSettings(max_lines=5))
    log = read_log(conn, "many-1")
    assert [e.message for e in log.chunk.entries] == [f"line {i}" for i in range(8, 13)]
    assert log.chunk.dropped == 7
    entries = json.loads(queuetui("jobs", "logs", "many-1", "--json", url=redis_url).stdout)
    assert entries[0]["level"] == "DROPPED" and entries[0]["dropped"] == 7
    text = queuetui("jobs", "logs", "many-1", url=redis_url).stdout.splitlines()
    assert text[0].startswith("… 7 earlier lines dropped") and text[1].endswith("app.chatty: line 8")


def test_byte_cap_and_a_second_run_carry_on(conn: redis.Redis) -> None:
    settings = LogSettings(max_lines=1000, max_bytes=2048)
    writer = LogWriter(conn, "bytes-1", settings, ttl=60)
    # (time, level, logger, message, exception): 313 bytes each, 6 fit in 2,048
    writer.write([(1.0, "INFO", "x", f"{i:03d}" + "m" * 297, "") for i in range(10)])
    log = read_log(conn, "bytes-1")
    assert [e.message[:3] for e in log.chunk.entries] == ["004", "005", "006", "007", "008", "009"]
    assert log.chunk.dropped == 4
    # A retry runs in a new work horse: its writer reads the stream once and carries the count on.
    again = LogWriter(conn, "bytes-1", settings, ttl=60)
    again.write([(1.0, "INFO", "x", "new" + "m" * 297, "")] * 2)
    log = read_log(conn, "bytes-1")
    assert [e.message[:3] for e in log.chunk.entries] == ["006", "007", "008", "009", "new", "new"]
    assert log.chunk.dropped == 6
    assert conn.xlen(log_key("bytes-1")) == 7  # one marker, however many times lines were dropped
    huge = LogWriter(conn, "bytes-2", settings, ttl=60)
    huge.write([(1.0, "INFO", "x", "h" * 100_000, "\ud800 lone surrogate")])
    (kept,) = read_log(conn, "bytes-2").chunk.entries
    assert len(kept.message.encode()) < 2048 and "[cut" in kept.message
    assert kept.exception == "\\ud800 lone surrogate"  # not valid UTF-8: kept escaped, not lost


def test_plain_rq_worker_leaves_no_log(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.chatty, 3, job_id="plain-1")
    SimpleWorker([q], connection=conn).work(burst=True, logging_level="CRITICAL")
    assert not conn.exists(log_key("plain-1"))
    result = queuetui("jobs", "logs", "plain-1", url=redis_url)
    assert result.returncode == 1
    assert "no log: run by a plain rq worker, or expired" in result.stderr


def test_hostile_text_is_shown_literally(conn: redis.Redis, redis_url: str) -> None:
    hostile = ["\x1b[31mred\x1b]52;c;Zm9v\x07", "[b]bold[/] [/] [link=x]", "bidi \u202e txt\nsecond line"]
    Queue("default", connection=conn).enqueue(jobs.say, *hostile, job_id="evil-log")
    work(conn)
    result = queuetui("jobs", "logs", "evil-log", url=redis_url)
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].endswith("app.say: \\x1b[31mred\\x1b]52;c;Zm9v\\x07")
    assert lines[1].endswith("app.say: [b]bold[/] [/] [link=x]")
    assert lines[2].endswith("app.say: bidi \\u202e txt\\nsecond line")
    assert lines[3].endswith("ERROR    app.say: lookup failed")
    assert lines[-1] == "    KeyError: 'gone'"
    data = json.loads(queuetui("jobs", "logs", "evil-log", "--json", url=redis_url).stdout)
    assert [e["message"] for e in data[:3]] == hostile  # JSON keeps exact data
    assert data[3]["exception"].endswith("KeyError: 'gone'")


def test_follow_prints_lines_as_the_job_writes_them(conn: redis.Redis, redis_url: str) -> None:
    Queue("default", connection=conn).enqueue(jobs.hold_logging, "test:release", job_id="held-1")
    with worker_process(redis_url, "default") as worker:
        wait_for(lambda: conn.exists(log_key("held-1")), message="the first line of held-1")
        follower = subprocess.Popen(
            [sys.executable, "-m", "queuetui", "jobs", "logs", "held-1", "-f"],
            env=run_env(redis_url),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert follower.stdout is not None
        assert follower.stdout.readline().endswith("app.hold: waiting for test:release\n")
        conn.set("test:release", 1)  # only now does the job go on to log its second line
        rest = follower.stdout.read()
        assert follower.wait(30) == 0
        worker.wait(30)
    assert rest.splitlines()[-1].endswith("app.hold: released")


def messages(conn: redis.Redis, job_id: str) -> list[tuple[str, str, str]]:
    return [(e.level, e.logger, e.message) for e in read_log(conn, job_id).chunk.entries]


def test_ring_and_stream_drops_add_up_in_one_marker(conn: redis.Redis) -> None:
    handler = CaptureHandler(LogWriter(conn, "ring-1", LogSettings(max_lines=3), ttl=60), logging.INFO)
    for i in (1, 2):
        handler.add(1.5, "INFO", "x", f"m{i}")
    handler.flush()
    for i in range(3, 8):  # 5 records in a ring of 3: m3 and m4 never reach Redis
        handler.add(1.5, "INFO", "x", f"m{i}")
    handler.flush()
    log = read_log(conn, "ring-1")
    assert [e.message for e in log.chunk.entries] == ["m5", "m6", "m7"]
    assert log.chunk.dropped == 4  # m1 and m2 trimmed from the stream, m3 and m4 from the ring
    assert log.chunk.entries[0].time.timestamp() == 1.5  # the record's own time, kept to the microsecond


def test_threads_logging_at_once_lose_nothing_and_count_exactly(conn: redis.Redis) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.log_from_threads, 4, 300, job_id="threads-all")
    work(conn, LogSettings(max_lines=2000))
    entries = read_log(conn, "threads-all").chunk.entries
    assert sorted(e.message for e in entries) == sorted(
        f"thread {n} line {i}" for n in range(4) for i in range(300)
    )
    for n in range(4):  # each thread's lines in the order it logged them
        mine = [e.message for e in entries if e.message.startswith(f"thread {n} ")]
        assert mine == [f"thread {n} line {i}" for i in range(300)]
    q.enqueue(jobs.log_from_threads, 4, 300, job_id="threads-capped")
    work(conn, LogSettings(max_lines=100))
    log = read_log(conn, "threads-capped")
    assert len(log.chunk.entries) == 100 and log.chunk.dropped == 1200 - 100
    assert len({e.message for e in log.chunk.entries}) == 100


def test_output_is_kept_with_capture_output(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[logs]\ncapture_output = true\n")
    Queue("default", connection=conn).enqueue(jobs.talk, 2, job_id="talk-1")
    env = {**run_env(redis_url), "QUEUETUI_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
    worker = subprocess.run(
        [sys.executable, "-m", "queuetui", "worker", "default", "--burst", "--logging-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr
    assert messages(conn, "talk-1") == [
        ("STDOUT", "stdout", "out 1"),
        ("STDOUT", "stdout", "out 2"),
        ("STDERR", "stderr", "err 1"),
        ("INFO", "app.talk", "logged"),
        ("STDOUT", "stdout", "no newline"),  # the last line, kept although never ended
    ]
    assert "out 1\nout 2\nno newline" in worker.stdout  # still written where it went
    assert "err 1\n" in worker.stderr


def test_without_scripting_the_writer_uses_pipelines(conn: redis.Redis, redis_url: str) -> None:
    # `queuetui worker` itself needs scripting (RQ's scheduler takes its lock with a script); a worker
    # built by build_worker and run without the scheduler does not, and its job logs go in pipelines.
    q = Queue("default", connection=conn)
    q.enqueue(jobs.chatty, 1005, job_id="piped-1", result_ttl=600)
    q.enqueue(jobs.say, "plain", job_id="piped-2", result_ttl=900)
    commands = ["+@all", "-@scripting"]
    conn.acl_setuser("noscript", enabled=True, nopass=True, keys=["*"], channels=["*"], commands=commands)
    try:
        with redis.Redis.from_url(redis_url.replace("redis://", "redis://noscript@")) as refused:
            with pytest.raises(redis.exceptions.NoPermissionError):
                refused.eval("return 1", 0)
            work(refused)
    finally:
        conn.acl_deluser("noscript")
    log = read_log(conn, "piped-1")
    assert [e.message for e in log.chunk.entries] == [f"line {i}" for i in range(6, 1006)]
    assert log.chunk.dropped == 5
    assert conn.xlen(log_key("piped-1")) == 1001  # one marker
    assert 590 <= conn.ttl(log_key("piped-1")) <= 600
    entries = read_log(conn, "piped-2").chunk.entries
    assert [(e.level, e.message) for e in entries] == [("WARNING", "plain"), ("ERROR", "lookup failed")]
    assert entries[1].exception.endswith("KeyError: 'gone'")
    assert 880 <= conn.ttl(log_key("piped-2")) <= 900


def test_each_worker_of_a_pool_keeps_its_jobs_logs(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    for n in range(4):
        q.enqueue(jobs.chatty, 3, f"job {n}", job_id=f"pooled-{n}", result_ttl=600)
    pool = subprocess.run(
        [sys.executable, "-m", "queuetui", "worker", "default", "--burst", "--pool", "2"],
        env=run_env(redis_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pool.returncode == 0, pool.stderr
    for n in range(4):
        assert messages(conn, f"pooled-{n}") == [("INFO", "app.chatty", f"job {n} {i}") for i in (1, 2, 3)]
        assert 590 <= conn.ttl(log_key(f"pooled-{n}")) <= 600
