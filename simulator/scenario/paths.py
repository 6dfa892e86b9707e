"""Dotted field paths (``adoption.cohorts[0].size``): parsing, reading and setting."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel

from .errors import ScenarioError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        if m.start() != pos and path[pos:m.start()] != ".":
            raise ScenarioError([f"{path}: not a valid field path"])
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(path):
        raise ScenarioError([f"{path}: not a valid field path"])
    return parts


def get_path(data: Any, path: str) -> Any:
    """Value at a dotted path in a scenario dict or model (``levers.change_plan.enabled``)."""
    cur = data.to_dict() if isinstance(data, BaseModel) else data
    for p in _split_path(path):
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError([f"{path}: no such field"]) from None
    return cur


def _set_path(data: dict, path: str, value: Any) -> None:
    parts = _split_path(path)
    cur: Any = data
    for p in parts[:-1]:
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError([f"{path}: no such field"]) from None
    last = parts[-1]
    try:
        if isinstance(cur, list):
            cur[last] = value
        elif isinstance(cur, dict):
            cur[last] = copy.deepcopy(value)
        else:
            raise TypeError
    except (IndexError, TypeError):
        raise ScenarioError([f"{path}: no such field"]) from None


# --------------------------------------------------------------------------- loading
