"""A plain-numpy reference of the model, written independently of the kernel.

It is vectorised over paths and loops over months. Its monthly shocks come either from
the same addressed uniforms as the kernel (its own numpy Philox4x32-10 of (seed, path,
month, stream, index), turned into integers by scipy's binomial and Poisson quantile
functions) or from a numpy Generator. On addressed uniforms the compiled kernel must
reproduce its integer states exactly and its money to rounding. Small N only: it is a
specification, not a product.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from .layout import (
    CORE,
    EV_ADOPT,
    EV_CHURN,
    EV_INCIDENTS,
    EV_POTENTIAL,
    EV_RETURN,
    EVENTS_PER_COHORT,
    OUT,
    STREAM_COHORT,
    STREAM_DEPLOYMENT,
    TRAJ,
    ModelArrays,
)

#: The kernel's cap on the monthly incident rate (restated: the reference is independent).
LAMBDA_CAP = 1e5

_I = {name.split(".", 1)[1]: i for i, name in enumerate(CORE)}


def _col(core: np.ndarray, key: str) -> np.ndarray:
    return core[:, _I[key]]


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


class _Draws:
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


def _irr(net: np.ndarray) -> float:
    def f(r: float) -> float:
        return float(np.sum(net / (1.0 + r) ** np.arange(net.size)))

    nz = net[net != 0.0]
    if np.count_nonzero(np.diff(np.sign(nz))) != 1:
        return np.nan  # IRR defined only when unique: exactly one sign change
    lo, hi = -0.99, 10.0
    if not f(lo) * f(hi) < 0.0:
        return np.nan
    r = optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    return (1.0 + r) ** 12 - 1.0


def reference_simulate(m: ModelArrays, seed: int | None = None, *,
                       rng: np.random.Generator | None = None,
                       record: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run the model; return (out (N, len(OUT)), traj (len(TRAJ), H+1, N)).

    Shocks come from the uniforms addressed under kernel seed ``seed`` by inverse CDF
    (exact parity with the kernel), or else from numpy Generator ``rng`` (fast;
    statistical parity and the benchmark's reference timing).
    """
    if (seed is None) == (rng is None):
        raise ValueError("give exactly one of seed or rng")
    draws = _Draws(seed, rng, record)
    n, h = m.n_paths, m.horizon
    x = m.core
    f = {k: int(v) for k, v in zip(
        ("vt", "lt", "cp", "fb_mech", "fb_cost", "every", "lens"), m.flags, strict=True)}
    lens = f["lens"] == 1
    n_coh = m.cohort_size.size
    tier = m.tiers[:, m.cohort_tier, :]  # (N, C, 4)
    ceil, p_in, q_im, cost_user = (tier[:, :, k] for k in range(4))

    a_pilot = _col(x, "accuracy")
    a_ood = _col(x, "ood_accuracy").copy()
    if f["vt"] and not lens:
        a_ood = a_ood + _col(x, "variability_testing.gap_closed") * (a_pilot - a_ood)
    s = np.zeros(n) if lens else _col(x, "ood_share")
    a0 = (1 - s) * a_pilot + s * a_ood
    drift = np.zeros(n) if lens else _col(x, "drift_per_month")
    floor = _col(x, "accuracy_floor")
    a_max = np.maximum(_col(x, "accuracy_ceiling"), a0)
    alpha = np.zeros(n) if lens else _col(x, "load_exponent") * (
        1 - _col(x, "load_testing.exponent_reduction") * f["lt"])
    capture = np.ones(n) if lens else _col(x, "feedback_loop.capture_rate")
    tasks_per = _col(x, "tasks_per_user_month")

    cost = _col(x, "build_cost").copy()
    cost += f["vt"] * _col(x, "variability_testing.cost")
    cost += f["lt"] * _col(x, "load_testing.cost")
    cost += f["cp"] * _col(x, "change_plan.cost")
    cost += f["fb_cost"] * _col(x, "feedback_loop.setup_cost")

    size, start = m.cohort_size, m.cohort_start
    never = np.zeros((n, n_coh), dtype=np.int64)
    active = np.zeros((n, n_coh), dtype=np.int64)
    lapsed = np.zeros((n, n_coh), dtype=np.int64)
    potential = np.zeros((n, n_coh), dtype=np.int64)
    active[:, 0] = potential[:, 0] = size[0]

    traj = np.zeros((len(TRAJ), h + 1, n))
    net = np.zeros((h + 1, n))

    def onboard(t: int) -> np.ndarray:
        extra = np.zeros(n)
        for c in range(1, n_coh):
            if start[c] == t:
                extra += size[c] * cost_user[:, c]
                potential[:, c] = draws.binom(np.full(n, size[c]), ceil[:, c], 0, c,
                                              EV_POTENTIAL)
                never[:, c] = potential[:, c]
        return extra

    cost = cost + onboard(0)
    registered = m.registered
    net[0] = -cost
    traj[0, 0], traj[1, 0], traj[3, 0] = active.sum(1), a0, cost
    pv_b = np.zeros(n)
    pv_c = cost.copy()
    out = np.zeros((n, len(OUT)))
    out[:, OUT.index("launch_accuracy")] = a0
    m6 = min(6, h)
    a_base, last, corr = a0.copy(), np.zeros(n), np.zeros(n)
    total_inc = np.zeros(n)
    v = 1.0 / (1.0 + m.monthly_rate)
    for t in range(1, h + 1):
        a_t = np.maximum(a_base - drift * (t - last - 1), np.minimum(floor, a_base))
        onboard_cost = onboard(t)
        load = active.sum(1).astype(float)
        lam = np.where(load > 0, np.minimum(
            LAMBDA_CAP, _col(x, "incidents_per_month") * (load / size[0]) ** alpha), 0.0)
        inc = draws.poisson(lam, t)
        total_inc += inc
        chi = np.clip(_col(x, "base_churn")
                      + _col(x, "quality_churn_sensitivity")
                      * np.maximum(0.0, _col(x, "trust_accuracy") - a_t)
                      + _col(x, "trust_shock_per_incident") * inc, 0.0, 1.0)
        trusted = a_t >= _col(x, "trust_accuracy")
        for c in range(n_coh):
            if start[c] > t:
                continue
            age = t - start[c]
            churn = draws.binom(active[:, c], chi, age, c, EV_CHURN)
            ret = draws.binom(np.where(trusted, lapsed[:, c], 0), _col(x, "return_rate"), age,
                              c, EV_RETURN)
            with np.errstate(divide="ignore", invalid="ignore"):
                p_adopt = np.where(potential[:, c] > 0,
                                   np.minimum(1.0, p_in[:, c] + q_im[:, c] * active[:, c]
                                              / potential[:, c]), 0.0)
            new = draws.binom(never[:, c], p_adopt, age, c, EV_ADOPT)
            active[:, c] += new + ret - churn
            lapsed[:, c] += churn - ret
            never[:, c] -= new
        act = active.sum(1)
        tasks = act * tasks_per
        down = np.minimum(1.0, inc * _col(x, "downtime_per_incident"))
        benefit = (tasks * (a_t * _col(x, "minutes_saved_per_task")
                            - (1 - a_t) * _col(x, "rework_minutes_per_error"))
                   * _col(x, "hourly_cost") / 60.0 * (1 - down))
        retrain = f["fb_mech"] == 1 and t % f["every"] == 0
        cost = (_col(x, "platform_monthly") + _col(x, "licence_per_seat_month") * registered[t]
                + _col(x, "inference_per_task") * tasks
                + _col(x, "support_per_active_user_month") * act
                + inc * _col(x, "fix_cost_per_incident") + onboard_cost)
        if f["fb_cost"]:
            cost = cost + _col(x, "feedback_loop.monthly_cost")
            if retrain:
                cost = cost + _col(x, "feedback_loop.retrain_cost")
        net[t] = benefit - cost
        pv_b += benefit * v ** t
        pv_c += cost * v ** t
        for k, val in enumerate((act, a_t, benefit, cost, inc)):
            traj[k, t] = val
        if t == m6:
            out[:, OUT.index("accuracy_m6")] = a_t
            out[:, OUT.index("active_m6")] = act
            out[:, OUT.index("pilot_users_lapsed_m6")] = lapsed[:, 0]
        if f["fb_mech"]:
            corr += capture * tasks * (1 - a_t)
            if retrain:
                a_base = a_max - (a_max - a0) * (1 + corr / _col(x, "corrections_scale")) ** (
                    -_col(x, "learning_exponent"))
                last = np.full(n, float(t))
    out[:, OUT.index("npv")] = pv_b - pv_c
    out[:, OUT.index("pv_benefit")] = pv_b
    out[:, OUT.index("pv_cost")] = pv_c
    out[:, OUT.index("accuracy_final")] = a_t if h >= 1 else a0
    out[:, OUT.index("active_final")] = active.sum(1)
    out[:, OUT.index("incidents")] = total_inc
    if lens:  # the lens is only ever read for its NPV
        out[:, OUT.index("payback_month")] = -1
        out[:, OUT.index("irr")] = np.nan
        return out, traj
    cum = np.cumsum(net, axis=0)
    paid = cum >= 0
    out[:, OUT.index("payback_month")] = np.where(paid.any(0), paid.argmax(0), -1)
    out[:, OUT.index("irr")] = [_irr(net[:, i]) for i in range(n)]
    return out, traj

