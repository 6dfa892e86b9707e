"""The numbers every export shows, as plain data: formatted once, shared by deck and workbook.

Keeping the formatting here means the deck, the workbook and their tests all agree on how
a value is written (``fmt_money`` is :func:`simulator.formatting.money`) and on which summary
entry is money, a share or a month (``summary_kind``), so number formats are set
consistently in PowerPoint and Excel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import formatting as F
from .. import labels as L
from ..results import SimulationResult
from ..scenario import Scenario

NA = F.NA
_missing = F.missing
fmt_money = F.money
fmt_month = F.month
fmt_number = F.number
excel_money_format = F.excel_money_format
chart_money_format = F.chart_money_format
money_decimals = F.money_decimals
PERCENT_FORMAT = F.PERCENT_FORMAT
COUNT_FORMAT = F.COUNT_FORMAT
DECIMAL_FORMAT = F.DECIMAL_FORMAT


def fmt_pct(v: float | None, digits: int = 1) -> str:
    """A share as a percentage (``23.5%``); ``n/a`` when missing."""
    return F.pct(v, digits)


def unit_label(unit: str, currency: str) -> str:
    """A schema unit as a reader sees it: ``currency/user`` becomes ``USD/user``."""
    return L.unit_text(unit, currency) or unit


def fmt_input(v: float, unit: str, currency: str) -> str:
    """An input value formatted by its unit: money, a share (as %), or a plain number."""
    kind = L.unit_kind(unit)
    if kind == "share":
        return fmt_pct(v)
    return F.value(v, kind if kind == "money" else "number", currency)


def fmt_inputs(values: list[float], unit: str, currency: str) -> list[str]:
    """Several values of one input read side by side (low / likely / high): money in one
    scale (:func:`simulator.formatting.money_row`), the rest as :func:`fmt_input`."""
    if L.unit_kind(unit) == "money":
        return F.money_row(values, currency)
    return [fmt_input(v, unit, currency) for v in values]


# --------------------------------------------------------------------------- summary


def summary_kind(key: str) -> str:
    """What a summary entry measures: money, share, months, count, number or text."""
    return L.output_kind(key)


def summary_label(key: str) -> str:
    """Readable name of a summary entry (``npv_p10`` -> ``NPV P10``)."""
    return L.output_label(key)


def summary_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Summary as rows: key, label, value (None where undefined), kind."""
    rows = []
    for k, v in summary.items():
        rows.append({"key": k, "label": summary_label(k),
                     "value": None if _missing(v) else (v.item() if hasattr(v, "item") else v),
                     "kind": summary_kind(k)})
    return pd.DataFrame(rows, columns=["key", "label", "value", "kind"])


def headline_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """The headline ranges: (metric, P10, P50, P90) as formatted strings.

    P(NPV > 0) is a single number; it is returned in the P50 position with the other
    two cells empty.
    """
    s, cur = summary, summary["currency"]
    return [
        (f"NPV ({cur})", *(fmt_money(s[f"npv_p{p}"], cur) for p in (10, 50, 90))),
        ("ROI", *(fmt_pct(s[f"roi_p{p}"], 0) for p in (10, 50, 90))),
        ("Payback", *(fmt_month(s[f"payback_month_p{p}"]) for p in (10, 50, 90))),
        ("Active rate, month 6", *(fmt_pct(s[f"active_rate_m6_p{p}"], 0)
                                   for p in (10, 50, 90))),
        ("P(NPV > 0)", "", fmt_pct(s["prob_npv_positive"]), ""),
    ]


