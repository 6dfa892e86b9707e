"""The app's decision-analytics tabs: the expectation gap, the levers, sensitivity.

``render`` shows the gap (pilot lens vs production, and its four causes), the lever
portfolios with the best one under a budget, and a tornado; ``render_sensitivity``
shows the rank correlations, the spider and the breakeven solver. The work is done by
:mod:`simulator.analysis` and cached per (scenario, paths, seed, horizon); changing the
budget or the criterion re-ranks the cached portfolios without simulating again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import formatting as F
from ..analysis import (
    CRITERIA,
    LEVER_LABELS,
    NOT_REACHABLE,
    SOLVED,
    AnalysisError,
    GapAnalysis,
    LeverAnalysis,
    SensitivityAnalysis,
    breakeven,
    expectation_gap,
    lever_analysis,
    rebudget,
    sensitivity,
    used_inputs,
)
from ..charts import analysis as charts
from ..charts import forecast
from ..labels import label
from ..scenario import MODES, ScenarioError, combination_count, loads_scenario, number_word
from ..verdicts import (
    breakeven_verdict,
    gap_verdict,
    levers_verdict,
    portfolio_name,
    sensitivity_verdict,
)
from .plain import md_unlink
from .registry import TabContext

#: The analyses run up to this many paths (each runs the model once per combination).
MAX_PATHS = 20_000
CRITERION_LABELS = {"p50": "NPV median (P50)", "p10": "NPV downside (P10)",
                    "prob": "P(NPV > 0)"}


def analysis_paths(paths: int) -> int:
    return max(1, min(int(paths), MAX_PATHS))


@st.cache_data(show_spinner=False, max_entries=4)
def _gap(toml: str, paths: int, seed: int, horizon: int) -> GapAnalysis:
    return expectation_gap(loads_scenario(toml), paths=paths, seed=seed, horizon=horizon)


@st.cache_data(show_spinner=False, max_entries=4)
def _levers(toml: str, paths: int, seed: int, horizon: int) -> LeverAnalysis:
    return lever_analysis(loads_scenario(toml), paths=paths, seed=seed, horizon=horizon)


@st.cache_data(show_spinner=False, max_entries=4)
def _sensitivity(toml: str, paths: int, seed: int, horizon: int,
                 top_k: int) -> SensitivityAnalysis:
    return sensitivity(loads_scenario(toml), paths=paths, seed=seed, horizon=horizon,
                       top_k=top_k)


@st.cache_data(show_spinner=False, max_entries=16)
def _breakeven(toml: str, paths: int, seed: int, horizon: int, path: str, target: str,
               lo: float | None, hi: float | None) -> pd.DataFrame:
    return breakeven(loads_scenario(toml), path, target, paths=paths, seed=seed,
                     horizon=horizon, lo=lo, hi=hi)


_money = F.money


def cached_findings(ctx: TabContext):
    """The deck's findings (levers, gap, tornado) from this tab's cached analyses."""
    from ..export.deck_answer import Findings

    key = _key(ctx)
    return Findings(levers=_levers(*key), gap=_gap(*key), sensitivity=_sensitivity(*key, 8),
                    paths=key[1])


def _key(ctx: TabContext) -> tuple[str, int, int, int]:
    return (ctx.scenario.to_toml(), analysis_paths(ctx.paths), ctx.seed, ctx.result.horizon)


def _caption(ctx: TabContext) -> None:
    n = analysis_paths(ctx.paths)
    capped = " (capped for speed)" if n < ctx.paths else ""
    st.caption(f"{n:,} paths{capped}, seed {ctx.seed}; every variant runs on common random "
               f"numbers (the same sampled inputs and kernel seed).")


def render(ctx: TabContext) -> None:
    """Expectation gap, lever portfolios and tornado of the current scenario."""
    cur = ctx.scenario.scenario.currency
    key = _key(ctx)
    _caption(ctx)
    try:
        with st.spinner(f"Switching the {number_word(len(MODES))} failure modes on and off "
                        f"({combination_count(len(MODES))} runs)..."):
            gap = _gap(*key)
        _render_gap(gap, cur)
        with st.spinner(f"Simulating the {combination_count()} lever portfolios..."):
            levers = _levers(*key)
        _render_levers(levers, cur)
        with st.spinner("Tornado: each leading input at its P10 and P90..."):
            sens = _sensitivity(*key, 8)
        st.subheader("Which inputs move the NPV most")
        st.info(sensitivity_verdict(sens), icon=":material/gavel:")
        st.altair_chart(charts.tornado_chart(sens.tornado, cur), width="stretch")
    except (AnalysisError, ScenarioError) as exc:
        st.error(md_unlink(exc))


def _render_gap(gap: GapAnalysis, cur: str) -> None:
    s = gap.summary.iloc[0]
    st.subheader("Expectation gap: the signed-off case vs the production range")
    st.info(gap_verdict(gap), icon=":material/gavel:")
    c = st.columns(4)
    c[0].metric("Pilot-lens NPV (signed off)", _money(s["pilot_lens_npv"], cur))
    c[1].metric("Production NPV median", _money(s["npv_p50"], cur))
    c[2].metric("Expectation gap", _money(s["gap"], cur),
                help=f"Standard error {_money(s['gap_se'], cur)} (bootstrap)")
    c[3].metric("P(NPV ≥ pilot-lens NPV)", f"{s['prob_npv_ge_pilot_lens']:.1%}")
    if not s["lens_reproduced"]:
        st.warning(f"Switching the four modes off reproduces the kernel's pilot lens only to "
                   f"within {_money(s['lens_max_abs_diff'], cur)} per path.")
    left, right = st.columns(2)
    left.altair_chart(forecast.npv_distribution_chart(
        gap.npv["npv"].to_numpy(), float(s["pilot_lens_npv"]), cur), width="stretch")
    right.altair_chart(charts.gap_chart(gap), width="stretch")
    att = gap.attribution
    table = pd.DataFrame({
        "Cause": att["label"],
        "Alone": [_money(v, cur) for v in att["alone"]],
        "Fixed last": [_money(v, cur) for v in att["last"]],
        "Shapley share": [_money(v, cur) for v in att["shapley"]],
        "± s.e.": [_money(v, cur) for v in att["shapley_se"]],
        "% of gap": [f"{v:.0%}" for v in att["shapley_share"]]})
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Alone: the loss when the mode is the only production effect (with the "
               "interaction row, sums to the gap). Fixed last: what fixing only that mode "
               "recovers. Shapley: the average over every order of switching the modes on; "
               "the four sum exactly to the gap.")


def _render_levers(levers: LeverAnalysis, cur: str) -> None:
    st.subheader("Levers: what to fix first")
    c1, c2, c3 = st.columns([1, 1, 2])
    crit = c1.radio("Best by", list(CRITERIA), format_func=CRITERION_LABELS.get,
                    key="analysis_criterion")
    limit = c2.checkbox("Budget for levers", key="analysis_use_budget")
    budget = None
    if limit:
        budget = c3.number_input(f"Lever budget (present value, {cur})", min_value=0.0,
                                 value=250_000.0, step=25_000.0, key="analysis_budget")
    la = rebudget(levers.combinations, levers.marginal, crit, budget)
    st.info(levers_verdict(la, cur), icon=":material/gavel:")
    b = la.best.iloc[0]
    order = " → ".join(LEVER_LABELS[lv] for lv in la.path["added"].iloc[1:]) or "nothing"
    st.markdown(f"**Best portfolio:** {portfolio_name(b)} (NPV median "
                f"{_money(b['npv_p50'], cur)}, P(NPV > 0) {b['prob_npv_positive']:.0%}, "
                f"lever cost {_money(b['lever_cost_mean'], cur)}). "
                f"**Fix in this order:** {order}.")
    # one chart per row: side by side at 1,280 px the value labels ran into each other
    st.altair_chart(charts.lever_chart(la, cur), width="stretch")
    st.altair_chart(charts.lever_marginal_chart(la, cur), width="stretch")
    combos = la.combinations
    st.dataframe(pd.DataFrame({
        "Levers switched on": [portfolio_name(r) for r in combos.to_dict("records")],
        "Lever cost (PV)": [_money(v, cur) for v in combos["lever_cost_mean"]],
        "NPV P10": [_money(v, cur) for v in combos["npv_p10"]],
        "NPV P50": [_money(v, cur) for v in combos["npv_p50"]],
        "NPV P90": [_money(v, cur) for v in combos["npv_p90"]],
        "P(NPV > 0)": [f"{v:.0%}" for v in combos["prob_npv_positive"]],
        "Active rate m6 (P50)": [f"{v:.0%}" for v in combos["active_rate_m6_p50"]],
        "Within budget": combos["within_budget"],
        "Best": combos["is_best"]}), hide_index=True, width="stretch")


def render_sensitivity(ctx: TabContext) -> None:
    """Rank correlations, tornado, spider and the breakeven solver."""
    cur = ctx.scenario.scenario.currency
    key = _key(ctx)
    _caption(ctx)
    top_k = st.slider("Inputs in the tornado", 3, 20, 10, key="sens_top_k")
    try:
        with st.spinner("Tornado and spider..."):
            sens = _sensitivity(*key, top_k)
    except (AnalysisError, ScenarioError) as exc:
        st.error(md_unlink(exc))
        return
    st.info(sensitivity_verdict(sens), icon=":material/gavel:")
    left, right = st.columns(2)
    left.altair_chart(charts.tornado_chart(sens.tornado, cur), width="stretch")
    right.altair_chart(charts.spider_chart(sens.spider, cur), width="stretch")
    sp = sens.spearman
    st.dataframe(pd.DataFrame({
        "Input": [label(p, cur) for p in sp["input"]], "Key": sp["input"],
        "Spearman rho": sp["rho"].round(3),
        "Contribution to variance": [f"{v:.1f} %" for v in sp["contribution_pct"]],
        "Low (P10)": sp["low"], "Likely": sp["likely"], "High (P90)": sp["high"]}),
        hide_index=True, width="stretch")
    _render_breakeven(ctx, key, cur)


def _render_breakeven(ctx: TabContext, key: tuple, cur: str) -> None:
    st.subheader("What must be true")
    used = sorted(used_inputs(ctx.scenario))
    default = used.index("economics.minutes_saved_per_task") \
        if "economics.minutes_saved_per_task" in used else 0
    c1, c2, c3 = st.columns([3, 1, 1])
    path = c1.selectbox("Input", used, index=default, key="be_input",
                        format_func=lambda p: f"{label(p, cur)} · {p}")
    kind = c2.selectbox("Target", ["P(NPV > 0) at least", "NPV median at least"],
                        key="be_kind")
    if kind.startswith("P("):
        level = c3.number_input("Probability", min_value=0.01, max_value=1.0, value=0.8,
                                step=0.05, key="be_prob")
        target = f"prob:{level}"
    else:
        level = c3.number_input(f"NPV ({cur})", value=0.0, step=50_000.0, key="be_npv")
        target = f"p50:{level}"
    if not st.button("Solve", key="be_solve"):
        return
    try:
        with st.spinner("Bisection on common random numbers..."):
            frame = _breakeven(*key, path, target, None, None)
    except (AnalysisError, ScenarioError) as exc:
        st.error(md_unlink(exc))
        return
    r = frame.iloc[0]
    st.info(breakeven_verdict(frame, cur), icon=":material/gavel:")
    if r["status"] == SOLVED:
        side = "at least" if r["direction"] == "increasing" else "at most"
        st.success(f"{r['target']} needs **{label(path, cur)} {side} {r['value']:.4g}** "
                   f"(its median now: {r['input_p50']:.4g}; chance it already is: "
                   f"{r['prob_input_on_good_side']:.1%}).")
    elif r["status"] == NOT_REACHABLE:
        st.warning(f"{r['target']} is {NOT_REACHABLE} [{r['lo']:.4g}, {r['hi']:.4g}] of "
                   f"{path}.")
    else:
        st.info(f"{r['target']} holds everywhere in [{r['lo']:.4g}, {r['hi']:.4g}] of {path}.")
