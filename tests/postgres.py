"""A throwaway PostgreSQL server for the tests, from the binaries the pgserver wheel ships.

initdb and postgres refuse to run as root, so as root the server runs as the existing `nobody`
user (nothing is added to the system), from a copy of the binaries in the server's temporary
directory (the wheel's own folder may sit under a directory `nobody` cannot enter). It listens on a
Unix socket in that directory only (no TCP port to collide on), trusts local connections, and skips
fsync: a test server, started in about a second. It is a child that cannot outlive the tests: it
gets SIGINT (fast shutdown) when the thread that started it dies, and `stop()` removes everything.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

_PR_SET_PDEATHSIG = 1
RUN_AS = "nobody"


class PostgresUnavailable(Exception):
    """No server could be started here; the message is one line saying why."""


def _binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")  # found, not imported: its own launcher is not used
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable("the pgserver package is not installed (pip install -e '.[dev]')")
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (folder / "bin" / "postgres").exists():
        raise PostgresUnavailable(f"pgserver ships no PostgreSQL binaries for this platform ({folder})")
    return folder


def _copy_binaries(source: Path, target: Path) -> Path:
    """The wheel's binaries copied where another user can run them; the new bin folder.

    initdb finds libpq at $ORIGIN/../../../pgserver.libs (the wheel's layout), so the copy keeps it.
    """
    install = target / "pgserver" / "pginstall"
    for part in ("bin", "lib", "share"):
        shutil.copytree(source / part, install / part, symlinks=True)
    libs = source.parent.parent / "pgserver.libs"
    if libs.is_dir():
        shutil.copytree(libs, target / "pgserver.libs", symlinks=True)
    for folder, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o055)  # group and others may read and run
    return install / "bin"


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn: the child gets SIGINT when its parent dies (Linux; runs after the setuid)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


class EmbeddedPostgres:
    def __init__(self, startup_timeout: float = 30.0) -> None:
        self.startup_timeout = startup_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="queuetui-pg-"))
        self.data = self.folder / "data"
        self.log_path = self.folder / "postgres.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._user: pwd.struct_passwd | None = None

    @property
    def url(self) -> URL:
        """The server's 'postgres' database, as the superuser, over the Unix socket."""
        return URL.create("postgresql+psycopg", username="postgres", database="postgres").update_query_dict(
            {"host": str(self.data)}
        )

    def start(self) -> EmbeddedPostgres:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        source = _binaries()
        bin_dir = source / "bin"
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise PostgresUnavailable(f"running as root, and no {RUN_AS!r} user to run it as") from None
            self.folder.chmod(0o755)
            bin_dir = _copy_binaries(source, self.folder / "install")
        self.data.mkdir(mode=0o700)
        self.log_path.touch()
        if self._user is not None:
            for path in (self.data, self.log_path):
                os.chown(path, self._user.pw_uid, self._user.pw_gid)
        initdb = [str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        done = subprocess.run(
            [*initdb, "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            capture_output=True,
            text=True,
            cwd=self.folder,
            **self._as_user(),
        )
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise PostgresUnavailable(f"initdb failed: {last}")
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.data),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        args = [str(bin_dir / "postgres"), "-D", str(self.data)]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                preexec_fn=_die_with_parent(),
                start_new_session=True,
                **self._as_user(),
            )
        self._wait_ready()

    def _as_user(self) -> dict[str, int]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + self.startup_timeout
        conninfo = f"host={self.data} user=postgres dbname=postgres connect_timeout=2"
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                code = self.process.returncode
                raise PostgresUnavailable(f"postgres exited with code {code}: {self._tail()}")
            try:
                psycopg.connect(conninfo).close()
                return
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                limit = self.startup_timeout
                raise PostgresUnavailable(f"postgres did not start in {limit:.0f} s: {self._tail()}")
            time.sleep(0.05)

    def _tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def psycopg_url(url: str) -> URL:
    """`url` as a SQLAlchemy URL on the psycopg (3) driver, whatever driver it named."""
    return make_url(url).set(drivername="postgresql+psycopg")


@contextlib.contextmanager
def scratch_database(server: URL, template: str = "") -> Iterator[str]:
    """A new database on `server` for one test (its URL), empty or a copy of `template`; dropped after."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"queuetui_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def template_database(server: URL) -> Iterator[str]:
    """A database on `server` migrated to the newest schema, by name, for CREATE DATABASE ... TEMPLATE."""
    from queuetui.db.engine import open_database

    with scratch_database(server) as url:
        open_database(url).kw["bind"].dispose()  # a template must have no connection when it is copied
        yield sa.engine.make_url(url).database or ""
