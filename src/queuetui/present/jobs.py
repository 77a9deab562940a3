"""What a job looks like to people, shared by the console and the CLI: columns and detail sections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queuetui import fmt
from queuetui.present.table import Column, plain_table
from queuetui.present.text import LINE_LIMIT, safe, safe_block
from queuetui.rqdata.batches import row_state
from queuetui.rqdata.detail import JobDetail, StoredResult
from queuetui.rqdata.fields import parse_rq_time
from queuetui.rqdata.payload import pretty, size
from queuetui.rqdata.retrynote import META_KEY, RetryNote, note_from_meta
from queuetui.rqdata.rows import JobRow
from queuetui.rqdata.search import GroupsResult

# Columns of each view, first to last. The first is always the job id (tables key rows by it).
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "waiting": ("id", "func", "args", "enqueued", "age"),
    "started": ("id", "func", "args", "worker", "started", "running"),
    "failed": ("id", "func", "exception", "ended", "duration", "retry"),  # no age: ended says when
    "scheduled": ("id", "func", "args", "scheduled_for", "due_in", "retry"),
    "deferred": ("id", "func", "never", "args", "created", "age"),
    "finished": ("id", "func", "args", "ended", "duration", "worker"),
    "canceled": ("id", "func", "args", "ended", "age"),
    "ready": ("id", "func", "args", "enqueued", "age"),
    "batch": ("id", "state", "queue", "func", "exception", "ended"),
}
"""'batch' is a batch's jobs, each in its own queue and registry (rqdata.batches.read_batch_rows)."""


# On a narrow terminal the columns that give way go first (the highest give_way first); the id, the
# function and what explains a row (exception, never-runs reason, state, queue) stay, and the
# exception keeps a width that says something.
COLUMNS: dict[str, Column] = {
    "id": Column("Job", 9, flex=2, max_width=36),
    "func": Column("Function", 12, flex=3, keep_end=True),  # 'app.mail.send_email' cut to '…send_email'
    "args": Column("Args", 8, flex=4, give_way=1),
    "exception": Column("Exception", 13, flex=4, useful=24),
    "worker": Column("Worker", 10, flex=1, max_width=24, give_way=2),
    "enqueued": Column("Enqueued", 11, give_way=3),
    "started": Column("Started", 11, give_way=3),
    "ended": Column("Ended", 11, give_way=1),
    "created": Column("Created", 11, give_way=3),
    "scheduled_for": Column("Due at", 11, give_way=2),
    "age": Column("Age", 6, right=True),
    "due_in": Column("Due in", 6, right=True),
    "duration": Column("Ran", 6, right=True, give_way=3),
    "running": Column("Running", 7, right=True),
    "never": Column(
        "Never runs", 14, flex=3, keep_end=True, useful=20
    ),  # the end says why: "…form-0001 failed"
    "state": Column("State", 9),
    "queue": Column("Queue", 8, flex=1, max_width=16),
    "retry": Column("Retry", 11, give_way=2),
}


def _retry(row: JobRow, now: datetime) -> str:
    """What the worker decided ('3/5 in 40s', 'no: bug'), else what is left of the job's own Retry."""
    note = note_from_meta(row.meta)
    if note is not None:
        return retry_cell(note, now)
    return "-" if row.retries_left is None else f"own: {row.retries_left} left"


def _due(note: RetryNote, now: datetime) -> str:
    """'in 40s' while the retry waits; 'due' once its time has come (it may be running again)."""
    due = note.next_time
    if due is None or (due - now).total_seconds() < 1:
        return "due"
    return f"in {fmt.age((due - now).total_seconds())}"


def retry_cell(note: RetryNote, now: datetime) -> str:
    """'3/5 in 40s' while retrying (attempt 3 of 5 failed), 'no: bug' (the policy) or 'no: 5/5' when not."""
    if note.retrying:
        return f"{note.attempt}/{note.max_attempts} {_due(note, now)}"
    if note.max_attempts > 1 and note.attempt >= note.max_attempts:
        return f"no: {note.attempt}/{note.max_attempts}"
    return f"no: {note.policy}"


def _exception(row: JobRow) -> str:
    if row.exception is None:
        return row.problem or "-"
    return row.exception.summary()


