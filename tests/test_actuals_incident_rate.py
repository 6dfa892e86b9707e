"""The update's incident rate is the kernel's: one function (engine.incidents) rebuilds
each path's monthly Poisson rate from a run's arrays, with the load-testing cut from the
month the lever takes effect (its enabled_from_month, or after a failing gate), and equals
the rates the reference model draws from exactly."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.actuals.likelihood import path_data
from simulator.engine.incidents import incident_rates
from simulator.engine.layout import TR_ACTIVE, prepare
from simulator.engine.reference import reference_simulate
from simulator.simulation import sample_inputs, simulate

N = 400
SWITCH = {"name": "m3 incidents", "month": 3, "max_incidents": 0, "on_fail": "switch_levers",
          "levers": ["load_testing"]}
CASES = {
    "load testing from month 6": ([], {"levers.load_testing.enabled": True,
                                       "levers.load_testing.enabled_from_month": 6}),
    "load testing from month 0": ([], {"levers.load_testing.enabled": True,
                                       "levers.load_testing.enabled_from_month": 0}),
    "switched on by a gate": ([SWITCH], {}),
}


def _recorded_rates(m, rng_seed: int):
    """The reference model's own Poisson rates, month by month, and its trajectories."""
    record: list = []
    g = np.zeros((m.n_paths, m.gates.shape[0] + 2))
    _, traj = reference_simulate(m, rng=np.random.default_rng(rng_seed), record=record,
                                 gate_out=g)
    lams = [r[1] for r in record if r[0] == "poisson"]
    return lams, traj, g if m.gates.shape[0] else None


@pytest.mark.parametrize("case", sorted(CASES))
def test_engine_rate_equals_the_reference_models_draw_rate(seed_case, case):
    gates, changes = CASES[case]
    sc = seed_case.with_values({"gates": gates, **changes})
    x, names = sample_inputs(sc, N, seed=2)
    m = prepare(sc, x, names, 12)
    lams, traj, gate_out = _recorded_rates(m, 5)
    rates = incident_rates(m, traj[TR_ACTIVE], gate_out)
    months = [t for t in range(1, 13) if (rates[t] > 0).any()]
    assert len(months) == len(lams)
    for t, lam in zip(months, lams, strict=True):
        np.testing.assert_allclose(rates[t][rates[t] > 0], lam, rtol=1e-12)
    if gates:  # the gate switched load testing on for some paths and not for others
        assert (gate_out[:, 0] == 0).any() and (gate_out[:, 0] == 1).any()


def test_load_testing_from_month_6_is_not_applied_before_it(seed_case):
    """The drift issue 30 found: the old rebuild cut the exponent from month 0. Before
    month 6 the rate is the uncut one; from month 6 on it is the cut one."""
    on6 = seed_case.with_values({"levers.load_testing.enabled": True,
                                 "levers.load_testing.enabled_from_month": 6})
    off = seed_case.with_values({"levers.load_testing.enabled": False})
    res_on, res_off = simulate(on6, paths=N, seed=3), simulate(off, paths=N, seed=3)
    r_on, r_off = path_data(res_on).rates, path_data(res_off).rates
    # Same inputs and draws: before the lever acts, the trajectories and rates agree; in
    # month 6 (same load, the lever acting) every positive rate is cut.
    np.testing.assert_array_equal(res_on.trajectories[TR_ACTIVE, :6],
                                  res_off.trajectories[TR_ACTIVE, :6])
    np.testing.assert_allclose(r_on[1:6], r_off[1:6], rtol=1e-12)
    pos = r_off[6] > 0
    load = res_off.trajectories[TR_ACTIVE, 5][pos] / on6.pilot.users
    cut = load > 1  # above the pilot's load a smaller exponent means a smaller rate
    assert cut.any() and (r_on[6][pos][cut] < r_off[6][pos][cut]).all()
