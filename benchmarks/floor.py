"""The draws-only floor: replay exactly the random draws the model makes, nothing else.

Each recorded draw (its n and p, or lambda) is replayed with the kernel's own generator:
one addressed Philox uniform and inversion, so the floor is what the model's random
numbers cost by themselves.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulator.engine.inversion import binom_inv, poisson_inv
from simulator.engine.philox import uniform_at

BLOCK = 65536


@njit(cache=True, parallel=True)
def replay_draws(kind, n, p, seed):
    """kind 0: Binomial(n, p); kind 1: Poisson(p); draw j uses the uniform addressed by j."""
    m = kind.shape[0]
    k0 = np.uint64(seed & 0xFFFFFFFF)
    k1 = np.uint64(0)
    n_blocks = (m + BLOCK - 1) // BLOCK
    acc = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        s = 0
        for j in range(b * BLOCK, min(m, (b + 1) * BLOCK)):
            u = uniform_at(k0, k1, j, 0, 0, 0)
            if kind[j] == 0:
                s += binom_inv(n[j], p[j], u)
            else:
                s += poisson_inv(p[j], u)
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
