"""Start and stop everything the demo runs: embedded Redis, worker processes, the scheduler with
its schedule database (a SQLite file beside Redis's data) and alert rules, and the workload."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from queuetui.config import AlertSettings, load_settings
from queuetui.db.engine import open_database
from queuetui.demo.schedules import seed
from queuetui.demo.workload import Workload
from queuetui.embedded import EmbeddedRedis, die_with_parent
from queuetui.rqdata.connection import connect

# Rules the demo's workload trips: its default queue backs up, and its card charges fail often.
DEMO_CONFIG = """\
[[alerts.rules]]
name = "default-backlog"
kind = "backlog"
queue = "default"
above = 50
for = "1m"

[[alerts.rules]]
name = "critical-failures"
kind = "failure-rate"
queue = "critical"
above = 10
window = "5m"
min_jobs = 20

[[alerts.rules]]
name = "workers"
kind = "worker-heartbeat"
"""


class DemoBackend:
    def __init__(self, workers: int = 2, redis_server: str | None = None, interval: float = 1.0) -> None:
        self.server = EmbeddedRedis(binary=redis_server)
        self.worker_count = workers
        self.interval = interval
        self.workers: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def log_dir(self) -> Path:
        return self.server.data_dir

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.log_dir / 'schedules.db'}"

    @property
    def config_path(self) -> Path:
        """The demo's config file (its alert rules), read by its scheduler, workers and console."""
        return self.log_dir / "demo.toml"

    def alerts(self) -> AlertSettings:
        return load_settings(path=self.config_path).alerts

    def start(self) -> DemoBackend:
        """Start the server, the workers and the workload; on any failure stop what started."""
        try:
            self.server.start()
            self.config_path.write_text(DEMO_CONFIG)
            seed(open_database(self.db_url))
            for i in range(self.worker_count):
                self.workers.append(
                    self._spawn(f"worker-{i + 1}", "worker", "--name", f"demo-{i + 1}.{os.getpid()}")
                )
            self.workers.append(self._spawn("scheduler", "scheduler", "--db-url", self.db_url))
            workload = Workload(connect(self.url))
            self._thread = threading.Thread(
                target=workload.run, args=(self._stop, self.interval), name="demo-workload", daemon=True
            )
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, log_name: str, *command: str) -> subprocess.Popen[bytes]:
        """A `queuetui` subcommand on the demo's Redis, logging to LOG_NAME.log, dying with us."""
        log = open(self.log_dir / f"{log_name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "queuetui", command[0], "--redis-url", self.url, *command[1:]],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "QUEUETUI_CONFIG": str(self.config_path)},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
                start_new_session=True,
            )
        finally:
            log.close()

    def stop(self) -> None:
        """Stop everything at once: the workload, every process the demo started with whatever it
        started (SIGKILL), then the server, whose data goes with its temporary directory.

        Nothing the demo runs holds anything worth a graceful end, and a graceful one cost seconds: RQ's
        warm shutdown waits for the job in hand, and takes a second signal as a cold one only a second
        after the first.
        """
        self._stop.set()
        for process in self.workers:
            _kill_session(process.pid)
        for process in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        self.workers.clear()
        if self._thread is not None:
            self._thread.join(5)
        self.server.stop()


def _kill_session(leader: int) -> None:
    """SIGKILL the session `leader` leads (each child starts one) and every process in it: an RQ work
    horse sits in a process group of its own, so killing the worker's group would leave it running."""
    members = [leader]
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and int(entry.name) != leader:
                with contextlib.suppress(OSError):
                    if os.getsid(int(entry.name)) == leader:
                        members.append(int(entry.name))
    for pid in members:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
