"""`queuetui scheduler status` as lines for people (schedule/status.py reads it)."""

from __future__ import annotations

from typing import Any

from queuetui.present.text import safe


def status_text(state: dict[str, Any]) -> str:
    """The status as lines for people."""
    leader = state["leader"]
    lines = []
    if leader["instance"]:
        lines.append(
            f"leader      {safe(leader['instance'])} (token {leader['token']}), "
            f"since {leader['since'] or '?'}"
        )
        lines.append(
            f"last tick   {leader['last_tick'] or '?'} (committed {leader['last_commit'] or 'never'})"
        )
    else:
        lines.append("leader      none: no scheduler holds the lease")
    database = state["database"]
    if database is not None and "error" in database:
        lines.append(f"database    {safe(database['error'])}")
    elif database is not None:
        lag = database["lag"]
        late = (
            f"{lag:.1f} s (oldest due fire time {database['oldest_due']})" if lag else "0 s (nothing overdue)"
        )
        lines.append(f"lag         {late}")
        lines.append(
            f"last write  token {database['fence_token']} by {safe(database['last_write_by'] or '-')} "
            f"at {database['last_write_at'] or '-'}"
        )
    lines.append("instances" if state["instances"] else "instances   none has a heartbeat")
    for item in state["instances"]:
        where = f"{safe(item['host'])}:{item['pid']}" if item["host"] else "-"
        database_state = f", database {safe(item['database'])}" if item["database"] else ""
        lines.append(
            f"  {safe(item['instance'])}  {item['role']}  heartbeat {item['heartbeat_age']:.1f} s ago "
            f"({where}{database_state})"
        )
    return "\n".join(lines)


def leader_summary(state: dict[str, Any]) -> str:
    """A few words for the Schedules view's title: who leads the schedulers and how late they run."""
    leader = state["leader"]["instance"]
    if not leader:
        return "no scheduler leads"
    database = state.get("database") or {}
    lag = database.get("lag")
    late = f", {lag:.0f} s behind" if lag else ""
    return f"scheduler {safe(leader)}{late}"
