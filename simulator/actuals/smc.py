"""The update's engine: tempered sequential Monte Carlo over inputs and the path's luck.

Target (docs/actuals.md, "The update engine"): a particle is (z, k): the inputs on their
latent standard-normal scale z ~ N(0, R) (a Gaussian copula: R is the normal-score
correlation of the declared rank correlations, x_j = F_j^-1(Phi(z_j))) and the luck key
k, the path coordinate of its draws. The tempered targets are

    pi_phi(z, k) ∝ N(z; 0, R) p(k) L(y | x(z), k)^phi,   0 = phi_0 < ... < phi_T = 1.

Each step picks phi_{t+1} by bisection so the incremental weights exp((phi_{t+1} - phi_t)
log L) keep an effective sample size of half the particles, resamples (systematic) and
moves every particle with two Metropolis kernels that both leave pi_phi invariant: a
random walk on z keeping the key (acceptance N(z'; 0, R) L(z', k)^phi / N(z; 0, R)
L(z, k)^phi), then a fresh key k' ~ p(k) keeping z (acceptance (L(z, k') / L(z, k))^phi):
the luck is moved too, and a particle keeps its key, so re-running it (full horizon, a
lever on) reuses its draws (:mod:`.keyed`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import linalg, stats

from ..distributions import Dist
from ..engine.incidents import incident_rates
from ..engine.layout import TR_ACTIVE, prepare
from ..results import SimulationResult
from ..scenario import Scenario
from ..simulation import seeds
from ..telemetry import usage_draws
from .keyed import run_keyed
from .likelihood import ObservationModel, PathData, path_log_likelihood
from .reader import Actuals, ActualsError
from .weighted import ess, normalise_log_weights, systematic_resample

#: Usage-intensity draws the weekly/daily likelihood averages over in the update.
USAGE_MIXTURE = 64

#: Each tempering step keeps this share of the particles as its effective sample size.
TARGET_ESS_SHARE = 0.5
#: A run that needs more tempering steps than this cannot explain the actuals.
MAX_STEPS = 80
#: Moves per step stop once each particle has been accepted this many times on average
#: (more at the last step, whose particles are the posterior sample)...
MOVES_ACCEPTED = 1.0
FINAL_MOVES_ACCEPTED = 3.0
#: ...or after this many moves.
MAX_MOVES = 8
#: Prior weight of the wide component of a robust margin (inputs behind a conflict).
ROBUST_EPS = 0.02
#: A robust margin reaches this many times the scenario's range around its median.
WIDEN = 10.0
#: Latent grid on which each input's quantile function is tabulated (|z| <= Z_MAX).
Z_MAX = 7.5
GRID = 4001


def wide_range(d: Dist) -> tuple[float, float]:
    """The range a robust margin may reach: [0, 1] for a share (physical bounds [0, 1]),
    else the scenario's range stretched ten-fold around its median, inside the physical
    bounds."""
    lo, hi = d.support()
    if d.lo == 0.0 and d.hi == 1.0:
        return 0.0, 1.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = d.quantile(0.001), d.quantile(0.999)
    med = d.quantile(0.5)
    return max(d.lo, med - WIDEN * (med - lo)), min(d.hi, med + WIDEN * (hi - med))


def robust_ppf(d: Dist, u: np.ndarray, eps: float) -> np.ndarray:
    """Quantile function of (1 - eps) F + eps U[wide_range(d)] at ``u`` (tabulated)."""
    a, b = wide_range(d)
    xs = np.unique(np.concatenate([np.linspace(a, b, 20_001), d.ppf(u)]))
    cdf = (1 - eps) * np.clip(d.frozen().cdf(xs), 0.0, 1.0) + eps * (xs - a) / (b - a)
    cdf = np.maximum.accumulate(cdf)
    return np.interp(u, cdf, xs)


def normal_score(dist, x: np.ndarray) -> np.ndarray:
    """z = Phi^-1(F(x)) of one input's values (clipped inside (0, 1))."""
    u = np.clip(dist.frozen().cdf(x), 1e-12, 1 - 1e-12)
    return stats.norm.ppf(u)


