"""Decoding job payloads as data, never as code.

RQ stores a job's call as `zlib(serializer.dumps((func_name, instance, args, kwargs)))`, its meta and
return values as serializer output, pickle by default. Unpickling runs whatever the bytes say, so
queuetui decodes pickles with `SafeUnpickler`: it builds plain builtin values and a few stdlib value
types (datetime, Decimal, set...) and nothing else. Every other global becomes an `Opaque` stand-in
that shows as `<pickled app.models.User>`: no module is imported, nothing is called. JSON payloads
(RQ's JSONSerializer) are decoded as JSON.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import pickle
import pickletools
import reprlib
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast


class _OpaqueType(type):
    qualname: str

    def __repr__(cls) -> str:
        return f"<pickled {cls.qualname}>"


class Opaque(metaclass=_OpaqueType):
    """A pickled object that was not built. Absorbs every pickle opcode that would touch it."""

    qualname = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> Opaque:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass

    def add(self, value: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Opaque:
        # e.g. getattr(ZoneInfo, '_unpickle')(...): a stand-in that is called stays a stand-in.
        return type(self)()

    def __repr__(self) -> str:
        return f"<pickled {type(self).qualname}>"


_opaque_types: dict[str, type[Opaque]] = {}


def opaque(qualname: str) -> type[Opaque]:
    """The stand-in class for the global `qualname` (one per name, so equal names compare equal)."""
    if qualname not in _opaque_types:
        _opaque_types[qualname] = cast(
            "type[Opaque]", _OpaqueType("Opaque", (Opaque,), {"qualname": qualname})
        )
    return _opaque_types[qualname]


def _latin1_only(text: str, encoding: str = "latin1") -> bytes:
    # Protocol 0-2 pickles spell bytes as _codecs.encode(text, 'latin1'); any other codec name
    # could make the codec registry import a module, so it is refused.
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"codec {encoding!r} refused")
    return codecs.encode(text, "latin1")


# Constructors of plain values, already imported, that take data and run no user code.
_SAFE: dict[tuple[str, str], Callable[..., Any]] = {
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("builtins", "range"): range,
    ("_codecs", "encode"): _latin1_only,
    ("collections", "OrderedDict"): OrderedDict,
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "date"): dt.date,
    ("datetime", "time"): dt.time,
    ("datetime", "timedelta"): dt.timedelta,
    ("datetime", "timezone"): dt.timezone,
    ("decimal", "Decimal"): Decimal,
}


# Protocol 0-2 pickles written by Python 2 name the builtins module differently.
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def _guarded(qualname: str, constructor: Callable[..., Any]) -> Callable[..., Any]:
    def build(*args: Any) -> Any:
        try:
            return constructor(*args)
        except (TypeError, ValueError, ArithmeticError):
            # e.g. a datetime whose tzinfo is an Opaque ZoneInfo: show the value as not built.
            return opaque(qualname)()

    return build


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that never imports or calls anything outside a fixed list of value types."""

    def find_class(self, module: str, name: str) -> Any:
        module = _PY2_MODULES.get(module, module)
        constructor = _SAFE.get((module, name))
        if constructor is not None:
            return _guarded(f"{module}.{name}", constructor)
        return opaque(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        return opaque(f"persistent id {pid!r}")()


def safe_loads(data: bytes) -> Any:
    """Unpickle `data` into plain values; raises pickle.UnpicklingError (or ValueError) if malformed."""
    return SafeUnpickler(io.BytesIO(data)).load()


def is_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" or data[-1:] == b"."


def decode_value(data: bytes) -> Any:
    """Decode one serialized value (meta, a return value): pickle safely, or JSON."""
    if is_pickle(data):
        try:
            return safe_loads(data)
        except Exception as exc:
            raise UndecodableError(f"not a readable pickle ({type(exc).__name__}: {exc})") from exc
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UndecodableError("neither a pickle nor JSON") from exc


class UndecodableError(ValueError):
    """A payload that neither the safe unpickler nor JSON can read."""


def decompress(raw: bytes) -> bytes:
    """RQ compresses job data with zlib, but older or foreign writers may not: accept both."""
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw


@dataclass(frozen=True, slots=True)
class Call:
    """A job's call, decoded as data."""

    func_name: str = ""
    instance: Any = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    """Why the call could not be decoded; empty when it was."""

    @property
    def readable(self) -> bool:
        return not self.problem


def decode_call(raw: bytes | None) -> Call:
    """Decode a job's `data` field into its function name, instance, args and kwargs."""
    func_name, instance, args, kwargs, problem = _call_parts(raw)
    return Call(func_name, instance, args, kwargs, problem)


CallParts = tuple[str, Any, tuple[Any, ...], dict[str, Any], str]


def _call_parts(raw: bytes | None) -> CallParts:
    if raw is None:
        return "", None, (), {}, "no data field"
    try:
        value = decode_value(decompress(raw))
    except UndecodableError as exc:
        return "", None, (), {}, f"payload: {exc}"
    if not isinstance(value, tuple | list) or len(value) != 4:
        return "", None, (), {}, f"payload: expected (function, instance, args, kwargs), got {_kind(value)}"
    func_name, instance, args, kwargs = value
    if not isinstance(func_name, str):
        return "", None, (), {}, f"payload: function name is {_kind(func_name)}"
    return (
        func_name,
        instance,
        tuple(args) if isinstance(args, tuple | list) else (args,),
        dict(kwargs) if isinstance(kwargs, dict) else {"?": kwargs},
        "",
    )


def call_cells(raw: bytes, limit: int) -> tuple[str, str, str]:
    """(function name, args preview of at most `limit` characters, problem) of a job's `data` field:
    what a row shows of its call, without building a Call."""
    func_name, _, args, kwargs, problem = _call_parts(raw)
    return func_name, preview_args(args, kwargs, limit), problem


def _kind(value: Any) -> str:
    return repr(value) if isinstance(value, Opaque | _OpaqueType) else type(value).__name__


def disassemble(raw: bytes, max_lines: int = 400) -> str:
    """pickletools' disassembly of a payload (it reads opcodes only and runs nothing)."""
    data = decompress(raw)
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out, annotate=0)
    except Exception as exc:
        out.write(f"-- stopped: {type(exc).__name__}: {exc}\n")
    lines = out.getvalue().splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"-- {len(lines) - max_lines} more lines"]
    return "\n".join(lines)


