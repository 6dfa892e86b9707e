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
    ACTION_HOLD,
    ACTION_STOP,
    CORE,
    EV_ADOPT,
    EV_CHURN,
    EV_INCIDENTS,
    EV_POTENTIAL,
    EV_RETURN,
    EVENTS_PER_COHORT,
    F_CP,
    F_CP_TIER,
    F_FB_COST,
    F_FB_MECH,
    F_LENS,
    F_LT,
    F_RETRAIN_EVERY,
    F_VT,
    G_ACTION,
    G_LV_CP,
    G_LV_FB,
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
    NEVER,
    OUT,
    STREAM_COHORT,
    STREAM_DEPLOYMENT,
    STREAM_OBSERVE,
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

    def observe(self, checks: np.ndarray, accuracy: np.ndarray, t: int, gate: int) -> np.ndarray:
        """Correct outputs among ``checks`` spot checks, Binomial(checks, accuracy)."""
        n = np.asarray(checks, dtype=np.int64)
        p = np.clip(accuracy, 0.0, 1.0)
        out = np.where(p >= 1.0, n, 0)
        draw = (n > 0) & (p > 0.0) & (p < 1.0)
        if draw.any():
            if self.rng is None:
                u = self._u(np.flatnonzero(draw), t, STREAM_OBSERVE, gate)
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


class _State:
    """Everything that evolves along the paths, one array entry per path (and cohort)."""

    def __init__(self, m: ModelArrays, x: np.ndarray, lens: bool):
        n, n_coh = m.n_paths, m.cohort_size.size
        f = m.flags
        self.vt_from, self.lt_from, self.cp_from, self.fbm_from, self.fbc_from = (
            np.full(n, int(f[k])) for k in (F_VT, F_LT, F_CP, F_FB_MECH, F_FB_COST))
        self.never = np.zeros((n, n_coh), dtype=np.int64)
        self.active = np.zeros((n, n_coh), dtype=np.int64)
        self.lapsed = np.zeros((n, n_coh), dtype=np.int64)
        self.potential = np.zeros((n, n_coh), dtype=np.int64)
        self.active[:, 0] = self.potential[:, 0] = m.cohort_size[0]
        self.start = np.tile(m.cohort_start, (n, 1))
        self.tier_of = np.tile(m.cohort_tier, (n, 1))
        self.registered = np.full(n, int(m.cohort_size[0]))
        self.stop_month = np.full(n, -1)
        self.notice = np.zeros(n, dtype=np.int64)
        self.wind_down = np.zeros(n)
        self.holding = np.zeros(n, dtype=bool)
        self.held = np.zeros(n, dtype=np.int64)
        self.reonboard = np.full(n, NEVER)
        self.inc_since = np.zeros(n, dtype=np.int64)
        # Accuracy.
        a_pilot = _col(x, "accuracy")
        self.ood = np.zeros(n) if lens else _col(x, "ood_share")
        self.a_ood = _col(x, "ood_accuracy").copy()
        if not lens:
            on = self.vt_from == 0
            self.a_ood[on] += _col(x, "variability_testing.gap_closed")[on] * (
                a_pilot[on] - self.a_ood[on])
        self.a0 = (1 - self.ood) * a_pilot + self.ood * self.a_ood
        self.a_max = np.maximum(_col(x, "accuracy_ceiling"), self.a0)
        self.alpha0 = np.zeros(n) if lens else _col(x, "load_exponent")
        self.alpha = np.where(self.lt_from == 0,
                              self.alpha0 * (1 - _col(x, "load_testing.exponent_reduction")),
                              self.alpha0)


def _month0_cost(x: np.ndarray, st: _State) -> np.ndarray:
    """Build cost and the set-up cost of every lever on from go-live."""
    cost = _col(x, "build_cost").copy()
    for frm, key in ((st.vt_from, "variability_testing.cost"),
                     (st.lt_from, "load_testing.cost"), (st.cp_from, "change_plan.cost"),
                     (st.fbc_from, "feedback_loop.setup_cost")):
        cost = cost + np.where(frm == 0, _col(x, key), 0.0)
    return cost


