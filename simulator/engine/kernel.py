"""The compiled core: one function over arrays runs every path, month by month.

Paths are processed in fixed-size blocks; each block reseeds numba's generator from
(seed, block index) at its top, so results are bit-identical for any thread count.
For parity tests the same kernel can instead consume a supplied array of uniforms,
turned into binomial/Poisson draws by inverse CDF (see ``reference.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .layout import (
    A_MAX,
    A_OOD,
    A_PILOT,
    A_TRUST,
    ALPHA,
    BUILD,
    CHURN0,
    CHURN_SENS,
    CP_COST,
    DOWNTIME,
    DRIFT,
    F0,
    F_CP,
    F_FB_COST,
    F_FB_MECH,
    F_LENS,
    F_LT,
    F_RETRAIN_EVERY,
    F_VT,
    FB_CAPTURE,
    FB_MONTHLY,
    FB_RETRAIN,
    FB_SETUP,
    FIX_COST,
    FLOOR,
    HOURLY,
    INFERENCE,
    LAM_PILOT,
    LEARN_B,
    LICENCE,
    LT_COST,
    LT_CUT,
    MIN_REWORK,
    MIN_SAVED,
    O_ACC6,
    O_ACCF,
    O_ACT6,
    O_ACTF,
    O_INC,
    O_IRR,
    O_LAUNCH,
    O_NPV,
    O_PAYBACK,
    O_PLAPSED,
    O_PVB,
    O_PVC,
    OOD_SHARE,
    OUT,
    PLATFORM,
    RETURN,
    SLOTS_PER_COHORT,
    SUPPORT,
    T_CEIL,
    T_COST,
    T_P,
    T_Q,
    TASKS,
    TR_ACC,
    TR_ACTIVE,
    TR_BEN,
    TR_COST,
    TR_INC,
    TRAJ,
    TRUST_SHOCK,
    VT_COST,
    VT_GAP,
)

N_OUT = len(OUT)
N_TRAJ = len(TRAJ)
BLOCK = 1024  #: paths per independently seeded block


@njit(cache=True)
def block_seed(seed, block):
    """A 32-bit seed for one block: splitmix64 of (seed, block)."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(block) + np.uint64(1)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.uint32(z & np.uint64(0xFFFFFFFF))


@njit(cache=True)
def binom_inv(n, p, u):
    """Smallest k with Binomial(n, p) CDF(k) >= u (sequential search, small n)."""
    q = 1.0 - p
    pmf = math.exp(n * math.log(q))
    cdf = pmf
    k = 0
    r = p / q
    while cdf < u and k < n:
        pmf *= (n - k) / (k + 1.0) * r
        k += 1
        cdf += pmf
    return k


@njit(cache=True)
def poisson_inv(lam, u):
    """Smallest k with Poisson(lam) CDF(k) >= u (sequential search, moderate lam)."""
    pmf = math.exp(-lam)
    cdf = pmf
    k = 0
    while cdf < u and k < 100000:
        k += 1
        pmf *= lam / k
        cdf += pmf
    return k


@njit(cache=True)
def draw_binom(n, p, ext, u):
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if ext:
        return binom_inv(n, p, u)
    return np.random.binomial(n, p)  # noqa: NPY002 - numba supports the legacy API


@njit(cache=True)
def draw_poisson(lam, ext, u):
    if lam <= 0.0:
        return 0
    if ext:
        return poisson_inv(lam, u)
    return np.random.poisson(lam)  # noqa: NPY002 - numba supports the legacy API


@njit(cache=True)
def irr_monthly(net, n):
    """Monthly IRR of cash flows net[0..n-1]; NaN unless it is unique and in [-0.99, 10].

    Defined only when the flows change sign exactly once (then, by Descartes' rule of
    signs, there is exactly one root with r > -1). Safeguarded Newton on the bracket;
    f(r) = sum net_t (1+r)^-t by Horner.
    """
    changes = 0
    prev = 0.0
    for t in range(n):
        if net[t] != 0.0:
            if prev != 0.0 and (net[t] > 0.0) != (prev > 0.0):
                changes += 1
            prev = net[t]
    if changes != 1:
        return np.nan
    lo, hi = -0.99, 10.0

    def f_df(r):
        v = 1.0 / (1.0 + r)
        f = 0.0
        df = 0.0
        for t in range(n - 1, -1, -1):
            df = df * v + f
            f = f * v + net[t]
        # d/dr of sum net_t v^t = -v * sum t net_t v^t = -v^2 * d/dv ... via Horner on v:
        return f, -df * v * v

    flo, _ = f_df(lo)
    fhi, _ = f_df(hi)
    if not (flo * fhi < 0.0):
        return np.nan
    r = 0.01
    for _ in range(100):
        f, df = f_df(r)
        if (f > 0.0) == (flo > 0.0):
            lo = r
        else:
            hi = r
        if df != 0.0:
            step = f / df
            rn = r - step
        else:
            rn = 0.5 * (lo + hi)
        if not (lo < rn < hi):
            rn = 0.5 * (lo + hi)
        if abs(rn - r) < 1e-12 * (1.0 + abs(r)):
            return rn
        r = rn
    return r


