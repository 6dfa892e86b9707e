"""Scenario variants on common random numbers: one input sample, many kernel runs.

Every analysis in this package compares variants of one scenario (a failure mode
switched off, a lever switched on, one input held at a value). To compare them on
common random numbers the inputs are sampled *once* (the Latin hypercube design of the
production run) and each variant only

* changes the scenario's structure (lever switches, cohort tiers) through
  :meth:`Scenario.with_values`, and/or
* overwrites whole input columns with a value (the same as fixing the input in the
  scenario file, but without letting a fixed input drop out of the Iman-Conover
  reordering, which would reshuffle correlated inputs),

and then runs the compiled kernel with the same kernel seed. A variant with no changes
is bit-identical to :func:`simulator.simulate`; for scenarios without declared
correlations a column override is bit-identical to ``simulate(sc.with_values(...))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..budget import check_run_budget
from ..distributions import Dist
from ..results import SimulationResult, percentiles
from ..scenario import LEVER_LABELS, LEVER_SHORT, LEVERS, Scenario
from ..simulation import _check_int, sample_inputs, simulate_inputs


class AnalysisError(ValueError):
    """Bad input to an analysis (unknown input path, range, target): a one-line message."""


@dataclass
class Variants:
    """Runs scenario variants on the input sample and seed of a base run (common random
    numbers). The base run itself is simulated only when something reads :attr:`base`."""

    scenario: Scenario
    inputs: np.ndarray  #: (N, K) the sampled inputs every variant starts from
    input_names: list[str]
    seed: int
    horizon: int
    pilot_lens: bool = False
    _base: SimulationResult | None = field(default=None, repr=False)
    #: NPV per path of runs with one input held at a value, by (input, value)
    _held: dict[tuple[str, float], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def start(cls, sc: Scenario, paths: int, seed: int, horizon: int | None = None, *,
              pilot_lens: bool = False, base: SimulationResult | None = None) -> Variants:
        """Sample the scenario's inputs (validating paths/seed/horizon) for variants on
        common random numbers; the base run (the scenario as given) follows on first use.

        ``base``: a run of ``sc`` with these paths, seed and horizon already made (e.g.
        the result being exported), reused instead of simulating it again; a run that
        does not match them (or lacks the pilot lens when ``pilot_lens``) is ignored.
        """
        paths = _check_int("paths", paths, 1, None)
        seed = _check_int("seed", seed, 0, 2**63 - 1)
        h = sc.horizon if horizon is None else _check_int("horizon", horizon, 1, 120)
        if base is not None and is_run_of(base, sc, paths, seed, h, pilot_lens):
            return cls(sc, base.inputs, base.input_names, seed, h, pilot_lens, base)
        check_run_budget(sc, paths, h, False, pilot_lens=pilot_lens)
        x, names = sample_inputs(sc, paths, seed)
        return cls(sc, x, names, seed, h, pilot_lens)

    @property
    def base(self) -> SimulationResult:
        """The scenario as given: bit-identical to ``simulate(sc, paths, seed, horizon,
        bands=False, pilot_lens=...)``."""
        if self._base is None:
            self._base = simulate_inputs(self.scenario, self.inputs, self.input_names,
                                         self.seed, self.horizon, bands=False,
                                         pilot_lens=self.pilot_lens)
        return self._base

    @property
    def names(self) -> list[str]:
        return self.input_names

    @property
    def n_paths(self) -> int:
        return self.inputs.shape[0]

    def column(self, path: str) -> np.ndarray:
        """The sampled values of one input (a view into the base sample)."""
        return self.inputs[:, self._index(path)]

    def _index(self, path: str) -> int:
        try:
            return self.names.index(path)
        except ValueError:
            raise AnalysisError(f"{path}: not an uncertain input of this scenario "
                                f"(e.g. {self.names[0]})") from None

    def run(self, structure: dict[str, Any] | None = None,
            values: dict[str, float | np.ndarray] | None = None, *,
            rows: int | None = None) -> SimulationResult:
        """Run one variant: ``structure`` goes through ``with_values``, ``values`` overwrite
        input columns (a number holds the input at that value on every path). ``rows``:
        only the first that many paths (the same paths, drawn the same way)."""
        sc = self.scenario.with_values(structure) if structure else self.scenario
        if structure and sc.input_paths() != self.names:
            raise AnalysisError("a variant changed the scenario's list of inputs; only "
                                "switches and tiers may change between variants")
        if not values and not structure and rows is None:
            return self.base
        x = self.inputs if rows is None else self.inputs[:rows]
        if values:
            x = x.copy(order="K")  # keeps the sample's column-major layout: one copy
            for path, v in values.items():
                x[:, self._index(path)] = v
        return simulate_inputs(sc, x, self.names, self.seed, self.horizon,
                               bands=False, pilot_lens=False)

    def held_npv(self, path: str, value: float) -> np.ndarray:
        """NPV per path with input ``path`` held at ``value`` on every path (one kernel
        run, remembered: asking again for the same value costs nothing)."""
        key = (path, float(value))
        if key not in self._held:
            self._held[key] = self.run(values={path: float(value)}).metric("npv")
        return self._held[key]


def is_run_of(base: SimulationResult, sc: Scenario, paths: int, seed: int, horizon: int,
              pilot_lens: bool = False) -> bool:
    """Whether ``base`` is the run of ``sc`` with these paths, seed and horizon (with the
    pilot lens if ``pilot_lens``): an analysis may use it as its base run."""
    return (base.n_paths == paths and base.seed == seed and base.horizon == horizon
            and (base.scenario is sc or base.scenario == sc)
            and (not pilot_lens or base.lens_median is not None))


def pct(x: np.ndarray, p: float) -> float:
    """Percentile p (0-100) as :mod:`simulator.results` computes it (``np.percentile``
    bit for bit, by the compiled select)."""
    return percentiles(x, (p,))[0]


def npv_stats(npv: np.ndarray) -> dict[str, float]:
    """NPV P10/P50/P90, mean (with s.e.) and P(NPV > 0) (with s.e.) of one variant."""
    n = npv.size
    p = float(np.mean(npv > 0))
    p10, p50, p90 = percentiles(npv, (10, 50, 90))
    return {
        "npv_mean": float(npv.mean()),
        "npv_mean_se": float(npv.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "npv_p10": p10,
        "npv_p50": p50,
        "npv_p90": p90,
        "prob_npv_positive": p,
        "prob_npv_positive_se": math.sqrt(p * (1 - p) / n),
    }


def used_inputs(sc: Scenario) -> set[str]:
    """Inputs that can move the production NPV of ``sc`` as configured.

    Left out: every input of a lever that is off, the learning-curve inputs when there
    is no feedback loop (no retraining happens), and the inputs of tiers no cohort uses.
    They are sampled (so that switching them on keeps common random numbers) but cannot
    matter, and their rank correlation with NPV is pure noise.
    """
    lv = sc.levers
    tiers = {sc.adoption.pilot_tier}
    if lv.change_plan.enabled:
        tiers.add(lv.change_plan.tier)
    else:
        tiers.update(c.tier for c in sc.adoption.cohorts)
    out = set()
    for path in sc.inputs():
        parts = path.split(".")
        if parts[0] == "levers" and not getattr(lv, parts[1]).enabled:
            continue
        if parts[0] == "improvement" and not lv.feedback_loop.enabled:
            continue
        if parts[:2] == ["adoption", "tiers"] and parts[2] not in tiers:
            continue
        out.add(path)
    return out


def input_dist(sc: Scenario, path: str) -> Dist:
    """The :class:`Dist` of one uncertain input, or an :class:`AnalysisError` naming it."""
    dists = sc.inputs()
    if path not in dists:
        close = [p for p in dists if path.split(".")[-1] in p][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else \
            " (list them with `rollout-sim validate FILE`)"
        raise AnalysisError(f"{path}: not an uncertain input of this scenario{hint}")
    return dists[path]


def lever_label(levers: tuple[str, ...] | list[str]) -> str:
    """A short readable name of a lever portfolio: 'none' or 'VT + LT + CP + FB'."""
    if not levers:
        return "none"
    return " + ".join(LEVER_SHORT[lv] for lv in LEVERS if lv in levers)


__all__ = ["LEVER_LABELS", "LEVER_SHORT", "AnalysisError", "Variants", "input_dist", "is_run_of",
           "lever_label", "npv_stats", "pct", "used_inputs"]
