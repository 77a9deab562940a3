"""Retry policies in `queuetui worker`: a failing job without a Retry of its own gets one by its error.

The [retry] settings map exception classes to policies (config.RetrySettings). `RetryHandler` is an RQ
exception handler: RQ calls it with the exception before its own failure handling, so setting
`retries_left` and `retry_intervals` there makes RQ reschedule the job in the ScheduledJobRegistry
(`Job.retry`, which needs the worker's scheduler on) or fail it as usual. Jobs enqueued with their
own `Retry` are left to it. Each decision goes in the job's meta under retrynote.META_KEY.
"""

from __future__ import annotations

import importlib
import logging
import random
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import redis
from rq.job import Job

from queuetui.clock import SYSTEM, Clock
from queuetui.config import RetryPolicy, RetrySettings
from queuetui.rqdata.retrynote import HISTORY, META_KEY, Attempt, RetryNote, note_from_meta

log = logging.getLogger("rq.worker")  # RQ sets up this logger's output in the worker process
MESSAGE_LIMIT = 300


def class_name(cls: type) -> str:
    """A class's full dotted name as the [retry.errors] table names it: 'redis.exceptions.TimeoutError'."""
    return f"{cls.__module__}.{cls.__qualname__}"


def policy_for(settings: RetrySettings, exc_type: type) -> tuple[RetryPolicy, str]:
    """The policy of the first class in the exception's MRO that a rule names, with that name.

    The most specific class wins: a rule for a subclass overrides one for its base. The default
    policy applies, with an empty name, when no class of the MRO is named.
    """
    for cls in exc_type.__mro__:
        name = class_name(cls)
        if name in settings.errors:
            return settings.policies[settings.errors[name]], name
    return settings.policies[settings.default], ""


def canonical(settings: RetrySettings) -> RetrySettings:
    """The rules with names that are aliases ('requests.ConnectionError') turned into the class's own.

    Rules match the names Python gives the classes (`class_name`); a package often re-exports a
    class under a shorter path. Each rule's module is imported to find out (a worker imports the
    code of its jobs anyway); a name that cannot be imported stays as written, matching only itself.
    """
    errors = dict(settings.errors)
    for name, policy in settings.errors.items():
        module_name, _, attr = name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module_name), attr, None)
        except Exception as exc:  # any import error: the rule stays a plain name
            log.warning(
                "Retry rule %s: cannot import %s (%s); it matches that name only", name, module_name, exc
            )
            continue
        if isinstance(found, type) and class_name(found) != name:
            del errors[name]
            errors[class_name(found)] = policy  # the operator's alias beats a built-in rule for the class
    return replace(settings, errors=errors)


def delay_for(policy: RetryPolicy, attempt: int, rng: random.Random) -> int:
    """Seconds to wait after failed attempt `attempt` (1 is the first run), jittered, capped, at least 1."""
    if policy.backoff == "fixed":
        nominal = policy.base
    elif policy.backoff == "linear":
        nominal = policy.base * attempt
    else:
        nominal = policy.base * 2 ** min(attempt - 1, 64)
    nominal = min(nominal, policy.max)
    jittered = nominal * (1 + rng.uniform(-policy.jitter, policy.jitter))
    return max(1, round(min(jittered, policy.max)))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decide(
    settings: RetrySettings,
    exc_type: type,
    exc_value: BaseException | None,
    previous: RetryNote | None,
    now: datetime,
    rng: random.Random,
) -> RetryNote:
    """What to do with a job whose attempt just failed with `exc_type`, given its last decision.

    Attempts count on from a previous decision that retried; after one that did not (the job was
    given up, then requeued by hand) counting starts again at 1.
    """
    policy, matched = policy_for(settings, exc_type)
    carried = previous is not None and previous.retrying
    attempt = previous.attempt + 1 if previous is not None and carried else 1
    history: list[Attempt] = []
    if previous is not None and carried:
        entry = Attempt(previous.attempt, previous.error, previous.at, previous.delay)
        history = [*previous.history, entry][-HISTORY:]
    message = " ".join(str(exc_value).split())[:MESSAGE_LIMIT] if exc_value is not None else ""
    common: dict[str, Any] = {
        "error": class_name(exc_type),
        "message": message,
        "matched": matched,
        "policy": policy.name,
        "attempt": attempt,
        "max_attempts": policy.attempts if policy.retries else 1,
        "at": _iso(now),
        "history": history,
    }
    if not policy.retries:
        return RetryNote(**common, retrying=False, reason=f"policy {policy.name!r} never retries")
    if attempt >= policy.attempts:
        return RetryNote(**common, retrying=False, reason=f"gave up after {attempt} attempts")
    delay = delay_for(policy, attempt, rng)
    due = now.replace(microsecond=0) + timedelta(seconds=delay)
    return RetryNote(**common, retrying=True, delay=delay, next_at=_iso(due))


class RetryHandler:
    """An RQ exception handler applying the [retry] policies (pass it in `exception_handlers`)."""

    def __init__(
        self, settings: RetrySettings, clock: Clock = SYSTEM, rng: random.Random | None = None
    ) -> None:
        self.settings = canonical(settings)
        self.clock = clock
        # SystemRandom by default: forked work horses would otherwise share one sequence of jitters.
        self.rng = rng or random.SystemRandom()

    def __call__(
        self,
        job: Job,
        exc_type: type[BaseException],
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        try:
            self.apply(job, exc_type, exc_value)
        except redis.RedisError as exc:  # RQ's own failure handling after this will meet the same Redis
            log.warning("Job %s: retry policy not recorded: %s", job.id, exc)
        return True  # the next handler, if any, still runs

    def apply(self, job: Job, exc_type: type, exc_value: BaseException | None) -> RetryNote | None:
        """Decide, set the job's retry for RQ to act on, and record the decision in its meta."""
        if job._unreadable_meta is not None:
            # Meta this worker cannot decode: writing would replace it, and without the count of
            # attempts in it a retry could repeat for ever. RQ fails the job as it would anyway.
            log.warning("Job %s: meta unreadable here, so no retry policy applies", job.id)
            return None
        previous = note_from_meta(job.meta)
        if job.retries_left is not None and previous is None:
            return None  # enqueued with a Retry of its own: RQ follows it
        note = decide(self.settings, exc_type, exc_value, previous, self.clock.now(), self.rng)
        if note.retrying:
            job.retries_left = note.max_attempts - note.attempt  # RQ takes one off as it reschedules
            job.retry_intervals = [note.delay]
        elif job.retries_left is not None:
            job.retries_left = 0
        job.meta[META_KEY] = note.to_meta()
        job.save_meta()
        log.info("Job %s: %s", job.id, note.summary())
        return note
