"""[retry] in the config file, and the decisions the worker takes from it (no Redis needed)."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from rq.timeouts import JobTimeoutException

from queuetui import fmt
from queuetui.config import BUILTIN_RETRY_ERRORS, ConfigError, RetryPolicy, RetrySettings, load_settings
from queuetui.executor.retry import canonical, class_name, decide, delay_for, policy_for
from queuetui.present.jobs import retry_cell
from queuetui.rqdata.retrynote import note_from_meta

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def settings_from(tmp_path: Path, text: str) -> RetrySettings:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    return load_settings(path=cfg).retry


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError,
        socket.timeout,
        ConnectionResetError,
        ConnectionRefusedError,
        redis.ConnectionError,
        redis.TimeoutError,
        JobTimeoutException,
    ],
)
def test_builtin_defaults_retry_transient_errors(error: type) -> None:
    policy, _ = policy_for(RetrySettings(), error)
    assert (policy.name, policy.backoff, policy.attempts) == ("transient", "exponential", 5)
    assert policy.jitter > 0


@pytest.mark.parametrize("error", [ValueError, KeyError, TypeError, AttributeError, FileNotFoundError])
def test_builtin_defaults_do_not_retry_bugs(error: type) -> None:
    policy, matched = policy_for(RetrySettings(), error)
    assert (policy.name, policy.retries, matched) == ("bug", False, "")


def test_the_most_specific_class_in_the_mro_wins(tmp_path: Path) -> None:
    retry = settings_from(
        tmp_path,
        '[retry]\ndefault = "transient"\n[retry.errors]\nOSError = "slow"\n"ConnectionResetError" = "bug"\n'
        '[retry.policies.slow]\nbackoff = "fixed"\nbase = "5m"\n',
    )
    assert policy_for(retry, FileNotFoundError) == (retry.policies["slow"], "builtins.OSError")
    assert policy_for(retry, ConnectionResetError)[0].name == "bug"
    assert policy_for(retry, ConnectionAbortedError) == (
        retry.policies["transient"],
        "builtins.ConnectionError",
    )
    assert policy_for(retry, ValueError) == (retry.policies["transient"], "")
    assert retry.errors["builtins.TimeoutError"] == "transient"  # the file adds to the built-in rules


def test_names_are_full_dotted_class_names() -> None:
    assert class_name(redis.ConnectionError) == "redis.exceptions.ConnectionError"
    assert class_name(JobTimeoutException) == "rq.timeouts.JobTimeoutException"
    assert set(BUILTIN_RETRY_ERRORS) >= {"builtins.TimeoutError", "rq.timeouts.JobTimeoutException"}


def test_a_policy_table_takes_durations_and_defaults(tmp_path: Path) -> None:
    retry = settings_from(
        tmp_path,
        '[retry.policies.mail]\nbackoff = "linear"\nattempts = 8\nbase = 30\nmax = "1h"\njitter = 0.1\n',
    )
    assert retry.policies["mail"] == RetryPolicy("mail", "linear", 8, 30.0, 3600.0, 0.1)
    assert retry.policies["transient"].attempts == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retry = 3\n", "retry must be a table"),
        ("[retry]\nretries = 3\n", "[retry]: unknown key 'retries'"),
        ('[retry]\ndefault = "nope"\n', "default names no policy: 'nope'"),
        ('[retry.errors]\n"TimeoutError" = "later"\n', "errors.TimeoutError names no policy: 'later'"),
        ('[retry.errors]\n"not a class" = "bug"\n', "'not a class' is not an exception class name"),
        ('[retry.policies.x]\nbackoff = "quadratic"\n', "backoff must be one of none, fixed, linear"),
        ("[retry.policies.x]\nattempts = 3\n", "[retry.policies.x]: backoff must be one of"),
        ('[retry.policies.x]\nbackoff = "none"\nattempts = 3\n', "backoff = none retries nothing"),
        ('[retry.policies.x]\nbackoff = "fixed"\nattempts = 1\n', "attempts counts the first run too"),
        ('[retry.policies.x]\nbackoff = "fixed"\nattempts = "5"\n', "attempts must be a int"),
        ('[retry.policies.x]\nbackoff = "fixed"\nbase = "soon"\n', "base must be a duration like 90s"),
        ('[retry.policies.x]\nbackoff = "fixed"\nbase = 0\n', "base must be more than 0 seconds"),
        (
            '[retry.policies.x]\nbackoff = "fixed"\nbase = "1h"\nmax = "1m"\n',
            "max ('1m') is shorter than base",
        ),
        ('[retry.policies.x]\nbackoff = "fixed"\njitter = 1.5\n', "jitter is a fraction of the delay"),
        ('[retry.policies.x]\nbackoff = "fixed"\ncolour = 1\n', "unknown key 'colour'"),
        ('[retry]\npolicies = "fast"\n', "policies must be [retry.policies.NAME] tables"),
    ],
)
def test_bad_retry_config_is_a_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert str(tmp_path / "config.toml") in str(caught.value)


@pytest.mark.parametrize(
    ("backoff", "nominal"),
    [("fixed", [10, 10, 10, 10]), ("linear", [10, 20, 30, 40]), ("exponential", [10, 20, 40, 80])],
)
def test_delays_follow_the_backoff_within_the_jitter(backoff: str, nominal: list[int]) -> None:
    policy = RetryPolicy("p", backoff, attempts=10, base=10, max=3600, jitter=0.25)
    rng = random.Random(7)
    for attempt, expected in enumerate(nominal, 1):
        seen = {delay_for(policy, attempt, rng) for _ in range(200)}
        assert min(seen) >= round(expected * 0.75) and max(seen) <= round(expected * 1.25)
        assert len(seen) > 1  # the jitter moves the delays


def test_delays_are_capped_by_max_and_at_least_a_second() -> None:
    policy = RetryPolicy("p", "exponential", attempts=100, base=1, max=300, jitter=0.5)
    rng = random.Random(1)
    assert all(1 <= delay_for(policy, a, rng) <= 300 for a in range(1, 100))
    assert delay_for(RetryPolicy("p", "fixed", 2, base=0.2, max=1), 1, rng) == 1


def test_decisions_count_attempts_and_give_up() -> None:
    retry = RetrySettings()
    rng = random.Random(3)
    note = decide(retry, ConnectionResetError, ConnectionResetError("reset by peer"), None, NOW, rng)
    assert (note.attempt, note.max_attempts, note.retrying, note.matched) == (
        1,
        5,
        True,
        "builtins.ConnectionError",
    )
    assert note.next_time is not None and (note.next_time - NOW).total_seconds() == note.delay
    for attempt in range(2, 6):
        note = decide(retry, TimeoutError, TimeoutError(), note, NOW, rng)
        assert note.attempt == attempt
    assert (note.retrying, note.reason, note.next_at) == (False, "gave up after 5 attempts", "")
    assert [h.attempt for h in note.history] == [1, 2, 3, 4]
    assert note.history[0].error == "builtins.ConnectionResetError"
    again = decide(retry, TimeoutError, TimeoutError(), note, NOW, rng)  # requeued by hand
    assert (again.attempt, again.retrying) == (1, True)


def test_a_note_survives_the_round_trip_through_meta_and_garbage_reads_as_none() -> None:
    note = decide(RetrySettings(), ValueError, ValueError("bad row 12"), None, NOW, random.Random(0))
    assert note_from_meta({"queuetui.retry": note.to_meta(), "tenant": "acme"}) == note
    assert note_from_meta({"queuetui.retry": "garbage"}) is None
    assert note_from_meta(None) is None
    odd = note_from_meta({"queuetui.retry": {"attempt": "x", "history": [1, {"delay": "3"}]}})
    assert odd is not None and odd.attempt == 0 and odd.history[0].delay == 3


def test_the_retry_cell_says_attempt_wait_or_why_not() -> None:
    retry = RetrySettings()
    rng = random.Random(5)
    note = decide(retry, TimeoutError, TimeoutError(), None, NOW, rng)
    for _ in range(2):
        note = decide(retry, TimeoutError, TimeoutError(), note, NOW, rng)
    assert note.next_time is not None
    assert retry_cell(note, NOW) == f"3/5 in {fmt.age(note.delay)}"
    assert retry_cell(note, note.next_time) == "3/5 due"
    for _ in range(2):
        note = decide(retry, TimeoutError, TimeoutError(), note, NOW, rng)
    assert retry_cell(note, NOW) == "no: 5/5"
    assert retry_cell(decide(retry, KeyError, KeyError("x"), None, NOW, rng), NOW) == "no: bug"


def test_aliases_become_the_class_own_name_and_override_the_builtin_rule() -> None:
    settings = RetrySettings(
        errors={
            **RetrySettings().errors,
            "redis.ConnectionError": "bug",
            "socket.timeout": "bug",
            "nosuchpkg.E": "bug",
        }
    )
    resolved = canonical(settings)
    assert policy_for(settings, redis.ConnectionError)[0].name == "transient"  # as written: no match
    assert policy_for(resolved, redis.ConnectionError) == (
        resolved.policies["bug"],
        "redis.exceptions.ConnectionError",
    )
    assert policy_for(resolved, TimeoutError)[0].name == "bug"
    assert resolved.errors["nosuchpkg.E"] == "bug"  # not importable here: kept as written
    assert "redis.ConnectionError" not in resolved.errors
