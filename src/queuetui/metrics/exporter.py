"""`queuetui exporter`: Prometheus /metrics and /healthz, built on prometheus_client.

The names rq-exporter uses are kept, so dashboards built for it keep working:

    rq_workers{name,state,queues}                 1 per registered worker
    rq_workers_success_total{name,queues}         the worker's successful_job_count
    rq_workers_failed_total{name,queues}          the worker's failed_job_count
    rq_workers_working_time_total{name,queues}    the worker's total_working_time (seconds)
    rq_jobs{queue,status}                         queued, started, finished, failed, deferred,
                                                  scheduled, canceled

and queuetui adds:

    queuetui_queue_oldest_waiting_seconds{queue}          age of the job at the head (0 when empty)
    queuetui_jobs_enqueued_total{queue}, ..._finished_total, ..._failed_total
                                                          the sampler's cumulative counts
    queuetui_job_duration_seconds{queue,function}         run-time histogram from the sampler; the
                                                          function label is capped per queue
                                                          (series.MAX_FUNCTIONS, then "(other)")
    queuetui_scheduler_leader{instance}                   1 for the scheduler holding the lease
    queuetui_metrics_sampler_leader{instance}             1 for the sampler holding its lease
    queuetui_schedule_runs{state="late"|"missed"}         scheduled runs in that state whose fire
                                                          time is within the last 24 hours

A scrape reads Redis in a fixed number of round trips (the overview snapshot's three, then one
pipeline for the sampler's totals, histograms and both leases, then the histograms' hashes) and
makes one indexed SQL query; it writes nothing. The counters other than the workers' need a
sampler running somewhere (`queuetui monitor`, or any `queuetui scheduler`).
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import make_wsgi_app
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from queuetui.clock import SYSTEM, Clock
from queuetui.daemon import lease
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import RunState, ScheduleRun
from queuetui.metrics import sampler
from queuetui.metrics.series import HISTOGRAMS_KEY, TOTALS_KEY, Histogram, read_histograms
from queuetui.rqdata.connection import REDIS_ERRORS, describe_error
from queuetui.rqdata.fields import text
from queuetui.rqdata.overview import snapshot

RUNS_WINDOW = timedelta(hours=24)
JOB_STATUSES = {
    "queued": "waiting",
    "started": "started",
    "finished": "finished",
    "failed": "failed",
    "deferred": "deferred",
    "scheduled": "scheduled",
    "canceled": "canceled",
}
"""rq_jobs' status label (RQ's JobStatus values, as rq-exporter uses them) -> the overview's count."""


