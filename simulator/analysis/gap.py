"""The expectation gap: the signed-off pilot-lens case against the production range.

The kernel's pilot lens switches every production effect (the failure modes of
:mod:`simulator.scenario.catalog`) off at once. To say how much of the gap each failure
mode accounts for, each effect is switched off on its own by transforming the scenario
(see :func:`mode_switches`); together the transforms reproduce the kernel's lens path by
path (checked on every run and reported as ``lens_reproduced``). All 2^n on/off
combinations of the n modes run on common random numbers and the gap is attributed three
ways:

* ``alone``: the loss when the mode is the only production effect (lens -> lens + mode);
  the ``alone`` values plus the ``interaction`` row sum to the total gap;
* ``last``: the loss the mode adds on top of all the others (the gain of fixing only it);
* ``shapley``: the Shapley value, the average of the mode's loss over the n! orders in
  which the effects can be switched on; the Shapley values sum to the total gap exactly,
  interactions shared out evenly between the modes involved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..results import SimulationResult, percentiles
from ..scenario import MODE_LABELS, MODE_SPECS, MODES, Scenario
from .variants import AnalysisError, Variants, npv_stats, pct

STATS = ("p50", "mean")


def mode_switches(sc: Scenario) -> dict[str, tuple[dict[str, Any], dict[str, float]]]:
    """For each failure mode, the changes that switch its production effect off, the
    way the pilot lens does: ``(structure changes, input values)``.

    * data quality: no out-of-distribution inputs, no drift;
    * integration: load exponent 0 (incidents stay at the pilot rate);
    * change management: every cohort (and the change-plan tier) gets the pilot tier;
    * feedback: the feedback loop on with every error captured; its costs are zeroed
      when the scenario has no feedback lever (the lens does not charge for it) and
      kept when it has one (the lens does charge then).
    """
    out: dict[str, tuple[dict[str, Any], dict[str, float]]] = {
        m.key: ({}, dict(m.lens_values)) for m in MODE_SPECS}
    pilot = sc.adoption.pilot_tier
    change = out["change_management"][0]
    change.update({f"adoption.cohorts[{i}].tier": pilot
                   for i in range(len(sc.adoption.cohorts))})
    change["levers.change_plan.tier"] = pilot
    out["feedback"][0]["levers.feedback_loop.enabled"] = True
    if not sc.levers.feedback_loop.enabled:
        out["feedback"][1].update({"levers.feedback_loop.setup_cost": 0.0,
                                   "levers.feedback_loop.monthly_cost": 0.0,
                                   "levers.feedback_loop.retrain_cost": 0.0})
    return out


def _subset(mask: int) -> tuple[str, ...]:
    return tuple(m for i, m in enumerate(MODES) if mask >> i & 1)


def _weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear maps from v (2^n combination statistics, bit i = mode i on) to the losses.

    Loss of a set S of production effects = v(none) - v(S). Returns matrices (2^n, n) for
    the alone, last and Shapley attributions so that attribution = v @ W.
    """
    n = len(MODES)
    full = (1 << n) - 1
    alone = np.zeros((1 << n, n))
    last = np.zeros((1 << n, n))
    shap = np.zeros((1 << n, n))
    for i in range(n):
        bit = 1 << i
        alone[0, i], alone[bit, i] = 1.0, -1.0
        last[full & ~bit, i], last[full, i] = 1.0, -1.0
        for s in range(1 << n):
            if s & bit:
                continue
            k = bin(s).count("1")
            w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            shap[s, i] += w
            shap[s | bit, i] -= w
    return alone, last, shap


@dataclass(frozen=True)
class GapAnalysis:
    """Result of :func:`expectation_gap` (all tables are pandas DataFrames)."""

    summary: pd.DataFrame  #: one row: lens vs production, the gap, P(NPV >= lens)
    attribution: pd.DataFrame  #: one row per mode, then interaction and total
    combinations: pd.DataFrame  #: the 2^n on/off combinations of the production effects
    npv: pd.DataFrame  #: per path: production npv and pilot_lens_npv (for the chart)

    @property
    def gap(self) -> float:
        return float(self.summary["gap"].iloc[0])


