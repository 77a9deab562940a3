"""`queuetui worker`: an RQ worker (or pool) on the priority queues, with RQ's scheduler on.

Jobs that fail without a Retry of their own are retried by the [retry] policies (executor/retry.py),
which need the scheduler: a retry waits in the ScheduledJobRegistry until it is due.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Sequence
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.worker import BaseWorker
from rq.worker_pool import WorkerPool

from queuetui.config import LogSettings, RetrySettings, TenantSettings
from queuetui.executor.joblog import logging_worker_class
from queuetui.executor.limits import SLOT_TTL_MARGIN, TenantLimiter
from queuetui.executor.retry import RetryHandler
from queuetui.rqdata.priority import PRIORITY_QUEUES
from queuetui.tenancy import running_for, tenant_of

# How long the worker's pubsub listener thread waits for a message before it looks at its stop flag.
PUBSUB_POLL_SECONDS = 1.0


class TenantsMixin(BaseWorker):
    """A worker that runs each job as its tenant (current_tenant()) within [tenants.limits].

    Mix in before an RQ worker class (see tenant_worker_class). A job of a limited tenant runs once it
    holds one of the tenant's slots (executor/limits.py), renewed with the job's heartbeats and given
    back when it ends; over the limit, it is deferred and the worker takes the next job.
    """

    tenant_settings: TenantSettings = TenantSettings()
    _limiter: TenantLimiter | None = None

    def limiter(self) -> TenantLimiter | None:
        """The per-tenant limits of [tenants.limits] (None when there are none)."""
        settings = self.tenant_settings
        if not settings.limits and not settings.default_limit:
            return None
        if self._limiter is None:
            slot_ttl = self.job_monitoring_interval + SLOT_TTL_MARGIN
            self._limiter = TenantLimiter(self.connection, settings, slot_ttl)
        return self._limiter

    def execute_job(self, job: Job, queue: Queue) -> None:
        """RQ's execute_job, once the job holds a slot of its tenant; over the limit, it is deferred."""
        limiter = self.limiter()
        tenant = tenant_of(job.meta, self.tenant_settings.meta_key) if limiter else ""
        if limiter is None or not limiter.limit(tenant):
            super().execute_job(job, queue)
            return
        if not limiter.acquire(tenant, job.id):
            self.log.debug("Worker %s: job %s is over its tenant's limit: deferred", self.name, job.id)
            limiter.defer(tenant, job, queue)
            return
        try:
            super().execute_job(job, queue)
        finally:
            limiter.release(tenant, job.id)

    def maintain_heartbeats(self, job: Job, execution: Any) -> None:
        """RQ's heartbeats, and the renewal of the job's tenant slot."""
        super().maintain_heartbeats(job, execution)
        limiter = self.limiter()
        if limiter is not None:
            limiter.renew(tenant_of(job.meta, self.tenant_settings.meta_key), job.id)

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        """RQ's perform_job, with the job's tenant (from its meta) as current_tenant() while it runs."""
        with running_for(tenant_of(job.meta, self.tenant_settings.meta_key)):
            return super().perform_job(job, queue, execution)


