"""Decoding job payloads as data, never as code.

RQ stores a job's call as `zlib(serializer.dumps((func_name, instance, args, kwargs)))`, its meta and
return values as serializer output, pickle by default. Unpickling runs whatever the bytes say, so
queuetui decodes pickles with `SafeUnpickler`: it builds plain builtin values and a few stdlib value
types (datetime, Decimal, set...) and nothing else. Every other global becomes an `Opaque` stand-in
that shows as `<pickled app.models.User>`: no module is imported, nothing is called. JSON payloads
(RQ's JSONSerializer) are decoded as JSON.

Decoding is bounded (DESIGN rule 8): a `Budget` per job, drawing on one per page, caps the bytes
inflated (zlib with max_length, never zlib.decompress), the objects built (pickle opcodes, counted
before anything is built) and shown (a value is walked as a renderer would walk it, so a few hundred
bytes of shared sublists cannot expand to 2**40 items), the nesting depth and the time. The allowed
constructors take only arguments that cannot make them allocate more than the pickle holds:
`bytearray(2_000_000_000)`, `set(range(10**9))` or `Decimal(10**10**6)` are stand-ins, not values.
A value over budget is a `TooLarge` error: that field shows "too large to show (...)", the rest goes on.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import pickle
import pickletools
import reprlib
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast


@dataclass(frozen=True, slots=True)
class Limits:
    """What decoding may spend: bytes inflated, objects (built and shown), nesting depth, seconds."""

    inflated: int
    objects: int
    depth: int
    seconds: float


JOB_LIMITS = Limits(inflated=16_000_000, objects=200_000, depth=100, seconds=1.0)
"""One job: its call, meta, exceptions and return values together."""
PAGE_LIMITS = Limits(inflated=64_000_000, objects=1_000_000, depth=100, seconds=4.0)
"""One page of rows (or one job's detail): what every job of it spends, together."""
EXCEPTION_TEXT = 1_000_000
"""The most text of one traceback that is inflated; a longer one shows its start and a marker."""
_INT_BITS = 13_000  # about 4000 digits: Python refuses to turn longer ints into text (int_max_str_digits)


class UndecodableError(ValueError):
    """A payload that neither the safe unpickler nor JSON can read."""


class TooLarge(UndecodableError):
    """A payload that would cost more than its budget to decode or to show; says how large it is."""


class Budget:
    """What decoding may still spend; a job's budget (`job()`) draws on its page's too."""

    def __init__(
        self,
        limits: Limits = PAGE_LIMITS,
        parent: Budget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.parent = parent
        self.clock = clock
        self.inflated = 0
        self.objects = 0
        self.deadline = clock() + limits.seconds

    def job(self) -> Budget:
        """A budget for one job of this page (JOB_LIMITS, and never more than this one has left)."""
        return Budget(JOB_LIMITS, self, self.clock)

    def inflate_left(self) -> int:
        """Bytes that may still be inflated."""
        left = self.limits.inflated - self.inflated
        return left if self.parent is None else min(left, self.parent.inflate_left())

    def objects_left(self) -> int:
        """Objects that may still be built or shown."""
        left = self.limits.objects - self.objects
        return left if self.parent is None else min(left, self.parent.objects_left())

    def spend(self, inflated: int = 0, objects: int = 0) -> None:
        """Count what was spent, here and in the page's budget."""
        self.inflated += inflated
        self.objects += objects
        if self.parent is not None:
            self.parent.spend(inflated, objects)

    def check_time(self) -> None:
        """TooLarge once this budget's (or its page's) time is spent."""
        if self.clock() > self.deadline:
            raise TooLarge(f"not decoded: the time budget ({self.limits.seconds:g} s) is spent")
        if self.parent is not None:
            self.parent.check_time()


def inflate_head(raw: bytes, budget: Budget, limit: int | None = None) -> tuple[bytes, str]:
    """(data, '') for `raw` zlib-inflated (or as it is, if it is not zlib) within the budget and `limit`
    bytes; (its first bytes, "too large to show (...)") when it is larger."""
    cap = budget.inflate_left() if limit is None else min(limit, budget.inflate_left())
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, cap + 1)
    except zlib.error:
        out = b""
    if not inflater.eof and len(out) <= cap:
        # Not zlib (or cut short, which zlib.decompress refused too): the bytes are the data.
        out = raw
        if len(out) > cap:
            budget.spend(inflated=cap)
            return raw[:cap], f"too large to show ({size(len(raw))} bytes)"
    elif len(out) > cap:
        budget.spend(inflated=cap)
        return out[:cap], f"too large to show (over {size(cap)} bytes inflated from {size(len(raw))})"
    budget.spend(inflated=len(out))
    return out, ""


def inflate(raw: bytes, budget: Budget, limit: int | None = None) -> bytes:
    """zlib-inflate `raw` within the budget (and `limit` bytes); data that is not zlib comes back as it is.

    TooLarge when the inflated (or plain) data would be larger than what is left.
    """
    data, problem = inflate_head(raw, budget, limit)
    if problem:
        raise TooLarge(problem)
    return data


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
    if not isinstance(text, str):
        raise pickle.UnpicklingError("_codecs.encode of something other than text refused")
    return codecs.encode(text, "latin1")


class _Refused(TypeError):
    """Arguments an allowed constructor is not given (it would allocate from them, or import)."""


def _concrete(value: Any) -> bool:
    # Containers the pickle itself built: as large as the pickle, never lazily larger (a range).
    return type(value) in (list, tuple, set, frozenset, dict)


def _set(*args: Any) -> set[Any]:
    if args and not (len(args) == 1 and _concrete(args[0])):
        raise _Refused
    return set(*args)


def _frozenset(*args: Any) -> frozenset[Any]:
    if args and not (len(args) == 1 and _concrete(args[0])):
        raise _Refused
    return frozenset(*args)


def _bytearray(*args: Any) -> bytearray:
    # bytearray(n) allocates n bytes; bytearray(text, codec) may import a codec module.
    if not args or (len(args) == 1 and isinstance(args[0], bytes | bytearray)):
        return bytearray(*args)
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return bytearray(args[0], "latin1")
    raise _Refused


def _bytes(*args: Any) -> bytes:
    # Protocol 0-2 write b'' as bytes(); bytes(n) would allocate n bytes.
    if not args or (len(args) == 1 and isinstance(args[0], bytes | bytearray)):
        return bytes(*args)
    raise _Refused


def _range(*args: Any) -> range:
    # A range is lazy, but whatever iterates it is not: only small ones are values.
    if not all(type(a) is int for a in args) or len(range(*args)) > 10_000:
        raise _Refused
    return range(*args)


def _decimal(*args: Any) -> Decimal:
    # Decimal(str) is what pickle writes; a huge int or digit string would cost time to convert.
    if len(args) == 1 and isinstance(args[0], str) and len(args[0]) <= 1000:
        return Decimal(args[0])
    raise _Refused


def _ordered_dict(*args: Any) -> OrderedDict[Any, Any]:
    if args and not (len(args) == 1 and _concrete(args[0])):
        raise _Refused
    return OrderedDict(*args)


def _complex(*args: Any) -> complex:
    if not all(type(a) in (int, float) for a in args) or len(args) > 2:
        raise _Refused
    return complex(*args)


# Constructors of plain values, already imported, that take data and run no user code, each checked
# so that it builds nothing larger than its arguments.
_SAFE: dict[tuple[str, str], Callable[..., Any]] = {
    ("builtins", "set"): _set,
    ("builtins", "frozenset"): _frozenset,
    ("builtins", "bytearray"): _bytearray,
    ("builtins", "bytes"): _bytes,
    ("builtins", "complex"): _complex,
    ("builtins", "slice"): slice,
    ("builtins", "range"): _range,
    ("_codecs", "encode"): _latin1_only,
    ("collections", "OrderedDict"): _ordered_dict,
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "date"): dt.date,
    ("datetime", "time"): dt.time,
    ("datetime", "timedelta"): dt.timedelta,
    ("datetime", "timezone"): dt.timezone,
    ("decimal", "Decimal"): _decimal,
}


