"""Generate docs/scenario-reference.md from the schema, so the two cannot disagree.

``python -m simulator.reference_doc > docs/scenario-reference.md`` rewrites it; a test
fails when the committed file differs from what the schema generates.
"""

from __future__ import annotations

import inspect
import math
import sys
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import scenario as S
from .labels import info_meta
from .scenario.schema import SignedOff, Usage

INTRO = """\
# Scenario file reference

A scenario is a TOML file. Tables below list every key with its unit, allowed range,
default and meaning. Unknown keys are rejected; a bad file reports one line per problem,
`field.path: value ... allowed ...`.

This file is generated from the schema (`python -m simulator.reference_doc >
docs/scenario-reference.md`); a test fails when they disagree.

## Uncertain inputs

Any key marked *uncertain* takes either a plain number (fixed) or an inline table naming
a distribution. Every value, bound and percentile must lie in the key's allowed range;
normal and lognormal inputs may put at most 0.5 % of their mass outside it (sampled
values are clipped to the range).

| `dist` | keys | meaning |
|---|---|---|
| (number) | | fixed value |
| `uniform` | `min`, `max` | uniform on [min, max] |
| `triangular` | `min`, `mode`, `max` | triangular |
| `pert` | `min`, `mode`, `max`, `lambda` (default 4) | PERT: beta with a = 1 + lambda (mode-min)/(max-min), b = 1 + lambda (max-mode)/(max-min), scaled to [min, max] |
| `normal` | `mean`, `sd` or `p10`, `p90` | normal |
| `lognormal` | `mu`, `sigma` (of ln x) or `p10`, `p90` | lognormal |
| `beta` | `alpha`, `beta`, `min` (0), `max` (1) | beta scaled to [min, max] |

Example: `ood_share = { dist = "pert", min = 0.15, mode = 0.25, max = 0.40 }`.

Money is in the scenario's `currency`; "share" means a fraction in [0, 1].

## Limits

Every number has a finite allowed range (the tables below): the upper ends are physical
limits generous enough for any enterprise in any currency, and small enough that no valid
scenario can overflow the simulation's monthly float32 trajectories or its integer counts.
`nan` and `inf` (valid TOML) are rejected wherever they appear, distribution parameters
included. Distribution parameters have limits of their own: PERT `lambda` in (0, 100],
beta `alpha` and `beta` in (0, 1e+06], lognormal `mu` in [-700, 700]. Across tables:

- users in all (the pilot team plus every cohort) at most {max_users};
- at most {max_cohorts} cohorts;
- incidents per month at full load, `pilot.incidents_per_month` x (users in all / pilot
  users) ^ `integration.load_exponent` with both inputs at their upper ends, at most
  {max_rate}.
"""

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("", S.Scenario, "top level (before any table)"),
    ("scenario", S.Meta, "[scenario]"),
    ("pilot", S.Pilot, "[pilot]"),
    ("data", S.Data, "[data]"),
    ("improvement", S.Improvement, "[improvement]"),
    ("integration", S.Integration, "[integration]"),
    ("adoption", S.Adoption, "[adoption]"),
    ("adoption.tiers.NAME", S.Tier, "[adoption.tiers.NAME]"),
    ("adoption.cohorts[i]", S.Cohort, "[[adoption.cohorts]]"),
    ("economics", S.Economics, "[economics]"),
    ("levers.variability_testing", S.VariabilityTesting, "[levers.variability_testing]"),
    ("levers.load_testing", S.LoadTesting, "[levers.load_testing]"),
    ("levers.change_plan", S.ChangePlan, "[levers.change_plan]"),
    ("levers.feedback_loop", S.FeedbackLoop, "[levers.feedback_loop]"),
    ("correlations[i]", S.Correlation, "[[correlations]]"),
    ("gates[i]", S.Gate, "[[gates]]"),
    ("usage", Usage, "[usage]"),
    ("signed_off", SignedOff, "[signed_off]"),
]

_SUBTABLES = {"tiers", "cohorts"}


def _num(x: float) -> str:
    if x == math.inf:
        return "inf"
    if float(x).is_integer() and 1e5 <= abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}"


def _intro() -> str:
    return (INTRO.replace("{max_users}", _num(S.MAX_USERS))
            .replace("{max_cohorts}", _num(S.MAX_COHORTS))
            .replace("{max_rate}", _num(S.MAX_INCIDENT_RATE)))


def _range(field) -> str:
    m = info_meta(field, "")
    if not m.has_range:
        return ""
    return f"[{'-inf' if m.lo == -math.inf else _num(m.lo)}, {_num(m.hi)}]"


def _kind(name: str, field) -> str:
    if info_meta(field, name).uncertain:
        return "uncertain"
    ann = field.annotation
    args = typing.get_args(ann)
    if type(None) in args and len(args) == 2:  # an optional key: X | None
        (inner,) = (a for a in args if a is not type(None))
        return f"{getattr(inner, '__name__', str(inner))}, optional"
    origin = typing.get_origin(ann)
    if origin is dict:
        return "table of tables"
    if origin is list:
        (item,) = typing.get_args(ann) or (None,)
        if isinstance(item, type) and not issubclass(item, BaseModel):
            return f"array of {item.__name__}"
        return "array of tables"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "table"
    return getattr(ann, "__name__", str(ann))


def _default(field) -> str:
    if field.default is PydanticUndefined:
        return "required" if field.default_factory is None else ""
    d: Any = field.default
    if d is None:
        return "not set"
    if isinstance(d, bool):
        return str(d).lower()
    if isinstance(d, str):
        return f'"{d}"' if d else '""'
    if isinstance(d, float):
        return _num(d)
    return str(d)


def fields_of(model: type[BaseModel]):
    """(name, FieldInfo) of a model's own scalar keys (sub-tables are listed separately)."""
    for name, f in model.model_fields.items():
        kind = _kind(name, f)
        if kind in ("table", "table of tables", "array of tables"):
            continue
        yield name, f


def schema_paths() -> list[str]:
    """Every documented key as ``section.key``: what the reference must list."""
    return [f"{prefix}.{name}" if prefix else name for prefix, model, _ in SECTIONS
            for name, _ in fields_of(model)]


def render() -> str:
    out = [_intro()]
    for prefix, model, header in SECTIONS:
        out.append(f"## `{header}`\n")
        out.append(inspect.cleandoc(model.__doc__ or "") + "\n")
        out.append("| key | kind | unit | allowed | default | meaning |")
        out.append("|---|---|---|---|---|---|")
        for name, f in fields_of(model):
            key = f"{prefix}.{name}" if prefix else name
            out.append(f"| `{key}` | {_kind(name, f)} | {info_meta(f, name).unit} | "
                       f"{_range(f)} | {_default(f)} | {f.description or ''} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render())
