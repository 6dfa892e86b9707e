"""Scenario files: schema, validation and loading.

A scenario is a TOML file validated with pydantic v2. Every uncertain input is either a
plain number or an inline table such as ``{ dist = "pert", min = 0.6, mode = 0.7,
max = 0.8 }``. Each field declares its unit and physical range; a file that breaks a
range, names an unknown key or an unknown tier is rejected with one line per problem,
``field.path: value ... allowed ...``, raised as :class:`ScenarioError`.

Modules: :mod:`.dist_specs` (distribution tables), :mod:`.fields` (field metadata and the
table base), :mod:`.schema` (the tables), :mod:`.paths` (dotted paths), :mod:`.errors`
(one line per problem) and :mod:`.toml_io` (reading TOML).
"""

from __future__ import annotations

from .dist_specs import (
    _TAIL_TOLERANCE,
    INF,
    Beta,
    DistSpec,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uncertain,
    Uniform,
    _check_range,
    _DistSpec,
    _fmt,
    as_dist,
)
from .errors import _JOIN, ScenarioError, _describe, _loc, _problems
from .fields import (
    MAX_COHORT_SIZE,
    MAX_COHORTS,
    MAX_CORRECTIONS,
    MAX_CORRELATIONS,
    MAX_GATES,
    MAX_INCIDENT_RATE,
    MAX_INCIDENTS_PER_MONTH,
    MAX_MINUTES_PER_TASK,
    MAX_MONEY_ONE_OFF,
    MAX_MONEY_PER_HOUR,
    MAX_MONEY_PER_INCIDENT,
    MAX_MONEY_PER_MONTH,
    MAX_MONEY_PER_TASK,
    MAX_MONEY_PER_USER,
    MAX_PILOT_USERS,
    MAX_TASKS_PER_USER_MONTH,
    MAX_TIERS,
    MAX_USERS,
    Section,
    allowed_range,
    field_info,
    plain,
    uncertain,
)
from .paths import _TOKEN, _set_path, _split_path, get_path
from .schema import (
    GATE_ACTIONS,
    LEVERS,
    Adoption,
    ChangePlan,
    Cohort,
    Correlation,
    Data,
    Economics,
    FeedbackLoop,
    Gate,
    Improvement,
    Integration,
    Levers,
    LoadTesting,
    Meta,
    Pilot,
    Scenario,
    Tier,
    VariabilityTesting,
    parse_scenario,
)
from .toml_io import (
    MAX_TOML_NESTING,
    load_scenario,
    loads_scenario,
    read_toml,
)

__all__ = [
    "MAX_COHORT_SIZE", "MAX_COHORTS", "MAX_CORRELATIONS", "MAX_GATES", "MAX_TIERS",
    "MAX_CORRECTIONS", "MAX_INCIDENT_RATE",
    "MAX_INCIDENTS_PER_MONTH", "MAX_MINUTES_PER_TASK", "MAX_MONEY_ONE_OFF",
    "MAX_MONEY_PER_HOUR", "MAX_MONEY_PER_INCIDENT", "MAX_MONEY_PER_MONTH", "MAX_MONEY_PER_TASK",
    "MAX_MONEY_PER_USER", "MAX_PILOT_USERS", "MAX_TASKS_PER_USER_MONTH", "MAX_USERS",
    "allowed_range", "field_info",
    "GATE_ACTIONS", "Gate", "INF", "LEVERS", "Adoption", "Beta", "ChangePlan", "Cohort",
    "Correlation", "Data",
    "DistSpec", "Economics", "FeedbackLoop", "Improvement", "Integration", "Levers",
    "LoadTesting", "LogNormal", "Meta", "Normal", "Pert", "Pilot", "Scenario",
    "ScenarioError", "Section", "Tier", "Triangular", "Uncertain", "Uniform",
    "VariabilityTesting", "as_dist", "get_path", "load_scenario", "loads_scenario",
    "parse_scenario", "plain", "read_toml", "uncertain", "MAX_TOML_NESTING",
]
_PRIVATE_COMPAT = (_TAIL_TOLERANCE, _DistSpec, _check_range, _fmt, _JOIN, _describe, _loc,
                   _problems, _TOKEN, _set_path, _split_path)
