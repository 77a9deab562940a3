"""Redis Sentinel: the master SIGKILLed, the replica promoted, and queuetui following it by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from rq import Queue

from queuetui.rqdata.connection import connect
from tests import jobs
from tests.cli import queuetui
from tests.conftest import wait_for
from tests.sentinel import SentinelGroup, sentinel_group


@pytest.fixture
def group() -> Iterator[SentinelGroup]:
    with sentinel_group() as started:
        yield started


def _stats(url: str) -> dict[str, int]:
    result = queuetui("stats", "-u", url, "--json")
    assert result.returncode == 0, result.stderr
    return {q["name"]: q["waiting"] for q in json.loads(result.stdout)["queues"]}


def test_cli_and_worker_follow_a_failover(group: SentinelGroup) -> None:
    client = connect(group.url)
    queue = Queue("default", connection=client)
    queue.enqueue(jobs.add, 1, 2)
    assert _stats(group.url) == {"default": 1}
    worker = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "worker", "-u", group.url, "default"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: not client.llen("rq:queue:default"), message="the worker to take the first job")
        client.wait(1, 2000)  # the replica has everything before the master dies
        group.master.kill()
        wait_for(
            lambda: group.master_port() == group.replica.port, timeout=20, message="the replica's promotion"
        )
        assert _stats(group.url) == {"default": 0}
        job = queue.enqueue(jobs.add, 2, 3)  # the same client, now on the promoted replica

        def done() -> bool:
            try:
                return job.get_status(refresh=True) == "finished"
            except redis.ConnectionError:
                return False

        wait_for(done, timeout=30, message="the worker to run a job on the promoted replica")
        assert worker.poll() is None
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err.decode()[-3000:]


def test_sentinel_url_errors_are_one_line(group: SentinelGroup) -> None:
    wrong = group.url.replace("/mymaster/", "/othermaster/")
    result = queuetui("stats", "-u", wrong)
    assert result.returncode == 1
    assert "no master from the Sentinels" in result.stderr and "Traceback" not in result.stderr
    bad = queuetui("stats", "-u", "redis+sentinel://127.0.0.1:1,127.0.0.1:x/mymaster")
    assert bad.returncode == 2 and "is not a port number" in bad.stderr
