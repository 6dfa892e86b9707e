"""Field helpers: uncertain and plain fields with unit/range metadata, and the table base."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .dist_specs import _check_range

# Physical upper bounds. Generous enough for any enterprise in any currency (a weak
# currency runs ~1e5 units to the dollar), small enough that no valid scenario can
# overflow the float32 monthly trajectories (max ~3.4e38) or int64 counts: the largest
# month is below users x tasks x minutes x hourly cost = 1e8 x 1e5 x 1e4 x 1e7 / 60 ~ 2e22.
#: Users a scenario may register in all (pilot team and every cohort).
MAX_USERS = 100_000_000
#: Cohorts (rollout waves) a scenario may list.
MAX_COHORTS = 1_000
#: Go/no-go gates a scenario may list (each gate is checked on every path every month it
#: falls in: the count multiplies the work; one a month for four years is plenty).
MAX_GATES = 48
#: Onboarding tiers (each adds uncertain inputs, so columns on every path).
MAX_TIERS = 50
#: Rank correlations (each pair of inputs once at most).
MAX_CORRELATIONS = 1_000
#: Pilot team size.
MAX_PILOT_USERS = 1_000_000
#: Users in one cohort.
MAX_COHORT_SIZE = 10_000_000
MAX_TASKS_PER_USER_MONTH = 1e5
MAX_MINUTES_PER_TASK = 1e4
MAX_INCIDENTS_PER_MONTH = 1e5
#: Expected incidents in one month at full load, lambda (load / pilot load)^alpha at the
#: inputs' upper ends: keeps Poisson draws and their running total far inside int64.
MAX_INCIDENT_RATE = 1e12
MAX_CORRECTIONS = 1e12
MAX_MONEY_PER_HOUR = 1e7
MAX_MONEY_PER_TASK = 1e7
MAX_MONEY_PER_USER = 1e9
MAX_MONEY_PER_INCIDENT = 1e12
MAX_MONEY_PER_MONTH = 1e13
MAX_MONEY_ONE_OFF = 1e15


#: Upper ends that guard against overflow rather than describe a physical end: the field's
#: ``limit`` flag tells analyses (breakeven's search range) to treat that end as open.
_LIMITS = {MAX_TASKS_PER_USER_MONTH, MAX_MINUTES_PER_TASK, MAX_INCIDENTS_PER_MONTH,
           MAX_CORRECTIONS, MAX_MONEY_PER_HOUR, MAX_MONEY_PER_TASK, MAX_MONEY_PER_USER,
           MAX_MONEY_PER_INCIDENT, MAX_MONEY_PER_MONTH, MAX_MONEY_ONE_OFF}


def uncertain(default: Any = ..., *, lo: float = 0.0, hi: float, unit: str,
              doc: str) -> Any:
    """Field holding an uncertain input with its physical range [lo, hi] (both finite), unit
    and meaning."""
    return Field(default, description=doc,
                 json_schema_extra={"unit": unit, "lo": lo, "hi": hi, "uncertain": True,
                                    "limit": hi in _LIMITS})


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


def field_info(path: str):
    """(FieldInfo, uncertain extra or None) of the scenario field at a dotted path.

    Indices and tier names are skipped (``adoption.cohorts[0].size``,
    ``adoption.tiers.trained.ceiling``); a distribution parameter
    (``economics.hourly_cost.mode``) resolves to its input. (None, None) if no such field.
    """
    import typing

    from .paths import _split_path
    from .schema import Scenario

    model: Any = Scenario
    info = None
    try:
        parts = [p for p in _split_path(path) if isinstance(p, str)]
    except ValueError:
        return None, None
    i = 0
    while i < len(parts):
        fields = getattr(model, "model_fields", None)
        if fields is None or parts[i] not in fields:
            return None, None
        info = fields[parts[i]]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("uncertain"):
            return info, extra
        ann = info.annotation
        origin = typing.get_origin(ann)
        if origin is dict:
            model = typing.get_args(ann)[1]
            i += 2  # the tier name
            continue
        if origin is list:
            model = typing.get_args(ann)[0]
        else:
            model = ann
        i += 1
    return info, None


def allowed_range(path: str) -> tuple[float, float] | None:
    """[lo, hi] a scenario field (or a distribution parameter of it) must lie in; None when
    the field is unknown or declares no numeric range."""
    info, extra = field_info(path)
    if extra is not None:
        return float(extra["lo"]), float(extra["hi"])
    if info is None:
        return None
    lo, hi = -math.inf, math.inf
    for m in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = float(getattr(m, attr))
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = float(getattr(m, attr))
    return None if (lo, hi) == (-math.inf, math.inf) else (lo, hi)
