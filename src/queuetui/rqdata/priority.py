"""Queue priority: critical, high, default, low first, in that order; other queues after, by name."""

from __future__ import annotations

from collections.abc import Iterable

PRIORITY_QUEUES: tuple[str, ...] = ("critical", "high", "default", "low")


def priority_order(names: Iterable[str]) -> list[str]:
    """The names sorted as workers listen: the priority queues first, then the rest by name."""
    rank = {name: i for i, name in enumerate(PRIORITY_QUEUES)}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))