# Protocol 0-2 pickles (written by Python 2, or for it) name the builtins module differently.
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_PY2_NAMES = {("builtins", "xrange"): "range"}


def _guarded(qualname: str, constructor: Callable[..., Any]) -> Callable[..., Any]:
    def build(*args: Any) -> Any:
        try:
            return constructor(*args)
        except (TypeError, ValueError, ArithmeticError):
            # e.g. a datetime whose tzinfo is an Opaque ZoneInfo, or bytearray(2_000_000_000):
            # show the value as not built.
            return opaque(qualname)()

    return build


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that never imports or calls anything outside a fixed list of value types."""

    def find_class(self, module: str, name: str) -> Any:
        module = _PY2_MODULES.get(module, module)
        name = _PY2_NAMES.get((module, name), name)
        constructor = _SAFE.get((module, name))
        if constructor is not None:
            return _guarded(f"{module}.{name}", constructor)
        return opaque(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        return opaque(f"persistent id {pid!r}")()


_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}


def _count_opcodes(data: bytes, budget: Budget) -> None:
    """Read the opcodes (building nothing) to refuse a pickle over budget before it is built.

    Each opcode builds at most one object and pushes at most one, so their number bounds the objects,
    the stack and the memo; a memo index far past that number would make the unpickler allocate a
    memo table of that size, so it is refused too.
    """
    allowed = budget.objects_left()
    count = 0
    for count, (op, arg, _) in enumerate(pickletools.genops(data), start=1):
        if count > allowed:
            raise TooLarge(f"too large to show (more than {allowed} pickle opcodes, {size(len(data))} bytes)")
        if op.name in _MEMO_OPS and isinstance(arg, int) and arg > 2 * count + 16:
            raise pickle.UnpicklingError(f"memo index {arg} out of all proportion to the pickle")
        if count % 8192 == 0:
            budget.check_time()
    budget.spend(objects=count)


def safe_loads(data: bytes, budget: Budget | None = None) -> Any:
    """Unpickle `data` into plain values within `budget` (a job's by default); raises
    pickle.UnpicklingError (or ValueError) if malformed, TooLarge if over budget."""
    budget = budget or Budget(JOB_LIMITS)
    _count_opcodes(data, budget)
    value = SafeUnpickler(io.BytesIO(data)).load()
    check_shape(value, budget)
    return value


_CONTAINERS = (list, tuple, set, frozenset, dict, slice)


def _children(item: Any) -> Any:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, slice):
        return (item.start, item.stop, item.step)
    return item


def check_shape(value: Any, budget: Budget) -> None:
    """TooLarge when showing `value` would take more values than the budget has left (a shared
    sublist counts each time it is shown, as repr shows it), nest deeper than its limit, or turn an
    integer too long for Python into text.

    Each container is walked once (its shown size and height are remembered), so a few hundred bytes
    of sublists shared 40 levels deep are found to be 2**40 values without showing them.
    """
    allowed, depth_limit = budget.objects_left(), budget.limits.depth
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values shown, levels below)
    active: set[int] = set()  # on the path being walked: a value that holds itself shows as [...]
    edges = 0
    stack: list[tuple[Any, int, bool]] = [(value, 0, False)] if isinstance(value, _CONTAINERS) else []
    while stack:
        item, depth, walked = stack.pop()
        key = id(item)
        if not walked:
            if key in sizes or key in active:
                continue
            if depth >= depth_limit:
                raise TooLarge(f"nested too deeply to show (more than {depth_limit} levels)")
            active.add(key)
            stack.append((item, depth, True))
            for child in _children(item):
                if isinstance(child, _CONTAINERS):
                    stack.append((child, depth + 1, False))
            continue
        shown, height = 1, 0
        for child in _children(item):
            edges += 1
            if isinstance(child, _CONTAINERS):
                size, below = sizes.get(id(child), (1, 0))  # not there: it holds us, shown as [...]
                shown += size
                height = max(height, below + 1)
            else:
                shown += 1
                if type(child) is int and child.bit_length() > _INT_BITS:
                    raise TooLarge(f"too large to show (an integer of {child.bit_length()} bits)")
        if shown > allowed:
            raise TooLarge(f"too large to show (more than {allowed} values)")
        if depth + height > depth_limit:
            raise TooLarge(f"nested too deeply to show (more than {depth_limit} levels)")
        active.discard(key)
        sizes[key] = (shown, height)
        if edges > allowed:
            raise TooLarge(f"too large to show (more than {allowed} values)")
        if len(sizes) % 4096 == 0:
            budget.check_time()
    if type(value) is int and value.bit_length() > _INT_BITS:
        raise TooLarge(f"too large to show (an integer of {value.bit_length()} bits)")
    budget.spend(objects=edges)


def is_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" or data[-1:] == b"."


def decode_value(data: bytes, budget: Budget | None = None) -> Any:
    """Decode one serialized value (meta, a return value) within `budget`: pickle safely, or JSON.

    UndecodableError when it is neither, TooLarge (one) when it is over budget.
    """
    budget = budget or Budget(JOB_LIMITS)
    budget.check_time()
    if len(data) > budget.limits.inflated:  # inflated already (and counted), or as stored in Redis
        raise TooLarge(f"too large to show ({size(len(data))} bytes)")
    if is_pickle(data):
        try:
            return safe_loads(data, budget)
        except TooLarge:
            raise
        except RecursionError as exc:
            raise TooLarge("nested too deeply to show") from exc
        except Exception as exc:
            raise UndecodableError(f"not a readable pickle ({type(exc).__name__}: {exc})") from exc
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError as exc:
        raise TooLarge("nested too deeply to show") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise UndecodableError("neither a pickle nor JSON") from exc
    check_shape(value, budget)
    return value


def decompress(raw: bytes, budget: Budget | None = None) -> bytes:
    """RQ compresses job data with zlib, but older or foreign writers may not: accept both.

    Inflated within `budget` (a job's by default): TooLarge beyond it.
    """
    return inflate(raw, budget or Budget(JOB_LIMITS))


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


def decode_call(raw: bytes | None, budget: Budget | None = None) -> Call:
    """Decode a job's `data` field into its function name, instance, args and kwargs (within `budget`)."""
    func_name, instance, args, kwargs, problem = _call_parts(raw, budget or Budget(JOB_LIMITS))
    return Call(func_name, instance, args, kwargs, problem)


CallParts = tuple[str, Any, tuple[Any, ...], dict[str, Any], str]


def _call_parts(raw: bytes | None, budget: Budget) -> CallParts:
    if raw is None:
        return "", None, (), {}, "no data field"
    try:
        budget.check_time()
        value = decode_value(inflate(raw, budget), budget)
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


def call_cells(raw: bytes, limit: int, budget: Budget | None = None) -> tuple[str, str, str]:
    """(function name, args preview of at most `limit` characters, problem) of a job's `data` field:
    what a row shows of its call, without building a Call."""
    func_name, _, args, kwargs, problem = _call_parts(raw, budget or Budget(JOB_LIMITS))
    return func_name, preview_args(args, kwargs, limit), problem


def _kind(value: Any) -> str:
    return repr(value) if isinstance(value, Opaque | _OpaqueType) else type(value).__name__


class _Enough(Exception):
    pass


class _Lines(io.StringIO):
    """Text that stops being written (raises _Enough) past `limit` lines."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if self.lines > self.limit:
            raise _Enough
        return super().write(text)


def disassemble(raw: bytes, max_lines: int = 400) -> str:
    """pickletools' disassembly of a payload (it reads opcodes only and runs nothing), its first lines."""
    try:
        data = decompress(raw)
    except TooLarge as exc:
        return f"-- {exc}"
    out = _Lines(max_lines)
    more = ""
    try:
        pickletools.dis(data, out=out, annotate=0)
    except _Enough:
        more = f"-- stopped after {max_lines} lines"
    except Exception as exc:
        out.write(f"-- stopped: {type(exc).__name__}: {exc}\n")
    lines = out.getvalue().splitlines()
    return "\n".join([*lines, more] if more else lines)


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
    return _pretty(value, max_text, max_items, indent, set())


def _pretty(value: Any, max_text: int, max_items: int, indent: int, active: set[int]) -> str:
    pad = "  " * indent
    if isinstance(value, dict | list | tuple | set | frozenset) and len(value) <= 8:
        short = _SHORT.repr(value)
        if len(short) <= 60 and "..." not in short:
            return short
    if isinstance(value, str | bytes | bytearray) and len(value) > max_text:
        unit = "chars" if isinstance(value, str) else "bytes"
        return f"{value[:max_text]!r}… ({size(len(value))} {unit})"
    if isinstance(value, dict | list | tuple | set | frozenset) and value and id(value) in active:
        # a value that holds itself, shown as repr shows it
        return "{...}" if isinstance(value, dict | set | frozenset) else "[...]"
    if isinstance(value, dict) and value:
        items = list(value.items())
        active.add(id(value))
        lines = [
            f"{pad}  {k!r}: {_pretty(v, max_text, max_items, indent + 1, active).lstrip()}"
            for k, v in items[:max_items]
        ]
        active.discard(id(value))
        if len(items) > max_items:
            lines.append(f"{pad}  … {len(items) - max_items} more keys")
        return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list | tuple | set | frozenset) and value:
        items = list(value)
        brackets = "[]" if isinstance(value, list) else "()" if isinstance(value, tuple) else "{}"
        opening, closing = brackets[0], brackets[1]
        if not any(isinstance(v, dict | list | tuple | set | frozenset) for v in items):
            shown = ", ".join(_pretty(v, max_text, max_items, 0, active) for v in items[:max_items])
            more = f", … {len(items) - max_items} more" if len(items) > max_items else ""
            if isinstance(value, tuple) and len(items) == 1:
                closing = ",)"
            return f"{opening}{shown}{more}{closing}"
        active.add(id(value))
        lines = [
            f"{pad}  {_pretty(v, max_text, max_items, indent + 1, active).lstrip()}"
            for v in items[:max_items]
        ]
        active.discard(id(value))
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
