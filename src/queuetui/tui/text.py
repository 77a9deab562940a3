"""Data as console text: a `rich.text.Text` of the literal text present.text makes of it.

Textual parses a plain `str` as markup in table cells, titles, Static, notify, Tree labels and option
prompts, so a queue named `mk[/]x` would crash a screen and `[@click=app.quit]` would be a live link.
A Text is never parsed: styles come from our code only, the text is data shown as it is.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import JustifyMethod, Text

from queuetui.present.text import BLOCK_LIMIT, LINE_LIMIT, safe, safe_block

Part = str | Text | tuple[str, StyleType]
"""A piece of a line: our own text (a str, never parsed), a Text, or (text, style)."""


def literal(
    value: object,
    style: StyleType = "",
    *,
    justify: JustifyMethod | None = None,
    no_wrap: bool | None = None,
    limit: int = LINE_LIMIT,
) -> Text:
    """One line of data, literal and safe, in `style`."""
    return Text(safe(value, limit), style=style, justify=justify, no_wrap=no_wrap)


def literal_block(value: object, style: StyleType = "", limit: int = BLOCK_LIMIT) -> Text:
    """Several lines of data (a traceback, a value), literal and safe, in `style`."""
    return Text(safe_block(value, limit), style=style)


def line(*parts: Part) -> Text:
    """Words and data in one Text, none of it parsed: a `str` or (str, style) part is made safe
    like `literal` (our own words come out as they are), a Text part is taken as it is."""
    return Text.assemble(
        *(
            part
            if isinstance(part, Text)
            else (safe(part[0]), part[1])
            if isinstance(part, tuple)
            else safe(part)
            for part in parts
        )
    )
