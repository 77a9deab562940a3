"""Decoding is bounded: bombs of bytes, objects, depth and shared references show as too large.

Each payload here is a fixed case of what a hostile or broken writer can leave in a job hash; each
decodes within its budget to a marker or a stand-in, and the rest of what is shown goes on.
"""

from __future__ import annotations

import json
import pickle
import struct
import zlib

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from queuetui.rqdata.payload import (
    JOB_LIMITS,
    Budget,
    Limits,
    Opaque,
    TooLarge,
    UndecodableError,
    call_cells,
    decode_call,
    decode_value,
    disassemble,
    pretty,
    preview,
)


def call(*args: object) -> bytes:
    """A job's data field calling app.f(*args)."""
    return zlib.compress(pickle.dumps(("app.f", None, args, {}), protocol=4))


def reduce_pickle(module: str, name: str, args: bytes) -> bytes:
    """Protocol 0 text of `module.name(*args)`; `args` is the opcodes that push the arguments."""
    return f"c{module}\n{name}\n(".encode() + args + b"tR."


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        ("builtins", "bytearray", b"I300000000\n"),  # 300 MB of zeros
        ("__builtin__", "bytearray", b"I300000000\n"),
        ("builtins", "bytearray", b"Vabc\nVutf-16\n"),  # a codec other than latin-1 (imports it)
        ("builtins", "bytes", b"I300000000\n"),
        ("builtins", "set", b"c__builtin__\nrange\n(I3000000\ntR"),  # set(range(3_000_000))
        ("builtins", "frozenset", b"c__builtin__\nrange\n(I3000000\ntR"),
        ("collections", "OrderedDict", b"c__builtin__\nrange\n(I3000000\ntR"),
        ("builtins", "range", b"I0\nI10000000000000000000000\n"),
        ("decimal", "Decimal", b"I1" + b"0" * 4000 + b"\n"),
        ("operator", "mul", b"Vx\nI300000000\n"),  # 'x' * 300_000_000
        ("builtins", "getattr", b"Vx\nV__mul__\n"),
        ("builtins", "complex", b"V1\n"),
    ],
)
def test_no_allowed_name_allocates_from_its_argument(module: str, name: str, args: bytes) -> None:
    value = decode_value(reduce_pickle(module, name, args))
    assert isinstance(value, Opaque)  # a stand-in, nothing allocated
    assert len(repr(value)) < 100


def test_plain_values_of_those_types_still_decode() -> None:
    value = {"b": bytearray(b"ab"), "s": {1, 2}, "f": frozenset("ab"), "r": range(5), "c": 1 + 2j}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert decode_value(pickle.dumps(value, protocol=protocol)) == value


def laughs(levels: int) -> bytes:
    """Opcodes that push a list of 2**levels leaves in ~10 bytes a level: each level a list holding
    the level below twice (one object, shared through the memo)."""
    out = bytearray(b"X\x03\x00\x00\x00lolq\x000")
    for i in range(levels):
        out += b"](h" + bytes([i]) + b"h" + bytes([i]) + b"eq" + bytes([i + 1])
        if i < levels - 1:
            out += b"0"  # POP: the level stays in the memo only
    return bytes(out)


def billion_laughs(levels: int = 40) -> bytes:
    return b"\x80\x02" + laughs(levels) + b"."


def test_a_billion_laughs_is_too_large_to_show_not_a_hang() -> None:
    bomb = billion_laughs()
    assert len(bomb) < 500
    with pytest.raises(TooLarge, match="too large to show"):
        decode_value(bomb)
    # ('app.f', None, (bomb,), {}) as a job's data field
    data = b"\x80\x02(X\x05\x00\x00\x00app.fN" + laughs(40) + b"\x85}t."
    func, args, problem = call_cells(zlib.compress(data), 80)
    assert (func, args) == ("", "") and problem.startswith("payload: too large to show (more than")
    assert call_cells(zlib.compress(data.replace(laughs(40), laughs(3))), 80)[:2] == (
        "app.f",
        "[[['lol', 'lol'], ['lol', 'lol']], [['lol', 'lol'], ['lol', 'lol']]]",
    )


def test_shared_references_within_budget_render_bounded() -> None:
    value = decode_value(billion_laughs(12))  # 4096 leaves: shown, within budget
    assert preview(value).endswith("…") and len(preview(value)) == 80
    assert len(pretty(value)) < 1_000_000
    assert json.dumps(repr(value))


