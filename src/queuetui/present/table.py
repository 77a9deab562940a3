"""Table layout shared by the console and the CLI: columns that fill a width, cells cut to fit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from queuetui.present.text import safe


@dataclass(frozen=True)
class Column:
    label: str
    width: int
    """Fixed width, or the minimum of a flexible column."""
    flex: int = 0
    """Share of the spare width a flexible column takes (0: fixed)."""
    right: bool = False
    max_width: int = 0
    keep_end: bool = False
    """Cut at the start, not the end: the end says more ('…send_email')."""
    give_way: int = 0
    """0: the column stays at any width. Otherwise it is left out when the table does not fit, the
    highest first: the columns that identify a row or explain it stay, the ones that add to it go."""
    useful: int = 0
    """The width a column needs to say something (an exception's text): columns give way until it has
    it. 0: its `width`."""


def fitting(
    columns: Mapping[str, Column], names: Sequence[str], total: int, padding: int = 2
) -> tuple[str, ...]:
    """The columns of `names` a table `total` cells wide shows: those that give way are left out, the
    highest `give_way` first (the rightmost of equals), until every column left has its useful width."""
    kept = list(names)

    def needed() -> int:
        return sum(max(columns[n].width, columns[n].useful) + padding for n in kept)

    while needed() > total:
        candidates = [n for n in kept if columns[n].give_way]
        if not candidates:
            break
        kept.remove(max(candidates, key=lambda n: (columns[n].give_way, kept.index(n))))
    return tuple(kept)


def column_widths(columns: Sequence[Column], total: int, padding: int = 2) -> list[int]:
    """Widths that fill `total` cells: fixed columns keep theirs, flexible ones start from their useful
    width (when they have one) and share the rest."""
    widths = [max(c.width, c.useful) for c in columns]
    spare = total - sum(widths) - padding * len(columns)
    while spare > 0:
        growable = [
            i for i, c in enumerate(columns) if c.flex and (not c.max_width or widths[i] < c.max_width)
        ]
        if not growable:
            break
        weight = sum(columns[i].flex for i in growable)
        given = 0
        for i in growable:
            extra = max(1, spare * columns[i].flex // weight)
            if columns[i].max_width:
                extra = min(extra, columns[i].max_width - widths[i])
            extra = min(extra, spare - given)
            widths[i] += extra
            given += extra
        spare -= given
        if given == 0:
            break
    return widths


def fit(text: str, width: int, keep_end: bool = False) -> str:
    """`text` on one line in `width` cells, cut with '…' (at the start when the end matters more).

    Every cell of a table goes through here, so it is where a cell becomes literal text
    (present.text.safe): runs of spaces, tabs and newlines become one space, other controls show as
    escapes."""
    text = safe(" ".join(text.split()))
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1 :] if keep_end else text[: max(0, width - 1)] + "…"


def fit_fields(text: str, width: int) -> str:
    """A value made of space-separated fields (a cron expression) in `width` cells: whole fields only,
    and when some do not fit, a separate '…' for them, so `*/30 * * * * *` never reads as the 5-field
    `*/30 * * * *`: it is whole, or `*/30 * * * …`."""
    text = safe(" ".join(text.split()))
    if len(text) <= width:
        return text
    shown = ""
    for field in text.split(" "):
        candidate = f"{shown} {field}" if shown else field
        if len(candidate) + 2 > width:
            break
        shown = candidate
    return f"{shown} …" if shown else "…"


def plain_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int = 0) -> str:
    """Rows as a plain-text table for the terminal, `width` wide (default: the terminal's)."""
    import shutil

    widths = column_widths(columns, width or shutil.get_terminal_size((120, 24)).columns)
    lines = []
    for cells in [[c.label for c in columns], *rows]:
        parts = [
            fit(text, w, c.keep_end).rjust(w) if c.right else fit(text, w, c.keep_end).ljust(w)
            for text, w, c in zip(cells, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


_URL = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^@/]*@)?(?P<host>\[[^\]]*\]|[^/:]*)(?P<port>:\d+)?(?P<rest>/.*)?$"
)


def fit_url(url: str, width: int) -> str:
    """A (redacted) URL in `width` cells without ever cutting its port or scheme: the database path
    goes first, then the user and password part, then the middle of the host ('redis.p…ernal');
    what still does not fit shows as '…', never as another address."""
    url = safe(url)
    if len(url) <= width:
        return url
    match = _URL.match(url)
    if match is None or not match.group("host"):  # unix:///run/redis.sock: the end says which
        return fit(url, width, keep_end=True) if width >= 8 else ""
    scheme, user, host, port = (match.group(g) or "" for g in ("scheme", "user", "host", "port"))
    for candidate in (f"{scheme}{user}{host}{port}", f"{scheme}{host}{port}"):
        if len(candidate) <= width:
            return candidate
    room = width - len(scheme) - len(port)
    if room >= 5:
        head, tail = room // 2, room - 1 - room // 2
        return f"{scheme}{host[:head]}…{host[len(host) - tail :]}{port}"
    return "…" if width >= 1 else ""
