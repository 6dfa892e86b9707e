"""The gap waterfall's steps as a table, without altair: the chart
(:func:`simulator.charts.analysis.gap_chart`) and the deck's native waterfall
(:mod:`simulator.export.deck_slides`) both draw it, and the deck does not import altair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.gap import MODES, GapAnalysis
from ..formatting import money
from ..scenario import MODE_SPECS

#: Short axis labels of the waterfall steps (the catalogue's, then the interaction).
STEP_LABELS = {**{m.key: m.step for m in MODE_SPECS}, "interaction": "Interaction"}


def gap_waterfall_frame(gap: GapAnalysis, method: str = "shapley") -> pd.DataFrame:
    """Steps of the gap waterfall: the pilot-lens NPV, each mode's share of the gap
    (``shapley``, or ``alone`` plus the interaction), the production statistic."""
    if method not in ("shapley", "alone"):
        raise ValueError(f"method {method!r} is not 'shapley' or 'alone'")
    s = gap.summary.iloc[0]
    cur = s["currency"]
    att = gap.attribution.set_index("mode")
    steps = list(MODES) + (["interaction"] if method == "alone" else [])
    lens = float(s["pilot_lens_npv"])
    rows = [{"step": "Pilot lens", "start": 0.0, "end": lens,
             "amount": lens, "kind": "lens"}]
    level = lens
    for m in steps:
        loss = float(att.loc[m, method])
        rows.append({"step": STEP_LABELS[m], "start": level,
                     "end": level - loss, "amount": -loss,
                     "kind": "loss" if loss >= 0 else "gain"})
        level -= loss
    prod = float(s["production_stat"])
    rows.append({"step": "Production", "start": 0.0, "end": prod,
                 "amount": prod, "kind": "production"})
    df = pd.DataFrame(rows)
    df["order"] = np.arange(len(df))
    df["label"] = [money(a, cur) for a in df["amount"]]
    return df
