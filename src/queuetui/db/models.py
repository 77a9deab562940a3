"""The schedule database's tables: schedules, their runs, the audit trail, schedule imports, alerts and
the scheduler's fence.

Times are stored as UTC (naive in the database, aware in Python: see UTCDateTime). Schema changes go
through migrations (db/migrations); a test checks the migrated schema matches these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    desc,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive in UTC so SQLite and PostgreSQL sort and compare alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Overlap(StrEnum):
    """What a fire time does while the previous run is still queued or running."""

    ALLOW = "allow"
    SKIP = "skip"  # recorded as a skipped run
    QUEUE = "queue"  # enqueued behind the previous run (RQ dependency)


class Misfire(StrEnum):
    """What happens to fire times missed while no scheduler ran."""

    SKIP = "skip"
    RUN_ONCE = "run-once"  # the latest missed fire time, once
    CATCH_UP = "catch-up"  # every missed fire time within the grace period, up to a bound


class RunState(StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"
    SKIPPED = "skipped"
    MISSED = "missed"
    LATE = "late"  # still waiting after the misfire grace; may yet run
    UNKNOWN = "unknown"  # the job vanished (expired, deleted, Redis lost it) before its outcome was read


class Trigger(StrEnum):
    CRON = "cron"
    RUN_NOW = "run-now"
    BACKFILL = "backfill"
    CATCH_UP = "catch-up"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Schedule(Base):
    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_due", "enabled", "next_fire_at"),
        Index("ix_schedules_list", desc("enabled"), "next_fire_at", "name"),  # the list's order
        # An id is part of job ids and fired markers: SQLite must never hand a deleted one out again.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    func: Mapped[str] = mapped_column(String(500))
    """'package.module:function' (or 'package.module.function', as RQ accepts)."""
    args: Mapped[list[Any]] = mapped_column(default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    queue: Mapped[str] = mapped_column(String(200), default="default")
    job_timeout: Mapped[int | None] = mapped_column(Integer)
    result_ttl: Mapped[int | None] = mapped_column(Integer)
    failure_ttl: Mapped[int | None] = mapped_column(Integer)
    retry_max: Mapped[int] = mapped_column(Integer, default=0)
    retry_intervals: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[datetime | None]
    overlap: Mapped[str] = mapped_column(String(16), default=Overlap.ALLOW.value)
    misfire: Mapped[str] = mapped_column(String(16), default=Misfire.RUN_ONCE.value)
    misfire_grace: Mapped[int] = mapped_column(Integer, default=3600)
    """Seconds after a fire time during which a missed run is still made up."""
    tags: Mapped[list[Any]] = mapped_column(default=list)
    tenant: Mapped[str] = mapped_column(String(200), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notify_on_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_on_success: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_on_late: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    keep_runs: Mapped[int | None] = mapped_column(Integer, default=1000)
    keep_days: Mapped[int | None] = mapped_column(Integer, default=90)
    next_fire_at: Mapped[datetime | None]
    """The next cron fire time in UTC; the scheduler selects due schedules by it (indexed)."""
    last_fire_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    runs: Mapped[list[ScheduleRun]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class ScheduleRun(Base):
    __tablename__ = "schedule_runs"
    __table_args__ = (
        UniqueConstraint("job_id"),
        Index("ix_schedule_runs_schedule_fire", "schedule_id", "fire_time"),
        Index("ix_schedule_runs_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_time: Mapped[datetime]
    job_id: Mapped[str] = mapped_column(String(200))
    """Derived from (schedule, fire time, trigger): the same fire time can never make two jobs."""
    trigger: Mapped[str] = mapped_column(String(16), default=Trigger.CRON.value)
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    worker: Mapped[str] = mapped_column(String(200), default="")
    exception: Mapped[str] = mapped_column(Text, default="")
    """'Type: message' of a failed run, one line."""

    schedule: Mapped[Schedule] = relationship(back_populates="runs")


class SchedulerFence(Base):
    """The highest lease token a scheduler wrote with: a tick's writes carry its token and are
    refused, in their own transaction, once a newer leader has written (schedule/scheduler.py)."""

    __tablename__ = "scheduler_fence"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    """'scheduler': one row."""
    token: Mapped[int] = mapped_column(BigInteger, default=0)
    holder: Mapped[str] = mapped_column(String(300), default="")
    """The lease value ('<token>:<instance>') of the last committed write."""
    written_at: Mapped[datetime | None]
    """When that write was made (the leader's last committed tick, reconcile or prune)."""


class AuditEntry(Base):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_action", "action"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    """When the mutation started (or was refused)."""
    ended_at: Mapped[datetime | None]
    """When it ended; None while it runs (or when its process died before the end)."""
    actor: Mapped[str] = mapped_column(String(200))
    """The OS user who acted."""
    client: Mapped[str] = mapped_column(String(200), default="")
    """Where from: the SSH client address, or 'local'."""
    host: Mapped[str] = mapped_column(String(255), default="")
    """The host queuetui ran on."""
    role: Mapped[str] = mapped_column(String(16), default="")
    """The actor's role then: viewer, operator or admin."""
    context: Mapped[str] = mapped_column(String(64), default="")
    """The context (config [contexts.NAME]) it ran in; '' for a bare Redis URL."""
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text, default="")
    filter: Mapped[str] = mapped_column(Text, default="")
    requested: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    job_ids: Mapped[list[Any]] = mapped_column(default=list)
    """The jobs asked for: all of them up to 1,000, else a sample (requested is the count)."""
    outcome: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ScheduleImport(Base):
    """One import of a schedules file (applied, rejected, dry run or unreadable), with its counts."""

    __tablename__ = "schedule_imports"
    __table_args__ = (Index("ix_schedule_imports_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200), default="")
    file: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16))
    """'atomic' (nothing applied if a row fails) or 'partial' (the valid rows applied)."""
    dry_run: Mapped[bool] = mapped_column(Boolean)
    delete_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    """Rows with at least one error."""
    outcome: Mapped[str] = mapped_column(Text)
    """'applied', 'partly applied', 'rejected', 'dry run', 'unreadable', 'refused: read-only' or
    'failed: <one line>'."""

    errors: Mapped[list[ScheduleImportError]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ScheduleImportError.id",
    )


