"""The compiled core: one pure function over arrays runs every path, month by month.

Every random draw is addressed: the uniform behind an event is Philox4x32-10 of
(path, month or cohort age, stream, index) under a key from the seed (``philox.py``),
turned into an integer by inversion (``inversion.py``). Nothing carries generator state
from one draw to the next, so

- results are bit-identical for any thread count and any block size;
- a variant that changes one parameter changes only the draws that parameter enters,
  and by inversion moves them monotonically (exact common random numbers);
- the plain-numpy reference (``reference.py``) consumes exactly the same uniforms.

The parallel loop hands out blocks of paths. A block advances month by month with its
paths as lanes: the state of every path lives in arrays over the lanes, and the same
event of all lanes (the month's incidents, each cohort's churn and adoption) is drawn in
one loop that compiles to SIMD code (``lane_draws.py``). Each lane still computes
exactly what its path would alone: the order in which paths are visited is all that
changes.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit

from .inversion import binom_inv
from .lane_draws import (
    RATE_SCRATCH,
    binom_lanes,
    incidents_lanes,
    uniforms_at,
    uniforms_month,
)
from .lane_month import cash_flows, churn_rates, cohort_draw_sizes, drift_and_load
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
from .parallel import kernel_pool
from .philox import uniform_at

N_OUT = len(OUT)
N_TRAJ = len(TRAJ)
#: Paths a block advances together as lanes, and the unit dealt to threads (scratch
#: arrays are per block). Draws are addressed by path, so the block size changes no
#: result, only the load balance: small enough that a run of a thousand paths (the pilot
#: lens) still uses every thread.
BLOCK = 256


@njit(cache=True)
def cohort_draw_binom(k0, k1, path, age, cohort, event, n, p):
    """Binomial(n, p) for one cohort event, from the uniform addressed by its coordinates."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    u = uniform_at(k0, k1, path, age, STREAM_COHORT, EVENTS_PER_COHORT * cohort + event)
    return binom_inv(n, p, u)


