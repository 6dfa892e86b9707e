"""Lever analysis: every on/off portfolio of the catalogue's levers on common random numbers.

Every portfolio (2^n for n levers) runs on the same input sample and kernel seed, so
differences between portfolios are paired path by path. A lever's *marginal value* is the
mean NPV change from switching it on, averaged over the portfolios of the other levers;
its standard error comes from the per-path paired differences.

*Lever cost* is the present value of what the levers themselves cost, per path, from the
sampled cost inputs and discounted as the kernel does, as each lever declares it in
:mod:`simulator.scenario.catalog`: one-off, monthly and per-retrain inputs; the change
plan's extra onboarding (the change-plan tier's cost per user minus the cohort's own
tier's, booked in the cohort's start month); and costs that depend on the run (human
review's reviewer time, the kernel's ``pv_review_cost``), added per portfolio. The change in
total PV cost against the no-lever portfolio (``pv_cost_change_mean``) is reported too;
it also contains the knock-on costs the levers cause (more active users cost more
inference and support; fewer incidents cost fewer fixes), which is why the budget is
applied to the lever cost, not to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..results import SimulationResult
from ..scenario import LEVER, LEVER_SPECS, LEVERS, Scenario
from .variants import LEVER_LABELS, AnalysisError, Variants, lever_label, npv_stats, pct

#: Criterion name -> column of the combinations table it maximises.
CRITERIA = {"p50": "npv_p50", "p10": "npv_p10", "prob": "prob_npv_positive"}


def _combo(mask: int) -> tuple[str, ...]:
    return tuple(lv for i, lv in enumerate(LEVERS) if mask >> i & 1)


def lever_costs(sc: Scenario, inputs: np.ndarray, names: list[str],
                horizon: int) -> dict[str, np.ndarray]:
    """Present value of each lever's own cost, per path (whether or not it is switched on).

    ``inputs``/``names`` are a sampled input matrix and its column names (e.g.
    ``res.inputs``, ``res.input_names``). Discounting matches the kernel: month t is
    discounted by (1 + m)^-t with m = (1 + annual rate)^(1/12) - 1.
    """
    col = {p: i for i, p in enumerate(names)}

    def x(path: str) -> np.ndarray:
        return inputs[:, col[path]]

    rate = sc.scenario.discount_rate_annual
    disc = 1.0 / (1.0 + ((1.0 + rate) ** (1.0 / 12.0) - 1.0))
    f = np.concatenate([[1.0], np.cumprod(np.full(horizon, disc))])  # f[t], t = 0..H
    lv = sc.levers
    extra = np.zeros(inputs.shape[0])
    cp_cost = x(f"adoption.tiers.{lv.change_plan.tier}.cost_per_user")
    for c in sc.adoption.cohorts:
        if c.start_month <= horizon:
            own = x(f"adoption.tiers.{c.tier}.cost_per_user")
            extra += c.size * (cp_cost - own) * f[c.start_month]
    every = lv.feedback_loop.retrain_every_months
    retrain = f[np.arange(every, horizon + 1, every)].sum()
    out = {}
    for spec in LEVER_SPECS:
        pre = spec.section + "."
        cost = np.zeros(inputs.shape[0])
        for k in spec.one_off:
            cost = cost + x(pre + k)
        for k in spec.monthly:
            cost = cost + x(pre + k) * f[1:].sum()
        for k in spec.per_retrain:
            cost = cost + x(pre + k) * retrain
        out[spec.key] = cost + extra if spec.key == "change_plan" else cost
    return out


def _run_cost(res, on: tuple[str, ...]) -> np.ndarray:
    """Per path, the lever costs of portfolio ``on`` that depend on the run itself."""
    cost = np.zeros(res.n_paths)
    for lv in on:
        if LEVER[lv].simulated_cost:
            cost = cost + res.metric(LEVER[lv].simulated_cost)
    return cost


@dataclass(frozen=True)
class LeverAnalysis:
    """Result of :func:`lever_analysis`."""

    combinations: pd.DataFrame  #: one row per portfolio (2^levers)
    marginal: pd.DataFrame  #: one row per lever, best first
    best: pd.DataFrame  #: one row of ``combinations``: the best portfolio within budget
    path: pd.DataFrame  #: the recovery order: levers added one at a time, best first
    criterion: str
    budget: float | None


def _check_criterion(criterion: str, budget: float | None) -> None:
    if criterion not in CRITERIA:
        raise AnalysisError(f"criterion: {criterion!r} is not one of "
                            f"{', '.join(CRITERIA)}")
    if budget is not None and not (isinstance(budget, int | float)
                                   and math.isfinite(budget) and budget >= 0):
        raise AnalysisError(f"budget: {budget!r} must be a number >= 0")


def best_portfolio(combinations: pd.DataFrame, criterion: str = "p50",
                   budget: float | None = None) -> pd.DataFrame:
    """The portfolio with the highest criterion whose mean lever cost fits the budget.

    Ties go to the cheaper portfolio. ``none`` costs nothing, so there is always one.
    """
    _check_criterion(criterion, budget)
    ok = combinations if budget is None else combinations[
        combinations["lever_cost_mean"] <= budget * (1 + 1e-12)]
    ranked = ok.sort_values([CRITERIA[criterion], "lever_cost_mean"],
                            ascending=[False, True], kind="stable")
    return ranked.head(1).reset_index(drop=True)


def recovery_path(combinations: pd.DataFrame, criterion: str = "p50",
                  budget: float | None = None) -> pd.DataFrame:
    """What to fix first: from no levers, add the lever that improves the criterion most
    (within budget), until no affordable lever improves it."""
    _check_criterion(criterion, budget)
    key = CRITERIA[criterion]
    by_set = {frozenset(lv for lv in LEVERS if r[lv]): r for r in
              combinations.to_dict("records")}
    current: frozenset[str] = frozenset()
    rows = [{"step": 0, "added": "none", **_path_cols(by_set[current], key)}]
    while True:
        options = []
        for lv in LEVERS:
            if lv in current:
                continue
            r = by_set[current | {lv}]
            if budget is not None and r["lever_cost_mean"] > budget * (1 + 1e-12):
                continue
            if r[key] > by_set[current][key]:
                options.append((r[key], -r["lever_cost_mean"], lv))
        if not options:
            break
        _, _, lv = max(options)
        current = current | {lv}
        rows.append({"step": len(rows), "added": lv, **_path_cols(by_set[current], key)})
    return pd.DataFrame(rows)


def _path_cols(r: dict[str, Any], key: str) -> dict[str, Any]:
    return {"portfolio": r["portfolio"], key: r[key], "lever_cost_mean": r["lever_cost_mean"],
            "npv_mean": r["npv_mean"]}


def lever_analysis(sc: Scenario, paths: int = 20_000, seed: int = 7,
                   horizon: int | None = None, *, budget: float | None = None,
                   criterion: str = "p50", base: SimulationResult | None = None
                   ) -> LeverAnalysis:
    """Run every lever portfolio of ``sc`` on common random numbers and compare them.

    ``criterion``: ``p50`` (NPV median), ``p10`` (NPV P10, the downside) or ``prob``
    (P(NPV > 0)). ``budget`` caps the mean present value of the lever cost. ``base``: the
    run of ``sc`` with these paths, seed and horizon if one was made already (reused, see
    :meth:`Variants.start`).
    """
    _check_criterion(criterion, budget)
    runner = Variants.start(sc, paths, seed, horizon, base=base)
    h = runner.base.horizon
    costs = lever_costs(sc, runner.base.inputs, runner.names, h)
    n_combo = 1 << len(LEVERS)
    npv = np.empty((n_combo, runner.n_paths))
    pv_cost = np.empty_like(npv)
    rows = []
    run_costs: dict[str, list[np.ndarray]] = {}
    current = tuple(lv for lv in LEVERS if getattr(sc.levers, lv).enabled)
    for mask in range(n_combo):
        on = _combo(mask)
        res = runner.base if on == current else runner.run(
            {f"levers.{lv}.enabled": lv in on for lv in LEVERS})
        npv[mask] = res.metric("npv")
        pv_cost[mask] = res.metric("pv_cost")
        run_cost = _run_cost(res, on)
        for lv in on:
            if LEVER[lv].simulated_cost:
                run_costs.setdefault(lv, []).append(res.metric(LEVER[lv].simulated_cost))
        cost = sum((costs[lv] for lv in on), run_cost)
        row: dict[str, Any] = {"portfolio": lever_label(on), "n_levers": len(on)}
        row.update({lv: lv in on for lv in LEVERS})
        row["lever_cost_mean"] = float(cost.mean())
        row["lever_cost_p90"] = pct(cost, 90)
        row["pv_cost_change_mean"] = float((pv_cost[mask] - pv_cost[0]).mean())
        row.update(npv_stats(npv[mask]))
        row["active_rate_m6_p50"] = pct(res.metric("active_rate_m6"), 50)
        row["is_current"] = on == current
        rows.append(row)
    combos = pd.DataFrame(rows)

    marg = []
    n = runner.n_paths
    p50 = [r["npv_p50"] for r in rows]  # by mask, as computed for the table
    prob = [r["prob_npv_positive"] for r in rows]
    for i, lv in enumerate(LEVERS):
        bit = 1 << i
        without = [m for m in range(n_combo) if not m & bit]
        d = np.mean([npv[m | bit] - npv[m] for m in without], axis=0)
        d_p50 = np.mean([p50[m | bit] - p50[m] for m in without])
        d_prob = np.mean([prob[m | bit] - prob[m] for m in without])
        full = n_combo - 1
        cost_mean = float(costs[lv].mean() + np.mean(run_costs.get(lv, [0.0])))
        mean = float(d.mean())
        marg.append({
            "lever": lv, "label": LEVER_LABELS[lv],
            "marginal_npv_mean": mean,
            "marginal_npv_se": float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            "marginal_npv_p50": float(d_p50),
            "marginal_prob_npv_positive": float(d_prob),
            "alone_npv_mean": float((npv[bit] - npv[0]).mean()),
            "on_top_npv_mean": float((npv[full] - npv[full & ~bit]).mean()),
            "lever_cost_mean": cost_mean,
            "npv_per_cost": mean / cost_mean if cost_mean > 0 else math.nan,
        })
    marginal = (pd.DataFrame(marg).sort_values("marginal_npv_mean", ascending=False,
                                               kind="stable").reset_index(drop=True))
    return rebudget(combos, marginal, criterion, budget)


def rebudget(combinations: pd.DataFrame, marginal: pd.DataFrame, criterion: str = "p50",
             budget: float | None = None) -> LeverAnalysis:
    """A :class:`LeverAnalysis` for another budget or criterion, without re-simulating:
    marks ``within_budget`` and ``is_best``, picks the best portfolio and the recovery
    path, and sorts the portfolios by number of levers, then by the criterion."""
    _check_criterion(criterion, budget)
    combos = combinations.copy()
    combos["within_budget"] = (True if budget is None else
                               combos["lever_cost_mean"] <= budget * (1 + 1e-12))
    best = best_portfolio(combos, criterion, budget)
    combos["is_best"] = combos["portfolio"] == best["portfolio"].iloc[0]
    combos = (combos.sort_values(["n_levers", CRITERIA[criterion]], ascending=[True, False],
                                 kind="stable").reset_index(drop=True))
    return LeverAnalysis(combinations=combos, marginal=marginal, best=best,
                         path=recovery_path(combos, criterion, budget), criterion=criterion,
                         budget=budget)


__all__ = ["CRITERIA", "LeverAnalysis", "best_portfolio", "lever_analysis", "lever_costs",
           "rebudget", "recovery_path"]
