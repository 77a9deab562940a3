"""Hostile job data in a real Redis: each bad field costs its own cell, the rest of the page shows.

The fixed cases of tests/unit/test_payload_bounds.py, written where RQ writes them (the job hash's
data and meta, the legacy exc_info, the results stream) and read through the CLI as an operator would.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from queuetui.cli import main
from queuetui.rqdata.detail import job_detail
from queuetui.rqdata.rows import read_rows

WHEN = "2026-01-01T00:00:00.000000Z"


def zlib_bomb(megabytes: int) -> bytes:
    squeeze = zlib.compressobj(1)
    text = b"Traceback (most recent call last):\n" + b" " * ((1 << 20) - 36)
    return b"".join([*(squeeze.compress(text) for _ in range(megabytes)), squeeze.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """64 MB of traceback-looking text as ~290 KB of zlib, as five failed jobs' entries carried."""
    return zlib_bomb(64)


def failed_job(conn: redis.Redis, job_id: str, **fields: bytes | str) -> None:
    data = zlib.compress(pickle.dumps(("app.tasks.send", None, (1,), {}), protocol=4))
    mapping: dict[str, bytes | str] = {
        "status": "failed",
        "origin": "bombs",
        "created_at": WHEN,
        "enqueued_at": WHEN,
        "ended_at": WHEN,
        "data": data,
    }
    conn.hset(f"rq:job:{job_id}", mapping={**mapping, **fields})
    conn.zadd("rq:failed:bombs", {job_id: 1})


def failed_with_result(conn: redis.Redis, job_id: str, exc_string: bytes) -> None:
    failed_job(conn, job_id)
    conn.xadd(f"rq:results:{job_id}", {"type": 2, "worker_name": "w", "exc_string": exc_string})


def seed(conn: redis.Redis, bomb: bytes) -> None:
    conn.sadd("rq:queues", "rq:queue:bombs")
    for i in range(5):
        failed_with_result(conn, f"exc-bomb-{i}", base64.b64encode(bomb))
    failed_job(conn, "legacy-bomb", exc_info=bomb)
    failed_job(conn, "deep-meta", meta=("[" * 100_000 + "]" * 100_000).encode())
    failed_job(conn, "bytearray-meta", meta=b"c__builtin__\nbytearray\n(I2000000000\ntR.")
    failed_job(conn, "zlib-data", data=zlib.compress(bytes(16 << 20), 9))  # 16 MB in 16 KB: read for the row
    traceback = "Traceback (most recent call last):\nValueError: bad input\n"
    failed_with_result(conn, "plain", base64.b64encode(zlib.compress(traceback.encode())))


def test_a_page_of_bombs_reads_each_as_too_large_and_the_rest_as_it_is(
    conn: redis.Redis, bomb: bytes
) -> None:
    seed(conn, bomb)
    ids = [m.decode() for m in conn.zrange("rq:failed:bombs", 0, -1)]
    rows = {row.id: row for row in read_rows(conn, "bombs", "failed", [(i, 1.0) for i in ids])}
    for i in range(5):
        exception = rows[f"exc-bomb-{i}"].exception
        assert exception is not None and exception.message.startswith("too large to show (over 1.0 M bytes")
        assert len(exception.traceback) < 100_000
    legacy = rows["legacy-bomb"].exception
    assert legacy is not None and legacy.message.startswith("too large to show")
    assert rows["deep-meta"].problem == "meta: nested too deeply to show"
    assert repr(rows["bytearray-meta"].meta) == "{'': <pickled builtins.bytearray>}"
    assert rows["zlib-data"].problem.startswith("payload: too large to show (over 16.0 M bytes inflated")
    plain = rows["plain"]
    assert (plain.func, plain.args, plain.problem) == ("app.tasks.send", "1", "")
    assert plain.exception is not None and plain.exception.type == "ValueError"


def cli(redis_url: str, tmp_path: Path, *args: str) -> Result:
    env = {"QUEUETUI_REDIS_URL": redis_url, "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_jobs_list_and_groups_show_bombs_as_too_large(
    conn: redis.Redis, redis_url: str, tmp_path: Path, bomb: bytes
) -> None:
    seed(conn, bomb)
    listed = cli(redis_url, tmp_path, "jobs", "list", "-q", "bombs", "-r", "failed", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["id"]: row for row in json.loads(listed.output)["jobs"]}
    assert len(rows) == 10
    assert rows["exc-bomb-0"]["exception"]["message"].startswith("too large to show")
    assert rows["plain"]["exception"]["type"] == "ValueError"
    groups = cli(redis_url, tmp_path, "jobs", "groups", "-q", "bombs")
    assert groups.exit_code == 0, groups.output
    assert "too large to show" in groups.output and "ValueError" in groups.output
    for job_id in ("exc-bomb-0", "deep-meta", "zlib-data"):
        shown = cli(redis_url, tmp_path, "jobs", "show", job_id)
        assert shown.exit_code == 0, shown.output
        assert "too large to show" in shown.output or "nested too deeply" in shown.output


def test_the_detail_of_a_job_with_bombs_everywhere(conn: redis.Redis, bomb: bytes) -> None:
    failed_job(conn, "all", data=bomb, meta=b"\x80\x02]r\xff\xff\xff\x0f.", exc_info=bomb)
    for _ in range(3):
        conn.xadd("rq:results:all", {"type": 2, "exc_string": base64.b64encode(bomb)})
    conn.xadd("rq:results:all", {"type": 1, "return_value": base64.b64encode(b"[" * 5000 + b"]" * 5000)})
    detail = job_detail(conn, "all")
    assert detail.call.problem.startswith("payload: too large to show")
    assert detail.meta_problem.startswith("not a readable pickle (UnpicklingError: memo index")
    assert detail.results[0].return_problem == "nested too deeply to show"
    assert all(r.exception.message.startswith("too large") for r in detail.results[1:] if r.exception)
    assert detail.legacy_exception is not None and detail.legacy_exception.message.startswith("too large")


@pytest.mark.parametrize("source", ["!" * 1200 + "x", "(" * 2000 + "x" + ")" * 2000], ids=["bangs", "parens"])
def test_a_filter_nested_too_deep_is_one_line_exit_2(redis_url: str, tmp_path: Path, source: str) -> None:
    result = cli(redis_url, tmp_path, "jobs", "list", "-q", "bombs", "-r", "failed", "-f", source)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "nests deeper than 64 levels" in result.output
