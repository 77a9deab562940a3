"""Timing helpers the benchmarks share: medians of repeated runs, and round trips counted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import redis

from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client


def median_ms(
    fn: Callable[[], Any], reps: int, reset: Callable[[], None] = lambda: None
) -> tuple[float, Any]:
    """Median milliseconds of `reps` runs (after one warm run), and the last result; `reset` runs
    before each, untimed."""
    reset()
    result = fn()
    times = []
    for _ in range(reps):
        reset()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def median_ms_and_trips(
    fn: Callable[[redis.Redis], Any], client: redis.Redis, counter: RoundTripCounter, reps: int
) -> tuple[float, int, Any]:
    """Median milliseconds and round trips of `reps` runs on a counting client (after a warm run)."""
    fn(client)  # warm the connection (and load any read script)
    times, trips, result = [], [], None
    for _ in range(reps):
        counter.count = 0
        start = time.perf_counter()
        result = fn(client)
        times.append(time.perf_counter() - start)
        trips.append(counter.count)
    return statistics.median(times) * 1000, int(statistics.median(trips)), result


def trips(url: str, fn: Callable[[redis.Redis], Any]) -> int:
    """Round trips one run of `fn` costs on a fresh client."""
    counter = RoundTripCounter()
    client = counting_client(url, counter)
    fn(client)
    client.close()
    return counter.count