@dataclass
class LatentPrior:
    """The inputs' prior as a Gaussian copula on latent standard normals.

    ``free`` are the uncertain inputs (columns of the input matrix); ``chol`` the Cholesky
    factor of their normal-score correlation R (2 sin(pi rho_s / 6) for each declared
    Spearman rho_s, the identity elsewhere); each input's quantile function is tabulated
    on a latent grid and interpolated (exact to the grid's spacing, 0.004 in z).
    """

    names: list[str]
    free: np.ndarray
    fixed: np.ndarray
    chol: np.ndarray
    grid: np.ndarray
    table: np.ndarray  # (len(free), GRID)

    widened: tuple[str, ...] = ()

    @classmethod
    def of(cls, sc: Scenario, widen: Iterable[str] = (), eps: float = ROBUST_EPS,
           ) -> LatentPrior:
        """The scenario's prior; inputs in ``widen`` get the robust margin
        (1 - eps) F + eps U[wide range] (:func:`wide_range`)."""
        dists = sc.inputs()
        names = list(dists)
        free = np.array([j for j, n in enumerate(names) if not dists[n].is_fixed], dtype=int)
        fixed = np.array([dists[n].ppf(np.array([0.5]))[0] for n in names])
        corr = np.eye(len(free))
        if sc.correlations:
            spear = sc.correlation_matrix()[np.ix_(free, free)]
            corr = 2.0 * np.sin(np.pi * spear / 6.0)
            np.fill_diagonal(corr, 1.0)
        grid = np.linspace(-Z_MAX, Z_MAX, GRID)
        u = stats.norm.cdf(grid)
        widen = set(widen)
        rows, wide = [], []
        for j in free:
            d = dists[names[j]]
            if names[j] in widen:
                rows.append(robust_ppf(d, u, eps))
                wide.append(names[j])
            else:
                rows.append(d.ppf(u))
        table = np.array(rows).reshape(len(free), GRID)
        return cls(names, free, fixed, np.linalg.cholesky(corr), grid, table, tuple(wide))

    @property
    def dim(self) -> int:
        return int(self.free.size)

    def inputs(self, z: np.ndarray) -> np.ndarray:
        """(N, len(names)) input matrix of latent points z (N, dim)."""
        x = np.tile(self.fixed, (z.shape[0], 1))
        for k, j in enumerate(self.free):
            x[:, j] = np.interp(z[:, k], self.grid, self.table[k])
        return x

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """log N(z; 0, R) up to its constant."""
        if self.independent:
            return -0.5 * np.einsum("ij,ij->i", z, z)
        e = np.einsum("jk,nk->nj", self.chol_inv, z)
        return -0.5 * np.einsum("ij,ij->i", e, e)

    @cached_property
    def chol_inv(self) -> np.ndarray:
        return linalg.solve_triangular(self.chol, np.eye(self.dim), lower=True)

    @property
    def independent(self) -> bool:
        return bool(np.array_equal(self.chol, np.eye(self.dim)))

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n latent points from the prior: stratified standard normals, correlated by R."""
        u = (rng.permuted(np.tile(np.arange(n), (self.dim, 1)), axis=1).T
             + rng.random((n, self.dim))) / n
        return np.einsum("nk,jk->nj", stats.norm.ppf(u), self.chol)


_PRIORS: dict[tuple[int, tuple[str, ...]], tuple[weakref.ref, LatentPrior]] = {}


def latent_prior(sc: Scenario, widen: tuple[str, ...] = ()) -> LatentPrior:
    """:meth:`LatentPrior.of`, tabulated once per scenario object while it lives."""
    key = (id(sc), widen)
    hit = _PRIORS.get(key)
    if hit is not None and hit[0]() is sc:
        return hit[1]
    for k in [k for k, v in _PRIORS.items() if v[0]() is None]:
        del _PRIORS[k]
    prior = LatentPrior.of(sc, widen)
    _PRIORS[key] = (weakref.ref(sc), prior)
    return prior


@dataclass
class Particles:
    """Latent inputs z, luck keys, inputs x and the per-column log-likelihood."""

    z: np.ndarray
    keys: np.ndarray
    x: np.ndarray
    by: dict[str, np.ndarray]

    @property
    def ll(self) -> np.ndarray:
        total = np.zeros(self.z.shape[0])
        for v in self.by.values():
            total += v
        return total

    def take(self, idx: np.ndarray) -> Particles:
        return Particles(self.z[idx], self.keys[idx], self.x[idx],
                         {k: v[idx] for k, v in self.by.items()})

    def where(self, ok: np.ndarray, other: Particles) -> Particles:
        """Rows of ``other`` where ``ok``, else this one's."""
        return Particles(np.where(ok[:, None], other.z, self.z),
                         np.where(ok, other.keys, self.keys),
                         np.where(ok[:, None], other.x, self.x),
                         {k: np.where(ok, other.by[k], v) for k, v in self.by.items()})


