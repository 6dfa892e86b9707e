"""Field helpers: uncertain and plain fields with unit/range metadata, and the table base."""

from __future__ import annotations

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
