"""The Compare tab: two scenarios on the same paths and seed, side by side."""

from __future__ import annotations

import streamlit as st

from ...charts import forecast
from ...scenario import ScenarioError
from .. import metrics, runner, widgets
from .. import session as ss
from ..registry import Draft, Tab, TabContext


def edit(draft: Draft, shown: bool) -> None:
    """What to compare (drawn always: the choice persists while the tab is closed)."""
    st.radio("Compare", ss.COMPARE_MODES, key=ss.COMPARE_MODE, horizontal=True)
    if draft.state[ss.COMPARE_MODE] == ss.COMPARE_OTHER:
        st.selectbox("Other scenario", draft.files, key=ss.COMPARE_FILE)


def render(ctx: TabContext) -> None:
    """Headline table, NPV distributions and cumulative cash of the pair."""
    state = st.session_state
    mode, cur = state[ss.COMPARE_MODE], ctx.scenario.scenario.currency
    try:
        other = (ss.load_file(ctx.scenarios_dir / state[ss.COMPARE_FILE])
                 if mode == ss.COMPARE_OTHER else None)
        la, a, lb, b = ss.comparison_pair(ctx.scenario, mode, other)
    except ScenarioError as exc:
        widgets.show_problems(exc, "The comparison scenario cannot be used:")
        return
    with st.spinner(runner.spinner_message()):
        ra, rb = runner.run(a, ctx.paths, ctx.seed), runner.run(b, ctx.paths, ctx.seed)
    st.caption("Both run on the same paths and seed (common random numbers), so the "
               "difference is the change, not sampling noise.")
    st.dataframe(metrics.comparison_table(metrics.headline_metrics(ra),
                                          metrics.headline_metrics(rb), la, lb, cur),
                 hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(forecast.npv_comparison_chart(
        {la: ra.metric("npv"), lb: rb.metric("npv")}, cur), width="stretch")
    right.altair_chart(forecast.fan_comparison_chart(
        {la: ra.bands, lb: rb.bands}, "cum_net", cur), width="stretch")


TAB = Tab("Compare", render=render, edit=edit, edit_order=2)