@dataclass
class SMCResult:
    """The posterior particles (equally weighted), their full-horizon run and the record."""

    sample: SimulationResult
    keys: np.ndarray
    weights: np.ndarray
    ess: float
    kernel_seed: int
    steps: list[dict] = field(default_factory=list)


class Evaluator:
    """log p(actuals | x, key) of particles: the kernel run to the last actual month."""

    def __init__(self, sc: Scenario, actuals: Actuals, obs: ObservationModel,
                 names: list[str], kseed: int):
        self.sc, self.actuals, self.obs, self.names, self.kseed = sc, actuals, obs, names, kseed
        self.h = max(1, actuals.last_month)
        self.runs = 0
        # Usage intensity is not a particle input: weekly/daily counts average over draws.
        self.usage = usage_draws(sc.usage_inputs(), USAGE_MIXTURE, kseed)

    def __call__(self, x: np.ndarray, keys: np.ndarray) -> dict[str, np.ndarray]:
        m = prepare(self.sc, x, self.names, self.h)
        _, traj, gate_out = run_keyed(m, self.kseed, keys, store=True)
        self.runs += 1
        rates = incident_rates(m, traj[TR_ACTIVE], gate_out)
        fix = x[:, self.names.index("integration.fix_cost_per_incident")]
        d = PathData(traj, m.registered, rates, fix,
                     {n: x[:, j] for j, n in enumerate(self.names)}, self.usage)
        return path_log_likelihood(d, self.actuals, self.obs)


def next_temperature(ll: np.ndarray, phi: float, target: float) -> float:
    """The largest phi' <= 1 whose incremental weights exp((phi' - phi) ll) keep ESS >=
    target (bisection on the increment)."""
    def ess_at(d: float) -> float:
        return ess(normalise_log_weights(d * ll))

    if ess_at(1.0 - phi) >= target:
        return 1.0
    lo, hi = 0.0, 1.0 - phi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ess_at(mid) >= target:
            lo = mid
        else:
            hi = mid
    return phi + max(lo, 1e-12)


def proposal_factor(z: np.ndarray) -> np.ndarray:
    """Cholesky factor C of the particles' covariance (plus a small ridge).

    Sums by einsum, not BLAS: BLAS threads stall on a busy machine (see .weighted)."""
    n, k = z.shape
    zc = z - z.mean(axis=0)
    cov = np.einsum("ni,nj->ij", zc, zc) / max(n - 1, 1) + 1e-6 * np.eye(k)
    return np.linalg.cholesky(cov)


def move_inputs(p: Particles, phi: float, prior: LatentPrior, evaluate: Evaluator,
                scale: float, chol: np.ndarray, rng: np.random.Generator,
                ) -> tuple[Particles, np.ndarray]:
    """Random-walk Metropolis on z, each particle keeping its luck key: the particles after
    it and which moved. Proposal z' = z + scale C eps (C from :func:`proposal_factor`)."""
    n, k = p.z.shape
    z_new = p.z + scale * np.einsum("nk,jk->nj", rng.standard_normal((n, k)), chol)
    x_new = prior.inputs(z_new)
    prop = Particles(z_new, p.keys, x_new, evaluate(x_new, p.keys))
    log_a = prior.log_density(z_new) - prior.log_density(p.z) + phi * (prop.ll - p.ll)
    ok = np.log(rng.random(n)) < log_a
    return p.where(ok, prop), ok


def move_luck(p: Particles, phi: float, evaluate: Evaluator, next_key: int,
              rng: np.random.Generator) -> tuple[Particles, np.ndarray]:
    """Independent Metropolis on the luck: a fresh key k' from p(k) for every particle,
    accepted with probability min(1, (L(z, k') / L(z, k))^phi)."""
    n = p.z.shape[0]
    keys = next_key + np.arange(n, dtype=np.int64)
    prop = Particles(p.z, keys, p.x, evaluate(p.x, keys))
    ok = np.log(rng.random(n)) < phi * (prop.ll - p.ll)
    return p.where(ok, prop), ok