def _median_rows(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``np.percentile(a, 50, axis)`` bit for bit, by the compiled histogram select
    (the bootstrap takes 100 x 16 medians of every path: a fifth of the time)."""
    if axis is None:
        return percentiles(np.ravel(a), (50,))[0]
    if a.ndim != 2 or axis not in (1, -1):
        return np.percentile(a, 50, axis=axis)
    return np.array([percentiles(row, (50,))[0] for row in a])


def _stat(stat: str):
    if stat == "p50":
        return _median_rows
    if stat == "mean":
        return lambda a, axis=None: np.mean(a, axis=axis)
    raise AnalysisError(f"stat: {stat!r} is not one of {', '.join(STATS)}")


def expectation_gap(sc: Scenario, paths: int = 20_000, seed: int = 7,
                    horizon: int | None = None, *, stat: str = "p50",
                    bootstrap: int = 100, base: SimulationResult | None = None
                    ) -> GapAnalysis:
    """The pilot-lens NPV beside the production range, and the gap's causes.

    ``stat`` is the statistic the gap is measured in: ``p50`` (lens median minus
    production median, as in the run summary) or ``mean``. Standard errors of the gap
    and the Shapley values come from ``bootstrap`` resamples of the paths (all the
    combinations resampled together; 0 skips them). Latin hypercube paths are not
    independent draws, so these errors are on the safe (large) side. ``base``: the run of
    ``sc`` with these paths, seed and horizon (and its pilot lens) if one was made already
    (reused, see :meth:`Variants.start`).
    """
    f = _stat(stat)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise AnalysisError(f"bootstrap: {bootstrap!r} must be a whole number >= 0")
    runner = Variants.start(sc, paths, seed, horizon, pilot_lens=True, base=base)
    npvs = _combination_npvs(runner, mode_switches(sc))
    v = f(npvs, axis=1)
    se_shap, se_gap = _bootstrap_errors(npvs, f, bootstrap, runner.base.seed)
    npv = pd.DataFrame({"npv": npvs[_ALL_ON], "pilot_lens_npv": npvs[0]})
    npv.index.name = "path"
    return GapAnalysis(summary=_summary_table(sc, runner, stat, v, npvs, se_gap),
                       attribution=_attribution_table(v, stat, se_shap, se_gap),
                       combinations=_combinations_table(npvs, v), npv=npv)


# --------------------------------------------------------------------------- steps

#: Combination index with every production effect on (bit i = mode i on).
_ALL_ON = (1 << len(MODES)) - 1
#: Attribution weights (alone, last, Shapley): attribution = v @ W.
_W_ALONE, _W_LAST, _W_SHAP = _weights()


def _combination_npvs(runner: Variants,
                      switches: dict[str, tuple[dict[str, Any], dict[str, float]]]
                      ) -> np.ndarray:
    """NPV per path of the 2^n on/off combinations, shape (2^n, paths): row ``mask`` has
    mode i's production effect on where bit i is set (0: the lens, 2^n - 1: production)."""
    npvs = np.empty((_ALL_ON + 1, runner.n_paths))
    for mask in range(_ALL_ON + 1):
        structure: dict[str, Any] = {}
        values: dict[str, float] = {}
        for i, mode in enumerate(MODES):
            if not mask >> i & 1:  # production effect off: the pilot's way
                structure.update(switches[mode][0])
                values.update(switches[mode][1])
        npvs[mask] = runner.run(structure, values).metric("npv")
    return npvs


class _ResampledMedians:
    """Row medians of ``npvs[:, idx]`` for many resamples ``idx``, equal bit for bit to
    :func:`_median_rows` of the resampled matrix, without building it: each row is sorted
    once; a resample is then a count per path, and its median's two order statistics are
    where the running counts (in sorted order) pass their ranks."""

    def __init__(self, npvs: np.ndarray) -> None:
        self.order = np.argsort(npvs, axis=1, kind="stable")
        self.sorted = np.take_along_axis(npvs, self.order, axis=1)
        n = npvs.shape[1]
        h = 0.5 * (n - 1)  # np.percentile's linear method: h = q (n - 1)
        self.lo = int(math.floor(h))
        self.hi = min(self.lo + 1, n - 1)
        self.gamma = h - self.lo
        self.rows = np.arange(npvs.shape[0])

    def of(self, idx: np.ndarray) -> np.ndarray:
        counts = np.bincount(idx, minlength=self.order.shape[1])
        running = np.cumsum(counts[self.order], axis=1)  # non-decreasing along each row
        at = np.array([np.searchsorted(r, (self.lo, self.hi), side="right")
                       for r in running])
        a = self.sorted[self.rows, at[:, 0]]
        b = self.sorted[self.rows, at[:, 1]]
        d = b - a  # numpy's lerp, as the compiled select does it
        return b - d * (1.0 - self.gamma) if self.gamma >= 0.5 else a + d * self.gamma


def _bootstrap_errors(npvs: np.ndarray, f: Callable[..., np.ndarray], bootstrap: int,
                      seed: int) -> tuple[np.ndarray, float]:
    """Standard errors of the Shapley values and of the gap from ``bootstrap``
    resamples of the paths (NaN with fewer than two resamples)."""
    se_shap = np.full(len(MODES), np.nan)
    se_gap = math.nan
    if bootstrap:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
        n = npvs.shape[1]
        vb = np.empty((bootstrap, _ALL_ON + 1))
        medians = _ResampledMedians(npvs) if f is _median_rows else None
        for b in range(bootstrap):
            idx = rng.integers(0, n, n)
            vb[b] = medians.of(idx) if medians is not None else f(npvs[:, idx], axis=1)
        if bootstrap > 1:
            se_shap = (vb @ _W_SHAP).std(axis=0, ddof=1)
            se_gap = float((vb[:, 0] - vb[:, _ALL_ON]).std(ddof=1))
    return se_shap, se_gap


def _attribution_table(v: np.ndarray, stat: str, se_shap: np.ndarray,
                       se_gap: float) -> pd.DataFrame:
    """One row per mode (alone, last, Shapley and its share), then interaction, total."""
    alone, last, shap = v @ _W_ALONE, v @ _W_LAST, v @ _W_SHAP
    total = float(v[0] - v[_ALL_ON])

    def share(x: float) -> float:
        return x / total if total != 0 else math.nan

    rows = []
    for i, mode in enumerate(MODES):
        rows.append({"mode": mode, "label": MODE_LABELS[mode], "alone": float(alone[i]),
                     "last": float(last[i]), "shapley": float(shap[i]),
                     "shapley_se": float(se_shap[i]), "shapley_share": share(float(shap[i]))})
    rows.append({"mode": "interaction", "label": "Interaction (total - sum of alone)",
                 "alone": total - float(alone.sum()), "last": total - float(last.sum()),
                 "shapley": 0.0, "shapley_se": 0.0, "shapley_share": 0.0})
    rows.append({"mode": "total", "label": f"Total gap ({stat})", "alone": total,
                 "last": total, "shapley": total, "shapley_se": se_gap, "shapley_share": 1.0})
    return pd.DataFrame(rows)


def _combinations_table(npvs: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    """Every combination with its NPV statistics, fewest effects on first."""
    combos = []
    for mask in range(_ALL_ON + 1):
        on = _subset(mask)
        row: dict[str, Any] = {"effects_on": " + ".join(on) if on else "none (pilot lens)"}
        row.update({m: m in on for m in MODES})
        row["n_on"] = len(on)
        row.update(npv_stats(npvs[mask]))
        row["gap_vs_lens"] = float(v[0] - v[mask])
        combos.append(row)
    return (pd.DataFrame(combos).sort_values(["n_on", "gap_vs_lens"], kind="stable")
            .reset_index(drop=True))


def _summary_table(sc: Scenario, runner: Variants, stat: str, v: np.ndarray,
                   npvs: np.ndarray, se_gap: float) -> pd.DataFrame:
    """One row: lens vs production, the gap, P(NPV >= lens) and the lens check (the mode
    transforms against the kernel's own lens, path by path)."""
    production, lens = npvs[_ALL_ON], npvs[0]
    # The run's own lens covers its first paths only (as many as its median needs).
    kernel_lens = runner.base.lens_npv
    ran = ~np.isnan(kernel_lens)
    lens_diff = float(np.max(np.abs(lens[ran] - kernel_lens[ran]), initial=0.0))
    scale = max(1.0, float(np.max(np.abs(kernel_lens[ran]), initial=0.0)))
    lens_p50 = pct(lens, 50)
    return pd.DataFrame([{
        "scenario": sc.name,
        "currency": sc.scenario.currency,
        "paths": runner.n_paths,
        "seed": runner.base.seed,
        "stat": stat,
        "pilot_lens_npv": float(v[0]),
        "npv_p10": pct(production, 10),
        "npv_p50": pct(production, 50),
        "npv_p90": pct(production, 90),
        "npv_mean": float(production.mean()),
        "production_stat": float(v[_ALL_ON]),
        "gap": float(v[0] - v[_ALL_ON]),
        "gap_se": se_gap,
        "prob_npv_ge_pilot_lens": float(np.mean(production >= lens_p50)),
        "prob_npv_ge_own_lens": float(np.mean(production >= lens)),
        "lens_reproduced": lens_diff <= 1e-9 * scale,
        "lens_max_abs_diff": lens_diff,
    }])


__all__ = ["MODES", "MODE_LABELS", "GapAnalysis", "expectation_gap", "mode_switches"]
