"""Streamlit business-case explorer: pick or upload a scenario, adjust it, see its range.

Thin layout only: what the widgets mean lives in ``simulator.ui.controls``, metric wording in
``simulator.ui.metrics``, charts in ``simulator.charts.forecast``, cached runs in
``simulator.ui.runner``. Run with ``make run`` (or ``streamlit run app.py``); see docs/app.md.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from simulator import ScenarioError
from simulator.charts import forecast
from simulator.inputs_table import source_summary
from simulator.ui import access, controls, links, metrics, rollout, runner, timing, widgets
from simulator.ui import session as ss
from simulator.ui.plain import md_escape, md_unlink
from simulator.ui.registry import TABS, TabContext
from simulator.verdicts import run_verdict

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

st.set_page_config(page_title="AI rollout business case", layout="wide")
timing.begin()  # server-side time of this run, logged only when ROLLOUT_SIM_RERUN_LOG is set
access.gate()  # signed-out or not-allowed visitors stop here, before any scenario is read
state = st.session_state
files = ss.scenario_files(SCENARIOS)
ss.init_state(state, files)
link_problems = links.restore_settings(st.query_params, state, files, links.tab_labels(TABS))

# ----------------------------------------------------------------------- sidebar: source, runs
with st.sidebar:
    st.header("Scenario")
    st.radio("Scenario source", ss.SOURCES, key=ss.SOURCE, horizontal=True)
    if state[ss.SOURCE] == ss.SHIPPED:
        st.selectbox("Scenario file", files, key=ss.FILE,
                     help="Scenarios shipped in scenarios/; seed_case.toml is the source case.")
    else:
        st.file_uploader("Scenario TOML file", type=["toml"], key=ss.UPLOADER,
                         on_change=widgets.store_upload,
                         help="A scenario in the format of scenarios/seed_case.toml.")
    st.header("Simulation")
    st.number_input("Monte Carlo paths", min_value=ss.MIN_PATHS, max_value=ss.MAX_PATHS,
                    step=1000, key=ss.PATHS,
                    help="More paths: smaller Monte Carlo error, slower updates.")
    st.number_input("Random seed", min_value=0, step=1, key=ss.SEED,
                    help="Same seed, same results; every variant shares its random numbers.")

st.title("AI rollout business case")
try:
    loaded = ss.base_scenario(state, SCENARIOS)
    base = rollout.template(state, loaded, SCENARIOS)  # the Rollout tab's template
except ScenarioError as exc:
    widgets.show_problems(exc, "This scenario file cannot be used:")
    timing.stop()
if base is None:
    st.info("Upload a scenario TOML file in the sidebar (scenarios/seed_case.toml shows the "
            "format), or switch back to a shipped scenario.")
    timing.stop()

token = controls.scenario_token(base)  # widgets take the file's values when first drawn
widgets.forget_other_scenarios(token)
link_problems += links.restore_edits(st.query_params, state, base, token)
for problem in link_problems:  # a bad shared link: say which parameter, keep running
    st.warning(f"Link parameter ignored: {md_unlink(problem)}")
cur = base.scenario.currency

# ----------------------------------------------------------------------- sidebar: levers
with st.sidebar:
    st.header("Levers")
    for c in controls.lever_switches(base):
        widgets.render_plain(c, token)
    st.header("Horizon and discounting")
    for c in controls.settings_controls(base):
        widgets.render_plain(c, token, slider=True)
    st.button("Reset all assumptions to the file", on_click=widgets.reset_inputs,
              args=(token,), width="stretch")

if base.scenario.description:
    st.caption(md_escape(base.scenario.description))
problems_box = st.container()
headline_box = st.container()
tabs = st.tabs(links.tab_labels(TABS), key=ss.MAIN_TAB, on_change="rerun")
forecast_tab, assumptions_tab, rollout_tab, compare_tab, *extra_tabs = tabs

with rollout_tab:  # drawn only while open; closed, the same design read from session state
    design = (rollout.render(loaded, base, token, files) if rollout_tab.open is not False
              else rollout.hidden(state, base, token))

with assumptions_tab:  # 160 inputs: those of open groups drawn while the tab is open
    widgets.render_assumptions(rollout.assumption_groups(controls.control_groups(
        design.scenario)), token, shown=assumptions_tab.open is not False,
        sources=design.scenario.sources(), summary=source_summary(design.scenario))
with compare_tab:
    st.radio("Compare", ss.COMPARE_MODES, key=ss.COMPARE_MODE, horizontal=True)
    if state[ss.COMPARE_MODE] == ss.COMPARE_OTHER:
        st.selectbox("Other scenario", files, key=ss.COMPARE_FILE)

sc, invalid = ss.scenario_or_last_good(state, token, lambda: rollout.adjusted(
    base, design, controls.values_from_state(base, state, token), state))
if invalid is not None:  # the last valid results stay on screen under the message
    with problems_box:
        widgets.show_problems(invalid, "These inputs do not make a valid scenario; the results "
                                       "update once they are fixed:")
    if sc is None:
        state[ss.HEADLINES] = state[ss.HEADLINE_SE] = None
        timing.stop()

# ----------------------------------------------------------------------- results
links.sync(st.query_params, state, base, token, sc)  # the URL reproduces this view
state[links.EDITS] = links.deck_edits(state, base, sc, token)  # what the deck says it simulated
paths, seed = int(state[ss.PATHS]), int(state[ss.SEED])
edited = sc is not base
widgets.compile_kernels_with_progress()  # a cold kernel cache: says so, with progress
try:  # runner refuses a run over the app's limits (cohorts, tiers, paths x horizon)
    with st.spinner(runner.spinner_message()):
        res = runner.run(sc, paths, seed)
        base_res = runner.run(base, paths, seed) if edited else None
except ScenarioError as exc:
    state[ss.HEADLINES] = state[ss.HEADLINE_SE] = None
    with problems_box:
        widgets.show_problems(exc, "This run is over the app's limits:")
    timing.stop()
items = metrics.headline_metrics(res)
state[ss.HEADLINES] = metrics.headline_values(items)
state[ss.HEADLINE_SE] = metrics.headline_ses(items)

with headline_box:
    st.subheader(md_escape(sc.name) + (" (adjusted)" if edited else "")
                 + (": last valid results" if invalid is not None else ""))
    st.info(run_verdict(res), icon=":material/gavel:")  # the CLI's and the deck's sentence
    widgets.render_headlines(items, metrics.headline_metrics(base_res) if edited else None, cur)
    st.caption(f"{paths:,} paths, seed {seed}, {res.horizon} months. Changes (arrows) are "
               "against the scenario as loaded, on the same random numbers.")
    for col, d in zip(st.columns([1, 1, 2]), ss.downloads(sc, res, paths, seed), strict=False):
        col.download_button(d.label, d.data, file_name=d.file_name, mime=d.mime,  # made on click
                            on_click="ignore", width="stretch", key=d.key)

with forecast_tab:
    adoption_views = {"Active-user rate (monthly)": "active_rate", "Ever used": "ever_used",
                      "Weekly active": "weekly_active_rate", "Daily active": "daily_active_rate",
                      "Active users": "active_users"}
    view = st.radio("Adoption shown as", list(adoption_views), horizontal=True,
                    key="adoption_view", help="The usage-telemetry vocabulary: share of "
                    "registered users who ever used it, or were active in the month, a week "
                    "or a day (docs/classes.md).")
    adoption = adoption_views.get(view, "active_rate")
    # Specs built once per shared result, from chart templates built once per process.
    shown = runner.forecast_specs(res, adoption, cur)
    for col, spec in zip([*st.columns(2), *st.columns(2)], shown, strict=True):
        col.vega_lite_chart(spec, width="stretch")

with compare_tab:
    if compare_tab.open is not False:
        mode = state[ss.COMPARE_MODE]
        try:
            other = (ss.load_file(SCENARIOS / state[ss.COMPARE_FILE])
                     if mode == ss.COMPARE_OTHER else None)
            la, a, lb, b = ss.comparison_pair(sc, mode, other)
        except ScenarioError as exc:
            widgets.show_problems(exc, "The comparison scenario cannot be used:")
        else:
            with st.spinner(runner.spinner_message()):
                ra, rb = runner.run(a, paths, seed), runner.run(b, paths, seed)
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

ctx = TabContext(scenario=sc, paths=paths, seed=seed, result=res)
for tab, (label, target) in zip(extra_tabs, TABS, strict=True):
    with tab:
        if tab.open is not False:
            widgets.render_registered(label, target, ctx)
timing.end()