def _register(t: int, m: ModelArrays, tiers: np.ndarray, st: _State, draws: _Draws,
              live: np.ndarray) -> np.ndarray:
    """Register the cohorts due in month t on live paths (deferred where a gate holds
    them); returns the onboarding cost per path."""
    n = m.n_paths
    cost = np.zeros(n)
    plan = int(m.flags[F_CP_TIER])
    for c in range(1, m.cohort_size.size):
        due = live & (st.start[:, c] == t)
        defer = due & st.holding
        st.start[defer, c] = t + 1
        go = due & ~st.holding
        if not go.any():
            continue
        k = np.where(t >= st.cp_from, plan, m.cohort_tier[c])
        st.tier_of[go, c] = k[go]
        size = int(m.cohort_size[c])
        tier_k = tiers[np.arange(n), k]  # (N, 4): each path's parameters of tier k
        cost[go] += size * tier_k[go, 3]
        pot = draws.binom(np.where(go, size, 0), tier_k[:, 0], 0, c, EV_POTENTIAL)
        st.potential[go, c] = pot[go]
        st.never[go, c] = pot[go]
        st.registered[go] += size
    return cost


def _levers_taking_effect(t: int, x: np.ndarray, tiers: np.ndarray, m: ModelArrays,
                          st: _State, live: np.ndarray, lens: bool,
                          a_base: np.ndarray) -> np.ndarray:
    """One-off costs and effects of levers that take effect in month t; re-onboarding."""
    n = m.n_paths
    cost = np.zeros(n)
    on = live & (st.vt_from == t)
    cost[on] += _col(x, "variability_testing.cost")[on]
    if not lens and on.any():
        a_pilot = _col(x, "accuracy")
        a_ood_new = st.a_ood + _col(x, "variability_testing.gap_closed") * (a_pilot - st.a_ood)
        a0_new = (1 - st.ood) * a_pilot + st.ood * a_ood_new
        a_base[on] += a0_new[on] - st.a0[on]
        st.a0[on], st.a_ood[on] = a0_new[on], a_ood_new[on]
        st.a_max[on] = np.maximum(_col(x, "accuracy_ceiling")[on], st.a0[on])
    on = live & (st.lt_from == t)
    cost[on] += _col(x, "load_testing.cost")[on]
    st.alpha[on] = st.alpha0[on] * (1 - _col(x, "load_testing.exponent_reduction")[on])
    on = live & (st.cp_from == t)
    cost[on] += _col(x, "change_plan.cost")[on]
    on = live & (st.fbc_from == t)
    cost[on] += _col(x, "feedback_loop.setup_cost")[on]
    on = live & (st.reonboard == t)
    if on.any():
        plan = int(m.flags[F_CP_TIER])
        for c in range(1, m.cohort_size.size):
            r = on & (st.start[:, c] < t)
            cost[r] += st.lapsed[r, c] * tiers[r, plan, 3]
            st.never[r, c] += st.lapsed[r, c]
            st.lapsed[r, c] = 0
            st.tier_of[r, c] = plan
    return cost


def _step_cohorts(t: int, m: ModelArrays, x: np.ndarray, tiers: np.ndarray, st: _State,
                  draws: _Draws, live: np.ndarray, chi: np.ndarray, trusted: np.ndarray):
    """Churn, returns and new adopters of every started cohort on live paths."""
    n = m.n_paths
    for c in range(m.cohort_size.size):
        go = live & (st.start[:, c] <= t)
        if not go.any():
            continue
        age = t - st.start[:, c]
        tier_c = tiers[np.arange(n), st.tier_of[:, c]]  # (N, 4)
        a_c = st.active[:, c]
        churn = draws.binom(np.where(go, a_c, 0), chi, age, c, EV_CHURN)
        ret = draws.binom(np.where(go & trusted, st.lapsed[:, c], 0), _col(x, "return_rate"),
                          age, c, EV_RETURN)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_adopt = np.where(st.potential[:, c] > 0,
                               np.minimum(1.0, tier_c[:, 1] + tier_c[:, 2] * a_c
                                          / st.potential[:, c]), 0.0)
        new = draws.binom(np.where(go, st.never[:, c], 0), p_adopt, age, c, EV_ADOPT)
        st.active[:, c] += new + ret - churn
        st.lapsed[:, c] += churn - ret
        st.never[:, c] -= new