@njit(cache=True)
def run_path(i, x, tv, csize, cstart, ctier, flags, horizon, mrate, ext, u, out, traj,
             store, never, active, lapsed, potential, net):
    """Simulate path ``i`` from its inputs ``x`` (CORE order) and tier table ``tv``.

    Writes the path's metrics to out[i] and, if ``store``, its months to traj[:, :, i].
    """
    lens = flags[F_LENS] == 1
    n_coh = csize.shape[0]
    a_pilot = x[A_PILOT]
    ood = 0.0 if lens else x[OOD_SHARE]
    a_ood = x[A_OOD]
    if flags[F_VT] == 1 and not lens:
        a_ood = a_ood + x[VT_GAP] * (a_pilot - a_ood)
    a0 = (1.0 - ood) * a_pilot + ood * a_ood
    drift = 0.0 if lens else x[DRIFT]
    floor = x[FLOOR]
    a_max = max(x[A_MAX], a0)
    alpha = 0.0 if lens else x[ALPHA] * (1.0 - x[LT_CUT] * flags[F_LT])
    capture = 1.0 if lens else x[FB_CAPTURE]
    fb_mech = flags[F_FB_MECH] == 1
    fb_cost = flags[F_FB_COST] == 1
    every = flags[F_RETRAIN_EVERY]
    pilot_users = float(csize[0])
    tasks_per = x[TASKS]
    value_hour = x[HOURLY] / 60.0
    disc = 1.0 / (1.0 + mrate)

    # Month 0: one-off costs; the pilot team is active; cohorts starting at 0 registered.
    cost0 = x[BUILD]
    if flags[F_VT] == 1:
        cost0 += x[VT_COST]
    if flags[F_LT] == 1:
        cost0 += x[LT_COST]
    if flags[F_CP] == 1:
        cost0 += x[CP_COST]
    if fb_cost:
        cost0 += x[FB_SETUP]
    registered = 0
    for c in range(n_coh):
        never[c] = 0
        active[c] = 0
        lapsed[c] = 0
        potential[c] = 0
    active[0] = csize[0]
    potential[0] = csize[0]
    registered += csize[0]
    for c in range(1, n_coh):
        if cstart[c] == 0:
            k = ctier[c]
            cost0 += csize[c] * tv[k, T_COST]
            uu = u[i, 0, 1 + SLOTS_PER_COHORT * c] if ext else 0.0
            potential[c] = draw_binom(csize[c], tv[k, T_CEIL], ext, uu)
            never[c] = potential[c]
            registered += csize[c]
    net[0] = -cost0
    pv_b = 0.0
    pv_c = cost0
    total_inc = 0
    act_total = active[0]
    a_t = a0
    if store:
        traj[TR_ACTIVE, 0, i] = act_total
        traj[TR_ACC, 0, i] = a0
        traj[TR_BEN, 0, i] = 0.0
        traj[TR_COST, 0, i] = cost0
        traj[TR_INC, 0, i] = 0.0
    out[i, O_LAUNCH] = a0
    m6 = min(6, horizon)
    a_base = a0
    last_retrain = 0
    corrections = 0.0
    factor = 1.0
    for t in range(1, horizon + 1):
        factor *= disc
        a_t = max(a_base - drift * (t - last_retrain - 1), min(floor, a_base))
        # Cohorts registered this month: onboarding cost and who will ever adopt.
        onboard = 0.0
        for c in range(1, n_coh):
            if cstart[c] == t:
                k = ctier[c]
                onboard += csize[c] * tv[k, T_COST]
                uu = u[i, t, 1 + SLOTS_PER_COHORT * c] if ext else 0.0
                potential[c] = draw_binom(csize[c], tv[k, T_CEIL], ext, uu)
                never[c] = potential[c]
                registered += csize[c]
        # Incidents scale with the load at the start of the month.
        load = 0.0
        for c in range(n_coh):
            load += active[c]
        lam = 0.0
        if load > 0.0:
            lam = x[LAM_PILOT] * (load / pilot_users) ** alpha
        inc = draw_poisson(lam, ext, u[i, t, 0] if ext else 0.0)
        total_inc += inc
        chi = x[CHURN0] + x[CHURN_SENS] * max(0.0, x[A_TRUST] - a_t) + x[TRUST_SHOCK] * inc
        chi = min(1.0, max(0.0, chi))
        trusted = a_t >= x[A_TRUST]
        act_total = 0
        for c in range(n_coh):
            if cstart[c] > t:
                continue
            base = 1 + SLOTS_PER_COHORT * c
            k = ctier[c]
            a_c = active[c]
            churn = draw_binom(a_c, chi, ext, u[i, t, base + 1] if ext else 0.0)
            ret = 0
            if trusted:
                ret = draw_binom(lapsed[c], x[RETURN], ext, u[i, t, base + 2] if ext else 0.0)
            p_adopt = 0.0
            if potential[c] > 0:
                p_adopt = min(1.0, tv[k, T_P] + tv[k, T_Q] * a_c / potential[c])
            new = draw_binom(never[c], p_adopt, ext, u[i, t, base + 3] if ext else 0.0)
            active[c] = a_c - churn + ret + new
            lapsed[c] += churn - ret
            never[c] -= new
            act_total += active[c]
        tasks = act_total * tasks_per
        down = min(1.0, inc * x[DOWNTIME])
        benefit = tasks * (a_t * x[MIN_SAVED] - (1.0 - a_t) * x[MIN_REWORK]) * value_hour * (
            1.0 - down)
        retrain = fb_mech and (t % every == 0)
        cost = (x[PLATFORM] + x[LICENCE] * registered + x[INFERENCE] * tasks
                + x[SUPPORT] * act_total + inc * x[FIX_COST] + onboard)
        if fb_cost:
            cost += x[FB_MONTHLY]
            if retrain:
                cost += x[FB_RETRAIN]
        net[t] = benefit - cost
        pv_b += benefit * factor
        pv_c += cost * factor
        if store:
            traj[TR_ACTIVE, t, i] = act_total
            traj[TR_ACC, t, i] = a_t
            traj[TR_BEN, t, i] = benefit
            traj[TR_COST, t, i] = cost
            traj[TR_INC, t, i] = inc
        if t == m6:
            out[i, O_ACC6] = a_t
            out[i, O_ACT6] = act_total
            out[i, O_PLAPSED] = lapsed[0]
        # Feedback: captured corrections; retraining moves along the learning curve.
        if fb_mech:
            corrections += capture * tasks * (1.0 - a_t)
            if retrain:
                a_base = a_max - (a_max - a0) * (1.0 + corrections / x[F0]) ** (-x[LEARN_B])
                last_retrain = t
    out[i, O_NPV] = pv_b - pv_c
    out[i, O_PVB] = pv_b
    out[i, O_PVC] = pv_c
    out[i, O_ACCF] = a_t
    out[i, O_ACTF] = act_total
    out[i, O_INC] = total_inc
    if lens:
        out[i, O_PAYBACK] = -1.0
        out[i, O_IRR] = np.nan
        return
    cum = 0.0
    pay = -1.0
    for t in range(horizon + 1):
        cum += net[t]
        if cum >= 0.0:
            pay = t
            break
    out[i, O_PAYBACK] = pay
    r = irr_monthly(net, horizon + 1)
    out[i, O_IRR] = (1.0 + r) ** 12 - 1.0 if not math.isnan(r) else np.nan


