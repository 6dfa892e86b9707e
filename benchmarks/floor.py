"""The draws-only floor: replay exactly the random draws the model makes, nothing else."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulator.engine.kernel import block_seed

BLOCK = 65536


@njit(cache=True, parallel=True)
def replay_draws(kind, n, p, seed):
    """kind 0: Binomial(n, p); kind 1: Poisson(p). Same per-block seeding as the model."""
    m = kind.shape[0]
    n_blocks = (m + BLOCK - 1) // BLOCK
    acc = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        np.random.seed(block_seed(seed, b))  # noqa: NPY002 - numba's per-thread state
        s = 0
        for j in range(b * BLOCK, min(m, (b + 1) * BLOCK)):
            if kind[j] == 0:
                s += np.random.binomial(n[j], p[j])  # noqa: NPY002
            else:
                s += np.random.poisson(p[j])  # noqa: NPY002
        acc[b] = s
    return acc.sum()


def flatten(record: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference's recorded draws as (kind, n, p) arrays."""
    kinds, ns, ps = [], [], []
    for item in record:
        if item[0] == "binom":
            kinds.append(np.zeros(item[1].size, dtype=np.int8))
            ns.append(item[1].astype(np.int64))
            ps.append(item[2])
        else:
            kinds.append(np.ones(item[1].size, dtype=np.int8))
            ns.append(np.zeros(item[1].size, dtype=np.int64))
            ps.append(item[1])
    return np.concatenate(kinds), np.concatenate(ns), np.concatenate(ps)
