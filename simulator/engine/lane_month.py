"""The steps of a month that every lane takes, each a plain loop over the lanes.

``kernel.run_lanes`` calls these once a month per block of paths. Each is small on
purpose: inside the kernel's one large function the compiler left these loops scalar (the
helpers behind ``min`` and ``max`` were not inlined there), while on their own they
compile to SIMD code. Each lane's arithmetic is the one-path model's, operation for
operation, so the results are the same bits. Arguments named after an input are that
input's row of the block's inputs (one value per lane).
"""

from __future__ import annotations

from numba import njit

from .layout import TR_ACC, TR_ACTIVE, TR_BEN, TR_COST, TR_INC


@njit(cache=True, error_model="numpy")
def drift_and_load(a_t, live, held, load, stop_month, holding, a_base, drift, last_retrain,
                   floor, active, t, m):
    """Which lanes are live; the month's accuracy (drift since the last retraining, not
    below the floor); months on hold; the load, active users at the start of the month."""
    for ln in range(m):
        on = stop_month[ln] < 0
        live[ln] = on
        a = max(a_base[ln] - drift[ln] * (t - last_retrain[ln] - 1), min(floor[ln], a_base[ln]))
        a_t[ln] = a if on else a_t[ln]
        held[ln] += on & holding[ln]
        load[ln] = 0.0
    for c in range(active.shape[0]):
        for ln in range(m):
            load[ln] += active[c, ln]


@njit(cache=True, error_model="numpy")
def churn_rates(churn_rate, r_share, trusted, act_total, total_inc, inc, a_t, live, hr_from,
                review_done, hr_share, churn0, churn_sens, a_trust, trust_shock, t, m):
    """The share reviewed, whether users trust what they see, and the churn probability."""
    for ln in range(m):
        total_inc[ln] += inc[ln]
        rs = hr_share[ln] if (t >= hr_from[ln]) & (not review_done[ln]) else 0.0
        a_seen = a_t[ln] + rs * (1.0 - a_t[ln])
        cr = (churn0[ln] + churn_sens[ln] * max(0.0, a_trust[ln] - a_seen)
              + trust_shock[ln] * inc[ln])
        churn_rate[ln] = min(1.0, max(0.0, cr))
        r_share[ln] = rs
        trusted[ln] = a_seen >= a_trust[ln]
        act_total[ln] = 0 if live[ln] else act_total[ln]


@njit(cache=True, error_model="numpy")
def cohort_draw_sizes(age, n_churn, n_adopt, p_adopt, start, active, never, potential, coh_p,
                      coh_q, live, t, m):
    """One cohort's age and, where it has started in a live lane, the users its churn and
    adoption draws are for and the adoption probability (innovation plus imitation)."""
    for ln in range(m):
        age[ln] = t - start[ln]
        on = live[ln] & (start[ln] <= t)
        a_c = active[ln]
        n_churn[ln] = a_c if on else 0
        n_adopt[ln] = never[ln] if on else 0
        pot = potential[ln]
        p_adopt[ln] = min(1.0, coh_p[ln] + coh_q[ln] * a_c / pot) if pot > 0 else 0.0


@njit(cache=True, error_model="numpy")
def cash_flows(net_t, pv_b, pv_c, pv_rev, corrections, traj, store, lo, t, factor, retrain_t,
               act_total, inc, r_share, a_t, value_minute, registered, onboard, levers,
               fbm_from, fbc_from, live, capture, tasks_per_user, downtime, min_rework,
               min_saved, hr_minutes, hr_hourly, platform, licence, inference, support,
               fix_cost, fb_monthly, fb_retrain, m):
    """The month's benefit and cost of each live lane: net cash, present values, the
    corrections the feedback loop captures and (if ``store``) the trajectories."""
    for ln in range(m):
        tasks = act_total[ln] * tasks_per_user[ln]
        down = min(1.0, inc[ln] * downtime[ln])
        rs = r_share[ln]
        a = a_t[ln]
        rework = (1.0 - rs) * (1.0 - a) * min_rework[ln]  # reviewed errors: no rework
        benefit = tasks * (a * min_saved[ln] - rework) * value_minute[ln] * (1.0 - down)
        review_cost = rs * tasks * hr_minutes[ln] / 60.0 * hr_hourly[ln]
        feedback = t >= fbm_from[ln]
        cost = (platform[ln] + licence[ln] * registered[ln] + inference[ln] * tasks
                + support[ln] * act_total[ln] + inc[ln] * fix_cost[ln] + onboard[ln]
                + levers[ln] + review_cost)
        if t >= fbc_from[ln]:
            cost += fb_monthly[ln]
            if feedback and retrain_t:
                cost += fb_retrain[ln]
        # Reviewed errors are corrections whether or not a feedback loop captures the rest.
        if feedback:
            fixed = (rs + (1.0 - rs) * capture[ln]) * tasks * (1.0 - a)
        else:
            fixed = rs * tasks * (1.0 - a)
        on = live[ln]
        net_t[ln] = benefit - cost if on else net_t[ln]
        pv_b[ln] = pv_b[ln] + benefit * factor if on else pv_b[ln]
        pv_c[ln] = pv_c[ln] + cost * factor if on else pv_c[ln]
        pv_rev[ln] = pv_rev[ln] + review_cost * factor if on else pv_rev[ln]
        corrections[ln] = corrections[ln] + fixed if on else corrections[ln]
        if store and on:
            i = lo + ln
            traj[TR_ACTIVE, t, i] = act_total[ln]
            traj[TR_ACC, t, i] = a
            traj[TR_BEN, t, i] = benefit
            traj[TR_COST, t, i] = cost
            traj[TR_INC, t, i] = inc[ln]
