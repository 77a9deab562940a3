"""Benchmark: the cron scheduler at --size schedules, beside RQ's CronScheduler and rq-scheduler.

All three run against one real Redis (embedded), one after another, with the same schedules (written
in each one's cron dialect by bench/scheduler_rival.py). Measured, for each:
  1. idle tick: every schedule enabled, none due (daily schedules, none in the next hour); the
     median and max of --reps passes of the scheduler's loop body: queuetui Scheduler.tick(),
     paced every 0.5 s like its run loop (see TICK_EVERY); RQ's CronScheduler enqueue_jobs() +
     heartbeat() + calculate_sleep_interval(); rq-scheduler heartbeat() + lock + enqueue_jobs() +
     unlock, as their run loops do;
  2. --due schedules due in the same second: their next fire set to the current whole second, then
     passes back to back until all are enqueued: the wall time and the number of passes;
  3. lateness over a --seconds run of the scheduler as its own process (`queuetui scheduler`, or
     bench/scheduler_rival.py), with a busy mix: --every-second schedules fire every second,
     --every-minute once a minute (spread over the seconds), the rest hourly (spread over the
     minutes). A thread polls the queue every WATCH_EVERY s and stamps each new job id when it
     first sees it; lateness = that stamp - the fire time (queuetui: from the job id; the rivals:
     what they computed, see scheduler_rival.py). Fires due in the window are counted from the
     schedules, so a fire never enqueued is reported as missed, not silently left out;
  4. the scheduler process's memory at the end of that run (VmHWM and VmRSS from /proc);
  5. failover (queuetui only): two `queuetui scheduler` processes with --every-second schedules
     firing every second, the leader SIGKILLed --kills times (a new standby started after each);
     lateness of the fires due from 1 s before to 3 s after each kill (first seen in the queue -
     fire time), and the failover time (kill -> another instance's value in the lease key, polled
     every WATCH_EVERY s).
     Startup is from spawning the process until it runs: queuetui's log says it leads (after its
     first tick), the rivals print 'ready' as they enter their loop (RQ's CronScheduler after
     registering every schedule in memory).
queuetui's schedules are bulk-inserted rows (next_fire_at computed with schedule.cron), as
ScheduleStore.add validates one at a time. rq-scheduler runs with --rqs-interval (its default
polling interval is 60 s). With --profile, a second burst of --due is run under cProfile and the top
functions are printed. Prints a table and writes bench/results/scheduler-<size>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis
from rq.cron import CronScheduler
from rq_scheduler import Scheduler as RQScheduler
from rq_scheduler.utils import to_unix
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from queuetui.daemon.lease import LEASE_KEY
from queuetui.db.engine import open_database
from queuetui.db.models import Schedule
from queuetui.embedded import EmbeddedRedis
from queuetui.schedule.cron import parse
from queuetui.schedule.scheduler import Scheduler
from scheduler_rival import FUNC, QUEUE, Spec, busy_mix, idle_mix, noop  # type: ignore[import-not-found]

SIZES: dict[str, dict[str, int]] = {
    "full": {
        "schedules": 100_000,
        "due": 10_000,
        "seconds": 120,
        "every_second": 200,
        "every_minute": 10_000,
        "reps": 30,
        "warmup": 5,
        "settle": 10,
        "kills": 5,
    },
    "smoke": {
        "schedules": 2_000,
        "due": 500,
        "seconds": 8,
        "every_second": 20,
        "every_minute": 200,
        "reps": 10,
        "warmup": 2,
        "settle": 2,
        "kills": 2,
    },
}
TARGETS = {"idle_ms": 10.0, "due_s": 2.0, "p99_s": 1.0, "rss_mb": 200.0, "failover_p99_s": 2.5}
WATCH_EVERY = 0.02
TICK_EVERY = 0.5
"""queuetui's idle ticks are paced like its run loop, so the periodic work (run outcomes every 5 s,
history pruning every 10 s) falls in them as it does in production; the rivals' loop bodies have
no periodic work and run back to back."""
RIVALS = ("queuetui", "rq-cron", "rq-scheduler")
TITLES = {"queuetui": "queuetui", "rq-cron": "RQ CronScheduler", "rq-scheduler": "rq-scheduler"}
RESULTS = Path(__file__).parent / "results"
RIVAL_SCRIPT = Path(__file__).parent / "scheduler_rival.py"
QUEUE_KEY = f"rq:queue:{QUEUE}"
JOB_ID = re.compile(r"qt-(\d+)-(\d{8}T\d{6})(?:_\d{6})?Z")
UTC_ZONE = ZoneInfo("UTC")


# --- queuetui -----------------------------------------------------------------------------------


def seed_queuetui(url: str, specs: Iterable[Spec], after: datetime) -> sessionmaker[Session]:
    """Bulk-insert one enabled schedule per spec, next_fire_at its first fire after `after`."""
    sessions = open_database(url)
    first: dict[str, datetime | None] = {}
    rows = []
    for spec in specs:
        expression = spec.cron("queuetui")
        if expression not in first:
            fire = parse(expression, spec.name).next_fire(after, UTC_ZONE)
            first[expression] = fire and fire.astimezone(UTC)
        rows.append(
            {
                "name": spec.name,
                "func": FUNC,
                "cron": expression,
                "timezone": "UTC",
                "queue": QUEUE,
                "enabled": True,
                "next_fire_at": first[expression],
                "created_at": after,
                "updated_at": after,
            }
        )
    with sessions.begin() as session:
        session.execute(insert(Schedule), rows)
    return sessions


def drain(scheduler: Scheduler, due: int) -> tuple[float, int, int]:
    """Tick back to back until `due` fires are enqueued: (seconds, ticks, enqueued)."""
    enqueued = ticks = 0
    start = time.perf_counter()
    while enqueued < due:
        report = scheduler.tick()
        ticks += 1
        enqueued += report.enqueued
        if not report.due and not report.enqueued:
            break  # nothing left due: the rest will never come
    return time.perf_counter() - start, ticks, enqueued


def make_due(sessions: sessionmaker[Session], first_id: int, count: int, when: datetime) -> None:
    with sessions.begin() as session:
        ids = select(Schedule.id).order_by(Schedule.id).offset(first_id).limit(count).scalar_subquery()
        session.execute(update(Schedule).where(Schedule.id.in_(ids)).values(next_fire_at=when))


def queuetui_ticks(
    conn: redis.Redis, db_url: str, count: int, due: int, reps: int, profile: bool
) -> dict[str, Any]:
    now = datetime.now(UTC)
    sessions = seed_queuetui(db_url, idle_mix(count, now), now)
    scheduler = Scheduler(conn, sessions, instance="bench")
    scheduler.tick()  # takes the lease, first reconcile and prune
    idle, idle_max = idle_ms(scheduler.tick, reps, pace=TICK_EVERY)
    make_due(sessions, 0, due, datetime.now(UTC).replace(microsecond=0))
    seconds, ticks, enqueued = drain(scheduler, due)
    result = {
        "idle_ms": idle,
        "idle_max_ms": idle_max,
        "due_s": seconds,
        "passes": ticks,
        "enqueued": enqueued,
    }
    if profile:
        make_due(sessions, due, due, datetime.now(UTC).replace(microsecond=0))
        profiler = cProfile.Profile()
        seconds, ticks, enqueued = profiler.runcall(drain, scheduler, due)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        result["profile"] = {"due_s": seconds, "passes": ticks, "enqueued": enqueued, "text": out.getvalue()}
    return result


# --- RQ's CronScheduler and rq-scheduler, in this process -----------------------------------------


def rq_cron_ticks(conn: redis.Redis, count: int, due: int, reps: int) -> dict[str, Any]:
    cron = CronScheduler(connection=conn, logging_level="WARNING", name="bench")
    now = datetime.now(UTC)
    for spec in idle_mix(count, now):
        cron.register(noop, QUEUE, cron=spec.cron("croniter"), name=spec.name)

    def loop_body() -> int:  # CronScheduler.start's loop, without its sleep
        enqueued = cron.enqueue_jobs()
        if enqueued:
            cron.save()
        cron.heartbeat()
        cron.calculate_sleep_interval()
        return len(enqueued)

    loop_body()
    idle, idle_max = idle_ms(loop_body, reps)
    second = datetime.now(UTC).replace(microsecond=0)
    for job in cron.get_jobs()[:due]:
        job.next_enqueue_time = second
    start = time.perf_counter()
    enqueued = passes = 0
    while enqueued < due:
        passes += 1
        got = loop_body()
        enqueued += got
        if not got:
            break
    seconds = time.perf_counter() - start
    return {
        "idle_ms": idle,
        "idle_max_ms": idle_max,
        "due_s": seconds,
        "passes": passes,
        "enqueued": enqueued,
    }


def seed_rq_scheduler(conn: redis.Redis, specs: Iterable[Spec], interval: float) -> tuple[RQScheduler, float]:
    """Each spec through rq-scheduler's own Scheduler.cron (a job hash and a sorted-set entry)."""
    scheduler = RQScheduler(queue_name=QUEUE, connection=conn, interval=interval)
    start = time.perf_counter()
    for spec in specs:
        scheduler.cron(spec.cron("crontab"), func=noop, queue_name=QUEUE, id=spec.name)
    return scheduler, time.perf_counter() - start


