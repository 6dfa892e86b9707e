"""Forecast charts: fan charts over months, the NPV distribution, and two-run comparisons.

Every builder takes plain results (``res.bands`` tidy table, per-path NPV arrays) and returns
an altair chart sized and labelled to be pasted into a slide: a title, axis titles with units,
money axes formatted with the scenario's currency ($1.2M, -$350k), and the Okabe-Ito palette
of :mod:`simulator.charts.theme`. The per-path NPV is binned here with numpy, so a chart
carries about 60 rows whatever the number of paths.

Public builders return configured (top-level) charts; the ``*_layers`` helpers return
unconfigured layers for callers that compose their own charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from ..engine.bands import PERCENTILES, STATS
from ..formatting import money, money_axis_expr
from ..results import SimulationResult
from ..telemetry import active_share_of_adopters, rate_bands
from . import theme

#: How each band metric is titled and formatted: (chart title, axis title, kind).
METRIC_INFO: dict[str, tuple[str, str, str]] = {
    "active_users": ("Active users", "Active users", "count"),
    "active_rate": ("Active-user rate", "Active users (% of registered)", "share"),
    "active_share": ("Active share of onboarded users", "Active users (% of those who used it)",
                     "share"),
    "accuracy": ("Output accuracy", "Accuracy (% correct outputs)", "share"),
    "benefit": ("Monthly benefit", "Benefit per month", "money"),
    "cost": ("Monthly cost", "Cost per month", "money"),
    "net": ("Monthly net cash", "Net cash per month", "money"),
    "cum_net": ("Cumulative net cash", "Cumulative net cash", "money"),
    "incidents": ("Integration incidents", "Incidents per month", "count"),
    "ever_used": ("Ever used", "Used it at least once (% of registered)", "share"),
    "weekly_active_rate": ("Weekly active rate", "Active in a week (% of registered)", "share"),
    "daily_active_rate": ("Daily active rate", "Active on a day (% of registered)", "share"),
}
#: Usage shares of the registered users: their fans start at month 1 and at zero.
RATE_METRICS = ("active_rate", "ever_used", "weekly_active_rate", "daily_active_rate",
                "active_share")
#: What the onboarded share divides by, said under its chart (and in docs/app.md).
ACTIVE_SHARE_DEFINITION = ("Active users / users who have used it at least once (ever used): "
                           "a wave's registrations count once they start using it")

#: NPV chart: labels of the marked lines in rows this many pixels apart from the top, and
#: the y axis reaching this multiple of the tallest bar to leave them room.
LABEL_TOP_PX = 4
LABEL_ROW_PX = 18
HEADROOM = 1.45

#: Plot width of each panel of the onboarded-share chart (a concatenated chart does not
#: stretch to its column; this fits half of a 1,280 px page with its axis labels).
CONCAT_WIDTH = 480

MONTH_AXIS = alt.Axis(title="Month after go-live", tickMinStep=1, format="d")


def money_label_expr(currency: str) -> str:
    """Vega expression labelling a money axis: '-USD 350k', 'USD 1.2M' (SI-abbreviated)."""
    return money_axis_expr(currency)


def _month_scale(df: pd.DataFrame) -> alt.Scale:
    return alt.Scale(domain=[0, int(df["month"].max())], nice=False)


def metric_axis(metric: str, currency: str) -> alt.Axis:
    """Y axis of a band metric: its title with unit, money as '$1.2M', shares as %."""
    _, axis_title, kind = METRIC_INFO[metric]
    if kind == "money":
        return alt.Axis(title=f"{axis_title} ({currency})", labelExpr=money_label_expr(currency))
    if kind == "share":
        return alt.Axis(title=axis_title, format=".0%")
    return alt.Axis(title=axis_title, format=",.0f")


def _tooltip_format(metric: str) -> str:
    kind = METRIC_INFO[metric][2]
    return {"money": ",.0f", "share": ".1%", "count": ",.1f"}[kind]


def band_frame(bands: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per month with the metric's p5..p95 and mean as columns."""
    if metric not in METRIC_INFO:
        raise ValueError(f"metric {metric!r} is not a band metric "
                         f"(allowed: {', '.join(METRIC_INFO)})")
    sub = bands[bands["metric"] == metric]
    months, mi = np.unique(sub["month"].to_numpy(), return_inverse=True)
    stats, si = np.unique(sub["stat"].to_numpy().astype(str), return_inverse=True)
    cells = mi * len(stats) + si
    if len(np.unique(cells)) != len(cells):
        raise ValueError(f"bands of {metric!r} hold a (month, stat) cell twice: duplicate "
                         "entries, cannot reshape")
    # What ``sub.pivot(index="month", columns="stat", values="value").reset_index()``
    # gives (months and stats sorted, a missing cell NaN), without pandas' reshaping, which
    # cost a third of building a new result's chart specs.
    grid = np.full(len(months) * len(stats), np.nan)
    grid[cells] = sub["value"].to_numpy(dtype=float)
    grid = grid.reshape(len(months), len(stats))
    return pd.DataFrame({"month": months, **{str(s): grid[:, j] for j, s in enumerate(stats)}})


