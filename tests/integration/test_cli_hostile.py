"""Every CLI text output over hostile data (issue #16): markup, escapes, bidi, NUL, C1, huge and
non-UTF-8 values in queue, job, function, exception, worker, host, batch and schedule names reach
stdout as visible text, never as something the terminal acts on. JSON keeps the exact data."""

from __future__ import annotations

import json
from pathlib import Path

import redis
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from queuetui.cli import main
from tests.hostile import NAMED, hostile, leaks, seed_database, seed_hostile


def outputs(env: dict[str, str], queue: str, value: str, n: int) -> dict[str, str]:
    """Each text command's stdout and stderr; every one must have exited as it should. A name is
    passed after `--`, as an operator types one that may begin with '-'."""
    runner = CliRunner()
    commands: dict[str, list[str]] = {
        "stats": ["stats"],
        "batches": ["batches", "list"],
        "batch": ["batches", "show", "--", value],
        "show": ["jobs", "show", "--", f"{value}-failed-{n}"],
        "show raw": ["jobs", "show", "raw-job"],
        "deps": ["jobs", "deps", "--", f"{value}-deferred-{n}"],
        "groups": ["jobs", "groups", "-q", queue],
        "audit": ["audit"],
        "schedules": ["schedules", "list"],
        "schedule": ["schedules", "show", "--", f"{value}#{n}"],
        "history": ["schedules", "history", "--", f"{value}#{n}"],
        "missing": ["jobs", "show", f"nope{value}"],
    }
    for registry in ("waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled"):
        commands[registry] = ["jobs", "list", "-q", queue, "-r", registry]
    out = {}
    for name, args in commands.items():
        result = runner.invoke(main, args, env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result)
        assert result.exit_code == (1 if name == "missing" else 0), (name, result.output)
        out[name] = result.stdout + result.stderr
    return out


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=hostile)
def test_every_text_output_shows_hostile_data_as_text(
    value: str, conn: redis.Redis, redis_url: str, tmp_path_factory: object
) -> None:
    folder = Path(tmp_path_factory.mktemp("db"))  # type: ignore[attr-defined]
    env = {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": seed_database(folder, [value]),
        "COLUMNS": "200",
    }
    (queue,) = seed_hostile(conn, [value])
    for name, text in outputs(env, queue, value, 0).items():
        assert not leaks(text), (name, leaks(text)[:5], text[:400])


def test_named_payloads_reach_stdout_as_visible_text(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    values = [*NAMED.values(), "H" * 60_000 + "\x1b[2J"]
    env = {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": seed_database(tmp_path, values),
        "COLUMNS": "250",
    }
    queues = seed_hostile(conn, values)
    for n, (value, queue) in enumerate(zip(values, queues, strict=True)):
        for name, text in outputs(env, queue, value, n).items():
            assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text, (name, text[:300])
    runner = CliRunner()
    shown = runner.invoke(main, ["jobs", "show", f"{NAMED['osc52']}-failed-3"], env=env).stdout
    assert "ValueError: x\\x1b]52;c;aGFja2Vk\\x07y" in shown  # the exception, visibly
    stats = runner.invoke(main, ["stats"], env=env).stdout
    assert "x\\u202eevil\\u202cy" in stats and "mk[/]x" in stats and "raw\ufffd\ufffd\\x1b[2J" in stats


def test_json_keeps_the_exact_data(conn: redis.Redis, redis_url: str) -> None:
    value = NAMED["osc52"]
    (queue,) = seed_hostile(conn, [value])
    env = {"QUEUETUI_REDIS_URL": redis_url}
    out = CliRunner().invoke(main, ["jobs", "list", "-q", queue, "-r", "failed", "--json"], env=env).stdout
    assert "\x1b" not in out  # JSON escapes it for itself
    (job,) = json.loads(out)["jobs"]
    assert (job["id"], job["func"], job["exception"]["message"]) == (f"{value}-failed-0", value, value)
