"""`queuetui monitor`, `alerts`, `exporter`, and the sampler in `queuetui scheduler`: real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, SimpleWorker

from queuetui.db.engine import open_database
from queuetui.embedded import free_port
from queuetui.metrics.sampler import LEASE_KEY
from queuetui.metrics.series import FINE, read_queue
from tests import jobs
from tests.conftest import run_env, wait_for
from tests.integration.test_cli import queuetui
from tests.integration.test_metrics_alerts import Hooks


def start(tmp_path: Path, url: str, name: str, *args: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{name}.log").open("wb")
    command = [sys.executable, "-m", "queuetui", *args]
    return subprocess.Popen(command, env=run_env(url), stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def test_two_monitors_one_samples_and_alerts_fire_resolve_and_list(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    hooks = Hooks()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[alerts]\nwebhook_url = "{hooks.url}"\n'
        '[[alerts.rules]]\nname = "waiting"\nkind = "backlog"\nqueue = "emails"\nabove = 0\n'
    )
    db = ["--config", str(config), "--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    open_database(db[-1])  # migrated once, before two processes race to create it
    monitors = {
        name: start(tmp_path, redis_url, name, "monitor", "--interval", "0.2", "--instance", name, *db)
        for name in ("m1", "m2")
    }
    leader = ""
    try:
        leader = wait_for(lambda: conn.get(LEASE_KEY), message="a monitor to lead").decode().partition(":")[2]
        # Both running before anything is asked of them: on a busy machine the standby may still be
        # importing when the leader has fired and resolved, and a SIGTERM then ends it unhandled.
        wait_for(
            lambda: all(
                f"monitor {name} starting" in (tmp_path / f"{name}.log").read_text() for name in monitors
            ),
            message="both monitors to start",
        )
        emails = Queue("emails", connection=conn)
        emails.enqueue(jobs.add, 1, 1)
        wait_for(lambda: hooks.told(), message="the alert to fire")
        firing = queuetui("alerts", "--json", "--firing", *db, url=redis_url)
        assert firing.returncode == 0, firing.stderr
        (alert,) = json.loads(firing.stdout)["alerts"]
        assert (alert["rule"], alert["subject"], alert["state"]) == ("waiting", "emails", "firing")
        assert alert["message"] == "queue emails: 1 waiting, above 0"
        SimpleWorker([emails], connection=conn).work(burst=True)
        wait_for(lambda: len(hooks.told()) == 2, message="the alert to resolve")
        assert conn.get(LEASE_KEY).decode().partition(":")[2] == leader  # type: ignore[union-attr]
    finally:  # the standby first: stopped first, the leader would hand it the lease
        codes = [stop(monitors[name]) for name in sorted(monitors, key=lambda name: name == leader)]
        hooks.close()
    assert codes == [0, 0]
    assert hooks.told() == [("firing", "waiting", "emails"), ("resolved", "waiting", "emails")]
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("m1", "m2")}
    assert "sampling (lease" in logs[leader] and "Traceback" not in logs["m1"] + logs["m2"]
    assert all("sampling (lease" not in text for name, text in logs.items() if name != leader)
    listed = queuetui("alerts", *db, url=redis_url, env={**os.environ, "COLUMNS": "160"})
    assert listed.returncode == 0 and "queue emails: 1 waiting, above 0" in listed.stdout
    assert listed.stderr == "1 alerts, 0 firing\n"
    assert json.loads(queuetui("alerts", "--json", "--firing", *db, url=redis_url).stdout) == {"alerts": []}


def test_the_exporter_command_serves_metrics_until_stopped(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    q = Queue("default", connection=conn)
    for i in range(3):
        q.enqueue(jobs.add, i, i)
    port = free_port()
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    proc = start(tmp_path, redis_url, "exporter", "exporter", "--port", str(port), *db)
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(healthy, message="the exporter to answer")
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
        busy = queuetui("exporter", "--port", str(port), *db, url=redis_url)
    finally:
        code = stop(proc)
    assert code == 0
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("rq_jobs", (("queue", "default"), ("status", "queued")))] == q.count
    assert busy.returncode == 1 and busy.stderr.startswith(
        f"queuetui: error: cannot listen on 127.0.0.1:{port}"
    )
    assert busy.stderr.count("\n") == 1


def test_the_scheduler_process_samples_metrics_too(conn: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1)
    db = ["--db-url", f"sqlite:///{tmp_path / 'q.db'}"]
    proc = start(tmp_path, redis_url, "scheduler", "scheduler", "--instance", "s1", "--interval", "0.2", *db)
    try:
        wait_for(lambda: read_queue(conn, "default", 0, resolution=FINE), message="a sample")
        assert conn.get(LEASE_KEY).decode().endswith(":s1")  # type: ignore[union-attr]
    finally:
        assert stop(proc) == 0
    assert read_queue(conn, "default", 0)[-1].waiting == 1
    assert conn.get(LEASE_KEY) is None  # released on a clean stop
