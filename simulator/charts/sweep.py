"""Charts of sweep tables: a line with its P10-P90 band for one input, a heatmap (grid)
or a coloured scatter (Latin hypercube) for two.

Input: the tidy table of :func:`simulator.sweep.run_sweep` (``point``, one column per
input, one per metric). Money metrics are labelled in the scenario's currency, shares
as percentages.
"""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd

from ..formatting import money
from .theme import (
    BAND_OUTER_OPACITY,
    HEIGHT,
    PILOT_LENS,
    PRODUCTION,
    WIDTH,
    configure,
    money_axis_format,
)

_PCT = re.compile(r"^(.*)_p(\d+)$")
_NAMES = {"npv": "NPV", "roi": "ROI", "irr": "IRR", "prob_npv_positive": "P(NPV > 0)",
          "prob_npv_ge_pilot_lens": "P(NPV >= pilot lens)",
          "prob_payback_within_horizon": "P(payback within horizon)",
          "active_rate_m6": "Active rate, month 6", "active_rate_final": "Active rate, final",
          "launch_accuracy": "Launch accuracy", "accuracy_m6": "Accuracy, month 6",
          "accuracy_final": "Accuracy, final", "payback_month": "Payback month",
          "pilot_users_lapsed_m6": "Pilot users lapsed by month 6",
          "pilot_lens_npv": "Pilot-lens NPV", "expectation_gap": "Expectation gap"}


def metric_kind(metric: str) -> str:
    """``money``, ``share``, ``months`` or ``number``: how a metric is formatted."""
    m = metric.removesuffix("_se")
    if m.startswith(("npv", "pilot_lens_npv", "expectation_gap")):
        return "money"
    if m.startswith(("prob_", "active_rate", "launch_accuracy", "accuracy", "roi", "irr")):
        return "share"
    if m.startswith("payback_month"):
        return "months"
    return "number"


def metric_title(metric: str, currency: str = "USD") -> str:
    """Axis title with the unit, e.g. ``NPV P50 (USD)``, ``P(NPV > 0) (%)``."""
    se = metric.endswith("_se")
    m = metric.removesuffix("_se")
    if m in _NAMES:
        name = _NAMES[m]
    elif m == "npv_mean":
        name = "NPV mean"
    elif m == "npv_sd":
        name = "NPV standard deviation"
    elif (hit := _PCT.match(m)) is not None:
        name = f"{_NAMES.get(hit.group(1), hit.group(1))} P{hit.group(2)}"
    else:
        name = m
    if se:
        name += " (standard error)"
    unit = {"money": currency, "share": "%", "months": "months"}.get(metric_kind(metric))
    return f"{name} ({unit})" if unit else name


def _axis_format(metric: str) -> str | None:
    kind = metric_kind(metric)
    return {"money": money_axis_format(), "share": ".0%"}.get(kind)


def _label(value: float, metric: str, currency: str) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    kind = metric_kind(metric)
    if kind == "money":
        return money(float(value), currency)
    if kind == "share":
        return f"{value:.0%}"
    return f"{value:.3g}"


def band_columns(df: pd.DataFrame, metric: str) -> tuple[str, str] | None:
    """The P10 and P90 columns that bracket a percentile metric (``npv_p50`` ->
    ``npv_p10``, ``npv_p90``), if the table has them."""
    hit = _PCT.match(metric)
    if hit is None:
        return None
    lo, hi = f"{hit.group(1)}_p10", f"{hit.group(1)}_p90"
    return (lo, hi) if lo in df.columns and hi in df.columns else None


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def sweep_line(df: pd.DataFrame, x: str, metric: str = "npv_p50", *, currency: str = "USD",
               band: tuple[str, str] | None | bool = True, log_x: bool = False,
               title: str | None = None) -> alt.LayerChart:
    """One input against a metric: the metric as a line with points and, for a percentile
    metric, the P10-P90 band shaded (``band=False`` hides it)."""
    b = band_columns(df, metric) if band is True else (band or None)
    # Vega-Lite reads dots and brackets in field names as nesting: use plain names.
    data = pd.DataFrame({"x": df[x].to_numpy(), "value": df[metric].to_numpy(dtype=float)})
    if b:
        data["lo"] = df[b[0]].to_numpy(dtype=float)
        data["hi"] = df[b[1]].to_numpy(dtype=float)
    data = data.sort_values("x").reset_index(drop=True)
    mtitle = metric_title(metric, currency)
    fmt = _axis_format(metric)
    numeric_x = _numeric(data["x"])
    x_enc = alt.X(f"x:{'Q' if numeric_x else 'O'}", title=x,
                  scale=alt.Scale(type="log") if (log_x and numeric_x) else alt.Undefined)
    y_axis = alt.Axis(format=fmt) if fmt else alt.Axis()
    tips = [alt.Tooltip(f"x:{'Q' if numeric_x else 'N'}", title=x),
            alt.Tooltip("value:Q", title=mtitle, format=fmt or alt.Undefined)]
    if b:
        tips += [alt.Tooltip(f"{c}:Q", title=name, format=fmt or alt.Undefined)
                 for c, name in (("lo", b[0]), ("hi", b[1]))]
    base = alt.Chart(data)
    line = base.mark_line(color=PRODUCTION, point=alt.OverlayMarkDef(color=PRODUCTION)).encode(
        x_enc, alt.Y("value:Q", title=mtitle, axis=y_axis), tooltip=tips)
    layers = [line]
    subtitle = "Same seed at every point (common random numbers)"
    if b:
        area = base.mark_area(color=PRODUCTION, opacity=BAND_OUTER_OPACITY).encode(
            x_enc, alt.Y("lo:Q"), alt.Y2("hi:Q"))
        layers.insert(0, area)
        lo_p, hi_p = (c.rsplit("_", 1)[-1].upper() for c in b)
        subtitle = f"Line: {mtitle.split(' (')[0]}; band: {lo_p}-{hi_p}. {subtitle}"
    head = title or f"{mtitle.split(' (')[0]} across {x}"
    return alt.layer(*layers).properties(
        title=alt.TitleParams(head, subtitle=subtitle), width=WIDTH, height=HEIGHT)


