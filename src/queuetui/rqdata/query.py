"""The filter language of the jobs views and `queuetui jobs list --filter`.

    func:send_email exc:Timeout queue:emails worker:w1 age>1h meta.tenant:acme
    timeout !func:report "connection refused" OR exc:KeyError

Terms are ANDed; `OR` (upper case) separates alternatives and binds loosest; `!` negates a term or a
parenthesised group. `field:value` matches when the field contains value, case-insensitively.
`age` and `duration` compare with > >= < <= and take 90s, 15m, 1h30m, 2d; `retries` compares
numbers. A bare word matches the job id, the function or the exception message. Quote values that
hold spaces or colons. `never:` matches the deferred jobs that can never run (`never:failed`, by
reason; see deps.py). `tenant:acme` matches the jobs whose tenant (job meta under [tenants] meta_key)
is exactly acme; `tenant:` alone, the jobs without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queuetui.config import DEFAULT_TENANT_KEY
from queuetui.rqdata.rows import ROW_FIELDS, JobRow

TEXT_FIELDS = ("id", "func", "args", "exc", "msg", "sig", "queue", "worker", "status", "group", "never")
NUMBER_FIELDS = ("age", "duration", "retries")
FIELDS = (*TEXT_FIELDS, *NUMBER_FIELDS, "tenant", "meta.KEY")


MAX_NESTING = 64
"""How deep `!` and parentheses may nest: deeper is a QueryError, not a RecursionError."""


class QueryError(ValueError):
    """A malformed filter: the message says what is wrong and at which column."""


@dataclass(frozen=True)
class Token:
    text: str
    column: int
    quoted: bool = False
    """The token began with a quote: it is text, never a field, operator or keyword."""


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(Token(ch, i + 1))
            i += 1
            continue
        if ch == "!" and i + 1 < n and not source[i + 1].isspace():
            tokens.append(Token("!", i + 1))
            i += 1
            continue
        start, word, quoted = i, [], ch in "\"'"
        while i < n and not source[i].isspace() and source[i] not in "()":
            if source[i] in "\"'":
                quote, opened_at = source[i], i
                end = source.find(quote, i + 1)
                if end < 0:
                    raise QueryError(f"unclosed {quote} at column {opened_at + 1}")
                word.append(source[i + 1 : end])
                i = end + 1
            else:
                word.append(source[i])
                i += 1
        tokens.append(Token("".join(word), start + 1, quoted))
    return tokens


class Node:
    def match(self, row: JobRow, now: datetime) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Not(Node):
    inner: Node

    def match(self, row: JobRow, now: datetime) -> bool:
        return not self.inner.match(row, now)


@dataclass(frozen=True)
class All(Node):
    parts: tuple[Node, ...]

    def match(self, row: JobRow, now: datetime) -> bool:
        return all(p.match(row, now) for p in self.parts)


@dataclass(frozen=True)
class Any_(Node):
    parts: tuple[Node, ...]

    def match(self, row: JobRow, now: datetime) -> bool:
        return any(p.match(row, now) for p in self.parts)


def signature(row: JobRow) -> str:
    """What failures have in common: exception type and message with numbers, ids and hex masked."""
    if row.exception is None:
        return "(unreadable)" if row.problem else "(no exception recorded)"
    message = normalise_message(row.exception.message)
    return row.exception.summary(message)


_MASKS = (
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<id>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "<id>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def normalise_message(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    for pattern, mask in _MASKS:
        first = pattern.sub(mask, first)
    return first[:200]


_TEXT_GETTERS: dict[str, Callable[[JobRow], str]] = {
    "id": lambda r: r.id,
    "func": lambda r: r.func,
    "args": lambda r: r.args,
    "exc": lambda r: r.exception.type if r.exception else "",
    "msg": lambda r: r.exception.message if r.exception else "",
    "sig": signature,
    "queue": lambda r: r.origin or r.queue,
    "worker": lambda r: r.worker,
    "status": lambda r: r.status,
    "group": lambda r: r.group_id,
    "never": lambda r: r.never,
}


@dataclass(frozen=True)
class Contains(Node):
    field: str
    value: str

    def match(self, row: JobRow, now: datetime) -> bool:
        if self.field == "sig":
            return signature(row) == self.value
        if self.field == "never" and not self.value:
            return bool(row.never)
        return self.value.lower() in _TEXT_GETTERS[self.field](row).lower()


@dataclass(frozen=True)
class Meta(Node):
    key: str
    value: str
    exact: bool = False
    """Equal, case and all (tenant:), not contained; an empty value matches a missing or empty one."""

    def match(self, row: JobRow, now: datetime) -> bool:
        if self.exact:
            found = row.meta.get(self.key) if row.meta else None
            return ("" if found is None else str(found)) == self.value
        if not row.meta or self.key not in row.meta:
            return False
        return self.value.lower() in str(row.meta[self.key]).lower()


@dataclass(frozen=True)
class FreeText(Node):
    value: str

    def match(self, row: JobRow, now: datetime) -> bool:
        needle = self.value.lower()
        message = row.exception.message if row.exception else ""
        return any(needle in part.lower() for part in (row.id, row.func, message))


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ":": lambda a, b: a == b,
}


@dataclass(frozen=True)
class Compare(Node):
    field: str
    op: str
    value: float

    def match(self, row: JobRow, now: datetime) -> bool:
        actual: Any
        if self.field == "age":
            actual = row.age(now)
        elif self.field == "duration":
            actual = row.duration(now)
        else:
            actual = row.retries_left
        return actual is not None and _COMPARE[self.op](actual, self.value)


_DURATION = re.compile(
    r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$"
)


def parse_duration(value: str) -> float | None:
    """Seconds in '90', '90s', '15m', '1h30m', '2d'; None if it is not a duration."""
    match = _DURATION.match(value.strip().lower())
    if not value.strip() or not match or not any(match.groups()):
        return None
    d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return d * 86400 + h * 3600 + m * 60 + s


# The job hash fields each field of the language reads (func, args and bare words read the payload).
_HASH_FIELDS: dict[str, tuple[str, ...]] = {
    "exc": ("exc_info",),
    "msg": ("exc_info",),
    "sig": ("exc_info",),
    "queue": ("origin",),
    "worker": ("worker_name",),
    "status": ("status",),
    "group": ("group_id",),
    "age": ("created_at", "enqueued_at", "started_at", "ended_at"),
    "duration": ("started_at", "ended_at"),
    "retries": ("retries_left",),
}

_TERM = re.compile(r"^([A-Za-z_][\w.-]*)(>=|<=|>|<|=|:)(.*)$", re.S)


@dataclass(frozen=True)
class Query:
    source: str
    root: Node | None

    def match(self, row: JobRow, now: datetime) -> bool:
        return self.root is None or self.root.match(row, now)

    @property
    def needs_meta(self) -> bool:
        return self.root is not None and _uses(self.root, lambda n: isinstance(n, Meta))

    @property
    def needs_exceptions(self) -> bool:
        return self.root is not None and _uses(self.root, lambda n: isinstance(n, FreeText) or (
            isinstance(n, Contains) and n.field in ("exc", "msg", "sig")))  # fmt: skip

    @property
    def needs_payload(self) -> bool:
        """Only function, args and free-text terms need the payload decoded."""
        return self.root is not None and _uses(self.root, lambda n: isinstance(n, FreeText) or (
            isinstance(n, Contains) and n.field in ("func", "args")))  # fmt: skip

    @property
    def needs_deps(self) -> bool:
        """`never:` terms need each deferred job's dependencies read (deps.flag_rows)."""
        return self.root is not None and _uses(
            self.root, lambda n: isinstance(n, Contains) and n.field == "never"
        )

    @property
    def fields(self) -> tuple[str, ...]:
        """The job hash fields the filter tests: a walk reads and decodes only these."""
        wanted: set[str] = set()
        for node in _terms(self.root) if self.root is not None else ():
            if isinstance(node, Contains | Compare):
                wanted.update(_HASH_FIELDS.get(node.field, ()))
            elif isinstance(node, FreeText):
                wanted.add("exc_info")
            elif isinstance(node, Meta):
                wanted.add("meta")
        return tuple(f for f in (*ROW_FIELDS, "meta") if f in wanted)

    def __bool__(self) -> bool:
        return self.root is not None


