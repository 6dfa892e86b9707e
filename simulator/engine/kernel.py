"""The compiled core: one pure function over arrays runs every path, month by month.

Every random draw is addressed: the uniform behind an event is Philox4x32-10 of
(path, month or cohort age, stream, index) under a key from the seed (``philox.py``),
turned into an integer by inversion (``inversion.py``). Nothing carries generator state
from one draw to the next, so

- results are bit-identical for any thread count and any block size;
- a variant that changes one parameter changes only the draws that parameter enters,
  and by inversion moves them monotonically (exact common random numbers);
- the plain-numpy reference (``reference.py``) consumes exactly the same uniforms.

The uniforms a path needs (nearly) every month, its cohorts' churn and adoption and the
month's incidents, are computed ahead in loops over the month coordinate that compile to
SIMD code (``fill_uniforms``): the same numbers, at a fraction of the cost of one
Philox call per draw. A cohort's are computed when it registers with someone in it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .inversion import binom_inv, binom_inv_inline, poisson_inv_inline
from .layout import (
    A_MAX,
    A_OOD,
    A_PILOT,
    A_TRUST,
    ACTION_HOLD,
    ACTION_STOP,
    ALPHA,
    BUILD,
    CHURN0,
    CHURN_SENS,
    CP_COST,
    DOWNTIME,
    DRIFT,
    EV_ADOPT,
    EV_CHURN,
    EV_INCIDENTS,
    EV_POTENTIAL,
    EV_RETURN,
    EVENTS_PER_COHORT,
    F0,
    F_CP,
    F_CP_TIER,
    F_FB_COST,
    F_FB_MECH,
    F_HR,
    F_HR_STOP,
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
    G_ACTION,
    G_LV_CP,
    G_LV_FB,
    G_LV_HR,
    G_LV_LT,
    G_LV_VT,
    G_MAX_INC,
    G_MIN_ACC,
    G_MIN_ACTIVE,
    G_MONTH,
    G_NOTICE,
    G_REONBOARD,
    G_SPOT,
    G_WIND,
    GATE_FAIL,
    GATE_NOT_REACHED,
    GATE_PASS,
    HOURLY,
    HR_HOURLY,
    HR_MINUTES,
    HR_SHARE,
    HR_STOP_SCALE,
    INFERENCE,
    LAM_PILOT,
    LEARN_B,
    LICENCE,
    LT_COST,
    LT_CUT,
    MIN_REWORK,
    MIN_SAVED,
    NEVER,
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
    O_PV_REVIEW,
    O_PVB,
    O_PVC,
    OOD_SHARE,
    OUT,
    PLATFORM,
    RETURN,
    STREAM_COHORT,
    STREAM_DEPLOYMENT,
    STREAM_OBSERVE,
    STREAM_REVIEW,
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
from .parallel import PRANGE_ONLY
from .philox import uniform_at

N_OUT = len(OUT)
N_TRAJ = len(TRAJ)
#: Paths per work item of the parallel loop (scratch arrays are per block). Draws are
#: addressed by path, so the block size changes no result, only the load balance: small
#: enough that a run of a thousand paths (the pilot lens) still uses every thread.
BLOCK = 256
#: Incidents a month are drawn from a Poisson mean capped here: at this rate every
#: month is fully down already, and the cap bounds the cost of one draw.
LAMBDA_CAP = 1e5


@njit(cache=True, inline="always")
def cohort_draw_binom(k0, k1, path, age, cohort, event, n, p):
    """Binomial(n, p) for one cohort event, from the uniform addressed by its coordinates."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    u = uniform_at(k0, k1, path, age, STREAM_COHORT, EVENTS_PER_COHORT * cohort + event)
    return binom_inv(n, p, u)


@njit(cache=True)
def fill_uniforms(row, k0, k1, path, last, stream, index):
    """row[a] = the uniform addressed by (path, a, stream, index) for a = 0..last.

    The same numbers ``uniform_at`` gives one at a time, computed in one loop over the
    month coordinate that the compiler turns into SIMD code (Philox is integer multiplies
    and xors): several times cheaper per uniform than one call per draw, even counting
    the months whose draw the path never makes. (Called, not inlined: one compiled
    copy of the vector loop.)
    """
    for a in range(last + 1):
        row[a] = uniform_at(k0, k1, path, a, stream, index)