def rq_scheduler_ticks(conn: redis.Redis, count: int, due: int, reps: int, interval: float) -> dict[str, Any]:
    scheduler, loaded = seed_rq_scheduler(conn, idle_mix(count, datetime.now(UTC)), interval)

    def loop_body() -> int:  # Scheduler.run's loop, without its sleep
        before = conn.llen(QUEUE_KEY)
        scheduler.heartbeat()
        if scheduler.acquire_lock():
            scheduler.enqueue_jobs()
            scheduler.heartbeat()
            scheduler.remove_lock()
        return int(conn.llen(QUEUE_KEY)) - before

    loop_body()
    idle, idle_max = idle_ms(loop_body, reps)
    second = to_unix(datetime.now(UTC).replace(microsecond=0))
    ids = conn.zrange(RQScheduler.scheduled_jobs_key, 0, due - 1)
    conn.zadd(RQScheduler.scheduled_jobs_key, dict.fromkeys(ids, second))
    start = time.perf_counter()
    enqueued = passes = 0
    while enqueued < due:
        passes += 1
        got = loop_body()
        enqueued += got
        if not got:
            break
    seconds = time.perf_counter() - start
    return {"idle_ms": idle, "idle_max_ms": idle_max, "due_s": seconds, "passes": passes,
            "enqueued": enqueued, "load_s": loaded}  # fmt: skip


