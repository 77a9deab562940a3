"""What the console costs over SSH: bytes per second written to the terminal on every screen, key to
screen latency of every view switch, attach to first data, and memory after a bulk action.

The console runs as `queuetui console` in a pseudo-terminal (TERM=xterm-256color, its size set with
TIOCSWINSZ before it starts), exactly as sshd would run it; every byte it writes is counted and fed to
a terminal emulator (pyte) so the bench knows what is on screen.

  - fixed workload: an embedded Redis seeded once (the demo's workload ticked a few times, a burst
    worker's finished and failed jobs, one job running for an hour in a `queuetui worker`, the demo's
    schedules and their audit entries), nothing else changing;
  - changing workload: `queuetui demo`'s backend (its workload, two workers, its scheduler).

Per screen (overview, waiting, running, failed, scheduled, finished, workers, schedules, batches,
alerts, audit, metrics) it prints bytes/s written over a window once the screen has its data (10 s
full, 1 s smoke), live refresh on, and the same with refresh paused (`p`). Key to screen is the time
from writing a key to the pty until the bytes that put the screen's distinctive text on the terminal
have been read: each view's first visit of the session apart (the view built, unless the console
built it ahead), then p50 and p95 of the visits after it; the schedule form is opened with `a` from
the Schedules view as many times. The yardstick is rq-dashboard 0.9.0 (a dev dependency):
its JSON endpoints for the same views are called through its own Flask app on the same Redis, and
their bytes per poll (its default 2.5 s) are shown beside the console's per second.

At --size full it also seeds 100,000 failed jobs, deletes them all from the console's Failed view
(`*`, `D`, confirm) and reads the console's RSS when the action is done and one minute later.

    .venv/bin/python bench/ssh.py --size smoke|full [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import inspect
import json
import logging
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pyte
import redis
from rq import Queue, SimpleWorker
from rq.utils import utcformat, utcparse

from queuetui.db.engine import open_database
from queuetui.demo import jobs
from queuetui.demo.backend import DemoBackend
from queuetui.demo.schedules import seed as seed_schedules
from queuetui.demo.workload import Workload
from queuetui.embedded import EmbeddedRedis

POLL = 2.5
"""rq-dashboard's default poll interval (RQ_DASHBOARD_POLL_INTERVAL, ms / 1000)."""


@dataclass
class Chunk:
    at: float
    size: int


class Terminal(pyte.Screen):  # type: ignore[misc]
    """pyte's screen, whose control sequences take any number of parameters: Textual sends some with
    more than pyte's own take, which would end its parser."""


def _lenient(method: Callable[..., Any], count: int) -> Callable[..., Any]:
    def call(self: Terminal, *params: Any, **options: Any) -> Any:
        return method(self, *params[:count], **options)

    return call


for _name in set(pyte.Stream.csi.values()):
    _method = getattr(pyte.Screen, _name)
    _positional = [
        p for p in inspect.signature(_method).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD
    ]
    if not any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(_method).parameters.values()):
        setattr(Terminal, _name, _lenient(_method, len(_positional) - 1))


