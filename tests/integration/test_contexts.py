"""Contexts: two real redis-servers named in one config file, read by name from the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue

from queuetui.audit import recent
from queuetui.config import load_settings
from queuetui.embedded import EmbeddedRedis, free_port
from queuetui.services import Services
from tests import jobs
from tests.cli import queuetui


@pytest.fixture
def second_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, own_server: EmbeddedRedis, second_server: EmbeddedRedis) -> Path:
    """Contexts 'staging' (own_server, the default) and 'prod' (second_server, production), and one
    whose Redis nothing listens on."""
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
default_context = "staging"

[contexts.staging]
redis_url = "{own_server.url}"
db_url = "sqlite:///{tmp_path / "staging.db"}"

[contexts.prod]
redis_url = "redis://:secret@127.0.0.1:{second_server.port}/0"
production = true
color = "red"

[contexts.gone]
redis_url = "redis://127.0.0.1:{free_port()}/0"
""",
        encoding="utf-8",
    )
    second_server.client().config_set("requirepass", "secret")
    return path


def _fill(url: str, waiting: int, failed: int) -> None:
    client = redis.Redis.from_url(url)
    queue = Queue("default", connection=client)
    for i in range(waiting):
        queue.enqueue(jobs.add, i, 1)
    for i in range(failed):
        client.zadd("rq:failed:default", {f"failed-{i}": 1_900_000_000 + i})
    client.sadd("rq:queues", "rq:queue:default")
    client.close()


def test_stats_reads_the_named_context(
    config: Path, own_server: EmbeddedRedis, second_server: EmbeddedRedis
) -> None:
    _fill(own_server.url, waiting=2, failed=0)
    _fill(f"redis://:secret@127.0.0.1:{second_server.port}/0", waiting=5, failed=3)
    for args, waiting in ((["-c", "prod"], 5), (["--context", "staging"], 2), ([], 2)):
        result = queuetui("--config", str(config), *args, "stats", "--json")
        assert result.returncode == 0, result.stderr
        (queue,) = json.loads(result.stdout)["queues"]
        assert queue["waiting"] == waiting, args
    after = queuetui("stats", "--config", str(config), "-c", "prod", "--json")  # after the subcommand too
    assert json.loads(after.stdout)["queues"][0]["failed"] == 3
    env = {"QUEUETUI_CONTEXT": "prod", "XDG_CONFIG_HOME": str(config.parent)}
    via_env = queuetui("--config", str(config), "stats", "--json", env=env)
    assert json.loads(via_env.stdout)["queues"][0]["waiting"] == 5


def test_contexts_lists_every_context(
    config: Path, own_server: EmbeddedRedis, second_server: EmbeddedRedis
) -> None:
    _fill(own_server.url, waiting=2, failed=1)
    _fill(f"redis://:secret@127.0.0.1:{second_server.port}/0", waiting=5, failed=3)
    result = queuetui("--config", str(config), "contexts", "--json")
    assert result.returncode == 1  # one is unreachable
    listed = {c["name"]: c for c in json.loads(result.stdout)}
    assert list(listed) == ["staging", "prod", "gone"]
    assert {k: listed["staging"][k] for k in ("reachable", "waiting", "failed", "workers", "current")} == {
        "reachable": True, "waiting": 2, "failed": 1, "workers": 0, "current": True,
    }  # fmt: skip
    assert listed["prod"]["reachable"] and listed["prod"]["waiting"] == 5 and listed["prod"]["failed"] == 3
    assert listed["prod"]["production"] and listed["prod"]["read_only"]
    assert "secret" not in result.stdout and ":***@" in listed["prod"]["url"]
    assert listed["gone"]["reachable"] is False and "cannot reach Redis" in listed["gone"]["error"]
    text = queuetui("--config", str(config), "contexts")
    assert "* staging" in text.stdout and "prod (production, read-only)" in text.stdout
    assert "unreachable: cannot reach Redis" in text.stdout


def test_production_is_read_only_unless_write(
    config: Path, second_server: EmbeddedRedis, tmp_path: Path
) -> None:
    url = f"redis://:secret@127.0.0.1:{second_server.port}/0"
    _fill(url, waiting=0, failed=0)
    client = redis.Redis.from_url(url)
    job = Queue("default", connection=client).enqueue(jobs.add, 1, 2)
    refused = queuetui("--config", str(config), "-c", "prod", "jobs", "cancel", job.id, "--yes")
    assert refused.returncode == 1 and "read-only" in refused.stderr
    allowed = queuetui("--config", str(config), "-c", "prod", "--write", "jobs", "cancel", job.id, "--yes")
    assert allowed.returncode == 0, allowed.stderr
    settings = load_settings(path=config, context="prod")
    entries = recent(Services(settings).sessions)
    assert [(e.context, e.outcome) for e in entries] == [("prod", "ok"), ("prod", "refused: read-only")]


def test_config_errors_name_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('default_context = "nope"\n[contexts.a]\nredis_url = "redis://h:1/0"\n', encoding="utf-8")
    result = queuetui("--config", str(path), "stats")
    assert result.returncode == 2
    assert "default_context names no context: 'nope' (contexts: a)" in result.stderr
    path.write_text('[contexts.a]\nredis_url = "redis://h:1/0"\n', encoding="utf-8")
    unknown = queuetui("--config", str(path), "-c", "b", "stats")
    assert unknown.returncode == 2 and "no context named 'b' (contexts: a)" in unknown.stderr
    (tmp_path / "empty.toml").write_text("")
    none = queuetui("--config", str(tmp_path / "empty.toml"), "contexts")
    assert none.returncode == 2 and "no contexts configured" in none.stderr
