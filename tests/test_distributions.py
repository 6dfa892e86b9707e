"""Samplers against scipy.stats, Latin hypercube stratification, rank correlations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulator.distributions import Dist, column_rng, iman_conover, lhs_column, sample
from simulator.scenario import parse_scenario

N = 20_000

CASES = {
    "uniform": (Dist("uniform", (2.0, 5.0)), stats.uniform(2.0, 3.0)),
    "triangular": (Dist("triangular", (0.0, 0.3, 1.0)), stats.triang(0.3, 0.0, 1.0)),
    "pert": (Dist("pert", (10.0, 20.0, 60.0, 4.0)),
             stats.beta(1 + 4 * 10 / 50, 1 + 4 * 40 / 50, loc=10.0, scale=50.0)),
    "normal": (Dist("normal", (5.0, 2.0)), stats.norm(5.0, 2.0)),
    "lognormal": (Dist("lognormal", (1.0, 0.5)), stats.lognorm(0.5, scale=math.e)),
    "beta": (Dist("beta", (2.0, 5.0, 0.0, 1.0)), stats.beta(2.0, 5.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sampler_quantiles_and_moments_match_scipy(name):
    dist, ref = CASES[name]
    x = sample([dist], N, np.random.default_rng(1))[:, 0]
    # LHS puts exactly one point in each 1/N stratum, so empirical quantiles sit within
    # about one stratum of the true ones: compare on the probability scale.
    for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        assert abs(ref.cdf(np.quantile(x, q)) - q) < 2.0 / N + 1e-6, q
    # Mean: LHS variance is below plain MC's, so the plain MC standard error bounds it.
    se = ref.std() / math.sqrt(N)
    assert abs(x.mean() - ref.mean()) < 3 * se
    assert abs(x.std() / ref.std() - 1) < 0.02


def test_percentile_parametrisations_hit_their_p10_p90():
    sc_like = {"dist": "lognormal", "p10": 50.0, "p90": 200.0}
    from simulator.scenario import LogNormal, Normal
    d = LogNormal(**sc_like).to_dist(0, math.inf)
    assert d.quantile(0.1) == pytest.approx(50.0, rel=1e-8)
    assert d.quantile(0.9) == pytest.approx(200.0, rel=1e-8)
    n = Normal(dist="normal", p10=-1.0, p90=3.0).to_dist(-math.inf, math.inf)
    assert n.quantile(0.1) == pytest.approx(-1.0, abs=1e-10)
    assert n.quantile(0.9) == pytest.approx(3.0, abs=1e-10)


def test_lhs_has_one_point_per_stratum():
    n, d = 500, 7
    rng = np.random.default_rng(3)
    u = [lhs_column(n, column_rng(rng, f"input{j}")) for j in range(d)]
    for j in range(d):
        strata = np.floor(u[j] * n).astype(int)
        assert sorted(strata) == list(range(n))


def test_fixed_inputs_keep_other_columns_identical():
    """Common random numbers: fixing one input leaves every other input's draws unchanged."""
    a = [Dist("pert", (0, 1, 3, 4)), Dist("uniform", (0, 1)), Dist("normal", (0, 1))]
    b = [a[0], Dist("fixed", (0.5,)), a[2]]
    xa = sample(a, 1000, np.random.default_rng(9))
    xb = sample(b, 1000, np.random.default_rng(9))
    np.testing.assert_array_equal(xa[:, [0, 2]], xb[:, [0, 2]])
    assert np.all(xb[:, 1] == 0.5)


def test_an_inputs_draws_follow_its_name_not_its_position():
    """Two versions of a file are paired: adding, dropping or reordering inputs leaves the
    draws of every other input unchanged (each column is addressed by (seed, name))."""
    a = [Dist("pert", (0, 1, 3, 4)), Dist("uniform", (0, 1)), Dist("normal", (0, 1))]
    xa = sample(a, 800, np.random.default_rng(np.random.SeedSequence(4)),
                keys=["x.a", "x.b", "x.c"])
    xb = sample([a[2], Dist("beta", (2, 3, 0, 1)), a[0]], 800,
                np.random.default_rng(np.random.SeedSequence(4)), keys=["x.c", "x.new", "x.a"])
    np.testing.assert_array_equal(xa[:, 0], xb[:, 2])
    np.testing.assert_array_equal(xa[:, 2], xb[:, 0])
    xc = sample(a, 800, np.random.default_rng(np.random.SeedSequence(5)),
                keys=["x.a", "x.b", "x.c"])
    assert not np.array_equal(xa[:, 0], xc[:, 0])  # another seed, other draws
    with pytest.raises(ValueError, match="keys"):
        sample(a, 10, np.random.default_rng(1), keys=["x.a", "x.a", "x.c"])


def test_iman_conover_hits_target_and_keeps_margins():
    rng = np.random.default_rng(5)
    n = 5000
    x = np.column_stack([rng.gamma(2.0, size=n), rng.uniform(size=n), rng.normal(size=n)])
    target_s = np.array([[1.0, 0.6, -0.4], [0.6, 1.0, 0.0], [-0.4, 0.0, 1.0]])
    pearson = 2 * np.sin(np.pi * target_s / 6)
    y = iman_conover(x, pearson, rng)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(x[:, j]), np.sort(y[:, j]))
    rho = stats.spearmanr(y).statistic
    # Standard error of a Spearman coefficient ~ (1 - rho^2) / sqrt(n - 1).
    se = (1 - target_s**2) / math.sqrt(n - 1) + 1 / n
    assert np.all(np.abs(rho - target_s) < 4 * se + 0.01)


