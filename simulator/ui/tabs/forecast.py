"""The Forecast tab: the four monthly fan charts of the current run."""

from __future__ import annotations

import streamlit as st

from .. import runner
from ..registry import Tab, TabContext


def render(ctx: TabContext) -> None:
    """Active users (or rate), accuracy and cash: the run's monthly bands."""
    adoption_views = {"Active share of onboarded": "active_share", "Ever used": "ever_used",
                      "Weekly active": "weekly_active_rate", "Daily active": "daily_active_rate",
                      "Active of all registered": "active_rate", "Active users": "active_users"}
    view = st.radio("Adoption shown as", list(adoption_views), horizontal=True,
                    key="adoption_view", help="Active share of onboarded users: active users "
                    "/ users who have used it at least once, with registrations by month "
                    "below it (no dip when a wave registers). The usage-telemetry "
                    "vocabulary: share of registered users who ever used it, or were active "
                    "in the month, a week or a day (docs/app.md, docs/classes.md).")
    adoption = adoption_views.get(view, "active_share")
    # Specs built once per shared result, from chart templates built once per process.
    shown = runner.forecast_specs(ctx.result, adoption, ctx.scenario.scenario.currency)
    for col, spec in zip([*st.columns(2), *st.columns(2)], shown, strict=True):
        col.vega_lite_chart(spec, width="stretch")


TAB = Tab("Forecast", render=render, lazy=False)
