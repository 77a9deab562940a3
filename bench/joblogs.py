"""Benchmark: what keeping a job's log costs. One job logging --lines lines under `queuetui worker`
against the same job under a plain `rq worker --with-scheduler` and under `queuetui worker` with
[logs] level = "CRITICAL" (the same worker, keeping no line): all three RQ's forking Worker with its
scheduler, running the whole time on one real Redis (embedded), taking jobs in turn (each goes first
in turn), --reps jobs each after one warm job each.

The job sends its records to a file handler at INFO (as an application that logs somewhere does), so
every worker creates and formats every record; `queuetui worker` also captures them into the job's
stream with the default caps (1,000 lines, 256 KB: most are dropped, the marker counts them). Run
time is RQ's own (ended_at - started_at: the job, plus, for queuetui, its last flush). Each run also
waits until the worker has reaped its work horse, to count the horse's CPU (the worker's cutime +
cstime, in clock ticks) and Redis's CPU meanwhile: on a loaded machine wall time swings far more
than CPU time. Prints medians, the fastest runs, the overheads, the queuetui worker's RSS before and
after, and writes bench/results/joblogs-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
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

    workers = {
        "queuetui": "queuetui worker (captured)",
        "uncaptured": "queuetui worker, level CRITICAL",
        "rq": "plain rq worker",
    }
    with EmbeddedRedis() as server, tempfile.TemporaryDirectory() as scratch:
        conn = server.client()
        env = {**os.environ, "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        env["QUEUETUI_REDIS_URL"] = server.url
        env.pop("QUEUETUI_CONFIG", None)
        # The same worker keeping no line: [logs] level above every record the job logs.
        uncaptured = Path(scratch) / "config.toml"
        uncaptured.write_text('[logs]\nlevel = "CRITICAL"\n')
        queuetui = [sys.executable, "-m", "queuetui", "worker", "--logging-level", "WARNING"]
        rq = [str(Path(sys.executable).parent / "rq"), "worker", "--url", server.url]
        rq += ["--logging_level", "WARNING", "--with-scheduler"]  # as queuetui worker runs RQ's
        # RQ's forking Worker each, named after its queue (run_job waits until it is idle again).
        commands = {
            "queuetui": (queuetui, env),
            "uncaptured": (queuetui, {**env, "QUEUETUI_CONFIG": str(uncaptured)}),
            "rq": (rq, env),
        }
        processes = {
            name: subprocess.Popen(
                [*command, f"logs-{name}", "--name", f"logs-{name}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=command_env,
            )
            for name, (command, command_env) in commands.items()
        }
        try:
            pids = {name: process.pid for name, process in processes.items()}
            queues = {name: Queue(f"logs-{name}", connection=conn) for name in workers}
            redis_pid = server.process.pid if server.process else 0
            for name, queue in queues.items():
                run_job(conn, queue, lines, pids[name], redis_pid)  # warm: imports, connections
            rss_before = rss_kb(pids["queuetui"])
            runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in workers}
            names = list(workers)
            for rep in range(reps):
                for name in names[rep % 3 :] + names[: rep % 3]:  # each goes first in turn
                    runs[name].append(run_job(conn, queues[name], lines, pids[name], redis_pid))
            rss_after = rss_kb(pids["queuetui"])
            last = queues["queuetui"].finished_job_registry.get_job_ids(cleanup=False)[-1]
            kept = read_log(conn, last)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(30)

    times = {name: [run[0] for run in measured] for name, measured in runs.items()}
    median = {name: statistics.median(measured) for name, measured in times.items()}
    fastest = {name: min(measured) for name, measured in times.items()}
    # CPU is counted in clock ticks (10 ms): a mean over the runs, not a median of ticks.
    horse = {name: statistics.fmean(run[1] for run in measured) for name, measured in runs.items()}
    server_cpu = {name: statistics.fmean(run[2] for run in measured) for name, measured in runs.items()}
    overhead = median["queuetui"] / median["rq"] - 1
    result = {
        "size": args.size,
        "reps": reps,
        "lines": lines,
        "load_average": round(os.getloadavg()[0], 1),
        "queuetui_worker_ms": round(median["queuetui"], 2),
        "rq_worker_ms": round(median["rq"], 2),
        "uncaptured_worker_ms": round(median["uncaptured"], 2),
        "overhead": round(overhead, 4),
        "overhead_fastest": round(fastest["queuetui"] / fastest["rq"] - 1, 4),
        "capture_overhead": round(median["queuetui"] / median["uncaptured"] - 1, 4),
        "target_overhead": 0.10,
        "horse_cpu_ms": {name: round(value, 1) for name, value in horse.items()},
        "redis_cpu_ms": {name: round(value, 1) for name, value in server_cpu.items()},
        "kept_lines": len(kept.chunk.entries),
        "dropped_lines": kept.chunk.dropped,
        "worker_rss_kb_before": rss_before,
        "worker_rss_kb_after": rss_after,
        "runs_ms": {name: [round(t, 2) for t in measured] for name, measured in times.items()},
    }
    print(
        f"a job logging {lines:,} lines, {reps} runs on each worker in turn"
        f" (load average {result['load_average']})"
    )
    print(f"{'':<34}{'median ms':>10}{'fastest':>9}{'horse CPU':>11}{'Redis CPU':>11}")
    for name, label in workers.items():
        print(
            f"{label:<34}{median[name]:>10.1f}{fastest[name]:>9.1f}"
            f"{horse[name]:>11.1f}{server_cpu[name]:>11.1f}"
        )
    print(
        f"overhead against plain rq: {overhead:.1%} median, {result['overhead_fastest']:.1%} fastest,"
        f" {horse['queuetui'] / horse['rq'] - 1:.1%} horse CPU (target <= 10%)"
    )
    print(
        f"capture alone (against level CRITICAL): {result['capture_overhead']:.1%} median,"
        f" {horse['queuetui'] / horse['uncaptured'] - 1:.1%} horse CPU"
    )
    print(f"kept {len(kept.chunk.entries):,} lines, {kept.chunk.dropped or 0:,} dropped (default caps)")
    print(f"queuetui worker RSS: {rss_before:,} KB before, {rss_after:,} KB after")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"joblogs-{args.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
