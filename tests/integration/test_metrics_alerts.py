"""Alert rules against real workloads: each fires and resolves once, recorded in the database and told
to a real HTTP endpoint on loopback and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from rq import Queue, SimpleWorker
from rq.worker import Worker
from sqlalchemy import select

from queuetui import fmt
from queuetui.audit import Actor, Audit
from queuetui.clock import FrozenClock
from queuetui.config import load_settings
from queuetui.daemon.lease import Lease
from queuetui.daemon.notify import Notifier
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import Alert
from queuetui.embedded import free_port
from queuetui.metrics.alerts import FIRING, RESOLVED, AlertEvent, Alerts, notified, recent
from queuetui.metrics.sampler import Sampler
from queuetui.metrics.series import read_queue
from queuetui.schedule.scheduler import RECONCILE_EVERY, Scheduler
from queuetui.schedule.store import ScheduleStore
from tests import jobs
from tests.conftest import wait_for
from tests.integration.test_metrics_sampler import sampler
from tests.integration.test_scheduler import Monotonic
from tests.workload import running_job


class Hooks:
    """A real HTTP endpoint on loopback keeping what is POSTed to it.

    It answers 503 to the first `failures` requests, and holds every request while `gate` is clear.
    """

    def __init__(self, failures: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.waiting = 0
        self.gate = threading.Event()
        self.gate.set()
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.waiting += 1
                hooks.gate.wait(30)
                hooks.waiting -= 1
                hooks.attempts += 1
                if hooks.attempts <= failures:
                    self.send_response(503)
                else:
                    hooks.received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    def told(self) -> list[tuple[str, str, str]]:
        return [(h["event"], h["alert"], h["subject"]) for h in self.received]


@dataclass
class Rig:
    conn: redis.Redis
    clock: FrozenClock
    sampler: Sampler
    alerts: Alerts
    hooks: Hooks

    def step(self, seconds: float = 10) -> list[tuple[str, str, str]]:
        """Move the clock, sample, check the rules: the events, as (event, rule, subject)."""
        self.clock.advance(seconds)
        sample = self.sampler.sample()
        assert sample is not None
        return [(e.event, e.alert.rule, e.alert.subject) for e in self.alerts.evaluate(sample)]

    def notified(self) -> list[tuple[str, str, str]]:
        """What the webhook received, once every notice waiting has been delivered."""
        self.alerts.close(10)
        return self.hooks.told()


@pytest.fixture
def make_rig(conn: redis.Redis, tmp_path: Path) -> Iterator[Any]:
    made: list[Rig] = []

    def make(
        rules: str, clock: FrozenClock | None = None, sessions: Any = None, hooks: Hooks | None = None
    ) -> Rig:
        hooks = hooks or Hooks()
        config = tmp_path / "config.toml"
        config.write_text(f'[alerts]\nwebhook_url = "{hooks.url}"\n{rules}')
        settings = load_settings(path=config)
        sessions = sessions or open_database(f"sqlite:///{tmp_path / 'q.db'}")
        clock = clock or FrozenClock(datetime.now(UTC))
        webhook = Notifier(30, attempts=4, backoff=0.05, name="alert webhook")
        rig = Rig(
            conn, clock, sampler(conn, clock), Alerts(settings.alerts, sessions, conn, webhook=webhook), hooks
        )
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.alerts.close(1)
        rig.hooks.close()


def test_backlog_fires_after_staying_above_for_its_duration_and_resolves_once_drained(make_rig: Any) -> None:
    rig = make_rig(
        '[[alerts.rules]]\nname = "emails backlog"\nkind = "backlog"\nqueue = "emails"\n'
        'above = 3\nfor = "1m"\n'
    )
    emails = Queue("emails", connection=rig.conn)
    for i in range(5):
        emails.enqueue(jobs.add, i, 1)
    Queue("other", connection=rig.conn).enqueue_many([Queue.prepare_data(jobs.add, (1, 1)) for _ in range(9)])
    assert [rig.step() for _ in range(6)] == [[]] * 6  # 50 seconds above: not yet
    assert rig.step() == [(FIRING, "emails backlog", "emails")]
    assert [rig.step() for _ in range(5)] == [[]] * 5  # still above: still the same one firing
    SimpleWorker([emails], connection=rig.conn).work(burst=True)
    assert rig.step() == [(RESOLVED, "emails backlog", "emails")]
    assert rig.notified() == [(FIRING, "emails backlog", "emails"), (RESOLVED, "emails backlog", "emails")]
    (alert,) = recent(rig.alerts.sessions)
    assert alert.message == "queue emails: 5 waiting, above 3 for 1m00s"
    assert alert.resolved_at is not None and (alert.resolved_at - alert.fired_at).total_seconds() == 60


def test_oldest_waiting_fires_and_resolves(make_rig: Any) -> None:
    rig = make_rig('[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = "2m"\n')
    q = Queue("reports", connection=rig.conn)
    enqueued_at = q.enqueue(jobs.add, 1, 1).enqueued_at
    assert enqueued_at is not None
    assert rig.step(0) == []
    assert rig.step(150) == [(FIRING, "stale", "reports")]
    age = fmt.age((rig.clock.now() - enqueued_at).total_seconds())
    assert rig.step() == []
    SimpleWorker([q], connection=rig.conn).work(burst=True)
    assert rig.step() == [(RESOLVED, "stale", "reports")]
    assert rig.notified() == [(FIRING, "stale", "reports"), (RESOLVED, "stale", "reports")]
    assert (
        rig.hooks.received[0]["message"]
        == f"queue reports: the oldest waiting job is {age} old (above 2m00s)"
    )


def test_failure_rate_fires_over_its_window_and_resolves_when_jobs_succeed(make_rig: Any) -> None:
    rig = make_rig(
        '[[alerts.rules]]\nname = "failing"\nkind = "failure-rate"\nabove = 30\nwindow = "5m"\nmin_jobs = 4\n'
    )
    q = Queue("payments", connection=rig.conn)
    worker = SimpleWorker([q], connection=rig.conn)
    assert rig.step() == []
    q.enqueue(jobs.boom, "card declined")
    assert rig.step() == []  # one job in the window: fewer than min_jobs
    worker.work(burst=True)
    q.enqueue(jobs.boom, "card declined")
    q.enqueue(jobs.add, 1, 1)
    q.enqueue(jobs.add, 2, 2)
    worker.work(burst=True)
    assert rig.step() == [(FIRING, "failing", "payments")]  # 2 of 4 failed
    for i in range(6):
        q.enqueue(jobs.add, i, i)
    worker.work(burst=True)
    assert rig.step() == [(RESOLVED, "failing", "payments")]  # 2 of 10
    assert rig.notified() == [(FIRING, "failing", "payments"), (RESOLVED, "failing", "payments")]
    assert rig.hooks.received[0]["value"] == 50.0


def test_a_job_running_past_its_timeout_is_stuck_until_it_ends(make_rig: Any, redis_url: str) -> None:
    now = datetime.now(UTC)
    rig = make_rig('[[alerts.rules]]\nname = "stuck"\nkind = "stuck"\n', clock=FrozenClock(now))
    with running_job(rig.conn, redis_url, job_id="run-1", queue="slow"):
        assert rig.step(0) == []
        assert rig.step(Queue.DEFAULT_TIMEOUT + 30) == [(FIRING, "stuck", "slow/run-1")]
        assert rig.step() == []
    wait_for(lambda: rig.conn.zcard("rq:wip:slow") == 0, message="run-1 to end")
    assert rig.step() == [(RESOLVED, "stuck", "slow/run-1")]
    assert rig.notified() == [(FIRING, "stuck", "slow/run-1"), (RESOLVED, "stuck", "slow/run-1")]
    assert "past its 3m00s timeout" in rig.hooks.received[0]["message"]


def test_a_busy_worker_whose_heartbeat_stopped_fires_until_it_leaves(make_rig: Any) -> None:
    rig = make_rig('[[alerts.rules]]\nname = "silent"\nkind = "worker-heartbeat"\nabove = "2m"\n')
    worker = Worker([Queue("default", connection=rig.conn)], connection=rig.conn, name="w-quiet")
    worker.register_birth()
    worker.set_state("busy")
    assert rig.step(0) == []
    assert rig.step(150) == [(FIRING, "silent", "w-quiet")]
    assert rig.step() == []
    worker.register_death()
    assert rig.step() == [(RESOLVED, "silent", "w-quiet")]
    assert rig.notified() == [(FIRING, "silent", "w-quiet"), (RESOLVED, "silent", "w-quiet")]


def test_an_idle_worker_is_judged_by_its_keys_ttl_not_its_heartbeat_age(make_rig: Any) -> None:
    # RQ's idle worker beats only when its 405 s BLPOP times out: minutes of silence are healthy.
    rig = make_rig('[[alerts.rules]]\nname = "silent"\nkind = "worker-heartbeat"\nabove = "2m"\n')
    worker = Worker([Queue("default", connection=rig.conn)], connection=rig.conn, name="w-idle")
    worker.register_birth()
    worker.set_state("idle")
    assert rig.step(0) == []
    assert rig.step(300) == []
    rig.conn.expire(worker.key, 30)  # a missed beat: the key expires in 30 s unless it beats
    assert rig.step() == [(FIRING, "silent", "w-idle")]
    assert rig.notified() == [(FIRING, "silent", "w-idle")]
    assert "stale: heartbeat late" in rig.hooks.received[0]["message"]
    rig.conn.expire(worker.key, 420)  # it beat again
    assert rig.step() == [(RESOLVED, "silent", "w-idle")]


def test_a_late_scheduled_run_fires_and_resolves_once_it_runs(
    make_rig: Any, conn: redis.Redis, tmp_path: Path
) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    clock = FrozenClock(datetime(2026, 11, 23, 11, 50, 30, tzinfo=UTC))
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=clock), clock)
    store.add("hourly", {"func": "tests.jobs:add", "args": [1, 2], "cron": "0 * * * *", "queue": "idle",
                         "misfire_grace": 120})  # fmt: skip
    lease = Lease(conn, "sched", monotonic=Monotonic())
    scheduler = Scheduler(conn, sessions, instance="sched", clock=clock, lease=lease)
    rig = make_rig(
        '[[alerts.rules]]\nname = "late runs"\nkind = "schedule-late"\n', clock=clock, sessions=sessions
    )
    clock.advance(600)  # 12:00:30: the 12:00 run is enqueued, and waits: no worker on 'idle'
    scheduler.tick()
    assert rig.step(0) == []
    clock.advance(150)
    lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
    scheduler.tick()  # past its grace: marked late
    assert rig.step(0) == [(FIRING, "late runs", "hourly")]
    assert rig.step() == []
    SimpleWorker([Queue("idle", connection=rig.conn)], connection=rig.conn).work(burst=True)
    lease.monotonic.now += RECONCILE_EVERY  # type: ignore[attr-defined]
    scheduler.tick()  # it ran after all: finished
    assert rig.step() == [(RESOLVED, "late runs", "hourly")]
    assert rig.notified() == [(FIRING, "late runs", "hourly"), (RESOLVED, "late runs", "hourly")]
    message = rig.hooks.received[0]["message"]
    assert message.startswith("schedule hourly: the run due 2026-11-23 12:00 UTC is late (not started")


def test_a_webhook_that_is_down_never_holds_up_sampling_and_is_retried(make_rig: Any) -> None:
    hooks = Hooks(failures=2)
    hooks.gate.clear()  # the endpoint hangs
    rig = make_rig('[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = 60\n', hooks=hooks)
    Queue("default", connection=rig.conn).enqueue(jobs.add, 1, 1)
    assert rig.step(120) == [(FIRING, "stale", "default")]
    wait_for(lambda: hooks.waiting == 1, message="the notice to reach the hanging endpoint")
    for _ in range(3):  # sampling and checking go on while the notice hangs
        assert rig.step() == []
    assert hooks.attempts == 0 and len(read_queue(rig.conn, "default", 0)) == 4
    hooks.gate.set()  # the endpoint answers: 503, 503, then takes it
    wait_for(lambda: hooks.received, message="the notice to get through")
    assert hooks.attempts == 3 and rig.alerts.webhook is not None and rig.alerts.webhook.failed == 0
    assert rig.notified() == [(FIRING, "stale", "default")]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_alerts_are_mailed_once_per_firing_and_resolution(
    conn: redis.Redis, tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    config = tmp_path / "config.toml"
    config.write_text(
        '[alerts]\nemail_to = ["ops@example.com", "oncall@example.com"]\n'
        f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "queuetui@example.com"\n'
        '[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = "1m"\n'
    )
    settings = load_settings(path=config)
    sessions = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    clock = FrozenClock(datetime.now(UTC))
    s = sampler(conn, clock)
    alerts = Alerts(settings.alerts, sessions, conn)
    q = Queue("exports", connection=conn)
    enqueued_at = q.enqueue(jobs.add, 1, 1).enqueued_at
    assert enqueued_at is not None
    for advance in (0, 90, 10, 10):
        clock.advance(advance)
        alerts(s.sample())  # type: ignore[arg-type]
        if advance == 90:
            age = fmt.age((clock.now() - enqueued_at).total_seconds())
    SimpleWorker([q], connection=conn).work(burst=True)
    clock.advance(10)
    alerts(s.sample())  # type: ignore[arg-type]
    alerts.close(10)
    subjects = [m["Subject"] for _, m in mailbox.messages]
    told = f"queue exports: the oldest waiting job is {age} old (above 1m00s)"
    assert subjects == [f"[queuetui] FIRING stale: {told}", f"[queuetui] RESOLVED stale: {told}"]
    rcpt, first = mailbox.messages[0]
    assert rcpt == ["ops@example.com", "oncall@example.com"] and first["From"] == "queuetui@example.com"
    assert "subject: exports" in first.get_content()
    with session_scope(sessions) as session:
        rows = session.scalars(select(Alert)).all()
        assert [(a.rule, a.subject, a.resolution, a.open_key) for a in rows] == [
            ("stale", "exports", "cleared", None)
        ]


def test_starttls_refused_by_the_server_is_one_log_line(
    conn: redis.Redis, tmp_path: Path, smtp: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    mailbox, port = smtp
    config = tmp_path / "config.toml"
    config.write_text(
        f'[alerts]\nemail_to = ["ops@example.com"]\n[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        'starttls = true\n[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = 0\n'
    )
    alerts = Alerts(load_settings(path=config).alerts, open_database(f"sqlite:///{tmp_path / 'q.db'}"), conn)
    Queue("default", connection=conn).enqueue(jobs.add, 1, 1)
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=5))
    with caplog.at_level(logging.ERROR, logger="queuetui.scheduler"):
        events: list[AlertEvent] = alerts.evaluate(sampler(conn, clock).sample())  # type: ignore[arg-type]
        assert [e.event for e in events] == [FIRING]
        alerts.close(0.5)
    assert alerts.email is not None and alerts.email.failed == 1 and mailbox.messages == []
    (line,) = [r.getMessage() for r in caplog.records]
    assert "the server does not offer STARTTLS" in line and "\n" not in line


def test_each_alert_records_how_its_latest_webhook_notice_went(make_rig: Any) -> None:
    rig = make_rig('[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = 60\n')
    Queue("default", connection=rig.conn).enqueue(jobs.add, 1, 1)
    assert rig.step(120) == [(FIRING, "stale", "default")]
    assert rig.notified() == [(FIRING, "stale", "default")]
    (alert,) = recent(rig.alerts.sessions)
    assert (alert.webhook_outcome, alert.email_outcome, notified(alert)) == ("ok", None, "webhook ok")


def test_a_notice_that_never_got_through_is_recorded_with_why(make_rig: Any) -> None:
    rig = make_rig('[[alerts.rules]]\nname = "stale"\nkind = "oldest-waiting"\nabove = 60\n', hooks=Hooks(99))
    Queue("default", connection=rig.conn).enqueue(jobs.add, 1, 1)
    rig.hooks.gate.clear()  # held: the alert says it is being sent meanwhile
    assert rig.step(120) == [(FIRING, "stale", "default")]
    assert notified(recent(rig.alerts.sessions)[0]) == "webhook sending"
    rig.hooks.gate.set()
    assert rig.notified() == []  # 503 to every try
    (alert,) = recent(rig.alerts.sessions)
    assert alert.webhook_outcome == "HTTP 503 Service Unavailable"
    assert notified(alert) == "webhook failed: HTTP 503 Service Unavailable"
