"""Run the model's paths with each row's own luck key (path coordinate of its draws).

A particle of the update carries the inputs it was proposed with and the path coordinate
``key`` whose draws (adoption, churn, incidents; addressed by (seed, path, month, event))
gave its trajectory. Re-running it (at the full horizon, with a lever on) must reuse those
draws, and keys are not contiguous after resampling: the kernel's ``keys`` argument gives
row ``i`` the path coordinate ``keys[i]`` (tests/test_actuals_smc.py checks that a
permutation of keys permutes the paths exactly).
"""

from __future__ import annotations

import numpy as np

from ..engine.kernel import simulate_kernel
from ..engine.layout import ModelArrays
from ..engine.philox import split_key


def run_keyed(m: ModelArrays, kseed: int, keys: np.ndarray, store: bool = True,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(out, traj, gate_out) of the rows of ``m`` drawing as paths ``keys`` (int64, (N,))."""
    k0, k1 = split_key(kseed)
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    if keys.shape != (m.x.shape[0],):
        raise ValueError(f"run_keyed: {keys.shape[0]} keys for {m.x.shape[0]} rows")
    out, traj, _, gate_out = simulate_kernel(
        m.x, m.core_cols, m.tier_cols, m.cohort_size, m.cohort_start, m.cohort_tier, m.flags,
        m.gates, m.horizon, m.monthly_rate, k0, k1, 0, keys, store, False)
    return out, traj, gate_out
