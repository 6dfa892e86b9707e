"""Every number in the schema has a finite allowed range, and the limits are enforced with
one line naming the field, the value and the range."""

from __future__ import annotations

import math
import typing

import pytest
from pydantic import BaseModel

import simulator.scenario as S
from simulator import ScenarioError
from simulator.schema_doc import render


def _models() -> list[type[BaseModel]]:
    seen, todo = [], [S.Scenario]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.append(m)
        for f in m.model_fields.values():
            for t in (f.annotation, *typing.get_args(f.annotation)):
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
    return seen


def test_every_number_in_the_schema_has_a_finite_upper_bound():
    unbounded = []
    for model in _models():
        for name, f in model.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            if extra.get("uncertain"):
                if not (math.isfinite(extra["lo"]) and math.isfinite(extra["hi"])):
                    unbounded.append(f"{model.__name__}.{name}")
            elif f.annotation in (int, float):
                hi = [m.le for m in f.metadata if getattr(m, "le", None) is not None]
                if not hi or not math.isfinite(hi[0]):
                    unbounded.append(f"{model.__name__}.{name}")
    assert not unbounded


def test_schema_documents_the_limits():
    doc = render()
    assert "| `economics.support_per_active_user_month` | uncertain | currency/active user/" \
           "month | [0, 1e+09] |" in doc
    assert "## Limits" in doc and "at most 1e+08" in doc


@pytest.mark.parametrize(("change", "expected"), [
    ({"economics.support_per_active_user_month": 1e100},
     "economics.support_per_active_user_month: 1e+100 is above 1e+09"),
    ({"economics.build_cost": math.inf},
     "economics.build_cost: inf is not a finite number (allowed range [0, 1e+15])"),
    ({"economics.hourly_cost": {"dist": "pert", "min": 10, "mode": math.nan, "max": 20}},
     "economics.hourly_cost.mode: nan is not a finite number (allowed range [0, 1e+07])"),
    ({"economics.hourly_cost": {"dist": "normal", "mean": 50, "sd": math.inf}},
     "economics.hourly_cost.sd: inf is not a finite number (allowed range [0, 1e+07])"),
    ({"economics.hourly_cost": {"dist": "lognormal", "mu": 1e300, "sigma": 1}},
     "economics.hourly_cost.mu: 1e+300 is above 700"),
    ({"scenario.discount_rate_annual": math.nan},
     "scenario.discount_rate_annual: nan is not a finite number (allowed range [0, 1])"),
    ({"pilot.users": 2_000_000}, "pilot.users: 2000000 is above 1000000"),
    ({"economics.hourly_cost": "lots"},
     "economics.hourly_cost: 'lots' is neither a number nor a distribution table"),
    ({"pilot.users": 1, "pilot.incidents_per_month": 1e5, "integration.load_exponent": 5.0},
     "integration.load_exponent: up to 5 with 189 users against a pilot of 1"),
])
def test_limits_are_one_line_naming_field_value_and_range(seed_case, change, expected):
    with pytest.raises(ScenarioError) as exc:
        seed_case.with_values(change)
    (line,) = exc.value.problems
    assert line.startswith(expected), line


def test_too_many_users_or_cohorts_are_one_line(seed_case):
    big = [{"name": f"w{i}", "size": S.MAX_COHORT_SIZE, "tier": "trained"} for i in range(11)]
    many = [{"name": f"w{i}", "size": 1, "tier": "trained"} for i in range(S.MAX_COHORTS + 1)]
    for cohorts, expected in ((big, "adoption.cohorts: 110,000,012 users in all"),
                              (many, "adoption.cohorts: has 1001 entries; at most 1000")):
        with pytest.raises(ScenarioError) as exc:
            seed_case.with_values({"adoption.cohorts": cohorts})
        (line,) = exc.value.problems
        assert line.startswith(expected), line


def test_allowed_range_resolves_fields_and_distribution_parameters():
    assert S.allowed_range("economics.hourly_cost.mode") == (0.0, S.MAX_MONEY_PER_HOUR)
    assert S.allowed_range("adoption.tiers.trained.cost_per_user") == (0.0, S.MAX_MONEY_PER_USER)
    assert S.allowed_range("adoption.cohorts[3].size") == (0.0, S.MAX_COHORT_SIZE)
    assert S.allowed_range("correlations[0].rho") == (-1.0, 1.0)
    assert S.allowed_range("no.such.field") is None
    assert S.allowed_range("scenario.name") is None
