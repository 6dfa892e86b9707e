"""Input distributions, Latin hypercube sampling and rank correlation.

Every uncertain input of a scenario is a :class:`Dist` (or a fixed number). Sampling
happens once per path, outside the compiled core: a Latin hypercube design in [0, 1)^K,
one column per input drawn from a stream addressed by the input's name, is pushed
through each input's quantile function, then
optionally reordered with the Iman-Conover method so that requested Spearman rank
correlations hold while every margin keeps its exact stratification.
"""

from __future__ import annotations

import hashlib
import math
import threading
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats
from scipy.stats.sampling import NumericalInverseHermite

Z90 = stats.norm.ppf(0.9)  # 1.2815515655446004, the P90 z-score


@dataclass(frozen=True)
class Dist:
    """A frozen, validated univariate distribution: kind plus scipy-style parameters."""

    kind: str  # fixed | uniform | triangular | pert | normal | lognormal | beta
    params: tuple[float, ...]
    lo: float = -math.inf  # physical bounds used to clip unbounded families
    hi: float = math.inf

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    def frozen(self):
        """The scipy.stats frozen distribution (None for a fixed value); cached."""
        return _frozen(self)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function, clipped to the input's physical bounds."""
        if self.is_fixed:
            return np.full(np.shape(u), self.params[0], dtype=np.float64)
        shape = _beta_shape(self)
        fast = _fast_inverse(shape[0], shape[1]) if shape is not None else None
        if fast is None:
            x = self.frozen().ppf(u)
        else:
            a, b, loc, width = shape
            u = np.asarray(u, dtype=np.float64)
            y = np.asarray(fast.ppf(u), dtype=np.float64)
            tails = (u < _TAIL) | (u > 1.0 - _TAIL)
            if tails.any():
                y[tails] = special.betaincinv(a, b, u[tails])
            x = loc + width * y
        return np.clip(x, self.lo, self.hi)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def mean(self) -> float:
        if self.is_fixed:
            return float(self.params[0])
        return float(self.frozen().mean())

    def support(self) -> tuple[float, float]:
        """Range the sampled values can take (after clipping)."""
        if self.is_fixed:
            return (self.params[0], self.params[0])
        lo, hi = self.frozen().support()
        return (max(lo, self.lo), min(hi, self.hi))

    def describe(self) -> tuple[float, float, float]:
        """(low, likely, high) as a finance user enters an input.

        min / mode / max for triangular and PERT, min / midpoint / max for uniform, and
        P10 / median / P90 for the unbounded and beta families.
        """
        if self.is_fixed:
            v = self.params[0]
            return (v, v, v)
        if self.kind in ("triangular", "pert"):
            return (self.params[0], self.params[1], self.params[2])
        if self.kind == "uniform":
            return (self.params[0], 0.5 * (self.params[0] + self.params[1]), self.params[1])
        return (self.quantile(0.1), self.quantile(0.5), self.quantile(0.9))


@lru_cache(maxsize=4096)
def _frozen(d: Dist):
    """scipy frozen distributions are costly to build (docstring formatting): once each."""
    k, p = d.kind, d.params
    if k == "fixed":
        return None
    if k == "uniform":
        return stats.uniform(loc=p[0], scale=p[1] - p[0])
    if k == "triangular":
        lo, mode, hi = p
        return stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if k in ("pert", "beta"):
        a, b, loc, width = _beta_shape(d)
        return stats.beta(a, b, loc=loc, scale=width)
    if k == "normal":
        return stats.norm(loc=p[0], scale=p[1])
    if k == "lognormal":
        return stats.lognorm(s=p[1], scale=math.exp(p[0]))
    raise ValueError(f"unknown distribution kind {k!r}")


#: Beyond these quantile levels the exact (slow) ppf is used: few values, hardest shapes.
_TAIL = 1e-4
_CHECK_U = np.concatenate([np.geomspace(_TAIL, 0.5, 40), 1.0 - np.geomspace(_TAIL, 0.5, 40)])


def _beta_shape(d: Dist) -> tuple[float, float, float, float] | None:
    """(a, b, loc, width) of a beta-family input (PERT or beta), else None."""
    k, p = d.kind, d.params
    if k == "pert":
        lo, mode, hi, lam = p
        return (1.0 + lam * (mode - lo) / (hi - lo), 1.0 + lam * (hi - mode) / (hi - lo),
                lo, hi - lo)
    if k == "beta":
        a, b, lo, hi = p
        return (a, b, lo, hi - lo)
    return None