def preview(value: Any, limit: int = 80) -> str:
    """A one-line repr of at most `limit` characters, for a table cell."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def args_preview(call: Call, limit: int = 80) -> str:
    """`1, 'x', key=3` from a call's args and kwargs, at most `limit` characters."""
    return preview_args(call.args, call.kwargs, limit)


def preview_args(args: tuple[Any, ...], kwargs: dict[str, Any], limit: int = 80) -> str:
    """`1, 'x', key=3` from args and kwargs, whitespace runs as one space, at most `limit` characters.

    Only as much of a big value is turned to text as the preview shows: the preview of a 10 MB
    string, or of a list of a million items, reads a few hundred characters of it.
    """
    if all(map(_small, args)) and all(map(_small, kwargs.values())):
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        text = " ".join(", ".join(parts).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
    pieces: list[str] = []
    length, check = 0, limit + 1
    for piece in _call_pieces(args, kwargs):
        pieces.append(piece)
        length += len(piece)
        if length >= check:
            # Whitespace runs of a prefix collapse to a prefix of the whole text collapsed.
            text = " ".join("".join(pieces).split())
            if len(text) > limit:
                return text[: limit - 1] + "…"
            check = length * 2
    text = " ".join("".join(pieces).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SCALARS = {int, float, bool, type(None)}
_TEXTS = {str, bytes}
_PIECE = 256


def _small(value: Any) -> bool:
    """Whether repr(value) is surely short: a number, a short text, a few of those in a container.

    Only decides how a preview is made, never what it says."""
    kind = type(value)
    if kind in _SCALARS:
        return kind is not int or -(10**60) < value < 10**60
    if kind in _TEXTS:
        return len(value) <= 200
    if kind is list or kind is tuple:
        return len(value) <= 16 and all(
            type(v) in _SCALARS or (type(v) in _TEXTS and len(v) <= 64) for v in value
        )
    if kind is dict:
        return len(value) <= 16 and all(
            type(v) in _SCALARS or (type(v) in _TEXTS and len(v) <= 64) for v in (*value, *value.values())
        )
    return False


def _call_pieces(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[str]:
    """The text of `', '.join(repr(a) for a in args) + kwargs as k=repr(v)`, in pieces, lazily."""
    first = True
    for value in args:
        if not first:
            yield ", "
        first = False
        yield from _repr_pieces(value, set())
    for key, value in kwargs.items():
        if not first:
            yield ", "
        first = False
        yield f"{key}="
        yield from _repr_pieces(value, set())


def _repr_pieces(value: Any, active: set[int]) -> Iterator[str]:
    """repr(value) in pieces, lazily, for the types a big argument usually is; repr() for the rest."""
    kind = type(value)
    if kind is str or kind is bytes:
        yield from _text_pieces(value)
    elif kind is list or kind is tuple or kind is dict:
        brackets = "[]" if kind is list else "()" if kind is tuple else "{}"
        opening, closing = brackets[0], brackets[1]
        if id(value) in active:  # a value that holds itself, as repr() shows it
            yield f"{opening}...{closing}"
            return
        active.add(id(value))
        yield opening
        for i, item in enumerate(value.items() if kind is dict else value):
            if i:
                yield ", "
            if kind is dict:
                yield from _repr_pieces(item[0], active)
                yield ": "
                yield from _repr_pieces(item[1], active)
            else:
                yield from _repr_pieces(item, active)
        active.discard(id(value))
        yield ",)" if kind is tuple and len(value) == 1 else closing
    else:
        yield repr(value)


def _text_pieces(value: str | bytes) -> Iterator[str]:
    """repr() of a str or bytes, _PIECE characters of it at a time (quoted as repr() quotes the whole)."""
    if len(value) <= _PIECE:
        yield repr(value)
        return
    prefix = "b" if isinstance(value, bytes) else ""
    single, double = ("'", '"') if prefix == "" else (b"'", b'"')
    # repr() quotes with " only when the text holds a ' and no "; then no quote needs escaping.
    quote = '"' if single in value and double not in value else "'"  # type: ignore[operator]
    yield prefix + quote
    for start in range(0, len(value), _PIECE):
        chunk = value[start : start + _PIECE]
        shown = repr(chunk)[len(prefix) :]
        if quote == "'" and shown[0] == '"':
            # Alone, the chunk would be quoted with " and its ' left bare; with a " after it, it is
            # quoted with ' and its ' escaped, as in the whole.
            yield repr(chunk + double)[len(prefix) + 1 : -2]  # type: ignore[operator]
        else:
            yield shown[1:-1]
    yield quote


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def pretty(value: Any, max_text: int = 200, max_items: int = 50, indent: int = 0) -> str:
    """A multi-line rendering of a decoded value; long texts and big containers are collapsed."""
    pad = "  " * indent
    if isinstance(value, dict | list | tuple | set | frozenset) and len(value) <= 8:
        short = _SHORT.repr(value)
        if len(short) <= 60 and "..." not in short:
            return short
    if isinstance(value, str | bytes | bytearray) and len(value) > max_text:
        unit = "chars" if isinstance(value, str) else "bytes"
        return f"{value[:max_text]!r}… ({size(len(value))} {unit})"
    if isinstance(value, dict) and value:
        items = list(value.items())
        lines = [
            f"{pad}  {k!r}: {pretty(v, max_text, max_items, indent + 1).lstrip()}"
            for k, v in items[:max_items]
        ]
        if len(items) > max_items:
            lines.append(f"{pad}  … {len(items) - max_items} more keys")
        return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list | tuple | set | frozenset) and value:
        items = list(value)
        brackets = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
        opening, closing = brackets[0], brackets[1]
        if not any(isinstance(v, dict | list | tuple | set | frozenset) for v in items):
            shown = ", ".join(pretty(v, max_text, max_items) for v in items[:max_items])
            more = f", … {len(items) - max_items} more" if len(items) > max_items else ""
            if isinstance(value, tuple) and len(items) == 1:
                closing = ",)"
            return f"{opening}{shown}{more}{closing}"
        lines = [f"{pad}  {pretty(v, max_text, max_items, indent + 1).lstrip()}" for v in items[:max_items]]
        if len(items) > max_items:
            lines.append(f"{pad}  … {len(items) - max_items} more items")
        return opening + "\n" + ",\n".join(lines) + f"\n{pad}{closing}"
    return repr(value)


def size(n: int) -> str:
    """A byte or character count for people: 812, 12.3 K, 10.0 M."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f} K"
    return f"{n / 1_000_000:.1f} M"
