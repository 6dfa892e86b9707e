"""Published figures under other definitions of "active" (ever used, weekly, daily): the
reader validates their columns, the likelihood and the predictive checks map each to the
matching telemetry series of the paths (simulator.telemetry)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.actuals import ActualsError, condition, reads_actuals
from simulator.actuals.condition import prior_predictive_check
from simulator.actuals.conflict import predictive
from simulator.actuals.likelihood import ObservationModel, log_likelihood, path_data
from simulator.actuals.reader import with_definition

MONTHS = (12, 18, 24)


@pytest.fixture(scope="module")
def prior(seed_case):
    return simulate(seed_case, paths=1000, seed=7)


def _truth(prior):
    """A path whose ever-used share is far above its own and the prior's monthly share."""
    t = prior.telemetry
    gap = t["ever_used"][24] - t["active_rate"][24]
    j = int(np.argsort(gap)[int(0.9 * gap.size)])
    return {m: (int(round(t["ever_used"][m, j] * prior.registered[m])),
                int(prior.registered[m])) for m in MONTHS}


def _csv(column: str, figs: dict) -> str:
    rows = "".join(f"{m},{r},{k}\n" for m, (k, r) in figs.items())
    return f"month,registered,{column}\n" + rows


@pytest.mark.parametrize("text, words", [
    ("month,registered,ever_used_users\n3,100,120\n", "column ever_used_users: 120 is above "
     "registered 100"),
    ("month,weekly_active_users\n3,-1\n", "column weekly_active_users: -1 is below 0"),
    ("month,daily_active_users\n3,2.5\n", "column daily_active_users: 2.5 is not a whole"),
    ("month,active_users,weekly_active_users\n3,10,12\n", "column weekly_active_users: 12 "
     "is above active_users 10"),
    ("month,ever_used_users,active_users\n3,10,12\n", "column active_users: 12 is above "
     "ever_used_users 10"),
])
def test_reader_refuses_bad_definition_counts_in_one_line(text, words):
    with pytest.raises(ActualsError) as e:
        reads_actuals(text)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_reader_accepts_every_definition():
    a = reads_actuals("month,registered,ever_used_users,active_users,weekly_active_users,"
                      "daily_active_users\n2,100,80,50,30,10\n")
    assert [a.column(c)[0] for c in ("ever_used_users", "active_users",
                                     "weekly_active_users", "daily_active_users")] == \
        [80, 50, 30, 10]
    assert a.n_observations == 5 and a.last_month == 2
    assert "ever_used_users" in a.to_csv().splitlines()[0]


def test_each_definition_reads_its_own_telemetry_series(prior):
    """The likelihood of k out of n under a definition is the beta-binomial at the path's
    matching telemetry share (ever used: exactly; weekly: the path's own usage draw)."""
    d = path_data(prior)
    tel = prior.telemetry
    for col, series in (("ever_used_users", "ever_used"),
                        ("weekly_active_users", "weekly_active_rate"),
                        ("daily_active_users", "daily_active_rate")):
        np.testing.assert_allclose(d.series(col)[:, :, 0], tel[series], rtol=1e-12)
    figs = predictive(d, reads_actuals(_csv("ever_used_users", {12: (90, 200)})),
                      ObservationModel(), np.random.default_rng(1))
    assert [f.figure for f in figs] == ["ever_used_share"]
    assert abs(np.mean(figs[0].draws) - tel["ever_used"][12].mean()) < 4 * (
        np.std(figs[0].draws) / np.sqrt(figs[0].draws.size))


def test_ever_used_figures_condition_on_ever_used_not_on_monthly(prior):
    figs = _truth(prior)
    as_ever = reads_actuals(_csv("ever_used_users", figs))
    as_monthly = reads_actuals(_csv("active_users", figs))
    obs = ObservationModel()
    # Read as monthly actives, the same counts conflict with the prior predictive.
    _, conf_monthly = prior_predictive_check(prior, as_monthly, obs)
    assert conf_monthly and conf_monthly[0]["figure"] == "active_share"
    _, conf_ever = prior_predictive_check(prior, as_ever, obs)
    assert conf_ever == []
    lik = log_likelihood(prior, as_ever, obs)
    assert set(lik.by_column) == {"ever_used_users"}
    post = condition(prior, as_ever)
    assert not post.collapsed
    assert not any("cannot explain" in n for n in post.notes), post.notes
    pp = post.posterior_predictive(prior.seed)
    assert [f.figure for f in pp] == ["ever_used_share"] * len(MONTHS)
    for f in pp:
        lo, hi = f.quantiles((5, 95), post.weights)
        assert lo <= f.actual <= hi, (f.month, lo, f.actual, hi)


def test_a_case_definition_moves_its_active_figures_to_their_column():
    a = reads_actuals("month,registered,active_users,accuracy\n2,100,60,0.9\n")
    ever = with_definition(a, "ever_used")
    assert ever.column("ever_used_users")[0] == 60 and np.isnan(ever.column("active_users")[0])
    assert ever.column("accuracy")[0] == 0.9
    assert with_definition(a, "monthly") is a
    with pytest.raises(ActualsError, match="'hourly' is not one of monthly"):
        with_definition(a, "hourly")