def _terms(node: Node) -> Iterator[Node]:
    """The terms of a filter, through its NOT, AND and OR."""
    if isinstance(node, Not):
        yield from _terms(node.inner)
    elif isinstance(node, All | Any_):
        for part in node.parts:
            yield from _terms(part)
    else:
        yield node


def _uses(node: Node, test: Callable[[Node], bool]) -> bool:
    return any(test(term) for term in _terms(node))


class _Parser:
    def __init__(self, source: str, tenant_key: str = DEFAULT_TENANT_KEY) -> None:
        self.source = source
        self.tenant_key = tenant_key
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.alternatives()
        extra = self.peek()
        if extra is not None:
            raise QueryError(f"unexpected {extra.text!r} at column {extra.column}")
        return node

    def alternatives(self) -> Node:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token.text == "OR" and not token.quoted:
            self.take()
            if self.peek() is None or self.peek().text == ")":  # type: ignore[union-attr]
                raise QueryError(f"OR at column {token.column} needs a term after it")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def conjunction(self) -> Node:
        parts: list[Node] = []
        while (token := self.peek()) is not None and (token.quoted or token.text not in ("OR", ")")):
            parts.append(self.unary())
        if not parts:
            token = self.peek()
            where = f"at column {token.column}" if token else "at the end"
            raise QueryError(f"expected a term {where}")
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def unary(self) -> Node:
        token = self.take()
        if token.text in ("!", "(") and not token.quoted:
            self.depth += 1
            if self.depth > MAX_NESTING:
                where = f"at column {token.column}"
                raise QueryError(f"{token.text!r} {where} nests deeper than {MAX_NESTING} levels")
            node = self._negation(token) if token.text == "!" else self._group(token)
            self.depth -= 1
            return node
        if token.text == ")" and not token.quoted:
            raise QueryError(f"unmatched ')' at column {token.column}")
        return term(token, self.tenant_key)

    def _negation(self, token: Token) -> Node:
        if self.peek() is None:
            raise QueryError(f"'!' at column {token.column} needs a term after it")
        return Not(self.unary())

    def _group(self, token: Token) -> Node:
        inner = self.alternatives()
        closing = self.peek()
        if closing is None or closing.text != ")":
            raise QueryError(f"'(' at column {token.column} is never closed")
        self.take()
        return inner


