"""Job pages, job detail, find by id, filters and failure groups against real RQ jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker

from queuetui.rqdata.detail import job_detail
from queuetui.rqdata.pages import Location, default_descending, find_job, position, read_ids, read_page
from queuetui.rqdata.query import parse
from queuetui.rqdata.roundtrips import RoundTripCounter, counting_client
from queuetui.rqdata.rows import VIEWS, read_rows
from queuetui.rqdata.search import failure_groups, filter_ids
from tests import jobs
from tests.integration.test_read_only import redis_state, same_state
from tests.workload import BROKEN_IDS, running_job, seed_broken, seed_every_registry


def fill(conn: redis.Redis, n: int, queue: str = "bulk") -> None:
    q = Queue(queue, connection=conn)
    specs = [Queue.prepare_data(jobs.add, (i, i), job_id=f"j{i:05d}") for i in range(n)]
    for start in range(0, n, 500):
        q.enqueue_many(specs[start : start + 500])


def test_every_registry_shows_its_jobs_with_their_columns(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    with running_job(conn, redis_url):
        pages = {registry: read_page(conn, "default", registry) for registry in VIEWS}
        running = read_page(conn, "slow", "started")
    ids = {registry: [r.id for r in page.rows] for registry, page in pages.items()}
    assert ids == {
        "waiting": ["wait-1"],
        "started": [],
        "failed": ["fail-1"],
        "scheduled": ["sched-1"],
        "deferred": ["defer-1"],
        "finished": ["fin-2", "fin-1"],  # newest first
        "canceled": ["cancel-1"],
        "ready": [],
    }
    (run,) = running.rows
    assert (run.id, run.func, run.worker, run.status) == ("run-1", "tests.jobs.hold", "w-test", "started")
    assert run.started_at is not None and run.args == "'test:release'"
    (failed,) = pages["failed"].rows
    assert failed.exception is not None
    assert (failed.exception.type, failed.exception.message) == ("ValueError", "bad input")
    assert failed.func == "tests.jobs.boom" and failed.args == "'bad input'"
    assert failed.ended_at is not None and failed.started_at is not None
    (scheduled,) = pages["scheduled"].rows
    assert scheduled.score is not None and scheduled.moment is not None
    assert scheduled.moment.timestamp() == pytest.approx(scheduled.score)
    (waiting,) = pages["waiting"].rows
    assert (waiting.func, waiting.args, waiting.origin) == ("tests.jobs.add", "3, 4", "default")
    assert waiting.enqueued_at is not None and waiting.readable


def test_paging_boundaries(conn: redis.Redis) -> None:
    fill(conn, 250)
    first = read_page(conn, "bulk", "waiting", 0, 100)
    assert (first.total, first.offset, first.rows[0].id, first.rows[-1].id) == (250, 0, "j00000", "j00099")
    middle = read_page(conn, "bulk", "waiting", 100, 100)
    assert [r.id for r in middle.rows] == [f"j{i:05d}" for i in range(100, 200)]
    last = read_page(conn, "bulk", "waiting", 200, 100)
    assert (len(last.rows), last.end) == (50, 250)
    beyond = read_page(conn, "bulk", "waiting", 1000, 100)
    assert (beyond.offset, len(beyond.rows)) == (150, 100)
    newest = read_page(conn, "bulk", "waiting", 0, 3, descending=True)
    assert [r.id for r in newest.rows] == ["j00249", "j00248", "j00247"]
    tail = read_page(conn, "bulk", "waiting", 248, 100, descending=True)
    assert [r.id for r in tail.rows] == ["j00001", "j00000"]


def test_paging_at_exact_multiples_and_in_sorted_registries(conn: redis.Redis) -> None:
    fill(conn, 200)
    conn.zadd("rq:finished:bulk", {f"j{i:05d}": 1_900_000_000 + i for i in range(200)})
    assert len(read_page(conn, "bulk", "finished", 100, 100).rows) == 100
    page = read_page(conn, "bulk", "finished", 200, 100)  # one past the end: the last full page
    assert (page.offset, page.rows[0].id, page.rows[-1].id) == (100, "j00099", "j00000")
    asc = read_page(conn, "bulk", "finished", 0, 2, descending=False)
    assert [r.id for r in asc.rows] == ["j00000", "j00001"]
    assert asc.rows[0].score == 1_900_000_000


def test_a_registry_shrinking_while_paging(conn: redis.Redis) -> None:
    fill(conn, 300)
    deep = read_page(conn, "bulk", "waiting", 200, 100)
    assert deep.rows[0].id == "j00200"
    conn.ltrim("rq:queue:bulk", 0, 149)  # workers took 150 jobs from the tail
    again = read_page(conn, "bulk", "waiting", 200, 100)
    assert (again.total, again.offset, again.rows[-1].id) == (150, 50, "j00149")
    conn.delete("rq:queue:bulk")
    empty = read_page(conn, "bulk", "waiting", 200, 100)
    assert (empty.total, empty.offset, empty.rows) == (0, 0, ())


def test_a_page_costs_one_round_trip_whatever_its_size(conn: redis.Redis, redis_url: str) -> None:
    fill(conn, 1000)
    conn.script_flush()
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    client.ping()
    counter.count = 0
    read_page(client, "bulk", "waiting", 0, 1)
    assert counter.count == 3  # the page script unknown to the server, loaded, run: once per server
    for limit in (10, 500):
        counter.count = 0
        assert len(read_page(client, "bulk", "waiting", 300, limit).rows) == limit
        assert counter.count == 1
    counter.count = 0
    past = read_page(client, "bulk", "waiting", 5000, 10)  # past the end: the last page, same trip
    assert (past.offset, past.rows[-1].id, counter.count) == (990, "j00999", 1)


def test_without_scripting_rows_are_read_in_pipelines_with_the_same_result(
    conn: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_every_registry(conn)
    seed_broken(conn, str(tmp_path / "trap"))
    conn.acl_setuser("reader", enabled=True, nopass=True, keys=["*"], commands=["+@all", "-@scripting"])
    reader = redis.Redis.from_url(redis_url, username="reader")
    with pytest.raises(redis.exceptions.NoPermissionError):
        reader.eval("return 1", 0)
    for queue, registry in [("broken", "waiting"), ("default", "failed"), ("default", "finished")]:
        assert read_page(reader, queue, registry) == read_page(conn, queue, registry)
    query = parse("exc:ValueError OR meta.tenant:acme")
    assert filter_ids(reader, "default", "failed", query) == filter_ids(conn, "default", "failed", query)
    reader.close()
    conn.acl_deluser("reader")


def test_reading_pages_details_filters_and_groups_changes_nothing(conn: redis.Redis, tmp_path: Path) -> None:
    seed_every_registry(conn)
    seed_broken(conn, str(tmp_path / "trap"))
    before = redis_state(conn)
    for registry in VIEWS:
        read_page(conn, "default", registry)
    read_page(conn, "broken", "waiting")
    for job_id in ("fail-1", "wait-1", "expired-1", "evil-1"):
        job_detail(conn, job_id)
        find_job(conn, job_id)
    filter_ids(conn, "default", "failed", parse("exc:Value meta.x:y func:boom"))
    failure_groups(conn, "default")
    assert same_state(redis_state(conn), before)


def test_jump_to_an_id_and_find_it_anywhere(conn: redis.Redis, redis_url: str) -> None:
    fill(conn, 120)
    seed_every_registry(conn)
    assert position(conn, "bulk", "waiting", "j00042") == 42
    assert position(conn, "bulk", "waiting", "j00042", descending=True) == 77
    assert position(conn, "bulk", "waiting", "nope") is None
    assert position(conn, "default", "finished", "fin-1") == 1
    assert find_job(conn, "j00042") == [Location("bulk", "waiting", 42)]
    assert find_job(conn, "fail-1") == [Location("default", "failed", 0)]
    assert find_job(conn, "defer-1") == [Location("default", "deferred", 0)]
    assert find_job(conn, "no-such-job") == []
    conn.delete("rq:job:j00050")  # hash expired while the id still waits
    assert find_job(conn, "j00050") == [Location("bulk", "waiting", 50)]
    assert find_job(conn, "j00110") == [Location("bulk", "waiting", 110)]  # nearer the tail
    Queue("bulk", connection=conn).enqueue(jobs.add, 1, 2, job_id="urgent", at_front=True)
    assert find_job(conn, "urgent") == [Location("bulk", "waiting", 0)]  # newest, yet at the head
    assert position(conn, "bulk", "waiting", "j00119") == 120
    with running_job(conn, redis_url):
        assert find_job(conn, "run-1") == [Location("slow", "started", 0)]
        assert position(conn, "slow", "started", "run-1") == 0


def test_finding_a_waiting_job_costs_one_script_and_survives_a_queue_out_of_order(
    conn: redis.Redis, redis_url: str
) -> None:
    fill(conn, 600)
    counter = RoundTripCounter()
    client = counting_client(redis_url, counter)
    assert find_job(client, "j00300") == [Location("bulk", "waiting", 300)]  # loads the script
    counter.count = 0
    assert find_job(client, "j00301") == [Location("bulk", "waiting", 301)]
    assert counter.count == 3  # the hash and the queues; the registries; the search: no list scan
    # Out of enqueue order: a job moved in with an old enqueue time, a run of jobs whose hashes
    # are gone or are not hashes (the search cannot tell which side they are on), one put in front.
    first_time = conn.hget("rq:job:j00000", "enqueued_at")
    assert first_time is not None
    conn.hset("rq:job:j00400", "enqueued_at", first_time)
    conn.delete(*[f"rq:job:j{i:05d}" for i in range(280, 300)])
    conn.set("rq:job:j00300", "not a hash")
    Queue("bulk", connection=conn).enqueue(jobs.add, 1, 2, job_id="urgent", at_front=True)
    expected = {"j00400": 401, "j00301": 302, "j00350": 351, "urgent": 0, "j00599": 600}
    found = {job_id: find_job(client, job_id) for job_id in expected}
    assert found == {job_id: [Location("bulk", "waiting", at)] for job_id, at in expected.items()}
    conn.acl_setuser("reader", enabled=True, nopass=True, keys=["*"], commands=["+@all", "-@scripting"])
    reader = redis.Redis.from_url(redis_url, username="reader")
    assert {job_id: find_job(reader, job_id) for job_id in expected} == found
    assert position(reader, "bulk", "waiting", "j00350") == position(conn, "bulk", "waiting", "j00350") == 351
    reader.close()
    conn.acl_deluser("reader")


def test_job_detail_in_each_state(conn: redis.Redis, redis_url: str) -> None:
    seed_every_registry(conn)
    q = Queue("default", connection=conn)
    q.enqueue(jobs.add, 1, 1, job_id="meta-1", meta={"tenant": "acme"}, result_ttl=600)
    failed = job_detail(conn, "fail-1")
    assert (failed.status, failed.origin, failed.call.func_name) == ("failed", "default", "tests.jobs.boom")
    assert failed.locations == [Location("default", "failed", 0)]
    (result,) = failed.results
    assert result.type == "failed" and result.exception is not None
    assert result.exception.type == "ValueError" and "Traceback" in result.exception.traceback
    assert failed.latest_exception == result.exception
    finished = job_detail(conn, "fin-1")
    assert finished.results[0].type == "successful" and finished.results[0].return_value == 3
    assert finished.started_at and finished.ended_at and finished.enqueued_at and finished.created_at
    deferred = job_detail(conn, "defer-1")
    assert deferred.dependencies == ["wait-1"] and deferred.status == "deferred"
    assert job_detail(conn, "wait-1").dependents == ["defer-1"]
    scheduled = job_detail(conn, "sched-1")
    assert scheduled.locations == [Location("default", "scheduled", 0)]
    assert job_detail(conn, "cancel-1").status == "canceled"
    meta = job_detail(conn, "meta-1")
    assert meta.meta == {"tenant": "acme"} and meta.result_ttl == "600"
    with running_job(conn, redis_url):
        running = job_detail(conn, "run-1")
        assert (running.status, running.worker) == ("started", "w-test")
        assert running.locations == [Location("slow", "started", 0)]


def test_retries_left_and_intervals(conn: redis.Redis) -> None:
    from rq import Retry

    q = Queue("default", connection=conn)
    q.enqueue(jobs.boom, job_id="retry-1", retry=Retry(max=3, interval=[10, 30]))
    SimpleWorker([q], connection=conn).work(burst=True)
    detail = job_detail(conn, "retry-1")
    assert detail.retries_left == 2 and detail.retry_intervals == [10, 30]
    assert detail.status == "scheduled"
    (row,) = read_page(conn, "default", "scheduled").rows
    assert row.retries_left == 2


def test_broken_jobs_show_as_unreadable_rows_and_nothing_runs(conn: redis.Redis, tmp_path: Path) -> None:
    trap = tmp_path / "trap"
    seed_broken(conn, str(trap))
    page = read_page(conn, "broken", "waiting")
    rows = {r.id: r for r in page.rows}
    assert list(rows) == list(BROKEN_IDS)
    assert rows["evil-1"].readable and rows["evil-1"].args.startswith("<pickled posix.system>")
    assert rows["nodata-1"].problem == "no data field"
    assert rows["garbage-1"].problem.startswith("payload:")
    assert rows["badmeta-1"].readable  # meta is not read for a row unless a filter asks
    assert rows["huge-1"].args.startswith("(payload ") and rows["huge-1"].payload_size > 4_000_000
    assert rows["gone-func-1"].func == "app.removed_module.old_task" and rows["gone-func-1"].readable
    assert rows["expired-1"].problem == "job hash missing (expired or deleted)"
    assert rows["wrongtype-1"].problem == "job key holds something other than a hash"
    assert filter_ids(conn, "broken", "waiting", parse("meta.tenant:acme")).ids == []
    details = {job_id: job_detail(conn, job_id) for job_id in BROKEN_IDS}
    assert repr(details["evil-1"].call.args[0]) == "<pickled posix.system>"
    assert details["nodata-1"].problems == ["no data field"]
    assert "data" in details["garbage-1"].raw and "\\xde\\xad" in details["garbage-1"].raw["data"]
    assert details["badmeta-1"].problems == ["meta: neither a pickle nor JSON"]
    assert len(details["huge-1"].call.args[0]) == 10_000_000
    assert details["gone-func-1"].call.args == (7,)
    assert not details["expired-1"].exists and details["expired-1"].locations == [
        Location("broken", "waiting", 6)
    ]
    assert details["wrongtype-1"].problems == ["job key holds something other than a hash"]
    assert not trap.exists()


def test_a_filter_reading_only_the_fields_it_tests_matches_what_whole_rows_match(
    conn: redis.Redis, tmp_path: Path
) -> None:
    seed_every_registry(conn)
    seed_broken(conn, str(tmp_path / "trap"))
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1, job_id="meta-1", meta={"tenant": "acme"})
    now = datetime.now(UTC)
    queries = ["exc:ValueError", "msg:bad", "!exc:Value", "status:queued", "queue:default", "worker:w",
               "age>1h", "age<1h", "duration<1h", "retries>0", "meta.tenant:acme", "func:add", "bad",
               "exc:Value OR status:finished", "group:x"]  # fmt: skip
    checked = 0
    for source in queries:
        query = parse(source)
        assert query.fields or source in ("func:add", "bad") or "meta" in source
        for queue, registry in [("default", r) for r in VIEWS] + [("broken", "waiting")]:
            _, members = read_ids(conn, queue, registry, 0, 1000, default_descending(registry))
            whole = read_rows(conn, queue, registry, members, exceptions=True, meta=True)
            expected = [row.id for row in whole if query.match(row, now)]
            assert filter_ids(conn, queue, registry, query).ids == expected, (source, registry)
            checked += len(expected)
    assert checked > 20


def test_filters_walk_the_registry_in_chunks_with_progress(conn: redis.Redis) -> None:
    q = Queue("work", connection=conn)
    for i in range(30):
        q.enqueue(jobs.boom, f"user {i} not found", job_id=f"nf-{i:02d}")
    for i in range(20):
        q.enqueue(
            jobs.boom, f"disk full at {i}%", job_id=f"df-{i:02d}", meta={"tenant": "acme" if i % 2 else "b"}
        )
    q.enqueue(jobs.add, 1, 1, job_id="ok-1")
    SimpleWorker([q], connection=conn).work(burst=True)
    seen: list[tuple[int, int]] = []
    result = filter_ids(
        conn,
        "work",
        "failed",
        parse("msg:disk meta.tenant:acme"),
        chunk=7,
        progress=lambda s, t: seen.append((s, t)),
    )
    assert sorted(result.ids) == [f"df-{i:02d}" for i in range(1, 20, 2)]
    assert result.walk.complete and result.walk.scanned == 50
    assert seen[0] == (7, 50) and seen[-1] == (50, 50) and len(seen) == 8
    negated = filter_ids(conn, "work", "failed", parse("!msg:disk"))
    assert len(negated.ids) == 30
    calls = 0

    def cancel_after_two() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2

    cut = filter_ids(conn, "work", "failed", parse("exc:ValueError"), chunk=10, cancelled=cancel_after_two)
    assert not cut.walk.complete and cut.walk.scanned == 20 and len(cut.ids) == 20
    capped = filter_ids(conn, "work", "failed", parse("exc:ValueError"), chunk=10, max_matches=15)
    assert capped.truncated and len(capped.ids) == 15


def test_failure_groups_mask_numbers_and_count(conn: redis.Redis) -> None:
    q = Queue("work", connection=conn)
    for i in range(5):
        q.enqueue(jobs.boom, f"user {i * 17} not found", job_id=f"nf-{i}")
    for i in range(3):
        q.enqueue(jobs.boom, f"disk full at {i}%", job_id=f"df-{i}")
    SimpleWorker([q], connection=conn).work(burst=True)
    conn.zadd("rq:failed:work", {"vanished": 1})
    result = failure_groups(conn, "work", chunk=4)
    summary = [(g.signature, g.count) for g in result.groups]
    assert summary == [
        ("ValueError: user <n> not found", 5),
        ("ValueError: disk full at <n>%", 3),
        ("(unreadable)", 1),
    ]
    top = result.groups[0]
    assert top.first_seen is not None and top.last_seen is not None and top.first_seen <= top.last_seen
    assert top.sample_id.startswith("nf-")
    chosen = filter_ids(conn, "work", "failed", parse(f'sig:"{top.signature}"'))
    assert sorted(chosen.ids) == [f"nf-{i}" for i in range(5)]
