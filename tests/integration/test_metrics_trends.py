"""What the Metrics view, the overview's sparklines and the Alerts view read, on a real Redis and database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from queuetui.config import AlertRule
from queuetui.db.engine import open_database
from queuetui.metrics.alerts import firing_count, recent, show_value, threshold
from queuetui.metrics.series import FINE, PREFIX
from queuetui.metrics.trends import (
    OVERVIEW_ROUND_TRIPS,
    SPARK_SAMPLES,
    WINDOWS,
    overview_with_throughput,
    read_trend,
    window_named,
)
from queuetui.present.metrics import plots, spark
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from tests.snapshots.metrics_seed import FUNCTIONS, ended, seed_alerts, seed_with_metrics
from tests.snapshots.seed import CLOCK, NOW, seed

UNTIL = NOW.timestamp()


@pytest.fixture
def seeded(conn: redis.Redis) -> redis.Redis:
    seed_with_metrics(conn, samples=90)
    return conn


def test_a_trend_holds_what_the_sampler_recorded_and_plots_its_rates(seeded: redis.Redis) -> None:
    trend = read_trend(seeded, "default", "", window_named("1h"), UNTIL)
    assert trend.queue == "default" and trend.queues == ("critical", "high", "default", "low", "emails")
    assert trend.functions == FUNCTIONS["default"] and trend.function == "app.billing.charge"
    assert len(trend.points) == 91  # the first sample, then one every ten seconds
    assert [(p.finished, p.failures) for p in trend.points[1:]] == [ended("default", i) for i in range(1, 91)]
    assert all(r.count > 0 for r in trend.runs) and len(trend.runs) == 90

    finished, failed, rate, oldest, p50, p95 = plots(trend, 30)
    per_minute = [ended("default", i)[0] * 6.0 for i in range(1, 91)]  # per ten seconds, times six
    assert (finished.current, finished.low, finished.high) == (
        per_minute[-1],
        min(per_minute),
        max(per_minute),
    )
    assert failed.high == 6.0 * max(ended("default", i)[1] for i in range(1, 91))
    # Two minutes a column: the samples from 11:45:10 on fill the last eight, the rest have none.
    assert finished.values[:22] == [None] * 22 and None not in finished.values[22:]
    assert rate.high is not None and 0 < rate.high < 100
    assert oldest.current == pytest.approx(15 * 60)  # the head of 'default' was enqueued at 11:45
    assert p50.title.endswith("app.billing.charge") and p95.high is not None and p95.high >= p50.high  # type: ignore[operator]
    assert finished.label(trend.window) == "Finished  60.0/min now · min 36.0/min · max 84.0/min · last 1h"


def test_a_trend_costs_two_round_trips_whatever_the_window(seeded: redis.Redis, redis_url: str) -> None:
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    for window in WINDOWS:
        counter.count = 0
        trend = read_trend(client, "low", "app.reports.build", window, UNTIL)
        assert counter.count == 2, window.name
        assert trend.queue == "low"
    assert read_trend(client, "low", "", window_named("30d"), UNTIL).points  # the 5-minute roll-ups


def test_an_unknown_queue_or_function_falls_back_to_the_first_sampled_one(seeded: redis.Redis) -> None:
    trend = read_trend(seeded, "nope", "nope", window_named("6h"), UNTIL)
    assert (trend.queue, trend.function) == ("critical", "app.tasks.ping")


def test_before_any_sample_a_trend_says_so(conn: redis.Redis) -> None:
    seed(conn)
    trend = read_trend(conn, "default", "", window_named("1h"), UNTIL)
    assert not trend.sampled and trend.queue == "" and trend.points == ()
    with pytest.raises(ValueError, match="no window '2h'; try 1h, 6h, 24h, 7d, 30d"):
        window_named("2h")


def test_the_overview_reads_its_sparklines_in_one_more_round_trip(
    seeded: redis.Redis, redis_url: str
) -> None:
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    overview, throughput = overview_with_throughput(client, CLOCK)
    assert counter.count == OVERVIEW_ROUND_TRIPS
    assert set(throughput) == {q.name for q in overview.queues}
    assert len(throughput["high"]) == SPARK_SAMPLES + 1  # both ends of the span
    counter.count = 0
    assert overview_with_throughput(client, CLOCK, samples=0)[1] == {}  # the column is hidden: no read
    assert counter.count == OVERVIEW_ROUND_TRIPS - 1
    line = spark(throughput["high"], UNTIL, 15)
    assert len(line) == 15 and "█" in line and " " not in line.strip()


def test_a_garbled_series_leaves_the_overview_without_sparklines(seeded: redis.Redis) -> None:
    chunk = FINE.chunk(UNTIL)
    seeded.zadd(f"{PREFIX}:fine:queue:high:{chunk}", {b"not,a,point": UNTIL - 1})
    overview, throughput = overview_with_throughput(seeded, CLOCK)
    assert overview.queue("high") is not None and throughput == {}
    trend = read_trend(seeded, "high", "", window_named("1h"), UNTIL)  # the view leaves the member out
    assert len(trend.points) == 91


def test_alerts_still_firing_come_first_then_the_resolved_newest_first(db_url: str) -> None:
    sessions = open_database(db_url)
    assert recent(sessions) == [] and firing_count(sessions) == 0
    seed_alerts(sessions)
    listed = recent(sessions)
    assert [(a.rule, a.subject) for a in listed] == [
        ("failures", "default"), ("backlog", "low"),  # firing: newest first
        ("heartbeat", "batch-1.77"), ("failures", "emails"), ("late runs", "nightly-report"),
        ("old rule", "default"),
    ]  # fmt: skip
    assert [a.resolved_at is None for a in listed] == [True, True, False, False, False, False]
    assert listed[2].resolved_at == NOW - timedelta(minutes=38)
    assert [a.subject for a in recent(sessions, firing_only=True)] == ["default", "low"]
    assert [a.subject for a in recent(sessions, limit=3)] == ["default", "low", "batch-1.77"]
    assert [a.subject for a in recent(sessions, limit=1)] == ["default"]
    assert firing_count(sessions) == 2


def test_values_and_thresholds_read_in_their_rules_units() -> None:
    assert show_value("backlog", 9800) == "9,800" and show_value("failure-rate", 34.2) == "34%"
    assert show_value("worker-heartbeat", 150) == "2m30s" and show_value("stuck", None) == "-"
    assert threshold(AlertRule("b", "backlog", above=5000, for_seconds=300)) == "> 5,000 for 5m00s"
    assert threshold(AlertRule("f", "failure-rate", above=20, window=600)) == "> 20% in 10m"
    assert threshold(AlertRule("s", "stuck", grace=30)) == "its timeout + 30s"
    assert threshold(AlertRule("o", "oldest-waiting", above=600)) == "> 10m"
    assert threshold(AlertRule("b", "backlog", above=100)) == "> 100 waiting"
