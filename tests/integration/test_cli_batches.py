"""`queuetui batches list|show|retry|cancel`: the Batches view's reads and bulk actions, for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from queuetui.audit import recent
from queuetui.cli import main
from queuetui.db.engine import open_database
from queuetui.embedded import free_port
from tests import jobs
from tests.integration.test_batches import burst, enqueue_group
from tests.integration.test_read_only import redis_state, same_state


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    (tmp_path / "config.toml").write_text("")  # a config file that is named must exist
    return {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUEUETUI_CONFIG": str(tmp_path / "config.toml"),
        "COLUMNS": "120",
    }


def cli(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def seed(conn: redis.Redis) -> None:
    """'import': 3 finished, 2 failed; 'reports': 4 waiting on queue 'slow'."""
    calls = [(jobs.add, (i, i), f"i-{i}") for i in range(3)] + [
        (jobs.needs, ("test:ok",), f"i-bad-{i}") for i in range(2)
    ]
    enqueue_group(conn, "import", calls)
    burst(conn)
    enqueue_group(conn, "reports", [(jobs.add, (i, 1), f"rep-{i}") for i in range(4)], queue="slow")


def test_list_and_show_as_json_and_as_tables(conn: redis.Redis, env: dict[str, str]) -> None:
    seed(conn)
    before = redis_state(conn)
    listed = cli(env, "batches", "list", "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["total"] == 2
    imported, reports = data["batches"]
    assert (imported["name"], imported["size"], imported["done"], imported["progress"]) == (
        "import",
        5,
        5,
        1.0,
    )
    assert {k: v for k, v in imported["counts"].items() if v} == {"finished": 3, "failed": 2}
    assert (reports["pending"], reports["oldest_pending"]["id"]) == (4, "rep-0")

    table = cli(env, "batches", "list")
    header, first, second = table.stdout.splitlines()
    assert header.split()[:3] == ["Batch", "Progress", "Size"]
    assert (
        first.startswith("import ") and "100%" in first and second.startswith("reports ") and "0%" in second
    )
    assert "batches: 1-2 of 2" in table.stderr

    shown = json.loads(cli(env, "batches", "show", "import", "--json").stdout)
    assert [(j["id"], j["registry"]) for j in shown["jobs"]] == [
        ("i-0", "finished"), ("i-1", "finished"), ("i-2", "finished"),
        ("i-bad-0", "failed"), ("i-bad-1", "failed"),
    ]  # fmt: skip
    text = cli(env, "batches", "show", "import", "--limit", "2", "--offset", "3")
    assert "progress  " in text.stdout and "5 of 5 done" in text.stdout
    lines = text.stdout.splitlines()
    assert lines[-2].startswith("i-bad-0 ") and "failed" in lines[-2] and "RuntimeError" in lines[-2]
    assert "batch import: jobs 4-5 of 5" in text.stderr
    assert same_state(redis_state(conn), before)


def test_bad_input_and_unknown_batches(conn: redis.Redis, env: dict[str, str]) -> None:
    seed(conn)
    missing = cli(env, "batches", "show", "nope")
    assert missing.exit_code == 1 and missing.stderr.strip() == (
        "queuetui: error: no batch named 'nope' (see queuetui batches list)"
    )
    assert cli(env, "batches", "retry", "nope", "--yes").exit_code == 2
    assert cli(env, "batches", "list", "--limit", "0").exit_code == 2


def test_retry_and_cancel_a_batch_are_dry_run_confirmed_and_audited(
    conn: redis.Redis, env: dict[str, str]
) -> None:
    seed(conn)
    before = redis_state(conn)
    dry = cli(env, "batches", "retry", "import", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.splitlines()[:2] == [
        "retry: 2 jobs of batch import (5 jobs in it)",
        "  default failed: 2",
    ]
    assert "e.g. i-bad-0, i-bad-1" in dry.stdout
    refused = cli(env, "--read-only", "batches", "cancel", "reports", "--yes")
    assert refused.exit_code == 1 and "jobs.cancel refused: queuetui is read-only" in refused.stderr
    assert same_state(redis_state(conn), before)

    conn.set("test:ok", 1)
    retried = cli(env, "batches", "retry", "import", "--yes", "--json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["done"] == 2
    burst(conn)
    canceled = cli(env, "batches", "cancel", "reports", "--yes")
    assert canceled.exit_code == 0 and canceled.stdout.startswith("canceled 4 of 4 jobs")
    again = cli(env, "batches", "cancel", "reports", "--yes")
    assert again.exit_code == 0 and again.stderr.strip() == (
        "jobs.cancel: nothing to do (no job of batch reports is waiting or scheduled or deferred)"
    )
    data = {b["name"]: b for b in json.loads(cli(env, "batches", "list", "--json").stdout)["batches"]}
    assert data["import"]["counts"]["finished"] == 5 and data["reports"]["counts"]["canceled"] == 4

    cancel, retry, refusal = recent(open_database(env["QUEUETUI_DB_URL"]))
    assert (retry.action, retry.target, retry.done, retry.outcome) == (
        "jobs.retry",
        "batch import (default failed)",
        2,
        "ok",
    )
    assert (cancel.target, cancel.done) == ("batch reports (slow waiting)", 4)
    assert refusal.outcome == "refused: read-only"


def test_redis_down_is_one_line(env: dict[str, str]) -> None:
    env["QUEUETUI_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["batches", "list"], ["batches", "show", "x"], ["batches", "retry", "x", "--yes"]):
        out = cli(env, *args)
        assert out.exit_code == 1, args
        assert out.stderr.startswith("queuetui: error: cannot reach Redis") and out.stderr.count("\n") == 1
