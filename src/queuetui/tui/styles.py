"""Where the Textual CSS lives: inside the installed package, or styles/ at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def style_path(name: str = "app.tcss") -> Path:
    for base in (_PACKAGE / "styles", _PACKAGE.parent.parent / "styles"):
        if (base / name).is_file():
            return base / name
    raise FileNotFoundError(f"stylesheet {name} is missing from the installation")