def fan_frame(bands: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows a fan chart of ``metric`` draws: :func:`band_frame`, from month 1 for the
    active-user rate (month 0 registers only the pilot team, all active: a 100 % spike that
    says nothing about the rollout)."""
    df = band_frame(bands, metric)
    if metric in RATE_METRICS:
        df = df[df["month"] >= 1]
    return df


def fan_layers(bands: pd.DataFrame, metric: str, currency: str = "USD", *,
               color: str = theme.PRODUCTION, label: str | None = None) -> list[alt.Chart]:
    """Unconfigured layers: P10-P90 band, P25-P75 band and the median line of ``metric``.

    A list (each layer carrying its own data) for the caller to pass to ``alt.layer``.
    """
    df = fan_frame(bands, metric)
    if label is not None:
        df["scenario"] = label
    y_axis = metric_axis(metric, currency)
    fmt = _tooltip_format(metric)
    base = alt.Chart(df).encode(x=alt.X("month:Q", axis=MONTH_AXIS, scale=_month_scale(df)))
    tips = [alt.Tooltip("month:Q", title="Month"),
            alt.Tooltip("p10:Q", title="P10", format=fmt),
            alt.Tooltip("p50:Q", title="Median", format=fmt),
            alt.Tooltip("p90:Q", title="P90", format=fmt)]
    if label is not None:
        tips.insert(0, alt.Tooltip("scenario:N", title="Scenario"))
    zero = METRIC_INFO[metric][2] != "share" or metric in RATE_METRICS
    scale = alt.Scale(zero=zero)
    outer = base.mark_area(color=color, opacity=theme.BAND_OUTER_OPACITY).encode(
        y=alt.Y("p10:Q", axis=y_axis, scale=scale), y2="p90:Q")
    inner = base.mark_area(color=color, opacity=theme.BAND_INNER_OPACITY).encode(
        y=alt.Y("p25:Q", axis=y_axis, scale=scale), y2="p75:Q")
    line = base.mark_line(color=color, strokeWidth=2.5).encode(
        y=alt.Y("p50:Q", axis=y_axis, scale=scale), tooltip=tips)
    return [outer, inner, line]


def fan_chart(bands: pd.DataFrame, metric: str, currency: str = "USD", *,
              title: str | None = None, color: str = theme.PRODUCTION,
              height: int = theme.HEIGHT) -> alt.LayerChart:
    """Fan chart of a band metric over months: P10-P90 and P25-P75 bands with the median.

    ``bands`` is ``SimulationResult.bands`` (tidy month / metric / stat / value).
    """
    layers = fan_layers(bands, metric, currency, color=color)  # validates ``metric``
    head = title or METRIC_INFO[metric][0]
    if METRIC_INFO[metric][2] == "money":
        layers.append(alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(
            color=theme.PALETTE[7], strokeDash=[4, 4]).encode(y="y:Q"))
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(head, subtitle="Median line; dark band P25-P75, light band "
                                             "P10-P90 of the simulated paths"),
        height=height)
    return theme.configure(chart)


def active_share_bands(res: SimulationResult) -> pd.DataFrame:
    """Tidy bands (month, metric, stat, value) of ``active_share``, the active share of
    onboarded users (:func:`simulator.telemetry.active_share_of_adopters`) per month."""
    arr = rate_bands(active_share_of_adopters(res.telemetry), PERCENTILES)
    h1, ns = arr.shape
    return pd.DataFrame({"month": np.repeat(np.arange(h1), ns), "metric": "active_share",
                         "stat": np.tile(np.array(STATS, dtype=object), h1),
                         "value": arr.reshape(-1)})


def registrations_frame(res: SimulationResult) -> pd.DataFrame:
    """Registered users by month (the pilot team at month 0, then each wave as it starts)."""
    reg = np.asarray(res.registered, dtype=float)[: res.horizon + 1]
    return pd.DataFrame({"month": np.arange(reg.size), "registered": reg})


def onboarded_share_chart(res: SimulationResult, currency: str = "USD", *,
                          height: int = theme.HEIGHT) -> alt.VConcatChart:
    """The active share of onboarded users as a fan (no saw-tooth at wave starts: a wave's
    registrations enter the denominator as they start using it), and below it the
    registered users by month, so the waves are seen where they happen."""
    bands = active_share_bands(res)
    fan = alt.layer(*fan_layers(bands, "active_share", currency)).properties(
        title=alt.TitleParams(METRIC_INFO["active_share"][0], subtitle=[
            ACTIVE_SHARE_DEFINITION, "Median line; dark band P25-P75, light band P10-P90 "
                                     "of the simulated paths"]),
        height=int(height * 0.62), width=CONCAT_WIDTH)
    reg = registrations_frame(res)
    bars = alt.Chart(reg).mark_bar(color=theme.PALETTE[7], opacity=0.6).encode(
        x=alt.X("month:Q", axis=MONTH_AXIS, scale=_month_scale(reg)),
        y=alt.Y("registered:Q", axis=alt.Axis(title="Registered users", format=",.0f",
                                              tickCount=3)),
        tooltip=[alt.Tooltip("month:Q", title="Month"),
                 alt.Tooltip("registered:Q", title="Registered users", format=",.0f")]
    ).properties(title=alt.TitleParams("Registrations", subtitle="Registered users by month "
                                       "(the waves as they start)"),
                 height=int(height * 0.22), width=CONCAT_WIDTH)
    return theme.configure(alt.vconcat(fan, bars, spacing=12))


def _hist(x: np.ndarray, edges: np.ndarray) -> pd.DataFrame:
    counts, _ = np.histogram(x, bins=edges)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:],
                         "share": counts / max(1, x.size), "paths": counts})


def _edges(arrays: list[np.ndarray], bins: int, extra: list[float] = ()) -> np.ndarray:
    vals = [a[np.isfinite(a)] for a in arrays]
    lo = min([float(v.min()) for v in vals if v.size] + list(extra) or [0.0])
    hi = max([float(v.max()) for v in vals if v.size] + list(extra) or [1.0])
    if hi <= lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, bins + 1)


@dataclass(frozen=True)
class NpvParts:
    """What the NPV distribution chart draws, computed from the per-path NPV (no altair):
    the histogram, the marked lines (break-even, production median, pilot lens) with their
    labels and sides, the y axis top and the subtitle."""

    hist: pd.DataFrame
    marks: pd.DataFrame
    y_top: float
    subtitle: list[str]


def npv_parts(npv: np.ndarray, pilot_lens_npv: float | None, currency: str = "USD",
              bins: int = 60) -> NpvParts:
    """The data of :func:`npv_distribution_chart` (shared with :mod:`.specs`)."""
    npv = np.asarray(npv, dtype=float)
    finite = npv[np.isfinite(npv)]
    med = float(np.median(finite)) if finite.size else float("nan")
    has_lens = pilot_lens_npv is not None and np.isfinite(pilot_lens_npv)
    hist = _hist(finite, _edges([finite], bins, [pilot_lens_npv] if has_lens else []))
    top = float(hist["share"].max()) or 1.0
    marks = pd.DataFrame({
        "x": [0.0, med],
        "label": ["break-even", f"production median {money(med, currency)}"],
        "color": [theme.PALETTE[7], theme.PALETTE[1]]})
    if has_lens:
        marks.loc[len(marks)] = [float(pilot_lens_npv),
                                 f"pilot-lens case {money(pilot_lens_npv, currency)}",
                                 theme.PILOT_LENS]
    # Labels sit in their own rows above the tallest bar, a fixed number of pixels apart,
    # so they never overprint whatever the data; those right of the middle of the axis
    # are right-aligned so they stay inside the plot.
    mid = 0.5 * (float(hist["start"].iloc[0]) + float(hist["end"].iloc[-1]))
    marks["right"] = marks["x"] > mid
    subtitle = []
    if has_lens:
        gap = float(pilot_lens_npv) - med
        share = float(np.mean(finite >= pilot_lens_npv)) if finite.size else float("nan")
        subtitle = [f"Expectation gap: the pilot-lens case sits "
                    f"{money(abs(gap), currency)} "
                    f"{'above' if gap >= 0 else 'below'} the production median; "
                    f"{share:.1%} of paths reach it"]
    return NpvParts(hist, marks, top * HEADROOM, subtitle)


def npv_distribution_chart(npv: np.ndarray, pilot_lens_npv: float | None, currency: str = "USD",
                           *, bins: int = 60, height: int = theme.HEIGHT,
                           title: str = "NPV distribution and the expectation gap"
                           ) -> alt.LayerChart:
    """Histogram of per-path NPV with the production median, zero, and the pilot-lens NPV.

    The pilot lens (the business case as the pilot saw it) is a vermillion rule with its
    value; the distance to the production median is the expectation gap, given in the
    subtitle with the share of paths that reach the pilot-lens case.
    """
    p = npv_parts(npv, pilot_lens_npv, currency, bins)
    x_axis = alt.Axis(title=f"NPV ({currency})", labelExpr=money_label_expr(currency))
    bars = alt.Chart(p.hist).mark_rect(color=theme.PRODUCTION, opacity=0.85, stroke="white",
                                       strokeWidth=0.5).encode(
        x=alt.X("start:Q", axis=x_axis, scale=alt.Scale(zero=False)), x2="end:Q",
        y=alt.Y("share:Q", axis=alt.Axis(title="Share of paths", format=".0%"),
                scale=alt.Scale(domain=[0, p.y_top])),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("start:Q", title="NPV from", format=",.0f"),
                 alt.Tooltip("end:Q", title="NPV to", format=",.0f"),
                 alt.Tooltip("share:Q", title="Share of paths", format=".1%")])
    rules = alt.Chart(p.marks).mark_rule(strokeWidth=2.5, strokeDash=[6, 3]).encode(
        x="x:Q", color=alt.Color("color:N", scale=None), tooltip=["label:N"])
    texts = []
    for i in range(len(p.marks)):
        row = p.marks.iloc[[i]]
        right = bool(row["right"].iloc[0])
        texts.append(alt.Chart(row).mark_text(
            align="right" if right else "left", dx=-5 if right else 5, fontSize=12,
            fontWeight="bold", baseline="top").encode(
            x="x:Q", y=alt.value(LABEL_TOP_PX + LABEL_ROW_PX * i), text="label:N",
            color=alt.Color("color:N", scale=None)))
    subtitle = p.subtitle
    chart = alt.layer(bars, rules, *texts).properties(
        title=alt.TitleParams(title, subtitle=subtitle), height=height)
    return theme.configure(chart)


def npv_comparison_chart(npvs: Mapping[str, np.ndarray], currency: str = "USD", *,
                         bins: int = 50, height: int = theme.HEIGHT,
                         title: str = "NPV distribution: side by side") -> alt.LayerChart:
    """Overlaid NPV histograms (common bins) of two or more runs, with each median marked."""
    names = list(npvs)
    arrays = [np.asarray(npvs[n], dtype=float) for n in names]
    edges = _edges(arrays, bins)
    frames = []
    for n, a in zip(names, arrays, strict=True):
        h = _hist(a[np.isfinite(a)], edges)
        h["scenario"] = n
        frames.append(h)
    df = pd.concat(frames, ignore_index=True)
    color = _scenario_color(names)
    x_axis = alt.Axis(title=f"NPV ({currency})", labelExpr=money_label_expr(currency))
    bars = alt.Chart(df).mark_area(interpolate="step-after", opacity=0.45).encode(
        x=alt.X("start:Q", axis=x_axis, scale=alt.Scale(zero=False)),
        y=alt.Y("share:Q", stack=None, axis=alt.Axis(title="Share of paths", format=".0%")),
        color=color,
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("start:Q", title="NPV from", format=",.0f"),
                 alt.Tooltip("share:Q", title="Share of paths", format=".1%")])
    med = pd.DataFrame({"scenario": names,
                        "median": [float(np.nanmedian(a)) for a in arrays]})
    rules = alt.Chart(med).mark_rule(strokeWidth=2.5, strokeDash=[6, 3]).encode(
        x="median:Q", color=color,
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("median:Q", title="Median NPV", format=",.0f")])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=theme.PALETTE[7]).encode(
        x="x:Q")
    chart = alt.layer(bars, rules, zero).properties(
        title=alt.TitleParams(title, subtitle="Dashed lines: medians; solid line: break-even"),
        height=height)
    return theme.configure(chart)


def _scenario_color(names: list[str]) -> alt.Color:
    """One colour per compared run: production first, then with levers, then the palette."""
    first = [theme.PRODUCTION, theme.WITH_LEVERS]
    rest = [c for c in theme.PALETTE if c not in first]
    return alt.Color("scenario:N", title=None, sort=names,
                     scale=alt.Scale(domain=names, range=(first + rest)[:len(names)]),
                     legend=alt.Legend(orient="top"))


def fan_comparison_chart(bands: Mapping[str, pd.DataFrame], metric: str = "cum_net",
                         currency: str = "USD", *, height: int = theme.HEIGHT,
                         title: str | None = None) -> alt.LayerChart:
    """Fan charts of two or more runs on one axis: each its P10-P90 band and median."""
    names = list(bands)
    frames = []
    for n in names:
        f = band_frame(bands[n], metric)
        f["scenario"] = n
        frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    color = _scenario_color(names)
    y_axis = metric_axis(metric, currency)
    fmt = _tooltip_format(metric)
    base = alt.Chart(df).encode(x=alt.X("month:Q", axis=MONTH_AXIS, scale=_month_scale(df)),
                                color=color)
    band = base.mark_area(opacity=theme.BAND_OUTER_OPACITY).encode(
        y=alt.Y("p10:Q", axis=y_axis), y2="p90:Q")
    line = base.mark_line(strokeWidth=2.5).encode(
        y=alt.Y("p50:Q", axis=y_axis),
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                 alt.Tooltip("month:Q", title="Month"),
                 alt.Tooltip("p10:Q", title="P10", format=fmt),
                 alt.Tooltip("p50:Q", title="Median", format=fmt),
                 alt.Tooltip("p90:Q", title="P90", format=fmt)])
    layers = [band, line]
    if METRIC_INFO[metric][2] == "money":
        layers.append(alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(
            color=theme.PALETTE[7], strokeDash=[4, 4]).encode(y="y:Q"))
    head = title or f"{METRIC_INFO[metric][0]}: side by side"
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(head, subtitle="Median lines with P10-P90 bands"), height=height)
    return theme.configure(chart)


def comparison_chart(a: SimulationResult, b: SimulationResult, label_a: str, label_b: str,
                     metric: str = "cum_net") -> alt.HConcatChart:
    """Two runs side by side: NPV distributions (left) and a fan chart of ``metric`` (right).

    For slides and exports; the app shows the two panels separately so each can stretch.
    """
    cur = a.scenario.scenario.currency
    left = npv_comparison_chart({label_a: a.metric("npv"), label_b: b.metric("npv")}, cur)
    right = fan_comparison_chart({label_a: a.bands, label_b: b.bands}, metric, cur)
    return theme.configure(alt.hconcat(_unconfigure(left).properties(width=theme.WIDTH),
                                       _unconfigure(right).properties(width=theme.WIDTH)))


def _unconfigure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A copy of a configured chart without its top-level config (so it can be composed)."""
    c = chart.copy(deep=True)
    c.config = alt.Undefined
    return c


__all__ = ["ACTIVE_SHARE_DEFINITION", "METRIC_INFO", "NpvParts", "active_share_bands",
           "band_frame", "comparison_chart", "fan_chart",
           "fan_comparison_chart", "fan_frame", "fan_layers", "money_label_expr",
           "npv_comparison_chart", "npv_distribution_chart", "npv_parts",
           "onboarded_share_chart", "registrations_frame"]
