"""The Forecast tab: the four monthly fan charts of the current run."""

from __future__ import annotations

import streamlit as st

from .. import runner
from ..registry import Tab, TabContext


def render(ctx: TabContext) -> None:
    """Active users (or rate), accuracy and cash: the run's monthly bands."""
    view = st.radio("Adoption shown as", ["Active-user rate", "Active users"],
                    horizontal=True, key="adoption_view")
    adoption = "active_rate" if view == "Active-user rate" else "active_users"
    # Specs built once per shared result, from chart templates built once per process.
    shown = runner.forecast_specs(ctx.result, adoption, ctx.scenario.scenario.currency)
    for col, spec in zip([*st.columns(2), *st.columns(2)], shown, strict=True):
        col.vega_lite_chart(spec, width="stretch")


TAB = Tab("Forecast", render=render, lazy=False)
