"""Columns that give way, values cut without changing what they say (present.table)."""

from __future__ import annotations

from queuetui.present import jobs, schedules
from queuetui.present.table import column_widths, fit_fields, fit_url, fitting


def test_the_failed_view_keeps_a_useful_exception_at_80_columns() -> None:
    names = fitting(jobs.COLUMNS, jobs.VIEW_COLUMNS["failed"], 76)
    assert names == ("id", "func", "exception", "ended")
    widths = dict(zip(names, column_widths([jobs.COLUMNS[n] for n in names], 76), strict=True))
    assert widths["exception"] >= 24
    assert fitting(jobs.COLUMNS, jobs.VIEW_COLUMNS["failed"], 116) == jobs.VIEW_COLUMNS["failed"]


def test_schedules_keep_name_when_zone_and_next_at_any_width() -> None:
    for width in (40, 74, 114, 200):
        assert {"name", "when", "zone", "next"} <= set(schedules.columns_for(width))
    assert "cron" in schedules.columns_for(114) and "tags" not in schedules.columns_for(114)


def test_a_cron_is_whole_or_cut_between_fields_with_a_separate_marker() -> None:
    assert fit_fields("*/30 * * * * *", 14) == "*/30 * * * * *"
    for width in range(2, 14):
        cut = fit_fields("*/30 * * * * *", width)
        assert len(cut) <= width and cut.endswith("…")
        assert cut == "…" or cut.endswith(" …")  # never '*/30 * * * *…', which reads as 5 fields


def test_a_url_is_shortened_but_never_inside_its_port() -> None:
    url = "redis://:***@redis.prod.internal:6379/0"
    assert fit_url(url, 60) == url
    assert fit_url(url, 38) == "redis://:***@redis.prod.internal:6379"
    assert fit_url(url, 33) == "redis://redis.prod.internal:6379"
    for width in range(18, 33):
        short = fit_url(url, width)
        assert len(short) <= width and short.endswith(":6379") and short.startswith("redis://")
    assert fit_url(url, 10) == "…"
    assert fit_url("unix:///run/redis/redis.sock", 15) == "…dis/redis.sock"