@njit(cache=True)
def fill_cohort(u_churn, u_adopt, filled, k0, k1, path, c, last_age):
    """Cohort c's churn and adoption uniforms for ages 0..last_age (it registers now)."""
    fill_uniforms(u_churn[c], k0, k1, path, last_age, STREAM_COHORT,
                  EVENTS_PER_COHORT * c + EV_CHURN)
    fill_uniforms(u_adopt[c], k0, k1, path, last_age, STREAM_COHORT,
                  EVENTS_PER_COHORT * c + EV_ADOPT)
    filled[c] = True


@njit(cache=True, inline="always")
def binom_at(n, p, u):
    """Binomial(n, p) by inversion of a uniform drawn beforehand (same edge cases as
    ``cohort_draw_binom``); the common case compiled in place (used for churn, the most
    frequent draw: one inlined copy keeps the compile short)."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    return binom_inv_inline(n, p, u)


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


@njit(cache=True, inline="always")
def payback_month(net, horizon):
    """First month whose cumulative net cash is >= 0, or -1 if none within the horizon."""
    cum = 0.0
    for t in range(horizon + 1):
        cum += net[t]
        if cum >= 0.0:
            return t
    return -1


@njit(cache=True)
def run_path(i, path, x, tier, cohort_size, cohort_start, cohort_tier, flags, gates, horizon,
             monthly_rate, k0, k1, out, traj, store, cohort_traj, store_cohorts, gate_out,
             never, active, lapsed, potential, start, tier_of, net, u_churn, u_adopt, u_inc,
             filled):
    """Simulate path ``i``; write its metrics to ``out[i]`` and, if asked, its months.

    Parameters
    ----------
    i : int
        Row of ``out`` and ``gate_out``, column of ``traj`` and ``cohort_traj``.
    path : int
        The path coordinate of every random draw of this path.
    x : ndarray, float64, shape (len(CORE),)
        This path's scalar inputs in ``layout.CORE`` order.
    tier : ndarray, float64, shape (n_tiers, 4)
        This path's tier parameters, columns ``layout.TIER_FIELDS``.
    cohort_size, cohort_start, cohort_tier : ndarray, int64, shape (C,)
        Cohorts, pilot team first: size, planned start month, own tier (row of ``tier``).
    flags : ndarray, int64, shape (N_FLAGS,)
        The month each lever takes effect (``NEVER`` if off), the change plan's tier, the
        retraining interval, the pilot-lens switch (``layout.F_*``).
    gates : ndarray, float64, shape (G, N_GATE_COLS)
        Go/no-go reviews in month order (``layout.G_*``).
    horizon : int
        Months after go-live, H.
    monthly_rate : float
        Discount rate per month.
    k0, k1 : uint64
        Philox key words from the seed.
    out : ndarray, float64, shape (N, len(OUT))
        Per-path metrics (written: row ``i``).
    traj : ndarray, float32, shape (len(TRAJ), H+1, N)
        Monthly trajectories (written: column ``i``) when ``store``.
    cohort_traj : ndarray, float32, shape (C, H+1, N)
        Active users by cohort (written: column ``i``) when ``store_cohorts``.
    gate_out : ndarray, float64, shape (N, G+2)
        Each gate's result (``GATE_PASS``, ``GATE_FAIL``, ``GATE_NOT_REACHED``), the month
        the rollout stopped (-1 if never) and the months on hold (written: row ``i``).
    never, active, lapsed, potential, start, tier_of : ndarray, int64, shape (C,)
        Scratch per cohort: users who never tried, are active, have lapsed, will ever
        adopt; the actual start month; the tier the cohort was onboarded in.
    net : ndarray, float64, shape (H+1,)
        Scratch: net cash per month.
    u_churn, u_adopt : ndarray, float64, shape (C, H+1)
        Scratch: each cohort's churn and adoption uniforms by age (filled when the cohort
        registers with someone to draw for, at the latest before its first draw;
        ``filled[c]`` says so).
    u_inc : ndarray, float64, shape (H+1,)
        Scratch: the incident uniform of each month.
    filled : ndarray, bool, shape (C,)
        Scratch: whether cohort c's rows of ``u_churn`` and ``u_adopt`` hold its uniforms.
    """
    lens = flags[F_LENS] == 1
    n_coh = cohort_size.shape[0]
    n_gates = gates.shape[0]
    vt_from = flags[F_VT]
    lt_from = flags[F_LT]
    cp_from = flags[F_CP]
    fbm_from = flags[F_FB_MECH]
    fbc_from = flags[F_FB_COST]
    plan_tier = flags[F_CP_TIER]
    hr_from = flags[F_HR]
    hr_stop = flags[F_HR_STOP]
    review_done = False
    pv_rev = 0.0
    a_pilot = x[A_PILOT]
    ood = 0.0 if lens else x[OOD_SHARE]
    a_ood = x[A_OOD]
    if vt_from == 0 and not lens:
        a_ood = a_ood + x[VT_GAP] * (a_pilot - a_ood)
    a0 = (1.0 - ood) * a_pilot + ood * a_ood
    drift = 0.0 if lens else x[DRIFT]
    floor = x[FLOOR]
    a_max = max(x[A_MAX], a0)
    alpha0 = 0.0 if lens else x[ALPHA]
    alpha = alpha0 * (1.0 - x[LT_CUT]) if lt_from == 0 else alpha0
    capture = 1.0 if lens else x[FB_CAPTURE]
    every = flags[F_RETRAIN_EVERY]
    pilot_users = float(cohort_size[0])
    value_minute = x[HOURLY] / 60.0
    disc = 1.0 / (1.0 + monthly_rate)

    # Month 0: one-off costs; the pilot team is active; cohorts starting at 0 register.
    for c in range(n_coh):
        never[c] = 0
        active[c] = 0
        lapsed[c] = 0
        potential[c] = 0
        start[c] = cohort_start[c]
        tier_of[c] = cohort_tier[c]
    active[0] = cohort_size[0]
    potential[0] = cohort_size[0]
    # The draws made (nearly) every month, computed up front in SIMD loops: the pilot
    # team's and each month's incidents now; a later cohort's when it registers.
    for c in range(n_coh):
        filled[c] = False
    if cohort_size[0] > 0:
        fill_cohort(u_churn, u_adopt, filled, k0, k1, path, 0, horizon - start[0])
    if x[LAM_PILOT] > 0.0:
        fill_uniforms(u_inc, k0, k1, path, horizon, STREAM_DEPLOYMENT, EV_INCIDENTS)
    cost0 = x[BUILD]
    if vt_from == 0:
        cost0 += x[VT_COST]
    if lt_from == 0:
        cost0 += x[LT_COST]
    if cp_from == 0:
        cost0 += x[CP_COST]
    if fbc_from == 0:
        cost0 += x[FB_SETUP]
    registered = cohort_size[0]
    for c in range(1, n_coh):
        if start[c] == 0:
            k = plan_tier if cp_from == 0 else cohort_tier[c]
            tier_of[c] = k
            cost0 += cohort_size[c] * tier[k, T_COST]
            potential[c] = cohort_draw_binom(k0, k1, path, 0, c, EV_POTENTIAL,
                                             cohort_size[c], tier[k, T_CEIL])
            never[c] = potential[c]
            registered += cohort_size[c]
            if potential[c] > 0:
                fill_cohort(u_churn, u_adopt, filled, k0, k1, path, c, horizon)
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
    if store_cohorts:
        for c in range(n_coh):
            cohort_traj[c, 0, i] = active[c]
    out[i, O_LAUNCH] = a0
    m6 = min(6, horizon)
    a_base = a0
    last_retrain = 0
    corrections = 0.0
    factor = 1.0
    # Staged rollout: gate state.
    for g in range(n_gates):
        gate_out[i, g] = GATE_NOT_REACHED
    stop_month = -1
    notice = 0
    wind_down = 0.0
    holding = False
    held = 0
    reonboard_month = NEVER
    inc_since_gate = 0
    for t in range(1, horizon + 1):
        factor *= disc
        if stop_month >= 0:
            # Stopped: nobody uses it; platform and licences run until notice ends.
            cost = 0.0
            if t <= stop_month + notice:
                cost = x[PLATFORM] + x[LICENCE] * registered
            if t == stop_month + 1:
                cost += wind_down
            act_total = 0
            net[t] = -cost
            pv_c += cost * factor
            if store:
                traj[TR_ACTIVE, t, i] = 0.0
                traj[TR_ACC, t, i] = a_t
                traj[TR_BEN, t, i] = 0.0
                traj[TR_COST, t, i] = cost
                traj[TR_INC, t, i] = 0.0
            if store_cohorts:
                for c in range(n_coh):
                    cohort_traj[c, t, i] = 0.0
            if t == m6:
                out[i, O_ACC6] = a_t
                out[i, O_ACT6] = 0.0
                out[i, O_PLAPSED] = lapsed[0]
            continue
        # Levers taking effect this month (enabled later, or switched on by a gate).
        levers_t = 0.0
        if t == vt_from:
            levers_t += x[VT_COST]
            if not lens:
                a_ood_new = a_ood + x[VT_GAP] * (a_pilot - a_ood)
                a0_new = (1.0 - ood) * a_pilot + ood * a_ood_new
                a_base += a0_new - a0
                a0 = a0_new
                a_ood = a_ood_new
                a_max = max(x[A_MAX], a0)
        if t == lt_from:
            levers_t += x[LT_COST]
            alpha = alpha0 * (1.0 - x[LT_CUT])
        if t == cp_from:
            levers_t += x[CP_COST]
        if t == fbc_from:
            levers_t += x[FB_SETUP]
        if t == reonboard_month:
            # Lapsed users of started cohorts are onboarded again in the plan's tier.
            for c in range(1, n_coh):
                if start[c] < t:
                    levers_t += lapsed[c] * tier[plan_tier, T_COST]
                    never[c] += lapsed[c]
                    lapsed[c] = 0
                    tier_of[c] = plan_tier
        a_t = max(a_base - drift * (t - last_retrain - 1), min(floor, a_base))
        if holding:
            held += 1
        # Cohorts registered this month (or deferred while a gate holds them).
        onboard = 0.0
        for c in range(1, n_coh):
            if start[c] == t:
                if holding:
                    start[c] = t + 1
                    continue
                k = plan_tier if t >= cp_from else cohort_tier[c]
                tier_of[c] = k
                onboard += cohort_size[c] * tier[k, T_COST]
                potential[c] = cohort_draw_binom(k0, k1, path, 0, c, EV_POTENTIAL,
                                                 cohort_size[c], tier[k, T_CEIL])
                never[c] = potential[c]
                registered += cohort_size[c]
                if potential[c] > 0:
                    fill_cohort(u_churn, u_adopt, filled, k0, k1, path, c, horizon - t)
        # Incidents scale with the load (active users) at the start of the month.
        load = 0.0
        for c in range(n_coh):
            load += active[c]
        inc = 0
        if load > 0.0 and x[LAM_PILOT] > 0.0:
            lam = min(LAMBDA_CAP, x[LAM_PILOT] * (load / pilot_users) ** alpha)
            inc = poisson_inv_inline(lam, u_inc[t])
        total_inc += inc
        # Human review: a share r of outputs is checked before use; users see only the
        # errors nobody reviewed, so trust follows the accuracy they see.
        r_share = x[HR_SHARE] if t >= hr_from and not review_done else 0.0
        a_seen = a_t + r_share * (1.0 - a_t)
        churn_rate = (x[CHURN0] + x[CHURN_SENS] * max(0.0, x[A_TRUST] - a_seen)
                      + x[TRUST_SHOCK] * inc)
        churn_rate = min(1.0, max(0.0, churn_rate))
        trusted = a_seen >= x[A_TRUST]
        act_total = 0
        for c in range(n_coh):
            if start[c] > t:
                continue
            age = t - start[c]
            k = tier_of[c]
            a_c = active[c]
            if a_c == 0 and lapsed[c] == 0 and never[c] == 0:
                continue  # nobody to draw for (active[c] stays 0)
            if not filled[c]:  # (a cohort with users registered with some: not reached)
                fill_cohort(u_churn, u_adopt, filled, k0, k1, path, c, horizon - start[c])
            churn = binom_at(a_c, churn_rate, u_churn[c, age])
            ret = 0
            if trusted:
                ret = cohort_draw_binom(k0, k1, path, age, c, EV_RETURN, lapsed[c], x[RETURN])
            p_adopt = 0.0
            if potential[c] > 0:
                p_adopt = min(1.0, tier[k, T_P] + tier[k, T_Q] * a_c / potential[c])
            new = binom_inv(never[c], p_adopt, u_adopt[c, age])
            active[c] = a_c - churn + ret + new
            lapsed[c] += churn - ret
            never[c] -= new
            act_total += active[c]
        tasks = act_total * x[TASKS]
        down = min(1.0, inc * x[DOWNTIME])
        rework = (1.0 - r_share) * (1.0 - a_t) * x[MIN_REWORK]  # reviewed errors: no rework
        benefit = tasks * (a_t * x[MIN_SAVED] - rework) * value_minute * (1.0 - down)
        review_cost = r_share * tasks * x[HR_MINUTES] / 60.0 * x[HR_HOURLY]
        feedback = t >= fbm_from
        retrain = feedback and (t % every == 0)
        cost = (x[PLATFORM] + x[LICENCE] * registered + x[INFERENCE] * tasks
                + x[SUPPORT] * act_total + inc * x[FIX_COST] + onboard + levers_t
                + review_cost)
        if t >= fbc_from:
            cost += x[FB_MONTHLY]
            if retrain:
                cost += x[FB_RETRAIN]
        net[t] = benefit - cost
        pv_b += benefit * factor
        pv_c += cost * factor
        pv_rev += review_cost * factor
        if store:
            traj[TR_ACTIVE, t, i] = act_total
            traj[TR_ACC, t, i] = a_t
            traj[TR_BEN, t, i] = benefit
            traj[TR_COST, t, i] = cost
            traj[TR_INC, t, i] = inc
        if store_cohorts:
            for c in range(n_coh):
                cohort_traj[c, t, i] = active[c]
        if t == m6:
            out[i, O_ACC6] = a_t
            out[i, O_ACT6] = act_total
            out[i, O_PLAPSED] = lapsed[0]
        # Feedback: captured corrections; retraining moves along the learning curve.
        # Reviewed errors are corrections whether or not a feedback loop captures the rest.
        if feedback:
            corrections += (r_share + (1.0 - r_share) * capture) * tasks * (1.0 - a_t)
        else:
            corrections += r_share * tasks * (1.0 - a_t)
        if feedback:
            if retrain:
                a_base = a_max - (a_max - a0) * (1.0 + corrections / x[F0]) ** (-x[LEARN_B])
                last_retrain = t
        # Review stops once the accuracy measured on the month's reviewed outputs passes
        # the threshold (what the reviewers observe, not the true accuracy).
        if r_share > 0.0 and hr_stop >= 0:
            n_rev = int(r_share * tasks)
            if n_rev > 0:
                correct = n_rev
                if a_t < 1.0:
                    correct = 0
                    if a_t > 0.0:
                        correct = binom_inv(n_rev, a_t, uniform_at(k0, k1, path, t,
                                                                   STREAM_REVIEW, 0))
                if correct / n_rev >= hr_stop / HR_STOP_SCALE:
                    review_done = True
        # Gates at the end of the month, judged on what the organisation observes.
        inc_since_gate += inc
        reviewed = False
        for g in range(n_gates):
            if gates[g, G_MONTH] != t or stop_month >= 0:
                continue
            reviewed = True
            passed = True
            if gates[g, G_MIN_ACTIVE] >= 0.0:
                rate = act_total / registered if registered > 0 else 0.0
                passed = passed and rate >= gates[g, G_MIN_ACTIVE]
            if gates[g, G_MIN_ACC] >= 0.0:
                checks = int(gates[g, G_SPOT])
                correct = checks
                if a_t < 1.0:
                    correct = 0
                    if a_t > 0.0:
                        correct = binom_inv(checks, a_t, uniform_at(k0, k1, path, t,
                                                                    STREAM_OBSERVE, g))
                passed = passed and correct / checks >= gates[g, G_MIN_ACC]
            if gates[g, G_MAX_INC] >= 0.0:
                passed = passed and inc_since_gate <= gates[g, G_MAX_INC]
            gate_out[i, g] = GATE_PASS if passed else GATE_FAIL
            if passed:
                holding = False
                continue
            action = int(gates[g, G_ACTION])
            if action == ACTION_HOLD:
                holding = True
            elif action == ACTION_STOP:
                stop_month = t
                notice = int(gates[g, G_NOTICE])
                wind_down = gates[g, G_WIND]
                for c in range(n_coh):
                    lapsed[c] += active[c]
                    active[c] = 0
            else:
                nxt = t + 1
                if gates[g, G_LV_VT] == 1.0 and vt_from > nxt:
                    vt_from = nxt
                if gates[g, G_LV_LT] == 1.0 and lt_from > nxt:
                    lt_from = nxt
                if gates[g, G_LV_CP] == 1.0 and cp_from > nxt:
                    cp_from = nxt
                if gates[g, G_LV_FB] == 1.0:
                    if fbm_from > nxt:
                        fbm_from = nxt
                    if fbc_from > nxt:
                        fbc_from = nxt
                if gates[g, G_LV_HR] == 1.0 and hr_from > nxt:
                    hr_from = nxt
                if gates[g, G_REONBOARD] == 1.0:
                    reonboard_month = nxt
        if reviewed:
            inc_since_gate = 0
    out[i, O_NPV] = pv_b - pv_c
    out[i, O_PVB] = pv_b
    out[i, O_PVC] = pv_c
    out[i, O_ACCF] = a_t
    out[i, O_ACTF] = act_total
    out[i, O_INC] = total_inc
    out[i, O_PV_REVIEW] = pv_rev
    if n_gates > 0:
        gate_out[i, n_gates] = stop_month
        gate_out[i, n_gates + 1] = held
    if lens:  # the lens is only ever read for its NPV
        out[i, O_PAYBACK] = -1.0
        out[i, O_IRR] = np.nan
        return
    out[i, O_PAYBACK] = payback_month(net, horizon)
    r = irr_monthly(net, horizon + 1)
    out[i, O_IRR] = (1.0 + r) ** 12 - 1.0 if not math.isnan(r) else np.nan


@njit(cache=True, nogil=True)
def run_block(lo, hi, inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier,
              flags, gates, horizon, monthly_rate, k0, k1, first_path, keys, out, traj, store,
              cohort_traj, store_cohorts, gate_out):
    """Run rows ``lo`` to ``hi - 1`` (one work item of the parallel loop) with their own
    scratch arrays; row i draws as path ``keys[i]``, or ``first_path + i`` when ``keys``
    is empty."""
    keyed = keys.shape[0] > 0
    n_coh = cohort_size.shape[0]
    n_core = core_cols.shape[0]
    n_tiers = tier_cols.shape[0]
    never = np.zeros(n_coh, dtype=np.int64)
    active = np.zeros(n_coh, dtype=np.int64)
    lapsed = np.zeros(n_coh, dtype=np.int64)
    potential = np.zeros(n_coh, dtype=np.int64)
    start = np.zeros(n_coh, dtype=np.int64)
    tier_of = np.zeros(n_coh, dtype=np.int64)
    net = np.zeros(horizon + 1)
    u_churn = np.empty((n_coh, horizon + 1))
    u_adopt = np.empty((n_coh, horizon + 1))
    u_inc = np.empty(horizon + 1)
    filled = np.zeros(n_coh, dtype=np.bool_)
    x = np.empty(n_core)
    tier = np.empty((n_tiers, 4))
    for i in range(lo, hi):
        for j in range(n_core):
            x[j] = inputs[i, core_cols[j]]
        for k in range(n_tiers):
            for f in range(4):
                tier[k, f] = inputs[i, tier_cols[k, f]]
        path = keys[i] if keyed else first_path + i
        run_path(i, path, x, tier, cohort_size, cohort_start, cohort_tier,
                 flags, gates, horizon, monthly_rate, k0, k1, out, traj, store,
                 cohort_traj, store_cohorts, gate_out, never, active, lapsed, potential,
                 start, tier_of, net, u_churn, u_adopt, u_inc, filled)


@njit(cache=True, parallel=PRANGE_ONLY, nogil=True)
def simulate_kernel(inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier,
                    flags, gates, horizon, monthly_rate, k0, k1, first_path, keys, store,
                    store_cohorts):
    """Run every path; a pure function of its arguments.

    Parameters
    ----------
    inputs : ndarray, float64, shape (N, K)
        All sampled inputs, one row per path (read in place, any memory order).
    core_cols : ndarray, int64, shape (len(CORE),)
        Column of ``inputs`` holding each ``layout.CORE`` input.
    tier_cols : ndarray, int64, shape (n_tiers, 4)
        Column of ``inputs`` holding each tier field (``layout.TIER_FIELDS``).
    cohort_size, cohort_start, cohort_tier : ndarray, int64, shape (C,)
        Cohorts, pilot team first: size, planned start month, own tier.
    flags : ndarray, int64, shape (N_FLAGS,)
        See ``layout.F_*``.
    gates : ndarray, float64, shape (G, N_GATE_COLS)
        See ``layout.G_*``; G may be 0.
    horizon : int
        Months after go-live.
    monthly_rate : float
        Discount rate per month.
    k0, k1 : uint64
        Philox key words (``philox.split_key`` of the kernel seed).
    first_path : int
        Path coordinate of row 0: row i draws as path ``first_path + i`` (to run a slice
        of a larger run on that run's draws).
    keys : ndarray, int64, shape (N,) or (0,)
        When not empty, row i draws as path ``keys[i]`` instead (the update's particles,
        each with its own luck key, not contiguous after resampling).
    store : bool
        Keep the monthly trajectories.
    store_cohorts : bool
        Keep active users by cohort and month.

    Returns
    -------
    out : ndarray, float64, shape (N, len(OUT))
    traj : ndarray, float32, shape (len(TRAJ), H+1, N), or (len(TRAJ), 1, 1) unless
        ``store``
    cohort_traj : ndarray, float32, shape (C, H+1, N), or (1, 1, 1) unless
        ``store_cohorts``
    gate_out : ndarray, float64, shape (N, G+2), or (N, 0) without gates
    """
    n = inputs.shape[0]
    n_coh = cohort_size.shape[0]
    n_gates = gates.shape[0]
    out = np.zeros((n, N_OUT))
    if store:
        traj = np.zeros((N_TRAJ, horizon + 1, n), dtype=np.float32)
    else:
        traj = np.zeros((N_TRAJ, 1, 1), dtype=np.float32)
    if store_cohorts:
        cohort_traj = np.zeros((n_coh, horizon + 1, n), dtype=np.float32)
    else:
        cohort_traj = np.zeros((1, 1, 1), dtype=np.float32)
    gate_out = np.zeros((n, n_gates + 2 if n_gates > 0 else 0))
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):  # the parallel region only calls: cheap to compile
        run_block(b * BLOCK, min(n, (b + 1) * BLOCK), inputs, core_cols, tier_cols,
                  cohort_size, cohort_start, cohort_tier, flags, gates, horizon,
                  monthly_rate, k0, k1, first_path, keys, out, traj, store, cohort_traj,
                  store_cohorts, gate_out)
    return out, traj, cohort_traj, gate_out
