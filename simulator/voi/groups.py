"""Named groups of inputs for the group EVPPI, by the prefix of the input path."""

from __future__ import annotations

from collections.abc import Iterable

#: Group name -> path prefixes, checked in this order (the first match wins).
GROUPS: dict[str, tuple[str, ...]] = {
    "accuracy and data": ("pilot.accuracy", "data.", "improvement."),
    "integration": ("pilot.incidents_per_month", "integration."),
    "adoption": ("adoption.",),
    "economics": ("economics.",),
    "levers": ("levers.",),
}
OTHER = "other"


def group_of(path: str) -> str:
    """The group an input path belongs to (``other`` if no prefix matches)."""
    for name, prefixes in GROUPS.items():
        if any(path == p or path.startswith(p) for p in prefixes):
            return name
    return OTHER


def group_members(paths: Iterable[str]) -> dict[str, list[str]]:
    """Non-empty groups of ``paths``, in the order of :data:`GROUPS`."""
    out: dict[str, list[str]] = {}
    for p in paths:
        out.setdefault(group_of(p), []).append(p)
    order = [*GROUPS, OTHER]
    return {g: out[g] for g in order if g in out}
