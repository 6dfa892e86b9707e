"""Rejuvenation when importance weights collapse: adaptive importance sampling.

When the prior's paths are too far from the actuals (few paths carry all the weight),
more prior paths help only linearly. Instead the weighted paths are *resampled and moved*:
a Gaussian is fitted to the weighted paths in the inputs' normal-score space, new inputs
are drawn from a defensive mixture of that Gaussian and the prior, simulated afresh, and
weighted by prior / proposal x likelihood (Hesterberg 1995; population Monte Carlo,
Cappe et al. 2004). Formulas in docs/actuals.md.

Normal scores z_j = Phi^-1(F_j(x_j)) of independent inputs are independent standard
normals under the prior, so the prior density there is the standard normal; scenarios
with declared rank correlations have no such closed form and are not rejuvenated.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..analysis.variants import used_inputs
from ..distributions import Dist
from ..engine.layout import prepare
from ..results import SimulationResult
from ..scenario import Scenario
from ..simulation import run_kernel

#: Share of each proposal drawn from the prior (bounds the weight ratio by 1/DEFENSIVE).
DEFENSIVE = 0.1
#: Variance inflation of the fitted Gaussian (proposals should be wider than the target).
INFLATE = 2.0
#: Variance added to every fitted direction (keeps a near-degenerate fit usable).
RIDGE = 0.05
_EPS = 1e-9


def _z(dist: Dist, x: np.ndarray) -> np.ndarray:
    u = np.clip(dist.frozen().cdf(x), _EPS, 1 - _EPS)
    return stats.norm.ppf(u)


def informed_inputs(res: SimulationResult, w: np.ndarray, sc: Scenario,
                    ) -> tuple[list[int], np.ndarray]:
    """Used, uncertain columns the weights moved (|mean z| > 0.2 or var z < 0.75) and
    their normal scores (N, k)."""
    dists = sc.inputs()
    used = used_inputs(sc)
    cols, zs = [], []
    for j, name in enumerate(res.input_names):
        d = dists[name]
        if d.is_fixed or name not in used:
            continue
        z = _z(d, res.inputs[:, j])
        m = float(np.dot(w, z))
        v = float(np.dot(w, (z - m) ** 2))
        if abs(m) > 0.2 or v < 0.75:
            cols.append(j)
            zs.append(z)
    return cols, (np.column_stack(zs) if zs else np.empty((res.n_paths, 0)))


def _log_mvn(z: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    sol = np.linalg.solve(chol, (z - mean).T)
    k = z.shape[1]
    return (-0.5 * np.sum(sol * sol, axis=0) - np.log(np.diag(chol)).sum()
            - 0.5 * k * math.log(2 * math.pi))


def rejuvenate(sc: Scenario, res: SimulationResult, w: np.ndarray, n: int,
               kernel_seed: int, rng: np.random.Generator,
               ) -> tuple[SimulationResult, np.ndarray] | None:
    """One adaptive round: new paths from the fitted proposal and their log prior/proposal
    ratio (add the log-likelihood to get log weights). None when nothing was informed."""
    cols, z = informed_inputs(res, w, sc)
    if not cols:
        return None
    k = len(cols)
    mean = w @ z
    cov = np.atleast_2d(np.cov(z, rowvar=False, aweights=w, bias=True))
    cov = INFLATE * (cov + RIDGE * np.eye(k))
    chol = np.linalg.cholesky(cov)
    dists = sc.inputs()
    names = res.input_names
    # Uninformed inputs: fresh prior draws (stratified); informed: the mixture.
    u = (rng.permuted(np.tile(np.arange(n), (len(names), 1)), axis=1).T
         + rng.random((n, len(names)))) / n
    from_prior = rng.random(n) < DEFENSIVE
    z_new = mean + rng.standard_normal((n, k)) @ chol.T
    z_prior = stats.norm.ppf(u[:, cols])
    z_new[from_prior] = z_prior[from_prior]
    u[:, cols] = stats.norm.cdf(z_new)
    x = np.empty((n, len(names)))
    for j, name in enumerate(names):
        x[:, j] = dists[name].ppf(np.clip(u[:, j], _EPS, 1 - _EPS))
    log_prior = stats.norm.logpdf(z_new).sum(axis=1)
    log_q = np.logaddexp(math.log(DEFENSIVE) + log_prior,
                         math.log(1 - DEFENSIVE) + _log_mvn(z_new, mean, chol))
    m = prepare(sc, x, names, res.horizon)
    out, traj = run_kernel(m, kernel_seed, store=True)
    sample = SimulationResult(scenario=sc, seed=res.seed, horizon=res.horizon, inputs=x,
                              input_names=list(names), out=out,
                              lens_npv=np.full(n, np.nan), registered=m.registered,
                              trajectories=traj, band_array=None,
                              meta={"kernel_seed": kernel_seed, "proposal": "adaptive"})
    return sample, log_prior - log_q