# --- lateness runs: each scheduler as its own process --------------------------------------------


class QueueWatcher(threading.Thread):
    """Stamps each job id pushed onto the bench queue with the time it was first seen."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.entries: list[tuple[str, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        conn = redis.Redis.from_url(self.url)
        seen = 0
        while not self.halt.wait(WATCH_EVERY):
            length = int(conn.llen(QUEUE_KEY))
            at = time.time()
            if length > seen:
                ids = conn.lrange(QUEUE_KEY, seen, length - 1)
                self.entries += [(job_id.decode(), at) for job_id in ids]
                seen = length

    def stop(self) -> list[tuple[str, float]]:
        self.halt.set()
        self.join()
        return self.entries


def proc_status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_for(path: Path, marker: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker in path.read_text(errors="replace"):
            return time.time()
        if process.poll() is not None:
            raise SystemExit(f"{path.name}: the scheduler exited: {path.read_text()[-2000:]}")
        time.sleep(0.05)
    raise SystemExit(f"{path.name}: no {marker!r} within {timeout:.0f} s")


def expected_fires(specs: list[Spec], start: float, end: float) -> int:
    """How many fire times the schedules have in [start, end) (whole seconds, UTC)."""
    patterns = Counter((s.second, s.minute, s.hour) for s in specs)
    total = 0
    for second in range(math.ceil(start), math.ceil(end)):
        moment = datetime.fromtimestamp(second, UTC)
        total += sum(n for (s, m, h), n in patterns.items() if Spec("", s, m, h).fires_at(moment))
    return total


def lateness_run(
    kind: str, server: EmbeddedRedis, size: dict[str, int], interval: float, work: Path
) -> dict[str, Any]:
    conn = server.client()
    conn.flushall()
    specs = list(busy_mix(size["schedules"], size["every_second"], size["every_minute"]))
    log, record = work / f"{kind}.log", work / f"{kind}.record"
    initial: dict[str, float] = {}
    loaded = None
    if kind == "queuetui":
        db = work / "lateness.db"
        seed_queuetui(f"sqlite:///{db}", specs, datetime.now(UTC)).kw["bind"].dispose()
        command = [sys.executable, "-m", "queuetui", "scheduler", "--db-url", f"sqlite:///{db}"]
        command += ["-u", server.url, "--instance", "bench"]
        marker = "leading"
    elif kind == "rq-cron":
        command = [sys.executable, str(RIVAL_SCRIPT), kind, server.url]
        command += [str(size[k]) for k in ("schedules", "every_second", "every_minute")] + [str(record)]
        marker = "ready"
    else:
        loaded = seed_rq_scheduler(conn, specs, interval)[1]
        initial = {
            k.decode(): v for k, v in conn.zrange(RQScheduler.scheduled_jobs_key, 0, -1, withscores=True)
        }
        command = [sys.executable, str(RIVAL_SCRIPT), kind, server.url, str(interval), str(record)]
        marker = "ready"
    watcher = QueueWatcher(server.url)
    watcher.start()
    spawned = time.time()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        ready = wait_for(log, marker, process, timeout=900)
        window = (math.floor(ready) + size["warmup"], math.floor(ready) + size["warmup"] + size["seconds"])
        time.sleep(max(0.0, window[1] + size["settle"] - time.time()))
        memory = {
            "peak_mb": proc_status_mb(process.pid, "VmHWM"),
            "rss_mb": proc_status_mb(process.pid, "VmRSS"),
        }
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    entries = watcher.stop()
    fires, unknown = fire_times(kind, entries, record, initial)
    late = [seen - due for (_, due), seen in fires.items() if window[0] <= due < window[1]]
    expected = expected_fires(specs, *window)
    ordered = sorted(late)
    return {
        "startup_s": ready - spawned,
        "load_s": loaded,
        "window_s": size["seconds"],
        "expected": expected,
        "fired": len(late),
        "missed": expected - len(late),
        "duplicates": len(entries) - len(fires) - unknown,
        "unknown": unknown,
        "p50_s": percentile(ordered, 0.50),
        "p99_s": percentile(ordered, 0.99),
        "max_s": ordered[-1] if ordered else None,
        **memory,
    }


def failover_run(server: EmbeddedRedis, size: dict[str, int], work: Path) -> dict[str, Any]:
    """Two queuetui schedulers, the leader SIGKILLed size['kills'] times: lateness of fires near each kill."""
    conn = server.client()
    conn.flushall()
    specs = list(busy_mix(size["every_second"], size["every_second"], 0))
    db = work / "failover.db"
    seed_queuetui(f"sqlite:///{db}", specs, datetime.now(UTC)).kw["bind"].dispose()
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        command = [
            sys.executable,
            "-m",
            "queuetui",
            "scheduler",
            "--db-url",
            f"sqlite:///{db}",
            "--no-metrics",
        ]
        with open(work / f"{name}.log", "wb") as out:
            procs[name] = subprocess.Popen(
                [*command, "-u", server.url, "--instance", name], stdout=out, stderr=subprocess.STDOUT
            )

    def holder() -> str:
        value = conn.get(LEASE_KEY)
        return value.decode().split(":", 1)[1] if value else ""

    def until(predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit("failover run: a scheduler did not take the lease in time")
            time.sleep(WATCH_EVERY)

    watcher = QueueWatcher(server.url)
    watcher.start()
    kills: list[float] = []
    failovers: list[float] = []
    try:
        for name in ("f0", "f1"):
            start(name)
        until(lambda: holder() in procs, 60)
        time.sleep(4)  # both up: the standby polls the lease
        for n in range(size["kills"]):
            victim = holder()
            killed_at = time.time()
            procs[victim].send_signal(signal.SIGKILL)
            procs.pop(victim).wait()
            kills.append(killed_at)
            until(lambda victim=victim: holder() not in ("", victim), 30)  # type: ignore[misc]
            failovers.append(time.time() - killed_at)
            start(f"f{n + 2}")
            time.sleep(5)  # the new standby starts up and the fires after the kill settle
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=60)
    entries = watcher.stop()
    fires, _ = fire_times("queuetui", entries, work / "none", {})
    late = sorted(seen - due for (_, due), seen in fires.items() if any(k - 1 <= due < k + 3 for k in kills))
    expected = sum(expected_fires(specs, k - 1, k + 3) for k in kills)
    return {
        "kills": len(kills),
        "failover_s": statistics.median(failovers),
        "failover_max_s": max(failovers),
        "failover_expected": expected,
        "failover_fired": len(late),
        "failover_duplicates": len(entries) - len(fires),
        "failover_p50_s": percentile(late, 0.50),
        "failover_p99_s": percentile(late, 0.99),
        "failover_max_late_s": late[-1] if late else None,
    }


def fire_times(
    kind: str, entries: list[tuple[str, float]], record: Path, initial: dict[str, float]
) -> tuple[dict[tuple[str, float], float], int]:
    """(schedule or job id, fire time) -> when its job was first seen in the queue; and how many
    jobs in the queue have no known fire time."""
    due_of: Callable[[str, int], float | None]
    if kind == "queuetui":

        def due_of(job_id: str, _: int) -> float | None:
            match = JOB_ID.fullmatch(job_id)
            if match is None:
                return None
            return datetime.strptime(match[2], "%Y%m%dT%H%M%S").replace(tzinfo=UTC).timestamp()

    elif kind == "rq-cron":
        dues = dict(line.split("\t") for line in record.read_text().splitlines())

        def due_of(job_id: str, _: int) -> float | None:
            return float(dues[job_id]) if dues.get(job_id) else None

    else:  # job ids repeat: the k-th push of a job is for its k-th scheduled time
        sequence: dict[str, list[float]] = defaultdict(list)
        for job_id, score in initial.items():
            sequence[job_id].append(score)
        for line in record.read_text().splitlines():
            job_id, score = line.split("\t")
            sequence[job_id].append(float(score))

        def due_of(job_id: str, nth: int) -> float | None:
            times = sequence.get(job_id, [])
            return times[nth] if nth < len(times) else None

    fires: dict[tuple[str, float], float] = {}
    pushes: Counter[str] = Counter()
    unknown = 0
    for job_id, seen in entries:
        due = due_of(job_id, pushes[job_id])
        pushes[job_id] += 1
        if due is None:
            unknown += 1
        else:
            key = JOB_ID.sub(r"\1", job_id) if kind == "queuetui" else job_id
            fires.setdefault((key, due), seen)
    return fires, unknown


# --- output -------------------------------------------------------------------------------------


def idle_ms(fn: Callable[[], Any], reps: int, pace: float = 0.0) -> tuple[float, float]:
    """Median and max milliseconds of `reps` calls, each `pace` seconds after the previous began."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        time.sleep(max(0.0, pace - times[-1]))
    return statistics.median(times) * 1000, max(times) * 1000


def percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(results: dict[str, dict[str, Any]], size: dict[str, int]) -> list[dict[str, Any]]:
    due = size["due"]
    rows: list[tuple[str, str, int, float | None, bool]] = [  # label, key, digits, target, lower is better
        ("idle tick, median ms", "idle_ms", 2, TARGETS["idle_ms"], True),
        ("idle tick, max ms", "idle_max_ms", 2, None, True),
        (f"{due:,} due in one second: s to enqueue all", "due_s", 2, TARGETS["due_s"], True),
        ("  passes (ticks) it took", "passes", 0, None, True),
        ("  enqueued", "enqueued", 0, None, False),
        ("lateness p50 s", "p50_s", 3, None, True),
        ("lateness p99 s", "p99_s", 3, TARGETS["p99_s"], True),
        ("lateness max s", "max_s", 3, None, True),
        ("fires due in the window", "expected", 0, None, False),
        ("  enqueued", "fired", 0, None, False),
        (f"fires missed (not enqueued {size['settle']} s after the window)", "missed", 0, None, True),
        ("fires enqueued twice", "duplicates", 0, None, True),
        ("jobs whose fire time is unknown", "unknown", 0, None, True),
        ("scheduler RSS peak MB (VmHWM)", "peak_mb", 1, TARGETS["rss_mb"], True),
        ("scheduler RSS at the end MB", "rss_mb", 1, None, True),
        ("startup: spawn until it runs s", "startup_s", 1, None, True),
    ]
    print()
    header = f"{'metric':<54}" + "".join(f"{TITLES[k]:>18}" for k in RIVALS)
    print(header + f"{'target':>10}{'met':>6}{'RQ cron ÷':>12}{'rq-sched ÷':>12}")
    table = []
    for label, key, digits, target, _ in rows:
        values = [results[k].get(key) for k in RIVALS]
        ours = values[0]
        met = ""
        if target is not None:
            met = "yes" if ours is not None and ours <= target else "NO"
        ratios = [
            f"{theirs / ours:.1f}x" if key.endswith(("_ms", "_s", "_mb")) and ours and theirs else ""
            for theirs in values[1:]
        ]
        print(
            f"{label:<54}"
            + "".join(f"{cell(v, digits):>18}" for v in values)
            + f"{(cell(target, 0 if target and target >= 10 else 1) if target else ''):>10}{met:>6}"
            + "".join(f"{r:>12}" for r in ratios)
        )
        table.append({"metric": label, "key": key, "target": target, "met": met or None,
                      **{k: v for k, v in zip(RIVALS, values, strict=True)}})  # fmt: skip
    return table