def _color_scale(values: pd.Series, metric: str) -> alt.Scale:
    v = values[np.isfinite(values)]
    if metric_kind(metric) == "money" and len(v) and v.min() < 0 < v.max():
        return alt.Scale(domainMid=0, range=[PILOT_LENS, "#f7f7f7", PRODUCTION])
    return alt.Scale(range=["#f7f7f7", PRODUCTION])


def _levels(s: pd.Series) -> tuple[pd.Series, list[str]]:
    """String labels for an input's levels, and their order (numeric where numeric)."""
    labels = s.map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    order = list(dict.fromkeys(labels[np.argsort(s.to_numpy(), kind="stable")]
                               if _numeric(s) else labels))
    return labels, order


def sweep_heatmap(df: pd.DataFrame, x: str, y: str, metric: str = "npv_p50", *,
                  currency: str = "USD", title: str | None = None) -> alt.LayerChart:
    """Two grid inputs against a metric: one cell per point, coloured and labelled with the
    metric (money on a diverging scale around zero)."""
    xs, xo = _levels(df[x])
    ys, yo = _levels(df[y])
    data = pd.DataFrame({"x": xs, "y": ys, "value": df[metric].to_numpy(dtype=float),
                         "label": [_label(v, metric, currency) for v in df[metric]]})
    mtitle = metric_title(metric, currency)
    fmt = _axis_format(metric)
    base = alt.Chart(data).encode(alt.X("x:O", title=x, sort=xo, axis=alt.Axis(labelAngle=0)),
                                  alt.Y("y:O", title=y, sort=list(reversed(yo))))
    rect = base.mark_rect().encode(
        alt.Color("value:Q", title=mtitle, scale=_color_scale(data["value"], metric),
                  legend=alt.Legend(format=fmt) if fmt else alt.Legend()),
        tooltip=[alt.Tooltip("x:N", title=x), alt.Tooltip("y:N", title=y),
                 alt.Tooltip("label:N", title=mtitle)])
    text = base.mark_text(fontSize=11).encode(text="label:N")
    head = title or f"{mtitle.split(' (')[0]} across {x} and {y}"
    return alt.layer(rect, text).properties(
        title=alt.TitleParams(head, subtitle="Same seed at every point (common random "
                                             "numbers)"), width=WIDTH, height=HEIGHT)


def sweep_scatter(df: pd.DataFrame, x: str, y: str, metric: str = "npv_p50", *,
                  currency: str = "USD", title: str | None = None) -> alt.Chart:
    """Two sampled (Latin hypercube) inputs: one dot per point, coloured by the metric."""
    data = pd.DataFrame({"x": df[x].to_numpy(dtype=float), "y": df[y].to_numpy(dtype=float),
                         "value": df[metric].to_numpy(dtype=float)})
    mtitle = metric_title(metric, currency)
    fmt = _axis_format(metric)
    head = title or f"{mtitle.split(' (')[0]} across {x} and {y}"
    return alt.Chart(data).mark_circle(size=90, opacity=0.9).encode(
        alt.X("x:Q", title=x, scale=alt.Scale(zero=False)),
        alt.Y("y:Q", title=y, scale=alt.Scale(zero=False)),
        alt.Color("value:Q", title=mtitle, scale=_color_scale(data["value"], metric),
                  legend=alt.Legend(format=fmt) if fmt else alt.Legend()),
        tooltip=[alt.Tooltip("x:Q", title=x), alt.Tooltip("y:Q", title=y),
                 alt.Tooltip("value:Q", title=mtitle, format=fmt or alt.Undefined)],
    ).properties(title=alt.TitleParams(head, subtitle="Latin hypercube design; same seed "
                                                      "at every point"),
                 width=WIDTH, height=HEIGHT)


def sweep_chart(df: pd.DataFrame, inputs: list[str], metric: str = "npv_p50", *,
                currency: str = "USD", design: str = "grid", log_x: bool = False,
                themed: bool = True):
    """The right chart for a 1-D or 2-D sweep (line, heatmap or scatter); ``themed``
    applies the slide-ready fonts (leave off to layer or concatenate further)."""
    if metric not in df.columns:
        raise ValueError(f"metric {metric!r} is not in the sweep table "
                         f"(columns: {', '.join(map(str, df.columns))})")
    if len(inputs) == 1:
        chart = sweep_line(df, inputs[0], metric, currency=currency, log_x=log_x)
    elif len(inputs) == 2:
        build = sweep_scatter if design == "lhs" else sweep_heatmap
        chart = build(df, inputs[0], inputs[1], metric, currency=currency)
    else:
        raise ValueError(f"a sweep chart shows 1 or 2 inputs, this sweep has {len(inputs)}")
    return configure(chart) if themed else chart


__all__ = ["band_columns", "metric_kind", "metric_title", "sweep_chart",
           "sweep_heatmap", "sweep_line", "sweep_scatter"]
