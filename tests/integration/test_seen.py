"""Queue names and the functions of the newest jobs, for the schedule form's completion."""

from __future__ import annotations

import redis
from rq import Queue, SimpleWorker

from queuetui.rqdata import seen as seen_module
from queuetui.rqdata.seen import seen
from tests import jobs


def test_seen_reads_the_newest_jobs_of_each_queue_and_writes_nothing(conn: redis.Redis) -> None:
    default = Queue("default", connection=conn)
    for i in range(3):
        default.enqueue(jobs.add, i, i)
    default.enqueue(jobs.boom, "x")
    SimpleWorker([default], connection=conn).work(burst=True)  # 3 finished, 1 failed
    default.enqueue(jobs.add, 9, 9)
    Queue("emails", connection=conn).enqueue(jobs.record, "mail")
    before = {key: conn.dump(key) for key in conn.keys("*")}
    found = seen(conn)
    assert found.queues == ("default", "emails")
    assert found.functions == ("tests.jobs.add", "tests.jobs.boom", "tests.jobs.record")
    assert {key: conn.dump(key) for key in conn.keys("*")} == before


def test_seen_is_bounded_by_the_newest_jobs(conn: redis.Redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    queue = Queue("default", connection=conn)
    queue.enqueue(jobs.boom, "oldest")
    for i in range(5):
        queue.enqueue(jobs.add, i, i)
    assert seen(conn, newest=5).functions == ("tests.jobs.add",)
    monkeypatch.setattr(seen_module, "MAX_IDS", 2)
    assert seen(conn).functions == ("tests.jobs.add",)  # the newest two
    monkeypatch.setattr(seen_module, "MAX_IDS", 6)
    assert seen(conn).functions == ("tests.jobs.add", "tests.jobs.boom")
