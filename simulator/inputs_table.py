"""Every uncertain input of a scenario with its P10/P50/P90 and where its value came from.

The table finance teams hold a business case against: path, readable label, P10 / P50 /
P90, ``source`` (``file``, ``class:NAME``, ``template:FILE``, ``default``) and a note (the
class's cases, the template's comment). Used by ``rollout-sim validate --inputs``, the
app's Assumptions tab and the exports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import labels as L
from .scenario import Scenario

COLUMNS = ["path", "label", "p10", "p50", "p90", "source", "note"]


def inputs_table(sc: Scenario) -> pd.DataFrame:
    """One row per uncertain input (the simulated ones, then the usage intensity)."""
    cur = sc.scenario.currency
    sources, notes = sc.sources(), sc.notes()
    rows = []
    for path, d in sc.all_inputs().items():
        p10, p50, p90 = (float(v) for v in d.ppf(np.array([0.1, 0.5, 0.9])))
        try:
            label = L.input_label(path, cur, unit=False)
        except (KeyError, ValueError):
            label = path
        rows.append({"path": path, "label": label, "p10": p10, "p50": p50, "p90": p90,
                     "source": sources.get(path, "file"), "note": notes.get(path, "")})
    return pd.DataFrame(rows, columns=COLUMNS)


def own_inputs(sc: Scenario) -> tuple[int, int]:
    """(inputs the user's file gives, all uncertain inputs)."""
    s = sc.sources()
    return sum(v == "file" for v in s.values()), len(s)


def source_summary(sc: Scenario) -> str:
    """One line: how many inputs are the user's own and where the rest come from."""
    s = sc.sources()
    own, n = own_inputs(sc)
    rest: dict[str, int] = {}
    for v in s.values():
        if v != "file":
            rest[v] = rest.get(v, 0) + 1
    tail = "; ".join(f"{k}: {v}" for k, v in sorted(rest.items()))
    return f"{own} of {n} inputs are from your file" + (f" ({tail})" if tail else "")