class ScheduleImportError(Base):
    """What was wrong with one field of one row of an import (row None: the file as a whole)."""

    __tablename__ = "schedule_import_errors"
    __table_args__ = (Index("ix_schedule_import_errors_import", "import_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("schedule_imports.id", ondelete="CASCADE"))
    row: Mapped[int | None] = mapped_column(Integer)
    """The CSV line the row starts on, or the 1-based index of the TOML table or JSON object."""
    field: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(Text, default="")
    """The value as the file gave it, shortened to VALUE_LIMIT characters."""
    message: Mapped[str] = mapped_column(Text)

    run: Mapped[ScheduleImport] = relationship(back_populates="errors")


class Alert(Base):
    """One firing of an alert rule on one subject (a queue, job, worker or schedule), until it resolves."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("open_key"), Index("ix_alerts_fired_at", "fired_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text, default="")
    """One line for people: what is wrong, with the value and the threshold."""
    value: Mapped[float | None] = mapped_column(Float)
    fired_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")
    """Why it resolved, one line (the value back under the threshold, the rule removed...)."""
    open_key: Mapped[str | None] = mapped_column(String(800))
    """'rule/subject' while firing, NULL once resolved: unique, so one firing at a time per rule and subject,
    even when two samplers overlap for a moment during a failover."""
    webhook_outcome: Mapped[str | None] = mapped_column(String(500), default=None)
    """How its latest webhook notice went: 'sending', 'ok' or why not (one line); NULL when none was sent."""
    email_outcome: Mapped[str | None] = mapped_column(String(500), default=None)
    """The same for its latest email."""
