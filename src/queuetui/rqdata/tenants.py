"""Jobs by tenant: per-tenant counts of a queue's registries, from a chunked read-only walk of job meta."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis

from queuetui.config import DEFAULT_TENANT_KEY
from queuetui.rqdata.search import CHUNK, ProgressFn, tenant_counts

DEFAULT_COLUMNS: tuple[tuple[str, str], ...] = (("waiting", "waiting"), ("running", "started"),
                                                 ("failed", "failed"))  # fmt: skip
"""(column, registry) of `queuetui tenants` when no registry is named."""


def _never() -> bool:
    return False


@dataclass
class TenantCounts:
    columns: tuple[str, ...]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """tenant ("" for none) -> column -> jobs."""
    scanned: int = 0
    complete: bool = True

    def rows(self) -> list[dict[str, int | str]]:
        """One dict a tenant, most jobs first, then by name: {"tenant": name, column: count, ...}."""
        ordered = sorted(self.counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        return [{"tenant": name, **{c: by.get(c, 0) for c in self.columns}} for name, by in ordered]


def count_by_tenant(
    connection: redis.Redis,
    queue: str,
    columns: Sequence[tuple[str, str]] = DEFAULT_COLUMNS,
    meta_key: str = DEFAULT_TENANT_KEY,
    *,
    chunk: int = CHUNK,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] = _never,
) -> TenantCounts:
    """Each tenant's jobs in each (column, registry) of `queue`, one chunked walk per registry."""
    result = TenantCounts(tuple(column for column, _ in columns))
    for column, registry in columns:
        counts, walk = tenant_counts(
            connection, queue, registry, meta_key, chunk=chunk, progress=progress, cancelled=cancelled
        )
        result.scanned += walk.scanned
        result.complete = result.complete and walk.complete
        for tenant, n in counts.items():
            by = result.counts.setdefault(tenant, {})
            by[column] = by.get(column, 0) + n
        if not walk.complete:
            break
    return result
