"""Staged rollouts: the gated plan against big bang and no-go, and a gate-threshold search.

All plans run on common random numbers: one Latin hypercube sample of the inputs and one
kernel seed (``simulate_inputs``). Big bang is the scenario with ``gates = []`` (every
cohort starts when planned, levers as written); no-go is NPV 0 on every path. The
*option value* of the gates is mean NPV(gated) - mean NPV(big bang), with the paired
standard error of the per-path differences. See docs/analysis.md, "Staged rollouts".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..results import SimulationResult, quantile_se
from ..scenario import Scenario, ScenarioError
from ..simulation import _check_int, sample_inputs, simulate_inputs
from .variants import AnalysisError, is_run_of

#: The three plans compared, in display order.
PLANS = ("big bang", "gated", "no-go")
#: Search criterion -> column of the search table it maximises.
SEARCH_CRITERIA = {"mean": "npv_mean", "p50": "npv_p50", "p10": "npv_p10",
                   "prob": "prob_npv_positive"}
#: Gate fields a search may vary (numbers).
SEARCH_FIELDS = ("min_active_rate", "min_accuracy", "max_incidents", "spot_checks", "month",
                 "notice_months", "wind_down_cost")
#: Most points a search may run (product of the value lists).
MAX_SEARCH_POINTS = 400


@dataclass(frozen=True)
class GateAnalysis:
    """Result of :func:`gate_analysis`."""

    plans: pd.DataFrame  #: one row per plan (PLANS): NPV statistics with standard errors
    gates: pd.DataFrame  #: one row per gate: how often it was reached and passed
    summary: pd.DataFrame  #: one row: option value, P(stop), months held, run settings
    npv: dict[str, np.ndarray]  #: per-path NPV of each plan (same path order)
    gate_out: np.ndarray  #: the gated run's per-path gate outputs (N, G+2)


@dataclass(frozen=True)
class GateSearch:
    """Result of :func:`gate_search`."""

    points: pd.DataFrame  #: one row per point: the axis values, NPV statistics with s.e.
    best: pd.DataFrame  #: one row of ``points``: the best by ``criterion``
    criterion: str
    axes: list[str]


def npv_table(npv: np.ndarray) -> dict[str, float]:
    """Mean, P10/P50/P90 and P(NPV > 0) of per-path NPVs, each with its standard error
    (percentiles: distribution-free, :func:`simulator.results.quantile_se`)."""
    n = npv.size
    s = np.sort(npv)
    p = float(np.mean(npv > 0))
    row = {"npv_mean": float(npv.mean()),
           "npv_mean_se": float(npv.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan}
    for q in (10, 50, 90):
        row[f"npv_p{q}"] = float(np.percentile(npv, q))
        row[f"npv_p{q}_se"] = quantile_se(s, q / 100)
    row["prob_npv_positive"] = p
    row["prob_npv_positive_se"] = math.sqrt(p * (1 - p) / n)
    return row


def paired_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of a - b over paired paths and its standard error (from the differences)."""
    d = a - b
    se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    return float(d.mean()), se


