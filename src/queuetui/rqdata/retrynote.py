"""The retry decision `queuetui worker` records in a failed job's meta, and how it reads back.

The worker writes it (executor/retry.py); the console and the CLI read it from meta decoded as data.
Every value is a plain str, int, bool or list of dicts, so it survives pickle and JSON serializers
alike, and a record written by hand or by another version reads as far as it makes sense.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from queuetui.rqdata.fields import optional_int, parse_rq_time

META_KEY = "queuetui.retry"
HISTORY = 20
"""Earlier attempts kept in the record (the newest ones)."""


@dataclass(frozen=True)
class Attempt:
    """One earlier failed attempt that was retried."""

    attempt: int
    error: str
    at: str
    delay: int


@dataclass(frozen=True)
class RetryNote:
    """The decision taken when attempt `attempt` of a job failed."""

    error: str
    """The exception's class, dotted ('redis.exceptions.ConnectionError')."""
    message: str
    matched: str
    """The class in the exception's MRO that a rule names; empty when the default policy applied."""
    policy: str
    attempt: int
    max_attempts: int
    retrying: bool
    at: str
    """When the attempt failed, ISO 8601 UTC."""
    delay: int = 0
    """Seconds until the retry (whole seconds: RQ's scheduled registry counts in seconds)."""
    next_at: str = ""
    reason: str = ""
    """Why not retried; empty when retrying."""
    history: list[Attempt] = field(default_factory=list)

    @property
    def next_time(self) -> datetime | None:
        return parse_rq_time(self.next_at)

    @property
    def failed_at(self) -> datetime | None:
        return parse_rq_time(self.at)

    @property
    def short_error(self) -> str:
        return self.error.rsplit(".", 1)[-1]

    def to_meta(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for people: what failed, which policy, what happens next."""
        matched = f" as {self.matched}" if self.matched and self.matched != self.error else ""
        head = f"{self.short_error}{matched} → policy {self.policy!r}"
        if self.retrying:
            return f"{head}: attempt {self.attempt} of {self.max_attempts} failed, retry in {self.delay}s"
        return f"{head}: attempt {self.attempt} failed, no retry: {self.reason}"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def note_from_meta(meta: dict[str, Any] | None) -> RetryNote | None:
    """The record in decoded meta; None when there is none or it is not a table."""
    raw = (meta or {}).get(META_KEY)
    if not isinstance(raw, dict):
        return None
    history = []
    for item in raw.get("history") or []:
        if isinstance(item, dict):
            history.append(
                Attempt(
                    optional_int(item.get("attempt")) or 0,
                    _str(item.get("error")),
                    _str(item.get("at")),
                    optional_int(item.get("delay")) or 0,
                )
            )
    return RetryNote(
        error=_str(raw.get("error")) or "?",
        message=_str(raw.get("message")),
        matched=_str(raw.get("matched")),
        policy=_str(raw.get("policy")) or "?",
        attempt=optional_int(raw.get("attempt")) or 0,
        max_attempts=optional_int(raw.get("max_attempts")) or 0,
        retrying=raw.get("retrying") is True,
        at=_str(raw.get("at")),
        delay=optional_int(raw.get("delay")) or 0,
        next_at=_str(raw.get("next_at")),
        reason=_str(raw.get("reason")),
        history=history,
    )
