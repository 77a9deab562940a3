"""Operator actions, gated and audited: the one path the CLI and the console take to change RQ.

    ops = Operations(redis, Audit.for_settings(sessions, settings), confirm_above=settings.confirm_above)
    dry = ops.plan("jobs.retry", Selection("emails", "failed", "exc:Timeout"))  # reads only
    if ops.needs_typed_count(dry): ...                                          # ask for the count
    outcome = ops.run(dry, progress=show, cancel=event)                         # refused, or audited

A dry run only reads, so it is allowed in read-only mode and to viewers (it says what would be done);
every run goes through audit.Audit.mutation, which refuses it there (read-only, role) and records it
everywhere else, with what was done so far when it fails or is cancelled halfway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from queuetui.audit import IDS_KEPT, PROBLEMS_KEPT, SAMPLE, Audit, Pending, Refused
from queuetui.rqdata import actions, bulk
from queuetui.rqdata.actions import JOB_ACTIONS, ActionError, Options
from queuetui.rqdata.bulk import Outcome, Plan, Progress, ProgressFn, Selection
from queuetui.schedule.operator import ScheduleChange


def _never() -> bool:
    return False


class Operations:
    def __init__(self, connection: redis.Redis, audit: Audit, *, confirm_above: int = 100) -> None:
        self.connection = connection
        self.audit = audit
        self.confirm_above = confirm_above
        self.last_progress: Progress | None = None
        """How far the last run got: what failed_midway reports."""

    def refusal(self, action: str) -> str | None:
        """Why `action` would be refused (read-only, role), or None: a UI hides what is refused."""
        return self.audit.refusal(action)

    def plan(
        self,
        action: str,
        selection: Selection,
        options: Options | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] = _never,
    ) -> Plan:
        """The dry run of a job action: which jobs, from which queues and registries (reads only)."""
        if action not in JOB_ACTIONS:
            raise ActionError(f"no job action {action!r} (one of: {', '.join(JOB_ACTIONS)})")
        return bulk.plan(
            self.connection, JOB_ACTIONS[action], selection, options, progress=progress, cancelled=cancelled
        )

    def needs_typed_count(self, plan: Plan | ScheduleChange) -> bool:
        """More than confirm_above (jobs, runs, schedules): the operator confirms by typing the count,
        not just 'y'; the one rule for job actions and schedule changes alike."""
        return plan.total > self.confirm_above

    def run(
        self,
        plan: Plan,
        *,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
        throttle: float | None = None,
    ) -> Outcome:
        """Do what the dry run said, audited; refused (audit.Refused) in read-only mode or by role."""
        asked = [*plan.ids, *(p.job_id for p in plan.problems)]
        with self.audit.mutation(
            plan.action.name, plan.target, plan.selection.filter, job_ids=asked, requested=plan.requested
        ) as entry:
            entry.detail.update(_options(plan, throttle))
            done_ids: list[str] = []

            def chunk_done(ids: list[str]) -> None:  # kept as each chunk completes: a kill loses none
                done_ids.extend(ids[: max(0, IDS_KEPT - len(done_ids))])
                entry.detail["done_ids"] = done_ids

            def report(p: Progress) -> None:  # an error halfway is recorded with what was done by then
                entry.done, entry.failed = p.done, p.failed
                entry.checkpoint()
                self.last_progress = p
                if progress is not None:
                    progress(p)

            self.last_progress = Progress(0, 0, plan.requested, 0.0)
            outcome = bulk.run(
                self.connection, plan, progress=report, cancel=cancel, throttle=throttle, on_chunk=chunk_done
            )
            entry.done, entry.failed = outcome.done, outcome.failed
            entry.detail["problems"] = [[p.job_id, p.reason] for p in outcome.problems[:PROBLEMS_KEPT]]
            if outcome.dependents:
                entry.detail["dependents"] = len(outcome.dependents)
                entry.detail["dependents_sample"] = outcome.dependents[:SAMPLE]
            if outcome.cancelled:
                entry.outcome = "cancelled"
            if outcome.stopped:
                entry.outcome = f"stopped: {outcome.stopped}"
        return outcome

    def refuse(self, plan: Plan) -> str:
        """Record that `plan` was asked for where read-only mode or the role refuses it, and say why in one
        line; ValueError when it is allowed (a refused key never runs an action unasked)."""
        if self.refusal(plan.action.name) is None:
            raise ValueError(f"{plan.action.name} is allowed here: there is nothing to refuse")
        asked = [*plan.ids, *(p.job_id for p in plan.problems)]
        try:
            with self.audit.mutation(
                plan.action.name, plan.target, plan.selection.filter, job_ids=asked, requested=plan.requested
            ):
                pass  # never reached: mutation records the refusal and raises before its body
        except Refused as exc:
            return str(exc)
        raise AssertionError(f"{plan.action.name} was not refused")

    def failed_midway(self, plan: Plan, error: str) -> str:
        """The operator's line after a run failed: the error and exactly how far it got (the audit has it)."""
        p = self.last_progress
        if p is None or not p.handled:
            return f"{error}; nothing was {plan.action.past} (none of {plan.requested:,})"
        return (
            f"{error}; {p.done:,} of {plan.requested:,} were {plan.action.past} before it stopped"
            + (f", {p.failed:,} could not be" if p.failed else "")
            + "; the rest are as they were (the audit trail lists the done ids)"
        )

    @contextmanager
    def _one(self, action: str, target: str) -> Iterator[Pending]:
        with self.audit.mutation(action, target=target, requested=1) as entry:
            yield entry
            entry.done = 1

    def suspend_workers(self, ttl: int | None = None) -> None:
        """Suspend every worker on this Redis (RQ's suspension is global)."""
        with self._one("workers.suspend", "every worker") as entry:
            if ttl is not None:
                entry.detail["ttl"] = ttl
            actions.suspend_workers(self.connection, ttl)

    def resume_workers(self) -> None:
        """Let every worker take jobs again."""
        with self._one("workers.resume", "every worker"):
            actions.resume_workers(self.connection)

    def stop_worker_job(self, worker: str, expected: str | None = None) -> str:
        """Stop the job `worker` runs (only `expected` when given: refused if it moved on); its id."""
        with self._one("workers.stop-job", worker) as entry:
            if expected:
                entry.set_ids([expected])
            job_id = actions.stop_worker_job(self.connection, worker, expected)
            entry.set_ids([job_id])
        return job_id

    def shutdown_worker(self, worker: str) -> None:
        """Warm shutdown: the worker finishes its job, then exits."""
        with self._one("workers.shutdown", worker):
            actions.shutdown_worker(self.connection, worker)

    def kill_horse(self, worker: str, expected: str | None = None) -> str:
        """Kill the worker's work horse (only while it runs `expected`, when given); returns its job id."""
        with self._one("workers.kill-horse", worker) as entry:
            if expected:
                entry.set_ids([expected])
            job_id = actions.kill_horse(self.connection, worker, expected)
            entry.set_ids([job_id] if job_id else [])
        return job_id


def _options(plan: Plan, throttle: float | None) -> dict[str, object]:
    chosen: dict[str, object] = {}
    if plan.options.to:
        chosen["to"] = plan.options.to
    if plan.options.at_front:
        chosen["at_front"] = True
    if plan.options.dependents:
        chosen["dependents"] = True
    if throttle:
        chosen["throttle"] = throttle
    if plan.truncated:
        chosen["truncated_at"] = plan.total
    return chosen