def _share(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = k / n
    return p, math.sqrt(p * (1 - p) / n)


def _settings(sc: Scenario, paths: int, seed: int,
              horizon: int | None) -> tuple[int, int, int]:
    try:
        paths = _check_int("paths", paths, 2, None)
        seed = _check_int("seed", seed, 0, 2**63 - 1)
        h = sc.horizon if horizon is None else _check_int("horizon", horizon, 1, 120)
    except ScenarioError as exc:
        raise AnalysisError(str(exc)) from None
    return paths, seed, h


def _need_gates(sc: Scenario) -> None:
    if not sc.gates:
        raise AnalysisError("gates: the scenario has no [[gates]]; add one (name, month, a "
                            "criterion, on_fail), see docs/model.md")


def _npv(sc: Scenario, x: np.ndarray, names: list[str], seed: int, h: int):
    res = simulate_inputs(sc, x, names, seed, h, bands=False, pilot_lens=False)
    return res.metric("npv"), res.gate_out


def gate_analysis(sc: Scenario, paths: int = 20_000, seed: int = 7,
                  horizon: int | None = None, *,
                  base: SimulationResult | None = None) -> GateAnalysis:
    """Compare big bang, the gated plan and no-go on common random numbers.

    Big bang's per-path NPVs are bit-identical to ``simulate(sc.with_values({"gates": []}),
    paths, seed, horizon)``; the gated plan's to ``simulate(sc, ...)``, which ``base`` is
    when given and of these paths, seed and horizon (then not simulated again).
    """
    _need_gates(sc)
    paths, seed, h = _settings(sc, paths, seed, horizon)
    if base is not None and is_run_of(base, sc, paths, seed, h):
        x, names = base.inputs, base.input_names
        npv_gated, gout = base.metric("npv"), base.gate_out
    else:
        x, names = sample_inputs(sc, paths, seed)
        npv_gated, gout = _npv(sc, x, names, seed, h)
    big = sc.with_values({"gates": []})
    npv_big, _ = _npv(big, x, names, seed, h)
    npv = {"big bang": npv_big, "gated": npv_gated, "no-go": np.zeros(paths)}
    rows = []
    for plan in PLANS:
        diff, diff_se = paired_diff(npv[plan], npv_big)
        rows.append({"plan": plan, **npv_table(npv[plan]),
                     "vs_big_bang_mean": diff, "vs_big_bang_se": diff_se})
    g = len(sc.gates)
    gate_rows = []
    for i, gate in enumerate(sc.gates):
        res = gout[:, i]
        reached = int((res != -1).sum())
        passed = int((res == 1).sum())
        p_r, p_r_se = _share(passed, reached)
        p_all, p_all_se = _share(passed, paths)
        gate_rows.append({
            "gate": gate.name, "month": gate.month, "on_fail": gate.on_fail,
            "prob_reached": reached / paths,
            "prob_pass_if_reached": p_r, "prob_pass_if_reached_se": p_r_se,
            "prob_pass": p_all, "prob_pass_se": p_all_se,
        })
    stopped = gout[:, g] >= 0
    held = gout[:, g + 1]
    p_stop, p_stop_se = _share(int(stopped.sum()), paths)
    option, option_se = paired_diff(npv_gated, npv_big)
    summary = pd.DataFrame([{
        "scenario": sc.name, "currency": sc.scenario.currency, "paths": paths, "seed": seed,
        "horizon": h, "option_value": option, "option_value_se": option_se,
        "prob_stop": p_stop, "prob_stop_se": p_stop_se,
        "stop_month_p50": float(np.median(gout[stopped, g])) if stopped.any() else math.nan,
        "months_held_mean": float(held.mean()),
        "months_held_mean_se": float(held.std(ddof=1) / math.sqrt(paths)),
        "prob_held": float(np.mean(held > 0)),
    }])
    return GateAnalysis(plans=pd.DataFrame(rows), gates=pd.DataFrame(gate_rows),
                        summary=summary, npv=npv, gate_out=gout)


# --------------------------------------------------------------------------- search


def parse_search(text: str) -> tuple[str, list[float]]:
    """``gates[0].min_active_rate=0.1,0.15,0.2`` -> (path, values); one-line errors."""
    if "=" not in text:
        raise AnalysisError(f"--search {text!r}: expected PATH=VALUES, e.g. "
                            "gates[0].min_active_rate=0.1,0.15,0.2")
    path, raw = (s.strip() for s in text.split("=", 1))
    values = []
    for item in raw.split(","):
        try:
            v = float(item)
        except ValueError:
            raise AnalysisError(f"--search {path}: {item.strip()!r} is not a number "
                                "(give VALUES as a comma-separated list)") from None
        if not math.isfinite(v):
            raise AnalysisError(f"--search {path}: {item.strip()!r} is not a finite number")
        values.append(v)
    return path, values


def _check_axis(sc: Scenario, path: str, values: list[float]) -> list[Any]:
    head, _, field = path.partition(".")
    idx = head[len("gates["):-1] if head.startswith("gates[") and head.endswith("]") else ""
    if not idx.isdigit() or field not in SEARCH_FIELDS:
        raise AnalysisError(f"{path}: not a gate threshold; use gates[i].FIELD with FIELD one "
                            f"of {', '.join(SEARCH_FIELDS)}")
    if int(idx) >= len(sc.gates):
        raise AnalysisError(f"{path}: gate {idx} does not exist (the scenario has "
                            f"{len(sc.gates)} gate{'s' if len(sc.gates) != 1 else ''})")
    if not values:
        raise AnalysisError(f"{path}: no values to search")
    if len(set(values)) != len(values):
        raise AnalysisError(f"{path}: values repeat ({', '.join(f'{v:g}' for v in values)})")
    out: list[Any] = []
    for v in values:
        if field in ("max_incidents", "spot_checks", "month", "notice_months"):
            if v != int(v):
                raise AnalysisError(f"{path}: {v:g} is not a whole number")
            v = int(v)
        try:
            sc.with_values({path: v})
        except ScenarioError as exc:
            raise AnalysisError(f"{path}={v:g}: {exc.problems[0]}") from None
        out.append(v)
    return out


def gate_search(sc: Scenario, axes: list[tuple[str, list[float]]], paths: int = 20_000,
                seed: int = 7, horizon: int | None = None,
                criterion: str = "mean") -> GateSearch:
    """Run the gated plan at every combination of one or two gate thresholds (common
    random numbers) and pick the best point by ``criterion`` (mean, p50, p10 or prob).

    Each point's numbers equal ``simulate(sc.with_values({path: value, ...}), paths, seed,
    horizon)`` exactly; ties go to the first point in grid order.
    """
    _need_gates(sc)
    if criterion not in SEARCH_CRITERIA:
        raise AnalysisError(f"criterion: {criterion!r} is not one of "
                            f"{', '.join(SEARCH_CRITERIA)}")
    if not 1 <= len(axes) <= 2:
        raise AnalysisError(f"--search: give one or two thresholds, not {len(axes)}")
    if len(axes) == 2 and axes[0][0] == axes[1][0]:
        raise AnalysisError(f"--search: {axes[0][0]} is given twice")
    paths, seed, h = _settings(sc, paths, seed, horizon)
    checked = [(p, _check_axis(sc, p, v)) for p, v in axes]
    n_points = math.prod(len(v) for _, v in checked)
    if n_points > MAX_SEARCH_POINTS:
        raise AnalysisError(f"--search: {n_points} points, at most {MAX_SEARCH_POINTS}")
    x, names = sample_inputs(sc, paths, seed)
    npv_big, _ = _npv(sc.with_values({"gates": []}), x, names, seed, h)
    rows = []
    for combo in itertools.product(*[v for _, v in checked]):
        change = {p: v for (p, _), v in zip(checked, combo, strict=True)}
        try:
            variant = sc.with_values(change)
        except ScenarioError as exc:  # e.g. two gate months out of order
            raise AnalysisError(f"{', '.join(f'{k}={v:g}' for k, v in change.items())}: "
                                f"{exc.problems[0]}") from None
        npv, gout = _npv(variant, x, names, seed, h)
        option, option_se = paired_diff(npv, npv_big)
        g = len(variant.gates)
        rows.append({**change, **npv_table(npv), "option_value": option,
                     "option_value_se": option_se,
                     "prob_stop": float(np.mean(gout[:, g] >= 0)),
                     "months_held_mean": float(gout[:, g + 1].mean())})
    points = pd.DataFrame(rows)
    key = SEARCH_CRITERIA[criterion]
    best = points.loc[[int(np.argmax(points[key].to_numpy()))]].reset_index(drop=True)
    return GateSearch(points=points, best=best, criterion=criterion,
                      axes=[p for p, _ in checked])
