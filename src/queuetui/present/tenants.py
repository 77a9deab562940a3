"""Jobs by tenant as text and JSON (`queuetui tenants`)."""

from __future__ import annotations

from typing import Any

from queuetui.present.table import Column, plain_table
from queuetui.rqdata.tenants import TenantCounts

NO_TENANT = "(none)"
"""How the jobs without a tenant are shown in text (their JSON tenant is "")."""


def tenants_json(result: TenantCounts) -> list[dict[str, Any]]:
    """[{"tenant": name ("" for none), column: count, ...}], most jobs first."""
    return list(result.rows())


def tenants_table(result: TenantCounts, width: int = 0) -> str:
    """The counts as a plain-text table, jobs without a tenant as (none)."""
    columns = [Column("TENANT", 12, flex=1), *(Column(c.upper(), 9, right=True) for c in result.columns)]
    rows = [
        [str(row["tenant"]) or NO_TENANT, *(f"{row[c]:,}" for c in result.columns)] for row in result.rows()
    ]
    return plain_table(columns, rows, width)
