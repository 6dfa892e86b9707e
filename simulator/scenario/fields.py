"""Field helpers: uncertain and plain fields with unit/range metadata, and the table base."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .dist_specs import INF, _check_range


def uncertain(default: Any = ..., *, lo: float = 0.0, hi: float = INF, unit: str,
              doc: str) -> Any:
    """Field holding an uncertain input with its physical range, unit and meaning."""
    return Field(default, description=doc,
                 json_schema_extra={"unit": unit, "lo": lo, "hi": hi, "uncertain": True})


def plain(default: Any = ..., *, unit: str = "", doc: str, **kw) -> Any:
    """Field holding a fixed setting (not sampled)."""
    return Field(default, description=doc, json_schema_extra={"unit": unit}, **kw)


class Section(BaseModel):
    """Base of every scenario table: unknown keys rejected, uncertain inputs range-checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    @field_validator("*", mode="after")
    @classmethod
    def _within_range(cls, value: Any, info: ValidationInfo) -> Any:
        extra = cls.model_fields[info.field_name].json_schema_extra
        if isinstance(extra, dict) and extra.get("uncertain"):
            _check_range(value, extra["lo"], extra["hi"])
        return value

    def uncertain_items(self):
        """Yield (field name, value, lo, hi) for each uncertain field of this table."""
        for name, f in type(self).model_fields.items():
            extra = f.json_schema_extra
            if isinstance(extra, dict) and extra.get("uncertain"):
                yield name, getattr(self, name), extra["lo"], extra["hi"]


# --------------------------------------------------------------------------- sections