class QueuetuiCollector(Collector):
    """Everything /metrics shows, read afresh at each scrape."""

    def __init__(
        self,
        connection: redis.Redis,
        sessions: sessionmaker[Session] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.connection = connection
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        overview = snapshot(self.connection, self.clock)
        workers = GaugeMetricFamily("rq_workers", "RQ workers", labels=["name", "state", "queues"])
        success = CounterMetricFamily(
            "rq_workers_success", "RQ workers success count", labels=["name", "queues"]
        )
        failed = CounterMetricFamily("rq_workers_failed", "RQ workers fail count", labels=["name", "queues"])
        working = CounterMetricFamily(
            "rq_workers_working_time", "RQ workers spent seconds", labels=["name", "queues"]
        )
        for worker in overview.workers:
            queues = ",".join(worker.queues)
            workers.add_metric([worker.name, worker.state, queues], 1)
            success.add_metric([worker.name, queues], worker.successful)
            failed.add_metric([worker.name, queues], worker.failed)
            working.add_metric([worker.name, queues], worker.total_working_time)
        yield from (workers, success, failed, working)

        jobs = GaugeMetricFamily("rq_jobs", "RQ jobs by state", labels=["queue", "status"])
        oldest = GaugeMetricFamily(
            "queuetui_queue_oldest_waiting_seconds",
            "Age of the job at the head of the queue (0 when it is empty)",
            labels=["queue"],
        )
        for queue in overview.queues:
            for status, count in JOB_STATUSES.items():
                jobs.add_metric([queue.name, status], getattr(queue, count))
            oldest.add_metric([queue.name], queue.oldest_waiting_seconds or 0.0)
        yield from (jobs, oldest)

        pipe = self.connection.pipeline(transaction=False)
        pipe.hgetall(TOTALS_KEY)
        pipe.zrange(HISTOGRAMS_KEY, 0, -1)
        pipe.get(lease.LEASE_KEY)
        pipe.get(sampler.LEASE_KEY)
        totals, histogram_names, scheduler_lease, sampler_lease = pipe.execute()
        yield from _totals(cast(dict[bytes, bytes], totals))
        yield _histograms(read_histograms(self.connection, [json.loads(n) for n in histogram_names]))
        yield _leader("queuetui_scheduler_leader", "The scheduler holding the lease", scheduler_lease)
        yield _leader(
            "queuetui_metrics_sampler_leader", "The metrics sampler holding its lease", sampler_lease
        )
        if self.sessions is not None:
            yield self._runs()

    def _runs(self) -> Metric:
        assert self.sessions is not None
        runs = GaugeMetricFamily(
            "queuetui_schedule_runs",
            "Scheduled runs late or missed, by fire time within the last 24 hours",
            labels=["state"],
        )
        since = self.clock.now() - RUNS_WINDOW
        states = (RunState.LATE.value, RunState.MISSED.value)
        query = (
            select(ScheduleRun.state, func.count())
            .where(ScheduleRun.state.in_(states), ScheduleRun.fire_time >= since)
            .group_by(ScheduleRun.state)
        )
        with session_scope(self.sessions) as session:
            counts: dict[str, int] = {state: n for state, n in session.execute(query)}
        for state in states:
            runs.add_metric([state], counts.get(state, 0))
        return runs


def _totals(raw: dict[bytes, bytes]) -> Iterable[Metric]:
    families = {
        kind: CounterMetricFamily(
            f"queuetui_jobs_{kind}", f"Jobs {kind}, as the sampler counted", labels=["queue"]
        )
        for kind in ("enqueued", "finished", "failed")
    }
    for field, value in sorted(raw.items()):
        queue, _, kind = text(field).rpartition("|")
        if kind in families:
            families[kind].add_metric([queue], int(value))
    return families.values()


def _histograms(histograms: list[Histogram]) -> Metric:
    family = HistogramMetricFamily(
        "queuetui_job_duration_seconds", "Job run times, by queue and function", labels=["queue", "function"]
    )
    for histogram in histograms:
        buckets = [("+Inf" if b == float("inf") else repr(b), float(n)) for b, n in histogram.buckets]
        family.add_metric([histogram.queue, histogram.func], buckets, histogram.sum)
    return family


def _leader(name: str, documentation: str, value: bytes | None) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=["instance"])
    if value:
        family.add_metric([text(value).partition(":")[2]], 1)
    return family


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def application(
    connection: redis.Redis, sessions: sessionmaker[Session] | None = None, clock: Clock = SYSTEM
) -> WSGIApp:
    """The exporter's WSGI app: /metrics (also /), /healthz; Redis or the database down answers 503."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueuetuiCollector(connection, sessions, clock))
    metrics = make_wsgi_app(registry)

    def plain(start_response: Callable[..., Any], status: str, body: str) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [body.encode() + b"\n"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":
            try:
                connection.ping()
            except REDIS_ERRORS as exc:
                return plain(start_response, "503 Service Unavailable", describe_error(exc))
            return plain(start_response, "200 OK", "ok")
        if path not in ("/", "/metrics"):
            return plain(start_response, "404 Not Found", "not found: try /metrics or /healthz")
        try:
            return cast(Iterable[bytes], metrics(environ, start_response))
        except REDIS_ERRORS as exc:
            return plain(start_response, "503 Service Unavailable", describe_error(exc))
        except DatabaseError as exc:
            return plain(start_response, "503 Service Unavailable", str(exc))

    return app


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged."""


def serve(app: WSGIApp, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve `app` on host:port (port 0 picks one) from a thread; stop it with server.shutdown()."""
    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="queuetui-exporter", daemon=True)
    thread.start()
    return server, thread