def term(token: Token, tenant_key: str = DEFAULT_TENANT_KEY) -> Node:
    match = None if token.quoted else _TERM.match(token.text)
    if match is None:
        return FreeText(token.text)
    name, op, value = match.groups()
    where = f"at column {token.column}"
    if name == "tenant":
        if op != ":":
            raise QueryError(f"use tenant:NAME {where} (tenant: alone for jobs without one)")
        return Meta(tenant_key, value, exact=True)
    if name.startswith("meta."):
        if op != ":" or not name[5:]:
            raise QueryError(f"use meta.KEY:value {where}")
        return Meta(name[5:], value)
    if name in NUMBER_FIELDS:
        number = parse_duration(value) if name != "retries" else _number(value)
        if number is None:
            example = "retries>0" if name == "retries" else f"{name}>1h (90s, 15m, 1h30m, 2d)"
            raise QueryError(
                f"{name} needs a {'number' if name == 'retries' else 'duration'} {where}, e.g. {example}"
            )
        return Compare(name, op, number)
    if name in TEXT_FIELDS:
        if op != ":":
            raise QueryError(f"{name} takes ':' not {op!r} {where} (only age, duration, retries compare)")
        if not value and name != "never":  # a bare never: means any reason
            raise QueryError(f"{name}: needs a value {where}")
        return Contains(name, value)
    raise QueryError(
        f"unknown field {name!r} {where}; fields: {', '.join(FIELDS)} (quote text that holds ':')"
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def parse(source: str, tenant_key: str = DEFAULT_TENANT_KEY) -> Query:
    """Parse a filter (tenant: reads job meta `tenant_key`); raises QueryError naming the column."""
    return Query(source.strip(), _Parser(source, tenant_key).parse())


def with_tenant_term(source: str, tenant: str) -> str:
    """`source` narrowed to the jobs of `tenant` (a tenant:NAME term ANDed to the whole filter)."""
    quote = "'" if '"' in tenant else '"'
    if quote in tenant:
        raise QueryError(f"a tenant name cannot hold both kinds of quote: {tenant!r}")
    term_text = f"tenant:{quote}{tenant}{quote}"
    return f"({source}) {term_text}" if source.strip() else term_text
