"""Alert rules: checked after every sample by the leading sampler, recorded, notified once per firing.

The rules come from the config file's [[alerts.rules]] (config.AlertRule). After each sample the
sampler that leads works out which (rule, subject) pairs hold now; a pair that holds and has no open
alert fires (a row in the `alerts` table, then a notice), an open alert whose pair no longer holds
resolves (its row closed, then a notice). A condition that stays true over many samples is one
firing, notified once. The `alerts` table's unique open_key makes that hold even when two samplers
overlap for a moment during a failover: the second insert of the same firing is ignored.

The kinds, and what each reads (all within the sample's bounded round trips, plus those below):
  backlog           waiting above `above` in every sample of the last `for` (the FINE series)
  oldest-waiting    the head job's age above `above` (the sample itself)
  failure-rate      failed / (finished + failed) above `above` percent over `window`, once at least
                    `min_jobs` ended in it (the series)
  stuck             a job in a started registry running longer than its own timeout (+ `grace`):
                    one pipeline of ZRANGEs, one read of the jobs' started_at and timeout; at most
                    STUCK_SCAN jobs per queue (about one per worker in practice)
  worker-heartbeat  a registered worker that is stale or dead (rqdata.liveness: its key is about to
                    expire unless it beats, or expired while it is still registered), or, with
                    `above`, a busy one silent longer than that (RQ beats every 30 s while a job
                    runs but only every ~7 min while idle, so heartbeat age alone misjudges idle
                    workers) (the sample)
  schedule-late     a schedule whose latest run within `window` is late or missed (two indexed SQL
                    queries); it resolves when a newer run is enqueued on time
Notices go to the webhook URL (JSON POST) and by email, each on a thread of its own
(daemon/notify.Notifier: timeout, retries with backoff), so a dead endpoint never holds up sampling.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import redis
from rq.queue import Queue
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from queuetui import fmt
from queuetui.clock import Clock
from queuetui.config import AlertRule, AlertSettings
from queuetui.daemon import mail
from queuetui.daemon.notify import Notice, Notifier
from queuetui.db.engine import DatabaseError, session_scope
from queuetui.db.models import Alert, RunState, Schedule, ScheduleRun
from queuetui.metrics.sampler import Sample
from queuetui.metrics.series import COARSE, FINE, QueuePoint, Resolution, read_queues
from queuetui.rqdata import keys, liveness
from queuetui.rqdata.fields import optional_int, parse_rq_time
from queuetui.rqdata.overview import snapshot
from queuetui.rqdata.rows import job_id_of, read_raw

log = logging.getLogger("queuetui.metrics")

STUCK_SCAN = 1000
"""Jobs read per started registry by the stuck rule."""
FIRING = "firing"
RESOLVED = "resolved"
WEBHOOK = "webhook"
EMAIL = "email"
OUTCOME_COLUMNS = {WEBHOOK: "webhook_outcome", EMAIL: "email_outcome"}
SENDING = "sending"
OK = "ok"
_BAD_RUNS = (RunState.LATE.value, RunState.MISSED.value)
_NOT_A_RUN = (*_BAD_RUNS, RunState.SKIPPED.value)


@dataclass(frozen=True)
class Condition:
    """A rule that holds for one subject now."""

    rule: AlertRule
    subject: str
    message: str
    value: float | None = None

    @property
    def key(self) -> str:
        return open_key(self.rule.name, self.subject)


@dataclass(frozen=True)
class AlertEvent:
    event: str
    """FIRING or RESOLVED."""
    alert: Alert


def open_key(rule: str, subject: str) -> str:
    return f"{rule}/{subject}"


def payload(event: AlertEvent) -> dict[str, Any]:
    """The JSON a webhook receives (and the facts an email lists)."""
    alert = event.alert
    return {
        "event": event.event,
        "alert": alert.rule,
        "kind": alert.kind,
        "subject": alert.subject,
        "message": alert.message,
        "value": alert.value,
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "resolution": alert.resolution,
        "id": alert.id,
    }


class Alerts:
    """The alert rules, as a sampler listener: `sampler.run(stop, [alerts])`."""

    def __init__(
        self,
        settings: AlertSettings,
        sessions: sessionmaker[Session],
        connection: redis.Redis,
        *,
        webhook: Notifier | None = None,
        email: Notifier | None = None,
        fine: Resolution = FINE,
        coarse: Resolution = COARSE,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.connection = connection
        self.fine = fine
        self.coarse = coarse
        self.webhook = webhook
        if self.webhook is None and settings.webhook_url:
            self.webhook = Notifier(attempts=4, backoff=1.0, name="alert webhook")
        self.email = email
        if self.email is None and settings.email_to:
            deliver = mail.sender(settings.smtp, settings.email_to)
            self.email = Notifier(
                settings.smtp.timeout, attempts=3, backoff=5.0, deliver=deliver, name="alert email"
            )
        for channel, notifier in ((WEBHOOK, self.webhook), (EMAIL, self.email)):
            if notifier is not None:
                notifier.on_done = partial(self._delivered, channel)

    def __call__(self, sample: Sample) -> None:
        """Check, record and notify after a sample; a database failure is one log line."""
        try:
            self.evaluate(sample)
        except DatabaseError as exc:
            log.error("alerts: %s; checked again after the next sample", exc)

    def evaluate(self, sample: Sample) -> list[AlertEvent]:
        """Fire what newly holds, resolve what no longer does; the events, already sent to notifiers."""
        events = self.record(self.conditions(sample), sample.overview.taken_at)
        self.notify(events)
        return events

    def conditions(self, sample: Sample) -> list[Condition]:
        """Every (rule, subject) that holds at this sample."""
        found: list[Condition] = []
        rules = self.settings.rules
        series = self._series(sample, [r for r in rules if r.kind in ("backlog", "failure-rate")])
        stuck = [r for r in rules if r.kind == "stuck"]
        if stuck:
            found += self._stuck(sample, stuck)
        for rule in rules:
            if rule.kind == "backlog":
                found += _backlog(rule, sample, series)
            elif rule.kind == "failure-rate":
                found += _failure_rate(rule, sample, series)
            elif rule.kind == "oldest-waiting":
                found += _oldest_waiting(rule, sample)
            elif rule.kind == "worker-heartbeat":
                found += _heartbeats(rule, sample)
            elif rule.kind == "schedule-late":
                found += self._schedules_late(rule, sample.overview.taken_at)
        return found

    def record(self, conditions: Sequence[Condition], now: datetime) -> list[AlertEvent]:
        """Open an alert for each new condition and close those that cleared, in the database."""
        current = {c.key: c for c in conditions}
        configured = {r.name for r in self.settings.rules}
        events: list[AlertEvent] = []
        with session_scope(self.sessions) as session:
            open_alerts = list(session.scalars(select(Alert).where(Alert.resolved_at.is_(None))))
            for alert in open_alerts:
                if alert.open_key in current:
                    continue
                alert.resolved_at = now
                alert.open_key = None
                alert.resolution = (
                    "cleared" if alert.rule in configured else "the rule is no longer configured"
                )
                events.append(AlertEvent(RESOLVED, alert))
            already = {a.open_key for a in open_alerts}
            for key, condition in current.items():
                if key in already:
                    continue
                values = {
                    "rule": condition.rule.name, "kind": condition.rule.kind, "subject": condition.subject,
                    "message": condition.message, "value": condition.value, "fired_at": now,
                    "resolved_at": None, "resolution": "", "open_key": key,
                }  # fmt: skip
                if (alert_id := _insert_new(session, values)) is not None:  # None: another sampler did
                    events.append(AlertEvent(FIRING, session.get_one(Alert, alert_id)))
        for event in events:
            level = logging.WARNING if event.event == FIRING else logging.INFO
            log.log(level, "alert %s %s: %s", event.event, event.alert.rule, event.alert.message)
        return events

    def notify(self, events: Sequence[AlertEvent]) -> None:
        """Queue a notice per event for the webhook and for email (sent from their own threads); each
        alert's outcome columns say 'sending' until its notice got through or gave up."""
        told = [e for e in events if e.event == FIRING or self.settings.notify_resolved]
        channels = [c for c, n in ((WEBHOOK, self.webhook), (EMAIL, self.email)) if n is not None]
        if told and channels:
            ids = [e.alert.id for e in told]
            values = {OUTCOME_COLUMNS[c]: SENDING for c in channels}
            with session_scope(self.sessions) as session:
                session.execute(update(Alert).where(Alert.id.in_(ids)).values(values))
        if self.webhook is not None:
            self.webhook.send([Notice(self.settings.webhook_url, payload(e)) for e in told])
        if self.email is not None:
            self.email.send([Notice(mail.smtp_url(self.settings.smtp), payload(e)) for e in told])

    def _delivered(self, channel: str, notice: Notice, problem: str) -> None:
        """Record how a notice went (on its notifier's thread): 'ok', or why it never got through."""
        outcome = problem[:500] if problem else OK
        try:
            with session_scope(self.sessions) as session:
                alert = update(Alert).where(Alert.id == notice.payload["id"])
                session.execute(alert.values({OUTCOME_COLUMNS[channel]: outcome}))
        except DatabaseError as exc:
            log.error(
                "alerts: the %s outcome of alert %s not recorded: %s", channel, notice.payload["id"], exc
            )

    def close(self, wait: float = 5.0) -> None:
        """Deliver the notices still waiting (for at most `wait` seconds each), then stop."""
        for notifier in (self.webhook, self.email):
            if notifier is not None:
                notifier.close(wait)

    def _series(self, sample: Sample, rules: list[AlertRule]) -> dict[str, list[QueuePoint]]:
        """The points the series rules look back on, per queue (one round trip, none if no such rule)."""
        if not rules:
            return {}
        reach = max(max(r.for_seconds, r.window) for r in rules) + 3 * self.fine.step
        resolution = self.fine if reach <= self.fine.retention else self.coarse
        queues = _queues(sample, rules)
        return read_queues(self.connection, queues, sample.at - reach, sample.at, resolution)

    def _stuck(self, sample: Sample, rules: list[AlertRule]) -> list[Condition]:
        queues = _queues(sample, rules)
        busy = [q for q in queues if (counts := sample.overview.queue(q)) and counts.started]
        if not busy:
            return []
        pipe = self.connection.pipeline(transaction=False)
        for queue in busy:
            pipe.zrange(keys.registry_key(queue, "started"), 0, STUCK_SCAN - 1)
        running = [
            (q, job_id_of(m)) for q, members in zip(busy, pipe.execute(), strict=True) for m in members
        ]
        if not running:
            return []
        raws = read_raw(self.connection, [j for _, j in running], ("started_at", "timeout"), False, False)
        now = sample.overview.taken_at
        found = []
        for (queue, job_id), (values, *_) in zip(running, raws, strict=True):
            started = parse_rq_time(values[0]) if values else None
            timeout = optional_int(values[1]) if values else None
            timeout = Queue.DEFAULT_TIMEOUT if timeout is None else timeout
            if started is None or timeout < 0:  # -1: the job has no timeout
                continue
            took = (now - started).total_seconds()
            for rule in rules:
                if rule.queue in ("", queue) and took > timeout + rule.grace:
                    limit = fmt.age(timeout)
                    message = f"job {job_id} in {queue}: running {fmt.age(took)}, past its {limit} timeout"
                    found.append(Condition(rule, f"{queue}/{job_id}", message, took))
        return found

    def _schedules_late(self, rule: AlertRule, now: datetime) -> list[Condition]:
        since = now - timedelta(seconds=rule.window)
        with session_scope(self.sessions) as session:
            bad = (
                select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_time))
                .where(ScheduleRun.state.in_(_BAD_RUNS), ScheduleRun.fire_time >= since)
                .group_by(ScheduleRun.schedule_id)
            )
            latest_bad = {sid: fire for sid, fire in session.execute(bad)}
            if not latest_bad:
                return []
            good = (
                select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_time))
                .where(
                    ScheduleRun.schedule_id.in_(latest_bad),
                    ScheduleRun.state.not_in(_NOT_A_RUN),
                    ScheduleRun.fire_time >= since,
                )
                .group_by(ScheduleRun.schedule_id)
            )
            latest_good = {sid: fire for sid, fire in session.execute(good)}
            still = [
                sid for sid, fire in latest_bad.items() if fire > latest_good.get(sid, fire - timedelta(1))
            ]
            runs = session.execute(
                select(Schedule.name, ScheduleRun.fire_time, ScheduleRun.state, ScheduleRun.reason)
                .join(ScheduleRun.schedule)
                .where(ScheduleRun.schedule_id.in_(still), ScheduleRun.state.in_(_BAD_RUNS))
                .where(ScheduleRun.fire_time >= since)
                .order_by(ScheduleRun.fire_time)
            ).all()
        newest = {name: (fire, state, reason) for name, fire, state, reason in runs}  # the latest wins
        found = []
        for name, (fire, state, reason) in sorted(newest.items()):
            if rule.schedule in ("", name):
                due = fire.strftime("%Y-%m-%d %H:%M UTC")
                message = f"schedule {name}: the run due {due} is {state}" + (
                    f" ({reason})" if reason else ""
                )
                found.append(Condition(rule, name, message, (now - fire).total_seconds()))
        return found


