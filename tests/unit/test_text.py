"""present.text: the one rule that turns data into literal, harmless text (issue #16)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content

from queuetui.present.table import fit
from queuetui.present.text import LINE_LIMIT, safe, safe_block
from queuetui.tui.text import line, literal, literal_block
from tests.hostile import NAMED, hostile, leaks

anything = st.one_of(hostile, st.text(), st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")))


@settings(max_examples=150, deadline=None)
@given(anything)
def test_safe_text_holds_nothing_a_terminal_acts_on_and_is_stable(value: str) -> None:
    shown = safe(value)
    assert not leaks(shown) and "\n" not in shown
    assert safe(shown) == shown  # escapes are plain text: safe twice is safe once
    block = safe_block(value)
    assert not leaks(block)
    assert not leaks(fit(value, 20)) and len(fit(value, 20)) <= 20
    assert not leaks(literal(value).plain) and not leaks(literal_block(value).plain)
    rendered = line(("x", "bold"), value)
    assert isinstance(rendered, Content) and not leaks(rendered.plain)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="ascii", min_codepoint=32, max_codepoint=126), max_size=50))
def test_printable_text_is_unchanged(value: str) -> None:
    assert safe(value) == value == safe_block(value)


def test_named_payloads_are_shown_not_acted_on() -> None:
    assert safe(NAMED["osc52"]) == "x\\x1b]52;c;aGFja2Vk\\x07y"
    assert safe(NAMED["bidi"]) == "x\\u202eevil\\u202cy"
    assert safe("a\x00b\x9bc\x7f\u200b\ufeff\u2028") == "a\\x00b\\x9bc\\x7f\\u200b\\ufeff\\u2028"
    assert safe("tab\there\nnext\r") == "tab\\there\\nnext\\r"
    assert safe_block("one\r\ntwo\tx\x1b[2J") == "one\ntwo    x\\x1b[2J"
    assert safe(NAMED["click_quit"]) == NAMED["click_quit"]  # markup is text: shown as it is
    assert line(NAMED["markup_close"]).plain == "mk[/]x"  # never parsed, so never a MarkupError
    assert literal(NAMED["link"]).spans == []


def test_bytes_that_are_not_utf8_show_as_escapes() -> None:
    assert safe(b"ok\xff\xfe") == "ok\\xff\\xfe"
    assert safe(b"ok\xff".decode("utf-8", "surrogateescape")) == "ok\\xff"
    assert safe("lone \ud800") == "lone \\ud800"


def test_long_values_are_cut_with_a_marker() -> None:
    shown = safe("x" * (LINE_LIMIT + 500))
    assert shown.endswith("… [500 more characters]") and len(shown) < LINE_LIMIT + 40
    assert safe("x" * 10, limit=0) == "x" * 10
