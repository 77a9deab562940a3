"""The `queuetui` command as a user runs it: real processes, real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker

from queuetui.embedded import free_port
from tests import jobs
from tests.cli import queuetui
from tests.conftest import run_env, wait_for


def queuetui_process(
    *args: str, url: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m queuetui ARGS` as a process of its own: for the worker, which forks."""
    env = run_env(url) if url else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "queuetui", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_stats_json_shape_and_numbers(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 2)
    q.enqueue(jobs.boom)
    SimpleWorker([q], connection=conn).work(burst=True)
    q.enqueue(jobs.add, 1, 2)
    result = queuetui("stats", "--json", url=redis_url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (queue,) = data["queues"]
    assert {
        k: queue[k]
        for k in ("name", "waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled")
    } == {
        "name": "default",
        "waiting": 1,
        "started": 0,
        "failed": 1,
        "scheduled": 0,
        "deferred": 0,
        "finished": 1,
        "canceled": 0,
    }
    assert queue["oldest_waiting_seconds"] >= 0
    assert data["workers"] == []


def test_stats_table_and_url_flag(conn: redis.Redis, redis_url: str) -> None:
    Queue("emails", connection=conn).enqueue(jobs.add, 1, 2)
    result = queuetui("stats", "-u", redis_url)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:3] == ["queue", "waiting", "started"]
    assert row.split()[:2] == ["emails", "1"]
    assert "no workers" in result.stdout


def test_invalid_url_is_a_one_line_error() -> None:
    result = queuetui("stats", "-u", "http://localhost:6379")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("queuetui: error: invalid Redis URL")


def test_unreachable_redis_is_a_one_line_error() -> None:
    port = free_port()
    result = queuetui("stats", url=f"redis://:hunter2@127.0.0.1:{port}/0")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "cannot reach Redis" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_unknown_config_key_is_rejected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text('colour = "blue"\n')
    result = queuetui("--config", str(cfg), "stats")
    assert result.returncode == 2
    assert "unknown key 'colour'" in result.stderr


def test_a_bad_keys_entry_stops_the_console_before_it_starts(tmp_path, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    """Textual ignores a keymap id no binding has, and a key it never sends: the config names the entry."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\n"jobs.retyr" = "ctrl+r"\n')
    result = subprocess.run(
        [sys.executable, "-m", "queuetui", "--config", str(cfg)],
        env=run_env(redis_url), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"queuetui: error: {cfg}: keys.jobs.retyr: no key binding has this id (did you mean jobs.retry, "
    )
    assert result.stderr.count("\n") == 1
    cfg.write_text('[keys]\n"jobs.retry" = "ctrl+r,esc"\n')
    served = queuetui("--config", str(cfg), "serve", "--port", "1")
    assert served.returncode == 2 and "keys.jobs.retry: 'esc' is not a key name" in served.stderr


def test_worker_runs_strict_priority_order(conn: redis.Redis, redis_url: str) -> None:
    for name in ("low", "default", "high", "critical"):  # enqueued lowest first
        for i in range(3):
            Queue(name, connection=conn).enqueue(jobs.record, f"{name}-{i}")
    result = queuetui_process("worker", "--burst", url=redis_url)
    assert result.returncode == 0, result.stderr
    order = [tag.decode() for tag in conn.lrange("test:order", 0, -1)]
    assert [tag.split("-")[0] for tag in order] == ["critical"] * 3 + ["high"] * 3 + ["default"] * 3 + [
        "low"
    ] * 3


def test_worker_pool_processes_everything(conn: redis.Redis, redis_url: str) -> None:
    q = Queue("default", connection=conn)
    q.enqueue_many([Queue.prepare_data(jobs.record, (f"job-{i}",)) for i in range(20)])
    result = queuetui_process("worker", "default", "--burst", "--pool", "2", url=redis_url, timeout=120)
    assert result.returncode == 0, result.stderr
    assert conn.llen("test:order") == 20


def test_worker_on_unreachable_redis_is_a_one_line_error() -> None:
    result = queuetui_process("worker", "--burst", url=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert "cannot reach Redis" in result.stderr and "Traceback" not in result.stderr


def test_demo_backend_fills_every_pane_and_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "demo", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "Redis at redis://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split("Redis at ", 1)[1].strip()
        client = redis.Redis.from_url(url)

        def every_registry_alive() -> bool:
            data = json.loads(queuetui("stats", "--json", url=url).stdout)
            totals = {
                k: sum(q[k] for q in data["queues"])
                for k in ("started", "failed", "scheduled", "deferred", "finished", "canceled")
            }
            groups = client.scard("rq:groups")
            return all(totals.values()) and len(data["workers"]) == 2 and groups > 0

        wait_for(every_registry_alive, timeout=60, interval=1, message="every registry to fill")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()  # its workers and scheduler follow it (they die with their parent)
    _none_left(url)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT], ids=["sighup", "sigint-ignored-at-start"])
def test_a_dropped_session_sighup_ends_the_demo_and_removes_its_directory(sig: signal.Signals) -> None:
    """SIGHUP (the SSH session gone) stops the demo as Ctrl-C does: no process left, no temporary dir.
    So does SIGINT when the demo was started with it ignored, as a script's background job is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "demo", "--no-console"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_ignore_sigint if sig == signal.SIGINT else None,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        url = lines[0].split("Redis at ", 1)[1].strip()
        folder = Path(lines[3].split("logs:", 1)[1].strip())
        client = redis.Redis.from_url(url)
        wait_for(lambda: client.scard("rq:workers") == 2, message="both workers to register")
        assert folder.is_dir()
        proc.send_signal(sig)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not folder.exists()
    _none_left(url)


def _none_left(url: str) -> None:
    """No process the demo on `url` started is left. The demo kills them (SIGKILL) and waits for its
    own children; a work horse they forked goes once the kernel has finished it, a moment later."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    def none_left() -> bool:
        found = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}|--redis-url {url}"], capture_output=True)
        return found.stdout == b""

    wait_for(none_left, timeout=5, interval=0.1, message="the demo's processes to be gone")


def test_a_refused_command_is_a_one_line_error(redis_url: str) -> None:
    """Redis answers, but refuses: here a database number the server does not have."""
    result = queuetui("stats", url=redis_url.rsplit("/", 1)[0] + "/99")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "DB index is out of range" in result.stderr
