"""The one walker of the schema's field metadata: unit, meaning, allowed range, kind.

Every field declares its unit and range once (``uncertain`` / ``plain`` in
:mod:`.fields`); labels, error messages, sweeps, breakeven searches and the reference page
read them through :func:`field_meta`, which walks a dotted path down any model class given
as ``root`` (the scenario's bound versions are in :mod:`.describe`).
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .errors import ScenarioError
from .paths import _split_path


def unit_kind(unit: str) -> str:
    """Format kind of a schema unit: money, share, count or number."""
    if unit.startswith("currency"):
        return "money"
    if unit == "share":
        return "share"
    if unit in ("users", "corrections"):
        return "count"
    return "number"


@dataclass(frozen=True)
class FieldMeta:
    """What the schema declares about one field: unit, meaning, allowed range, kind."""

    path: str
    name: str
    unit: str  # as declared: "currency/hour", "share", "minutes/task", "" for none
    description: str
    lo: float  # -inf when unbounded below
    hi: float  # +inf when unbounded above
    uncertain: bool
    info: FieldInfo

    @property
    def kind(self) -> str:
        """Format kind (see :mod:`simulator.formatting`): money, share, count, number."""
        return unit_kind(self.unit)

    @property
    def has_range(self) -> bool:
        return (self.lo, self.hi) != (-math.inf, math.inf)

    @property
    def extra(self) -> dict[str, Any]:
        """The field's declared extras (unit, lo, hi, uncertain, limit)."""
        e = self.info.json_schema_extra
        return e if isinstance(e, dict) else {}

    @property
    def limit(self) -> bool:
        """Whether the upper end guards against overflow (an open end in practice)."""
        return bool(self.extra.get("limit"))


def info_meta(info: FieldInfo, name: str, path: str | None = None) -> FieldMeta:
    """The :class:`FieldMeta` of a pydantic ``FieldInfo`` (its extra and ge/gt/le/lt)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    lo, hi = extra.get("lo"), extra.get("hi")
    if not extra.get("uncertain"):
        for m in info.metadata:
            for attr in ("ge", "gt"):
                if getattr(m, attr, None) is not None:
                    lo = getattr(m, attr)
            for attr in ("le", "lt"):
                if getattr(m, attr, None) is not None:
                    hi = getattr(m, attr)
    return FieldMeta(path=path or name, name=name, unit=str(extra.get("unit", "")),
                     description=info.description or "",
                     lo=-math.inf if lo is None else float(lo),
                     hi=math.inf if hi is None else float(hi),
                     uncertain=bool(extra.get("uncertain")), info=info)


def split_path(path: str) -> list[str | int]:
    """``adoption.cohorts[0].size`` -> ``["adoption", "cohorts", 0, "size"]`` (KeyError
    naming the path when it is not a field path)."""
    try:
        return _split_path(path)
    except ScenarioError:
        raise KeyError(f"{path}: not a valid field path") from None


def field_meta(path: str, root: type[BaseModel]) -> FieldMeta:
    """Metadata of the field at a dotted ``path`` below model class ``root``.

    Dict keys (tier names) and list indices (``cohorts[0]`` or ``cohorts.0``) are stepped
    over; a path into a distribution table (``economics.hourly_cost.mode``) gets its
    uncertain input's metadata. Raises ``KeyError`` naming the path when no such field.
    """
    ann: Any = root
    meta: FieldMeta | None = None
    for part in split_path(path):
        origin = typing.get_origin(ann)
        if origin in (list, dict):
            ann = typing.get_args(ann)[-1]
            continue
        if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str):
            info = ann.model_fields.get(part)
            if info is None:
                break
            meta = info_meta(info, part, path)
            if meta.uncertain:
                return meta
            ann = info.annotation
            continue
        break
    else:
        if meta is not None:
            return meta
    raise KeyError(f"{path}: no such field in the scenario format")


def allowed_range(path: str, root: type[BaseModel]) -> tuple[float, float] | None:
    """[lo, hi] the field at ``path`` (or a distribution parameter of it) must lie in; None
    when the field is unknown or declares no numeric range."""
    try:
        meta = field_meta(path, root)
    except KeyError:
        return None
    return (meta.lo, meta.hi) if meta.has_range else None


__all__ = ["FieldMeta", "allowed_range", "field_meta", "info_meta", "split_path", "unit_kind"]