def _review_gates(t: int, m: ModelArrays, st: _State, draws: _Draws, live: np.ndarray,
                  act: np.ndarray, a_t: np.ndarray, inc: np.ndarray,
                  gate_out: np.ndarray) -> None:
    """Evaluate the gates of month t on observable quantities and apply their actions."""
    st.inc_since += np.where(live, inc, 0)
    reviewed = np.zeros(m.n_paths, dtype=bool)
    for g in range(m.gates.shape[0]):
        row = m.gates[g]
        if row[G_MONTH] != t:
            continue
        ev = st.stop_month < 0
        reviewed |= ev
        ok = np.ones(m.n_paths, dtype=bool)
        if row[G_MIN_ACTIVE] >= 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(st.registered > 0, act / st.registered, 0.0)
            ok &= rate >= row[G_MIN_ACTIVE]
        if row[G_MIN_ACC] >= 0:
            checks = int(row[G_SPOT])
            correct = draws.observe(np.full(m.n_paths, checks), a_t, t, g)
            ok &= correct / checks >= row[G_MIN_ACC]
        if row[G_MAX_INC] >= 0:
            ok &= st.inc_since <= row[G_MAX_INC]
        gate_out[ev, g] = np.where(ok[ev], GATE_PASS, GATE_FAIL)
        st.holding[ev & ok] = False
        fail = ev & ~ok
        action = int(row[G_ACTION])
        if action == ACTION_HOLD:
            st.holding[fail] = True
        elif action == ACTION_STOP:
            st.stop_month[fail] = t
            st.notice[fail] = int(row[G_NOTICE])
            st.wind_down[fail] = row[G_WIND]
            st.lapsed[fail] += st.active[fail]
            st.active[fail] = 0
        else:
            for col, frm in ((G_LV_VT, st.vt_from), (G_LV_LT, st.lt_from),
                             (G_LV_CP, st.cp_from), (G_LV_FB, st.fbm_from),
                             (G_LV_FB, st.fbc_from)):
                if row[col] == 1.0:
                    frm[fail] = np.minimum(frm[fail], t + 1)
            if row[G_REONBOARD] == 1.0:
                st.reonboard[fail] = t + 1
    st.inc_since[reviewed] = 0


