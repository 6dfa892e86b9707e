"""Expectation gap: lens reproduction, attribution sums, single-mode scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import simulate
from simulator.analysis import MODES, AnalysisError, expectation_gap, mode_switches
from simulator.scenario import combination_count

PATHS = 2_000
SEED = 11


@pytest.fixture(scope="module")
def seed_gap(seed_case):
    return expectation_gap(seed_case, paths=PATHS, seed=SEED, bootstrap=60)


def test_seed_case_gap_positive_and_matches_run_summary(seed_case, seed_gap):
    s = seed_gap.summary.iloc[0]
    run = simulate(seed_case, paths=PATHS, seed=SEED, bands=False).summary
    # Same paths and seed: the production median is the plain run's, exactly. The
    # analysis runs the lens on every path; the plain run estimates its median from its
    # first paths, within its standard error.
    assert s["npv_p50"] == pytest.approx(run["npv_p50"], rel=1e-12)
    assert abs(s["pilot_lens_npv"] - run["pilot_lens_npv"]) <= 3 * run["pilot_lens_npv_se"]
    assert abs(s["gap"] - run["expectation_gap"]) <= 3 * run["pilot_lens_npv_se"]
    per_path = seed_gap.npv
    assert s["prob_npv_ge_pilot_lens"] == float(np.mean(
        per_path["npv"] >= np.percentile(per_path["pilot_lens_npv"], 50)))
    assert s["gap_se"] > 0
    assert s["gap"] > 5 * s["gap_se"]


@pytest.mark.parametrize("name", ["seed_case", "all_levers"])
def test_four_transforms_reproduce_the_kernel_lens_per_path(name, request):
    sc = request.getfixturevalue(name)
    g = expectation_gap(sc, paths=PATHS, seed=SEED, bootstrap=0)
    lens = simulate(sc, paths=PATHS, seed=SEED, bands=False).lens_npv
    assert np.array_equal(g.npv["pilot_lens_npv"].to_numpy(), lens)
    assert bool(g.summary["lens_reproduced"].iloc[0])


def test_attributions_sum_to_the_total_gap(seed_gap):
    att = seed_gap.attribution.set_index("mode")
    total = seed_gap.gap
    modes = att.loc[list(MODES)]
    scale = abs(total)
    # one-at-a-time effects + interaction = total; same for "fixed last"; Shapley alone
    assert modes["alone"].sum() + att.loc["interaction", "alone"] == pytest.approx(
        total, abs=1e-9 * scale)
    assert modes["last"].sum() + att.loc["interaction", "last"] == pytest.approx(
        total, abs=1e-9 * scale)
    assert modes["shapley"].sum() == pytest.approx(total, abs=1e-9 * scale)
    assert modes["shapley_share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert att.loc["total", "shapley"] == total
    # every failure mode costs money in the source case
    assert (modes["shapley"] > 3 * modes["shapley_se"]).all()


def test_combination_table_is_consistent(seed_gap):
    c = seed_gap.combinations
    assert len(c) == combination_count(len(MODES))
    lens = c[c["n_on"] == 0].iloc[0]
    prod = c[c["n_on"] == len(MODES)].iloc[0]
    assert lens["gap_vs_lens"] == 0.0
    assert prod["gap_vs_lens"] == pytest.approx(seed_gap.gap, rel=1e-12)
    assert prod["npv_p50"] == seed_gap.summary["npv_p50"].iloc[0]


def _only(sc, active: str):
    """``sc`` with every failure mode but ``active`` switched off in the scenario itself."""
    changes: dict = {}
    for mode, (structure, values) in mode_switches(sc).items():
        if mode != active:
            changes.update(structure)
            changes.update(values)
    return sc.with_values(changes)


@pytest.mark.parametrize("active", MODES)
def test_single_active_mode_takes_the_whole_gap(seed_case, active):
    g = expectation_gap(_only(seed_case, active), paths=PATHS, seed=SEED, bootstrap=40)
    att = g.attribution.set_index("mode")
    total = g.gap
    assert total > 3 * g.summary["gap_se"].iloc[0]
    assert att.loc[active, "shapley"] == pytest.approx(total, rel=1e-9)
    assert att.loc[active, "alone"] == pytest.approx(total, rel=1e-9)
    for other in MODES:
        if other != active:
            assert abs(att.loc[other, "shapley"]) <= 1e-9 * total
    assert abs(att.loc["interaction", "alone"]) <= 1e-9 * total


def test_mean_statistic_and_bad_arguments(seed_case):
    g = expectation_gap(seed_case, paths=500, seed=SEED, stat="mean", bootstrap=0)
    att = g.attribution.set_index("mode")
    assert att.loc[list(MODES), "shapley"].sum() == pytest.approx(g.gap, rel=1e-9)
    assert g.gap == pytest.approx(g.npv["pilot_lens_npv"].mean() - g.npv["npv"].mean(),
                                  rel=1e-9)
    with pytest.raises(AnalysisError, match="stat"):
        expectation_gap(seed_case, paths=100, stat="p99")
    with pytest.raises(AnalysisError, match="bootstrap"):
        expectation_gap(seed_case, paths=100, bootstrap=-1)


def test_bootstrap_median_is_numpys_percentile_bit_for_bit():
    """The gap's compiled row medians equal np.percentile(.., 50, axis=1) exactly, also
    for ties, odd and even path counts and a single path."""
    import numpy as np

    from simulator.analysis.gap import _median_rows

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 1_000, 2_001):
        a = rng.standard_normal((16, n)) * 1e6
        a[3] = np.round(a[3], -6)  # many ties
        assert np.array_equal(_median_rows(a, axis=1), np.percentile(a, 50, axis=1))
        assert _median_rows(a) == np.percentile(a, 50)


def test_resampled_medians_equal_medians_of_the_resampled_matrix():
    """The bootstrap's medians from one sort per row and counts per path equal
    np.percentile of the resampled matrix bit for bit (ties, odd and even counts)."""
    from simulator.analysis.gap import _ResampledMedians

    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 1_000, 2_001):
        a = rng.standard_normal((16, n)) * 1e6
        a[3] = np.round(a[3], -6)  # many ties
        a[5] = 7.0  # a constant row
        medians = _ResampledMedians(a)
        for _ in range(20):
            idx = rng.integers(0, n, n)
            assert np.array_equal(medians.of(idx), np.percentile(a[:, idx], 50, axis=1))
