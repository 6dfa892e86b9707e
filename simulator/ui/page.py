"""The page around the tabs: sign-in, the sidebar, the scenario, the run and its headlines.

:func:`start` ends with the draft the editing tabs shape (or stops the script with a
message); :func:`run` turns the edited draft into the scenario as adjusted, runs it and
draws the headlines, and returns what the result tabs get.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ..scenario import ScenarioError
from ..verdicts import run_verdict
from . import access, controls, links, metrics, rollout, runner, timing, widgets
from . import session as ss
from .plain import md_escape, md_unlink
from .registry import Draft, TabContext


def _sidebar_source(files: list[str]) -> None:
    state = st.session_state
    with st.sidebar:
        st.header("Scenario")
        st.radio("Scenario source", ss.SOURCES, key=ss.SOURCE, horizontal=True)
        if state[ss.SOURCE] == ss.SHIPPED:
            st.selectbox("Scenario file", files, key=ss.FILE,
                         help="Scenarios shipped in scenarios/; seed_case.toml is the source "
                              "case.")
        else:
            st.file_uploader("Scenario TOML file", type=["toml"], key=ss.UPLOADER,
                             on_change=widgets.store_upload,
                             help="A scenario in the format of scenarios/seed_case.toml.")
        st.header("Simulation")
        st.number_input("Monte Carlo paths", min_value=ss.MIN_PATHS, max_value=ss.MAX_PATHS,
                        step=1000, key=ss.PATHS,
                        help="More paths: smaller Monte Carlo error, slower updates.")
        st.number_input("Random seed", min_value=0, step=1, key=ss.SEED,
                        help="Same seed, same results; every variant shares its random "
                             "numbers.")


def _sidebar_levers(base, token: str) -> None:
    with st.sidebar:
        st.header("Levers")
        for c in controls.lever_switches(base):
            widgets.render_plain(c, token)
        st.header("Horizon and discounting")
        for c in controls.settings_controls(base):
            widgets.render_plain(c, token, slider=True)
        st.button("Reset all assumptions to the file", on_click=widgets.reset_inputs,
                  args=(token,), width="stretch")


def start(scenarios_dir: Path, tab_labels: list[str]) -> Draft:
    """Sign-in, the sidebar and the scenario file: the draft the editing tabs shape."""
    access.gate()  # signed-out or not-allowed visitors stop here, before any file is read
    state = st.session_state
    files = ss.scenario_files(scenarios_dir)
    ss.init_state(state, files)
    problems = links.restore_settings(st.query_params, state, files, tab_labels)
    _sidebar_source(files)
    st.title("AI rollout business case")
    try:
        loaded = ss.base_scenario(state, scenarios_dir)
        base = rollout.template(state, loaded, scenarios_dir)  # the Rollout tab's template
    except ScenarioError as exc:
        widgets.show_problems(exc, "This scenario file cannot be used:")
        timing.stop()
    if base is None:
        st.info("Upload a scenario TOML file in the sidebar (scenarios/seed_case.toml shows "
                "the format), or switch back to a shipped scenario.")
        timing.stop()
    token = controls.scenario_token(base)  # widgets take the file's values when first drawn
    widgets.forget_other_scenarios(token)
    problems += links.restore_edits(st.query_params, state, base, token)
    for problem in problems:  # a bad shared link: say which parameter, keep running
        st.warning(f"Link parameter ignored: {md_unlink(problem)}")
    _sidebar_levers(base, token)
    if base.scenario.description:
        st.caption(md_escape(base.scenario.description))
    return Draft(state=state, files=files, scenarios_dir=scenarios_dir, loaded=loaded,
                 base=base, token=token, boxes=(st.container(), st.container()))


def _stop_with(draft: Draft, exc: ScenarioError, message: str) -> None:
    state = draft.state
    state[ss.HEADLINES] = state[ss.HEADLINE_SE] = None
    with draft.boxes[0]:
        widgets.show_problems(exc, message)
    timing.stop()


def run(draft: Draft) -> TabContext:
    """The scenario as adjusted, its run (and the loaded one's, for the arrows) and the
    headlines; stops with a message when the inputs or the run's size are not valid."""
    state, base, token = draft.state, draft.base, draft.token
    sc, invalid = ss.scenario_or_last_good(state, token, lambda: rollout.adjusted(
        base, draft.design, controls.values_from_state(base, state, token), state))
    if invalid is not None:  # the last valid results stay on screen under the message
        with draft.boxes[0]:
            widgets.show_problems(invalid, "These inputs do not make a valid scenario; the "
                                           "results update once they are fixed:")
        if sc is None:
            state[ss.HEADLINES] = state[ss.HEADLINE_SE] = None
            timing.stop()
    links.sync(st.query_params, state, base, token, sc)  # the URL reproduces this view
    state[links.EDITS] = links.deck_edits(state, base, sc, token)  # what the deck simulated
    paths, seed = int(state[ss.PATHS]), int(state[ss.SEED])
    edited = sc is not base
    widgets.compile_kernels_with_progress()  # a cold kernel cache: says so, with progress
    try:  # runner refuses a run over the app's limits (cohorts, tiers, paths x horizon)
        with st.spinner(runner.spinner_message()):
            res = runner.run(sc, paths, seed)
            base_res = runner.run(base, paths, seed) if edited else None
    except ScenarioError as exc:
        _stop_with(draft, exc, "This run is over the app's limits:")
    items = metrics.headline_metrics(res)
    state[ss.HEADLINES] = metrics.headline_values(items)
    state[ss.HEADLINE_SE] = metrics.headline_ses(items)
    with draft.boxes[1]:
        st.subheader(md_escape(sc.name) + (" (adjusted)" if edited else "")
                     + (": last valid results" if invalid is not None else ""))
        st.info(run_verdict(res), icon=":material/gavel:")  # the CLI's and the deck's sentence
        widgets.render_headlines(items, metrics.headline_metrics(base_res) if edited else None,
                                 sc.scenario.currency)
        st.caption(f"{paths:,} paths, seed {seed}, {res.horizon} months. Changes (arrows) are "
                   "against the scenario as loaded, on the same random numbers.")
        for col, d in zip(st.columns([1, 1, 2]), ss.downloads(sc, res, paths, seed),
                          strict=False):
            col.download_button(d.label, d.data, file_name=d.file_name, mime=d.mime,
                                on_click="ignore", width="stretch", key=d.key)  # made on click
    return TabContext(scenario=sc, paths=paths, seed=seed, result=res,
                      scenarios_dir=draft.scenarios_dir, files=tuple(draft.files))


__all__ = ["run", "start"]
