"""Invariants that must hold for every valid scenario (hypothesis)."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.engine.layout import TRAJ

share = st.floats(0.0, 1.0, allow_nan=False)
money = st.floats(0.0, 1e5, allow_nan=False)
SETTINGS = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "80")), deadline=None,
                    derandomize=True,  # CI runs a fixed, reproducible set of examples
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@st.composite
def scenarios(draw, base):
    h = draw(st.integers(1, 40))
    ch = {
        "scenario.horizon_months": h,
        "scenario.discount_rate_annual": draw(st.floats(0.0, 0.5)),
        "pilot.users": draw(st.integers(1, 30)),
        "pilot.accuracy": draw(share),
        "pilot.incidents_per_month": draw(st.floats(0.0, 3.0)),
        "data.ood_share": draw(share),
        "data.ood_accuracy": draw(share),
        "data.drift_per_month": draw(st.floats(0.0, 0.2)),
        "data.accuracy_floor": draw(share),
        "improvement.accuracy_ceiling": draw(share),
        "improvement.learning_exponent": draw(st.floats(0.0, 5.0)),
        "improvement.corrections_scale": draw(st.floats(1e-3, 1e5)),
        "integration.load_exponent": draw(st.floats(0.0, 5.0)),
        "integration.downtime_per_incident": draw(share),
        "integration.trust_shock_per_incident": draw(share),
        "adoption.base_churn": draw(share),
        "adoption.quality_churn_sensitivity": draw(st.floats(0.0, 100.0)),
        "adoption.trust_accuracy": draw(share),
        "adoption.return_rate": draw(share),
        "adoption.tiers.quick_start.ceiling": draw(share),
        "adoption.tiers.quick_start.innovation_p": draw(share),
        "adoption.tiers.quick_start.imitation_q": draw(share),
        "adoption.cohorts[0].size": draw(st.integers(0, 300)),
        "adoption.cohorts[0].start_month": draw(st.integers(0, h)),
        "adoption.cohorts[1].size": draw(st.integers(0, 300)),
        "adoption.cohorts[1].start_month": draw(st.integers(0, h)),
        "economics.tasks_per_user_month": draw(st.floats(0.0, 500.0)),
        "economics.minutes_saved_per_task": draw(st.floats(0.0, 60.0)),
        "economics.rework_minutes_per_error": draw(st.floats(0.0, 60.0)),
        "economics.build_cost": draw(money),
        "economics.platform_monthly": draw(money),
        "levers.feedback_loop.retrain_every_months": draw(st.integers(1, 12)),
    }
    for lever in ("variability_testing", "load_testing", "change_plan", "feedback_loop"):
        ch[f"levers.{lever}.enabled"] = draw(st.booleans())
    return base.with_values(ch)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_shares_bounds_counts_and_no_nan(seed_case, data, seed):
    sc = data.draw(scenarios(seed_case))
    res = simulate(sc, paths=64, seed=seed)
    traj = res.trajectories
    acc = traj[TRAJ.index("accuracy")]
    active = traj[TRAJ.index("active_users")]
    assert np.all(np.isfinite(traj))
    assert np.all((acc >= 0) & (acc <= 1))
    assert np.all(active >= 0)
    assert np.all(active <= res.registered[:, None])  # active <= registered, every month
    for m in ("active_rate_m6", "active_rate_final", "launch_accuracy", "accuracy_m6",
              "accuracy_final"):
        v = res.metric(m)
        assert np.all((v >= 0) & (v <= 1)), m
    for m in ("npv", "pv_benefit", "pv_cost", "pilot_lens_npv", "incidents",
              "pilot_users_lapsed_m6"):
        assert np.all(np.isfinite(res.metric(m))), m
    lapsed = res.metric("pilot_users_lapsed_m6")
    assert np.all((lapsed >= 0) & (lapsed <= sc.pilot.users))
    # ROI, payback and IRR are missing exactly where they are undefined.
    pvc = res.metric("pv_cost")
    assert np.array_equal(np.isnan(res.metric("roi")), pvc <= 0)
    pay = res.metric("payback_month")
    assert np.all(np.isnan(pay) | ((pay >= 0) & (pay <= res.horizon)))
    assert not res.bands["value"].isna().any()
    rate = res.bands.query("metric == 'active_rate'")["value"]
    assert rate.between(0, 1).all()


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32),
       m1=st.floats(0.0, 30.0), dm=st.floats(0.0, 30.0))
def test_npv_never_falls_when_minutes_saved_rise(seed_case, data, seed, m1, dm):
    sc = data.draw(scenarios(seed_case))
    lo = simulate(sc.with_values({"economics.minutes_saved_per_task": m1}), paths=64,
                  seed=seed, bands=False, pilot_lens=False).metric("npv")
    hi = simulate(sc.with_values({"economics.minutes_saved_per_task": m1 + dm}), paths=64,
                  seed=seed, bands=False, pilot_lens=False).metric("npv")
    # Same seed = same adoption and incident paths: per path, more value never hurts.
    assert np.all(hi >= lo - 1e-9 * (1 + np.abs(lo)))
