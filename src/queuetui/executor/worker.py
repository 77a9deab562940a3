"""`queuetui worker`: an RQ worker (or pool) on the priority queues, with RQ's scheduler on."""

from __future__ import annotations

from collections.abc import Sequence

import redis
from rq import Queue, Worker
from rq.worker_pool import WorkerPool

from queuetui.rqdata.priority import PRIORITY_QUEUES


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
) -> bool:
    """Work the queues in strict order (a job in an earlier queue always goes first).

    With pool > 1, runs that many worker processes under RQ's WorkerPool. Returns True when the
    worker (or pool) ran to completion, as RQ's own `work()` does.
    """
    names = listen_order(queues)
    if pool > 1:
        worker_pool = WorkerPool(names, connection=connection, num_workers=pool)
        worker_pool.start(burst=burst, logging_level=logging_level)
        return True
    worker = Worker([Queue(n, connection=connection) for n in names], connection=connection, name=name)
    return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
