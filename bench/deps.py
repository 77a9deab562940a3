"""Benchmark: never-runnable detection and dependency trees, against the same answers read through RQ's API.

Seeds a real Redis (embedded) with --chains chains of four jobs in queue 'etl': a root (a quarter of
them failed, canceled, deleted or still queued) and three deferred jobs, each waiting on the one
before, with RQ's own fields and sets (dependency_ids, rq:job::<id>:dependencies, rq:job:<id>:dependents,
the deferred registry). Then measures, median of --reps runs each, round trips counted:
  - the Never runs column of a Deferred page of 100 rows: deps.never_runnable, against RQ's API
    (Job.fetch of each job, Job.fetch_dependencies, and the same again for a deferred dependency);
  - the tree of a root with 100 chains hanging from it (300 jobs below it, 3 levels):
    deps.dependency_tree, against RQ's API (Job.fetch, then dependent_ids and Job.fetch_many per job);
  - the never: filter over the whole Deferred registry (search.filter_ids; it stops at its
    100,000th match, as every filter does).
Each read is measured on loopback and through a proxy that adds --rtt-ms of network round trip.
Prints a table and writes bench/results/deps-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import redis
from rq.job import Job

from latency_proxy import LatencyProxy  # type: ignore[import-not-found]
from queuetui.embedded import EmbeddedRedis
from queuetui.rqdata import keys
from queuetui.rqdata.deps import dependency_tree, never_runnable
from queuetui.rqdata.pages import read_ids
from queuetui.rqdata.query import parse
from queuetui.rqdata.search import MAX_MATCHES, filter_ids
from timing import median_ms, trips  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {"chains": 100_000, "reps": 20},
    "smoke": {"chains": 2_000, "reps": 5},
}
PAGE = 100
FAN = 100
CHUNK = 5_000
ROOTS = ("failed", "canceled", "gone", "queued")
RESULTS = Path(__file__).parent / "results"


def seed(conn: redis.Redis, chains: int) -> None:
    conn.flushall()
    job = Job.create("app.etl.load", args=(1,), connection=conn)
    template = {k: v for k, v in job.to_dict().items() if v is not None}
    conn.sadd(keys.QUEUES_SET, keys.queue_key("etl"))
    deferred = keys.registry_key("etl", "deferred")

    def put(pipe: Any, job_id: str, status: str, waits_on: str | None, score: float) -> None:
        fields = {**template, "origin": "etl", "status": status}
        if waits_on:
            fields["dependency_ids"] = json.dumps([waits_on])
            pipe.sadd(keys.dependencies_key(job_id), waits_on)
            pipe.sadd(keys.dependents_key(waits_on), job_id)
        pipe.hset(keys.job_key(job_id), mapping=fields)
        if status == "deferred":
            pipe.zadd(deferred, {job_id: score})

    for start in range(0, chains, CHUNK):
        pipe = conn.pipeline(transaction=False)
        for i in range(start, min(chains, start + CHUNK)):
            root, kind = f"r{i:07d}", ROOTS[i % len(ROOTS)]
            if kind != "gone":
                put(pipe, root, kind, None, i)
            previous = root
            for level in (1, 2, 3):
                put(pipe, f"d{level}-{i:07d}", "deferred", previous, i * 3 + level)
                previous = f"d{level}-{i:07d}"
        pipe.execute()
    # One root that a hundred chains hang from, for the tree.
    pipe = conn.pipeline(transaction=False)
    put(pipe, "hub", "queued", None, 0)
    for i in range(FAN):
        previous = "hub"
        for level in (1, 2, 3):
            put(pipe, f"h{level}-{i:03d}", "deferred", previous, chains * 3 + i * 3 + level)
            previous = f"h{level}-{i:03d}"
    pipe.execute()


def rq_never(conn: redis.Redis, ids: list[str]) -> dict[str, str]:
    """The same answer through RQ's API: fetch each job and its dependencies, deeper for deferred ones."""

    def reason(job: Job, seen: set[str]) -> str:
        found = {d.id: d for d in job.fetch_dependencies()}
        for dep_id in job._dependency_ids:
            dep = found.get(dep_id)
            if dep is None:
                return f"dep {dep_id} gone"
            status = str(getattr(dep.get_status(refresh=False), "value", ""))
            if status in ("canceled", "stopped") or (
                status == "failed" and not job.allow_dependency_failures
            ):
                return f"dep {dep_id} {status}"
            if status == "deferred" and dep_id not in seen and reason(dep, seen | {dep_id}):
                return f"dep {dep_id} never runs"
        return ""

    return {job_id: reason(Job.fetch(job_id, connection=conn), {job_id}) for job_id in ids}


