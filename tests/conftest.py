"""Fixtures shared by every test: a real redis-server started by the suite, a clean database per test.

The schedule database is a SQLite file; tests that take `db_url` run on PostgreSQL too: the server
named by QUEUETUI_TEST_POSTGRES_URL, else one started from the pgserver wheel's binaries
(tests/postgres.py). Without either they skip, saying why; under CI a server that fails to start
fails them instead.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import URL

from queuetui.db.engine import open_database
from queuetui.embedded import EmbeddedRedis
from tests.postgres import (
    EmbeddedPostgres,
    PostgresUnavailable,
    psycopg_url,
    scratch_database,
    template_database,
)

POSTGRES_URL_VAR = "QUEUETUI_TEST_POSTGRES_URL"


# Compiled modules are cached as Python does by default, even where the environment turns that off:
# the suite starts about a hundred `python -m queuetui` processes, each compiling what it imports again.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collector off what every test shares: the imported modules are moved out of its
    reach and young objects are collected less often. A pilot test builds and drops tens of thousands
    of widgets, styles and segments; with the default thresholds a fifth of the suite's CPU went to
    collections that walked the whole heap of Textual, SQLAlchemy and RQ again and again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config or data, no inherited URLs, and UTC local time: tests see only what they set."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    for var in (
        "QUEUETUI_CONFIG", "QUEUETUI_REDIS_URL", "RQ_REDIS_URL", "QUEUETUI_NAME", "QUEUETUI_DB_URL",
        "QUEUETUI_CONTEXT", "QUEUETUI_SENTINEL_PASSWORD", "QUEUETUI_READ_ONLY",
    ):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    # No system policy unless a test writes one: the machine's own /etc/queuetui must not leak in.
    monkeypatch.setattr("queuetui.policy.POLICY_PATH", tmp_path_factory.mktemp("etc") / "policy.toml")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    """One real redis-server for the whole session (stopped even when tests fail)."""
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> Iterator[str]:
    """The shared server's URL, with its database emptied before the test."""
    client = redis_server.client()
    client.flushall()
    client.close()
    yield redis_server.url


@pytest.fixture
def conn(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """A PostgreSQL server for the session, as the URL of a database to create others from."""
    given = os.environ.get(POSTGRES_URL_VAR)
    if given:
        yield psycopg_url(given)
        return
    server = EmbeddedPostgres()
    try:
        server.start()
    except PostgresUnavailable as exc:
        reason = f"no PostgreSQL server: {exc}; set {POSTGRES_URL_VAR} to use one"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: URL) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database of the test's own (dropped after it)."""
    with scratch_database(postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once a session, for tests to copy."""
    path = tmp_path_factory.mktemp("template") / "q.db"
    open_database(f"sqlite:///{path}").kw["bind"].dispose()  # closing the last connection folds the WAL in
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: URL) -> Iterator[str]:
    """The name of a PostgreSQL database migrated once a session, for tests to create theirs from."""
    with template_database(postgres_server) as name:
        yield name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A schedule database at the newest schema: a SQLite file, then a PostgreSQL database (copies of
    a template migrated once a session: migrations have tests of their own, on empty_db_url)."""
    if request.param == "sqlite":
        path = tmp_path / "q.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server, template = (
        request.getfixturevalue("postgres_server"),
        request.getfixturevalue("postgres_template"),
    )
    with scratch_database(server, template=template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty schedule database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'q.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def own_server() -> Iterator[EmbeddedRedis]:
    """A server of the test's own, for tests that kill or restart it."""
    with EmbeddedRedis() as server:
        yield server


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy; fail the test with `message` when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def run_env(url: str) -> dict[str, str]:
    """Environment for a queuetui subprocess aimed at `url`."""
    env = dict(os.environ)
    env["QUEUETUI_REDIS_URL"] = url
    return env
