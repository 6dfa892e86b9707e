"""Altair charts of a value-of-information analysis: what each group and input is worth,
and the Sobol indices of NPV."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..charts.theme import HEIGHT, PALETTE, WIDTH, configure, money_axis_format
from .analysis import VoiAnalysis


def evppi_chart(v: VoiAnalysis, top: int = 8) -> alt.Chart:
    """Bars: EVPPI of each input group and of the ``top`` inputs, with ±2 s.e. whiskers,
    and the EVPI as a rule."""
    ev = v.evppi
    df = pd.concat([ev[ev["kind"] == "group"], ev[ev["kind"] == "input"].head(top)])
    df = df.assign(lo=df["value"] - 2 * df["se"], hi=df["value"] + 2 * df["se"],
                   what=df["kind"].map({"group": "group", "input": "single input"}))
    y = alt.Y("input:N", sort=None, title=None)
    x_title = f"Expected value of perfect information ({v.currency})"
    bars = alt.Chart(df).mark_bar().encode(
        y=y, x=alt.X("value:Q", title=x_title, axis=alt.Axis(format=money_axis_format())),
        color=alt.Color("what:N", scale=alt.Scale(range=[PALETTE[0], PALETTE[5]]),
                        title=None),
        tooltip=["input", alt.Tooltip("value:Q", format=",.0f"),
                 alt.Tooltip("se:Q", format=",.0f")])
    whiskers = alt.Chart(df).mark_rule().encode(y=y, x="lo:Q", x2="hi:Q")
    evpi = alt.Chart(pd.DataFrame({"evpi": [v.evpi]})).mark_rule(
        color=PALETTE[3], strokeDash=[6, 3]).encode(x="evpi:Q")
    return configure((bars + whiskers + evpi).properties(
        width=WIDTH, height=HEIGHT, title="What knowing each uncertainty is worth "
                                          "(dashed: all of them, EVPI)"))


def sobol_chart(v: VoiAnalysis, top: int = 10) -> alt.Chart:
    """Grouped bars: first-order and total Sobol indices of NPV for the ``top`` inputs."""
    s = v.sobol[v.sobol["metric"] == "npv"].sort_values("ST", ascending=False).head(top)
    df = pd.concat([s.assign(index="first order (alone)", value=s["S1"], conf=s["S1_conf"]),
                    s.assign(index="total (with interactions)", value=s["ST"],
                             conf=s["ST_conf"])])
    return configure(alt.Chart(df).mark_bar().encode(
        y=alt.Y("input:N", sort=list(s["input"]), title=None),
        yOffset="index:N",
        x=alt.X("value:Q", title="Share of NPV variance"),
        color=alt.Color("index:N", scale=alt.Scale(range=[PALETTE[0], PALETTE[1]]),
                        title=None),
        tooltip=["input", "index", alt.Tooltip("value:Q", format=".3f"),
                 alt.Tooltip("conf:Q", format=".3f", title="± (95 %)")],
    ).properties(width=WIDTH, height=HEIGHT, title="Sobol indices of NPV"))