_CELLS: dict[str, Callable[[JobRow, datetime], str]] = {
    "id": lambda r, now: r.id,
    "func": lambda r, now: r.func or ("(unreadable)" if r.problem else "-"),
    "args": lambda r, now: r.args if r.readable else f"⚠ {r.problem}",
    "exception": lambda r, now: _exception(r),
    "worker": lambda r, now: r.worker or "-",
    "enqueued": lambda r, now: fmt.short_time(r.enqueued_at),
    "started": lambda r, now: fmt.short_time(r.started_at),
    "ended": lambda r, now: fmt.short_time(r.ended_at),
    "created": lambda r, now: fmt.short_time(r.created_at),
    "scheduled_for": lambda r, now: fmt.short_time(r.moment),
    "age": lambda r, now: fmt.age(r.age(now)),
    "due_in": lambda r, now: fmt.age(max(0.0, -(r.age(now) or 0.0))) if r.moment else "-",
    "duration": lambda r, now: fmt.duration(r.duration(now)),
    "running": lambda r, now: fmt.duration(r.duration(now)),
    "never": lambda r, now: r.never or "-",
    "state": lambda r, now: row_state(r),
    "queue": lambda r, now: r.origin or r.queue or "-",
    "retry": _retry,
}


_SORT_VALUES: dict[str, Callable[[JobRow, datetime], object]] = {
    "enqueued": lambda r, now: r.enqueued_at,
    "started": lambda r, now: r.started_at,
    "ended": lambda r, now: r.ended_at,
    "created": lambda r, now: r.created_at,
    "scheduled_for": lambda r, now: r.moment,
    "age": lambda r, now: r.age(now),
    "due_in": lambda r, now: None if r.moment is None else -(r.age(now) or 0.0),
    "duration": lambda r, now: r.duration(now),
    "running": lambda r, now: r.duration(now),
}


def sort_value(row: JobRow, column: str, now: datetime) -> object:
    """What a column sorts by: times and durations by their value (None: unknown), the rest by its text."""
    if column in _SORT_VALUES:
        return _SORT_VALUES[column](row, now)
    return _CELLS[column](row, now)


def cell(row: JobRow, column: str, now: datetime) -> str:
    """The text of one cell, as stored: `table.fit` makes it one safe line of a column's width."""
    return _CELLS[column](row, now)


def row_json(row: JobRow, now: datetime) -> dict[str, Any]:
    """A row for `--json`: every field, times in UTC ISO 8601."""
    return {
        "id": row.id,
        "queue": row.queue,
        "registry": row.registry,
        "status": row.status,
        "origin": row.origin,
        "func": row.func,
        "args": row.args,
        "created_at": _iso(row.created_at),
        "enqueued_at": _iso(row.enqueued_at),
        "started_at": _iso(row.started_at),
        "ended_at": _iso(row.ended_at),
        "score": row.score,
        "age_seconds": row.age(now),
        "duration_seconds": row.duration(now),
        "worker": row.worker,
        "retries_left": row.retries_left,
        "retry": _note_json(note_from_meta(row.meta)),
        "group_id": row.group_id,
        "exception": None
        if row.exception is None
        else {"type": row.exception.type, "message": row.exception.message},
        "payload_bytes": row.payload_size,
        "readable": row.readable,
        "problem": row.problem,
        "never": row.never or None,
    }


@dataclass
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    kind: str = ""
    """'traceback' or 'value' for bodies a viewer may highlight; empty for plain text."""