def _queues(sample: Sample, rules: list[AlertRule]) -> list[str]:
    names = [q.name for q in sample.overview.queues]
    if any(not r.queue for r in rules):
        return names
    return [n for n in names if any(r.queue == n for r in rules)]


def _backlog(rule: AlertRule, sample: Sample, series: dict[str, list[QueuePoint]]) -> list[Condition]:
    found = []
    for queue, latest in sample.queues.items():
        if rule.queue not in ("", queue) or latest.waiting <= rule.above:
            continue
        since = latest.at
        for point in reversed(series.get(queue, [])):
            if point.at > latest.at:
                continue
            if point.waiting <= rule.above:
                break
            since = point.at
        if latest.at - since >= rule.for_seconds:
            lasted = f" for {fmt.age(latest.at - since)}" if rule.for_seconds else ""
            message = f"queue {queue}: {latest.waiting:,} waiting, above {rule.above:,g}{lasted}"
            found.append(Condition(rule, queue, message, latest.waiting))
    return found


def _failure_rate(rule: AlertRule, sample: Sample, series: dict[str, list[QueuePoint]]) -> list[Condition]:
    found = []
    for queue in sample.queues:
        if rule.queue not in ("", queue):
            continue
        window = [p for p in series.get(queue, []) if sample.at - rule.window < p.at <= sample.at]
        failed = sum(p.failures for p in window)
        ended = failed + sum(p.finished for p in window)
        if ended < max(1, rule.min_jobs):
            continue
        rate = 100.0 * failed / ended
        if rate > rule.above:
            message = (
                f"queue {queue}: {rate:.0f}% of {ended:,} jobs failed in the last {fmt.age(rule.window)} "
                f"(above {rule.above:g}%)"
            )
            found.append(Condition(rule, queue, message, rate))
    return found