@dataclass
class Console:
    """`queuetui console` in a pseudo-terminal of `cols` x `rows`; what it writes, timed and rendered."""

    url: str
    env: dict[str, str]
    cols: int
    rows: int
    chunks: list[Chunk] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0

    def start(self) -> float:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        self.master = master
        self.screen = Terminal(self.cols, self.rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Condition()
        env = {**os.environ, **self.env, "TERM": "xterm-256color", "COLUMNS": "", "LINES": ""}
        env = {k: v for k, v in env.items() if v}
        if self.process is not None:
            raise RuntimeError("this console was started already")
        started = self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "queuetui", "console", "-u", self.url],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        threading.Thread(target=self._read, daemon=True).start()
        return started

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            now = time.monotonic()
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                self.chunks.append(Chunk(now, len(data)))
                self.stream.feed(data)
                self.lock.notify_all()

    closed = False

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def send(self, keys: str) -> float:
        """Write `keys` to the terminal; the time they were written."""
        with self.lock:
            at = time.monotonic()
            os.write(self.master, keys.encode())
        return at

    def wait_for(self, test: Callable[[str], bool], timeout: float = 15.0) -> float:
        """Wait until the screen passes `test`; the time the bytes that made it pass were read."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                if test("\n".join(self.screen.display)):
                    return self.chunks[-1].at if self.chunks else time.monotonic()
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    shown = "\n".join(self.screen.display)
                    raise SystemExit(f"the screen never passed the wait ({self.cols}x{self.rows}):\n{shown}")
                self.lock.wait(left)

    def wait_text(self, *words: str, timeout: float = 15.0) -> float:
        return self.wait_for(lambda shown: all(w in shown for w in words), timeout)

    def bytes_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(c.size for c in self.chunks if start <= c.at < end)

    def rss_mb(self) -> float:
        assert self.process is not None
        return psutil.Process(self.process.pid).memory_info().rss / 1e6

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        os.close(self.master)


@contextlib.contextmanager
def running_console(console: Console) -> Iterator[Console]:
    console.start()
    try:
        yield console
    finally:
        console.stop()


# Each screen: how to get there from the overview (keys, then the last key, timed), and the text it
# shows only once its data is there.
@dataclass(frozen=True)
class View:
    name: str
    command: str
    last: str
    shows: tuple[str, ...]


def views(fixed: bool) -> list[View]:
    """Every view; on the changing workload a job view may be empty, and shows it once read."""
    failed, running = ("batch", "slow") if fixed else ("default", "default")
    rows = "1–" if fixed else ""
    return [
        View("waiting", "waiting default", "\r", (f"default › Waiting  ·  {rows}",)),
        View("running", f"running {running}", "\r", (f"{running} › Running  ·  ",)),
        View("failed", f"failed {failed}", "\r", (f"{failed} › Failed  ·  {rows}",)),
        View("scheduled", "scheduled low", "\r", (f"low › Scheduled  ·  {rows}",)),
        View("finished", f"finished {failed}", "\r", (f"{failed} › Finished  ·  {rows}",)),
        View("workers", "", "w", ("Workers (", "Health", "bench-runner" if fixed else "demo-")),
        View("schedules", "", "s", ("Schedules  ·  1–", "nightly-report")),
        View("batches", "", "b", (f"Batches (RQ groups)  ·  {rows}",)),
        View("alerts", "", "a", ("Alerts (", "Fired")),
        View("audit", "audit", "\r", ("Audit (", "schedule.add")),
        View("metrics", "", "m", ("Metrics  queue",)),
    ]


def wait_shown(console: Console, view: View) -> float:
    """Wait until `view` shows what it read; the time the bytes that drew it were read."""
    return console.wait_for(lambda shown: all(w in shown for w in view.shows) and "loading…" not in shown)


def open_view(console: Console, view: View) -> float:
    """Open `view` from the overview: type its `:` command (if any), then press its key, timed."""
    if view.command:
        console.send(":")
        console.wait_text("╭─ : ")
        console.send(view.command)
        console.wait_text(view.command)
    return console.send(view.last)


OVERVIEW = "Queues ("


def seed_fixed(conn: redis.Redis, db_url: str) -> None:
    """A workload that does not change: jobs in every registry of the demo's queues and two more."""
    seed_schedules(open_database(db_url))
    workload = Workload(conn, seed=7)
    for _ in range(12):
        workload.tick()
    batch = Queue("batch", connection=conn)
    for i in range(20):
        batch.enqueue(jobs.build_report, i, 0.0, result_ttl=-1)
    for i in range(8):
        batch.enqueue(jobs.always_fails, f"exporter {i}", failure_ttl=-1)
    logging.getLogger("rq").setLevel(logging.CRITICAL)  # the failures are meant
    SimpleWorker([batch], connection=conn).work(burst=True, logging_level="CRITICAL")
    Queue("slow", connection=conn).enqueue(jobs.build_report, 1, 3600.0, job_timeout=7200)


def backdate(conn: redis.Redis, hours: float) -> None:
    """Make the seeded jobs `hours` old (scheduled ones due that much later): an idle system's data,
    whose ages show minutes, not seconds that tick."""
    shift = timedelta(hours=hours)
    for key in conn.scan_iter("rq:job:*"):
        if conn.type(key) != b"hash":
            continue
        values = conn.hmget(key, STAMPS)
        moved = {f: utcformat(utcparse(v.decode()) - shift) for f, v in zip(STAMPS, values, strict=True) if v}
        if moved:
            conn.hset(key, mapping=moved)  # type: ignore[arg-type]
    for key in conn.scan_iter("rq:scheduled:*"):
        due = conn.zrange(key, 0, -1, withscores=True)
        conn.zadd(key, {job: score + shift.total_seconds() for job, score in due})


STAMPS = ("created_at", "enqueued_at", "started_at", "ended_at", "last_heartbeat")


