"""Headline metrics of a result, with Monte Carlo standard errors, formatted for the app.

Kept free of Streamlit so the numbers and their wording are unit-tested. Each headline carries
its raw value (for tests and comparisons), the text shown, and its standard error: the
binomial error for a probability, the order-statistic error for a percentile
(:func:`simulator.results.quantile_se`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import formatting as F
from ..results import SimulationResult, quantile_se


@dataclass(frozen=True)
class Headline:
    """One headline number: what it is, its value, and how precisely the run knows it."""

    key: str
    label: str
    value: float | None  # None: payback not within the horizon
    text: str
    se: float | None
    se_text: str
    help: str
    higher_is_better: bool = True
    kind: str = "pct"  # prob | money | pct | months: how a change is written
    short: str | None = None  # shorter text for the metric tile when ``text`` is long

    @property
    def tile(self) -> str:
        return self.short or self.text


pct = F.pct
money = F.money


payback_text = F.month

#: Where the app's help icons send a reader for the terms (see docs/glossary.md).
GLOSSARY = "docs/glossary.md"


def _glossary(help_text: str, anchor: str) -> str:
    """A help text ending in a pointer to the term's glossary entry."""
    return f"{help_text} Glossary: {GLOSSARY}#{anchor}."


def _se_text(se: float | None, kind: str, currency: str) -> str:
    if se is None or not math.isfinite(se):
        return "MC s.e. n/a"
    if kind in ("prob", "pct"):
        if se * 100 < 0.05:
            return "± < 0.1 pp (MC s.e.)"
        return f"± {se * 100:.1f} pp (MC s.e.)"
    if kind == "money":
        return f"± {F.money(abs(se), currency)} (MC s.e.)"
    if kind == "months":
        return "± < 1 month (MC s.e.)" if se < 0.5 else f"± {se:.1f} months (MC s.e.)"
    return f"± {se:.3g} (MC s.e.)"


def _median_se(x: np.ndarray) -> float:
    x = np.sort(x[np.isfinite(x)])
    return quantile_se(x, 0.5) if x.size else math.nan


def headline_metrics(res: SimulationResult) -> list[Headline]:
    """The app's headline metrics, in display order.

    P(NPV > 0); NPV P10 / P50 / P90; median ROI; median payback month ("not within
    horizon" when fewer than half the paths pay back); median month-6 active-user rate; the
    pilot-lens NPV with the expectation gap.
    """
    s = res.summary
    cur = s["currency"]
    n = res.n_paths
    out = [Headline(
        "prob_npv_positive", "P(NPV > 0)", s["prob_npv_positive"], pct(s["prob_npv_positive"]),
        s["prob_npv_positive_se"], _se_text(s["prob_npv_positive_se"], "prob", cur),
        _glossary(f"Share of the {n:,} simulated paths whose NPV is above zero.",
                  "pnpv--0"), kind="prob")]
    for p, what in ((10, "a bad case: 1 path in 10 does worse"), (50, "the median case"),
                    (90, "a good case: 1 path in 10 does better")):
        out.append(Headline(
            f"npv_p{p}", f"NPV P{p}", s[f"npv_p{p}"], money(s[f"npv_p{p}"], cur),
            s[f"npv_p{p}_se"], _se_text(s[f"npv_p{p}_se"], "money", cur),
            _glossary(f"Net present value over {res.horizon} months, {what}.",
                      "p50" if p == 50 else "p10"), kind="money"))
    roi = res.metric("roi")
    roi_se = _median_se(roi)
    out.append(Headline(
        "roi_p50", "Median ROI", s["roi_p50"], pct(s["roi_p50"]), roi_se,
        _se_text(roi_se, "pct", cur),
        _glossary("(PV benefit - PV cost) / PV cost, median over paths.", "roi")))
    pay = res.metric("payback_month")
    pay_sorted = np.sort(np.where(np.isnan(pay), np.inf, pay))
    pay_p50 = s["payback_month_p50"]
    pay_se = quantile_se(pay_sorted, 0.5) if pay_p50 is not None else None
    out.append(Headline(
        "payback_month_p50", "Median payback", pay_p50, payback_text(pay_p50),
        pay_se, _se_text(pay_se, "months", cur) if pay_p50 is not None else
        f"Not within horizon: {pct(s['prob_payback_within_horizon'])} of paths pay back by "
        f"month {res.horizon}",
        _glossary("First month with cumulative net cash >= 0, median over paths (paths that "
                  "never pay back count as later than the horizon).", "payback"),
        higher_is_better=False, kind="months",
        short=None if pay_p50 is not None else f"> {res.horizon} mo"))
    ar = res.metric("active_rate_m6")
    ar_se = _median_se(ar)
    m6 = min(6, res.horizon)
    out.append(Headline(
        "active_rate_m6_p50", f"Active rate, month {m6}", s["active_rate_m6_p50"],
        pct(s["active_rate_m6_p50"]), ar_se, _se_text(ar_se, "pct", cur),
        _glossary(f"Median share of registered users active in month {m6}.", "active-rate")))
    gap = s["expectation_gap"]
    out.append(Headline(
        "pilot_lens_npv", "Pilot-lens NPV", s["pilot_lens_npv"], money(s["pilot_lens_npv"], cur),
        s["pilot_lens_npv_se"],
        f"{_se_text(s['pilot_lens_npv_se'], 'money', cur)}; gap to P50 {money(gap, cur)}",
        "The business case as the pilot saw it (pilot accuracy, no drift, pilot adoption and "
        "incident rates for everyone), median over paths. Its distance above the production "
        "P50 is the expectation gap. Glossary: docs/glossary.md#pilot-lens.", kind="money"))
    return out


def delta_text(cur: Headline, base: Headline, currency: str) -> str | None:
    """Change of a headline against the scenario as loaded, for ``st.metric(delta=...)``.

    None when there is nothing to compare (unchanged, or payback undefined on either side).
    """
    if cur.value is None or base.value is None:
        return None
    d = cur.value - base.value
    if d == 0:
        return None
    sign = "+" if d > 0 else "-"
    if cur.kind == "money":
        return f"{sign}{F.money(abs(d), currency)}"
    if cur.kind == "months":
        return f"{sign}{abs(d):.0f} months"
    return f"{sign}{abs(d) * 100:.1f} pp"


def comparison_table(a: list[Headline], b: list[Headline], label_a: str, label_b: str,
                     currency: str) -> pd.DataFrame:
    """Headlines of two runs side by side with the change from the first to the second."""
    rows = []
    for ha, hb in zip(a, b, strict=True):
        rows.append({"Metric": ha.label, label_a: ha.text, label_b: hb.text,
                     "Change": delta_text(hb, ha, currency) or "-"})
    return pd.DataFrame(rows)


def headline_values(items: list[Headline]) -> dict[str, float | None]:
    """{key: raw value}: what the app keeps in session state (and tests read)."""
    return {h.key: h.value for h in items}


def headline_ses(items: list[Headline]) -> dict[str, float | None]:
    """{key: Monte Carlo standard error} of the headlines."""
    return {h.key: h.se for h in items}


__all__ = ["Headline", "comparison_table", "delta_text", "headline_metrics",
           "headline_ses", "headline_values", "money", "payback_text", "pct"]