def test_scenario_correlations_are_achieved(seed_case):
    data = seed_case.to_dict()
    data["correlations"] = [
        {"a": "economics.minutes_saved_per_task", "b": "economics.tasks_per_user_month",
         "rho": 0.5},
        {"a": "data.ood_share", "b": "data.ood_accuracy", "rho": -0.3},
    ]
    sc = parse_scenario(data)
    from simulator.simulation import sample_inputs

    x, names = sample_inputs(sc, 8000, seed=2)
    col = {n: i for i, n in enumerate(names)}
    for c in data["correlations"]:
        r = stats.spearmanr(x[:, col[c["a"]]], x[:, col[c["b"]]]).statistic
        se = (1 - c["rho"] ** 2) / math.sqrt(len(x) - 1)
        assert abs(r - c["rho"]) < 4 * se + 0.01
    # LHS stratification survives the reordering.
    u = stats.beta(*_pert_ab(sc.inputs()["economics.minutes_saved_per_task"])).cdf(
        (x[:, col["economics.minutes_saved_per_task"]] - 4.0) / 11.0)
    counts = np.bincount(np.minimum((u * 100).astype(int), 99), minlength=100)
    assert counts.min() >= 79 and counts.max() <= 81  # 80 per percentile stratum


def _pert_ab(d: Dist) -> tuple[float, float]:
    lo, mode, hi, lam = d.params
    return 1 + lam * (mode - lo) / (hi - lo), 1 + lam * (hi - mode) / (hi - lo)


def test_invalid_correlation_matrix_is_rejected(seed_case):
    from simulator import ScenarioError

    data = seed_case.to_dict()
    a, b, c = "data.ood_share", "data.ood_accuracy", "data.drift_per_month"
    data["correlations"] = [{"a": a, "b": b, "rho": 0.95}, {"a": b, "b": c, "rho": 0.95},
                            {"a": a, "b": c, "rho": -0.95}]
    with pytest.raises(ScenarioError, match="positive definite"):
        parse_scenario(data)


def test_beta_family_fast_inverse_is_accurate_over_all_pert_shapes():
    """Every PERT shape inverts to within 1e-8 of the support (tails exact)."""
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 2001), [1e-12, 1e-9, 1 - 1e-9]])
    for f in np.linspace(0.0, 1.0, 41):
        d = Dist("pert", (0.0, float(f), 1.0, 4.0))
        ref = stats.beta(1 + 4 * f, 1 + 4 * (1 - f)).ppf(u)
        assert np.max(np.abs(d.ppf(u) - ref)) < 1e-8, f


@pytest.mark.parametrize("d, frozen", [
    (Dist("pert", (120.0, 300.0, 1000.0, 4.0)), stats.beta(1 + 4 * 180 / 880, 1 + 4 * 700 / 880,
                                                           loc=120.0, scale=880.0)),
    (Dist("beta", (0.5, 0.5, -2.0, 3.0)), stats.beta(0.5, 0.5, loc=-2.0, scale=5.0)),
    (Dist("beta", (1.0, 3.0, 0.0, 1.0)), stats.beta(1.0, 3.0)),
    (Dist("beta", (7.5, 0.8, 10.0, 11.0)), stats.beta(7.5, 0.8, loc=10.0, scale=1.0)),
])
def test_beta_family_inverse_is_accurate_on_any_support_and_shape(d, frozen):
    """Scaled supports and U- or J-shaped betas (infinite density at an end) invert to
    within 1e-8 of the support's width, by the Hermite inverse or the exact fallback."""
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 2001), [1e-12, 1e-9, 1 - 1e-9]])
    lo, hi = frozen.support()
    assert np.max(np.abs(d.ppf(u) - frozen.ppf(u))) < 1e-8 * (hi - lo)


def test_shapes_that_hung_scipys_pinv_sample_quickly():
    """Regression: PERT(0.85, 0.92, 0.94) (beta 4.08, 1.92) froze PINV's set-up."""
    code = ("from simulator.distributions import Dist; import numpy as np; "
            "print(Dist('pert', (0.85, 0.92, 0.94, 4.0)).ppf(np.linspace(0.01, 0.99, 5)))")
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_large_sample_is_the_same_on_any_number_of_threads(monkeypatch):
    """Large samples are drawn column by column on threads; each column is its own
    addressed stream, so the sample does not depend on the thread count."""
    from simulator import distributions

    dists = [Dist("pert", (0, 1, 3, 4)), Dist("uniform", (0, 1)), Dist("fixed", (2.0,)),
             Dist("lognormal", (0.0, 0.5)), Dist("beta", (2, 3, 0, 1))]
    keys = [f"x.{k}" for k in "abcde"]
    monkeypatch.setattr(distributions, "PARALLEL_SAMPLE_MIN", 100)
    runs = []
    for threads in (1, 2, 4):
        monkeypatch.setattr(distributions, "sampling_threads", lambda t=threads: t)
        runs.append(sample(dists, 3000, np.random.default_rng(np.random.SeedSequence(8)),
                           keys=keys))
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])