def projected_steps(steps: list[dict], window: int = 5) -> float:
    """Tempering steps the run will need, extrapolating the growth of phi over the last
    ``window`` steps (phi grows about geometrically while far from 1); 0 until 10 steps."""
    if len(steps) < 10:
        return 0.0
    phi, before = steps[-1]["phi"], steps[-1 - window]["phi"]
    if phi >= 1.0:
        return float(len(steps))
    rate = (phi / before) ** (1.0 / window) if before > 0 else math.inf
    if rate <= 1.0 + 1e-9:
        return math.inf
    return len(steps) + math.log(1.0 / phi) / math.log(rate)


def duplicate_ess(ids: np.ndarray) -> float:
    """N^2 / sum_j c_j^2 with c_j the copies of each distinct particle (equal weights)."""
    _, counts = np.unique(ids, return_counts=True)
    return float(ids.size) ** 2 / float(np.sum(counts.astype(np.float64) ** 2))


def run_smc(sc: Scenario, actuals: Actuals, obs: ObservationModel, paths: int, seed: int,
            horizon: int, explain: Callable[[], str] | None = None,
            widen: Iterable[str] = ()) -> SMCResult:
    """Tempered SMC from the prior to the posterior given ``actuals`` (see module doc).

    ``widen``: inputs given a robust margin (those behind a prior-data conflict).
    ``explain`` names the figure the actuals cannot be explained by (for the error raised
    when MAX_STEPS tempering steps do not reach the posterior).
    """
    prior = latent_prior(sc, tuple(sorted(widen)))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EC]))
    _, kseed = seeds(seed)
    evaluate = Evaluator(sc, actuals, obs, prior.names, kseed)
    n = int(paths)
    z = prior.draw(n, rng)
    x = prior.inputs(z)
    keys = np.arange(n, dtype=np.int64)
    p = Particles(z, keys, x, evaluate(x, keys))
    next_key = n
    ids = np.arange(n)  # a particle's identity: new on every accepted move
    next_id = n
    phi, scale = 0.0, 2.38 / math.sqrt(max(prior.dim, 1))
    steps: list[dict] = []
    while phi < 1.0:
        if len(steps) >= MAX_STEPS or projected_steps(steps) > MAX_STEPS:
            what = explain() if explain else "the actuals"
            raise ActualsError([f"actuals: the scenario cannot explain {what} (the update "
                                f"would need more than {MAX_STEPS} tempering steps); check the "
                                f"figure or widen the inputs behind it"])
        ll = p.ll
        ll = np.where(np.isfinite(ll), ll, -1e300)
        new_phi = next_temperature(ll, phi, TARGET_ESS_SHARE * n)
        w = normalise_log_weights((new_phi - phi) * ll)
        step = {"phi": new_phi, "ess": ess(w), "moves": 0, "acceptance": []}
        phi = new_phi
        idx = systematic_resample(w, n, rng)
        p, ids = p.take(idx), ids[idx]
        need = FINAL_MOVES_ACCEPTED if phi >= 1.0 else MOVES_ACCEPTED
        done = 0.0
        chol = proposal_factor(p.z)
        while done < need and step["moves"] < MAX_MOVES:
            p, ok = move_inputs(p, phi, prior, evaluate, scale, chol, rng)
            acc = float(ok.mean())
            p, ok_luck = move_luck(p, phi, evaluate, next_key, rng)
            next_key += n
            # Distinct means distinct inputs: a new key alone does not count.
            ids = np.where(ok, next_id + np.arange(n), ids)
            next_id += n
            step["moves"] += 1
            step["acceptance"].append(acc)
            step.setdefault("luck_acceptance", []).append(float(ok_luck.mean()))
            done += acc
            # Towards the random-walk optimum (acceptance about 0.23).
            scale = min(max(scale * math.exp(2.0 * (acc - 0.234)), 0.01), 3.0)
        steps.append(step)
    m = prepare(sc, p.x, prior.names, horizon)
    out, traj, gate_out = run_keyed(m, kseed, p.keys, store=True)
    sample = SimulationResult(scenario=sc, seed=seed, horizon=horizon, inputs=p.x,
                              input_names=list(prior.names), out=out,
                              lens_npv=np.full(n, np.nan), registered=m.registered,
                              trajectories=traj, band_array=None,
                              gate_out=gate_out if sc.gates else None,
                              meta={"kernel_seed": kseed, "engine": "smc"})
    return SMCResult(sample=sample, keys=p.keys, weights=np.full(n, 1.0 / n),
                     ess=duplicate_ess(ids), kernel_seed=kseed, steps=steps)
