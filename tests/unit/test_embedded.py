from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from queuetui.embedded import EmbeddedRedis, EmbeddedRedisError, find_redis_server


def answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 0)).ping())
    except redis.ConnectionError:
        return False


def test_start_stop_and_no_persistence() -> None:
    server = EmbeddedRedis().start()
    try:
        client = server.client()
        assert client.ping()
        assert client.config_get("save")["save"] == ""
        assert client.config_get("appendonly")["appendonly"] == "no"
        assert client.config_get("bind")["bind"] == "127.0.0.1"
    finally:
        server.stop()
    assert not answers(server.port)
    assert not server.data_dir.exists()
    server.stop()  # twice is fine


def test_restart_on_the_same_port_after_a_kill() -> None:
    with EmbeddedRedis() as server:
        server.kill()
        assert not answers(server.port)
        server.start()
        assert answers(server.port)


@pytest.mark.parametrize("how", ["sigkill", "exception", "exit"])
def test_no_orphan_server_when_the_parent_dies(how: str) -> None:
    ending = {
        "sigkill": "os.kill(os.getpid(), signal.SIGKILL)",
        "exception": "raise RuntimeError('parent crashed')",
        "exit": "sys.exit(3)",
    }[how]
    script = textwrap.dedent(f"""
        import os, signal, sys
        from queuetui.embedded import EmbeddedRedis
        server = EmbeddedRedis().start()
        print(server.port, flush=True)
        {ending}
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    proc.wait(10)
    deadline = time.monotonic() + 5
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not answers(port), f"redis-server on {port} outlived its parent ({how})"


def test_explicit_binary_must_exist() -> None:
    with pytest.raises(EmbeddedRedisError, match="not an executable"):
        find_redis_server("/nonexistent/redis-server")


def test_a_server_that_cannot_start_says_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with EmbeddedRedis() as first:
        clash = EmbeddedRedis(port=first.port, startup_timeout=5)
        with pytest.raises(EmbeddedRedisError, match="redis-server"):
            clash.start()
        clash.stop()