def rq_tree(conn: redis.Redis, job_id: str, depth: int = 3) -> list[tuple[str, str]]:
    """What waits on a job through RQ's API: Job.fetch, then dependent_ids and Job.fetch_many a level."""
    found = [(job_id, str(Job.fetch(job_id, connection=conn).get_status(refresh=False).value))]
    level = [job_id]
    for _ in range(depth):
        below = [d for parent in level for d in Job(parent, connection=conn).dependent_ids]
        jobs = [j for j in Job.fetch_many(below, connection=conn) if j is not None]
        found.extend((j.id, str(j.get_status(refresh=False).value)) for j in jobs)
        level = [j.id for j in jobs]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--rtt-ms", type=float, default=0.5, help="network round trip to emulate")
    args = parser.parse_args()
    size = SIZES[args.size]
    reps = args.reps or size["reps"]
    rows: list[dict[str, Any]] = []

    with EmbeddedRedis() as server:
        conn = server.client()
        t0 = time.perf_counter()
        seed(conn, size["chains"])
        total = conn.zcard(keys.registry_key("etl", "deferred"))
        print(f"seeded {size['chains']:,} chains, {total:,} deferred jobs in {time.perf_counter() - t0:.1f}s")
        # A page from the middle of the registry: whole chains, their roots a mix of the four kinds.
        _, members = read_ids(conn, "etl", "deferred", total // 2, PAGE, False)
        page = [job_id for job_id, _ in members]

        def measure(client: redis.Redis, where: str) -> None:
            ours, flags = median_ms(lambda: never_runnable(client, page), reps)
            theirs, other = median_ms(lambda: rq_never(client, page), reps)
            assert flags == other, "both ways must give the same reasons"
            rows.append({"what": f"Never runs for a page of {PAGE}{where}", "ours": ours, "theirs": theirs,
                         "ours_trips": trips(server.url, lambda c: never_runnable(c, page)),
                         "theirs_trips": trips(server.url, lambda c: rq_never(c, page))})  # fmt: skip
            ours, tree = median_ms(lambda: dependency_tree(client, "hub", depth=3), reps)
            theirs, listed = median_ms(lambda: rq_tree(client, "hub"), reps)
            assert len(tree.ids()) == len(listed) == 1 + 3 * FAN
            what = f"tree of a job with {3 * FAN} below it{where}"
            rows.append({"what": what, "ours": ours, "theirs": theirs,
                         "ours_trips": trips(server.url, lambda c: dependency_tree(c, "hub", depth=3)),
                         "theirs_trips": trips(server.url, lambda c: rq_tree(c, "hub"))})  # fmt: skip

        measure(conn, "")
        with LatencyProxy(server.port, args.rtt_ms / 2) as proxy:
            remote = redis.Redis.from_url(proxy.url)
            measure(remote, f", +{args.rtt_ms:g} ms RTT")
            remote.close()
        ours, found = median_ms(
            lambda: filter_ids(conn, "etl", "deferred", parse("never:")), max(1, reps // 4)
        )
        expected = (total - 3 * FAN) * 3 // 4
        assert len(found.ids) == min(expected, MAX_MATCHES) and found.truncated == (expected > MAX_MATCHES)
        scanned = f"{found.walk.scanned:,} of {total:,}" if found.truncated else f"{total:,}"
        rows.append({"what": f"never: filter over {scanned} deferred", "ours": ours, "theirs": None,
                     "ours_trips": None, "theirs_trips": None})  # fmt: skip

    print()
    print(
        f"{'median of ' + str(reps):<46}{'queuetui ms':>12}{'RQ API ms':>11}{'ratio':>8}{'round trips':>16}"
    )
    for r in rows:
        ratio = f"{r['theirs'] / r['ours']:.1f}x" if r["theirs"] else ""
        theirs = f"{r['theirs']:.2f}" if r["theirs"] else "-"
        counts = f"{r['ours_trips']} vs {r['theirs_trips']}" if r["ours_trips"] else ""
        print(f"{r['what']:<46}{r['ours']:>12.2f}{theirs:>11}{ratio:>8}{counts:>16}")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "size": args.size,
        "reps": reps,
        "chains": size["chains"],
        "rtt_ms": args.rtt_ms,
        "measures": rows,
    }
    (RESULTS / f"deps-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