def _oldest_waiting(rule: AlertRule, sample: Sample) -> list[Condition]:
    found = []
    for queue in sample.overview.queues:
        age = queue.oldest_waiting_seconds
        if rule.queue in ("", queue.name) and age is not None and age > rule.above:
            limit = fmt.age(rule.above)
            message = f"queue {queue.name}: the oldest waiting job is {fmt.age(age)} old (above {limit})"
            found.append(Condition(rule, queue.name, message, age))
    return found


def _heartbeats(rule: AlertRule, sample: Sample) -> list[Condition]:
    found = []
    for worker in sample.overview.workers:
        age = worker.heartbeat_age_seconds
        if worker.health != liveness.OK:  # its key is about to expire, or did: judged by Redis's clock
            message = f"worker {worker.name}: {worker.health}: {worker.why}"
        elif rule.above and worker.state == "busy" and age is not None and age > rule.above:
            limit = fmt.age(rule.above)
            message = f"worker {worker.name}: busy, no heartbeat for {fmt.age(age)} (above {limit})"
        else:
            continue
        found.append(Condition(rule, worker.name, message, age))
    return found


def _insert_new(session: Session, values: dict[str, Any]) -> int | None:
    """Insert an alert unless one is open for its rule and subject; its id, or None if one was."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Alert).values(**values).on_conflict_do_nothing().returning(Alert.id)
    return session.scalar(statement)


def recent(sessions: sessionmaker[Session], limit: int = 100, firing_only: bool = False) -> list[Alert]:
    """The alerts still firing, newest first, then (unless `firing_only`) the resolved ones, newest first,
    `limit` in all (two indexed queries: open_key is unique while firing, fired_at is indexed)."""
    order = (Alert.fired_at.desc(), Alert.id.desc())
    with session_scope(sessions) as session:
        firing = list(
            session.scalars(select(Alert).where(Alert.open_key.is_not(None)).order_by(*order).limit(limit))
        )
        if firing_only or len(firing) >= limit:
            return firing
        resolved = select(Alert).where(Alert.open_key.is_(None)).order_by(*order).limit(limit - len(firing))
        return firing + list(session.scalars(resolved))


def firing_count(sessions: sessionmaker[Session]) -> int:
    """How many alerts are firing now (one indexed count)."""
    with session_scope(sessions) as session:
        return session.scalar(select(func.count()).where(Alert.open_key.is_not(None))) or 0


def show_value(kind: str, value: float | None) -> str:
    """An alert's value in its rule's unit: jobs, percent or an age."""
    if value is None:
        return "-"
    if kind == "backlog":
        return f"{value:,.0f}"
    if kind == "failure-rate":
        return f"{value:.0f}%"
    return fmt.age(value)


def notified(alert: Alert) -> str:
    """How the alert's latest notices went: 'webhook ok · email: HTTP 503 ...'; '-' when none was sent."""
    parts = [
        f"{channel} {outcome}" if outcome in (OK, SENDING) else f"{channel} failed: {outcome}"
        for channel, outcome in ((WEBHOOK, alert.webhook_outcome), (EMAIL, alert.email_outcome))
        if outcome is not None
    ]
    return " · ".join(parts) or "-"


