"""The compiled kernel against the plain-numpy reference.

Exact where both consume the same addressed uniforms (the reference computes them with
its own numpy Philox and inverts them with scipy); statistical against the reference's
numpy Generator (tolerances from the standard errors of the paired difference).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.layout import OUT, TRAJ, prepare
from simulator.engine.reference import reference_simulate
from simulator.simulation import run_kernel, sample_inputs

N = 200


def _small(sc, **changes):
    """The scenario shrunk so the reference's inverse-CDF draws stay cheap."""
    base = {"adoption.cohorts[0].size": 30, "adoption.cohorts[1].size": 25,
            "scenario.horizon_months": 18}
    base.update(changes)
    return sc.with_values(base)


VARIANTS = {
    "as_rolled_out": {},
    "all_levers": {"levers.variability_testing.enabled": True,
                   "levers.load_testing.enabled": True,
                   "levers.change_plan.enabled": True,
                   "levers.feedback_loop.enabled": True,
                   "levers.feedback_loop.retrain_every_months": 2},
    "cohort_at_month_0": {"adoption.cohorts[0].start_month": 0},
    # Large cohorts: binomial means far above the small-mean search, so the draws go
    # through the search from the mode.
    "large_cohorts": {"adoption.cohorts[0].size": 4000, "adoption.cohorts[1].size": 2500,
                      "pilot.users": 60},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("lens", [False, True])
def test_kernel_equals_reference_on_shared_uniforms(seed_case, variant, lens):
    sc = _small(seed_case, **VARIANTS[variant])
    x, names = sample_inputs(sc, N, seed=11)
    m = prepare(sc, x, names, sc.horizon, lens=lens)
    kseed = 0x5DEECE66D_12345
    out_k, traj_k = run_kernel(m, kseed=kseed, store=True)
    out_r, traj_r = reference_simulate(m, kseed)
    ints = [OUT.index(k) for k in ("payback_month", "active_m6", "active_final", "incidents",
                                   "pilot_users_lapsed_m6")]
    np.testing.assert_array_equal(out_k[:, ints], out_r[:, ints])
    for k in ("active_users", "incidents"):
        np.testing.assert_array_equal(traj_k[TRAJ.index(k)], traj_r[TRAJ.index(k)])
    money = [OUT.index(k) for k in ("npv", "pv_benefit", "pv_cost", "launch_accuracy",
                                    "accuracy_m6", "accuracy_final")]
    np.testing.assert_allclose(out_k[:, money], out_r[:, money], rtol=1e-12, atol=1e-6)
    # Stored trajectories are float32: equal to the float64 reference after rounding.
    for k in ("accuracy", "benefit", "cost"):
        i = TRAJ.index(k)
        np.testing.assert_array_equal(traj_k[i], traj_r[i].astype(np.float32))
    irr = OUT.index("irr")
    np.testing.assert_array_equal(np.isnan(out_k[:, irr]), np.isnan(out_r[:, irr]))
    ok = ~np.isnan(out_r[:, irr])
    np.testing.assert_allclose(out_k[ok, irr], out_r[ok, irr], rtol=1e-7, atol=1e-9)


def test_parity_exercises_the_mechanisms(seed_case):
    """Guard against a vacuous parity test: the draws actually move things."""
    sc = _small(seed_case, **VARIANTS["all_levers"])
    x, names = sample_inputs(sc, N, seed=11)
    m = prepare(sc, x, names, sc.horizon)
    out, traj = run_kernel(m, kseed=5, store=True)
    assert out[:, OUT.index("incidents")].sum() > 0
    assert np.ptp(traj[TRAJ.index("active_users")][-1]) > 0
    acc = traj[TRAJ.index("accuracy")]
    assert (acc[-1] > acc[1]).mean() > 0.5  # retraining lifts accuracy on most paths


@pytest.mark.parametrize("variant", ["as_rolled_out", "all_levers"])
def test_internal_generator_matches_reference_statistically(seed_case, variant):
    sc = _small(seed_case, **VARIANTS[variant])
    n = 4000
    x, names = sample_inputs(sc, n, seed=3)
    m = prepare(sc, x, names, sc.horizon)
    out_k, traj_k = run_kernel(m, kseed=12345, store=True)
    out_r, traj_r = reference_simulate(m, rng=np.random.default_rng(99))
    series = {
        "npv": (out_k[:, OUT.index("npv")], out_r[:, OUT.index("npv")]),
        "active_m6": (out_k[:, OUT.index("active_m6")], out_r[:, OUT.index("active_m6")]),
        "incidents": (out_k[:, OUT.index("incidents")], out_r[:, OUT.index("incidents")]),
        "active_final": (traj_k[0, -1].astype(float), traj_r[0, -1]),
    }
    for name, (a, b) in series.items():
        # Same inputs per path, independent monthly shocks: compare means with the
        # standard error of the paired difference.
        d = a - b
        se = d.std(ddof=1) / math.sqrt(n)
        assert abs(d.mean()) < 4.0 * se + 1e-9, (name, d.mean(), se)


def test_a_slice_with_its_first_path_reproduces_the_run(seed_case):
    """Rows [a:b] run with first_path=a are exactly paths a..b-1 of the whole run."""
    sc = _small(seed_case)
    x, names = sample_inputs(sc, 700, seed=2)
    whole, traj = run_kernel(prepare(sc, x, names, sc.horizon), kseed=9, store=True)
    part, ptraj = run_kernel(prepare(sc, x[300:650], names, sc.horizon), kseed=9, store=True,
                             first_path=300)
    np.testing.assert_array_equal(part, whole[300:650])
    np.testing.assert_array_equal(ptraj, traj[:, :, 300:650])
