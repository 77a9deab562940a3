"""The [keys] table checked against the console's own bindings: a binding id no screen has, or a key
Textual would never send, is a config error naming the entry (Textual itself ignores both silently)."""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
from collections.abc import Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

from queuetui.config import ConfigError

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED = frozenset(
    name
    for key in Keys
    if not key.value.startswith("<")
    for name in (key.value, key.value.rpartition("+")[2])
    if name
)


@functools.cache
def binding_ids() -> frozenset[str]:
    """Every binding id of the console's screens, dialogs and widgets (each module imported once)."""
    import queuetui.tui

    for module in pkgutil.walk_packages(queuetui.tui.__path__, "queuetui.tui."):
        importlib.import_module(module.name)
    ids: set[str] = set()
    classes: list[type[DOMNode]] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        ids.update(b.id for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding) and b.id)
    return frozenset(ids)


def is_key(key: str) -> bool:
    """Whether Textual can send `key`: modifiers joined by '+' to a character or a key's name."""
    *modifiers, name = key.split("+")
    if not name or not set(modifiers) <= MODIFIERS or len(set(modifiers)) != len(modifiers):
        return False
    return len(name) == 1 or name in _NAMED or _names_a_character(name)


def _names_a_character(name: str) -> bool:
    """Whether Textual names a printable character `name` ('question_mark', 'slash'); Unicode's aliases
    of control characters ('esc', 'null') are not keys Textual sends."""
    char = key_to_character(REPLACED_KEYS.get(name, name))
    return char is not None and char.isprintable() and _character_to_key(char) == name


def check_keymap(keys: Mapping[str, str], where: str = "config") -> None:
    """Raise ConfigError naming the first [keys] entry whose id or keys cannot work."""
    if not keys:
        return
    known = binding_ids()
    for binding, value in keys.items():
        if binding not in known:
            near = difflib.get_close_matches(binding, sorted(known), n=3)
            hint = f"did you mean {', '.join(near)}?" if near else "? in the console lists every id"
            raise ConfigError(f"{where}: keys.{binding}: no key binding has this id ({hint})")
        for key in (part.strip() for part in value.split(",")):
            if not is_key(key):
                raise ConfigError(
                    f"{where}: keys.{binding}: {key!r} is not a key name "
                    '(e.g. "x", "ctrl+r", "f5", "question_mark", "shift+tab")'
                )
