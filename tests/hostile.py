"""Hostile data for tests (issue #16): markup, terminal escapes, bidi, NUL, C1, huge and non-UTF-8
values, written into Redis and the database the way a careless or malicious producer could write them,
and the check that none of it reaches a terminal as anything but visible text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import redis
from hypothesis import strategies as st
from rich.segment import Segment
from rq.job import Job
from sqlalchemy import update
from textual.app import App

from queuetui.audit import Actor, Audit
from queuetui.db.engine import open_database, session_scope
from queuetui.db.models import AuditEntry, Schedule, ScheduleRun
from queuetui.rqdata import keys
from queuetui.schedule.firing import Fire
from queuetui.schedule.store import ScheduleStore
from tests.snapshots.seed import CLOCK, NOW

PAYLOADS = (
    "[/]",
    "mk[/]x",
    "[@click=app.quit]CLICKME[/]",
    "[link=http://x]y[/link]",
    "[bold red]",
    "\x1b]52;c;aGFja2Vk\x07",  # OSC 52: write the clipboard
    "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8: a hyperlink
    "\x1b[2J",  # clear the screen
    "\x1b[?1049l",  # leave the alternate screen
    "\u202eevil\u202c",  # right-to-left override
    "\u2066x\u2069",
    "\x00",
    "\x9b31m",  # C1 CSI
    "\x85",
    "\u200b\u200f\ufeff",
    "\x7f\x08\r",
)
NAMED = {
    "markup_close": "mk[/]x",
    "click_quit": "[@click=app.quit]CLICKME[/]",
    "link": "a[link=http://x]y[/link]b",
    "osc52": "x\x1b]52;c;aGFja2Vk\x07y",
    "osc8": "x\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\y",
    "clear": "x\x1b[2Jy",
    "bidi": "x\u202eevil\u202cy",
}

_piece = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
    st.text(st.sampled_from("[]/=@\\;\x1b\x07\n\t\x9b"), max_size=6),
)
hostile = st.lists(_piece, min_size=1, max_size=4).map("".join).filter(lambda s: s.strip() != "")
"""One hostile string: named payloads and random characters, controls and markup among them."""
huge = st.just("H" * 60_000 + "\x1b[2J")


def leaks(text: str) -> list[str]:
    """The characters in `text` a terminal would act on or hide: controls (but newline), format
    characters (bidi, zero-width), surrogates, line and paragraph separators."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]


def screen_segments(app: App[None]) -> list[Segment]:
    """What the console would write for its current screen, as segments (text and style)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    segments: list[Segment] = []

    def walk(item: object) -> None:
        if isinstance(item, Segment):
            segments.append(item)
        else:
            for inner in item:  # type: ignore[attr-defined]
                walk(inner)

    walk(getattr(update, "strips", []))
    return segments


def assert_screen_safe(app: App[None]) -> str:
    """No control or format character in the screen's text, no hyperlink or click action from data;
    returns the screen's text."""
    segments = screen_segments(app)
    text = "".join(segment.text for segment in segments)
    assert not leaks(text), (leaks(text)[:10], text[:300])
    for segment in segments:
        assert not segment.control, segment
        style = segment.style
        if style is not None:
            assert not style.link, (style.link, segment.text)
            assert "app.quit" not in repr(style.meta), (style.meta, segment.text)
    return text


def _job_mapping(
    conn: redis.Redis, func: str, arg: str, meta: str, origin: str, status: str, worker: str
) -> dict[str, object]:
    job = Job.create(
        func,
        args=(arg,),
        kwargs={meta: arg},
        id="hostile-template",
        connection=conn,
        origin=origin,
        meta={meta: arg},
        timeout=60,
    )
    job.created_at = job.enqueued_at = job.started_at = job.ended_at = NOW - timedelta(minutes=5)
    job._status = status
    job.worker_name = worker
    return {k: v for k, v in job.to_dict().items() if v is not None}


