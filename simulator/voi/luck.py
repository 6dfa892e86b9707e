"""How much of the NPV spread is month-to-month luck rather than uncertain inputs.

luck share = E[Var(NPV | inputs)] / Var(NPV). The same sampled inputs are re-run with
independent kernel seeds (new monthly draws, same x); the within-path sample variance
across the runs estimates Var(NPV | x) without bias, its mean the numerator, and the
variance over all runs the denominator. The standard error is a bootstrap over paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..results import SimulationResult
from ..simulation import simulate_inputs
from .studies import derived_seed


@dataclass(frozen=True)
class LuckShare:
    value: float
    se: float
    expected_luck_variance: float  #: E[Var(NPV | inputs)]
    total_variance: float  #: Var(NPV)


def luck_share(base: SimulationResult, reruns: int = 2, n_boot: int = 200) -> LuckShare:
    """Luck share of the NPV variance of ``base``'s scenario, from ``reruns`` extra runs of
    ``base``'s inputs with independent kernel seeds."""
    runs = [base.metric("npv")]
    for r in range(max(1, reruns)):
        res = simulate_inputs(base.scenario, base.inputs, base.input_names,
                              derived_seed(base.seed, 0x1C4, r), base.horizon, bands=False,
                              pilot_lens=False)
        runs.append(res.metric("npv"))
    y = np.column_stack(runs)  # (paths, runs)
    within = y.var(axis=1, ddof=1)

    def share(idx: np.ndarray | slice) -> tuple[float, float, float]:
        num = float(within[idx].mean())
        den = float(y[idx].var(ddof=1))
        return (num / den if den > 0 else float("nan")), num, den

    value, num, den = share(slice(None))
    n = y.shape[0]
    rng = np.random.default_rng(derived_seed(base.seed, 0x1C5))
    reps = [share(rng.integers(0, n, n))[0] for _ in range(n_boot)] if n > 1 else []
    se = float(np.nanstd(reps, ddof=1)) if len(reps) > 1 else float("nan")
    return LuckShare(value, se, num, den)