def threshold(rule: AlertRule) -> str:
    """What a rule fires above, in a few words."""
    if rule.kind == "backlog":
        return f"> {rule.above:,g}" + (
            f" for {fmt.age(rule.for_seconds)}" if rule.for_seconds else " waiting"
        )
    if rule.kind == "failure-rate":
        return f"> {rule.above:g}% in {fmt.age(rule.window)}"
    if rule.kind == "stuck":
        return "its timeout" + (f" + {fmt.age(rule.grace)}" if rule.grace else "")
    if rule.kind == "schedule-late":
        return f"late in {fmt.age(rule.window)}"
    return f"> {fmt.age(rule.above)}"


def current_values(
    settings: AlertSettings,
    sessions: sessionmaker[Session],
    connection: redis.Redis,
    clock: Clock,
    firing: Sequence[Alert],
) -> dict[int, float | None]:
    """What each firing alert's rule measures for its subject now (None: nothing to measure now, e.g.
    no job ended in a failure-rate window, the worker is idle or gone), beside the value it fired at.

    The rules are checked as the sampler checks them, on a snapshot taken now and the stored series,
    with their thresholds taken away so every subject has its value whether the rule holds or not. It
    reads (a snapshot, the series of the queues, the schedule runs) and writes nothing.
    """
    if not firing:
        return {}
    overview = snapshot(connection, clock)
    at = round(overview.taken_at.timestamp(), 3)
    points = {
        q.name: QueuePoint(at, q.waiting, q.started, q.failed, 0, 0, 0, q.oldest_waiting_seconds, 0.0)
        for q in overview.queues
    }
    wanted = {a.rule for a in firing}
    loose = tuple(
        replace(rule, above=-math.inf, for_seconds=0.0, min_jobs=0, grace=-math.inf)
        for rule in settings.rules
        if rule.name in wanted
    )
    checker = Alerts(AlertSettings(rules=loose), sessions, connection)
    values = {c.key: c.value for c in checker.conditions(Sample(overview, points))}
    return {a.id: values.get(open_key(a.rule, a.subject)) for a in firing}