def print_failover(run: dict[str, Any], size: dict[str, int]) -> None:
    """The failover figures, measured, and the verdict."""
    print(
        f"failover: {size['every_second']:,} schedules every second, two schedulers, the leader SIGKILLed "
        f"{run['kills']} times: failover (kill -> new lease holder) median {run['failover_s']:.2f} s, "
        f"max {run['failover_max_s']:.2f} s; fires due 1 s before to 3 s after a kill: "
        f"{run['failover_fired']:,} of {run['failover_expected']:,} fired, "
        f"{run['failover_duplicates']} duplicates, lateness p50 {cell(run['failover_p50_s'])} s, "
        f"p99 {cell(run['failover_p99_s'])} s, max {cell(run['failover_max_late_s'])} s"
    )
    met = (run["failover_p99_s"] or math.inf) <= TARGETS["failover_p99_s"]
    print(f"queuetui target failover lateness p99 <= 2.5 s: {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    for key in ("schedules", "due", "seconds", "every-second", "every-minute", "reps", "kills"):
        parser.add_argument(f"--{key}", type=int, default=None)
    parser.add_argument("--only-failover", action="store_true", help="run only the failover measurement")
    parser.add_argument("--rqs-interval", type=float, default=0.5, help="rq-scheduler's polling interval")
    parser.add_argument("--profile", action="store_true", help="profile queuetui's ticks on a second burst")
    args = parser.parse_args()
    size = dict(SIZES[args.size])
    for key in ("schedules", "due", "seconds", "every_second", "every_minute", "reps", "kills"):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    results: dict[str, dict[str, Any]] = {k: {} for k in RIVALS}
    load_before = os.getloadavg()
    if args.only_failover:
        with EmbeddedRedis() as server, tempfile.TemporaryDirectory(prefix="qt-bench-sched-") as tmp:
            failover = failover_run(server, size, Path(tmp))
        print_failover(failover, size)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"scheduler-failover-{args.size}.json").write_text(
            json.dumps({"size": args.size, "params": size, "load_average": [load_before, os.getloadavg()],
                        "results": failover}, indent=2) + "\n"
        )  # fmt: skip
        return

    with EmbeddedRedis() as server, tempfile.TemporaryDirectory(prefix="qt-bench-sched-") as tmp:
        work = Path(tmp)
        conn = server.client()
        print(
            f"{size['schedules']:,} schedules; {size['due']:,} due at once; lateness over "
            f"{size['seconds']} s with {size['every_second']:,} every second, {size['every_minute']:,} "
            "every minute, the rest hourly"
        )
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("queuetui", lambda: queuetui_ticks(
                conn, f"sqlite:///{work / 'ticks.db'}", size["schedules"], size["due"], size["reps"],
                args.profile,
            )),
            ("rq-cron", lambda: rq_cron_ticks(conn, size["schedules"], size["due"], size["reps"])),
            ("rq-scheduler", lambda: rq_scheduler_ticks(
                conn, size["schedules"], size["due"], size["reps"], args.rqs_interval
            )),
        ]  # fmt: skip
        for kind, step in steps:
            conn.flushall()
            started = time.perf_counter()
            results[kind].update(step())
            print(f"{TITLES[kind]}: idle and due passes measured in {time.perf_counter() - started:.0f} s")
        for kind in RIVALS:
            started = time.perf_counter()
            run = lateness_run(kind, server, size, args.rqs_interval, work)
            results[kind].update({k: v for k, v in run.items() if v is not None or k not in results[kind]})
            print(f"{TITLES[kind]}: lateness run done in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        results["queuetui"].update(failover_run(server, size, work))
        print(f"queuetui: failover run done in {time.perf_counter() - started:.0f} s")

    table = print_table(results, size)
    print_failover(results["queuetui"], size)
    load = {"before": load_before, "after": os.getloadavg()}
    print(
        f"load average (1, 5, 15 min) on {os.cpu_count()} cores: "
        + "; ".join(f"{when} {' '.join(f'{x:.1f}' for x in avg)}" for when, avg in load.items())
    )
    print("÷: the rival's figure divided by queuetui's (above 1: queuetui's is lower)")
    print(
        f"lateness: job first seen in the queue (polled every {WATCH_EVERY * 1000:.0f} ms) - fire time, "
        f"fires due in a {size['seconds']} s window that opens {size['warmup']} s after the scheduler is up"
    )
    print(
        f"RQ CronScheduler sleeps until its next due job, so its idle pass runs then, not every tick; "
        f"rq-scheduler polled every {args.rqs_interval:g} s; queuetui ticks every 0.5 s"
    )
    if results["rq-scheduler"].get("load_s"):
        loaded = results["rq-scheduler"]["load_s"]
        print(f"rq-scheduler: loading {size['schedules']:,} cron jobs (Scheduler.cron) took {loaded:.0f} s")
    verdicts = {
        "idle tick <= 10 ms": results["queuetui"]["idle_ms"] <= TARGETS["idle_ms"],
        f"{size['due']:,} due enqueued within 2 s": results["queuetui"]["due_s"] <= TARGETS["due_s"]
        and results["queuetui"]["enqueued"] >= size["due"],
        "lateness p99 <= 1 s, no fire missed": (results["queuetui"]["p99_s"] or math.inf) <= TARGETS["p99_s"]
        and results["queuetui"]["missed"] == 0,
        "RSS <= 200 MB": results["queuetui"]["peak_mb"] <= TARGETS["rss_mb"],
        "failover lateness p99 <= 2.5 s": (results["queuetui"]["failover_p99_s"] or math.inf)
        <= TARGETS["failover_p99_s"],
    }
    scale = "" if args.size == "full" else f" (at {args.size} size; the targets are set for full)"
    for target, met in verdicts.items():
        print(f"queuetui target {target}: {'met' if met else 'NOT MET'}{scale}")
    if "profile" in results["queuetui"]:
        profile = results["queuetui"].pop("profile")
        print(
            f"\nprofile of a second burst ({profile['enqueued']:,} enqueued in {profile['passes']} ticks, "
            f"{profile['due_s']:.2f} s under cProfile):"
        )
        print(profile["text"])
    RESULTS.mkdir(exist_ok=True)
    result_json = {"size": args.size, "params": size, "targets": TARGETS, "watch_every_s": WATCH_EVERY,
                   "rqs_interval_s": args.rqs_interval, "load_average": load, "verdicts": verdicts,
                   "results": results, "table": table}  # fmt: skip
    (RESULTS / f"scheduler-{args.size}.json").write_text(json.dumps(result_json, indent=2) + "\n")


if __name__ == "__main__":
    warnings.simplefilter("ignore", FutureWarning)  # crontab (in rq-scheduler) warns on every call
    main()
