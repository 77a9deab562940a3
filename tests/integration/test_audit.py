"""The audit trail on a real SQLite file and PostgreSQL database: every mutation recorded, read-only
refusing in one place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queuetui.audit import Actor, Audit, ReadOnlyError, current_actor, recent
from queuetui.clock import FrozenClock
from queuetui.schedule.db import open_database


def test_mutations_are_recorded_with_who_what_how_many_and_the_outcome(db_url: str) -> None:
    sessions = open_database(db_url)
    clock = FrozenClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    audit = Audit(sessions, actor=Actor("ops", "203.0.113.9"), clock=clock)
    with audit.mutation("jobs.retry", target="failed:emails", filter="exc:Timeout") as entry:
        entry.count = 42
        entry.detail["sample"] = ["job-1"]
    clock.advance(60)
    long = "boom: " + "the reason of a failure can be long; " * 10
    with pytest.raises(ValueError, match="boom"), audit.mutation("schedule.edit", target="nightly"):
        raise ValueError(f"{long}\nsecond line")
    clock.advance(60)
    read_only = Audit(sessions, read_only=True, actor=Actor("intern", "local"), clock=clock)
    refused = pytest.raises(ReadOnlyError, match="refused: queuetui is read-only")
    with refused, read_only.mutation("schedule.rm", target="nightly"):
        pytest.fail("a read-only mutation must not run")
    rows = [(e.actor, e.client, e.action, e.target, e.filter, e.count, e.outcome) for e in recent(sessions)]
    assert rows == [
        ("intern", "local", "schedule.rm", "nightly", "", 0, "refused: read-only"),
        ("ops", "203.0.113.9", "schedule.edit", "nightly", "", 0, f"failed: {long}"),
        ("ops", "203.0.113.9", "jobs.retry", "failed:emails", "exc:Timeout", 42, "ok"),
    ]
    assert recent(sessions)[-1].detail == {"sample": ["job-1"]}
    assert recent(sessions)[-1].at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_the_actor_is_the_os_user_and_the_ssh_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 52144 10.0.0.5 22")
    monkeypatch.setenv("USER", "nightshift")
    monkeypatch.setenv("LOGNAME", "nightshift")
    assert current_actor() == Actor("nightshift", "198.51.100.7")
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("SSH_CLIENT", raising=False)
    assert current_actor().client == "local"
