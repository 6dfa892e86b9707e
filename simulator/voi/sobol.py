"""Sobol first- and total-order indices of NPV and of the indicator NPV > 0, with SALib.

SALib's Saltelli/Sobol' sampler gives a design in the unit hypercube; each column is
pushed through its input's quantile function (:meth:`Dist.ppf`), so the inputs have
their declared margins but are **independent**: with declared correlations Sobol
indices are not well defined (an input's share cannot be separated from its partner's),
so they are computed as if the inputs were independent and a note says so.

The kernel adds month-to-month luck on top of the inputs. Rows A and A_B^i of the
design share their kernel seed (and B gets another), so luck is held fixed between a
row and its copy with input i resampled: S1_i = Var(E[NPV | x_i]) / Var(NPV) as usual,
and ST_i is input i's total effect with luck held fixed (its interactions with luck
included). An input with no effect gives ST = 0 exactly. The share of the variance that
is luck is reported separately (:func:`luck_share`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from ..scenario import Scenario
from ..simulation import simulate_inputs
from .studies import derived_seed

#: Outputs the indices are computed for.
METRICS = ("npv", "npv_positive")


def sobol_indices(sc: Scenario, inputs: Sequence[str], *, n_base: int = 1024, seed: int = 7,
                  horizon: int | None = None, conf_level: float = 0.95,
                  num_resamples: int = 100) -> pd.DataFrame:
    """First- and total-order Sobol indices (with SALib's bootstrap confidence half-widths)
    of NPV and of 1{NPV > 0} for ``inputs`` of ``sc``; other inputs at their medians.

    Costs ``n_base * (len(inputs) + 2)`` paths. ``n_base`` is rounded up to a power of 2
    (Sobol' sequences need it). Columns: input, metric, S1, S1_conf, ST, ST_conf.
    """
    dists = sc.inputs()
    names = list(dists)
    inputs = list(inputs)
    cols = ["input", "metric", "S1", "S1_conf", "ST", "ST_conf"]
    if not inputs:
        return pd.DataFrame(columns=cols)
    n_base = 1 << max(1, int(np.ceil(np.log2(max(2, n_base)))))
    h = sc.horizon if horizon is None else horizon
    k = len(inputs)
    problem = {"num_vars": k, "names": inputs, "bounds": [[0.0, 1.0]] * k}
    u = sobol_sample.sample(problem, n_base, calc_second_order=False, scramble=True,
                            seed=derived_seed(seed, 0x50B0) % 2**32)
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    step = k + 2  # rows per base point: A, A_B^1 .. A_B^k, B
    x = np.empty((u.shape[0], len(names)))
    for j, p in enumerate(names):
        x[:, j] = dists[p].quantile(0.5)
    for i, p in enumerate(inputs):
        x[:, names.index(p)] = dists[p].ppf(u[:, i])
    npv = np.empty(u.shape[0])
    seed_a, seed_b = derived_seed(seed, 0x50B1), derived_seed(seed, 0x50B2)
    for r in range(step):
        rows = slice(r, None, step)
        res = simulate_inputs(sc, np.ascontiguousarray(x[rows]), names,
                              seed_b if r == step - 1 else seed_a, h, bands=False,
                              pilot_lens=False)
        npv[rows] = res.metric("npv")
    out = []
    for metric, y in (("npv", npv), ("npv_positive", (npv > 0).astype(np.float64))):
        if not np.var(y) > 0:
            s = {key: np.full(k, np.nan) for key in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            s = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                      num_resamples=num_resamples, conf_level=conf_level,
                                      seed=derived_seed(seed, 0x50B3) % 2**32)
        for i, p in enumerate(inputs):
            out.append({"input": p, "metric": metric, "S1": float(s["S1"][i]),
                        "S1_conf": float(s["S1_conf"][i]), "ST": float(s["ST"][i]),
                        "ST_conf": float(s["ST_conf"][i])})
    return pd.DataFrame(out, columns=cols)
