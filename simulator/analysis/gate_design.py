"""Gate design: which gate, if any, beats rolling out as planned.

At each candidate month (one given, or the month before each later wave starts) every
design is tried: on a failed review *hold* the later waves, *stop* the rollout, or
*switch on* each subset of the levers that are off; each at every threshold of the
review's criterion (the scenario's own gate criterion, or the active-user rate). All
designs and the plan (the scenario without gates) run on common random numbers.

Choosing the best of many designs on the same paths flatters the winner. So the design is
chosen on the even-numbered paths and its gain over the plan is measured, with its paired
standard error, on the odd-numbered paths it was not chosen on; the verdict names it only
when that held-out gain is more than two standard errors above zero, and otherwise says
"do not gate".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..formatting import json_value
from ..scenario import LEVERS, Scenario, ScenarioError
from ..simulation import sample_inputs, simulate_inputs
from .gates import _settings, paired_diff
from .variants import AnalysisError

#: Thresholds tried for the active-user rate when the scenario has no gate to copy.
ACTIVE_RATE_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
#: Multipliers of a scenario gate's own threshold tried in the search.
THRESHOLD_SCALE = (0.6, 0.8, 1.0, 1.2, 1.4)
#: A held-out gain above this many paired standard errors names a design.
Z = 2.0
#: Most designs (actions x thresholds x months) one call may run.
MAX_DESIGNS = 600


@dataclass(frozen=True)
class GateDesign:
    """Result of :func:`gate_design`."""

    designs: pd.DataFrame  #: one row per design, best first (gain measured on all paths)
    best: dict[str, Any]  #: the best design and its held-out gain over the plan
    plan_npv_mean: float
    currency: str
    paths: int
    seed: int
    gate_worth_it: bool  #: the held-out gain is more than Z standard errors above 0

    def to_dict(self) -> dict[str, Any]:
        return {"best": {k: json_value(v) for k, v in self.best.items()},
                "gate_worth_it": self.gate_worth_it, "plan_npv_mean": self.plan_npv_mean,
                "currency": self.currency, "paths": self.paths, "seed": self.seed,
                "designs": [{k: json_value(v) for k, v in r.items()}
                            for r in self.designs.to_dict("records")]}



def candidate_months(sc: Scenario, month: int | None, horizon: int | None = None
                     ) -> list[int]:
    """The month given, or the month before each wave that starts after month 1."""
    h = sc.horizon if horizon is None else horizon
    if month is not None:
        if not 1 <= month < h:
            raise AnalysisError(f"--month: {month} must be between 1 and {h - 1} (the "
                                "horizon less one)")
        return [month]
    months = sorted({c.start_month - 1 for c in sc.adoption.cohorts
                     if 2 <= c.start_month <= h})
    if not months:
        raise AnalysisError("gate design: every wave starts in month 1, so there is no later "
                            "wave to gate; give --month M to gate at month M (stop or "
                            "switch_levers)")
    return months


def _criterion(sc: Scenario) -> tuple[str, list[float]]:
    """The review's criterion and the thresholds to try."""
    if sc.gates:
        g = sc.gates[0]
        for name in ("min_active_rate", "min_accuracy", "max_incidents"):
            v = getattr(g, name)
            if v is not None:
                if name == "max_incidents":
                    vals = sorted({max(0, round(v * s)) for s in THRESHOLD_SCALE})
                else:
                    vals = sorted({round(min(1.0, v * s), 4) for s in THRESHOLD_SCALE})
                return name, [float(x) for x in vals]
    return "min_active_rate", list(ACTIVE_RATE_GRID)


def _actions(sc: Scenario) -> list[tuple[str, tuple[str, ...]]]:
    off = [lv for lv in LEVERS if not getattr(sc.levers, lv).enabled]
    acts: list[tuple[str, tuple[str, ...]]] = [("hold", ()), ("stop", ())]
    for k in range(1, len(off) + 1):
        acts += [("switch_levers", combo) for combo in itertools.combinations(off, k)]
    return acts


def _describe(action: str, levers: tuple[str, ...]) -> str:
    from ..scenario import LEVER_LABELS

    if action == "hold":
        return "hold later waves"
    if action == "stop":
        return "stop the rollout"
    return "switch on " + " + ".join(LEVER_LABELS.get(lv, lv).lower() for lv in levers)


def gate_design(sc: Scenario, paths: int = 20_000, seed: int = 7,
                horizon: int | None = None, *, month: int | None = None) -> GateDesign:
    """Compare hold, stop and switch_levers (each subset of the levers that are off) at
    each candidate month and threshold against the plan without gates, on common random
    numbers; the best design's gain is measured on paths it was not chosen on."""
    paths, seed, h = _settings(sc, paths, seed, horizon)
    if paths < 4:
        raise AnalysisError(f"paths: {paths} must be at least 4 for a gate design")
    plan = sc.with_values({"gates": []})
    months = candidate_months(plan, month, h)
    crit, values = _criterion(sc)
    acts = _actions(sc)
    n_designs = len(months) * len(values) * len(acts)
    if n_designs > MAX_DESIGNS:
        raise AnalysisError(f"gate design: {n_designs} designs, at most {MAX_DESIGNS}; give "
                            "--month")
    reonboard = bool(sc.gates and sc.gates[0].reonboard)
    x, names = sample_inputs(sc, paths, seed)
    npv_plan = simulate_inputs(plan, x, names, seed, h, bands=False,
                               pilot_lens=False).metric("npv")
    even = np.arange(paths) % 2 == 0
    rows: list[dict[str, Any]] = []
    best_npv, best_sel = None, -math.inf  # only the chosen design's paths are kept
    for m, (action, levers), t in itertools.product(months, acts, values):
        gate: dict[str, Any] = {"name": f"Month-{m} review", "month": m, crit: t,
                                "on_fail": action}
        if action == "switch_levers":
            gate["levers"] = list(levers)
            gate["reonboard"] = reonboard and "change_plan" in levers
        try:
            variant = plan.with_values({"gates": [gate]})
        except ScenarioError as exc:
            raise AnalysisError(f"gate design at month {m}: {exc.problems[0]}") from None
        res = simulate_inputs(variant, x, names, seed, h, bands=False, pilot_lens=False)
        npv = res.metric("npv")
        gain, gain_se = paired_diff(npv, npv_plan)
        sel, _ = paired_diff(npv[even], npv_plan[even])
        rows.append({"month": m, "action": action, "levers": " + ".join(levers),
                     "design": _describe(action, levers), "criterion": crit,
                     "threshold": t, "gain_mean": gain, "gain_se": gain_se,
                     "gain_select": sel, "prob_fail": float(np.mean(res.gate_out[:, 0] == 0)),
                     "npv_mean": float(npv.mean())})
        if sel > best_sel:  # ties go to the first design in grid order
            best_sel, best_npv, i = sel, npv, len(rows) - 1
    designs = pd.DataFrame(rows)
    held, held_se = paired_diff(best_npv[~even], npv_plan[~even])
    best = {**designs.iloc[i].to_dict(), "gain_held_out": held, "gain_held_out_se": held_se,
            "designs_compared": len(designs)}
    designs = designs.sort_values("gain_mean", ascending=False,
                                  kind="stable").reset_index(drop=True)
    return GateDesign(designs=designs, best=best, plan_npv_mean=float(npv_plan.mean()),
                      currency=sc.scenario.currency, paths=paths, seed=seed,
                      gate_worth_it=bool(held > Z * held_se))


__all__ = ["ACTIVE_RATE_GRID", "GateDesign", "candidate_months", "gate_design"]
