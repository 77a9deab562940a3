"""Typed messages that thread workers post back to the main thread.

Their payloads' types are named for the type checker only: importing the messages loads none of the
modules that make the payloads (the schedule store, SQLAlchemy's models, the bulk runner), so the
console starts without them and loads each with the view that first needs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from queuetui.db.models import Alert, AuditEntry, ScheduleImport
    from queuetui.metrics.series import QueuePoint
    from queuetui.metrics.trends import Trend
    from queuetui.present.metrics import Plot
    from queuetui.rqdata.batches import BatchPage, Members
    from queuetui.rqdata.bulk import Outcome, Plan, Progress
    from queuetui.rqdata.deps import Tree as DependencyTree
    from queuetui.rqdata.detail import JobDetail
    from queuetui.rqdata.logs import LogEntry
    from queuetui.rqdata.overview import Overview
    from queuetui.rqdata.pages import Location, Page
    from queuetui.rqdata.search import FilterResult, GroupsResult
    from queuetui.rqdata.tenants import TenantCounts
    from queuetui.rqdata.workers import Workers
    from queuetui.schedule.draft import Draft, Evaluation
    from queuetui.schedule.forecast import Forecast
    from queuetui.schedule.listing import ScheduleDetail, ScheduleList
    from queuetui.schedule.operator import ScheduleChange
    from queuetui.schedule.transfer import ImportResult
    from queuetui.services import ContextSummary


@dataclass
class OverviewFetched(Message):
    """A fresh overview snapshot arrived, with each queue's latest throughput points."""

    overview: Overview
    throughput: dict[str, list[QueuePoint]] = field(default_factory=dict)


@dataclass
class FetchFailed(Message):
    """A fetch failed for an expected reason (Redis unreachable, refused, timed out)."""

    error: str


@dataclass
class PageFetched(Message):
    """A window of a jobs view arrived."""

    page: Page


@dataclass
class ScanProgress(Message):
    """A chunked walk (filter or failure groups) moved on; a newer one replaces an older one."""

    scanned: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ScanProgress)


@dataclass
class FilterDone(Message):
    """A filter run ended; None when Redis failed during it."""

    result: FilterResult | None


@dataclass
class GroupsDone(Message):
    result: GroupsResult


@dataclass
class TenantsCounted(Message):
    """A count of a queue's jobs by tenant ended: complete, stopped by the operator, or cut short."""

    result: TenantCounts


@dataclass
class DetailFetched(Message):
    detail: JobDetail
    disassembly: str
    tree: DependencyTree | None = None
    """What the job waits on and what waits on it; None when it has neither."""


@dataclass
class JobFound(Message):
    """Where `:job ID` found the job (empty: nowhere; the detail still opens if its hash exists)."""

    job_id: str
    locations: list[Location]


@dataclass
class SchedulesFetched(Message):
    """A page of the schedules list, who paused every schedule ('' when none did), and who leads the
    schedulers with how far behind they are."""

    listing: ScheduleList
    paused_by: str
    leader: str


@dataclass
class ScheduleDetailFetched(Message):
    """One schedule and its runs; None when it no longer exists."""

    detail: ScheduleDetail | None


@dataclass
class ForecastFetched(Message):
    forecast: Forecast


@dataclass
class ActionDone(Message):
    """An operator's action ended: what happened, in one line."""

    text: str
    error: bool = False


@dataclass
class ImportDone(Message):
    """A schedules file was read and planned (a dry run), or applied."""

    result: ImportResult


@dataclass
class ImportsFetched(Message):
    """The imports made so far, or one of them with its row errors."""

    runs: list[ScheduleImport]
    detail: ScheduleImport | None


@dataclass
class FormLoaded(Message):
    """The schedule the form edits (None: a new one), and whether a preset writes its cron."""

    original: dict[str, Any] | None
    preset: bool
    error: str = ""


@dataclass
class FormContext(Message):
    """What the form completes and warns with: the other schedules' forecast, functions, queues, zones."""

    busy: Forecast | None
    functions: list[str]
    queues: list[str]
    zones: tuple[str, ...]


@dataclass
class DraftChecked(Message):
    """The form's draft evaluated; `generation` says which keystroke it answers."""

    generation: int
    evaluation: Evaluation | None
    error: str = ""
    draft: Draft | None = None
    """What was evaluated: an answer to other values than the form's now is not shown."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DraftChecked)


@dataclass
class PlanReady(Message):
    """A bulk action's dry run ended: the plan, or why there is none (error)."""

    plan: Plan | None
    error: str = ""
    typed: bool = False
    """More jobs than confirm_above: the operator types the count."""


@dataclass
class BulkProgress(Message):
    """A bulk run moved on by a chunk; a newer one replaces an older one."""

    progress: Progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BulkProgress)


@dataclass
class BulkDone(Message):
    """A bulk run ended: its outcome, or why it could not run (refused, Redis down)."""

    plan: Plan
    outcome: Outcome | None
    error: str = ""


@dataclass
class SuspensionRead(Message):
    """Whether RQ's global worker suspension is on, read before asking to change it."""

    suspended: bool


@dataclass
class AuditFetched(Message):
    """The newest audit entries (filtered)."""

    entries: list[AuditEntry]


@dataclass
class BatchesFetched(Message):
    """A page of batches (RQ groups), each counted by state, and how long counting took."""

    page: BatchPage
    seconds: float = 0.0


@dataclass
class BatchMembersFetched(Message):
    """A batch's jobs (ids in creation order) and the first window of their rows."""

    members: Members
    page: Page


@dataclass
class WorkersFetched(Message):
    """A fresh read of every worker arrived, with the table rows built from it (in the thread)."""

    workers: Workers
    rows: list[tuple[str, list[Any]]]


@dataclass
class MetricsFetched(Message):
    """A queue's series over the Metrics view's window, and its plots for `width` columns (worked out in
    the thread: a day of points takes tens of milliseconds); `generation` says which choice it answers."""

    trend: Trend
    generation: int = 0
    width: int = 0
    plots: list[Plot] = field(default_factory=list)


@dataclass
class AlertsFetched(Message):
    """The alerts still firing, then the resolved ones; `current`: each firing alert's value now."""

    alerts: list[Alert]
    current: dict[int, float | None] = field(default_factory=dict)


@dataclass
class FiringCounted(Message):
    """How many alerts are firing now (None: the database could not say)."""

    count: int | None


@dataclass
class LogRead(Message):
    """Entries of a job's log arrived: the stored log first, then each batch the worker flushes."""

    entries: list[LogEntry]
    dropped: int | None
    """The newest dropped count read with them, if any."""
    status: str
    """The job's status as last read; empty when its hash is gone."""
    first: bool = False
    """The stored log (read when the screen opened), not a batch that followed it."""
    exists: bool = True
    following: bool = True
    """Still following: False once the job ended (or the screen asked to stop)."""


@dataclass
class ContextSummarized(Message):
    """One context's summary was read (reachable or not)."""

    summary: ContextSummary


@dataclass
class ContextsRead(Message):
    """Every context was read once: the next round may be armed."""


@dataclass
class ChangePlanned(Message):
    """A schedule change's dry run ended: the change, or why there is none (error)."""

    change: ScheduleChange | None
    error: str = ""
    typed: bool = False
    """It does more than confirm_above: the operator types the count."""