@njit(cache=True)
def register_cohort(c, ln, t, cp_from, plan_tier, cohort_size, cohort_tier, tier, k0, k1,
                    paths, coh_p, coh_q, potential, never, registered):
    """Cohort c registers in lane ``ln`` at month t: onboarded in the change plan's tier
    once the plan runs (else its own), its potential adopters drawn; returns the
    onboarding cost."""
    k = plan_tier if t >= cp_from[ln] else cohort_tier[c]
    coh_p[c, ln] = tier[k, T_P, ln]
    coh_q[c, ln] = tier[k, T_Q, ln]
    potential[c, ln] = cohort_draw_binom(k0, k1, paths[ln], 0, c, EV_POTENTIAL,
                                         cohort_size[c], tier[k, T_CEIL, ln])
    never[c, ln] = potential[c, ln]
    registered[ln] += cohort_size[c]
    return cohort_size[c] * tier[k, T_COST, ln]


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
def judge_gates(ln, i, t, a, inc, gates, k0, k1, path, act_total, registered,
                inc_since_gate, stop_month, notice, wind_down, holding, reonboard_month,
                vt_from, lt_from, cp_from, fbm_from, fbc_from, hr_from, active, lapsed,
                gate_out):
    """Lane ``ln``'s go/no-go reviews at the end of month t, judged on what the
    organisation observes (active rate, spot-checked accuracy, incidents since the last
    review); a failed gate holds, stops or switches levers on from the next month."""
    n_gates = gates.shape[0]
    n_coh = active.shape[0]
    inc_since_gate[ln] += inc
    reviewed = False
    for g in range(n_gates):
        if gates[g, G_MONTH] != t or stop_month[ln] >= 0:
            continue
        reviewed = True
        passed = True
        if gates[g, G_MIN_ACTIVE] >= 0.0:
            rate = act_total[ln] / registered[ln] if registered[ln] > 0 else 0.0
            passed = passed and rate >= gates[g, G_MIN_ACTIVE]
        if gates[g, G_MIN_ACC] >= 0.0:
            checks = int(gates[g, G_SPOT])
            correct = checks
            if a < 1.0:
                correct = 0
                if a > 0.0:
                    correct = binom_inv(checks, a, uniform_at(k0, k1, path, t,
                                                              STREAM_OBSERVE, g))
            passed = passed and correct / checks >= gates[g, G_MIN_ACC]
        if gates[g, G_MAX_INC] >= 0.0:
            passed = passed and inc_since_gate[ln] <= gates[g, G_MAX_INC]
        gate_out[i, g] = GATE_PASS if passed else GATE_FAIL
        if passed:
            holding[ln] = False
            continue
        action = int(gates[g, G_ACTION])
        if action == ACTION_HOLD:
            holding[ln] = True
        elif action == ACTION_STOP:
            stop_month[ln] = t
            notice[ln] = int(gates[g, G_NOTICE])
            wind_down[ln] = gates[g, G_WIND]
            for c in range(n_coh):
                lapsed[c, ln] += active[c, ln]
                active[c, ln] = 0
        else:
            nxt = t + 1
            if gates[g, G_LV_VT] == 1.0 and vt_from[ln] > nxt:
                vt_from[ln] = nxt
            if gates[g, G_LV_LT] == 1.0 and lt_from[ln] > nxt:
                lt_from[ln] = nxt
            if gates[g, G_LV_CP] == 1.0 and cp_from[ln] > nxt:
                cp_from[ln] = nxt
            if gates[g, G_LV_FB] == 1.0:
                if fbm_from[ln] > nxt:
                    fbm_from[ln] = nxt
                if fbc_from[ln] > nxt:
                    fbc_from[ln] = nxt
            if gates[g, G_LV_HR] == 1.0 and hr_from[ln] > nxt:
                hr_from[ln] = nxt
            if gates[g, G_REONBOARD] == 1.0:
                reonboard_month[ln] = nxt
    if reviewed:
        inc_since_gate[ln] = 0