@njit(cache=True, parallel=True)
def simulate_kernel(xall, core_cols, tier_cols, csize, cstart, ctier, flags, horizon, mrate,
                    seed, store, u_ext):
    """Run all paths. Returns (out (N, N_OUT) float64, traj (N_TRAJ, H+1, N) float32).

    ``u_ext`` of shape (N, H+1, slots) switches to external uniforms; pass an array with
    first dimension 0 for the internal generator. With ``store`` False, ``traj`` is a
    (N_TRAJ, 1, 1) placeholder and nothing monthly is kept.
    """
    n = xall.shape[0]
    n_coh = csize.shape[0]
    n_core = core_cols.shape[0]
    n_tiers = tier_cols.shape[0]
    ext = u_ext.shape[0] > 0
    out = np.zeros((n, N_OUT))
    if store:
        traj = np.zeros((N_TRAJ, horizon + 1, n), dtype=np.float32)
    else:
        traj = np.zeros((N_TRAJ, 1, 1), dtype=np.float32)
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        if not ext:
            np.random.seed(block_seed(seed, b))  # noqa: NPY002 - per-block, thread-safe
        never = np.zeros(n_coh, dtype=np.int64)
        active = np.zeros(n_coh, dtype=np.int64)
        lapsed = np.zeros(n_coh, dtype=np.int64)
        potential = np.zeros(n_coh, dtype=np.int64)
        net = np.zeros(horizon + 1)
        xv = np.empty(n_core)
        tv = np.empty((n_tiers, 4))
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            for j in range(n_core):
                xv[j] = xall[i, core_cols[j]]
            for k in range(n_tiers):
                for f in range(4):
                    tv[k, f] = xall[i, tier_cols[k, f]]
            run_path(i, xv, tv, csize, cstart, ctier, flags, horizon, mrate, ext, u_ext,
                     out, traj, store, never, active, lapsed, potential, net)
    return out, traj
