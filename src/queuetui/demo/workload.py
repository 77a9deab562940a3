"""A workload generator that keeps every pane of the console alive.

Each tick enqueues a mix: fast and slow jobs in every priority queue, jobs failing with a few
distinct exceptions, jobs with retries and backoff, an RQ group, dependent jobs (some of which can
never run), jobs scheduled in the future, and a few canceled ones. The mix asks about one worker
second of a second (the demo's two workers have 2), so every queue drains between bursts: an import
of BURST quick rows lands on `default` every BURST_EVERY ticks (the first a minute in), backs it up
past the demo's backlog alert for about a minute, and drains. Nothing is added to a queue whose
backlog is already MAX_BACKLOG long (bursts aside), so the demo stays steady for as long as it runs.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
from datetime import timedelta

import redis
from rq import Queue, Retry
from rq.group import Group

from queuetui.demo import jobs

MAX_BACKLOG = 120
BURST = 500
BURST_EVERY = 600
"""Ticks between two bursts (10 minutes at the demo's one tick a second)."""
_FIRST_BURST = 60


class Workload:
    def __init__(self, connection: redis.Redis, seed: int | None = None) -> None:
        self.connection = connection
        self.queues = {
            name: Queue(name, connection=connection) for name in ("critical", "high", "default", "low")
        }
        self.random = random.Random(seed)
        self.counter = itertools.count(1000)
        self.ticks = 0
        self.chains = 0

    def _room(self, queue: str) -> bool:
        return self.queues[queue].count < MAX_BACKLOG

    def tick(self) -> None:
        """Enqueue one round of the mix."""
        self.ticks += 1
        rnd, n, t = self.random, self.counter, self.ticks
        critical, high, default, low = (self.queues[q] for q in ("critical", "high", "default", "low"))
        if self._room("critical"):
            for _ in range(rnd.randint(0, 1)):
                critical.enqueue(jobs.charge_card, next(n), rnd.randint(500, 90000), result_ttl=600)
        if self._room("high"):
            for _ in range(rnd.randint(0, 1)):
                high.enqueue(
                    jobs.send_email, f"user{next(n)}@example.com", rnd.choice(["welcome", "receipt"])
                )
            if t % 7 == 1:
                high.enqueue(jobs.send_email, "ops@example.com", "digest").cancel()
        if self._room("default"):
            if t % 4 == 1:
                default.enqueue(jobs.resize_image, next(n), rnd.choice([320, 640, 1280]))
            if t % 6 == 1:
                default.enqueue(
                    jobs.sync_account, next(n), 0.5, retry=Retry(max=3, interval=[2, 5, 10]), failure_ttl=3600
                )
            if t % 15 == 1:
                default.enqueue(jobs.build_report, next(n), rnd.uniform(1, 3), job_timeout=60)
            if t % 30 == 9:  # a job that outlives its timeout
                default.enqueue(jobs.build_report, next(n), 3.0, job_timeout=1)
            if t % 20 == 1:
                self._group(default)
        if self._room("low"):
            if t % 10 == 1:
                low.enqueue(jobs.purge_sessions, next(n))
            if t % 20 == 1 and self._room("default"):
                self._dependencies(default, low)
            if t % 30 == 1:
                for _ in range(2):
                    delay = timedelta(seconds=rnd.randint(20, 900))
                    low.enqueue_in(delay, jobs.purge_sessions, next(n))
        if t % BURST_EVERY == _FIRST_BURST:
            self._burst(default)

    def _burst(self, queue: Queue) -> None:
        """BURST rows of an import at once (one pipeline): a backlog that drains in a minute or two."""
        rows = [next(self.counter) for _ in range(BURST)]
        queue.enqueue_many([Queue.prepare_data(jobs.import_row, (row,)) for row in rows])

    def _dependencies(self, default: Queue, low: Queue) -> None:
        parent = default.enqueue(jobs.build_report, next(self.counter), self.random.uniform(0.5, 2))
        child = default.enqueue(jobs.resize_image, next(self.counter), 640, depends_on=parent)
        low.enqueue(jobs.purge_sessions, next(self.counter), depends_on=child)
        self.chains += 1
        if self.chains % 3 == 1:  # waits on a job that fails: stays deferred forever
            broken = default.enqueue(jobs.always_fails, "legacy exporter")
            low.enqueue(jobs.purge_sessions, next(self.counter), depends_on=broken)
        if self.chains % 4 == 2:  # waits on a job canceled before it ran: never runs either
            dropped = default.enqueue(jobs.build_report, next(self.counter), 1.0)
            low.enqueue(jobs.purge_sessions, next(self.counter), depends_on=dropped)
            dropped.cancel()

    def _group(self, queue: Queue) -> None:
        group = Group.create(connection=self.connection, name=f"import-{self.ticks:05d}")
        rows = [next(self.counter) for _ in range(self.random.randint(4, 8))]
        group.enqueue_many(queue, [Queue.prepare_data(jobs.import_row, (row,)) for row in rows])

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Tick until stop is set; a lost connection pauses the workload rather than ending it."""
        while not stop.is_set():
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                self.tick()
            stop.wait(interval)