class _StandardBeta:
    """Beta(a, b) on [0, 1] with scalar ``pdf`` and ``cdf`` for UNU.RAN's set-up.

    The set-up calls them a few thousand times one value at a time; scipy.stats' frozen
    distribution spends most of that in argument checking, so this calls the special
    functions directly (half the set-up time, the same interpolant to rounding).
    ``dpdf`` is the density's derivative, which the fifth-order interpolant needs.
    """

    def __init__(self, a: float, b: float):
        self.a, self.b = a, b
        self._log_norm = -special.betaln(a, b)

    def pdf(self, x: float) -> float:
        if x < 0.0 or x > 1.0:
            return 0.0
        log_pdf = self._log_norm
        for e, v in ((self.a - 1.0, x), (self.b - 1.0, 1.0 - x)):
            if e != 0.0:
                if v == 0.0:
                    return 0.0 if e > 0.0 else math.inf
                log_pdf += e * math.log(v)
        return math.exp(log_pdf)

    def dpdf(self, x: float) -> float:
        """Derivative of the density (for the fifth-order interpolant): pdf times the
        derivative of its log; 0 at and beyond the ends, where the set-up never needs it."""
        if x <= 0.0 or x >= 1.0:
            return 0.0
        return self.pdf(x) * ((self.a - 1.0) / x - (self.b - 1.0) / (1.0 - x))

    def cdf(self, x: float) -> float:
        return float(special.betainc(self.a, self.b, min(1.0, max(0.0, x))))

    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)


#: UNU.RAN's bound on |F(Q(u)) - u|, with quintic Hermite interpolation (order 5: value,
#: density and its derivative at each node). 1e-11 keeps every PERT shape within 3e-9 of
#: the support's width (checked over lambda 2-8 and every mode) with about 300 intervals
#: and 1.3 ms of set-up; the cubic interpolant needed 1 400 intervals and 4.5 ms for the
#: same bound, and 1e-10 fails the 1e-8 check at extreme modes.
_U_RESOLUTION = 1e-11
_ORDER = 5


@lru_cache(maxsize=2048)
def _fast_inverse(a: float, b: float):
    """scipy's Hermite interpolation of the Beta(a, b) quantile function on [0, 1], checked.

    scipy's exact beta ``ppf`` costs ~1 us per value (40 PERT inputs x 20 000 paths is a
    second). ``NumericalInverseHermite`` (quintic) is set up once per shape (about 1.3 ms,
    cached: a moved slider pays it once) and then inverts in tens of ns per value; a PERT or beta
    input is ``loc + width * Q(u)``. Its error is verified against the exact inverse
    (``special.betaincinv``) on a grid of quantile levels; None (use the exact ppf) if it
    is not within 1e-8 of the support's width. (scipy's PINV was tried first: its set-up
    never returns for some PERT shapes, e.g. beta(4.08, 1.92).)
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inv = NumericalInverseHermite(_StandardBeta(a, b), order=_ORDER,
                                          u_resolution=_U_RESOLUTION)
            err = np.max(np.abs(inv.ppf(_CHECK_U) - special.betaincinv(a, b, _CHECK_U)))
    except Exception:  # noqa: BLE001 - fall back to the exact (slow) ppf
        return None
    return inv if err <= 1e-8 else None


def fixed(value: float) -> Dist:
    return Dist("fixed", (float(value),))


def lognormal_from_p10_p90(p10: float, p90: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal with the given P10 and P90."""
    mu = 0.5 * (math.log(p10) + math.log(p90))
    sigma = (math.log(p90) - math.log(p10)) / (2.0 * Z90)
    return mu, sigma


def normal_from_p10_p90(p10: float, p90: float) -> tuple[float, float]:
    """(mean, sd) of the normal with the given P10 and P90."""
    return 0.5 * (p10 + p90), (p90 - p10) / (2.0 * Z90)


