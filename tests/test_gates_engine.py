"""Staged rollouts in the kernel: gates decided per path on what is observable.

Exact parity with the reference on addressed uniforms; the issue's invariants (a gate
that always passes changes nothing, a gate that always stops truncates the cash flows
exactly, unobservable inputs never move a decision, enabled_from_month = 0 is on).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.engine.layout import OUT, TRAJ, prepare
from simulator.engine.reference import reference_simulate
from simulator.scenario import ScenarioError
from simulator.simulation import run_kernel_gates, sample_inputs, simulate_inputs

N = 300


def _small(sc, gates=(), **changes):
    base = {"adoption.cohorts[0].size": 30, "adoption.cohorts[1].size": 25,
            "scenario.horizon_months": 18, "gates": list(gates)}
    base.update(changes)
    return sc.with_values(base)


HOLD = {"name": "m2 adoption", "month": 2, "min_active_rate": 0.25, "on_fail": "hold"}
STOP = {"name": "m4 quality", "month": 4, "min_accuracy": 0.80, "spot_checks": 150,
        "on_fail": "stop", "notice_months": 2, "wind_down_cost": 30_000.0}
SWITCH = {"name": "m1 incidents", "month": 1, "max_incidents": 0, "on_fail": "switch_levers",
          "levers": ["change_plan", "feedback_loop", "load_testing", "variability_testing"],
          "reonboard": True}
RELEASE = {"name": "m5 release", "month": 5, "min_active_rate": 0.05, "on_fail": "hold"}

GATED = {
    "hold_then_release": ([HOLD, RELEASE], {}),
    "stop": ([STOP], {}),
    "switch_and_reonboard": ([SWITCH], {}),
    "all": ([SWITCH, HOLD, STOP, RELEASE], {}),
    "levers_from_month": ([], {"levers.change_plan.enabled": True,
                               "levers.change_plan.enabled_from_month": 2,
                               "levers.feedback_loop.enabled": True,
                               "levers.feedback_loop.enabled_from_month": 4,
                               "levers.variability_testing.enabled": True,
                               "levers.variability_testing.enabled_from_month": 3,
                               "levers.load_testing.enabled": True,
                               "levers.load_testing.enabled_from_month": 1}),
}


@pytest.mark.parametrize("variant", sorted(GATED))
def test_gated_kernel_equals_reference(seed_case, variant):
    gates, changes = GATED[variant]
    sc = _small(seed_case, gates, **changes)
    x, names = sample_inputs(sc, N, seed=4)
    m = prepare(sc, x, names, sc.horizon)
    kseed = 987654321
    out_k, traj_k, g_k = run_kernel_gates(m, kseed, store=True)
    g_r = np.zeros((N, len(gates) + 2))
    out_r, traj_r = reference_simulate(m, kseed, gate_out=g_r)
    if gates:
        np.testing.assert_array_equal(g_k, g_r)
    ints = [OUT.index(k) for k in ("payback_month", "active_m6", "active_final", "incidents",
                                   "pilot_users_lapsed_m6")]
    np.testing.assert_array_equal(out_k[:, ints], out_r[:, ints])
    for k in ("active_users", "incidents"):
        np.testing.assert_array_equal(traj_k[TRAJ.index(k)], traj_r[TRAJ.index(k)])
    money = [OUT.index(k) for k in ("npv", "pv_benefit", "pv_cost", "accuracy_final")]
    np.testing.assert_allclose(out_k[:, money], out_r[:, money], rtol=1e-12, atol=1e-6)
    if gates:  # the variant exercises both outcomes of its gates
        results = g_k[:, :len(gates)]
        assert (results == 1).any() and (results == 0).any()


def test_a_gate_that_always_passes_changes_nothing(seed_case):
    always = {"name": "formality", "month": 3, "min_active_rate": 0.0, "max_incidents": 10**6,
              "on_fail": "stop"}
    plain = simulate(seed_case, paths=3000, seed=5, pilot_lens=False)
    gated = simulate(seed_case.with_values({"gates": [always]}), paths=3000, seed=5,
                     pilot_lens=False)
    np.testing.assert_array_equal(gated.out, plain.out)
    np.testing.assert_array_equal(gated.trajectories, plain.trajectories)
    assert (gated.gate_out[:, 0] == 1).all() and (gated.gate_out[:, 1] == -1).all()


def _deterministic(seed_case):
    """No random draw can differ from its mean: ceilings 0 or 1, adoption at once, no
    churn, returns or incidents, accuracy fixed."""
    return seed_case.with_values({
        "pilot.incidents_per_month": 0.0, "pilot.accuracy": 0.9, "data.ood_share": 0.0,
        "data.drift_per_month": 0.0, "adoption.base_churn": 0.0,
        "adoption.quality_churn_sensitivity": 0.0, "adoption.trust_accuracy": 0.5,
        "adoption.return_rate": 0.0,
        "adoption.tiers.quick_start.ceiling": 0.0, "adoption.tiers.pilot.ceiling": 1.0,
        "adoption.tiers.pilot.innovation_p": 1.0,
    })


def test_a_gate_that_always_stops_truncates_the_cash_flows_exactly(seed_case):
    sc = _deterministic(seed_case)
    stop = {"name": "never passes", "month": 4, "min_active_rate": 1.0, "on_fail": "stop",
            "notice_months": 2, "wind_down_cost": 25_000.0}
    gated = sc.with_values({"gates": [stop]})
    res = simulate(gated, paths=200, seed=3, pilot_lens=False)
    assert (res.gate_out[:, 0] == 0).all() and (res.gate_out[:, 1] == 4).all()
    # The same cash flows by hand, from the scenario's (fixed) numbers.
    acc = 0.9
    size0 = sc.pilot.users
    cohorts = sc.adoption.cohorts
    r_m = (1 + sc.scenario.discount_rate_annual) ** (1 / 12) - 1
    npv = np.zeros(res.n_paths)  # from each path's sampled money inputs
    for i in range(res.n_paths):
        xi = res.paths.iloc[i]
        cash = [-(xi["economics.build_cost"])]
        registered = size0
        for t in range(1, sc.horizon + 1):
            disc = (1 + r_m) ** -t
            if t <= 4:
                onboard = sum(c.size * xi[f"adoption.tiers.{c.tier}.cost_per_user"]
                              for c in cohorts if c.start_month == t)
                registered += sum(c.size for c in cohorts if c.start_month == t)
                tasks = size0 * xi["economics.tasks_per_user_month"]
                benefit = tasks * (acc * xi["economics.minutes_saved_per_task"]
                                   - (1 - acc) * xi["economics.rework_minutes_per_error"]
                                   ) * xi["economics.hourly_cost"] / 60
                cost = (xi["economics.platform_monthly"]
                        + xi["economics.licence_per_seat_month"] * registered
                        + xi["economics.inference_per_task"] * tasks
                        + xi["economics.support_per_active_user_month"] * size0 + onboard)
            else:
                benefit = 0.0
                cost = (xi["economics.platform_monthly"]
                        + xi["economics.licence_per_seat_month"] * registered
                        if t <= 6 else 0.0) + (25_000.0 if t == 5 else 0.0)
            cash.append((benefit - cost) * disc)
        npv[i] = sum(cash)
    np.testing.assert_allclose(res.metric("npv"), npv, rtol=1e-10)


def test_enabled_from_month_zero_is_enabled(seed_case):
    on = seed_case.with_levers(change_plan=True, feedback_loop=True)
    from0 = on.with_values({"levers.change_plan.enabled_from_month": 0,
                            "levers.feedback_loop.enabled_from_month": 0})
    a = simulate(on, paths=2000, seed=9, pilot_lens=False)
    b = simulate(from0, paths=2000, seed=9, pilot_lens=False)
    np.testing.assert_array_equal(a.out, b.out)
    later = simulate(on.with_values({"levers.feedback_loop.enabled_from_month": 6}),
                     paths=2000, seed=9, pilot_lens=False)
    # Later feedback: less improvement by the horizon, and its set-up cost discounted.
    assert later.metric("accuracy_final").mean() < a.metric("accuracy_final").mean()


def test_unobservable_inputs_never_move_a_gate_decision(seed_case):
    sc = seed_case.with_values({"gates": [SWITCH, HOLD, STOP, RELEASE]})
    x, names = sample_inputs(sc, 3000, 2)
    base = simulate_inputs(sc, x, names, 2, bands=False, pilot_lens=False)
    for path, delta in (("economics.minutes_saved_per_task", 3.0),
                        ("economics.build_cost", 1e5)):
        x2 = x.copy()
        x2[:, names.index(path)] += delta
        other = simulate_inputs(sc, x2, names, 2, bands=False, pilot_lens=False)
        np.testing.assert_array_equal(other.gate_out, base.gate_out)
        assert not np.array_equal(other.metric("npv"), base.metric("npv"))


@pytest.mark.parametrize(("gate", "message"), [
    ({"name": "g", "month": 3, "on_fail": "stop"}, "at least one of"),
    ({"name": "g", "month": 3, "min_active_rate": 0.2, "on_fail": "pause"}, "on_fail"),
    ({"name": "g", "month": 3, "min_active_rate": 0.2, "on_fail": "switch_levers"},
     "needs at least one lever"),
    ({"name": "g", "month": 3, "min_active_rate": 0.2, "on_fail": "switch_levers",
      "levers": ["magic"]}, "not a lever"),
    ({"name": "g", "month": 99, "min_active_rate": 0.2, "on_fail": "hold"}, "after the horizon"),
    ({"name": "g", "month": 3, "min_active_rate": 1.5, "on_fail": "hold"}, "min_active_rate"),
])
def test_bad_gates_get_one_line_each(seed_case, gate, message):
    with pytest.raises(ScenarioError) as e:
        seed_case.with_values({"gates": [gate]})
    text = str(e.value)
    assert message in text and "gates[0]" in text and "Traceback" not in text


def test_several_problems_in_one_gate_each_name_the_gate(seed_case):
    bad = {"name": "g", "month": 3, "on_fail": "pause", "levers": ["change_plan"]}
    with pytest.raises(ScenarioError) as e:
        seed_case.with_values({"gates": [{"name": "ok", "month": 2, "max_incidents": 3,
                                          "on_fail": "hold"}, bad]})
    lines = e.value.problems
    assert len(lines) == 3
    assert all(line.startswith("gates[1]") for line in lines), lines
