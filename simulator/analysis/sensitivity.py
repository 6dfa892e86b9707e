"""Sensitivity of NPV to the uncertain inputs: rank correlations, tornado and spider.

* **Spearman**: the rank correlation rho_i of each sampled input with NPV over the
  production paths (``scipy.stats.spearmanr``); *contribution to variance* is
  rho_i^2 / sum_j rho_j^2 (in %), the usual normalised squared-rank-correlation
  measure (exact only for additive, monotone models; a guide, not a decomposition).
* **Tornado**: NPV P50 with one input held at its own P10 and then at its P90, every
  other input sampled as usual, on common random numbers; ranked by swing
  |P50(high) - P50(low)|.
* **Spider**: NPV P50 as one input is held at each of several of its quantiles.

Tornado and spider cost two (or ``len(quantiles)``) kernel runs per input, so by
default they cover the ``top_k`` inputs with the largest |rho|; pass ``top_k=None`` for
every input. A money-only input (an hourly cost, minutes saved, a cost: NPV is a straight
line in it on every path, :mod:`.affine`) costs one run for all its values, which then
equal direct runs to rounding (checked on every use; the inputs so computed are listed in
the tables' ``attrs["linear"]``). Inputs that cannot affect the scenario as configured (a
lever that is off, a tier nobody gets; see :func:`~simulator.analysis.variants.used_inputs`)
are left out unless ``include_unused=True``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..results import SimulationResult
from ..scenario import Scenario
from .affine import Line, affine_inputs, checked, derived_slope
from .variants import AnalysisError, Variants, pct, used_inputs

SPIDER_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Fewest paths a rank correlation is defined on (Spearman's rho needs three).
MIN_PATHS = 3


@dataclass(frozen=True)
class SensitivityAnalysis:
    """Result of :func:`sensitivity`."""

    spearman: pd.DataFrame  #: one row per sampled input, largest |rho| first
    tornado: pd.DataFrame  #: one row per input analysed, largest swing first
    spider: pd.DataFrame  #: tidy: input, quantile, value, npv_p50, change
    base_npv_p50: float
    currency: str


def rank_correlations(res: SimulationResult, include_unused: bool = False) -> pd.DataFrame:
    """Spearman rank correlation of every sampled (non-fixed) input with NPV.

    Columns: input, rho, p_value, contribution_pct, low, likely, high (the input's
    P10 / mode-or-median / P90 as :meth:`Dist.describe` gives them). Largest |rho| first.
    """
    sc = res.scenario
    dists = sc.inputs()
    keep = used_inputs(sc) if not include_unused else set(dists)
    names = [p for p in res.input_names if p in keep and not dists[p].is_fixed]
    npv = res.metric("npv")
    rows = []
    if names and npv.size >= 3:
        cols = [res.input_names.index(p) for p in names]
        data = np.column_stack([res.inputs[:, cols], npv])
        rho, pval = stats.spearmanr(data)
        rho, pval = np.atleast_2d(rho), np.atleast_2d(pval)
        for j, p in enumerate(names):
            lo, likely, hi = dists[p].describe()
            rows.append({"input": p, "rho": float(rho[j, -1]), "p_value": float(pval[j, -1]),
                         "low": lo, "likely": likely, "high": hi})
    df = pd.DataFrame(rows, columns=["input", "rho", "p_value", "low", "likely", "high"])
    df["rho"] = df["rho"].fillna(0.0)  # a constant NPV correlates with nothing
    sq = df["rho"] ** 2
    total = float(sq.sum())
    df.insert(3, "contribution_pct", 100.0 * sq / total if total > 0 else 0.0)
    df = df.reindex(df["rho"].abs().sort_values(ascending=False, kind="stable").index)
    return df.reset_index(drop=True)


def _pick(spearman: pd.DataFrame, dists: dict, inputs: Sequence[str] | None,
          top_k: int | None) -> list[str]:
    if inputs is not None:
        for p in inputs:
            if p not in dists:
                raise AnalysisError(f"{p}: not an uncertain input of this scenario")
            if dists[p].is_fixed:
                raise AnalysisError(f"{p}: is fixed in this scenario; nothing to vary")
        return list(inputs)
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or top_k < 1):
        raise AnalysisError(f"top_k: {top_k!r} must be a whole number >= 1 (or None: all)")
    names = list(spearman["input"])
    return names if top_k is None else names[:top_k]


def _check_q(q: float, name: str) -> float:
    if not isinstance(q, int | float) or not 0.0 < q < 1.0:
        raise AnalysisError(f"{name}: {q!r} must be a probability strictly between 0 and 1")
    return float(q)


class _HeldNpv:
    """NPV per path with one input held at a value, sharing the work between values.

    A money-only input (:mod:`.affine`) costs at most one run for every value: the base
    run has it at its sampled value on each path, and its slope per path either follows
    from the base run (:func:`~.affine.derived_slope`) or from one more run that holds it,
    on each path, at whichever end of the values asked for first is farther from that
    path's own value (so the two points are at least half that range apart); the line is
    checked on a few paths. Any other input costs one run per value (a value asked for
    again is not rerun).
    """

    def __init__(self, runner: Variants) -> None:
        self.runner = runner
        self.affine = affine_inputs(runner.scenario)
        self.lines: dict[str, Line | None] = {}

    def at(self, path: str, values: Sequence[float]) -> list[np.ndarray]:
        line = self._line(path, values) if path in self.affine else None
        if line is not None:
            return [line.at(v) for v in values]
        return [self.runner.held_npv(path, v) for v in values]

    def linear(self) -> list[str]:
        """The inputs whose NPVs came from a line."""
        return [p for p, line in self.lines.items() if line is not None]

    def _line(self, path: str, values: Sequence[float]) -> Line | None:
        if path not in self.lines:
            lo, hi = min(values), max(values)
            x = self.runner.column(path)
            npv = self.runner.base.metric("npv")
            known = {p: ln.slope for p, ln in self.lines.items() if ln is not None}
            slope = derived_slope(self.runner, path, known)
            if slope is not None:
                line = Line(x, npv, slope)
            elif hi > lo:
                far = np.where(np.abs(x - lo) >= np.abs(x - hi), lo, hi)
                line = Line.through(x, npv, far, self.runner.run(values={path: far})
                                    .metric("npv"))
            else:
                return None  # one value: a direct run costs the same
            check = 0.5 * (lo + hi) if hi > lo else lo + 0.5 * (abs(lo) + 1.0)
            self.lines[path] = checked(self.runner, path, line, check)
        return self.lines[path]


def _tornado(held: _HeldNpv, names: list[str], rho: dict[str, float], low_q: float,
             high_q: float) -> pd.DataFrame:
    runner = held.runner
    dists = runner.scenario.inputs()
    base = pct(runner.base.metric("npv"), 50)
    rows = []
    for p in names:
        lo_v, hi_v = dists[p].quantile(low_q), dists[p].quantile(high_q)
        npv_lo, npv_hi = held.at(p, [lo_v, hi_v])
        p50_lo, p50_hi = pct(npv_lo, 50), pct(npv_hi, 50)
        rows.append({"input": p, "low_value": lo_v, "high_value": hi_v,
                     "npv_p50_low": p50_lo, "npv_p50_high": p50_hi,
                     "swing": abs(p50_hi - p50_lo),
                     "prob_npv_positive_low": float(np.mean(npv_lo > 0)),
                     "prob_npv_positive_high": float(np.mean(npv_hi > 0)),
                     "rho": rho.get(p, math.nan), "base_npv_p50": base})
    cols = ["input", "low_value", "high_value", "npv_p50_low", "npv_p50_high", "swing",
            "prob_npv_positive_low", "prob_npv_positive_high", "rho", "base_npv_p50"]
    df = pd.DataFrame(rows, columns=cols)
    df = df.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    df.attrs.update(low_quantile=low_q, high_quantile=high_q, linear=held.linear())
    return df


def _spider(held: _HeldNpv, names: list[str], quantiles: Sequence[float]) -> pd.DataFrame:
    runner = held.runner
    dists = runner.scenario.inputs()
    qs = [_check_q(q, "quantiles") for q in quantiles]
    if not qs:
        raise AnalysisError("quantiles: give at least one quantile")
    base = pct(runner.base.metric("npv"), 50)
    rows = []
    for p in names:
        vs = [dists[p].quantile(q) for q in qs]
        for q, v, npv in zip(qs, vs, held.at(p, vs), strict=True):
            p50 = pct(npv, 50)
            rows.append({"input": p, "quantile": q, "value": v, "npv_p50": p50,
                         "change": p50 - base})
    df = pd.DataFrame(rows, columns=["input", "quantile", "value", "npv_p50", "change"])
    df.attrs.update(linear=held.linear())
    return df


def tornado(sc: Scenario, paths: int = 20_000, seed: int = 7, horizon: int | None = None, *,
            inputs: Sequence[str] | None = None, top_k: int | None = 10,
            low_q: float = 0.1, high_q: float = 0.9) -> pd.DataFrame:
    """Tornado table: NPV P50 with each input held at its ``low_q`` vs ``high_q`` quantile.

    ``inputs`` names the inputs to analyse; otherwise the ``top_k`` by |Spearman rho|
    (``None``: all sampled inputs that matter). Ranked by swing, largest first.
    """
    low_q, high_q = _check_q(low_q, "low_q"), _check_q(high_q, "high_q")
    runner = Variants.start(sc, paths, seed, horizon)
    sp = rank_correlations(runner.base)
    names = _pick(sp, sc.inputs(), inputs, top_k)
    return _tornado(_HeldNpv(runner), names, dict(zip(sp["input"], sp["rho"], strict=True)),
                    low_q, high_q)


def spider(sc: Scenario, paths: int = 20_000, seed: int = 7, horizon: int | None = None, *,
           inputs: Sequence[str] | None = None, top_k: int | None = 5,
           quantiles: Sequence[float] = SPIDER_QUANTILES) -> pd.DataFrame:
    """Spider table: NPV P50 as each input is held at each of ``quantiles`` of its range."""
    runner = Variants.start(sc, paths, seed, horizon)
    sp = rank_correlations(runner.base)
    return _spider(_HeldNpv(runner), _pick(sp, sc.inputs(), inputs, top_k), quantiles)


def sensitivity(sc: Scenario, paths: int = 20_000, seed: int = 7,
                horizon: int | None = None, *, top_k: int | None = 10, spider_k: int = 5,
                quantiles: Sequence[float] = SPIDER_QUANTILES,
                include_unused: bool = False,
                base: SimulationResult | None = None) -> SensitivityAnalysis:
    """Spearman table, tornado (``top_k`` inputs; None = all) and spider (``spider_k``
    inputs with the largest tornado swing) on one set of common random numbers.

    ``base``: the run of ``sc`` with these paths, seed and horizon if one was made
    already (reused, see :meth:`Variants.start`)."""
    if isinstance(spider_k, bool) or not isinstance(spider_k, int) or spider_k < 0:
        raise AnalysisError(f"spider_k: {spider_k!r} must be a whole number >= 0")
    if isinstance(paths, int) and not isinstance(paths, bool) and 0 < paths < MIN_PATHS:
        raise AnalysisError(f"paths: {paths} is too few to rank inputs by their rank "
                            f"correlation with NPV (at least {MIN_PATHS}; 2,000 or more "
                            f"for a stable ranking)")
    runner = Variants.start(sc, paths, seed, horizon, base=base)
    sp = rank_correlations(runner.base, include_unused=include_unused)
    rho = dict(zip(sp["input"], sp["rho"], strict=True))
    names = _pick(sp, sc.inputs(), None, top_k)
    held = _HeldNpv(runner)
    tor = _tornado(held, names, rho, 0.1, 0.9)
    spi = _spider(held, list(tor["input"])[:spider_k], quantiles)
    return SensitivityAnalysis(spearman=sp, tornado=tor, spider=spi,
                               base_npv_p50=pct(runner.base.metric("npv"), 50),
                               currency=sc.scenario.currency)


__all__ = ["SPIDER_QUANTILES", "SensitivityAnalysis", "rank_correlations", "sensitivity",
           "spider", "tornado"]
