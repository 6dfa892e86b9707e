"""The Forecast tab: the four monthly fan charts of the current run."""

from __future__ import annotations

import streamlit as st

from .. import runner
from ..registry import Tab, TabContext


def render(ctx: TabContext) -> None:
    """Active users (or rate), accuracy and cash: the run's monthly bands."""
    adoption_views = {"Active-user rate (monthly)": "active_rate", "Ever used": "ever_used",
                      "Weekly active": "weekly_active_rate", "Daily active": "daily_active_rate",
                      "Active users": "active_users"}
    view = st.radio("Adoption shown as", list(adoption_views), horizontal=True,
                    key="adoption_view", help="The usage-telemetry vocabulary: share of "
                    "registered users who ever used it, or were active in the month, a week "
                    "or a day (docs/classes.md).")
    adoption = adoption_views.get(view, "active_rate")
    # Specs built once per shared result, from chart templates built once per process.
    shown = runner.forecast_specs(ctx.result, adoption, ctx.scenario.scenario.currency)
    for col, spec in zip([*st.columns(2), *st.columns(2)], shown, strict=True):
        col.vega_lite_chart(spec, width="stretch")


TAB = Tab("Forecast", render=render, lazy=False)
