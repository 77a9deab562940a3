"""Webhook notifications of scheduled runs: failed, finished or late, as each schedule asks.

When the scheduler reads a run's new state back (outcomes.reconcile) and the schedule asks to be
told of it, a JSON document is POSTed to the schedule's webhook URL:

    {"event": "failed", "schedule": "nightly-report", "schedule_id": 7,
     "job_id": "qt-7-20261123T030000Z", "fire_time": "2026-11-23T03:00:00+00:00",
     "trigger": "cron", "state": "failed", "started_at": ..., "ended_at": ..., "duration": 2.5,
     "worker": "w1", "exception": "TimeoutError: ...", "reason": ""}

Delivery happens on a thread of its own after the database has recorded the state, so a slow or
dead endpoint never holds up a tick. Each notice is tried `attempts` times (twice for runs) with a
short timeout, waiting `backoff` seconds before the second try and twice as long before each next;
a notice that never gets through is one log line. Delivery is at most once: a notice still waiting
when the process is killed is lost (the run history keeps the state).

The Notifier is not tied to HTTP: alerts (metrics/alerts.py) also send their notices by email
through it, with a `deliver` function of their own.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("queuetui.scheduler")

TIMEOUT = 5.0
ATTEMPTS = 2
BACKOFF = 0.5
"""Seconds before the second try; each next try waits twice as long as the one before."""
BACKLOG = 1000
"""Notices waiting beyond this are dropped, with a log line: a dead endpoint must not eat memory."""


@dataclass(frozen=True)
class Notice:
    url: str
    payload: dict[str, Any]


def post(notice: Notice, timeout: float = TIMEOUT) -> str:
    """POST one notice; '' when the endpoint took it, else why not (one line)."""
    body = json.dumps(notice.payload).encode()
    request = urllib.request.Request(
        notice.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "queuetui-scheduler"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
            return ""
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason).splitlines()[0] if str(reason) else type(exc).__name__


class Notifier:
    """A background sender of notices, so the scheduler's tick never waits on the network."""

    def __init__(
        self,
        timeout: float = TIMEOUT,
        *,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
        deliver: Callable[[Notice, float], str] = post,
        name: str = "webhook",
    ) -> None:
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.deliver = deliver
        """Sends one notice within a timeout; '' when it got through, else why not (one line)."""
        self.name = name
        self.on_done: Callable[[Notice, str], None] | None = None
        """Told of each notice once it got through ('') or never will (why not), on the sending thread."""
        self._queue: queue.Queue[Notice | None] = queue.Queue(BACKLOG)
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self.sent = 0
        self.failed = 0
        self.tries = 0

    def send(self, notices: list[Notice]) -> None:
        if not notices:
            return
        if self._thread is None:
            self._closing.clear()
            self._thread = threading.Thread(target=self._run, name=f"queuetui-{self.name}", daemon=True)
            self._thread.start()
        for notice in notices:
            try:
                self._queue.put_nowait(notice)
            except queue.Full:
                self.failed += 1
                log.error("%s %s: %d notices already waiting; dropped one", self.name, notice.url, BACKLOG)

    def close(self, wait: float = TIMEOUT) -> None:
        """Deliver what is waiting (for at most `wait` seconds, retries cut short), then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._closing.set()
            self._thread.join(wait)
            self._thread = None

    def _run(self) -> None:
        while (notice := self._queue.get()) is not None:
            problem = ""
            for attempt in range(self.attempts):
                if attempt and self._closing.wait(self.backoff * 2 ** (attempt - 1)):
                    break  # closing: no more waiting between tries
                self.tries += 1
                problem = self.deliver(notice, self.timeout)
                if not problem:
                    break
            if problem:
                self.failed += 1
                about = notice.payload.get("job_id") or notice.payload.get("alert")
                log.error(
                    "%s %s for %s (%s): %s",
                    self.name,
                    notice.url,
                    about,
                    notice.payload.get("event"),
                    problem,
                )
            else:
                self.sent += 1
            if self.on_done is not None:
                self.on_done(notice, problem)
