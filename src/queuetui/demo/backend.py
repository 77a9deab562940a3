"""Start and stop everything the demo runs: embedded Redis, worker processes, the workload."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from queuetui.demo.workload import Workload
from queuetui.embedded import EmbeddedRedis, die_with_parent
from queuetui.rqdata.connection import connect


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

    def start(self) -> DemoBackend:
        """Start the server, the workers and the workload; on any failure stop what started."""
        try:
            self.server.start()
            for i in range(self.worker_count):
                self.workers.append(self._spawn_worker(i + 1))
            workload = Workload(connect(self.url))
            self._thread = threading.Thread(
                target=workload.run, args=(self._stop, self.interval), name="demo-workload", daemon=True
            )
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn_worker(self, number: int) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"worker-{number}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "queuetui",
                    "worker",
                    "--redis-url",
                    self.url,
                    "--name",
                    f"demo-{number}.{os.getpid()}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
                start_new_session=True,
            )
        finally:
            log.close()

    def stop(self) -> None:
        """Stop the workload, then the workers (warm, then cold, then kill), then the server."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            alive = [w for w in self.workers if w.poll() is None]
            for worker in alive:
                worker.send_signal(sig)
            for worker in alive:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(wait)
        self.workers.clear()
        self.server.stop()
