"""The wave table: the pilot team as wave 0, then the rollout waves (size, start, tier).

Wave 0 is its own one-row table (size and tier editable, never removable); the rollout waves
can be added, removed and reordered (the *Order* column), or added whole through the
*Add a wave* form (no typing into the grid). Read back as ``pilot.users``,
``adoption.pilot_tier`` and the ``adoption.cohorts`` list, validated by the scenario schema.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario
from . import tables
from .tables import Edit, cell, records, whole

PILOT_NAME = "Pilot team (wave 0)"
PILOT_LABEL = "Pilot team (wave 0)"
WAVE_COLUMNS = ("order", "name", "size", "start_month", "tier")
PILOT_COLUMNS = ("name", "size", "start_month", "tier")
#: How the *Add a wave* form's entry is named in its problem lines.
FORM_LABEL = "Add a wave"


def pilot_frame(sc: Scenario) -> pd.DataFrame:
    """Wave 0: the pilot team, all active at month 0, adopting as ``adoption.pilot_tier``."""
    return pd.DataFrame({"name": [PILOT_NAME], "size": [sc.pilot.users], "start_month": [0],
                         "tier": [sc.adoption.pilot_tier]})


def waves_frame(sc: Scenario) -> pd.DataFrame:
    """The rollout waves in file order, numbered 1.. in the *Order* column."""
    rows = [{"order": i + 1, "name": c.name, "size": c.size, "start_month": c.start_month,
             "tier": c.tier} for i, c in enumerate(sc.adoption.cohorts)]
    df = pd.DataFrame(rows, columns=list(WAVE_COLUMNS))
    return df.astype({"order": "int64", "size": "int64", "start_month": "int64",
                      "name": "str", "tier": "str"})


def _sort_key(item: tuple[int, dict[str, Any]]) -> tuple[float, int]:
    i, row = item
    order = row.get("order")
    try:
        o = float(order)
    except (TypeError, ValueError):
        o = math.inf
    return (o if math.isfinite(o) else math.inf, i)


def read(pilot: pd.DataFrame, waves: pd.DataFrame, template: Scenario) -> Edit:
    """Changes for the pilot row and the wave rows (sorted by *Order*, ties in table order);
    a change appears only where it differs from ``template``."""
    out = Edit()
    prow = (records(pilot) or [{}])[0]
    size, tier = whole(prow.get("size")), prow.get("tier")
    out.rows["pilot.users"] = f"{PILOT_LABEL}, size"
    out.rows["adoption.pilot_tier"] = f"{PILOT_LABEL}, tier"
    if size is None:
        out.problems.append(f"{PILOT_LABEL}, size: is empty (the pilot team needs at least "
                            f"1 user)")
    elif size != template.pilot.users:
        out.changes["pilot.users"] = size
    if tier is None:
        out.problems.append(f"{PILOT_LABEL}, tier: is empty (choose the tier the pilot team "
                            f"adopted as)")
    elif tier != template.adoption.pilot_tier:
        out.changes["adoption.pilot_tier"] = tier

    rows = sorted(enumerate(records(waves)), key=_sort_key)
    cohorts = []
    for i, (r, row) in enumerate(rows):
        c = {"name": row.get("name"), "size": whole(row.get("size")),
             "start_month": whole(row.get("start_month")), "tier": row.get("tier")}
        if r < len(template.adoption.cohorts) and template.adoption.cohorts[r].includes_pilot:
            c["includes_pilot"] = True  # kept: the table has no column for it
        cohorts.append({k: v for k, v in c.items() if v is not None})
        out.rows[f"adoption.cohorts[{i}]"] = row_label(r + 1, row.get("name"))
    if cohorts != template.to_dict()["adoption"]["cohorts"]:
        out.changes["adoption.cohorts"] = cohorts
    return out


def row_label(r: int, name: Any = None) -> str:
    """How row ``r`` (1-based, empty rows not counted) of the wave table is named in messages."""
    return f"Waves, row {r}" + (f" ({name})" if name else "")


def new_wave(df: pd.DataFrame, name: Any, size: Any, start_month: Any,
             tier: Any) -> dict[str, Any]:
    """The row the *Add a wave* form appends to the wave table ``df``: ordered after every
    numbered wave, named "Wave N" (N: its row) when the name is left empty."""
    orders = pd.to_numeric(df["order"], errors="coerce").to_numpy(dtype=float)
    orders = orders[np.isfinite(orders)]
    order = int(orders.max()) + 1 if orders.size else 1
    name = str(name).strip() if name is not None else ""
    return {"order": order, "name": name or f"Wave {len(records(df)) + 1}",
            "size": whole(cell(size)), "start_month": whole(cell(start_month)),
            "tier": cell(tier)}


def append(df: pd.DataFrame, row: dict[str, Any]) -> pd.DataFrame:
    """``df`` with ``row`` as its last row (integer columns stay integers while complete)."""
    return tables.apply_edits(df, {"added_rows": [row]})


def entry_problems(row: dict[str, Any]) -> list[str]:
    """What the form checks before the schema: a size of at least one user (a table row may
    hold 0 while it is being typed; a wave added whole may not) and a tier chosen."""
    out = []
    size = row.get("size")
    if size is None:
        out.append(f"{FORM_LABEL}, size: is empty (give the number of users in the wave)")
    elif size < 1:
        out.append(f"{FORM_LABEL}, size: {size} is below 1 (a wave added here needs at "
                   f"least one user)")
    if row.get("tier") is None:
        out.append(f"{FORM_LABEL}, tier: is empty (add a tier to the tier table first)")
    return out


def stand_in(row: dict[str, Any], tier_names: list[str]) -> dict[str, Any]:
    """``row`` with the fields :func:`entry_problems` rejects replaced by valid values, so
    that the schema can judge the others."""
    out = dict(row)
    if out.get("size") is None or out["size"] < 1:
        out["size"] = 1
    if out.get("tier") is None and tier_names:
        out["tier"] = tier_names[0]
    return out


def entry_lines(lines: list[str], df: pd.DataFrame, row: dict[str, Any]) -> list[str]:
    """The wave table's problem lines about ``row`` (the last row of ``df``), named as the
    form's entry: the table's own messages, so both ways of adding a wave say the same."""
    label = row_label(len(records(df)), row.get("name"))
    return [FORM_LABEL + ln[len(label):] for ln in lines
            if ln.startswith((label + ",", label + ":"))]


def column_config(tiers: list[str], default_tier: str | None = None) -> dict[str, Any]:
    """Column types and ranges, from the schema's Cohort fields; tiers from the tier table.

    A new row starts as "New wave" of 0 users, at the schema's default start month, in
    ``default_tier`` (the app passes the last wave's): a valid wave straight away, so adding
    one does not interrupt the results; then the user types its size."""
    import streamlit as st

    from ..scenario import Cohort

    f = Cohort.model_fields
    return {
        "order": st.column_config.NumberColumn(
            "Order", help="Waves are listed and simulated in this order; change the numbers "
                          "to reorder (empty: last).", step=1),
        "name": st.column_config.TextColumn("Wave", help=f["name"].description,
                                            default="New wave"),
        "size": st.column_config.NumberColumn("Size (users)", help=f["size"].description,
                                              min_value=0, step=1, default=0),
        "start_month": st.column_config.NumberColumn("Start month",
                                                     help=f["start_month"].description,
                                                     min_value=0, max_value=120, step=1,
                                                     default=f["start_month"].default),
        "tier": st.column_config.SelectboxColumn("Onboarding tier", options=tiers,
                                                 help=f["tier"].description,
                                                 default=default_tier),
    }


def registered_by_month(sc: Scenario) -> list[tuple[int, int]]:
    """(month, registered users from that month on) at each month the total changes:
    the pilot team at month 0, then each wave from its start month."""
    steps: dict[int, int] = {0: sc.pilot.users}
    for c in sc.adoption.cohorts:
        steps[c.start_month] = steps.get(c.start_month, 0) + c.size
    total, out = 0, []
    for month in sorted(steps):
        total += steps[month]
        out.append((month, total))
    return out


__all__ = ["FORM_LABEL", "PILOT_COLUMNS", "WAVE_COLUMNS", "append", "column_config",
           "entry_lines", "entry_problems", "new_wave", "pilot_frame", "read",
           "registered_by_month", "row_label", "stand_in", "waves_frame"]
