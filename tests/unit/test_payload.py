"""Payloads are data: the safe unpickler builds plain values and never imports or calls anything."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import zlib
from decimal import Decimal
from pathlib import Path

import pytest

from queuetui.rqdata.payload import (
    Opaque,
    call_cells,
    decode_call,
    decode_value,
    disassemble,
    opaque,
    pretty,
    preview_args,
    safe_loads,
)


class FileCreator:
    """Unpickling this with the standard unpickler creates a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.path}",))


class Model:
    def __init__(self) -> None:
        self.name = "ada"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_that_would_create_a_file_is_shown_not_run(tmp_path: Path, protocol: int) -> None:
    target = tmp_path / "pwned"
    data = pickle.dumps(("app.f", None, (FileCreator(str(target)),), {}), protocol=protocol)
    call = decode_call(zlib.compress(data))
    assert call.readable
    assert repr(call.args[0]) == f"<pickled {os.system.__module__}.system>"
    assert not target.exists()
    assert "system" in disassemble(zlib.compress(data))
    assert not target.exists()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_values_decode_in_every_protocol(protocol: int) -> None:
    value = {
        "s": "text",
        "b": b"\x00\xff",
        "n": [1, 2.5, None, True, 10**30],
        "set": {1, 2},
        "frozen": frozenset({"a"}),
        "when": dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
        "day": dt.date(2026, 1, 2),
        "span": dt.timedelta(seconds=90),
        "price": Decimal("9.99"),
        "t": (1, "x"),
    }
    assert safe_loads(pickle.dumps(value, protocol=protocol)) == value


def test_objects_become_named_stand_ins() -> None:
    decoded = safe_loads(pickle.dumps({"user": Model(), "cls": Model}))
    assert isinstance(decoded["user"], Opaque)
    assert repr(decoded["user"]) == "<pickled tests.unit.test_payload.Model>"
    assert repr(decoded["cls"]) == "<pickled tests.unit.test_payload.Model>"


def test_a_datetime_with_an_unknown_zone_is_a_stand_in_not_an_error() -> None:
    from zoneinfo import ZoneInfo

    value = dt.datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Rome"))
    decoded = safe_loads(pickle.dumps(value))
    assert repr(decoded) == "<pickled datetime.datetime>"


def test_json_payloads_decode() -> None:
    data = zlib.compress(json.dumps(["app.send", None, [1, "a"], {"to": "x@y"}]).encode())
    call = decode_call(data)
    assert (call.func_name, call.args, call.kwargs) == ("app.send", (1, "a"), {"to": "x@y"})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, "no data field"),
        (b"\x80\x05garbage\xff\xfe", "payload: not a readable pickle"),
        (b"\xff\xfe\x00 not anything", "payload: neither a pickle nor JSON"),
        (
            zlib.compress(pickle.dumps([1, 2])),
            "payload: expected (function, instance, args, kwargs), got list",
        ),
        (zlib.compress(pickle.dumps((Model, None, (), {}))), "payload: function name is <pickled"),
    ],
)
def test_undecodable_payloads_say_why(raw: bytes | None, problem: str) -> None:
    call = decode_call(raw)
    assert not call.readable
    assert call.problem.startswith(problem)


def test_codecs_other_than_latin1_are_refused() -> None:
    # protocol 0-2 spell bytes as _codecs.encode(text, 'latin1'); rot13 would import a codec module
    data = b"c_codecs\nencode\n(Vabc\nVrot13\ntR."
    with pytest.raises(Exception, match="rot13"):
        safe_loads(data)
    assert decode_value(pickle.dumps(b"ok", protocol=2)) == b"ok"


def test_pretty_collapses_large_values() -> None:
    shown = pretty({"blob": "x" * 10_000_000, "items": list(range(1000))})
    assert "(10.0 M chars)" in shown
    assert "… 950 more" in shown
    assert len(shown) < 1000


def _whole_preview(args: tuple[object, ...], kwargs: dict[str, object], limit: int) -> str:
    """The preview made the plain way: every value's repr in full, then cut."""
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    text = " ".join(", ".join(parts).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_looped: list[object] = [1, "two"]
_looped.append(_looped)
_quotes = "it's " * 100 + 'say "hi" ' * 100  # a ' early, the first " far past the first piece


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((1, "x", None, 2.5, True), {"key": 3}),
        (("a  b\tc \n d",), {}),
        (("x" * 10_000_000,), {}),
        ((b"\x00\xff'" * 100_000,), {"to": "a@example.com"}),
        ((_quotes,), {}),
        ((_quotes.encode(),), {}),
        (("'" * 1000,), {}),
        (("'" * 300 + '"' + "'" * 300,), {}),
        (("é ü 日本 \u2003 " * 200,), {}),
        ((" " * 100_000 + "end",), {}),
        ((list(range(1_000_000)),), {}),
        (((1,), (), [], {}, ((1, 2), [3, {"k": (4,)}])), {"big": {str(i): i for i in range(100_000)}}),
        ((_looped, {"self": _looped}), {}),
        ((opaque("app.models.User")(), dt.datetime(2026, 11, 23, tzinfo=dt.UTC), Decimal("1.5")), {}),
        ((tuple("x" * 70 for _ in range(20)),), {"k": ["y" * 300]}),
    ],
)
@pytest.mark.parametrize("limit", [1, 80, 200, 5000])
def test_an_args_preview_is_the_whole_repr_cut_though_big_values_are_not_built_in_full(
    args: tuple[object, ...], kwargs: dict[str, object], limit: int
) -> None:
    assert preview_args(args, kwargs, limit) == _whole_preview(args, kwargs, limit)


def test_call_cells_are_what_a_row_shows_of_a_call() -> None:
    raw = zlib.compress(pickle.dumps(("app.mail.send", None, ("a@example.com",), {"template": "x"})))
    assert call_cells(raw, 200) == ("app.mail.send", "'a@example.com', template='x'", "")
    assert call_cells(b"junk", 200) == ("", "", decode_call(b"junk").problem)
