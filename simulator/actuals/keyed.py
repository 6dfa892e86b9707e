"""Run the model's paths with each row's own luck key (path coordinate of its draws).

A particle of the update carries the inputs it was proposed with and the path coordinate
``key`` whose draws (adoption, churn, incidents; addressed by (seed, path, month, event))
gave its trajectory. Re-running it (at the full horizon, with a lever on) must reuse those
draws, and keys are not contiguous after resampling, so the kernel's ``first_path + i``
rule does not fit: this driver is ``engine.kernel.simulate_kernel``'s loop with path
``keys[i]`` for row ``i`` (tests/test_actuals_smc.py checks both agree exactly).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..engine.kernel import BLOCK, N_OUT, N_TRAJ, run_path
from ..engine.layout import ModelArrays
from ..engine.philox import split_key


@njit(cache=True, parallel=True, nogil=True)
def _keyed_kernel(inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier,
                  flags, gates, horizon, monthly_rate, k0, k1, keys, store):
    n = inputs.shape[0]
    n_coh = cohort_size.shape[0]
    n_core = core_cols.shape[0]
    n_tiers = tier_cols.shape[0]
    n_gates = gates.shape[0]
    out = np.zeros((n, N_OUT))
    if store:
        traj = np.zeros((N_TRAJ, horizon + 1, n), dtype=np.float32)
    else:
        traj = np.zeros((N_TRAJ, 1, 1), dtype=np.float32)
    cohort_traj = np.zeros((1, 1, 1), dtype=np.float32)
    gate_out = np.zeros((n, n_gates + 2 if n_gates > 0 else 0))
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        never = np.zeros(n_coh, dtype=np.int64)
        active = np.zeros(n_coh, dtype=np.int64)
        lapsed = np.zeros(n_coh, dtype=np.int64)
        potential = np.zeros(n_coh, dtype=np.int64)
        start = np.zeros(n_coh, dtype=np.int64)
        tier_of = np.zeros(n_coh, dtype=np.int64)
        net = np.zeros(horizon + 1)
        x = np.empty(n_core)
        tier = np.empty((n_tiers, 4))
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            for j in range(n_core):
                x[j] = inputs[i, core_cols[j]]
            for k in range(n_tiers):
                for f in range(4):
                    tier[k, f] = inputs[i, tier_cols[k, f]]
            run_path(i, keys[i], x, tier, cohort_size, cohort_start, cohort_tier,
                     flags, gates, horizon, monthly_rate, k0, k1, out, traj, store,
                     cohort_traj, False, gate_out, never, active, lapsed, potential,
                     start, tier_of, net)
    return out, traj, gate_out


def run_keyed(m: ModelArrays, kseed: int, keys: np.ndarray, store: bool = True,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(out, traj, gate_out) of the rows of ``m`` drawing as paths ``keys`` (int64, (N,))."""
    k0, k1 = split_key(kseed)
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    return _keyed_kernel(m.x, m.core_cols, m.tier_cols, m.cohort_size, m.cohort_start,
                         m.cohort_tier, m.flags, m.gates, m.horizon, m.monthly_rate, k0, k1,
                         keys, store)
