"""Decision-analytics charts: the gap waterfall, lever portfolios, tornado and spider.

Each builder takes the DataFrames of :mod:`simulator.analysis` and returns a configured
altair chart (title, axis titles with units, money axes in the scenario's currency, the
Okabe-Ito palette of :mod:`simulator.charts.theme`). The NPV histogram beside the
pilot-lens case is :func:`simulator.charts.forecast.npv_distribution_chart`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..analysis.gap import GapAnalysis
from ..analysis.levers import CRITERIA, LeverAnalysis
from ..formatting import money
from ..labels import label
from . import theme
from .forecast import money_label_expr
from .waterfall import gap_waterfall_frame

LOSS = theme.PALETTE[1]
GAIN = theme.PALETTE[2]
MUTED = "#9E9E9E"


def _money_axis(title: str, currency: str) -> alt.Axis:
    return alt.Axis(title=f"{title} ({currency})", labelExpr=money_label_expr(currency))


def gap_chart(gap: GapAnalysis, method: str = "shapley", *, height: int = theme.HEIGHT,
              title: str = "Where the expectation gap comes from") -> alt.LayerChart:
    """Waterfall from the signed-off pilot-lens NPV down to the production NPV, one step
    per failure mode (Shapley shares by default; they sum to the gap exactly)."""
    df = gap_waterfall_frame(gap, method)
    cur = gap.summary["currency"].iloc[0]
    colors = alt.Scale(domain=["lens", "loss", "gain", "production"],
                       range=[theme.PILOT_LENS, LOSS, GAIN, theme.PRODUCTION])
    x = alt.X("step:N", sort=alt.SortField("order"), title=None,
              axis=alt.Axis(labelAngle=0, labelLimit=0, labelOverlap=False,
                            labelExpr="split(datum.label, ' ')"))
    bars = alt.Chart(df).mark_bar().encode(
        x=x, y=alt.Y("start:Q", axis=_money_axis(f"NPV {gap.summary['stat'].iloc[0]}", cur)),
        y2="end:Q",
        color=alt.Color("kind:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("step:N", title="Step"),
                 alt.Tooltip("amount:Q", title=f"Amount ({cur})", format=",.0f"),
                 alt.Tooltip("end:Q", title=f"Level after ({cur})", format=",.0f")])
    df["top"] = df[["start", "end"]].max(axis=1)
    text = alt.Chart(df).mark_text(dy=-8, fontSize=11, fontWeight="bold").encode(
        x=x, y="top:Q", text="label:N")
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=theme.PALETTE[7]).encode(
        y="y:Q")
    s = gap.summary.iloc[0]
    how = ("Shapley shares (they sum exactly to the gap)" if method == "shapley" else
           "each mode switched on alone, then their interaction")
    sub = f"Gap {money(float(s['gap']), cur)} at the {s['stat']}; {how}"
    return theme.configure(alt.layer(bars, text, zero).properties(
        title=alt.TitleParams(title, subtitle=[sub]), width=theme.WIDTH, height=height))


def lever_chart(levers: LeverAnalysis, currency: str = "USD", *, height: int | None = None,
                title: str = "Lever portfolios: NPV range on common random numbers"
                ) -> alt.LayerChart:
    """One row per portfolio: the NPV P10-P90 range and the median, sorted by the chosen
    criterion; portfolios over budget are greyed out, the best is marked."""
    key = CRITERIA[levers.criterion]
    df = levers.combinations.copy()
    df["status"] = np.where(df["is_best"], "best",
                            np.where(df["within_budget"], "within budget", "over budget"))
    order = list(df.sort_values([key, "lever_cost_mean"], ascending=[False, True])
                 ["portfolio"])
    colors = alt.Scale(domain=["best", "within budget", "over budget"],
                       range=[theme.WITH_LEVERS, theme.PRODUCTION, MUTED])
    y = alt.Y("portfolio:N", sort=order, title="Portfolio (levers on)")
    tips = [alt.Tooltip("portfolio:N", title="Portfolio"),
            alt.Tooltip("lever_cost_mean:Q", title=f"Lever cost, PV ({currency})",
                        format=",.0f"),
            alt.Tooltip("npv_p10:Q", title="NPV P10", format=",.0f"),
            alt.Tooltip("npv_p50:Q", title="NPV P50", format=",.0f"),
            alt.Tooltip("npv_p90:Q", title="NPV P90", format=",.0f"),
            alt.Tooltip("prob_npv_positive:Q", title="P(NPV > 0)", format=".1%"),
            alt.Tooltip("active_rate_m6_p50:Q", title="Active rate m6 (P50)", format=".0%")]
    color = alt.Color("status:N", scale=colors, title=None,
                      legend=alt.Legend(orient="bottom"))
    rng = alt.Chart(df).mark_rule(strokeWidth=3).encode(
        y=y, x=alt.X("npv_p10:Q", axis=_money_axis("NPV, P10 to P90", currency),
                     scale=alt.Scale(padding=90)),
        x2="npv_p90:Q", color=color, tooltip=tips)
    mid = alt.Chart(df).mark_point(filled=True, size=90).encode(
        y=y, x="npv_p50:Q", color=color, tooltip=tips)
    df["prob_label"] = [f"P(NPV>0) {p:.0%}" for p in df["prob_npv_positive"]]
    lab = alt.Chart(df).mark_text(align="left", dx=6, fontSize=11).encode(
        y=y, x="npv_p90:Q", text="prob_label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(
        color=theme.PALETTE[7], strokeDash=[4, 3]).encode(x="x:Q")
    budget = "no budget" if levers.budget is None else \
        f"budget {money(levers.budget, currency)}"
    best = levers.best.iloc[0]
    sub = (f"Sorted by {key.replace('_', ' ')}; best ({budget}): {best['portfolio']}. "
           f"Dot = median, line = P10 to P90.")
    return theme.configure(alt.layer(rng, mid, lab, zero).properties(
        title=alt.TitleParams(title, subtitle=[sub]), width=theme.WIDTH,
        height=height or 26 * len(df)))


def _round_ticks(lo: float, hi: float, most: int = 4) -> list[float]:
    """At most ``most`` multiples of a round step (1, 2 or 5 times a power of ten) in
    [lo, hi], zero included when it lies inside."""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return [lo]
    for step in (m * 10.0 ** e for e in range(int(np.floor(np.log10(span / most))), 400)
                 for m in (1, 2, 5)):
        first, last = np.ceil(lo / step), np.floor(hi / step)
        if last - first + 1 <= most:
            return [float(k * step) for k in range(int(first), int(last) + 1)]
    return [lo, hi]


def lever_marginal_chart(levers: LeverAnalysis, currency: str = "USD", *,
                         title: str = "What each lever is worth") -> alt.LayerChart:
    """Marginal mean NPV of each lever (averaged over the other levers' portfolios) with
    a 95 % interval from the paired per-path differences."""
    df = levers.marginal.copy()
    df["lo"] = df["marginal_npv_mean"] - 1.96 * df["marginal_npv_se"]
    df["hi"] = df["marginal_npv_mean"] + 1.96 * df["marginal_npv_se"]
    y = alt.Y("label:N", sort="-x", title=None,
              axis=alt.Axis(labelLimit=0, labelOverlap=False, labelFontSize=theme.FONT_SIZE))
    # at most four round money ticks (Vega's tickCount is only a hint and its overlap removal
    # misses touching labels): "USD 100k" labels stay apart down to a 300 px wide chart
    ticks = _round_ticks(min(0.0, float(df["lo"].min())), max(0.0, float(df["hi"].max())))
    x_axis = alt.Axis(title=f"Mean NPV gain ({currency})", labelExpr=money_label_expr(currency),
                      values=ticks, labelOverlap=True, labelFlush=True)
    bars = alt.Chart(df).mark_bar(color=theme.WITH_LEVERS).encode(
        y=y, x=alt.X("marginal_npv_mean:Q", axis=x_axis),
        tooltip=[alt.Tooltip("label:N", title="Lever"),
                 alt.Tooltip("marginal_npv_mean:Q", title="Marginal NPV (mean)",
                             format=",.0f"),
                 alt.Tooltip("marginal_npv_se:Q", title="Standard error", format=",.0f"),
                 alt.Tooltip("lever_cost_mean:Q", title="Lever cost (PV)", format=",.0f"),
                 alt.Tooltip("npv_per_cost:Q", title="NPV per unit of cost", format=".2f")])
    err = alt.Chart(df).mark_errorbar(color=theme.PALETTE[7]).encode(
        # the same axis as the bars' (a second, unformatted one would draw over it)
        y=y, x=alt.X("lo:Q", axis=x_axis), x2="hi:Q")
    return theme.configure(alt.layer(bars, err).properties(
        title=alt.TitleParams(title, subtitle=["Mean NPV gained by switching it on, averaged over",
                                               f"the {2 ** (len(df) - 1)} portfolios of the other "
                                               "levers; whiskers: 95 % interval"]),
        width=theme.WIDTH, height=max(160, 44 * len(df))))


def _input_label(path: str, currency: str) -> str:
    return label(path, currency)


def tornado_frame(tornado: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Two bars per input (input at its low and high quantile), from the base median;
    ``label`` is the input's readable name, ``input`` its raw key."""
    lq = tornado.attrs.get("low_quantile", 0.1)
    hq = tornado.attrs.get("high_quantile", 0.9)
    rows = []
    for _, r in tornado.iterrows():
        for q, npv, v in ((lq, r["npv_p50_low"], r["low_value"]),
                          (hq, r["npv_p50_high"], r["high_value"])):
            rows.append({"input": r["input"], "label": _input_label(r["input"], currency),
                         "rank": int(r["rank"]),
                         "side": f"input at its P{q * 100:g}", "value": v,
                         "start": r["base_npv_p50"], "end": npv,
                         "change": npv - r["base_npv_p50"], "swing": r["swing"]})
    return pd.DataFrame(rows)


def tornado_chart(tornado: pd.DataFrame, currency: str = "USD", *,
                  title: str = "Tornado: NPV median with one input at its P10 vs P90"
                  ) -> alt.LayerChart:
    """Horizontal bars from the base NPV median to the median with each input held at its
    P10 and at its P90 (others sampled), the widest swing on top."""
    df = tornado_frame(tornado, currency)
    order = [label(p, currency) for p in tornado.sort_values("rank")["input"]]
    sides = sorted(df["side"].unique(), key=lambda s: float(s.split("P")[-1]))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    bars = alt.Chart(df).mark_bar(size=16).encode(
        y=y, x=alt.X("start:Q", axis=_money_axis("NPV median", currency),
                     scale=alt.Scale(zero=False)), x2="end:Q",
        color=alt.Color("side:N", scale=alt.Scale(domain=sides,
                                                  range=[theme.PALETTE[1], theme.PALETTE[0]]),
                        title=None),
        tooltip=[alt.Tooltip("label:N", title="Input"), alt.Tooltip("input:N", title="Key"),
                 alt.Tooltip("side:N", title="Held"),
                 alt.Tooltip("value:Q", title="Input value", format=",.4g"),
                 alt.Tooltip("end:Q", title=f"NPV median ({currency})", format=",.0f"),
                 alt.Tooltip("swing:Q", title=f"Swing ({currency})", format=",.0f")])
    base = float(tornado["base_npv_p50"].iloc[0]) if len(tornado) else 0.0
    rule = alt.Chart(pd.DataFrame({"x": [base]})).mark_rule(
        color=theme.PALETTE[7], strokeWidth=2).encode(x="x:Q")
    sub = f"Base median {money(base, currency)}; ranked by swing"
    return theme.configure(alt.layer(bars, rule).properties(
        title=alt.TitleParams(title, subtitle=[sub]), width=theme.WIDTH,
        height=max(120, 30 * len(order))))


def spider_chart(spider: pd.DataFrame, currency: str = "USD", *,
                 title: str = "Spider: NPV median as each input moves over its range"
                 ) -> alt.LayerChart:
    """NPV median against the quantile each input is held at, one line per input."""
    spider = spider.assign(label=[label(p, currency) for p in spider["input"]])
    inputs = list(dict.fromkeys(spider["label"]))
    palette = [theme.PALETTE[i % len(theme.PALETTE)] for i in range(len(inputs))]
    line = alt.Chart(spider).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("quantile:Q", axis=alt.Axis(title="Input held at its quantile", format=".0%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("npv_p50:Q", axis=_money_axis("NPV median", currency),
                scale=alt.Scale(zero=False)),
        color=alt.Color("label:N", scale=alt.Scale(domain=inputs, range=palette),
                        title="Input", legend=alt.Legend(labelLimit=320)),
        tooltip=[alt.Tooltip("label:N", title="Input"), alt.Tooltip("input:N", title="Key"),
                 alt.Tooltip("quantile:Q", title="Quantile", format=".0%"),
                 alt.Tooltip("value:Q", title="Input value", format=",.4g"),
                 alt.Tooltip("npv_p50:Q", title=f"NPV median ({currency})", format=",.0f")])
    return theme.configure(line.properties(title=title, width=theme.WIDTH,
                                           height=theme.HEIGHT))


__all__ = ["gap_chart", "gap_waterfall_frame", "lever_chart", "lever_marginal_chart",
           "spider_chart", "tornado_chart", "tornado_frame"]
