"""The app's Sweep tab: vary one or two inputs over a few dozen points, in this process.

The tab builds a grid :class:`~simulator.sweep.Sweep` from the scenario as adjusted in
the sidebar, runs it with the in-process backend (same seed at every point: common
random numbers) and draws a line with its P10-P90 band (one input) or a heatmap (two).
Bigger sweeps belong on the command line (``rollout-sim sweep``, Dask backends).
"""

from __future__ import annotations

import math

import streamlit as st

from ..charts.sweep import metric_title, sweep_chart
from ..csv_safe import to_csv
from ..scenario import Scenario, ScenarioError, get_path
from ..sweep import Axis, Sweep, allowed_range, run_sweep
from .plain import md_unlink
from .registry import TabContext

#: Metrics every tab sweep collects (so the chart's metric can change without a rerun).
TAB_METRICS = ("npv_p10", "npv_p50", "npv_p90", "npv_mean", "prob_npv_positive",
               "roi_p10", "roi_p50", "roi_p90", "active_rate_m6_p10", "active_rate_m6_p50",
               "active_rate_m6_p90", "payback_month_p50")
SHOWN_METRICS = ("npv_p50", "npv_mean", "prob_npv_positive", "roi_p50", "active_rate_m6_p50",
                 "payback_month_p50")
PATH_CHOICES = (500, 1_000, 2_000, 5_000)
MAX_STEPS_1D = 25
MAX_STEPS_2D = 8
_PREFERRED = ("economics.hourly_cost", "economics.tasks_per_user_month")


def candidate_inputs(sc: Scenario) -> list[str]:
    """Paths the tab offers: every numeric input of the scenario plus cohort sizes."""
    return list(sc.inputs()) + [f"adoption.cohorts[{i}].size"
                                for i in range(len(sc.adoption.cohorts))]


def default_span(sc: Scenario, path: str) -> tuple[float, float]:
    """A sensible range for a path: its P10-P90 if uncertain, else half to twice its
    value, kept inside the field's allowed range."""
    d = sc.inputs().get(path)
    if d is not None and not d.is_fixed:
        lo, _, hi = d.describe()
    else:
        v = float(get_path(sc, path) if d is None else d.params[0])
        lo, hi = (0.5 * v, 2.0 * v) if v > 0 else (0.0, 1.0)
    r = allowed_range(path)
    if r is not None:
        lo, hi = max(lo, r[0]), min(hi, r[1])
    if not lo < hi:
        hi = lo + 1.0
    return float(lo), float(hi)


def _step_value(x: float) -> float:
    mag = abs(x) if x else 1.0
    return float(10 ** math.floor(math.log10(mag) - 1))


def render(ctx: TabContext) -> None:
    """Draw the Sweep tab."""
    sc = ctx.scenario
    st.subheader("Sweep one or two inputs")
    st.caption("Every point runs the same seed (common random numbers), so differences "
               "between points come from the input, not from Monte Carlo noise. For large "
               "sweeps use `rollout-sim sweep` (it can run on a Dask cluster).")
    options = candidate_inputs(sc)
    default = [p for p in _PREFERRED if p in options][:1] or options[:1]
    names = st.multiselect("Inputs to vary (one or two)", options, default=default,
                           max_selections=2, key="sweep_inputs")
    if not names:
        st.info("Pick an input to vary.")
        return
    max_steps = MAX_STEPS_1D if len(names) == 1 else MAX_STEPS_2D
    spans: list[tuple[float, float, int]] = []
    for name in names:
        lo0, hi0 = default_span(sc, name)
        c1, c2, c3 = st.columns(3)
        lo = c1.number_input(f"{name}: from", value=lo0, step=_step_value(hi0 - lo0),
                             format="%g", key=f"sweep_lo_{name}")
        hi = c2.number_input("to", value=hi0, step=_step_value(hi0 - lo0), format="%g",
                             key=f"sweep_hi_{name}")
        n = c3.number_input("values", min_value=2, max_value=max_steps,
                            value=min(max_steps, 9 if len(names) == 1 else 6), step=1,
                            key=f"sweep_n_{name}")
        spans.append((float(lo), float(hi), int(n)))
    c1, c2 = st.columns(2)
    choices = [p for p in PATH_CHOICES if p <= max(ctx.paths, PATH_CHOICES[0])]
    index = choices.index(2_000) if 2_000 in choices else len(choices) - 1
    paths = c1.selectbox("Paths per point", choices, index=index, key="sweep_paths",
                         format_func=lambda n: f"{n:,}")
    currency = sc.scenario.currency
    metric = c2.selectbox("Metric", SHOWN_METRICS, key="sweep_metric",
                          format_func=lambda m: metric_title(m, currency))
    key = (sc.to_toml(), tuple(zip(names, spans, strict=True)), paths, ctx.seed)
    if st.button("Run sweep", type="primary", key="sweep_run"):
        try:
            plan = Sweep(sc, {n: Axis.span(n, "lin", *span)
                              for n, span in zip(names, spans, strict=True)},
                         metrics=TAB_METRICS, paths=int(paths), seed=ctx.seed).plan()
        except ScenarioError as exc:
            st.error(md_unlink(exc))
            return
        bar = st.progress(0.0, text=f"0 of {plan.n_points} points")

        def tick(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"{done} of {total} points")

        table = run_sweep(plan, progress=tick)
        bar.empty()
        st.session_state["sweep_result"] = (key, table, list(names))
    stored = st.session_state.get("sweep_result")
    if stored is None:
        return
    if stored[0] != key:
        st.caption("The settings changed since the last sweep: run it again to update.")
        return
    _, table, names = stored
    chart = sweep_chart(table, names, metric, currency=currency)
    st.altair_chart(chart, width="stretch")
    with st.expander(f"Table ({len(table)} points)"):
        st.dataframe(table, width="stretch", hide_index=True)
    st.download_button("Download CSV", to_csv(table, index=False).encode(), "sweep.csv",
                       "text/csv", key="sweep_download")


__all__ = ["SHOWN_METRICS", "TAB_METRICS", "candidate_inputs", "default_span", "render"]
