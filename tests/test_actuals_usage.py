"""Usage-frequency surveys (daily / weekly / less): format, likelihood, conditioning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import simulate
from simulator.actuals import ActualsError, ObservationModel, condition, reads_actuals
from simulator.actuals.usage import draw_usage, usage_log_likelihood

MIX = (0.35, 0.45, 0.20)


def test_likelihood_is_a_distribution_over_outcomes():
    n = 15
    rate = np.array([0.05, 0.4, 0.9])
    total = np.zeros(3)
    for d in range(n + 1):
        for w in range(n + 1 - d):
            total += np.exp(usage_log_likelihood(rate, d, w, n, MIX, 10.0, 0.005))
    np.testing.assert_allclose(total, 1.0, atol=1e-9)


def test_daily_share_alone_is_the_marginal_of_the_full_model():
    n, rate = 12, np.array([0.3, 0.7])
    for d in (0, 4, 9):
        full = sum(np.exp(usage_log_likelihood(rate, d, w, n, MIX, 10.0, 0.005))
                   for w in range(n + 1 - d))
        alone = np.exp(usage_log_likelihood(rate, d, None, n, MIX, 10.0, 0.005))
        np.testing.assert_allclose(alone, full, rtol=1e-9)


def test_likelihood_matches_the_generative_draws():
    n, rate = 20, 0.4
    rng = np.random.default_rng(3)
    d, w = draw_usage(np.full(200_000, rate), n, MIX, 10.0, 0.005, rng)
    for dd, ww in ((5, 4), (2, 6), (0, 0)):
        p = float(np.exp(usage_log_likelihood(np.array([rate]), dd, ww, n, MIX, 10.0,
                                              0.005))[0])
        emp = float(np.mean((np.rint(d * n) == dd) & (np.rint(w * n) == ww)))
        assert abs(emp - p) <= 4 * math.sqrt(p * (1 - p) / 200_000) + 1e-6, (dd, ww)


def test_large_survey_grid_approximation_is_close_to_exact(monkeypatch):
    from simulator.actuals import usage

    rate = np.linspace(0.3, 0.95, 7)
    exact = usage_log_likelihood(rate, 900, 1300, 3000, MIX, 10.0, 0.005)
    monkeypatch.setattr(usage, "MAX_K_POINTS", 200)
    approx = usage.usage_log_likelihood(rate, 900, 1300, 3000, MIX, 10.0, 0.005)
    # Differences of log-likelihood between paths are what weights use.
    np.testing.assert_allclose(approx - approx.max(), exact - exact.max(), atol=0.05)


def test_survey_columns_parse_and_round_trip():
    a = reads_actuals("month,registered,active_users,survey_n,used_daily,used_weekly,"
                      "used_less\n3,200,,80,0.25,0.46,0.29\n6,200,46,,,,\n")
    assert a.n_observations == 4  # 2 registered, 1 active, the survey counts once
    assert a.usage_counts() == [(0, 3, 20, 37, 80)]
    assert a.last_month == 6
    back = reads_actuals(a.to_csv())
    assert back.table.equals(a.table)
    # a daily share alone; or daily and less (weekly derived)
    c = reads_actuals("month,survey_n,used_daily\n12,400,0.67\n")
    assert c.usage_counts() == [(0, 12, 268, None, 400)]
    e = reads_actuals("month,survey_n,used_daily,used_less\n12,100,0.3,0.5\n")
    assert e.usage_counts() == [(0, 12, 30, 20, 100)]
    # used_less is optional (the rest)
    b = reads_actuals("month,survey_n,used_daily,used_weekly\n2,811,0.25,0.46\n")
    assert b.usage_counts() == [(0, 2, 203, 373, 811)]


@pytest.mark.parametrize("text, line", [
    ("month,survey_n,used_daily,used_weekly\n3,100,25,0.4\n",
     "row 2, column used_daily: 25 is outside [0, 1]"),
    ("month,used_daily,used_weekly\n3,0.2,0.4\n",
     "row 2, column survey_n: empty while usage shares are given"),
    ("month,survey_n,used_weekly\n3,100,0.4\n",
     "row 2, column used_daily: empty while survey_n is given"),
    ("month,survey_n,used_daily,used_weekly,used_less\n3,100,0.2,0.4,0.2\n",
     "row 2, column used_less: daily + weekly + less = 0.8"),
    ("month,survey_n,used_daily,used_weekly\n3,100,0.7,0.5\n",
     "row 2, column used_weekly: daily + weekly = 1.2 is above 1"),
    ("month,registered,survey_n,used_daily,used_weekly\n3,50,100,0.2,0.4\n",
     "row 2, column survey_n: 100 is above registered 50"),
    ("month,survey_n,used_daily,used_weekly\n3,12.5,0.2,0.4\n",
     "row 2, column survey_n: 12.5 is not a whole number"),
    ("month,survey_n,used_daily,used_weekly\n3,0,0.2,0.4\n",
     "row 2, column survey_n: 0 is below 1"),
])
def test_bad_survey_rows_name_row_column_and_value(text, line):
    with pytest.raises(ActualsError) as exc:
        reads_actuals(text)
    assert any(p.startswith(line) for p in exc.value.problems), exc.value.problems
    assert len(exc.value.problems) == 1


def test_observation_model_checks_the_mix():
    with pytest.raises(ActualsError, match="frequency_mix"):
        ObservationModel(frequency_mix=(0.5, 0.6, 0.1))
    with pytest.raises(ActualsError, match="frequency_concentration"):
        ObservationModel(frequency_concentration=0.0)


def test_survey_intervals_cover_the_true_active_rate(seed_case):
    """Truths drawn from the prior, one survey of 150 registered users at month 6: the
    posterior 80 % interval of the month-6 active rate covers the truth at ~80 %
    (3 binomial s.e. over 40 truths)."""
    obs = ObservationModel()
    prior = simulate(seed_case, paths=1_000, seed=7)
    truths = simulate(seed_case, paths=40, seed=77)
    rng = np.random.default_rng(4)
    rate = truths.metric("active_rate_m6")
    d, w = draw_usage(rate, 150, obs.frequency_mix, obs.frequency_concentration,
                      obs.active_overdispersion, rng)
    covered, widths = [], []
    for j in range(truths.n_paths):
        act = reads_actuals(f"month,survey_n,used_daily,used_weekly\n6,150,{d[j]:.6f},"
                            f"{w[j]:.6f}\n")
        post = condition(prior, act)
        x = post.metric("active_rate_m6")
        covered.append(post.quantile(x, 0.1) <= rate[j] <= post.quantile(x, 0.9))
        widths.append(post.quantile(x, 0.9) - post.quantile(x, 0.1))
    cov = float(np.mean(covered))
    assert abs(cov - 0.8) <= 3 * math.sqrt(0.16 / len(covered)), cov
    # A survey is informative: the posterior interval is narrower than the prior's on
    # average (the law of total variance promises it on average, not for every truth: a
    # truth in the prior's tail can widen it), by more than 3 s.e. of the mean width.
    prior_x = prior.metric("active_rate_m6")
    prior_width = np.percentile(prior_x, 90) - np.percentile(prior_x, 10)
    wid = np.asarray(widths)
    assert wid.mean() < prior_width - 3 * wid.std(ddof=1) / math.sqrt(wid.size), wid
