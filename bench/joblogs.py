"""Benchmark: what keeping a job's log costs. One job logging --lines lines under `queuetui worker`
against the same job under a plain `rq worker`, both RQ's forking Worker, both running the whole time
on a real Redis (embedded), the two alternating job by job, --reps jobs each (after one warm job each).

The job sends its records to a file handler at INFO (as an application that logs somewhere does), so
both workers create and format every record; `queuetui worker` also captures them into the job's
stream with the default caps (1,000 lines, 256 KB: most are dropped, the marker counts them). Its run
time is RQ's own (ended_at - started_at: the job, plus, for queuetui, its last flush). Prints the
medians, the overhead ratio, the queuetui worker's RSS before and after, and writes
bench/results/joblogs-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES: dict[str, dict[str, int]] = {
    "full": {"lines": 10_000, "reps": 9},
    "smoke": {"lines": 1_000, "reps": 3},
}
RESULTS = Path(__file__).parent / "results"
BENCH = Path(__file__).parent


def log_lines(lines: int) -> int:
    """The job: `lines` INFO records, each formatted to a file (os.devnull) by the app's own handler."""
    log = logging.getLogger("bench.job")
    if not log.handlers:
        handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the horse
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    for i in range(lines):
        log.info("processed item %d of %d: status=%s", i, lines, "ok")
    return lines


def rss_kb(pid: int) -> int:
    """The resident set size of a process, in KB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int, children: bool = False) -> float:
    """CPU time (user + system) of a process, or of its children it has waited for (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    first = 13 if children else 11  # cutime, cstime / utime, stime
    return (int(fields[first]) + int(fields[first + 1])) * TICK_MS


def run_job(conn, queue, lines: int, worker: int, redis_pid: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Enqueue the job and wait until its work horse is gone; RQ's run time of it, the work horse's
    CPU time and Redis's CPU time meanwhile, in milliseconds."""
    horse_before, redis_before = cpu_ms(worker, children=True), cpu_ms(redis_pid)
    job = queue.enqueue("joblogs.log_lines", lines, result_ttl=600)  # as the workers import it
    deadline = time.monotonic() + 120
    # The worker marks itself idle once it has waited for its work horse: then the CPU is counted.
    while (
        job.get_status(refresh=True) != "finished" or conn.hget(f"rq:worker:{queue.name}", "state") != b"idle"
    ):
        if time.monotonic() > deadline or job.get_status() == "failed":
            raise SystemExit(f"job {job.id} on {queue.name} did not finish ({job.get_status()})")
        time.sleep(0.005)
    job.refresh()
    run = (job.ended_at - job.started_at).total_seconds() * 1000
    return run, cpu_ms(worker, children=True) - horse_before, cpu_ms(redis_pid) - redis_before


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    size = SIZES[args.size]
    reps, lines = args.reps or size["reps"], size["lines"]

    from rq import Queue

    from queuetui.embedded import EmbeddedRedis
    from queuetui.rqdata.logs import read_log

    with EmbeddedRedis() as server:
        conn = server.client()
        env = {**os.environ, "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        env["QUEUETUI_REDIS_URL"] = server.url
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        # Both RQ's forking Worker with its scheduler on, named after their queues.
        ours_args = ["logs-ours", "--name", "logs-ours", "--logging-level", "WARNING"]
        ours = subprocess.Popen([sys.executable, "-m", "queuetui", "worker", *ours_args], **quiet)
        rq_args = ["logs-plain", "--name", "logs-plain", "--logging_level", "WARNING", "--with-scheduler"]
        rq_bin = str(Path(sys.executable).parent / "rq")
        theirs = subprocess.Popen([rq_bin, "worker", *rq_args, "--url", server.url], **quiet)
        try:
            workers = {"queuetui": ours.pid, "rq": theirs.pid}
            queues = {
                "queuetui": Queue("logs-ours", connection=conn),
                "rq": Queue("logs-plain", connection=conn),
            }
            redis_pid = server.process.pid if server.process else 0
            for name, queue in queues.items():
                run_job(conn, queue, lines, workers[name], redis_pid)  # warm: imports, connections
            rss_before = rss_kb(ours.pid)
            runs: dict[str, list[tuple[float, float, float]]] = {"queuetui": [], "rq": []}
            for rep in range(reps):
                order = ["queuetui", "rq"] if rep % 2 == 0 else ["rq", "queuetui"]
                for name in order:
                    runs[name].append(run_job(conn, queues[name], lines, workers[name], redis_pid))
            rss_after = rss_kb(ours.pid)
            last = queues["queuetui"].finished_job_registry.get_job_ids(cleanup=False)[-1]
            kept = read_log(conn, last)
        finally:
            for process in (ours, theirs):
                process.terminate()
                process.wait(30)

    times = {name: [run[0] for run in measured] for name, measured in runs.items()}
    # CPU is counted in clock ticks (10 ms): a mean over the runs, not a median of ticks.
    horse = {name: statistics.fmean(run[1] for run in measured) for name, measured in runs.items()}
    server_cpu = {name: statistics.fmean(run[2] for run in measured) for name, measured in runs.items()}
    ours_ms, rq_ms = statistics.median(times["queuetui"]), statistics.median(times["rq"])
    overhead = ours_ms / rq_ms - 1
    fastest = min(times["queuetui"]) / min(times["rq"]) - 1
    cpu_overhead = horse["queuetui"] / horse["rq"] - 1
    result = {
        "size": args.size,
        "reps": reps,
        "lines": lines,
        "load_average": os.getloadavg()[0],
        "queuetui_worker_ms": round(ours_ms, 2),
        "rq_worker_ms": round(rq_ms, 2),
        "overhead": round(overhead, 4),
        "overhead_fastest": round(fastest, 4),
        "target_overhead": 0.10,
        "queuetui_horse_cpu_ms": round(horse["queuetui"], 1),
        "rq_horse_cpu_ms": round(horse["rq"], 1),
        "horse_cpu_overhead": round(cpu_overhead, 4),
        "redis_cpu_ms_queuetui_job": round(server_cpu["queuetui"], 1),
        "redis_cpu_ms_rq_job": round(server_cpu["rq"], 1),
        "kept_lines": len(kept.chunk.entries),
        "dropped_lines": kept.chunk.dropped,
        "worker_rss_kb_before": rss_before,
        "worker_rss_kb_after": rss_after,
        "queuetui_runs_ms": [round(t, 2) for t in times["queuetui"]],
        "rq_runs_ms": [round(t, 2) for t in times["rq"]],
    }
    load = result["load_average"]
    print(f"a job logging {lines:,} lines, {reps} runs each, alternating (load average {load:.1f})")
    print(f"{'':<28}{'median ms':>10}{'fastest':>10}{'horse CPU':>11}{'Redis CPU':>11}")
    for label, name in (("queuetui worker (captured)", "queuetui"), ("plain rq worker", "rq")):
        print(
            f"{label:<28}{statistics.median(times[name]):>10.1f}{min(times[name]):>10.1f}"
            f"{horse[name]:>11.1f}{server_cpu[name]:>11.1f}"
        )
    print(f"{'overhead':<28}{overhead:>10.1%}{fastest:>10.1%}{cpu_overhead:>11.1%}   (target <= 10%)")
    print(f"kept {len(kept.chunk.entries):,} lines, {kept.chunk.dropped or 0:,} dropped (default caps)")
    print(f"queuetui worker RSS: {rss_before:,} KB before, {rss_after:,} KB after")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"joblogs-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