class QueuetuiWorker(TenantsMixin, Worker):
    """RQ's forking Worker, with a pubsub listener that stops within PUBSUB_POLL_SECONDS.

    RQ's teardown (after a warm shutdown, or a burst worker's last job) unsubscribes, then stops the
    listener thread, which redis-py's stop() joins without a bound. When the listener reads the
    UNSUBSCRIBE reply before stop() clears its flag, it waits for a new subscription for its whole
    poll time, which RQ sets to 60 s: the worker then exits a minute after the shutdown command.

    RQ's unsubscribe then closes the pubsub after a join of one second, while the listener closes it
    too as it ends: when the join timed out just as the listener woke, the two closes raced and one
    raised AttributeError in redis-py's reset, so a burst worker that had done every job exited 1.

    Jobs run as their tenants, within [tenants.limits] (TenantsMixin).
    """

    def subscribe(self) -> None:
        """RQ's subscribe, with the listener polling every PUBSUB_POLL_SECONDS instead of 60 s."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ types it as None
            sleep_time=PUBSUB_POLL_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def unsubscribe(self) -> None:
        """RQ's unsubscribe, leaving the close to the listener, which closes the pubsub as it ends.

        A listener still alive after three poll times (a server gone silent) is a daemon thread and
        ends with the process; its connection is not handed back to the pool, nothing else is lost.
        """
        thread = self.pubsub_thread
        if thread is None:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name)
        self.pubsub.unsubscribe()
        thread.stop()
        thread.join(timeout=3 * PUBSUB_POLL_SECONDS)


def listen_order(queues: Sequence[str]) -> list[str]:
    """The queues to listen on, in the order given; the priority queues when none are given."""
    names = list(dict.fromkeys(queues)) or list(PRIORITY_QUEUES)
    for name in names:
        if not name or "," in name:
            raise ValueError(f"invalid queue name {name!r}")
    return names


def run_worker(
    connection: redis.Redis,
    queues: Sequence[str] = (),
    burst: bool = False,
    pool: int = 1,
    name: str | None = None,
    logging_level: str = "INFO",
    retry: RetrySettings | None = None,
    logs: LogSettings | None = None,
    tenants: TenantSettings | None = None,
) -> bool:
    """Work the queues in strict order (a job in an earlier queue always goes first).

    With pool > 1, runs that many worker processes under RQ's WorkerPool. Returns True when the
    worker (or pool) ran to completion, as RQ's own `work()` does. `retry`: the policies for jobs
    without a Retry of their own (default: the built-in ones). `logs`: the caps of each job's log.
    `tenants`: the meta key of a job's tenant.
    """
    names = listen_order(queues)
    handlers = [RetryHandler(retry or RetrySettings())]
    if pool > 1:
        # WorkerPool hands exception_handlers to each worker it forks (and to any it respawns).
        worker_pool = WorkerPool(
            names,
            connection=connection,
            num_workers=pool,
            exception_handlers=handlers,
            worker_class=logging_worker_class(tenant_worker_class(tenants), logs or LogSettings()),
        )
        worker_pool.start(burst=burst, logging_level=logging_level)
        return True
    worked = False
    while True:
        worker = build_worker(
            connection, names, name=name, retry=retry, logs=logs, worker_class=tenant_worker_class(tenants)
        )
        lost = _RedisLoss()
        logging.getLogger("rq.worker").addHandler(lost)
        try:
            worked = worker.work(burst=burst, with_scheduler=True, logging_level=logging_level) or worked
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # its teardown could not reach Redis
            if burst:
                raise
            if _stop_asked(worker):  # a stop asked for wins over starting again
                log.warning("worker %s stopped; its teardown could not reach Redis (%s)", worker.name, exc)
                return worked
            log.warning("worker %s lost Redis (%s)", worker.name, exc)
        else:
            if burst or _stop_asked(worker) or not lost.seen:
                return worked
        finally:
            logging.getLogger("rq.worker").removeHandler(lost)
        # RQ's loop rides out a Redis outage only while it waits for a job; lost anywhere else (a
        # failover, a restart) it quits. Start it again once Redis (or the new master) answers.
        if not _wait_for_redis(connection):
            return worked
        with contextlib.suppress(redis.RedisError):
            worker.register_death()  # so a named worker can take its name again
        log.warning("worker %s starting again", worker.name)


class _RedisLoss(logging.Handler):
    """Notes whether RQ's worker loop quit on a lost Redis (it logs the exception and returns)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0] if record.exc_info else None
        if kind is not None and issubclass(kind, redis.ConnectionError | redis.TimeoutError | OSError):
            self.seen = True


log = logging.getLogger("queuetui.worker")
RESTART_WAIT = (0.5, 5.0)
"""Seconds between checks that Redis answers again, doubling from the first to the second."""


def _stop_asked(worker: BaseWorker) -> bool:
    """Whether the worker ended because it was asked to (SIGTERM, SIGINT, a stop command)."""
    # RQ 3.0 keeps this only in private attributes: set by its signal handlers and shutdown commands.
    return bool(
        getattr(worker, "_stop_requested", False) or getattr(worker, "_shutdown_requested_date", None)
    )


def _wait_for_redis(connection: redis.Redis) -> bool:
    """Wait until Redis answers PING; False when SIGTERM or SIGINT came first."""
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    delay = RESTART_WAIT[0]
    try:
        while not stop.wait(delay):
            try:
                connection.ping()
                return True
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                delay = min(delay * 2, RESTART_WAIT[1])
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def build_worker(
    connection: redis.Redis,
    queues: Sequence[str],
    name: str | None = None,
    retry: RetrySettings | None = None,
    worker_class: type[BaseWorker] = QueuetuiWorker,
    logs: LogSettings | None = None,
) -> BaseWorker:
    """One RQ worker on `queues` in the order given, applying the retry policies and keeping job logs."""
    return logging_worker_class(worker_class, logs or LogSettings())(
        [Queue(n, connection=connection) for n in queues],
        connection=connection,
        name=name,
        exception_handlers=[RetryHandler(retry or RetrySettings())],
    )


def tenant_worker_class(
    tenants: TenantSettings | None, worker_class: type[BaseWorker] = QueuetuiWorker
) -> type[BaseWorker]:
    """`worker_class` running jobs as their tenants under `tenants` (QueuetuiWorker itself for defaults)."""
    mixed: type[TenantsMixin] = (
        worker_class
        if issubclass(worker_class, TenantsMixin)
        else type(worker_class.__name__, (TenantsMixin, worker_class), {"__module__": __name__})
    )
    if tenants is None or tenants == mixed.tenant_settings:
        return mixed
    return type(mixed.__name__, (mixed,), {"tenant_settings": tenants, "__module__": __name__})