@njit(cache=True, error_model="numpy")
def run_lanes(lo, hi, inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier,
              flags, gates, horizon, monthly_rate, k0, k1, first_path, keys, out, traj, store,
              cohort_traj, store_cohorts, gate_out):
    """Simulate rows ``lo`` to ``hi - 1`` (one work item of the parallel loop) month by month.

    Each row is a lane: its state lives in arrays over the lanes, and every month the
    same event of all lanes is drawn in one vector loop (``lane_draws.py``). A lane draws
    as path ``keys[i]``, or ``first_path + i`` when ``keys`` is empty, and computes
    exactly what it would alone: the same uniforms for the same addresses, the same
    operations in the same order on its own numbers (``reference.py`` is the model in
    plain numpy, one path at a time). The arguments are ``simulate_kernel``'s; rows
    ``lo:hi`` of ``out`` and ``gate_out`` and columns ``lo:hi`` of ``traj`` and
    ``cohort_traj`` are written.
    """
    m = hi - lo
    keyed = keys.shape[0] > 0
    n_coh = cohort_size.shape[0]
    n_gates = gates.shape[0]
    n_core = core_cols.shape[0]
    n_tiers = tier_cols.shape[0]
    lens = flags[F_LENS] == 1
    plan_tier = flags[F_CP_TIER]
    hr_stop = flags[F_HR_STOP]
    every = flags[F_RETRAIN_EVERY]
    pilot_users = float(cohort_size[0])
    disc = 1.0 / (1.0 + monthly_rate)
    m6 = min(6, horizon)

    # Inputs by field, contiguous over the lanes.
    x = np.empty((n_core, m))
    for j in range(n_core):
        col = core_cols[j]
        for ln in range(m):
            x[j, ln] = inputs[lo + ln, col]
    tier = np.empty((n_tiers, 4, m))
    for k in range(n_tiers):
        for f in range(4):
            col = tier_cols[k, f]
            for ln in range(m):
                tier[k, f, ln] = inputs[lo + ln, col]
    paths = np.empty(m, dtype=np.int64)
    for ln in range(m):
        paths[ln] = keys[lo + ln] if keyed else first_path + lo + ln

    # Per-cohort state by lane: never tried, active, lapsed, will ever adopt; the actual
    # start month and the adoption rates of the tier the cohort was onboarded in.
    never = np.zeros((n_coh, m), dtype=np.int64)
    active = np.zeros((n_coh, m), dtype=np.int64)
    lapsed = np.zeros((n_coh, m), dtype=np.int64)
    potential = np.zeros((n_coh, m), dtype=np.int64)
    start = np.empty((n_coh, m), dtype=np.int64)
    coh_p = np.empty((n_coh, m))  # innovation and imitation rates of the cohort's tier
    coh_q = np.empty((n_coh, m))
    # Per-lane state: lever months (a gate can bring them forward), accuracy, money, gates.
    vt_from = np.full(m, flags[F_VT])
    lt_from = np.full(m, flags[F_LT])
    cp_from = np.full(m, flags[F_CP])
    fbm_from = np.full(m, flags[F_FB_MECH])
    fbc_from = np.full(m, flags[F_FB_COST])
    hr_from = np.full(m, flags[F_HR])
    review_done = np.zeros(m, dtype=np.bool_)
    ood = np.empty(m)
    a_ood = np.empty(m)
    a0 = np.empty(m)
    drift = np.empty(m)
    a_max = np.empty(m)
    alpha0 = np.empty(m)
    alpha = np.empty(m)
    capture = np.empty(m)
    value_minute = np.empty(m)
    a_t = np.empty(m)
    a_base = np.empty(m)
    last_retrain = np.zeros(m, dtype=np.int64)
    corrections = np.zeros(m)
    pv_b = np.zeros(m)
    pv_c = np.empty(m)
    pv_rev = np.zeros(m)
    registered = np.empty(m, dtype=np.int64)
    act_total = np.empty(m, dtype=np.int64)
    total_inc = np.zeros(m, dtype=np.int64)
    stop_month = np.full(m, -1, dtype=np.int64)
    notice = np.zeros(m, dtype=np.int64)
    wind_down = np.zeros(m)
    holding = np.zeros(m, dtype=np.bool_)
    held = np.zeros(m, dtype=np.int64)
    reonboard_month = np.full(m, NEVER, dtype=np.int64)
    inc_since_gate = np.zeros(m, dtype=np.int64)
    net = np.empty((horizon + 1, m))
    # Scratch of one month: who is live, the draws' parameters and results.
    live = np.empty(m, dtype=np.bool_)
    event = np.empty(m, dtype=np.bool_)
    load = np.empty(m)
    rate_scratch = np.empty((RATE_SCRATCH, m))
    inc = np.empty(m, dtype=np.int64)
    r_share = np.empty(m)
    churn_rate = np.empty(m)
    trusted = np.empty(m, dtype=np.bool_)
    onboard = np.empty(m)
    levers = np.empty(m)
    age = np.empty(m, dtype=np.int64)
    n_churn = np.empty(m, dtype=np.int64)
    n_adopt = np.empty(m, dtype=np.int64)
    p_adopt = np.empty(m)
    churn = np.empty(m, dtype=np.int64)
    new = np.empty(m, dtype=np.int64)
    ret = np.empty(m, dtype=np.int64)
    u = np.empty(m)
    slow = np.empty(m, dtype=np.bool_)
    flows = np.empty(horizon + 1)

    # Month 0: one-off costs; the pilot team is active; cohorts starting at 0 register.
    for ln in range(m):
        i = lo + ln
        a_pilot = x[A_PILOT, ln]
        ood[ln] = 0.0 if lens else x[OOD_SHARE, ln]
        a_ood[ln] = x[A_OOD, ln]
        if vt_from[ln] == 0 and not lens:
            a_ood[ln] = a_ood[ln] + x[VT_GAP, ln] * (a_pilot - a_ood[ln])
        a0[ln] = (1.0 - ood[ln]) * a_pilot + ood[ln] * a_ood[ln]
        drift[ln] = 0.0 if lens else x[DRIFT, ln]
        a_max[ln] = max(x[A_MAX, ln], a0[ln])
        alpha0[ln] = 0.0 if lens else x[ALPHA, ln]
        alpha[ln] = alpha0[ln] * (1.0 - x[LT_CUT, ln]) if lt_from[ln] == 0 else alpha0[ln]
        capture[ln] = 1.0 if lens else x[FB_CAPTURE, ln]
        value_minute[ln] = x[HOURLY, ln] / 60.0
        for c in range(n_coh):
            start[c, ln] = cohort_start[c]
            coh_p[c, ln] = tier[cohort_tier[c], T_P, ln]
            coh_q[c, ln] = tier[cohort_tier[c], T_Q, ln]
        active[0, ln] = cohort_size[0]
        potential[0, ln] = cohort_size[0]
        cost0 = x[BUILD, ln]
        if vt_from[ln] == 0:
            cost0 += x[VT_COST, ln]
        if lt_from[ln] == 0:
            cost0 += x[LT_COST, ln]
        if cp_from[ln] == 0:
            cost0 += x[CP_COST, ln]
        if fbc_from[ln] == 0:
            cost0 += x[FB_SETUP, ln]
        registered[ln] = cohort_size[0]
        for c in range(1, n_coh):
            if start[c, ln] == 0:
                cost0 += register_cohort(c, ln, 0, cp_from, plan_tier, cohort_size,
                                         cohort_tier, tier, k0, k1, paths, coh_p, coh_q,
                                         potential, never, registered)
        net[0, ln] = -cost0
        pv_c[ln] = cost0
        act_total[ln] = active[0, ln]
        a_t[ln] = a0[ln]
        a_base[ln] = a0[ln]
        if store:
            traj[TR_ACTIVE, 0, i] = act_total[ln]
            traj[TR_ACC, 0, i] = a0[ln]
            traj[TR_BEN, 0, i] = 0.0
            traj[TR_COST, 0, i] = cost0
            traj[TR_INC, 0, i] = 0.0
        if store_cohorts:
            for c in range(n_coh):
                cohort_traj[c, 0, i] = active[c, ln]
        out[i, O_LAUNCH] = a0[ln]
        for g in range(n_gates):
            gate_out[i, g] = GATE_NOT_REACHED

    factor = 1.0
    for t in range(1, horizon + 1):
        factor *= disc
        # The lanes with more to do this month than drift and load (rare): stopped, a
        # lever taking effect, lapsed users onboarded again, a cohort registering.
        for ln in range(m):
            event[ln] = ((stop_month[ln] >= 0) | (t == vt_from[ln]) | (t == lt_from[ln])
                         | (t == cp_from[ln]) | (t == fbc_from[ln])
                         | (t == reonboard_month[ln]))
        for c in range(1, n_coh):
            for ln in range(m):
                event[ln] |= start[c, ln] == t
        any_event = False
        for ln in range(m):
            any_event |= event[ln]
        levers.fill(0.0)
        onboard.fill(0.0)
        for ln in range(m):
            if not any_event:
                break
            if not event[ln]:
                continue
            i = lo + ln
            if stop_month[ln] >= 0:
                # Stopped: nobody uses it; platform and licences run until notice ends.
                live[ln] = False
                cost = 0.0
                if t <= stop_month[ln] + notice[ln]:
                    cost = x[PLATFORM, ln] + x[LICENCE, ln] * registered[ln]
                if t == stop_month[ln] + 1:
                    cost += wind_down[ln]
                act_total[ln] = 0
                net[t, ln] = -cost
                pv_c[ln] += cost * factor
                if store:
                    traj[TR_ACTIVE, t, i] = 0.0
                    traj[TR_ACC, t, i] = a_t[ln]
                    traj[TR_BEN, t, i] = 0.0
                    traj[TR_COST, t, i] = cost
                    traj[TR_INC, t, i] = 0.0
                if store_cohorts:
                    for c in range(n_coh):
                        cohort_traj[c, t, i] = 0.0
                if t == m6:
                    out[i, O_ACC6] = a_t[ln]
                    out[i, O_ACT6] = 0.0
                    out[i, O_PLAPSED] = lapsed[0, ln]
                continue
            # Levers taking effect this month (enabled later, or switched on by a gate).
            levers_t = 0.0
            if t == vt_from[ln]:
                levers_t += x[VT_COST, ln]
                if not lens:
                    a_pilot = x[A_PILOT, ln]
                    a_ood_new = a_ood[ln] + x[VT_GAP, ln] * (a_pilot - a_ood[ln])
                    a0_new = (1.0 - ood[ln]) * a_pilot + ood[ln] * a_ood_new
                    a_base[ln] += a0_new - a0[ln]
                    a0[ln] = a0_new
                    a_ood[ln] = a_ood_new
                    a_max[ln] = max(x[A_MAX, ln], a0[ln])
            if t == lt_from[ln]:
                levers_t += x[LT_COST, ln]
                alpha[ln] = alpha0[ln] * (1.0 - x[LT_CUT, ln])
            if t == cp_from[ln]:
                levers_t += x[CP_COST, ln]
            if t == fbc_from[ln]:
                levers_t += x[FB_SETUP, ln]
            if t == reonboard_month[ln]:
                # Lapsed users of started cohorts are onboarded again in the plan's tier.
                for c in range(1, n_coh):
                    if start[c, ln] < t:
                        levers_t += lapsed[c, ln] * tier[plan_tier, T_COST, ln]
                        never[c, ln] += lapsed[c, ln]
                        lapsed[c, ln] = 0
                        coh_p[c, ln] = tier[plan_tier, T_P, ln]
                        coh_q[c, ln] = tier[plan_tier, T_Q, ln]
            levers[ln] = levers_t
            # Cohorts registered this month (or deferred while a gate holds them).
            onboard_t = 0.0
            for c in range(1, n_coh):
                if start[c, ln] == t:
                    if holding[ln]:
                        start[c, ln] = t + 1
                        continue
                    onboard_t += register_cohort(c, ln, t, cp_from, plan_tier, cohort_size,
                                                 cohort_tier, tier, k0, k1, paths, coh_p,
                                                 coh_q, potential, never, registered)
            onboard[ln] = onboard_t
        # Accuracy drifts since the last retraining; the load (active users at the start
        # of the month) sets the incident rate.
        drift_and_load(a_t, live, held, load, stop_month, holding, a_base, drift, last_retrain,
                       x[FLOOR], active, t, m)
        uniforms_month(u, k0, k1, paths, t, STREAM_DEPLOYMENT, EV_INCIDENTS, m)
        incidents_lanes(inc, load, alpha, x[LAM_PILOT], pilot_users, u, m, rate_scratch, slow)
        # Human review: a share r of outputs is checked before use; users see only the
        # errors nobody reviewed, so trust follows the accuracy they see.
        churn_rates(churn_rate, r_share, trusted, act_total, total_inc, inc, a_t, live, hr_from,
                    review_done, x[HR_SHARE], x[CHURN0], x[CHURN_SENS], x[A_TRUST],
                    x[TRUST_SHOCK], t, m)
        # Each cohort's churn and adoption, all lanes at once; returns (rare) one by one.
        for c in range(n_coh):
            cohort_draw_sizes(age, n_churn, n_adopt, p_adopt, start[c], active[c], never[c],
                              potential[c], coh_p[c], coh_q[c], live, t, m)
            uniforms_at(u, k0, k1, paths, age, STREAM_COHORT, EVENTS_PER_COHORT * c + EV_CHURN, m)
            binom_lanes(churn, n_churn, churn_rate, u, m, slow)
            uniforms_at(u, k0, k1, paths, age, STREAM_COHORT, EVENTS_PER_COHORT * c + EV_ADOPT, m)
            binom_lanes(new, n_adopt, p_adopt, u, m, slow)
            any_ret = False
            for ln in range(m):  # rare: trusted again with lapsed users in the cohort
                need = live[ln] & trusted[ln] & (lapsed[c, ln] > 0) & (start[c, ln] <= t)
                event[ln] = need
                any_ret |= need
                ret[ln] = 0
            if any_ret:
                for ln in range(m):
                    if event[ln]:
                        ret[ln] = cohort_draw_binom(k0, k1, paths[ln], age[ln], c, EV_RETURN,
                                                    lapsed[c, ln], x[RETURN, ln])
            # (A lane that is not live or whose cohort has not started drew 0 of each.)
            for ln in range(m):
                a_c = active[c, ln] - churn[ln] + ret[ln] + new[ln]
                active[c, ln] = a_c
                lapsed[c, ln] += churn[ln] - ret[ln]
                never[c, ln] -= new[ln]
                act_total[ln] += a_c
        # Cash flows and trajectories of the live lanes (stopped ones were done above).
        retrain_t = t % every == 0
        cash_flows(net[t], pv_b, pv_c, pv_rev, corrections, traj, store, lo, t, factor, retrain_t,
                   act_total, inc, r_share, a_t, value_minute, registered, onboard, levers,
                   fbm_from, fbc_from, live, capture, x[TASKS], x[DOWNTIME], x[MIN_REWORK],
                   x[MIN_SAVED], x[HR_MINUTES], x[HR_HOURLY], x[PLATFORM], x[LICENCE],
                   x[INFERENCE], x[SUPPORT], x[FIX_COST], x[FB_MONTHLY], x[FB_RETRAIN], m)
        if store_cohorts:
            for c in range(n_coh):
                for ln in range(m):
                    if live[ln]:
                        cohort_traj[c, t, lo + ln] = active[c, ln]
        if t == m6:
            for ln in range(m):
                if live[ln]:
                    i = lo + ln
                    out[i, O_ACC6] = a_t[ln]
                    out[i, O_ACT6] = act_total[ln]
                    out[i, O_PLAPSED] = lapsed[0, ln]
        # Retraining, the review's stop and the gates: only where they can happen.
        if retrain_t or hr_stop >= 0 or n_gates > 0:
            for ln in range(m):
                if not live[ln]:
                    continue
                a = a_t[ln]
                if retrain_t and t >= fbm_from[ln]:
                    a_base[ln] = a_max[ln] - (a_max[ln] - a0[ln]) * (
                        1.0 + corrections[ln] / x[F0, ln]) ** (-x[LEARN_B, ln])
                    last_retrain[ln] = t
                # Review stops once the accuracy measured on the month's reviewed outputs
                # passes the threshold (what the reviewers observe, not the true accuracy).
                rs = r_share[ln]
                if rs > 0.0 and hr_stop >= 0:
                    n_rev = int(rs * (act_total[ln] * x[TASKS, ln]))
                    if n_rev > 0:
                        correct = n_rev
                        if a < 1.0:
                            correct = 0
                            if a > 0.0:
                                correct = binom_inv(n_rev, a, uniform_at(k0, k1, paths[ln], t,
                                                                         STREAM_REVIEW, 0))
                        if correct / n_rev >= hr_stop / HR_STOP_SCALE:
                            review_done[ln] = True
                if n_gates > 0:
                    judge_gates(ln, lo + ln, t, a, inc[ln], gates, k0, k1, paths[ln],
                                act_total, registered, inc_since_gate, stop_month, notice,
                                wind_down, holding, reonboard_month, vt_from, lt_from,
                                cp_from, fbm_from, fbc_from, hr_from, active, lapsed, gate_out)

    for ln in range(m):
        i = lo + ln
        out[i, O_NPV] = pv_b[ln] - pv_c[ln]
        out[i, O_PVB] = pv_b[ln]
        out[i, O_PVC] = pv_c[ln]
        out[i, O_ACCF] = a_t[ln]
        out[i, O_ACTF] = act_total[ln]
        out[i, O_INC] = total_inc[ln]
        out[i, O_PV_REVIEW] = pv_rev[ln]
        if n_gates > 0:
            gate_out[i, n_gates] = stop_month[ln]
            gate_out[i, n_gates + 1] = held[ln]
        if lens:  # the lens is only ever read for its NPV
            out[i, O_PAYBACK] = -1.0
            out[i, O_IRR] = np.nan
            continue
        for s in range(horizon + 1):
            flows[s] = net[s, ln]
        out[i, O_PAYBACK] = payback_month(flows, horizon)
        r = irr_monthly(flows, horizon + 1)
        out[i, O_IRR] = (1.0 + r) ** 12 - 1.0 if not math.isnan(r) else np.nan


