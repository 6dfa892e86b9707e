"""Bands never read or write out of bounds: non-finite, empty, degenerate or mis-shaped
input gives NaN quantiles or one clear error line, never a crash.

`make test` runs this file once more with NUMBA_BOUNDSCHECK=1, so an out-of-bounds index
in the compiled code fails here as an IndexError instead of passing silently.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulator import ScenarioError
from simulator.engine.bands import (
    PERCENTILES,
    NonFiniteTrajectoryError,
    bands_from_trajectories,
    default_qs,
    quantiles_hist,
)
from simulator.engine.layout import TRAJ
from simulator.simulation import sample_inputs, simulate_inputs

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
QS = default_qs()


def _q(x: np.ndarray, qs: np.ndarray = QS) -> np.ndarray:
    out = np.full(qs.size, -12345.0)
    quantiles_hist(np.asarray(x, dtype=np.float64), qs, out)
    return out


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 300),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_any_column_gives_numpy_percentiles_or_nan(x):
    out = _q(x)
    if np.isfinite(x).all():
        np.testing.assert_array_equal(out, np.percentile(x, PERCENTILES))
    else:
        assert np.isnan(out).all()


@SETTINGS
@given(hnp.arrays(np.float32, st.integers(1, 200),
                  elements=st.floats(allow_nan=False, allow_infinity=False, width=32)))
def test_float32_columns_at_the_type_limits_are_exact(x):
    np.testing.assert_array_equal(_q(x), np.percentile(x.astype(np.float64), PERCENTILES))


@pytest.mark.parametrize("x", [
    [0.0, 5e-324, 0.0, 5e-324],        # spread so small that NBINS / spread is inf
    [-1.7e308, 1.7e308, 0.0],          # spread that overflows to inf
    [1.0] * 7,                          # no spread at all
])
def test_degenerate_spreads_are_exact(x):
    x = np.array(x)
    with np.errstate(over="ignore"):
        expected = np.percentile(x, PERCENTILES)
    np.testing.assert_array_equal(_q(x), expected)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 5, 99])
def test_non_finite_anywhere_gives_nan_not_an_index(bad, where):
    x = np.linspace(0.0, 1.0, 100)
    x[where] = bad
    assert np.isnan(_q(x)).all()


def test_empty_column_and_out_of_range_quantiles_stay_in_bounds():
    assert np.isnan(_q(np.array([]))).all()
    x = np.arange(10.0)
    np.testing.assert_array_equal(_q(x, np.array([-3.0, 0.0, 1.0, 7.0, np.nan])),
                                  [0.0, 0.0, 9.0, 9.0, 0.0])


def _traj(months: int = 4, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.random((len(TRAJ), months, n)).astype(np.float32),
            np.full(months, 100.0))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_trajectory_is_one_error_line(bad):
    traj, reg = _traj()
    traj[3, 2, 17] = bad  # cost, month 2, path 17
    with pytest.raises(NonFiniteTrajectoryError) as exc:
        bands_from_trajectories(traj, reg, QS)
    (line,) = exc.value.problems
    assert "cost in month 2 of path 17" in line and "not a finite number" in line
    assert isinstance(exc.value, ScenarioError) and "\n" not in str(exc.value)


@pytest.mark.parametrize(("traj", "reg", "qs", "needle"), [
    (np.zeros((2, 3, 4)), np.ones(3), QS, "trajectories: shape"),
    (np.zeros((len(TRAJ), 3, 0)), np.ones(3), QS, "trajectories: shape"),
    (np.zeros((len(TRAJ), 3, 4)), np.ones(2), QS, "registered: shape"),
    (np.zeros((len(TRAJ), 3, 4)), np.ones(3), np.array([0.5, 1.5]), "qs:"),
    (np.zeros((len(TRAJ), 3, 4)), np.ones(3), np.array([np.nan]), "qs:"),
])
def test_mis_shaped_input_is_refused(traj, reg, qs, needle):
    with pytest.raises(ValueError, match=needle):
        bands_from_trajectories(traj, reg, qs)


def test_finite_trajectories_still_band(seed_case):
    traj, reg = _traj()
    out = bands_from_trajectories(traj, reg, QS)
    assert out.shape == (4, 8, QS.size + 1) and np.isfinite(out).all()


def test_inputs_too_large_for_float32_are_refused_not_crashed(seed_case):
    """Inputs that bypass validation (simulate_inputs takes any x) overflow the float32
    trajectories; the bands refuse them with one line instead of indexing with inf."""
    x, names = sample_inputs(seed_case, 64, 3)
    x[:, names.index("economics.support_per_active_user_month")] = 1e100
    with pytest.raises(NonFiniteTrajectoryError) as exc:
        simulate_inputs(seed_case, x, names, 3)
    assert len(exc.value.problems) == 1 and "cost in month" in exc.value.problems[0]


def test_non_finite_sampled_inputs_and_cash_flows_are_named_not_used():
    """simulate_inputs refuses NaN or inf inputs, naming each input that holds one; finite
    values whose total overflows are not mistaken for them; overflowed present values
    are refused with one line."""
    from simulator.simulation import _check_finite, _check_inputs_finite

    x = np.ones((50, 3))
    _check_inputs_finite(x, ["a", "b", "c"])
    x[:2, 1] = 1.7e308  # finite, but the total is inf
    _check_inputs_finite(x, ["a", "b", "c"])
    x[7, 0], x[9, 2] = np.nan, -np.inf
    with pytest.raises(ScenarioError) as err:
        _check_inputs_finite(x, ["a", "b", "c"])
    assert [p.split(":")[0] for p in err.value.problems] == ["a", "c"]
    out = np.zeros((40, 5))
    _check_finite(out)
    out[:3, 0] = 1.7e308  # finite present values whose total overflows: accepted
    _check_finite(out)
    out[5, 2] = np.inf
    out[6, 1] = np.nan
    with pytest.raises(ScenarioError, match="2 of 40 paths produced non-finite cash flows"):
        _check_finite(out)
