"""The field-metadata walker bound to the scenario format (:class:`.schema.Scenario`)."""

from __future__ import annotations

from typing import Any

from pydantic.fields import FieldInfo

from . import metadata
from .metadata import FieldMeta
from .schema import Scenario


def field_meta(path: str) -> FieldMeta:
    """Metadata of the scenario field at a dotted path (``KeyError`` if none)."""
    return metadata.field_meta(path, Scenario)


def allowed_range(path: str) -> tuple[float, float] | None:
    """[lo, hi] a scenario field (or a distribution parameter of it) must lie in; None when
    the field is unknown or declares no numeric range."""
    return metadata.allowed_range(path, Scenario)


def field_info(path: str) -> tuple[FieldInfo | None, dict[str, Any] | None]:
    """(FieldInfo, uncertain extra or None) of the scenario field at a dotted path; (None,
    None) if no such field."""
    try:
        meta = field_meta(path)
    except KeyError:
        return None, None
    return meta.info, (meta.extra if meta.uncertain else None)


__all__ = ["allowed_range", "field_info", "field_meta"]
