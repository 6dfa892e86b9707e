"""The diagnosis' verdicts: posterior probabilities, how sure the wording is, either-or
pairs of modes the actuals cannot tell apart and the observation that would separate them.

Scenario-free test data: actuals typed here, conditioned on one shared prior run.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from simulator import simulate
from simulator.actuals import ObservationModel, condition, diagnose, reads_actuals
from simulator.actuals.diagnose import MARGIN, THRESHOLD, separating_observation

N = 6_000


@pytest.fixture(scope="module")
def prior(seed_case):
    return simulate(seed_case, paths=N, seed=3, horizon=12, pilot_lens=False)


def _post(prior, csv: str, spot_checks: int = 200):
    return condition(prior, reads_actuals(csv, 12),
                     obs=ObservationModel(accuracy_spot_checks=spot_checks))


def test_no_actuals_leaves_the_prior_probabilities(prior):
    d = diagnose(condition(prior, None))
    assert d.sentence.startswith("No actuals yet")
    m = d.modes
    # Equal weights on the prior run: the posterior probability is the prior's, which is
    # the share of the prior's ranks above 0.5 + MARGIN (0.3 up to ties of size 1/N).
    assert np.allclose(m["prob_worse"], m["prior_prob_worse"])
    assert np.all(np.abs(m["prior_prob_worse"] - (0.5 - MARGIN)) <= 2 / N)
    assert set(m["verdict"]) == {"no clear shift"}
    assert d.status == "clear" and d.top_mode is None and not d.alarm


def test_a_clear_failure_is_named_with_its_probability(prior):
    # Accuracy far below every prior path's launch accuracy from the first month on.
    csv = "month,accuracy\n" + "".join(f"{m},0.78\n" for m in range(1, 7))
    d = diagnose(_post(prior, csv))
    row = d.modes.iloc[0]
    assert row["mode"] == "data_quality" and row["prob_worse"] >= THRESHOLD
    assert d.top_mode == "data_quality" and d.status == "worse" and d.alarm
    assert re.search(r"data quality likely worse than assumed \(posterior probability "
                     r"(0\.\d\d|1\.00) that its launch accuracy is past the prior's 70th "
                     r"percentile", d.sentence), d.sentence
    # Probabilities are probabilities, and their Monte Carlo errors are reported.
    assert ((d.modes["prob_worse"] >= 0) & (d.modes["prob_worse"] <= 1)).all()
    assert (d.modes["prob_worse_se"] >= 0).all()
    assert (d.modes["prob_worse"] + d.modes["prob_better"] <= 1 + 1e-12).all()


def test_level_or_trend_is_an_either_or(prior):
    """One sharp accuracy reading at month 12, four points under the prior's median: low
    launch accuracy (data quality) or fast drift explain it equally, so the two modes'
    composites are negatively correlated under the posterior and neither is named."""
    d = diagnose(_post(prior, "month,accuracy\n12,0.79\n", spot_checks=5_000))
    pair = d.confounded[(d.confounded["mode_a"] == "data_quality")
                        & (d.confounded["mode_b"] == "feedback")]
    assert len(pair) == 1, d.confounded
    p = pair.iloc[0]
    assert p["correlation"] <= -0.3
    assert p["prob_either_worse"] >= max(p["prob_a_worse"], p["prob_b_worse"])
    assert "accuracy spot checks over more months" in p["separating_observation"]
    assert "vsi" in d.confounded.columns
    if p["status"] == "inconclusive":
        assert d.status == "inconclusive" and d.top_mode is None and d.alarm
        assert "cannot tell data quality from drift" in d.sentence
        assert "Inconclusive: accuracy spot checks over more months" in d.sentence
    else:  # one of them reached the threshold: the overlap is still said
        assert p["status"] == "overlapping"
        assert "partly explain the same observations" in d.sentence
    assert d.correlation.loc["data_quality", "feedback"] == pytest.approx(p["correlation"])


def test_separating_observation_names_what_is_missing(prior):
    no_acc = _post(prior, "month,registered,active_users\n6,200,30\n")
    text = separating_observation("change_management", "data_quality", no_acc)
    assert text == "accuracy spot checks (none in these actuals)"
    assert "incident counts (none in these actuals)" in separating_observation(
        "integration", "change_management", no_acc)
    with_acc = _post(prior, "month,accuracy,incidents\n3,0.86,1\n6,0.85,0\n")
    assert separating_observation("data_quality", "change_management",
                                  with_acc) == "more accuracy spot checks per month"
    assert "more months of incident counts" in separating_observation(
        "integration", "data_quality", with_acc)


def test_bad_margin_or_threshold_is_one_line(prior):
    post = condition(prior, None)
    for kw in ({"margin": 0.6}, {"threshold": 0.4}, {"threshold": 1.0}):
        with pytest.raises(ValueError, match="must lie in"):
            diagnose(post, **kw)