def reference_simulate(m: ModelArrays, seed: int | None = None, *,
                       rng: np.random.Generator | None = None,
                       record: list | None = None,
                       gate_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run the model; return (out (N, len(OUT)), traj (len(TRAJ), H+1, N)).

    Shocks come from the uniforms addressed under kernel seed ``seed`` by inverse CDF
    (exact parity with the kernel), or else from numpy Generator ``rng`` (fast;
    statistical parity and the benchmark's reference timing). ``gate_out``, if given
    ((N, G+2)), receives the per-path gate outputs as the kernel writes them.
    """
    if (seed is None) == (rng is None):
        raise ValueError("give exactly one of seed or rng")
    draws = _Draws(seed, rng, record)
    n, h = m.n_paths, m.horizon
    x = m.core
    lens = int(m.flags[F_LENS]) == 1
    every = int(m.flags[F_RETRAIN_EVERY])
    tiers = m.tiers  # (N, n_tiers, 4)
    st = _State(m, x, lens)
    n_gates = m.gates.shape[0]
    gates = np.zeros((n, n_gates + 2)) if gate_out is None else gate_out
    gates[:, :n_gates] = GATE_NOT_REACHED

    drift = np.zeros(n) if lens else _col(x, "drift_per_month")
    floor = _col(x, "accuracy_floor")
    capture = np.ones(n) if lens else _col(x, "feedback_loop.capture_rate")
    tasks_per = _col(x, "tasks_per_user_month")
    live = np.ones(n, dtype=bool)
    cost = _month0_cost(x, st) + _register(0, m, tiers, st, draws, live)
    traj = np.zeros((len(TRAJ), h + 1, n))
    net = np.zeros((h + 1, n))
    net[0] = -cost
    traj[0, 0], traj[1, 0], traj[3, 0] = st.active.sum(1), st.a0, cost
    pv_b = np.zeros(n)
    pv_c = cost.copy()
    out = np.zeros((n, len(OUT)))
    out[:, OUT.index("launch_accuracy")] = st.a0
    m6 = min(6, h)
    a_base, last, corr = st.a0.copy(), np.zeros(n), np.zeros(n)
    a_t = st.a0.copy()
    act = st.active.sum(1)
    total_inc = np.zeros(n)
    v = 1.0 / (1.0 + m.monthly_rate)
    for t in range(1, h + 1):
        live = st.stop_month < 0
        levers_cost = _levers_taking_effect(t, x, tiers, m, st, live, lens, a_base)
        a_t = np.where(live, np.maximum(a_base - drift * (t - last - 1),
                                        np.minimum(floor, a_base)), a_t)
        st.held += live & st.holding
        onboard_cost = _register(t, m, tiers, st, draws, live)
        load = st.active.sum(1).astype(float)
        lam = np.where(live & (load > 0), np.minimum(
            LAMBDA_CAP, _col(x, "incidents_per_month") * (load / m.cohort_size[0])
            ** st.alpha), 0.0)
        inc = draws.poisson(lam, t)
        total_inc += inc
        chi = np.clip(_col(x, "base_churn")
                      + _col(x, "quality_churn_sensitivity")
                      * np.maximum(0.0, _col(x, "trust_accuracy") - a_t)
                      + _col(x, "trust_shock_per_incident") * inc, 0.0, 1.0)
        trusted = a_t >= _col(x, "trust_accuracy")
        _step_cohorts(t, m, x, tiers, st, draws, live, chi, trusted)
        act = np.where(live, st.active.sum(1), 0)
        tasks = act * tasks_per
        down = np.minimum(1.0, inc * _col(x, "downtime_per_incident"))
        benefit = np.where(live, tasks * (a_t * _col(x, "minutes_saved_per_task")
                                          - (1 - a_t) * _col(x, "rework_minutes_per_error"))
                           * _col(x, "hourly_cost") / 60.0 * (1 - down), 0.0)
        feedback = live & (t >= st.fbm_from)
        retrain = feedback & (t % every == 0)
        running = (_col(x, "platform_monthly")
                   + _col(x, "licence_per_seat_month") * st.registered
                   + _col(x, "inference_per_task") * tasks
                   + _col(x, "support_per_active_user_month") * act
                   + inc * _col(x, "fix_cost_per_incident") + onboard_cost + levers_cost)
        fb_on = t >= st.fbc_from
        running = running + np.where(fb_on, _col(x, "feedback_loop.monthly_cost"), 0.0)
        running = running + np.where(fb_on & retrain, _col(x, "feedback_loop.retrain_cost"),
                                     0.0)
        # Stopped paths: platform and licences until the notice ends, the wind-down once.
        wound = (_col(x, "platform_monthly") + _col(x, "licence_per_seat_month")
                 * st.registered)
        stopped = np.where(t <= st.stop_month + st.notice, wound, 0.0)
        stopped = stopped + np.where(t == st.stop_month + 1, st.wind_down, 0.0)
        cost = np.where(live, running, stopped)
        net[t] = benefit - cost
        pv_b += benefit * v ** t
        pv_c += cost * v ** t
        for k, val in enumerate((act, a_t, benefit, cost, inc)):
            traj[k, t] = val
        if t == m6:
            out[:, OUT.index("accuracy_m6")] = a_t
            out[:, OUT.index("active_m6")] = act
            out[:, OUT.index("pilot_users_lapsed_m6")] = st.lapsed[:, 0]
        corr += np.where(feedback, capture * tasks * (1 - a_t), 0.0)
        if retrain.any():
            new_base = st.a_max - (st.a_max - st.a0) * (
                1 + corr / _col(x, "corrections_scale")) ** (-_col(x, "learning_exponent"))
            a_base = np.where(retrain, new_base, a_base)
            last = np.where(retrain, float(t), last)
        _review_gates(t, m, st, draws, live, act, a_t, inc, gates)
    out[:, OUT.index("npv")] = pv_b - pv_c
    out[:, OUT.index("pv_benefit")] = pv_b
    out[:, OUT.index("pv_cost")] = pv_c
    out[:, OUT.index("accuracy_final")] = a_t
    out[:, OUT.index("active_final")] = act
    out[:, OUT.index("incidents")] = total_inc
    if n_gates:
        gates[:, n_gates] = st.stop_month
        gates[:, n_gates + 1] = st.held
    if lens:  # the lens is only ever read for its NPV
        out[:, OUT.index("payback_month")] = -1
        out[:, OUT.index("irr")] = np.nan
        return out, traj
    cum = np.cumsum(net, axis=0)
    paid = cum >= 0
    out[:, OUT.index("payback_month")] = np.where(paid.any(0), paid.argmax(0), -1)
    out[:, OUT.index("irr")] = [_irr(net[:, i]) for i in range(n)]
    return out, traj
