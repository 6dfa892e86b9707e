"""Charts of a forecast updated with actuals: posterior fans with the actual months as
points, prior vs posterior NPV, the failure-mode diagnosis and the lever gains.

Builders take a :class:`simulator.actuals.Posterior` (or the tables derived from it) and
return configured altair charts with titles, axis units, currency formatting and the
palette of :mod:`simulator.charts.theme`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd

from ..formatting import money
from . import theme
from .forecast import METRIC_INFO, MONTH_AXIS, metric_axis, money_label_expr

if TYPE_CHECKING:  # the charts package does not import the analysis at run time
    from ..actuals import Diagnosis, Posterior

METRICS = METRIC_INFO  #: band metrics: (title, axis title, kind), as the fan charts
ACTUAL = theme.PALETTE[3]
PRIOR = theme.PALETTE[7]
_VERDICT_COLORS = {"worse than assumed": theme.PALETTE[3], "as assumed": theme.PALETTE[7],
                   "better than assumed": theme.PALETTE[2], "not scored": "#999999",
                   "inconclusive": theme.PALETTE[1], "no clear shift": theme.PALETTE[7]}


def _wide(bands: pd.DataFrame, metric: str) -> pd.DataFrame:
    sub = bands[bands["metric"] == metric]
    w = sub.pivot_table(index="month", columns="stat", values="value", sort=True)
    w.columns.name = None
    return w.reset_index()


def actual_points(post: Posterior, metric: str) -> pd.DataFrame:
    """The actual months of ``metric`` as (month, value); empty when not measured.

    The active-user rate is active users over the actual registered count when given,
    else over the scenario's registered count that month.
    """
    t = post.actuals.table
    if metric == "active_rate":
        reg_model = post.prior.registered[t["month"].to_numpy()]
        reg = t["registered"].fillna(pd.Series(reg_model, index=t.index).astype(float))
        vals = t["active_users"] / reg.where(reg > 0)
    elif metric in t.columns and metric != "month":
        vals = t[metric]
    else:
        return pd.DataFrame({"month": [], "value": []})
    df = pd.DataFrame({"month": t["month"], "value": vals}).dropna()
    return df.reset_index(drop=True)


def actuals_fan_chart(post: Posterior, metric: str, currency: str | None = None, *,
                      height: int = theme.HEIGHT) -> alt.LayerChart:
    """Posterior fan of ``metric`` (P10-P90, P25-P75, median), the prior median dashed,
    and the actual months as points; a rule marks the last actual month ("now")."""
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not a band metric "
                         f"(allowed: {', '.join(METRICS)})")
    currency = currency or post.prior.scenario.scenario.currency
    title, _, kind = METRICS[metric]
    axis = metric_axis(metric, currency)
    fmt = {"money": ",.0f", "share": ".1%", "count": ",.1f"}[kind]
    post_w = _wide(post.bands, metric)
    prior_w = _wide(post.prior.bands, metric)
    base = alt.Chart(post_w).encode(x=alt.X("month:Q", axis=MONTH_AXIS))
    scale = alt.Scale(zero=kind != "share" or metric == "active_rate")
    layers = [
        base.mark_area(color=theme.PRODUCTION, opacity=theme.BAND_OUTER_OPACITY).encode(
            y=alt.Y("p10:Q", axis=axis, scale=scale), y2="p90:Q"),
        base.mark_area(color=theme.PRODUCTION, opacity=theme.BAND_INNER_OPACITY).encode(
            y=alt.Y("p25:Q", axis=axis, scale=scale), y2="p75:Q"),
        base.mark_line(color=theme.PRODUCTION, strokeWidth=2.5).encode(
            y=alt.Y("p50:Q", axis=axis, scale=scale),
            tooltip=[alt.Tooltip("month:Q", title="Month"),
                     alt.Tooltip("p10:Q", title="Posterior P10", format=fmt),
                     alt.Tooltip("p50:Q", title="Posterior median", format=fmt),
                     alt.Tooltip("p90:Q", title="Posterior P90", format=fmt)]),
        alt.Chart(prior_w).mark_line(color=PRIOR, strokeDash=[5, 4], strokeWidth=1.5).encode(
            x="month:Q", y=alt.Y("p50:Q", axis=axis, scale=scale),
            tooltip=[alt.Tooltip("month:Q", title="Month"),
                     alt.Tooltip("p50:Q", title="Prior median", format=fmt)]),
    ]
    pts = actual_points(post, metric)
    if len(pts):
        layers.append(alt.Chart(pts).mark_point(
            color=ACTUAL, filled=True, size=70, shape="diamond").encode(
            x="month:Q", y=alt.Y("value:Q", axis=axis, scale=scale),
            tooltip=[alt.Tooltip("month:Q", title="Month"),
                     alt.Tooltip("value:Q", title="Actual", format=fmt)]))
    now = post.actuals.last_month
    if now > 0:
        layers.append(alt.Chart(pd.DataFrame({"month": [now]})).mark_rule(
            color=PRIOR, strokeDash=[2, 3]).encode(x="month:Q"))
    sub = ("Posterior (blue: median, P25-P75, P10-P90), prior median dashed, "
           "actuals as diamonds" if not post.is_prior else
           "No actuals: the posterior is the prior")
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(f"{title}: forecast updated with actuals", subtitle=sub),
        height=height)
    return theme.configure(chart)


def npv_update_chart(post: Posterior, currency: str | None = None, *,
                     height: int = theme.HEIGHT) -> alt.LayerChart:
    """Prior and posterior NPV densities on common bins, with break-even marked."""
    currency = currency or post.prior.scenario.scenario.currency
    h = post.npv_histogram()
    x_axis = alt.Axis(title=f"NPV ({currency})", labelExpr=money_label_expr(currency))
    area = alt.Chart(h).mark_area(opacity=0.45, interpolate="step").encode(
        x=alt.X("npv:Q", axis=x_axis, scale=alt.Scale(zero=False)),
        y=alt.Y("density:Q", stack=None, axis=alt.Axis(title="Density (per unit NPV)",
                                                       labels=False, ticks=False)),
        color=alt.Color("which:N", title=None,
                        scale=alt.Scale(domain=["prior", "posterior"],
                                        range=[PRIOR, theme.PRODUCTION])),
        tooltip=[alt.Tooltip("which:N", title="Forecast"),
                 alt.Tooltip("npv:Q", title="NPV", format=",.0f")])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(
        color=theme.PALETTE[3], strokeDash=[6, 3]).encode(x="x:Q")
    s = post.summary
    sub = (f"P(NPV > 0): prior {post.prior.summary['prob_npv_positive']:.0%}, posterior "
           f"{s['prob_npv_positive']:.0%}; posterior median "
           f"{money(s['npv_p50'], currency)} (ESS {s['ess']:,.0f})")
    chart = alt.layer(area, zero).properties(
        title=alt.TitleParams("NPV: prior vs updated with actuals", subtitle=sub),
        height=height)
    return theme.configure(chart)


def diagnosis_chart(diagnosis: Diagnosis, *, height: int = 220) -> alt.LayerChart:
    """Ranked failure-mode scores (+ = worse than assumed) with +/- 2 s.e. whiskers."""
    m = diagnosis.modes.copy()
    m["lo"] = m["score"] - 2 * m["score_se"].fillna(0)
    m["hi"] = m["score"] + 2 * m["score_se"].fillna(0)
    order = m["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None)
    x_scale = alt.Scale(domain=[-1, 1])
    bars = alt.Chart(m).mark_bar(height=22).encode(
        x=alt.X("score:Q", scale=x_scale,
                axis=alt.Axis(title="Shift vs assumptions (-1 better ... +1 worse)",
                              format="+.1f")),
        y=y,
        color=alt.Color("verdict:N", title="Verdict",
                        scale=alt.Scale(domain=list(_VERDICT_COLORS),
                                        range=list(_VERDICT_COLORS.values()))),
        tooltip=[alt.Tooltip("label:N", title="Failure mode"),
                 alt.Tooltip("score:Q", title="Score", format="+.2f"),
                 alt.Tooltip("score_se:Q", title="s.e.", format=".2f"),
                 alt.Tooltip("verdict:N", title="Verdict"),
                 alt.Tooltip("scored_by:N", title="Scored by")])
    whisk = alt.Chart(m).mark_rule(color=PRIOR).encode(x=alt.X("lo:Q", scale=x_scale),
                                                       x2="hi:Q", y=y)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=PRIOR).encode(x="x:Q")
    chart = alt.layer(bars, whisk, zero).properties(
        title=alt.TitleParams("What broke: failure modes ranked by the actuals",
                              subtitle=diagnosis.sentence[:160]),
        height=height)
    return theme.configure(chart)


def input_shift_chart(diagnosis: Diagnosis, *, height: int = 320) -> alt.LayerChart:
    """Prior vs posterior of each diagnosed input on the prior's rank scale.

    A grey tick at 50 % (every input's prior mean rank) and a dot at its posterior mean
    rank; the bar between them is the shift.
    """
    d = diagnosis.inputs.copy()
    d["prior"] = 0.5
    order = d["input"].tolist()
    y = alt.Y("input:N", sort=order, title=None)
    x = alt.X("posterior_rank:Q", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(title="Position in the prior range (prior rank, 50 % = as assumed)",
                            format=".0%"))
    link = alt.Chart(d).mark_rule(strokeWidth=3, color=theme.PALETTE[5]).encode(
        x=x, x2="prior:Q", y=y)
    dot = alt.Chart(d).mark_circle(size=90, color=theme.PRODUCTION).encode(
        x=x, y=y, tooltip=[alt.Tooltip("input:N"), alt.Tooltip("mode:N"),
                           alt.Tooltip("direction:N"),
                           alt.Tooltip("prior_p50:Q", title="Prior median", format=".4g"),
                           alt.Tooltip("posterior_p50:Q", title="Posterior median",
                                       format=".4g"),
                           alt.Tooltip("score:Q", format="+.2f")])
    mid = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(color=PRIOR, strokeDash=[4, 4]
                                                          ).encode(x="x:Q")
    chart = alt.layer(mid, link, dot).properties(
        title=alt.TitleParams("Prior vs posterior of the failure-mode inputs",
                              subtitle="Dot: posterior mean rank in the prior's range"),
        height=height)
    return theme.configure(chart)


def lever_gain_chart(gains: pd.DataFrame, currency: str = "USD", *,
                     height: int = 220) -> alt.LayerChart:
    """Mean NPV gain of switching each lever on, prior vs posterior, +/- 2 s.e."""
    g = gains[gains["status"] == "off"]
    rows = []
    for _, r in g.iterrows():
        for which, m, se in (("prior", r["prior_gain_mean"], r["prior_gain_se"]),
                             ("posterior", r["posterior_gain_mean"], r["posterior_gain_se"])):
            rows.append({"label": r["label"], "which": which, "gain": m,
                         "lo": m - 2 * se, "hi": m + 2 * se})
    df = pd.DataFrame(rows, columns=["label", "which", "gain", "lo", "hi"])
    order = g["label"].tolist()
    x_axis = alt.Axis(title=f"Mean NPV gain ({currency})", labelExpr=money_label_expr(currency))
    color = alt.Color("which:N", title=None, scale=alt.Scale(
        domain=["prior", "posterior"], range=[PRIOR, theme.PRODUCTION]))
    bars = alt.Chart(df).mark_bar(height=12).encode(
        x=alt.X("gain:Q", axis=x_axis), y=alt.Y("label:N", sort=order, title=None),
        yOffset=alt.YOffset("which:N", sort=["prior", "posterior"]), color=color,
        tooltip=[alt.Tooltip("label:N", title="Lever"), alt.Tooltip("which:N"),
                 alt.Tooltip("gain:Q", title="Mean NPV gain", format=",.0f")])
    whisk = alt.Chart(df).mark_rule(color=PRIOR).encode(
        x="lo:Q", x2="hi:Q", y=alt.Y("label:N", sort=order),
        yOffset=alt.YOffset("which:N", sort=["prior", "posterior"]))
    chart = alt.layer(bars, whisk).properties(
        title=alt.TitleParams("What to fix first: lever gains on the posterior",
                              subtitle="Same paths with the lever on (common random "
                                       "numbers), weighted by the actuals"),
        height=height)
    return theme.configure(chart)
