"""TOML I/O: scenario text and files read as plain data, then validated."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .schema import Scenario, parse_scenario


def loads_scenario(text: str, source: str | None = None) -> Scenario:
    """Parse and validate TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML: {exc}"], source) from None
    return parse_scenario(data, source)


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as plain data; unreadable or malformed files raise :class:`ScenarioError`."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError([f"cannot read file: {exc.strerror}"], str(p)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML: {exc}"], str(p)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file."""
    return parse_scenario(read_toml(path), source=str(path))