def iman_conover(x: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder the columns of ``x`` so their rank correlation approaches ``target``.

    Iman & Conover (1982): build van der Waerden scores with the target correlation
    (Cholesky of the target, corrected by the inverse Cholesky of the scores' own
    sample correlation), then give each column of ``x`` the rank order of its score
    column. Each column keeps exactly its values, so LHS stratification survives.
    """
    n, d = x.shape
    if d < 2 or n < 3:
        return x
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(d)])
    e = np.corrcoef(s, rowvar=False)
    p = np.linalg.cholesky(target)
    q = np.linalg.cholesky(e)
    t = s @ np.linalg.inv(q).T @ p.T
    out = np.empty_like(x)
    for j in range(d):
        ranks = np.argsort(np.argsort(t[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(x[:, j], kind="stable")[ranks]
    return out


class _ByteLRU:
    """A thread-safe least-recently-used cache of read-only arrays, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            arr = self._items.get(key)
            if arr is not None:
                self._items.move_to_end(key)
            return arr

    def put(self, key, arr: np.ndarray) -> None:
        if arr.nbytes > self.max_bytes:
            return
        arr.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = arr
            self._bytes += arr.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes


#: Designs and transformed columns of recent runs, for the interactive path: when one
#: input changes between two runs of the same seed and size, only its column is redone.
_DESIGNS = _ByteLRU(96 * 2**20)
_COLUMNS = _ByteLRU(160 * 2**20)
#: Runs whose sample is larger than this are not cached: the cache is for the app's
#: interactive sizes, and a large batch run should not carry a second copy of its inputs.
CACHE_MAX_SAMPLE_BYTES = 32 * 2**20


def key_number(key: str) -> int:
    """A stable 64-bit number for an input's name (the same in every process and run)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


def column_rng(rng: np.random.Generator, key: str) -> np.random.Generator:
    """The generator of one input's design column: a child of ``rng``'s seed addressed by
    the input's name, so an input's draws do not depend on which other inputs exist."""
    base = rng.bit_generator.seed_seq
    if not isinstance(base, np.random.SeedSequence):  # a generator built from raw state
        raise TypeError("sample() needs a Generator seeded from a SeedSequence")
    ss = np.random.SeedSequence(base.entropy, spawn_key=(*base.spawn_key, key_number(key)))
    return np.random.default_rng(ss)


def lhs_column(n: int, rng: np.random.Generator) -> np.ndarray:
    """One Latin hypercube column: u_i = (pi(i) + U_i) / n, one point in each 1/n stratum.

    pi is a random permutation of 0..n-1 and U_i uniform (McKay, Beckman & Conover 1979).
    Written with numpy's Generator rather than ``scipy.stats.qmc.LatinHypercube`` (the
    same design) because that was 2x slower at a million paths, and because each column
    must come from its own addressed stream (:func:`column_rng`).
    """
    return (rng.permutation(n) + rng.random(n)) / n


#: Samples at least this long are drawn on several threads (below, threads cost more
#: than they save).
PARALLEL_SAMPLE_MIN = 50_000


def sampling_threads() -> int:
    """Threads for drawing a large sample: numba's thread count (the user's
    ``NUMBA_NUM_THREADS`` setting), so sampling uses what the kernel uses."""
    import numba

    return max(1, int(numba.get_num_threads()))


def sample(
    dists: list[Dist],
    n: int,
    rng: np.random.Generator,
    correlation: np.ndarray | None = None,
    design_key=None,
    keys: list[str] | None = None,
) -> np.ndarray:
    """Sample ``n`` rows of the inputs by LHS, with optional rank correlation.

    Each input's design column comes from its own stream, addressed by (``rng``'s seed,
    the input's key): its name in ``keys``, else its position. So fixing one input (a
    sweep, a tornado), adding an input or reordering the file leaves the draws of every
    other input unchanged: common random numbers across scenario variants and across
    versions of a file. ``correlation`` is a (d, d) Spearman matrix over *all* inputs
    (identity where an input is uncorrelated); only the correlated inputs are reordered
    (Iman-Conover). With ``design_key`` (a hashable that determines ``rng``'s state, such
    as the seed) the result is the same, from a cache when the key, size and input were
    seen before.
    """
    d = len(dists)
    keys = [str(j) for j in range(d)] if keys is None else list(keys)
    if len(keys) != d or len(set(keys)) != d:
        raise ValueError("sample(): keys must name each input once")
    ic_rng = column_rng(rng, "iman-conover")  # input keys are dotted paths: no clash
    if n * d * 8 > CACHE_MAX_SAMPLE_BYTES:
        design_key = None
    rows = np.empty((d, n))
    if design_key is None:
        # Large samples: the columns are independent streams, so they are drawn on a
        # few threads (numpy and scipy release the GIL in the fills and transforms) and
        # the sample is the same whatever the thread count.
        def fill(j: int) -> None:
            rows[j] = dists[j].ppf(lhs_column(n, column_rng(rng, keys[j])))

        workers = min(d, sampling_threads()) if n >= PARALLEL_SAMPLE_MIN else 1
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(fill, range(d)))
        else:
            for j in range(d):
                fill(j)
    for j, (dd, key) in enumerate(zip(dists, keys, strict=True)):
        if design_key is None:
            continue
        # ``design_key`` names the generator's state (the seed): then each design column
        # and each transformed column are reused from earlier runs of the same key and size.
        col = _COLUMNS.get((design_key, key, n, dd))
        if col is None:
            u = _DESIGNS.get((design_key, key, n))
            if u is None:
                u = lhs_column(n, column_rng(rng, key))
                _DESIGNS.put((design_key, key, n), u)
            col = dd.ppf(np.array(u))  # scipy wants a writeable buffer
            _COLUMNS.put((design_key, key, n, dd), col)
        rows[j] = col
    out = rows.T  # (n, d) view in column-major order: no copy
    if correlation is not None:
        idx = [j for j in range(d) if not dists[j].is_fixed and np.any(correlation[j] != (
            np.arange(d) == j))]
        if len(idx) >= 2:
            sub = correlation[np.ix_(idx, idx)]
            # Spearman target -> Pearson target of the normal scores.
            pearson = 2.0 * np.sin(np.pi * sub / 6.0)
            np.fill_diagonal(pearson, 1.0)
            out[:, idx] = iman_conover(out[:, idx], pearson, ic_rng)
    return out
