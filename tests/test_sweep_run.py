"""Running sweeps in-process: same numbers as simulate, common random numbers, resume."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from simulator import simulate
from simulator.sweep import (
    POINT,
    Progress,
    Sweep,
    SweepError,
    evaluate,
    parts_dir,
    read_table,
    run_sweep,
)

METRICS = ("npv_p10", "npv_p50", "npv_p90", "npv_mean", "prob_npv_positive",
           "active_rate_m6_p50", "payback_month_p50", "expectation_gap")


def test_each_row_is_the_plain_simulation_of_its_point(seed_case):
    sw = Sweep(seed_case, {"levers.feedback_loop.enabled": "false,true",
                           "adoption.cohorts[0].size": "50,150"},
               metrics=METRICS, paths=200, seed=5)
    table = run_sweep(sw)
    assert list(table.columns) == [POINT, *sw.inputs, *METRICS]
    for _, row in table.iterrows():
        sc = seed_case.with_values({"levers.feedback_loop.enabled": bool(row.iloc[1]),
                                    "adoption.cohorts[0].size": int(row.iloc[2])})
        s = simulate(sc, paths=200, seed=5).summary  # bands and lens on: same numbers
        want = [np.nan if s[m] is None else s[m] for m in METRICS]
        np.testing.assert_array_equal(row[list(METRICS)].to_numpy(float), want)


def test_evaluate_skips_bands_and_lens_without_changing_numbers(seed_case):
    full = simulate(seed_case, paths=300, seed=2).summary
    got = evaluate(seed_case, 300, 2, None, ("npv_p50", "roi_p50"), pilot_lens=False)
    assert got.tolist() == [full["npv_p50"], full["roi_p50"]]


def test_common_random_numbers_make_differences_exact(seed_case):
    """Build cost is paid at month 0 on every path, adoption ignores it: with common
    random numbers every NPV quantile moves by exactly the change, and nothing else
    moves at all; independent seeds would add noise of about the NPV's standard error."""
    sw = Sweep(seed_case, {"economics.build_cost": "lin:150000:350000:5"},
               metrics=("npv_p10", "npv_p50", "npv_mean", "active_rate_m6_p50",
                        "npv_p50_se"), paths=500, seed=9)
    t = run_sweep(sw)
    step = 50_000.0
    for m in ("npv_p10", "npv_p50", "npv_mean"):
        np.testing.assert_allclose(np.diff(t[m]), -step, rtol=0, atol=1e-6)
    assert t["active_rate_m6_p50"].nunique() == 1
    # Without common random numbers the same comparison is off by Monte Carlo noise:
    a = simulate(seed_case.with_values({"economics.build_cost": 150_000.0}), 500, 9,
                 bands=False).summary
    b = simulate(seed_case.with_values({"economics.build_cost": 200_000.0}), 500, 10,
                 bands=False).summary
    assert abs((b["npv_p50"] - a["npv_p50"]) + step) > 1e-3 * a["npv_p50_se"]


def test_two_hundred_points_of_two_thousand_paths(seed_case):
    """The suite-sized big sweep (~10 s): shape, exact build-cost steps, monotone cost."""
    sw = Sweep(seed_case, {"economics.build_cost": "lin:100000:400000:20",
                           "economics.platform_monthly": "lin:2000:11000:10"},
               metrics=("npv_p50", "prob_npv_positive", "active_rate_m6_p50"),
               paths=2_000, seed=7)
    t = run_sweep(sw)
    assert t.shape == (200, 6)
    assert t[POINT].tolist() == list(range(200))
    assert t[["npv_p50", "prob_npv_positive"]].notna().all().all()
    grid = t.pivot(index="economics.build_cost", columns="economics.platform_monthly",
                   values="npv_p50").to_numpy()
    assert (np.diff(grid, axis=0) < 0).all() and (np.diff(grid, axis=1) < 0).all()
    np.testing.assert_allclose(np.diff(grid, axis=0), -300_000 / 19, rtol=0, atol=1e-6)
    prob = t.pivot(index="economics.build_cost", columns="economics.platform_monthly",
                   values="prob_npv_positive").to_numpy()
    assert (np.diff(prob, axis=0) <= 0).all() and (np.diff(prob, axis=1) <= 0).all()
    assert t["active_rate_m6_p50"].nunique() == 1


class Interrupt:
    """A progress callback that presses Ctrl-C once ``after`` points are done."""

    def __init__(self, after: int):
        self.after = after
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if done >= self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_resume_after_interruption_gives_the_uninterrupted_table(seed_case, tmp_path,
                                                                  suffix):
    sw = Sweep(seed_case, {"economics.hourly_cost": "40,80",
                           "levers.feedback_loop.enabled": "false,true",
                           "adoption.cohorts[1].size": "50,100"},
               metrics=METRICS, paths=300, seed=4)
    full = run_sweep(sw, out=tmp_path / f"full{suffix}")
    out = tmp_path / f"s{suffix}"
    stop = Interrupt(after=5)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sw, out=out, progress=stop, flush_points=1000, flush_seconds=1e9)
    assert not out.exists()
    kept = pd.concat(pd.read_parquet(f) for f in parts_dir(out).glob("part-*.parquet"))
    assert sorted(kept[POINT]) == list(range(5))  # finished points were kept
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(sw, out=out)  # not silently overwritten
    seen = Interrupt(after=10**9)
    resumed = run_sweep(sw, out=out, resume=True, progress=seen)
    assert seen.calls[0] == (5, 8) and seen.calls[-1] == (8, 8)
    assert len(seen.calls) == 1 + 3  # only the 3 missing points ran
    pd.testing.assert_frame_equal(resumed, full, check_exact=True)
    pd.testing.assert_frame_equal(read_table(out), read_table(tmp_path / f"full{suffix}"),
                                  check_exact=True)
    # the file holds the exact floats (CSV too: shortest round-trip repr)
    pd.testing.assert_frame_equal(read_table(out), full, check_exact=True, check_dtype=False)
    assert not parts_dir(out).exists()


def test_resume_refuses_parts_of_a_different_sweep(seed_case, tmp_path):
    sw = Sweep(seed_case, {"economics.hourly_cost": "40,50,60"}, paths=100)
    out = tmp_path / "s.parquet"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sw, out=out, progress=Interrupt(after=1))
    other = Sweep(seed_case, {"economics.hourly_cost": "40,50,60"}, paths=100, seed=8)
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(other, out=out, resume=True)
    assert len(run_sweep(sw, out=out, resume=True)) == 3


def test_plain_progress_lines_when_not_a_terminal(seed_case):
    buf = io.StringIO()
    with Progress(buf, every=0.0) as p:
        run_sweep(Sweep(seed_case, {"economics.hourly_cost": "40,50,60"}, paths=100),
                  progress=p)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("sweep: 0/3 points (0%)")
    assert lines[-1].startswith("sweep: 3/3 points (100%)") and "points/s" in lines[-1]
    assert "\r" not in buf.getvalue()  # no bar redraws in a log


def test_terminal_progress_is_a_tqdm_bar_with_rate_and_time_left(seed_case):
    buf = io.StringIO()
    with Progress(buf, bar=True) as p:
        run_sweep(Sweep(seed_case, {"economics.hourly_cost": "40,50,60"}, paths=100),
                  progress=p)
    text = buf.getvalue()
    assert "\r" in text and "3/3" in text and "pt/s" in text
    assert Progress(io.StringIO()).bar is False  # a StringIO is not a terminal
