"""Usage-frequency surveys: how the model's active users map onto "daily / weekly / less".

Public evaluations report the shares of respondents who use a tool daily, weekly or less
often, not an active count. The observation model (docs/model.md, "Usage frequency"):
respondents are a sample of ``n`` registered users; each is one of the path's active
users with probability r (the active rate, beta-binomial over-dispersed as for active
counts); an active user is a daily, weekly or less-than-weekly user with the frequency
mix pi ~ Dirichlet(kappa m); inactive users all answer "less". The likelihood sums over
the unknown number k of active respondents and integrates pi out (Dirichlet-multinomial).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

#: Largest number of k values summed exactly; above it the sum is a Riemann sum on a grid.
MAX_K_POINTS = 1500
#: Paths per block (bounds memory at paths x k values).
BLOCK = 4096


def _log_dirmult(counts: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """log Dirichlet-multinomial pmf of count rows ``counts`` (K, 3) with parameters alpha."""
    k = counts.sum(axis=1)
    a0 = alpha.sum()
    return (special.gammaln(k + 1) - special.gammaln(counts + 1).sum(axis=1)
            + special.gammaln(a0) - special.gammaln(k + a0)
            + (special.gammaln(counts + alpha) - special.gammaln(alpha)).sum(axis=1))


def usage_log_likelihood(rate: np.ndarray, daily: int, weekly: int | None, n: int,
                         mix: tuple[float, float, float], concentration: float,
                         rho: float) -> np.ndarray:
    """log p(daily, weekly, n - daily - weekly | path) for each path's active rate ``rate``.

    p = sum_k BetaBinomial(k; n, r, rho) DirMult((daily, weekly, k - daily - weekly);
    kappa m), k = daily + weekly .. n. With ``weekly`` None (only a daily share
    published) the weekly and less-often actives are merged: DirMult((daily, k - daily);
    kappa (m_daily, m_weekly + m_less)).
    """
    rate = np.asarray(rate, dtype=np.float64)
    alpha = concentration * np.asarray(mix, dtype=np.float64)
    if weekly is None:
        lo = daily
        alpha = np.array([alpha[0], alpha[1] + alpha[2]])
    else:
        lo = daily + weekly
    ks = np.arange(lo, n + 1, dtype=np.float64)
    fixed = [daily] if weekly is None else [daily, weekly]
    counts = np.column_stack([np.full(ks.size, v, dtype=np.float64) for v in fixed]
                             + [ks - lo])
    log_dm = _log_dirmult(counts, alpha)
    keep = log_dm > log_dm.max() - 40.0  # terms below e^-40 of the largest change nothing
    ks, log_dm = ks[keep], log_dm[keep]
    log_step = 0.0
    if ks.size > MAX_K_POINTS:
        step = int(math.ceil(ks.size / MAX_K_POINTS))
        ks, log_dm = ks[::step], log_dm[::step]
        log_step = math.log(step)
    eps = 0.5 / max(n, 1)
    mu = np.clip(rate, eps, 1 - eps)
    a = mu * (1.0 - rho) / rho
    b = (1.0 - mu) * (1.0 - rho) / rho
    log_comb = special.gammaln(n + 1) - special.gammaln(ks + 1) - special.gammaln(n - ks + 1)
    out = np.empty(rate.size)
    for s in range(0, rate.size, BLOCK):
        aa, bb = a[s:s + BLOCK, None], b[s:s + BLOCK, None]
        terms = (log_comb + log_dm)[None, :] + special.betaln(ks + aa, n - ks + bb) \
            - special.betaln(aa, bb)
        out[s:s + BLOCK] = special.logsumexp(terms, axis=1) + log_step
    return out


def draw_usage(rate: np.ndarray, n: int, mix: tuple[float, float, float],
               concentration: float, rho: float, rng: np.random.Generator,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Survey shares (daily, weekly) drawn from the observation model, one per path."""
    rate = np.clip(np.asarray(rate, dtype=np.float64), 1e-9, 1 - 1e-9)
    p = rng.beta(rate * (1 - rho) / rho, (1 - rate) * (1 - rho) / rho)
    k = rng.binomial(n, p)
    pi = rng.dirichlet(concentration * np.asarray(mix, dtype=np.float64), size=rate.size)
    d = rng.binomial(k, pi[:, 0])
    w = rng.binomial(k - d, np.clip(pi[:, 1] / np.maximum(1 - pi[:, 0], 1e-12), 0, 1))
    return d / n, w / n
