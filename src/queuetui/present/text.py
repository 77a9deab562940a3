"""The one rule for showing data: any string from Redis, the database, a file or the operator becomes
literal text here, before it reaches a terminal (the CLI's stdout) or the console (which wraps it in a
Text that Textual never parses as markup: tui/text.py).

A terminal acts on some characters instead of showing them: ESC starts a sequence that can write the
clipboard (OSC 52), plant a hyperlink (OSC 8), clear the screen or leave the alternate screen; C1
controls do the same on terminals that honour them; CR and BS overwrite what is already shown; bidi
overrides and zero-width characters make text read other than it is. Each of these is shown as its
Python escape (`\\x1b`, `\\u202e`), so the operator sees that it is there and what it is. Bytes that are
not UTF-8 show as `\\xNN`. Values longer than a limit are cut with a marker saying how much is hidden.

Escapes are plain ASCII, so text made safe once stays the same when made safe again. JSON output keeps
exact data and never goes through here: JSON escapes for itself.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

LINE_LIMIT = 2_000
"""Characters of one value shown on a line (a cell, a title, a field) before it is cut."""
BLOCK_LIMIT = 100_000
"""Characters of a multi-line body (a traceback, a pretty-printed value) before it is cut."""

_SHOWN_NAMES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


@lru_cache(maxsize=4096)
def _needs_escape(char: str) -> bool:
    """Control (Cc: C0, DEL, C1), format (Cf: bidi, zero-width, BOM...), surrogate (Cs: bytes that
    were not UTF-8) and line or paragraph separator (Zl, Zp) characters are never written as they are."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _escape(char: str) -> str:
    if char in _SHOWN_NAMES:
        return _SHOWN_NAMES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by the surrogateescape handler
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _cut(text: str, limit: int) -> str:
    if limit <= 0 or len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]"


def _as_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    return value if isinstance(value, str) else str(value)


def safe(value: object, limit: int = LINE_LIMIT) -> str:
    """`value` as one line of literal text: every control, format or bidi character, newlines and
    tabs too, shown as its escape; cut after `limit` characters (0: never)."""
    text = _cut(_as_str(value), limit)
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(c) if c in _SHOWN_NAMES or _needs_escape(c) else c for c in text)


def safe_block(value: object, limit: int = BLOCK_LIMIT) -> str:
    """`value` as literal text over several lines: newlines stay, a tab becomes four spaces, CR LF
    becomes a newline; every other control, format or bidi character shows as its escape."""
    text = _cut(_as_str(value), limit).replace("\r\n", "\n").replace("\t", "    ")
    return "\n".join(safe(line, 0) for line in text.split("\n"))