def gap_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The expectation gap: the signed-off (pilot-lens) NPV beside the realistic range."""
    s, cur = summary, summary["currency"]
    return [
        ("Pilot-lens NPV (the signed-off case)", fmt_money(s["pilot_lens_npv"], cur)),
        ("Production NPV P10", fmt_money(s["npv_p10"], cur)),
        ("Production NPV P50", fmt_money(s["npv_p50"], cur)),
        ("Production NPV P90", fmt_money(s["npv_p90"], cur)),
        ("Expectation gap (lens - P50)", fmt_money(s["expectation_gap"], cur)),
        ("P(production NPV >= pilot lens)", fmt_pct(s["prob_npv_ge_pilot_lens"])),
    ]


# --------------------------------------------------------------------------- assumptions


def input_field(sc: Scenario, path: str) -> tuple[str, str]:
    """(unit, description) of an input from the pydantic schema of ``scenario.py``.

    ``path`` is a dotted input path as in ``sc.inputs()``; tier names are dict keys
    (``adoption.tiers.trained.ceiling``).
    """
    meta = L.field_meta(path)
    return meta.unit, meta.description


def _dist_label(d) -> str:
    return "PERT" if d.kind == "pert" else d.kind


def assumptions_frame(sc: Scenario) -> pd.DataFrame:
    """Every uncertain input (``sc.all_inputs()``): raw key, readable label, low / likely /
    high (``Dist.describe``), unit, meaning, and where its value came from (``source``:
    file, class:NAME, template:FILE or default; ``source_note``: the class's cases)."""
    cur = sc.scenario.currency
    sources, notes = sc.sources(), sc.notes()
    rows = []
    for path, d in sc.all_inputs().items():
        unit, doc = input_field(sc, path)
        low, likely, high = (float(v) for v in d.describe())
        rows.append({"input": path, "label": L.input_label(path, cur, unit=False),
                     "low": low, "likely": likely, "high": high,
                     "unit": unit_label(unit, cur), "schema_unit": unit,
                     "distribution": _dist_label(d), "description": doc,
                     "source": sources.get(path, "file"), "source_note": notes.get(path, "")})
    return pd.DataFrame(rows, columns=["input", "label", "low", "likely", "high", "unit",
                                       "schema_unit", "distribution", "description", "source",
                                       "source_note"])


# --------------------------------------------------------------------------- charts data


def npv_histogram(npv: np.ndarray, bins: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of the NPV distribution on ``bins`` equal-width bins (finite values)."""
    x = np.asarray(npv, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.array([0.0, 1.0]), np.array([0])
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    return edges, counts


def band_series(res: SimulationResult, metric: str,
                stats: tuple[str, ...] = ("p10", "p50", "p90")) -> pd.DataFrame:
    """One metric's bands, one row per month and a column per stat (values as in res.bands)."""
    b = res.bands
    sel = b[(b["metric"] == metric) & (b["stat"].isin(stats))]
    wide = sel.pivot(index="month", columns="stat", values="value")
    return wide[list(stats)]


# --------------------------------------------------------------------------- levers


def column_kind(name: str) -> str:
    """Format kind of a numeric table column guessed from its name: share, money or number."""
    n = name.lower()
    if n.startswith(("prob", "p_", "p(")) or "share" in n or "rate" in n:
        return "share"
    if any(w in n for w in ("npv", "cost", "value", "budget", "gain", "gap", "money")):
        return "money"
    return "number"

#: combinations-table column -> heading on the slide / sheet
LEVER_COLUMNS = {
    "portfolio": "Portfolio",
    "lever_cost_mean": "Lever cost (PV, mean)",
    "npv_p10": "NPV P10",
    "npv_p50": "NPV P50",
    "npv_p90": "NPV P90",
    "prob_npv_positive": "P(NPV > 0)",
    "active_rate_m6_p50": "Active rate m6, P50",
}


def levers_frame(combinations: pd.DataFrame) -> pd.DataFrame:
    """The lever table for a slide: readable headings, one row per portfolio.

    ``combinations`` is ``simulator.analysis.levers.lever_analysis(...).combinations``;
    columns it lacks are skipped. A Note column marks the current and the best portfolio.
    """
    from ..verdicts import portfolio_name

    cols = [c for c in LEVER_COLUMNS if c in combinations.columns]
    out = combinations[cols].rename(columns=LEVER_COLUMNS).reset_index(drop=True)
    if "Portfolio" in out and "n_levers" in combinations:  # lever names spelled out
        out["Portfolio"] = [portfolio_name(r) for r in combinations.to_dict("records")]
    notes = []
    for _, r in combinations.iterrows():
        tags = [t for t, c in (("best", "is_best"), ("current", "is_current"))
                if bool(r.get(c, False))]
        notes.append(", ".join(tags))
    if any(notes):
        out["Note"] = notes
    return out