def start_runner(url: str, conn: redis.Redis) -> subprocess.Popen[bytes]:
    """A `queuetui worker` running the hour-long job of queue 'slow'."""
    worker = ["worker", "slow", "--name", "bench-runner", "-u", url]
    runner = subprocess.Popen(
        [sys.executable, "-m", "queuetui", *worker],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not conn.zcard("rq:wip:slow") and time.monotonic() < deadline:
        time.sleep(0.1)
    return runner


def stop_runner(runner: subprocess.Popen[bytes]) -> None:
    """Kill the worker and the work horse running its hour-long job (in a process group of its own)."""
    for child in psutil.Process(runner.pid).children(recursive=True):
        child.kill()
    runner.kill()
    runner.wait(10)


TOASTS = ("Live refresh paused", "Live refresh resumed")


def no_toast(console: Console) -> None:
    """Wait until the pause/resume notice has gone (its removal redraws what it covered)."""
    console.wait_for(lambda shown: not any(t in shown for t in TOASTS))


def idle_bytes(console: Console, name: str, window: float, settle: float, paused: bool) -> dict[str, int]:
    """Bytes/s written over `window` once settled, live, then (with `paused`) paused with `p`."""
    no_toast(console)
    time.sleep(settle)
    start = console.send("")
    time.sleep(window)
    out = {"live_bps": round(console.bytes_between(start, start + window) / window)}
    if paused:
        console.send("p")
        console.wait_for(lambda shown: "paused" in shown.splitlines()[0])
        no_toast(console)
        time.sleep(settle)
        start = console.send("")
        time.sleep(window)
        out["paused_bps"] = round(console.bytes_between(start, start + window) / window)
        console.send("p")
        console.wait_for(lambda shown: "● live" in shown.splitlines()[0])
    print(f"  {name:<10} " + "  ".join(f"{k[:-4]} {v / 1000:6.2f} KB/s" for k, v in out.items()), flush=True)
    return out


def measure_screens(
    console: Console, window: float, settle: float, fixed: bool, paused: bool
) -> dict[str, Any]:
    """Bytes/s on the overview and every view once its data is shown, live and paused."""
    out = {"overview": idle_bytes(console, "overview", window, settle, True)}
    for view in views(fixed):
        pressed = open_view(console, view)
        first = wait_shown(console, view) - pressed
        out[view.name] = idle_bytes(console, view.name, window, settle, paused)
        out[view.name]["first_visit_ms"] = round(first * 1000, 1)
        print(f"  {view.name:<10} first visit {first * 1000:6.1f} ms", flush=True)
        back(console)
    return out


def back(console: Console) -> float:
    """esc to the overview; seconds until its queues were on screen again."""
    pressed = console.send("\x1b")
    return console.wait_for(lambda shown: OVERVIEW in shown and "›" not in shown.splitlines()[1]) - pressed


def measure_switches(console: Console, repeat: int, fixed: bool) -> dict[str, Any]:
    """Key to screen of each view switch and of esc back to the overview, `repeat` times each."""
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for view in views(fixed):
            pressed = open_view(console, view)
            shown = wait_shown(console, view)
            times.setdefault(view.name, []).append(shown - pressed)
            time.sleep(0.2)
            times.setdefault("esc to overview", []).append(back(console))
            time.sleep(0.2)
    times[FORM.name] = measure_form(console, repeat)
    return {
        name: {"p50_ms": round(statistics.median(v) * 1000, 1), "p95_ms": round(p95(v) * 1000, 1)}
        for name, v in times.items()
    }


FORM = View("schedule form", "", "a", ("New schedule",))
"""The schedule form, opened with `a` from the Schedules view (itself opened with `s`)."""


def measure_form(console: Console, repeat: int) -> list[float]:
    """Key to screen of the schedule form, `repeat` times: from the Schedules view, `a` until the form
    shows with its fields loaded; then esc (nothing typed: no question) and esc to the overview."""
    schedules = next(v for v in views(True) if v.name == "schedules")
    times = []
    open_view(console, schedules)
    wait_shown(console, schedules)
    for _ in range(repeat):
        time.sleep(0.2)
        pressed = console.send(FORM.last)
        times.append(wait_shown(console, FORM) - pressed)
        time.sleep(0.2)
        console.send("\x1b")
        wait_shown(console, schedules)
    time.sleep(0.2)
    back(console)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def dashboard_bytes(url: str, fixed: bool) -> dict[str, int]:
    """rq-dashboard's JSON bytes per poll for the same views (its own Flask app, same Redis)."""
    os.environ["RQ_DASHBOARD_REDIS_URL"] = url
    from rq_dashboard.app import create_app

    client = create_app().test_client()
    prefix = "/rq-dashboard/0/data"

    def size(*paths: str) -> int:
        total = 0
        for path in paths:
            reply = client.get(f"{prefix}/{path}")
            if reply.status_code != 200:
                raise SystemExit(f"rq-dashboard {path}: HTTP {reply.status_code}")
            total += len(reply.get_data())
        return total

    failed_q = "batch" if fixed else "default"
    running_q = "slow" if fixed else "default"
    return {
        "overview": size("queues.json", "workers.json"),
        "waiting": size("jobs/default/queued/10/asc/1.json"),
        "running": size(f"jobs/{running_q}/started/10/asc/1.json"),
        "failed": size(f"jobs/{failed_q}/failed/10/asc/1.json"),
        "scheduled": size("jobs/low/scheduled/10/asc/1.json"),
        "finished": size(f"jobs/{failed_q}/finished/10/asc/1.json"),
        "workers": size("workers.json"),
    }


def attach(console: Console) -> float:
    """Seconds from the console's start until the overview shows the first queue's row."""
    return console.wait_for(lambda shown: OVERVIEW in shown and "critical" in shown, 30) - console.started


def run_sizes(
    url: str, env: dict[str, str], sizes: list[tuple[int, int]], fixed: bool, window: float, settle: float,
    repeat: int, every_screen: bool, full: bool,
) -> dict[str, Any]:  # fmt: skip
    """Attach, bytes/s per screen and (at the first size) view switches, at each terminal size."""
    out: dict[str, Any] = {}
    for n, (cols, rows) in enumerate(sizes):
        label = f"{cols}x{rows}"
        print(f"{'fixed' if fixed else 'changing'} workload, {label}:", flush=True)
        with running_console(Console(url, env, cols, rows)) as console:
            first = attach(console)
            print(f"  attach to first data {first:.2f} s", flush=True)
            result: dict[str, Any] = {"attach_s": round(first, 3)}
            if every_screen:
                result["screens"] = measure_screens(console, window, settle, fixed, paused=full and n == 0)
            else:
                result["screens"] = {"overview": idle_bytes(console, "overview", window, settle, full)}
            if n == 0 and (fixed or full):
                result["switches"] = measure_switches(console, repeat, fixed)
                for name, figures in result["switches"].items():
                    print(f"  {name:<16} p50 {figures['p50_ms']:6.1f} ms  p95 {figures['p95_ms']:6.1f} ms")
        out[label] = result
    return out


def bulk_rss(url: str, env: dict[str, str], count: int, after: float) -> dict[str, Any]:
    """Retry `count` failed jobs from the console's Failed view; its RSS when done and `after` s later."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bulk import seed  # type: ignore[import-not-found]

    conn = redis.Redis.from_url(url)
    seed(conn, count)
    with running_console(Console(url, env, 120, 40)) as console:
        console.wait_text(OVERVIEW)
        fresh = console.rss_mb()
        open_view(console, View("failed", "failed default", "\r", ()))
        console.wait_text("default › Failed  ·  1–")
        console.send("*")
        time.sleep(0.5)
        console.send("R")
        console.wait_text("type the count", timeout=120)
        time.sleep(0.5)
        started = console.send(f"{count}")
        console.wait_text(f"{count}")
        console.send("\r")
        deadline = time.monotonic() + 300
        while conn.zcard("rq:failed:default"):
            if time.monotonic() > deadline:
                raise SystemExit(f"the bulk retry did not end:\n{console.text()}")
            time.sleep(0.2)
        console.wait_for(lambda shown: "default › Failed  ·  " in shown and "1–" not in shown, 60)
        done = time.monotonic() - started
        peak = console.rss_mb()
        time.sleep(after)
        later = console.rss_mb()
    return {"jobs": count, "seconds": round(done, 2), "rss_fresh_mb": round(fresh, 1),
            "rss_done_mb": round(peak, 1), "rss_later_mb": round(later, 1), "later_s": after}  # fmt: skip


def table(results: dict[str, Any]) -> str:
    """The README's table: bytes/s per screen, live and paused, and rq-dashboard's per poll."""
    sizes = list(sizes_of(results, "fixed"))
    head = ["screen"]
    for size in sizes:
        head += [f"fixed {size} live", "paused"]
    head += [f"changing {s} live" for s in sizes_of(results, "changing")]
    head += ["rq-dashboard JSON per poll (fixed / changing)"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name in ["overview", *(v.name for v in views(True))]:
        row = [name]
        for size in sizes:
            figures = results["fixed"][size]["screens"].get(name, {})
            row += [kb(figures.get("live_bps")), kb(figures.get("paused_bps"))]
        for size in sizes_of(results, "changing"):
            row += [kb(results["changing"][size]["screens"].get(name, {}).get("live_bps"))]
        ours = [results.get(w, {}).get("dashboard", {}).get(name) for w in ("fixed", "changing")]
        row += [" / ".join(f"{b / 1000:.1f} KB" for b in ours if b is not None) or "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def sizes_of(results: dict[str, Any], workload: str) -> dict[str, Any]:
    return {k: v for k, v in results.get(workload, {}).items() if k != "dashboard"}


def switch_table(results: dict[str, Any]) -> str:
    """Key to screen of every view switch at the first size, both workloads: the first visit (the view
    built), then p50 and p95 of the visits after it."""
    lines = [
        "| key to screen, 120x40 | fixed first | fixed p50 | fixed p95 | changing first | changing p50"
        " | changing p95 |",
        "|---" + "|---:" * 6 + "|",
    ]
    first = {w: next(iter(sizes_of(results, w).values()), {}) for w in ("fixed", "changing")}
    for name in first["fixed"].get("switches") or first["changing"].get("switches", {}):
        row = [name]
        for workload in ("fixed", "changing"):
            visit = first[workload].get("screens", {}).get(name, {}).get("first_visit_ms")
            figures = first[workload].get("switches", {}).get(name)
            row.append("" if visit is None else f"{visit:.0f} ms")
            row += [f"{figures['p50_ms']:.0f} ms", f"{figures['p95_ms']:.0f} ms"] if figures else ["", ""]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def kb(value: float | None) -> str:
    return "" if value is None else f"{value / 1000:.2f} KB/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["smoke", "full"], default="smoke")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--parts", default="fixed,bulk,changing", help="which to run (default: fixed,bulk,changing)"
    )
    args = parser.parse_args()
    full = args.size == "full"
    parts = set(args.parts.split(","))
    window, settle, repeat = (10.0, 2.0, 5) if full else (0.5, 0.5, 1)
    sizes = [(120, 40), (80, 24)] if full else [(120, 40)]
    print(f"bench/ssh.py --size {args.size}: {window:g} s per screen, switches x{repeat}", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="queuetui-ssh-") as tmp:
        db_url = f"sqlite:///{tmp}/schedules.db"
        env = {"QUEUETUI_DB_URL": db_url, "QUEUETUI_CONFIG": "", "XDG_CONFIG_HOME": tmp}
        with EmbeddedRedis() as server:
            conn = server.client()
            seed_fixed(conn, db_url)
            runner = start_runner(server.url, conn)
            backdate(conn, 2.0)
            try:
                if "fixed" in parts:
                    results["fixed"] = run_sizes(
                        server.url, env, sizes, True, window, settle, repeat, True, full
                    )
                    results["fixed"]["dashboard"] = dashboard_bytes(server.url, True)
            finally:
                stop_runner(runner)
            if full and "bulk" in parts:
                results["bulk"] = bulk_rss(server.url, env, 100_000, 60.0)
        if "changing" in parts:
            backend = DemoBackend(workers=2).start()
            try:
                env = {**env, "QUEUETUI_DB_URL": backend.db_url, "QUEUETUI_CONFIG": str(backend.config_path)}
                time.sleep(20.0 if full else 2.0)  # the workload under way, every registry holding jobs
                results["changing"] = run_sizes(
                    backend.url, env, sizes, False, window, settle, repeat, full, full
                )
                results["changing"]["dashboard"] = dashboard_bytes(backend.url, False)
            finally:
                backend.stop()
    results["load_average"] = [round(v, 2) for v in os.getloadavg()]
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def report(results: dict[str, Any]) -> None:
    if "fixed" in results or "changing" in results:
        print()
        print(table(results))
        print()
        print(switch_table(results))
        print()
    for workload in ("fixed", "changing"):
        attaches = ", ".join(
            f"{size} {r['attach_s']:.2f} s" for size, r in sizes_of(results, workload).items()
        )
        if attaches:
            print(f"attach to first data, {workload} workload: {attaches}")
    if "bulk" in results:
        bulk = results["bulk"]
        print(
            f"console RSS: {bulk['rss_fresh_mb']} MB fresh, {bulk['rss_done_mb']} MB after retrying"
            f" {bulk['jobs']:,} failed jobs ({bulk['seconds']} s), {bulk['rss_later_mb']} MB"
            f" {bulk['later_s']:g} s later"
        )
    print(f"load average at the end: {results['load_average']}")


if __name__ == "__main__":
    main()
