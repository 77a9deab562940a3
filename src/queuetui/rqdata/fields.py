"""Reading the values RQ stores in Redis: bytes to text, numbers and times, tolerating bad data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def text(value: Any) -> str:
    """A reply as text ('' for None); bytes that are not UTF-8 are replaced, never an error."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def number(value: Any) -> float:
    """A counter or duration field; 0.0 when absent or not a number."""
    try:
        return float(text(value))
    except ValueError:
        return 0.0


def optional_int(value: Any) -> int | None:
    """An integer field such as retries_left; None when absent or not an integer."""
    digits = text(value)
    return int(digits) if digits.lstrip("-").isdigit() else None


def parse_rq_time(value: Any) -> datetime | None:
    """Parse a timestamp as RQ writes it ('2026-11-23T10:00:00.123456Z'); None if absent or bad."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(
            value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        )
    except ValueError:
        return None
    zone = parsed.tzinfo
    if zone is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if zone is UTC else parsed.astimezone(UTC)


def dependency_ids(hash_field: object, legacy: object, members: Iterable[object]) -> list[str]:
    """A job's dependencies: the union of its hash's dependency_ids (in their order; the legacy
    dependency_id when it has none) and the members of its dependencies set (sorted)."""
    found: list[str] = []
    raw = text(hash_field)
    if raw:
        try:
            decoded = json.loads(raw)
            if isinstance(decoded, list):
                found = [str(d) for d in decoded]
        except ValueError:
            pass
    if not found and text(legacy):
        found = [text(legacy)]
    return list(dict.fromkeys([*found, *sorted(text(m) for m in members)]))