@njit(cache=True, nogil=True)
def run_blocks(first, stride, n_blocks, inputs, core_cols, tier_cols, cohort_size,
               cohort_start, cohort_tier, flags, gates, horizon, monthly_rate, k0, k1,
               first_path, keys, out, traj, store, cohort_traj, store_cohorts, gate_out):
    """Blocks ``first``, ``first + stride``, ... below ``n_blocks``: one worker's share of
    ``simulate_kernel`` (the GIL released, so workers run in parallel)."""
    n = inputs.shape[0]
    for b in range(first, n_blocks, stride):
        run_lanes(b * BLOCK, min(n, (b + 1) * BLOCK), inputs, core_cols, tier_cols,
                  cohort_size, cohort_start, cohort_tier, flags, gates, horizon,
                  monthly_rate, k0, k1, first_path, keys, out, traj, store, cohort_traj,
                  store_cohorts, gate_out)


def simulate_kernel(inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier,
                    flags, gates, horizon, monthly_rate, k0, k1, first_path, keys, store,
                    store_cohorts):
    """Run every path; a pure function of its arguments.

    The blocks of paths are dealt to T = ``numba.get_num_threads()`` threads in turn
    (block b to thread b mod T: this one and T - 1 of the process's kernel pool,
    ``parallel.kernel_pool``), each running ``run_blocks`` without the GIL. Threads and not a
    ``prange`` loop: numba compiles a parallel loop into a function of its own that
    re-optimises everything it calls, five of the kernel's twenty seconds of compile
    (benchmarks/RESULTS.md). Blocks write disjoint rows, so any thread count gives the
    same bits.

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
    months = horizon + 1 if store else 1
    traj = np.zeros((N_TRAJ, months, n if store else 1), dtype=np.float32)
    cohort_traj = np.zeros((n_coh, horizon + 1, n) if store_cohorts else (1, 1, 1),
                           dtype=np.float32)
    gate_out = np.zeros((n, n_gates + 2 if n_gates > 0 else 0))
    n_blocks = (n + BLOCK - 1) // BLOCK
    args = (inputs, core_cols, tier_cols, cohort_size, cohort_start, cohort_tier, flags,
            gates, horizon, monthly_rate, k0, k1, first_path, keys, out, traj, store,
            cohort_traj, store_cohorts, gate_out)
    workers = min(n_blocks, max(1, numba.get_num_threads()))
    # This thread runs the first share; the pool's threads the others.
    rest = [kernel_pool().submit(run_blocks, w, workers, n_blocks, *args)
            for w in range(1, workers)]
    run_blocks(0, workers, n_blocks, *args)
    for f in rest:
        f.result()
    return out, traj, cohort_traj, gate_out
