"""The CLI's schedule changes take the console's plan: --dry-run prints what the dialog says and
changes nothing; a backfill above confirm_above wants the typed count, or --yes."""

from __future__ import annotations

from pathlib import Path

import redis

from tests.integration.test_cli_actions import cli


def env_for(tmp_path: Path, redis_url: str) -> dict[str, str]:
    (tmp_path / "config.toml").write_text("confirm_above = 5\n")
    return {
        "QUEUETUI_REDIS_URL": redis_url,
        "QUEUETUI_DB_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUEUETUI_CONFIG": str(tmp_path / "config.toml"),
    }


def test_dry_runs_change_nothing_and_a_big_backfill_wants_the_count(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    env = env_for(tmp_path, redis_url)
    added = cli(env, "schedules", "add", "hourly", "--func", "tests.jobs:add", "--cron", "0 * * * *")
    assert added.exit_code == 0, added.output
    span = ["--from", "2026-11-20T00:00+00:00", "--to", "2026-11-20T11:30+00:00"]
    dry = cli(env, "schedules", "backfill", "hourly", *span, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "backfill hourly: enqueue 12 runs of tests.jobs:add on queue default (trigger backfill)",
        "  first 2026-11-20T00:00+00:00, last 2026-11-20T11:00+00:00",
    ]
    disable = cli(env, "schedules", "disable", "hourly", "--dry-run")
    assert disable.stdout.startswith("disable hourly: it stops firing until enabled")
    assert cli(env, "schedules", "run-now", "hourly", "--dry-run").exit_code == 0
    assert not conn.keys("rq:*job*") and conn.llen("rq:queue:default") == 0
    asked = cli(env, "schedules", "backfill", "hourly", *span)  # 12 runs, above 5, no terminal
    assert asked.exit_code == 2 and "pass --yes" in asked.output
    assert conn.llen("rq:queue:default") == 0
    done = cli(env, "schedules", "backfill", "hourly", *span, "--yes")
    assert done.exit_code == 0 and done.stdout == "hourly: enqueued 12 fire times\n"
    assert conn.llen("rq:queue:default") == 12
    assert cli(env, "schedules", "list", "--json").exit_code == 0
