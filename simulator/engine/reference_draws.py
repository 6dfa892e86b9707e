"""The reference model's random numbers: Philox4x32-10 written in plain numpy, and the
monthly shocks drawn from it by scipy's quantile functions (or from a numpy Generator)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .layout import (
    EV_INCIDENTS,
    EVENTS_PER_COHORT,
    STREAM_COHORT,
    STREAM_DEPLOYMENT,
    STREAM_OBSERVE,
)


def philox_uniforms(seed: int, path: np.ndarray, month: np.ndarray | int, stream: int,
                    index: np.ndarray | int) -> np.ndarray:
    """Uniforms in (0, 1) at the given addresses: Philox4x32-10 in plain numpy.

    Written from the Random123 specification (10 rounds; multipliers 0xD2511F53,
    0xCD9E8D57; Weyl key increments 0x9E3779B9, 0xBB67AE85), vectorised over addresses.
    """
    m32 = np.uint64(0xFFFFFFFF)
    path = np.asarray(path, dtype=np.uint64)
    shape = np.broadcast(path, np.asarray(month), np.asarray(index)).shape
    c = [np.broadcast_to(w, shape).astype(np.uint64) for w in (
        path & m32, path >> np.uint64(32),
        np.asarray(month, dtype=np.uint64) | (np.uint64(stream) << np.uint64(16)),
        np.asarray(index, dtype=np.uint64))]
    k = [np.uint64(int(seed) & 0xFFFFFFFF), np.uint64((int(seed) >> 32) & 0xFFFFFFFF)]
    for _ in range(10):
        lo_hi0 = np.uint64(0xD2511F53) * c[0]
        lo_hi1 = np.uint64(0xCD9E8D57) * c[2]
        c = [((lo_hi1 >> np.uint64(32)) ^ c[1] ^ k[0]) & m32, lo_hi1 & m32,
             ((lo_hi0 >> np.uint64(32)) ^ c[3] ^ k[1]) & m32, lo_hi0 & m32]
        k = [(k[0] + np.uint64(0x9E3779B9)) & m32, (k[1] + np.uint64(0xBB67AE85)) & m32]
    bits = (c[0] << np.uint64(20)) | (c[1] >> np.uint64(12))
    return (bits.astype(np.float64) + 0.5) / 2.0**52


class Draws:
    """Source of the monthly shocks: addressed uniforms (inverse CDF) or a numpy Generator.

    ``record``, if a list, receives ("binom", n, p) / ("poisson", lam) for every draw
    actually made: the benchmark's draws-only floor replays exactly these.
    """

    def __init__(self, seed: int | None, rng: np.random.Generator | None,
                 record: list | None):
        self.seed, self.rng, self.record = seed, rng, record

    def _u(self, paths: np.ndarray, month, stream: int, index) -> np.ndarray:
        return philox_uniforms(self.seed, paths, month, stream, index)

    def binom(self, n, p, age, cohort: int, event: int) -> np.ndarray:
        """Binomial draws of one cohort event for every path (``age`` per path or scalar)."""
        n = np.asarray(n, dtype=np.int64)
        p = np.broadcast_to(np.asarray(p, dtype=float), n.shape)
        out = np.where(p >= 1.0, n, 0)
        draw = (n > 0) & (p > 0.0) & (p < 1.0)
        if draw.any():
            if self.rng is None:
                u = self._u(np.flatnonzero(draw), np.broadcast_to(age, n.shape)[draw],
                            STREAM_COHORT, EVENTS_PER_COHORT * cohort + event)
                out[draw] = stats.binom.ppf(u, n[draw], p[draw]).astype(np.int64)
            else:
                out[draw] = self.rng.binomial(n[draw], p[draw])
            if self.record is not None:
                self.record.append(("binom", n[draw], p[draw].copy()))
        return out

    def observe(self, checks: np.ndarray, accuracy: np.ndarray, t: int, gate: int,
                stream: int = STREAM_OBSERVE) -> np.ndarray:
        """Correct outputs among ``checks`` spot checks, Binomial(checks, accuracy)."""
        n = np.asarray(checks, dtype=np.int64)
        p = np.clip(accuracy, 0.0, 1.0)
        out = np.where(p >= 1.0, n, 0)
        draw = (n > 0) & (p > 0.0) & (p < 1.0)
        if draw.any():
            if self.rng is None:
                u = self._u(np.flatnonzero(draw), t, stream, gate)
                out[draw] = stats.binom.ppf(u, n[draw], p[draw]).astype(np.int64)
            else:
                out[draw] = self.rng.binomial(n[draw], p[draw])
        return out

    def poisson(self, lam: np.ndarray, t: int) -> np.ndarray:
        out = np.zeros(lam.shape, dtype=np.int64)
        draw = lam > 0.0
        if draw.any():
            if self.rng is None:
                u = self._u(np.flatnonzero(draw), t, STREAM_DEPLOYMENT, EV_INCIDENTS)
                out[draw] = stats.poisson.ppf(u, lam[draw]).astype(np.int64)
            else:
                out[draw] = self.rng.poisson(lam[draw])
            if self.record is not None:
                self.record.append(("poisson", lam[draw].copy()))
        return out


__all__ = ["Draws", "philox_uniforms"]
