"""Each path's expected incidents per month, from a run's arrays: the kernel's own rate.

The kernel draws month t's incidents as Poisson(min(cap, lambda_pilot (load / pilot
users)^alpha_t)) with the load the active users at the start of the month and alpha_t the
load exponent, cut by the load-testing lever from the month it takes effect: its
``enabled_from_month``, or the month after a failing gate that switches it on. This is
the one place outside the kernel that restates that rule (the update's likelihood reads
it); tests/test_actuals_incident_rate.py holds it to the reference model's own rates.
"""

from __future__ import annotations

import numpy as np

from .lane_draws import LAMBDA_CAP
from .layout import (
    ACTION_HOLD,
    ACTION_STOP,
    ALPHA,
    F_LT,
    G_ACTION,
    G_LV_LT,
    G_MONTH,
    GATE_FAIL,
    LAM_PILOT,
    LT_CUT,
    ModelArrays,
)


def load_testing_month(m: ModelArrays, gate_out: np.ndarray | None) -> np.ndarray:
    """Per path: the month the load-testing cut takes effect (a large number if never)."""
    n = m.n_paths
    start = np.full(n, int(m.flags[F_LT]), dtype=np.int64)
    if gate_out is None or m.gates.shape[0] == 0:
        return start
    for g in range(m.gates.shape[0]):
        row = m.gates[g]
        if row[G_LV_LT] != 1.0 or int(row[G_ACTION]) in (ACTION_HOLD, ACTION_STOP):
            continue
        failed = gate_out[:, g] == GATE_FAIL
        start = np.where(failed, np.minimum(start, int(row[G_MONTH]) + 1), start)
    return start


def incident_rates(m: ModelArrays, active: np.ndarray,
                   gate_out: np.ndarray | None = None) -> np.ndarray:
    """(H'+1, N) expected incidents per month for the months of ``active`` (H'+1, N).

    ``active`` holds each path's active users at the end of each month (the run's
    active-user trajectory); ``gate_out`` the run's per-path gate results (needed when a
    gate can switch load testing on).
    """
    x = m.x
    lam0 = x[:, m.core_cols[LAM_PILOT]]
    alpha0 = x[:, m.core_cols[ALPHA]]
    cut = x[:, m.core_cols[LT_CUT]]
    start = load_testing_month(m, gate_out)
    load = np.asarray(active, dtype=np.float64)
    months = np.arange(load.shape[0])[:, None]
    alpha = np.where(months >= start[None, :], alpha0 * (1.0 - cut), alpha0)
    rates = np.zeros_like(load)
    prev = load[:-1]
    pilot = float(m.cohort_size[0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lam = lam0[None, :] * (prev / pilot) ** alpha[1:]
    ok = (prev > 0) & (lam0[None, :] > 0)
    rates[1:] = np.where(ok, np.minimum(LAMBDA_CAP, lam), 0.0)
    return rates
