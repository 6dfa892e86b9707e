"""The app tab "What is worth learning before the rollout": EVPI, EVPPI by group and
input, EVSI of two pilot extensions, Sobol indices and the luck share
(:mod:`simulator.voi`). It runs on request (tens of seconds) and is cached per scenario,
paths, seed, horizon and studies."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..analysis import AnalysisError
from ..formatting import money
from ..scenario import ScenarioError, loads_scenario
from ..verdicts import voi_verdict
from ..voi import VoiAnalysis, value_of_information
from ..voi.chart import evppi_chart, sobol_chart
from .plain import md_unlink
from .registry import TabContext

#: The analysis runs at most this many paths (17 decisions, then many regressions).
MAX_PATHS = 5_000
SOBOL_N = 256


@st.cache_data(show_spinner=False, max_entries=4)
def _voi(toml: str, paths: int, seed: int, horizon: int,
         studies: tuple[str, ...]) -> VoiAnalysis:
    return value_of_information(loads_scenario(toml), paths=paths, seed=seed,
                                horizon=horizon, studies=studies, sobol_n=SOBOL_N)



def render(ctx: TabContext) -> None:
    """Value of information of the current scenario, on request."""
    cur = ctx.scenario.scenario.currency
    paths = max(1, min(int(ctx.paths), MAX_PATHS))
    st.caption(f"{paths:,} paths{' (capped for speed)' if paths < ctx.paths else ''}, "
               f"seed {ctx.seed}. Decisions: no-go, go as written and go with each lever "
               f"portfolio, on common random numbers; the best has the highest mean NPV.")
    c = st.columns(3)
    checks = c[0].number_input("Spot checks of production outputs", 1, 1_000_000, 500,
                               step=100, key="voi_spot_checks")
    cohort = c[1].number_input("Trial cohort (users)", 1, 100_000, 50, step=10,
                               key="voi_trial_users")
    months = c[2].number_input("Trial months", 1, 24, 3, key="voi_trial_months")
    studies = (f"spot_checks={int(checks)}", f"trial_cohort={int(cohort)},months={int(months)}")
    key = (ctx.scenario.to_toml(), paths, ctx.seed, ctx.result.horizon, studies)
    done = st.session_state.get("voi_done", set())
    if st.button("Work out what is worth learning", key="voi_run") or key in done:
        try:
            with st.spinner("Simulating 17 decisions, then pricing information..."):
                v = _voi(*key)
        except (AnalysisError, ScenarioError) as exc:
            st.error(md_unlink(exc))
            return
        st.session_state["voi_done"] = done | {key}
        _show(v, cur)


def _show(v: VoiAnalysis, cur: str) -> None:
    st.info(voi_verdict(v), icon=":material/gavel:")
    c = st.columns(4)
    c[0].metric("Best decision now", v.best_decision)
    c[1].metric("EVPI: knowing everything", money(v.evpi, cur),
                help=f"Standard error {money(v.evpi_se, cur)}. The most any study could "
                     "be worth: the mean gain from choosing after every uncertain input is "
                     "known (month-to-month luck stays unknown).")
    top = v.evsi.sort_values("value", ascending=False).iloc[0] if len(v.evsi) else None
    if top is not None:
        c[2].metric(f"EVSI: {top['study']}", money(top["value"], cur),
                    help=f"Standard error {money(top['se'], cur)}. What seeing this study's "
                         "result before deciding is worth, on average.")
    c[3].metric("Luck share of NPV spread", f"{v.luck_share:.0%}",
                help="E[Var(NPV | inputs)] / Var(NPV): the part no study can remove.")
    for note in v.notes:
        st.info(note)
    st.altair_chart(evppi_chart(v), width="stretch")
    st.subheader("Pilot extensions, priced")
    st.dataframe(pd.DataFrame({
        "Study": v.evsi["study"],
        "Worth (EVSI)": [money(x, cur) for x in v.evsi["value"]],
        "± s.e.": [money(x, cur) for x in v.evsi["se"]],
        "Perfect version (EVPPI)": [money(x, cur) for x in v.evsi["limit"]]}),
        hide_index=True, width="stretch")
    st.caption("A study is worth running if it costs less than its EVSI (delay not "
               "counted). The perfect version is what measuring the same quantity without "
               "sampling error would be worth.")
    if not v.sobol.empty:
        st.subheader("Where the NPV spread comes from")
        st.altair_chart(sobol_chart(v), width="stretch")
        sums = v.sobol[v.sobol["metric"] == "npv"][["S1", "ST"]].sum()
        st.caption(f"First-order indices sum to {sums['S1']:.2f}: the rest of the spread is "
                   f"interactions between inputs and month-to-month luck "
                   f"({v.luck_share:.0%} of the variance).")
    with st.expander("Decisions compared"):
        st.dataframe(v.decisions, hide_index=True, width="stretch")