def seed_hostile(conn: redis.Redis, values: Iterable[str], prefix: str = "") -> list[str]:
    """For each value: a queue named after it holding a job in every registry whose id, function,
    argument, meta, exception and worker are that value; a worker on a host of that name; a batch.
    Plus raw bytes that are not UTF-8 as a queue name, a job's function and its exception.
    Returns the queue names."""
    conn.flushall()
    queues = []
    for n, value in enumerate(values):
        queue = f"{prefix}{value}"
        queues.append(queue)
        conn.sadd(keys.QUEUES_SET, keys.queue_key(queue))
        for registry in ("waiting", "started", "failed", "scheduled", "deferred", "finished", "canceled"):
            job_id = f"{value}-{registry}-{n}"
            status = {"waiting": "queued"}.get(registry, registry)
            mapping = _job_mapping(conn, value, value, value, queue, status, value)
            mapping["exc_info"] = f"Traceback (most recent call last):\nValueError: {value}".encode()
            if registry == "deferred":
                mapping["dependency_ids"] = f'["{n}-parent"]'
            if registry == "failed":
                mapping["group_id"] = value
            conn.hset(keys.job_key(job_id), mapping=mapping)  # type: ignore[arg-type]
            if registry == "waiting":
                conn.rpush(keys.queue_key(queue), job_id)
            else:
                member = f"{job_id}:exec-1" if registry == "started" else job_id
                conn.zadd(keys.registry_key(queue, registry), {member: NOW.timestamp() + 3600})
        conn.sadd(f"rq:group:{value}", f"{value}-failed-{n}")
        conn.sadd("rq:groups", value)
        worker_key = keys.WORKER_PREFIX + f"{value}.{n}"
        conn.sadd(keys.WORKERS_SET, worker_key)
        conn.hset(
            worker_key,
            mapping={
                "birth": "2026-11-22T08:00:00.000000Z",
                "last_heartbeat": "2026-11-23T11:59:59.000000Z",
                "pid": 100 + n,
                "hostname": value,
                "state": "busy",
                "queues": queue,
                "current_job": f"{value}-started-{n}",
                "successful_job_count": 1,
                "failed_job_count": 1,
                "total_working_time": 1.0,
            },
        )
        conn.expire(worker_key, 3600)
    raw = b"raw\xff\xfe\x1b[2J"
    conn.sadd(keys.QUEUES_SET, b"rq:queue:" + raw)
    conn.rpush(b"rq:queue:" + raw, b"raw-job")
    mapping = _job_mapping(conn, "f", "a", "m", "x", "failed", "w")
    mapping.update(origin=raw, exc_info=b"ValueError: " + raw, worker_name=raw)
    conn.hset(keys.job_key("raw-job"), mapping=mapping)  # type: ignore[arg-type]
    return queues


def seed_database(folder: Path, values: list[str]) -> str:
    """A schedule database whose schedules, runs and audit entries carry `values`; its URL."""
    url = f"sqlite:///{folder / 'hostile.db'}"
    sessions = open_database(url)
    store = ScheduleStore(sessions, Audit(sessions, actor=Actor("ops", "local"), clock=CLOCK), CLOCK)
    for n in range(len(values)):
        store.add(f"s{n}", {"func": "tests.jobs:add", "cron": "0 6 * * *", "timezone": "UTC"})
    with session_scope(sessions) as session:
        for n, value in enumerate(values):
            session.execute(
                update(Schedule)
                .where(Schedule.name == f"s{n}")
                .values(name=f"{value}#{n}", description=value, queue=value, tags=[value])
            )
            schedule = session.query(Schedule).filter_by(name=f"{value}#{n}").one()
            fire = Fire(schedule, NOW - timedelta(hours=1))
            session.add(
                ScheduleRun(
                    schedule_id=schedule.id,
                    fire_time=fire.fire_time,
                    job_id=value,
                    state="failed",
                    worker=value,
                    exception=value,
                )
            )
            session.add(
                AuditEntry(
                    at=NOW,
                    actor=value,
                    client=value,
                    role="admin",
                    action="jobs.retry",
                    target=value,
                    filter=value,
                    outcome=f"failed: {value}",
                )
            )
    return url
