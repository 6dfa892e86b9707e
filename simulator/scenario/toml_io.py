"""TOML I/O: scenario text and files read as plain data, then validated.

Every scenario reaches the parser through :func:`parse_toml_text` (files, uploads, URL
links, sweep files): bytes that are not UTF-8 and brackets nested deeper than any scenario
needs are one error line here, before :mod:`tomllib` recurses into them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .schema import Scenario, parse_scenario

#: Deepest nesting of arrays / inline tables (and of dotted keys) a scenario may use; the
#: shipped scenarios need 4. Deeper text is refused before the recursive parser sees it.
MAX_TOML_NESTING = 32
#: Largest scenario or sweep file read, in bytes (the shipped ones are under 20 kB).
MAX_TOML_BYTES = 2 * 2**20

# Strings and comments, whose brackets do not nest anything.
_INERT = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|'
                    r"#[^\n]*")
_BRACKET = re.compile(r"[\[\]{}]")


def toml_nesting(text: str) -> int:
    """Deepest bracket nesting of TOML text, strings and comments skipped (linear time)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_INERT.sub("", text)):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _data_depth(data: Any) -> int:
    """Deepest nesting of parsed TOML data (dotted keys nest without brackets); iterative."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_TOML_NESTING:
            break
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def decode_toml_bytes(data: bytes, source: str | None = None) -> str:
    """UTF-8 text of a scenario file's bytes, or one error line (an .xlsx passed by mistake)."""
    if len(data) > MAX_TOML_BYTES:
        raise ScenarioError([f"file is {len(data):,} bytes; a scenario or sweep file must be "
                             f"under {MAX_TOML_BYTES:,} bytes"], source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"not UTF-8 text (byte {exc.start:,}): save the file as UTF-8 "
                             f"TOML"], source) from None


def parse_toml_text(text: str, source: str | None = None) -> dict[str, Any]:
    """TOML text as plain data; malformed or too deeply nested text raises
    :class:`ScenarioError` (one line)."""
    too_deep = [f"not valid TOML: nested more than {MAX_TOML_NESTING} levels deep "
                f"(allowed range 1..{MAX_TOML_NESTING})"]
    if toml_nesting(text) > MAX_TOML_NESTING:
        raise ScenarioError(too_deep, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML: {exc}"], source) from None
    except RecursionError:  # a backstop: the scan above refuses deep brackets first
        raise ScenarioError(too_deep, source) from None
    if _data_depth(data) > MAX_TOML_NESTING:
        raise ScenarioError(too_deep, source)
    return data


def loads_scenario(text: str, source: str | None = None) -> Scenario:
    """Parse and validate TOML text."""
    return parse_scenario(parse_toml_text(text, source), source)


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as plain data; unreadable, non-UTF-8, oversized, malformed or too deeply
    nested files raise :class:`ScenarioError` (one line)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise ScenarioError(["is a directory, not a scenario file"], str(p))
        with p.open("rb") as fh:  # bounded: /dev/zero or a huge file is not read whole
            data = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"cannot read file: {exc.strerror}"], str(p)) from None
    return parse_toml_text(decode_toml_bytes(data, str(p)), str(p))


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file."""
    return parse_scenario(read_toml(path), source=str(path))
