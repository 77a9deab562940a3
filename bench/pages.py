"""Benchmark: job pages, find by id and filtering at scale, against the way rq-dashboard reads a page.

Seeds a real Redis (embedded) with --waiting jobs in one queue and --failed failed jobs, each with
a real RQ job hash and, for the failed ones, a result stream holding the traceback (four exception
types). Then measures, median of --reps runs each:
  - queuetui: rqdata.pages.read_page for the first page and the page at offset 150,000 (or the
    middle, at smoke size), for both the queue and the failed registry;
  - rq-dashboard's way for the same page: its own per-job code (rq_dashboard 0.9.0): the count, the
    ids, then per job Queue.fetch_job and rq_dashboard.web.serialize_job (latest_result, dates, the
    description), 2 round trips per job; checked against its get_queue_registry_jobs_count;
  - find by id (rqdata.pages.find_job) for a waiting job deep in the queue and a failed job;
  - filtering every failed job by exception type (rqdata.search.filter_ids, chunked, with progress);
and the console's resident memory while browsing the big queue (bench/console_browse.py).
The page reads are measured twice: on loopback, and through a proxy that adds --rtt-ms of network
round trip (Redis on another host of the same network: the usual place for production Redis).
Prints a table and writes bench/results/pages-<size>.json.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq_dashboard.web import get_queue_registry_jobs_count, serialize_job

from console_run import run_console_script  # type: ignore[import-not-found]
from latency_proxy import LatencyProxy  # type: ignore[import-not-found]
from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata.pages import find_job, read_page
from queuetui.rqdata.query import parse
from queuetui.rqdata.search import filter_ids
from timing import median_ms  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {"waiting": 1_000_000, "failed": 200_000, "offset": 150_000, "reps": 20, "browse": 30},
    "smoke": {"waiting": 20_000, "failed": 4_000, "offset": 10_000, "reps": 5, "browse": 5},
}
PAGE = 50
CHUNK = 20_000
EXCEPTIONS = ("TimeoutError", "ConnectionError", "KeyError", "ValueError")
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, waiting: int, failed: int) -> None:
    conn.flushall()
    job = Job.create(
        "app.mail.send_email", args=("a@example.com",), kwargs={"template": "x"}, connection=conn
    )
    template = {k: v for k, v in job.to_dict().items() if v is not None}
    conn.sadd("rq:queues", "rq:queue:default")
    future = time.time() + 7 * 86400
    first = datetime(2026, 11, 1, tzinfo=UTC)
    for start in range(0, waiting, CHUNK):
        pipe = conn.pipeline(transaction=False)
        for i in range(start, min(waiting, start + CHUNK)):
            enqueued = (first + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            fields = {**template, "origin": "default", "status": "queued", "enqueued_at": enqueued}
            pipe.hset(f"rq:job:w{i:08d}", mapping=fields)
            pipe.rpush("rq:queue:default", f"w{i:08d}")
        pipe.execute()
    for start in range(0, failed, CHUNK):
        pipe = conn.pipeline(transaction=False)
        for i in range(start, min(failed, start + CHUNK)):
            job_id = f"f{i:08d}"
            kind = EXCEPTIONS[i % len(EXCEPTIONS)]
            traceback = (
                f'Traceback (most recent call last):\n  File "app/mail.py"\n{kind}: attempt {i} failed\n'
            )
            pipe.hset(f"rq:job:{job_id}", mapping={**template, "origin": "default", "status": "failed"})
            pipe.zadd("rq:failed:default", {job_id: future + i})
            exc_string = base64.b64encode(zlib.compress(traceback.encode()))
            pipe.xadd(f"rq:results:{job_id}", {"type": 2, "worker_name": "w1", "exc_string": exc_string})
        pipe.execute()


def seeded_already(conn: redis.Redis, waiting: int, failed: int) -> bool:
    """The server holds exactly what seed() would write for these sizes (checked at both ends)."""
    pipe = conn.pipeline(transaction=False)
    pipe.llen("rq:queue:default")
    pipe.zcard("rq:failed:default")
    pipe.dbsize()
    pipe.lindex("rq:queue:default", -1)
    expected_keys = 2 + waiting + 2 * failed + 1
    last = f"w{waiting - 1:08d}".encode()
    return pipe.execute() == [waiting, failed, expected_keys, last]


def dashboard_page(conn: redis.Redis, registry: str, offset: int) -> list[dict[str, Any]]:
    """A page as rq-dashboard 0.9.0 serves it (web.get_queue_registry_jobs_count, 'asc' order).

    Its own code but for the window: for page p it reads ids [offset, 2 x offset + PAGE), so a deep
    page would fetch every job before it too; here it reads the page's PAGE ids. The rest is its
    per-job work: Queue.fetch_job (HGETALL) and serialize_job (latest_result: XREVRANGE and the
    traceback decompressed; dates through arrow; the description). Needs a Flask app context.
    """
    queue = Queue("default", connection=conn)
    if registry == "waiting":
        total = queue.count
        ids = queue.get_job_ids(offset, PAGE)
    else:
        failed = FailedJobRegistry("default", connection=conn)
        total = failed.get_job_count(cleanup=False)
        ids = failed.get_job_ids(offset, offset + PAGE - 1, cleanup=False)
    jobs = [queue.fetch_job(job_id) for job_id in ids]
    assert total >= len(jobs)
    return [serialize_job(job) for job in jobs if job]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--rtt-ms", type=float, default=0.5, help="network round trip to emulate")
    parser.add_argument(
        "--url",
        help="a scratch Redis to use instead of an embedded one (flushed and seeded unless it already "
        "holds this size's jobs: seed once, measure many times)",
    )
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = args.reps or size["reps"]
    offset = size["offset"]
    rows: list[tuple[str, float, float | None]] = []

    with contextlib.ExitStack() as stack:
        stack.enter_context(Flask("bench").app_context())  # rq-dashboard's serialize_job reads its config
        if args.url:
            url = args.url
            port = int(redis.Redis.from_url(url).connection_pool.connection_kwargs["port"])
        else:
            server = stack.enter_context(EmbeddedRedis())
            url, port = server.url, server.port
        conn = redis.Redis.from_url(url)
        t0 = time.perf_counter()
        reuse = seeded_already(conn, size["waiting"], size["failed"])
        if not reuse:
            seed(conn, size["waiting"], size["failed"])
        used = conn.info("memory")["used_memory_human"]
        how = "reused" if reuse else f"seeded in {time.perf_counter() - t0:.1f}s"
        print(f"{size['waiting']:,} waiting, {size['failed']:,} failed: {how} (Redis {used})")

        for registry in ("queued", "failed"):  # at offset 0 its own window is right: the same page
            _, shipped = get_queue_registry_jobs_count("default", registry, 0, PAGE, "asc", conn)
            assert shipped == dashboard_page(conn, "waiting" if registry == "queued" else "failed", 0)

        def pages(client: redis.Redis, where: str) -> None:
            for registry in ("waiting", "failed"):
                for at in (0, min(offset, size["waiting" if registry == "waiting" else "failed"] - PAGE)):
                    ours, page = median_ms(
                        lambda r=registry, a=at: read_page(client, "default", r, a, PAGE, False), reps
                    )
                    theirs, other = median_ms(lambda r=registry, a=at: dashboard_page(client, r, a), reps)
                    assert [r.id for r in page.rows] == [j["id"] for j in other] and len(page.rows) == PAGE
                    rows.append((f"{registry} page at offset {at:,}{where}", ours, theirs))

        pages(conn, "")
        with LatencyProxy(port, args.rtt_ms / 2) as proxy:
            remote = redis.Redis.from_url(proxy.url)
            pages(remote, f", +{args.rtt_ms:g} ms RTT")
            remote.close()

        for row in (size["waiting"] * 9 // 10, size["waiting"] // 2):
            deep = f"w{row:08d}"
            ours, found = median_ms(lambda d=deep: find_job(conn, d), reps)
            assert found and found[0].position == row
            rows.append((f"find by id (waiting, row {row:,})", ours, None))
        ours, found = median_ms(lambda: find_job(conn, f"f{size['failed'] // 2:08d}"), reps)
        assert found and found[0].registry == "failed"
        rows.append(("find by id (failed)", ours, None))

        progress_calls = []
        query = parse("exc:TimeoutError")
        ours, result = median_ms(
            lambda: filter_ids(
                conn, "default", "failed", query, progress=lambda s, t: progress_calls.append(s)
            ),
            reps,
        )
        assert len(result.ids) == size["failed"] // len(EXCEPTIONS) and result.walk.complete
        rows.append((f"filter {size['failed']:,} failed by exception", ours, None))
        browse = run_console_script("console_browse.py", url, size["browse"], grace=300)

    print()
    print(f"{'median of ' + str(reps):<58}{'queuetui ms':>12}{'rq-dashboard ms':>17}{'ratio':>8}")
    for label, ours, theirs in rows:
        ratio = f"{theirs / ours:.1f}x" if theirs else ""
        print(f"{label:<58}{ours:>12.2f}{(f'{theirs:.2f}' if theirs else '-'):>17}{ratio:>8}")
    print(f"filter progress: {len(progress_calls) // (reps + 1)} updates per run")
    print(
        f"console browsing {size['waiting']:,} waiting jobs for {browse['seconds']:.0f}s "
        f"({browse['moves']} moves): RSS {browse['rss_mb']:.1f} MB (peak {browse['peak_mb']:.1f} MB)"
    )
    RESULTS.mkdir(exist_ok=True)
    result_json = {
        "size": args.size,
        "reps": reps,
        "seed": size,
        "page_rows": PAGE,
        "rtt_ms": args.rtt_ms,
        "measures": [{"what": label, "queuetui_ms": round(ours, 2),
                      "rq_dashboard_ms": round(theirs, 2) if theirs else None,
                      "ratio": round(theirs / ours, 1) if theirs else None} for label, ours, theirs in rows],
        "console": browse,
    }  # fmt: skip
    (RESULTS / f"pages-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    main()
