"""Synthetic actuals read off one simulated path: for tests, demos and calibration checks.

A path's trajectory is the "truth"; optional observation noise is drawn from the same
:class:`ObservationModel` that conditioning assumes, so a recovery or coverage study is
correctly specified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..engine.layout import TR_ACC, TR_ACTIVE, TR_COST, TR_INC
from ..results import SimulationResult
from ..scenario import Scenario
from .condition import ObservationModel
from .reader import OBSERVED, Actuals, parse_actuals


def synthetic_actuals(res: SimulationResult, path: int = 0,
                      months: Iterable[int] = range(1, 7),
                      columns: Sequence[str] = OBSERVED, obs: ObservationModel | None = None,
                      rng: np.random.Generator | None = None) -> Actuals:
    """Actuals for ``months`` from path ``path`` of ``res``; noisy when ``rng`` is given.

    Noise: active users beta-binomial around the path's count, accuracy normal with the
    spot-check sd, cost normal with the relative sd; registered and incidents are exact
    (incidents are already a Poisson draw at the path's rate).
    """
    obs = obs or ObservationModel()
    traj = res.trajectories
    if traj is None:
        raise ValueError("synthetic actuals need trajectories: simulate(..., bands=True)")
    months = np.asarray(list(months), dtype=np.int64)
    reg = res.registered[months].astype(np.int64)
    act = traj[TR_ACTIVE, months, path].astype(np.float64)
    acc = traj[TR_ACC, months, path].astype(np.float64)
    cost = traj[TR_COST, months, path].astype(np.float64)
    inc = traj[TR_INC, months, path].astype(np.float64)
    if rng is not None:
        rho = obs.active_overdispersion
        mu = np.clip(act / np.maximum(reg, 1), 1e-9, 1 - 1e-9)
        p = rng.beta(mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho)
        act = rng.binomial(reg, p).astype(np.float64)
        acc = np.clip(rng.normal(acc, obs.accuracy_sd(acc)), 0.0, 1.0)
        cost = np.maximum(rng.normal(cost, obs.cost_relative_sd * cost), 0.0)
    data = {"month": months, "registered": reg, "active_users": act, "accuracy": acc,
            "incidents": inc, "cost": cost}
    return parse_actuals(pd.DataFrame({c: data[c] for c in ("month", *columns)}), res.horizon)


def truth_at_medians(sc: Scenario, changes: dict[str, float] | None = None) -> Scenario:
    """The scenario with every uncertain input fixed at its prior median, then ``changes``:
    a "nothing is wrong" truth, or one failure injected, for recovery and calibration."""
    vals: dict[str, float] = {p: d.quantile(0.5) for p, d in sc.inputs().items()
                              if not d.is_fixed}
    vals.update(changes or {})
    return sc.with_values(vals)