def zlib_bomb(megabytes: int) -> bytes:
    squeeze = zlib.compressobj(1)
    chunk = bytes(1 << 20)
    return b"".join([*(squeeze.compress(chunk) for _ in range(megabytes)), squeeze.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """64 MB of zeros as ~290 KB of zlib."""
    return zlib_bomb(64)


def test_a_zlib_bomb_is_not_inflated_past_the_budget(bomb: bytes) -> None:
    budget = Budget(JOB_LIMITS)
    decoded = decode_call(bomb, budget)
    assert decoded.problem.startswith("payload: too large to show (over 16.0 M bytes inflated from")
    assert budget.inflated <= JOB_LIMITS.inflated
    assert disassemble(bomb).startswith("-- too large to show")


def test_a_page_stops_inflating_when_its_budget_is_spent(bomb: bytes) -> None:
    page = Budget(Limits(inflated=20_000_000, objects=1_000_000, depth=100, seconds=60))
    problems = [decode_call(bomb, page.job()).problem for _ in range(5)]
    assert all(p.startswith("payload: too large to show") for p in problems)
    assert page.inflated <= 20_000_000
    assert decode_call(call(1), page.job()).problem.startswith("payload: too large to show")  # nothing left
    assert decode_call(call(1), Budget().job()).args == (1,)


def nested_pickle(depth: int) -> bytes:
    """depth lists, each inside the one before, built without recursion by the unpickler."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


@pytest.mark.parametrize(
    "data",
    [
        ("[" * 100_000 + "]" * 100_000).encode(),
        ('{"a":' * 50_000 + "1" + "}" * 50_000).encode(),
        nested_pickle(50_000),
        nested_pickle(500),
    ],
    ids=["json-lists", "json-objects", "pickle-50000", "pickle-500"],
)
def test_deep_nesting_is_a_one_line_problem_not_a_recursion_error(data: bytes) -> None:
    with pytest.raises(TooLarge, match="nested too deeply"):
        decode_value(data)
    assert decode_call(zlib.compress(data)).problem.startswith("payload: nested too deeply")


def test_nesting_within_the_limit_decodes_and_renders() -> None:
    value = decode_value(nested_pickle(90))
    assert repr(value).startswith("[[[") and pretty(value)


def test_a_value_that_holds_itself_is_shown_as_repr_shows_it() -> None:
    looped: list[object] = [1]
    looped.append(looped)
    value = decode_value(pickle.dumps({"x": looped}))
    assert repr(value) == "{'x': [1, [...]]}"
    assert "[...]" in pretty(value)


def test_a_memo_index_out_of_all_proportion_is_refused() -> None:
    with pytest.raises(UndecodableError, match="memo index"):
        decode_value(b"\x80\x02]r\xff\xff\xff\x0f.")  # LONG_BINPUT 0x0fffffff: a 4 GB memo table


def test_too_many_objects_is_too_large() -> None:
    data = pickle.dumps(list(range(JOB_LIMITS.objects + 10)), protocol=4)
    # On a busy machine the time budget may be spent before the count is: refused either way.
    with pytest.raises(TooLarge, match=r"too large to show|time budget"):
        decode_value(data)


def test_an_integer_too_long_for_text_is_too_large() -> None:
    data = b"\x80\x02\x8b" + struct.pack("<i", 4000) + b"\x01" * 4000 + b"."  # LONG4, 32000 bits
    with pytest.raises(TooLarge, match="an integer of"):
        decode_value(data)


# Values a pickle can hold that the safe unpickler builds as they are.
_plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=30,
)


def _decodes_within_budget(data: bytes) -> None:
    budget = Budget(JOB_LIMITS)
    try:
        value = decode_value(data, budget)
    except UndecodableError:
        pass
    else:
        assert isinstance(preview(value), str) and isinstance(pretty(value), str)
    assert budget.inflated <= JOB_LIMITS.inflated and budget.objects <= JOB_LIMITS.objects


_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_and_stay_within_budget(data: bytes) -> None:
    _decodes_within_budget(data)
    _decodes_within_budget(b"\x80\x04" + data)
    _decodes_within_budget(data + b".")


@_FAST
@given(_plain, st.integers(0, pickle.HIGHEST_PROTOCOL), st.data())
def test_random_pickles_decode_or_fail_cleanly_even_when_damaged(
    value: object, protocol: int, data: st.DataObject
) -> None:
    raw = pickle.dumps(value, protocol=protocol)
    assert decode_value(raw) == value
    at = data.draw(st.integers(0, len(raw) - 1))
    damaged = raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1 :]
    _decodes_within_budget(damaged)
    _decodes_within_budget(zlib.compress(damaged)[: data.draw(st.integers(1, 40))])
