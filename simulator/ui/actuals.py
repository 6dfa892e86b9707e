"""The app's Actuals tab: upload monthly actuals, see the updated forecast and the diagnosis.

The update runs on UPDATE_PATHS particles with the app's seed, as the CLI does (same file,
seed and paths: the same verdict); it reuses the app's current run as its prior when that
has UPDATE_PATHS paths, and is cached per (scenario, seed, actuals, observation noise).
The lever re-run on the posterior costs four more runs and happens only when asked for.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..actuals import (
    OBSERVED,
    ActualsError,
    ObservationModel,
    Posterior,
    condition,
    diagnose,
    lever_gains,
    lever_sentence,
    reads_actuals,
)
from ..actuals.condition import UPDATE_PATHS
from ..actuals.diagnose import MARGIN, THRESHOLD
from ..actuals.reader import COLUMN_DOC, DEFINED
from ..actuals.verdict import one_verdict
from ..charts.actuals import (
    actuals_fan_chart,
    diagnosis_chart,
    input_shift_chart,
    lever_gain_chart,
    npv_update_chart,
)
from ..formatting import money as money_label
from ..results import SimulationResult
from ..scenario.toml_io import loads_scenario
from .plain import md_unlink
from .registry import TabContext

#: The source case's own month-6 figures (a ready-made example).
EXAMPLE_CSV = "month,registered,active_users\n6,200,46\n"
_FAN_METRICS = {"active_rate": "Active-user rate", "active_users": "Active users",
                "accuracy": "Accuracy", "incidents": "Incidents", "cost": "Monthly cost",
                "cum_net": "Cumulative net cash"}


@st.cache_resource(show_spinner=False, max_entries=3)
def _posterior(toml: str, paths: int, seed: int, horizon: int, csv: str, spot: int,
               rho: float, cost_sd: float, _res: SimulationResult) -> Posterior:
    actuals = reads_actuals(csv, horizon)
    obs = ObservationModel(active_overdispersion=rho, accuracy_spot_checks=spot,
                           cost_relative_sd=cost_sd)
    if _res.n_paths == paths and _res.seed == seed and _res.trajectories is not None:
        return condition(_res, actuals, obs=obs)
    sc = loads_scenario(toml)
    return condition(sc, actuals, paths=paths, seed=seed, horizon=horizon, obs=obs)


@st.cache_resource(show_spinner=False, max_entries=3)
def _gains(toml: str, paths: int, seed: int, horizon: int, csv: str, spot: int, rho: float,
           cost_sd: float, _post: Posterior) -> pd.DataFrame:
    return lever_gains(_post)


def actuals_text(uploaded, pasted: str, use_example: bool) -> str:
    """The CSV text to use: an uploaded file wins, then pasted text, then the example."""
    if uploaded is not None:
        return uploaded.getvalue().decode("utf-8-sig", errors="replace")
    if pasted.strip():
        return pasted
    return EXAMPLE_CSV if use_example else ""


def render(ctx: TabContext) -> None:
    """Upload actuals; show posterior bands, summary, NPV, diagnosis and levers."""
    res = ctx.result
    sc = ctx.scenario
    cur = sc.scenario.currency
    st.subheader("Update the forecast with actuals")
    st.caption("A CSV with a `month` column (months after go-live) and any of "
               + ", ".join(f"`{c}`" for c in OBSERVED + DEFINED)
               + ". Leave cells empty where nothing was measured. The forecast moves from "
                 "the scenario's ranges to what your actuals allow by sequential Monte "
                 "Carlo; see docs/actuals.md.")
    with st.expander("Columns"):
        st.table(pd.DataFrame({"column": list(COLUMN_DOC), "meaning": list(COLUMN_DOC.values())}))
    uploaded = st.file_uploader("Actuals CSV", type=["csv"], key="actuals_upload")
    pasted = st.text_area("...or paste CSV here", key="actuals_paste", height=120,
                          placeholder=EXAMPLE_CSV)
    use_example = st.checkbox("Use the source case's month-6 figures (200 registered, 46 "
                              "active)", key="actuals_example")
    with st.expander("Observation noise"):
        c1, c2, c3 = st.columns(3)
        spot = int(c1.number_input("Accuracy spot checks per month", 1, 100_000,
                                   ObservationModel.accuracy_spot_checks, key="actuals_spot"))
        rho = float(c2.number_input("Active-user over-dispersion", 0.0001, 0.5,
                                    ObservationModel.active_overdispersion, step=0.001,
                                    format="%.4f", key="actuals_rho"))
        cost_sd = float(c3.number_input("Cost relative s.d.", 0.01, 2.0,
                                        ObservationModel.cost_relative_sd, step=0.01,
                                        key="actuals_cost_sd"))
    text = actuals_text(uploaded, pasted, use_example)
    if not text.strip():
        st.info("Upload or paste actuals (or tick the example) to update the forecast.")
        return
    if res.trajectories is None:
        st.error("The current run has no monthly trajectories; re-run with bands on.")
        return
    try:
        with st.spinner("Updating the forecast with the actuals (sequential Monte Carlo)..."):
            post = _posterior(sc.to_toml(), UPDATE_PATHS, ctx.seed, res.horizon, text, spot,
                              rho, cost_sd, res)
    except ActualsError as exc:
        st.error(f"Actuals not usable: {md_unlink(exc)}")
        return
    for c in post.conflicts:
        st.error(c["sentence"])
    for note in post.notes:
        (st.warning if note.startswith("warning") or "registered" in note else st.info)(note)
    if post.collapsed:
        return
    s, prior = post.summary, post.prior.summary
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Effective sample size", f"{post.ess:,.0f}",
              help=f"of {post.n_paths:,} paths: (sum w)^2 / sum w^2")
    c2.metric("P(NPV > 0)", f"{s['prob_npv_positive']:.0%}",
              f"{s['prob_npv_positive'] - prior['prob_npv_positive']:+.0%} vs prior")
    c3.metric("NPV P50", money_label(s["npv_p50"], cur),
              f"{money_label(s['npv_p50'] - prior['npv_p50'], cur)} vs prior")
    c4.metric("Still to come (P50)", money_label(s["remaining_npv_p50"], cur),
              help="Net cash from the last actual month to the horizon, discounted to now")
    metric = st.selectbox("Chart", list(_FAN_METRICS), format_func=_FAN_METRICS.get,
                          key="actuals_metric")
    st.altair_chart(actuals_fan_chart(post, metric, cur), width="stretch")
    st.altair_chart(npv_update_chart(post, cur), width="stretch")
    with st.expander("Prior vs posterior, headline numbers"):
        st.dataframe(post.compare(), width="stretch", hide_index=True)
    st.subheader("What broke")
    diag = diagnose(post)
    st.markdown(f"**{diag.sentence}**")
    st.altair_chart(diagnosis_chart(diag), width="stretch")
    st.caption(f"Posterior probability that each mode's composite lies past the prior's "
               f"{round(100 * (0.5 + MARGIN))}th percentile on the bad side "
               f"({1 - (0.5 + MARGIN):.2f} before any actuals); a mode is called worse "
               f"than assumed from {THRESHOLD:.2f}, the level that keeps false alarms on "
               f"healthy rollouts at or below 10 % (docs/actuals.md).")
    st.dataframe(diag.plain_modes(), width="stretch", hide_index=True)
    if len(diag.confounded):
        with st.expander("Failure modes that explain the same observations"):
            st.dataframe(diag.confounded.drop(columns=["vsi"]), width="stretch",
                         hide_index=True)
    with st.expander("Inputs behind each failure mode"):
        st.altair_chart(input_shift_chart(diag), width="stretch")
        st.dataframe(diag.inputs, width="stretch", hide_index=True)
    st.subheader("What to fix first")
    if st.checkbox("Re-run the lever analysis on the posterior (four more runs)",
                   key="actuals_levers"):
        with st.spinner("Running each lever on the same paths..."):
            gains = _gains(sc.to_toml(), UPDATE_PATHS, ctx.seed, res.horizon, text, spot,
                           rho, cost_sd, post)
        st.markdown(lever_sentence(gains, cur))
        verdict = one_verdict(diag, gains)
        if verdict:
            st.markdown(f"**{verdict}**")
        st.altair_chart(lever_gain_chart(gains, cur), width="stretch")
        st.dataframe(gains, width="stretch", hide_index=True)
