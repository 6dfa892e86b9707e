"""The numbers every export shows, as plain data: formatted once, shared by deck and workbook.

Keeping the formatting here means the deck, the workbook and their tests all agree on how
a value is written (``fmt_money`` is the charts' ``money_label``) and on which summary
entry is money, a share or a month (``summary_kind``), so number formats are set
consistently in PowerPoint and Excel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..charts.theme import currency_symbol, money_label
from ..results import SimulationResult
from ..scenario import Scenario

NA = "n/a"


# --------------------------------------------------------------------------- formatting


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA


def fmt_money(v: float | None, currency: str) -> str:
    """Money as on the charts (``$1.23M``, ``-$350k``); ``n/a`` when missing."""
    return NA if _missing(v) else money_label(float(v), currency)


def fmt_pct(v: float | None, digits: int = 1) -> str:
    """A share as a percentage (``23.5%``); ``n/a`` when missing."""
    return NA if _missing(v) else f"{float(v):.{digits}%}"


def fmt_month(v: float | None) -> str:
    """A payback month; None means the case does not pay back within the horizon."""
    return "not within horizon" if _missing(v) else f"month {float(v):.0f}"


def fmt_number(v: float | None) -> str:
    """A plain number with four significant digits and thousands separators."""
    if _missing(v):
        return NA
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.4g}"


def unit_label(unit: str, currency: str) -> str:
    """A schema unit as a reader sees it: ``currency/user`` becomes ``USD/user``."""
    return unit.replace("currency", currency) if unit else ""


def fmt_input(v: float, unit: str, currency: str) -> str:
    """An input value formatted by its unit: money, a share (as %), or a plain number.

    Small money amounts (inference per task: $0.004) keep three significant digits
    instead of rounding to $0.
    """
    if unit.startswith("currency"):
        if not _missing(v) and 0 < abs(v) < 100 and float(v) != int(v):
            sym = currency_symbol(currency)
            return f"{'-' if v < 0 else ''}{sym}{abs(float(v)):.3g}"
        return fmt_money(v, currency)
    if unit == "share":
        return fmt_pct(v)
    return fmt_number(v)


def excel_money_format(currency: str, decimals: int = 0) -> str:
    """Excel/PowerPoint number format for whole money amounts in ``currency``."""
    sym = currency_symbol(currency).replace('"', "")
    dec = "." + "0" * decimals if decimals else ""
    return f'"{sym}"#,##0{dec};-"{sym}"#,##0{dec}'


def chart_money_format(currency: str, max_abs: float, precise: bool = False) -> str:
    """Axis number format that scales to k or M so tick labels stay short.

    Excel formats divide by 1,000 for each trailing comma, so the underlying series
    values stay exact while the axis reads ``$1.5M``. ``precise`` adds a decimal for
    data labels, so -$20.7k does not read as -$0.0M next to a $1.9M bar.
    """
    sym = currency_symbol(currency).replace('"', "")
    if max_abs >= 1e6:
        body = '#,##0.00,,"M"' if precise else '#,##0.0,,"M"'
    elif max_abs >= 1e3:
        body = '#,##0,"k"'
    else:
        body = "#,##0"
    return f'"{sym}"{body};-"{sym}"{body}'


def money_decimals(values) -> int:
    """Decimals an Excel money format needs so small amounts do not show as $0."""
    x = np.asarray(values, dtype=float)
    x = np.abs(x[np.isfinite(x)])
    if x.size == 0 or x.max() >= 100 or np.all(x == np.round(x)):
        return 0
    return 2 if x.max() >= 1 else 4


PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"


# --------------------------------------------------------------------------- summary


def summary_kind(key: str) -> str:
    """What a summary entry measures: money, share, month, count, number or text."""
    if key in ("scenario", "currency"):
        return "text"
    if key.startswith("npv_") or key in ("pilot_lens_npv", "pilot_lens_npv_se",
                                          "expectation_gap"):
        return "money"
    if key.startswith(("prob_", "roi_", "active_rate_", "launch_accuracy", "accuracy_",
                       "irr_")):
        return "share"
    if key.startswith("payback_month") or key == "horizon_months":
        return "month"
    if key in ("paths", "seed"):
        return "count"
    return "number"


SUMMARY_LABELS = {
    "scenario": "Scenario", "currency": "Currency", "paths": "Monte Carlo paths",
    "seed": "Random seed", "horizon_months": "Horizon (months)",
    "prob_npv_positive": "P(NPV > 0)", "prob_npv_positive_se": "P(NPV > 0), s.e.",
    "npv_mean": "NPV mean", "npv_sd": "NPV standard deviation", "npv_mean_se": "NPV mean, s.e.",
    "prob_payback_within_horizon": "P(payback within horizon)",
    "irr_p50": "IRR P50", "launch_accuracy_p50": "Launch accuracy P50",
    "accuracy_m6_p50": "Accuracy month 6 P50", "accuracy_final_p50": "Accuracy at horizon P50",
    "pilot_users_lapsed_m6_p50": "Pilot users lapsed by month 6, P50",
    "pilot_lens_npv": "Pilot-lens NPV (signed-off case)",
    "pilot_lens_npv_se": "Pilot-lens NPV, s.e.",
    "expectation_gap": "Expectation gap (pilot lens - NPV P50)",
    "prob_npv_ge_pilot_lens": "P(NPV >= pilot lens)",
}


def summary_label(key: str) -> str:
    """Readable name of a summary entry (``npv_p10`` -> ``NPV P10``)."""
    if key in SUMMARY_LABELS:
        return SUMMARY_LABELS[key]
    se = key.endswith("_se")
    words = (key[:-3] if se else key).split("_")
    pretty = {"npv": "NPV", "roi": "ROI", "m6": "month 6", "final": "at horizon"}
    text = " ".join(pretty.get(w, w.upper() if w[:1] == "p" and w[1:].isdigit() else w)
                    for w in words)
    text = text[:1].upper() + text[1:]
    return text + (", s.e." if se else "")


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
    *parents, field = path.split(".")
    obj: Any = sc
    for p in parents:
        obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
    info = type(obj).model_fields[field]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("unit", "")), info.description or ""


def _dist_label(d) -> str:
    return "PERT" if d.kind == "pert" else d.kind


def assumptions_frame(sc: Scenario) -> pd.DataFrame:
    """Every input of ``sc.inputs()``: low / likely / high (``Dist.describe``), unit, meaning."""
    cur = sc.scenario.currency
    rows = []
    for path, d in sc.inputs().items():
        unit, doc = input_field(sc, path)
        low, likely, high = (float(v) for v in d.describe())
        rows.append({"input": path, "low": low, "likely": likely, "high": high,
                     "unit": unit_label(unit, cur), "schema_unit": unit,
                     "distribution": _dist_label(d), "description": doc})
    return pd.DataFrame(rows, columns=["input", "low", "likely", "high", "unit", "schema_unit",
                                       "distribution", "description"])


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
    cols = [c for c in LEVER_COLUMNS if c in combinations.columns]
    out = combinations[cols].rename(columns=LEVER_COLUMNS).reset_index(drop=True)
    notes = []
    for _, r in combinations.iterrows():
        tags = [t for t, c in (("best", "is_best"), ("current", "is_current"))
                if bool(r.get(c, False))]
        notes.append(", ".join(tags))
    if any(notes):
        out["Note"] = notes
    return out