def _since(label: str, start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:  # a retried job's ended_at is its last attempt's
        return ""
    return f"  (+{fmt.duration((end - start).total_seconds())} {label})"


def _result_line(result: StoredResult) -> str:
    ran = ""
    if result.started_at and result.ended_at:
        ran = f", ran {fmt.duration((result.ended_at - result.started_at).total_seconds())}"
    line = f"{safe(result.type)} at {fmt.local_time(result.created_at)} on {safe(result.worker or '?')}{ran}"
    if result.exception is not None:
        line += f"\n    {safe(result.exception.summary())}"
    elif result.return_problem:
        line += f"\n    return value unreadable: {safe(result.return_problem)}"
    elif result.has_return_value:
        line += f"\n    returned {safe(pretty(result.return_value, max_text=120, max_items=10))}"
    return line


def detail_sections(detail: JobDetail, now: datetime) -> list[Section]:
    """The detail of one job as titled sections, in the order an operator reads them."""
    d = detail
    where = ", ".join(f"{loc.registry} in {loc.queue} (row {loc.position + 1})" for loc in d.locations)
    note = note_from_meta(d.meta)
    retry = [("retry", _retry_line(note, now))] if note is not None else []
    sections = [
        Section(
            "Job",
            [
                ("id", d.id),
                ("status", d.status or "-"),
                ("queue", d.origin or "-"),
                ("found in", where or "no queue or registry"),
                ("function", d.call.func_name or "-"),
                *retry,
                ("group", d.group_id or "-"),
                ("timeout", f"{d.timeout}s" if d.timeout else "-"),
                ("result ttl", f"{d.result_ttl}s" if d.result_ttl else "-"),
                ("failure ttl", f"{d.failure_ttl}s" if d.failure_ttl else "-"),
                ("hash expires", "never" if d.expires_in is None else f"in {fmt.age(d.expires_in)}"),
                ("payload", f"{size(d.payload_size)}B"),
            ],
        )
    ]
    if d.problems:
        sections.append(Section("Unreadable", [("problem", p) for p in d.problems]))
    if d.exists and d.call.readable:
        body = [f"args   {pretty(d.call.args)}", f"kwargs {pretty(d.call.kwargs)}"]
        if d.call.instance is not None:
            body.insert(0, f"instance {pretty(d.call.instance)}")
        sections.append(Section("Call", body="\n".join(body), kind="value"))
    shown_meta = {k: v for k, v in d.meta.items() if k != META_KEY} if note and d.meta else d.meta
    if shown_meta:  # the retry decision has a section of its own below
        sections.append(Section("Meta", body=pretty(shown_meta), kind="value"))
    if d.exists:
        sections.append(
            Section(
                "Timeline",
                [
                    ("created", fmt.local_time(d.created_at)),
                    (
                        "enqueued",
                        fmt.local_time(d.enqueued_at) + _since("after creation", d.created_at, d.enqueued_at),
                    ),
                    (
                        "started",
                        fmt.local_time(d.started_at) + _since("waiting", d.enqueued_at, d.started_at),
                    ),
                    ("ended", fmt.local_time(d.ended_at) + _since("running", d.started_at, d.ended_at)),
                    ("last heartbeat", fmt.local_time(d.last_heartbeat)),
                    ("worker", d.worker or "-"),
                ],
            )
        )
        retries = [("retries left", "-" if d.retries_left is None else str(d.retries_left))]
        if d.retry_intervals:
            retries.append(("intervals", ", ".join(f"{i}s" for i in d.retry_intervals)))
        if d.number_of_retries is not None:
            retries.append(("retried", f"{d.number_of_retries} times"))
        if note is not None:
            retries.extend(_note_fields(note, now))
        sections.append(Section("Retries", retries))
    if d.dependencies or d.dependents:
        sections.append(
            Section(
                "Dependencies",
                [("depends on", i) for i in d.dependencies] + [("dependent", i) for i in d.dependents],
            )
        )
    if d.results:
        sections.append(
            Section(
                f"Results ({len(d.results)}, newest first)",
                [(f"#{n}", _result_line(r)) for n, r in enumerate(d.results, 1)],
            )
        )
    exception = d.latest_exception
    if exception is not None and exception.traceback:
        sections.append(Section("Traceback", body=exception.traceback.rstrip(), kind="traceback"))
    if d.problems and d.raw:
        sections.append(Section("Raw fields", list(d.raw.items())))
    return [_literal(s) for s in sections]


def _literal(section: Section) -> Section:
    """The section with every label, value and body made literal text (present.text): a value keeps
    the line breaks our own code put in it (safe_block), a label is one line."""
    return Section(
        safe(section.title),
        [(safe(k), safe_block(v, limit=LINE_LIMIT * 4)) for k, v in section.fields],
        safe_block(section.body),
        section.kind,
    )


def _retry_line(note: RetryNote, now: datetime) -> str:
    """The decision in a line for the top of the detail, where a short screen still shows it."""
    if note.retrying:
        due = note.next_time
        when = _due(note, now) + (f" ({fmt.clock_time(due)})" if due else "")
        return f"attempt {note.attempt} of {note.max_attempts} failed; retry {when}, policy {note.policy!r}"
    # A policy that retries says which one gave up; one that never retries names itself in the reason.
    return f"no: {note.reason} (policy {note.policy!r})" if note.max_attempts > 1 else f"no: {note.reason}"


def _note_fields(note: RetryNote, now: datetime) -> list[tuple[str, str]]:
    """The worker's retry decision, as the detail's Retries section lists it."""
    rule = f"rule {note.matched}" if note.matched else "the default: no rule matched"
    fields = [("policy", f"{note.policy} ({rule})")]
    if note.retrying:
        fields.append(
            ("decision", f"attempt {note.attempt} of {note.max_attempts} failed, retry after {note.delay}s")
        )
        fields.append(("next retry", f"{fmt.local_time(note.next_time)} ({_due(note, now)})"))
    else:
        fields.append(("decision", f"attempt {note.attempt} failed, no retry: {note.reason}"))
    error = note.short_error
    fields.append(("error", f"{error}: {note.message}" if note.message else error))
    for earlier in note.history:
        when = fmt.local_time(parse_rq_time(earlier.at))
        error = earlier.error.rsplit(".", 1)[-1]
        fields.append(
            (f"attempt {earlier.attempt}", f"failed {when}: {error}, retried after {earlier.delay}s")
        )
    fields.append((f"attempt {note.attempt}", f"failed {fmt.local_time(note.failed_at)}"))
    return fields


def _note_json(note: RetryNote | None) -> dict[str, Any] | None:
    return None if note is None else note.to_meta()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def detail_json(detail: JobDetail) -> dict[str, Any]:
    """The detail for `--json`: decoded values as their repr (they may hold <pickled ...> stand-ins)."""
    d = detail
    return {
        "id": d.id,
        "exists": d.exists,
        "readable": not d.problems,
        "problems": d.problems,
        "status": d.status,
        "origin": d.origin,
        "locations": [
            {"queue": x.queue, "registry": x.registry, "position": x.position} for x in d.locations
        ],
        "func": d.call.func_name,
        "args": [repr(a) for a in d.call.args],
        "kwargs": {k: repr(v) for k, v in d.call.kwargs.items()},
        "meta": {str(k): repr(v) for k, v in d.meta.items()} if d.meta else {},
        "created_at": _iso(d.created_at),
        "enqueued_at": _iso(d.enqueued_at),
        "started_at": _iso(d.started_at),
        "ended_at": _iso(d.ended_at),
        "worker": d.worker,
        "group_id": d.group_id,
        "timeout": d.timeout,
        "retries_left": d.retries_left,
        "retry_intervals": d.retry_intervals,
        "retry": _note_json(note_from_meta(d.meta)),
        "dependencies": d.dependencies,
        "dependents": d.dependents,
        "results": [
            {
                "id": r.id,
                "type": r.type,
                "worker": r.worker,
                "created_at": _iso(r.created_at),
                "started_at": _iso(r.started_at),
                "ended_at": _iso(r.ended_at),
                "return_value": repr(r.return_value) if r.has_return_value else None,
                "exception": None
                if r.exception is None
                else {
                    "type": r.exception.type,
                    "message": r.exception.message,
                    "traceback": r.exception.traceback,
                },
            }
            for r in d.results
        ],
        "raw": d.raw if d.problems else {},
    }


def detail_text(detail: JobDetail, now: datetime) -> str:
    """The detail as plain text for the terminal."""
    out: list[str] = []
    for section in detail_sections(detail, now):
        out.append(f"── {section.title}")
        width = max((len(k) for k, _ in section.fields), default=0)
        out.extend(f"  {k.ljust(width)}  {v}" for k, v in section.fields)
        if section.body:
            out.extend(f"  {line}" for line in section.body.splitlines())
    return "\n".join(out)


def rows_table(rows: Sequence[JobRow], registry: str, now: datetime, width: int = 0) -> str:
    """Rows as a plain-text table for the terminal, `width` wide (default: the terminal's)."""
    names = VIEW_COLUMNS[registry]
    return plain_table([COLUMNS[n] for n in names], [[cell(r, n, now) for n in names] for r in rows], width)


def failure_groups_json(queue: str, result: GroupsResult) -> dict[str, Any]:
    """`jobs groups --json`: each group's signature, exception, count, a sample job and when it was seen."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    groups = [
        {
            "signature": g.signature,
            "exception": g.exc_type,
            "count": g.count,
            "sample_job": g.sample_id,
            "first_seen": when(g.first_seen),
            "last_seen": when(g.last_seen),
        }
        for g in result.groups
    ]
    return {"queue": queue, "scanned": result.walk.scanned, "groups": groups}


def failure_groups_lines(result: GroupsResult) -> list[str]:
    """A line a failure group: count, when last seen, signature and a sample job."""
    return [
        f"{g.count:>8,}  {fmt.short_time(g.last_seen)}  {safe(g.signature)}  (e.g. {safe(g.sample_id)})"
        for g in result.groups
    ]
