"""What differs between two scenarios, one entry per changed field, for the deck's
'Edits to the scenario file' slide: derived from the scenarios themselves (the file and the
one simulated), so no edit made anywhere in the app can be missed or claimed untrue.

Nested sections are compared field by field (``adoption.tiers.trained.ceiling``); a
distribution is one value. The wave list is compared wave by wave (``adoption.cohorts[Wave
2]``: its name, size, start month and tier as one short text) and the correlations pair by
pair (``correlations[a ~ b]``: the rank correlation). A missing side reads :data:`NONE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

#: what an added or removed field, wave or correlation reads on the side it is missing from
NONE = "(none)"
COHORTS = "adoption.cohorts"
CORRELATIONS = "correlations"
_MISSING = object()


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _section(v: Any) -> bool:
    """A nested section (compared field by field), not a distribution or a plain value."""
    return isinstance(v, Mapping) and "dist" not in v


def _empty(v: Any) -> bool:
    return v is _MISSING or v is None or (isinstance(v, str) and not v)


def _plain(v: Any) -> Any:
    if v is _MISSING or v is None:
        return NONE
    if isinstance(v, list):
        return "; ".join(str(_plain(x)) for x in v) if v else "(empty)"
    return v


def wave_text(c: Mapping[str, Any]) -> str:
    """``Wave 2: 100 users, month 3, quick_start`` (name, size, start month, tier)."""
    size = c.get("size")
    size_t = f"{size:,}" if isinstance(size, int) else str(size)
    return f"{c.get('name', '')}: {size_t} users, month {c.get('start_month')}, {c.get('tier')}"


def _unique(out: Mapping[str, Any], key: str) -> str:
    if key not in out:
        return key
    n = 2
    while f"{key} #{n}" in out:
        n += 1
    return f"{key} #{n}"


def _pairs(a: list, b: list) -> list[tuple[int | None, int | None]]:
    """Waves of a changed stretch paired: the same name first, then by position (a
    renamed wave), the rest added (``(None, j)``) or removed (``(i, None)``)."""
    left = list(range(len(a)))
    match: dict[int, int | None] = {}
    for j, c in enumerate(b):
        i = next((i for i in left if a[i].get("name") == c.get("name")), None)
        if i is not None:
            left.remove(i)
            match[j] = i
    for j in range(len(b)):
        if j not in match:
            match[j] = left.pop(0) if left else None
    return [*((match[j], j) for j in range(len(b))), *((i, None) for i in left)]


def _cohorts(a: list, b: list, out: dict[str, tuple[Any, Any]]) -> None:
    """Wave by wave, aligned as a text diff aligns lines: unchanged waves are left out, a
    changed one is one entry (keyed by its new name), an added or removed one reads
    :data:`NONE` on the side it is missing from (a moved wave: removed and added)."""
    ta, tb = [wave_text(c) for c in a], [wave_text(c) for c in b]
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        for i, j in _pairs(a[i1:i2], b[j1:j2]):
            name = (b[j1 + j] if j is not None else a[i1 + i]).get("name", "")
            out[_unique(out, f"{COHORTS}[{name}]")] = (
                NONE if i is None else ta[i1 + i], NONE if j is None else tb[j1 + j])


def _correlations(a: list, b: list, out: dict[str, tuple[Any, Any]]) -> None:
    """Pair by pair (``a ~ b`` and ``b ~ a`` are one pair): the rank correlation."""
    def pairs(cors: list) -> dict[frozenset, tuple[str, Any]]:
        return {frozenset((c.get("a"), c.get("b"))): (f"{c.get('a')} ~ {c.get('b')}",
                                                       c.get("rho")) for c in cors}
    pa, pb = pairs(a), pairs(b)
    for key in dict.fromkeys([*pa, *pb]):
        before, after = pa.get(key, (None, NONE)), pb.get(key, (None, NONE))
        if before[1] != after[1]:
            name = after[0] or before[0]
            out[_unique(out, f"{CORRELATIONS}[{name}]")] = (before[1], after[1])


def _diff(a: Any, b: Any, path: str, out: dict[str, tuple[Any, Any]]) -> None:
    if a == b or (_empty(a) and _empty(b)):  # an empty field reads as a missing one
        return
    if path == COHORTS:
        _cohorts(a if isinstance(a, list) else [], b if isinstance(b, list) else [], out)
    elif path == CORRELATIONS:
        _correlations(a if isinstance(a, list) else [], b if isinstance(b, list) else [], out)
    elif (_section(a) or a is _MISSING) and (_section(b) or b is _MISSING):
        a = {} if a is _MISSING else a
        b = {} if b is _MISSING else b
        for key in dict.fromkeys([*a, *b]):
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), _join(path, str(key)), out)
    else:
        out[path] = (_plain(a), _plain(b))


def dict_edits(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{path: (value in ``before``, value in ``after``)} of every field that differs between
    two scenario documents (``Scenario.to_dict``), in the documents' order."""
    out: dict[str, tuple[Any, Any]] = {}
    _diff(before, after, "", out)
    return out


def scenario_edits(before, after) -> dict[str, tuple[Any, Any]]:
    """:func:`dict_edits` of two :class:`~simulator.scenario.Scenario` objects (empty when
    they are the same object)."""
    if before is after:
        return {}
    return dict_edits(before.to_dict(), after.to_dict())


__all__ = ["COHORTS", "CORRELATIONS", "NONE", "dict_edits", "scenario_edits", "wave_text"]
