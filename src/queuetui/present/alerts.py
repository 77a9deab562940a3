"""Alerts as a table and as JSON (`queuetui alerts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queuetui import fmt
from queuetui.db.models import Alert
from queuetui.metrics.alerts import notified
from queuetui.present.table import Column, plain_table

COLUMNS = [
    Column("FIRED", 11),
    Column("RESOLVED", 11),
    Column("RULE", 12, flex=1, max_width=30),
    Column("MESSAGE", 30, flex=4),
    Column("NOTIFIED", 10, flex=2, max_width=45),
]


def alerts_table(alerts: Sequence[Alert]) -> str:
    """When each fired and resolved, its rule, its message and how its notices went."""
    cells = [
        [
            fmt.short_time(a.fired_at),
            fmt.short_time(a.resolved_at) if a.resolved_at else "firing",
            a.rule,
            a.message,
            notified(a),
        ]
        for a in alerts
    ]
    return plain_table(COLUMNS, cells)


def alert_json(alert: Alert) -> dict[str, Any]:
    """Every field of one alert."""
    return {
        "id": alert.id,
        "rule": alert.rule,
        "kind": alert.kind,
        "subject": alert.subject,
        "message": alert.message,
        "value": alert.value,
        "state": "resolved" if alert.resolved_at else "firing",
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "resolution": alert.resolution,
        "webhook": alert.webhook_outcome,
        "email": alert.email_outcome,
    }
