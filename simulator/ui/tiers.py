"""The tier table: one row per onboarding tier, each uncertain field as low / likely / high.

A tier's ceiling, innovation p, imitation q and cost per user read back as the template's own
distribution when untouched, else PERT(low, likely, high) or a fixed number when all three are
equal (as in the Assumptions tab). Read back as the ``adoption.tiers`` table.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..scenario import Scenario, Tier
from .tables import PARTS, Edit, field_label, records, three, uncertain_value

FIELDS = ("ceiling", "innovation_p", "imitation_q", "cost_per_user")
COLUMNS = ("name", "description", *(f"{f}_{p}" for f in FIELDS for p in PARTS))
NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def bounds() -> dict[str, tuple[float, float]]:
    """(lo, hi) of each uncertain tier field, from the schema."""
    out = {}
    for name, f in Tier.model_fields.items():
        extra = f.json_schema_extra
        if isinstance(extra, dict) and extra.get("uncertain"):
            out[name] = (float(extra["lo"]), float(extra["hi"]))
    return out


def frame(sc: Scenario) -> pd.DataFrame:
    """The template's tiers in file order, low / likely / high per field."""
    b = bounds()
    rows = []
    for name, tier in sc.adoption.tiers.items():
        row: dict[str, Any] = {"name": name, "description": tier.description}
        for f in FIELDS:
            for p, v in zip(PARTS, three(getattr(tier, f), *b[f]), strict=True):
                row[f"{f}_{p}"] = v
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return df.astype({c: "float64" for c in COLUMNS[2:]} | {"name": "str",
                                                            "description": "str"})


def read(df: pd.DataFrame, template: Scenario) -> Edit:
    """The ``adoption.tiers`` table from the rows; names must be non-empty, unique and
    usable in an input path (letters, digits, ``_``, ``-``)."""
    out = Edit()
    b = bounds()
    tiers: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for r, row in enumerate(records(df), start=1):
        name = row.get("name")
        label = f"Tiers, row {r}" + (f" ({name})" if name else "")
        if name is None:
            out.problems.append(f"{label}, name: is empty (every tier needs a name)")
            continue
        name = str(name).strip()
        if not NAME.match(name):
            out.problems.append(f"{label}, name: {name!r} may use only letters, digits, _ "
                                f"and - (it becomes part of input paths)")
            continue
        if name in seen:
            out.problems.append(f"{label}, name: {name!r} is already the name of row "
                                f"{seen[name]}")
            continue
        seen[name] = r
        old = template.adoption.tiers.get(name)
        tier: dict[str, Any] = {"description": row.get("description") or ""}
        for f in FIELDS:
            tier[f] = uncertain_value(row, f, label, getattr(old, f, None), *b[f],
                                      problems=out.problems)
        tiers[name] = tier
        out.rows[f"adoption.tiers.{name}"] = label
    if tiers != template.to_dict()["adoption"]["tiers"]:
        out.changes["adoption.tiers"] = tiers
    return out


def names(df: pd.DataFrame) -> list[str]:
    """Tier names in the table (for the wave table's tier choices)."""
    return [str(r["name"]).strip() for r in records(df) if r.get("name")]


#: Short column heads: 14 columns must fit a 1,280 px window without sideways scrolling
#: (the help icon of each column gives the field's full name and meaning).
SHORT = {"ceiling": "Ceiling u", "innovation_p": "Bass p", "imitation_q": "Bass q",
         "cost_per_user": "Cost/user"}


def column_config(currency: str) -> dict[str, Any]:
    """Column types, ranges and help from the schema's Tier fields; narrow columns with
    short heads so the table fits the page without sideways scrolling."""
    import streamlit as st

    f = Tier.model_fields
    b = bounds()
    cfg: dict[str, Any] = {
        "name": st.column_config.TextColumn("Tier", help="Tier name, used by the waves.",
                                            width="small"),
        "description": st.column_config.TextColumn("Description",
                                                   help=f["description"].description,
                                                   width="small"),
    }
    for name in FIELDS:
        lo, hi = b[name]
        unit = str((f[name].json_schema_extra or {}).get("unit", "")).replace("currency",
                                                                              currency)
        for p in PARTS:
            kw: dict[str, Any] = {"min_value": lo}
            if hi != float("inf"):
                kw["max_value"] = hi
            cfg[f"{name}_{p}"] = st.column_config.NumberColumn(
                f"{SHORT.get(name, name)} {p}",
                help=f"{field_label(name).capitalize()}: {f[name].description} ({unit}; "
                     f"{p} of low / likely / high). Glossary: docs/glossary.md",
                width="small", **kw)
    return cfg


__all__ = ["COLUMNS", "FIELDS", "SHORT", "bounds", "column_config", "frame", "names", "read"]
