"""The README's configuration example is a file the config loader accepts, with the meaning it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queuetui.config import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    """The first TOML block of the README's Configuration section."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    found = re.search(r"```toml\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


def test_the_readme_configuration_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("QUEUETUI_REDIS_URL", "RQ_REDIS_URL", "QUEUETUI_NAME", "QUEUETUI_CONTEXT", "QUEUETUI_DB_URL"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(example(), encoding="utf-8")
    settings = load_settings(path=path)
    assert settings.keys == {"jobs.retry": "ctrl+r", "jobs.delete": "f8"}
    assert (settings.confirm_above, settings.throttle) == (100, 0)
    assert settings.name == "prod-eu" and settings.read_only
