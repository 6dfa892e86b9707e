"""Calibration of the diagnosis on the source case (slow; runs in CI): false alarms on a
healthy rollout, and detection of a failure injected at the prior's 90th percentile.

One prior run is the prior of every seed's update (SMC with 1,000 particles; see
simulator.actuals.calibration_study); rates are binomial, bounds Wilson 95 %.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

from simulator import simulate
from simulator.actuals.calibration_study import (
    PRIOR_SEED,
    TARGET_DETECTION,
    WEAKLY_IDENTIFIED,
    rates,
    run_study,
    wilson_upper,
)
from simulator.actuals.diagnose import MODES

pytestmark = pytest.mark.slow

PATHS = 1_000


@pytest.fixture(scope="module")
def prior(seed_case):
    return simulate(seed_case, paths=PATHS, seed=PRIOR_SEED, horizon=12, pilot_lens=False)


def test_false_alarm_rate_on_a_healthy_rollout_at_6_months(seed_case, prior):
    """80 healthy rollouts: at most 10 % alarms, Wilson upper 95 % bound at most 20 %."""
    runs = run_study(seed_case, seeds=80, months=(6,), cases=("none",), prior=prior)
    k, n = int(runs["alarm"].sum()), len(runs)
    assert k / n <= 0.10, (k, n)
    assert wilson_upper(k, n) <= 0.20, (k, n)


def test_p90_failures_are_detected_or_explained_at_12_months(seed_case, prior):
    """Each mode's P90 failure is called in >= 60 % of 20 seeds, or it is listed as weakly
    identified (with the observation that would fix it) in the code and in the docs; and
    a wrong mode is named in at most a quarter of the seeds."""
    runs = run_study(seed_case, seeds=20, months=(12,), cases=MODES, prior=prior)
    r = rates(runs).set_index("case")
    docs = (ROOT / "docs" / "actuals.md").read_text(encoding="utf-8")
    for mode in MODES:
        row = r.loc[mode]
        if row["rate"] < TARGET_DETECTION:
            assert mode in WEAKLY_IDENTIFIED, (mode, row["rate"])
            why, fix = WEAKLY_IDENTIFIED[mode]
            assert why[:60] in docs and fix[:60] in docs, mode
        assert row["wrong_mode"] <= 0.25, (mode, row["wrong_mode"])
    # The data-quality failure is not excused: accuracy spot checks see it.
    assert "data_quality" not in WEAKLY_IDENTIFIED
