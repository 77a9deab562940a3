"""Real RQ workloads for tests: jobs in every registry, and a worker holding a job in Running."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import redis
from rq import Queue, SimpleWorker
from rq.job import JobStatus
from rq.registry import FailedJobRegistry

from tests import jobs
from tests.conftest import run_env, wait_for


def seed_every_registry(conn: redis.Redis) -> None:
    """default: 1 waiting, 1 failed, 2 finished, 1 scheduled, 1 deferred, 1 canceled."""
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 2, job_id="fin-1")
    q.enqueue(jobs.add, 2, 3, job_id="fin-2")
    q.enqueue(jobs.boom, "bad input", job_id="fail-1")
    SimpleWorker([q], connection=conn).work(burst=True)
    q.enqueue(jobs.add, 3, 4, job_id="wait-1")
    q.enqueue_in(timedelta(hours=1), jobs.add, 1, 1, job_id="sched-1")
    q.enqueue(jobs.add, 5, 6, job_id="defer-1", depends_on="wait-1")
    q.enqueue(jobs.add, 0, 0, job_id="cancel-1").cancel()


# Copies of a template job, made inside Redis: the same hash, TTL and failed-registry score under the
# ids PREFIX + %06d (i from ARGV[2] to ARGV[3]).
_CLONE_FAILED = """
local fields = redis.call('HGETALL', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
local score = redis.call('ZSCORE', KEYS[2], ARGV[4])
local members = {}
for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local id = string.format('%s%06d', ARGV[1], i)
  redis.call('HSET', 'rq:job:' .. id, unpack(fields))
  if ttl > 0 then redis.call('PEXPIRE', 'rq:job:' .. id, ttl) end
  members[#members + 1] = score
  members[#members + 1] = id
  if #members >= 4000 then
    redis.call('ZADD', KEYS[2], unpack(members))
    members = {}
  end
end
if #members > 0 then redis.call('ZADD', KEYS[2], unpack(members)) end
"""


def seed_failed(conn: redis.Redis, queue: str, n: int, prefix: str = "f", chunk: int = 2000) -> list[str]:
    """`n` failed jobs of tests.jobs.add (which succeeds once retried): real failed jobs.

    The first fails through RQ's own calls (the worker's failure path: set_status FAILED,
    FailedJobRegistry.add with the traceback); the others are copies of it made inside Redis, `chunk`
    a script call, so seeding 100,000 costs the client one job's work.
    """
    q = Queue(queue, connection=conn)
    registry = FailedJobRegistry(queue, connection=conn)
    ids = [f"{prefix}{i:06d}" for i in range(n)]
    conn.sadd("rq:queues", f"rq:queue:{queue}")
    if not ids:
        return ids
    job = q.create_job(jobs.add, args=(1, 2), job_id=ids[0])
    job.origin = queue
    pipe = conn.pipeline()
    job.set_status(JobStatus.FAILED, pipeline=pipe)
    registry.add(job, exc_string="Traceback...\nValueError: seeded", pipeline=pipe)
    pipe.execute()
    clone = conn.register_script(_CLONE_FAILED)
    for start in range(1, n, chunk):
        stop = min(start + chunk, n) - 1
        clone(keys=[job.key, registry.key], args=[prefix, start, stop, job.id])
    return ids


@contextmanager
def running_job(
    conn: redis.Redis, redis_url: str, job_id: str = "run-1", queue: str = "slow", meta: dict | None = None
) -> Iterator[None]:
    """A real burst worker (named w-test) running `job_id` (with `meta`) until the block ends."""
    Queue(queue, connection=conn).enqueue(jobs.hold, "test:release", job_id=job_id, meta=meta)
    worker = subprocess.Popen(
        [sys.executable, "-m", "queuetui", "worker", queue, "--burst", "--name", "w-test"],
        env=run_env(redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: conn.hget(f"rq:job:{job_id}", "status") == b"started", message=f"{job_id} to start")
        yield
    finally:
        conn.set("test:release", 1)
        worker.wait(30)


@contextmanager
def worker_process(
    redis_url: str, *queues: str, name: str = "w-test", burst: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `queuetui worker` process (RQ's forking Worker) on `queues`; stopped when the block ends."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "queuetui",
            "worker",
            *queues,
            "--name",
            name,
            *(["--burst"] if burst else []),
        ],
        env=run_env(redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
        worker.wait(30)


class FileCreator:
    """The standard unpickler would run `touch path` to rebuild this."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.system, (f"touch {self.path}",))


BROKEN_IDS = (
    "evil-1",
    "nodata-1",
    "garbage-1",
    "badmeta-1",
    "huge-1",
    "gone-func-1",
    "expired-1",
    "wrongtype-1",
)


def seed_broken(conn: redis.Redis, trap: str) -> None:
    """Queue 'broken' holds one job per way a job can be unreadable, in BROKEN_IDS order.

    evil-1 would run `touch trap` if unpickled.
    """
    import os
    import pickle
    import zlib

    q = Queue("broken", connection=conn)
    q.enqueue(jobs.add, FileCreator(trap), 1, job_id="evil-1")
    q.enqueue(jobs.add, 1, 1, job_id="nodata-1")
    conn.hdel("rq:job:nodata-1", "data")
    q.enqueue(jobs.add, 1, 1, job_id="garbage-1")
    conn.hset("rq:job:garbage-1", "data", b"\x00\xde\xad\xbe\xef not a payload \xff")
    q.enqueue(jobs.add, 1, 1, job_id="badmeta-1")
    conn.hset("rq:job:badmeta-1", "meta", b"\xff\xfe\xfa not utf-8")
    q.enqueue(jobs.add, os.urandom(5_000_000).hex(), 1, job_id="huge-1")  # 10 MB that zlib cannot shrink
    q.enqueue("app.removed_module.old_task", 7, job_id="gone-func-1")
    conn.rpush("rq:queue:broken", "expired-1")
    conn.set("rq:job:wrongtype-1", "a string where RQ keeps a hash")
    conn.rpush("rq:queue:broken", "wrongtype-1")
    assert (
        pickle.loads(zlib.decompress(conn.hget("rq:job:gone-func-1", "data")))[0]
        == "app.removed_module.old_task"
    )
