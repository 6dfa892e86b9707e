"""Streamed runs (kernel on chunks of paths, bands across the chunks) give the bands,
usage telemetry, summary and per-path results of the whole run bit for bit, whatever the
chunk size and the thread count; they keep no trajectories and say so."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import budget, simulate
from simulator.engine import bands as B
from simulator.engine import bands_stream as BS
from simulator.engine.bands import NonFiniteTrajectoryError, bands_from_trajectories, default_qs
from simulator.engine.bands_stream import StreamBandsFailed, StreamingBands
from simulator.engine.rows_stream import StreamingRows
from simulator.telemetry import TELEMETRY_METRICS, rate_bands


def _stream(traj: np.ndarray, reg: np.ndarray, chunks: list[int]) -> np.ndarray:
    n = traj.shape[2]
    s = StreamingBands(n, reg, default_qs())
    a = 0
    for size in chunks + [n]:
        b = min(n, a + size)
        if b > a:
            s.add(np.ascontiguousarray(traj[:, :, a:b]), a)
        a = b
    return s.result()


def _traj(rng: np.random.Generator, n: int, months: int, kind: str) -> np.ndarray:
    """(5, months, n) float32 trajectories: continuous, integer counts with heavy ties,
    constant columns, or a mix."""
    if kind == "continuous":
        t = rng.lognormal(0.0, 1.5, size=(5, months, n))
    elif kind == "counts":
        t = rng.poisson(0.7, size=(5, months, n)).astype(float)
    elif kind == "constant":
        t = np.full((5, months, n), 12.0)
    else:
        t = np.where(rng.random((5, months, n)) < 0.6, 0.0, rng.normal(3.0, 2.0, (5, months, n)))
    return t.astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6000),
       kind=st.sampled_from(["continuous", "counts", "constant", "mixed"]),
       first=st.integers(1, 3000), rest=st.integers(1, 4000))
def test_streamed_bands_equal_whole_run_bands_bit_for_bit(seed, n, kind, first, rest):
    rng = np.random.default_rng(seed)
    traj = _traj(rng, n, 3, kind)
    reg = np.array([10.0, 20.0, 0.0])
    want = bands_from_trajectories(traj, reg, default_qs())
    got = _stream(traj, reg, [first] + [rest] * (n // rest + 1))
    np.testing.assert_array_equal(got, want)


def test_windows_keep_a_small_share_of_values():
    rng = np.random.default_rng(5)
    n = 40_000
    traj = _traj(rng, n, 2, "continuous")
    s = StreamingBands(n, np.ones(2), default_qs())
    for a in range(0, n, 10_000):
        s.add(np.ascontiguousarray(traj[:, :, a:a + 10_000]), a)
    kept = s.inside.sum() / (n * s.lo.shape[0])
    assert 0 < kept <= 1.2 * BS.window_fraction(default_qs(), 10_000) < 0.5
    np.testing.assert_array_equal(s.result(), bands_from_trajectories(traj, np.ones(2),
                                                                      default_qs()))


def test_a_window_that_misses_its_order_statistic_is_reported(monkeypatch):
    # Windows far too narrow (and a first chunk unlike the rest) cannot give the bands.
    monkeypatch.setattr(BS, "WINDOW_Z", 0.0)
    traj = np.concatenate([np.zeros((5, 1, 3000)), np.ones((5, 1, 3000))], axis=2)
    with pytest.raises(StreamBandsFailed):
        _stream(traj.astype(np.float32), np.ones(1), [3000])


def test_a_non_finite_value_in_a_later_chunk_names_its_path():
    traj = np.ones((5, 2, 3000), dtype=np.float32)
    traj[2, 1, 2500] = np.inf
    with pytest.raises(NonFiniteTrajectoryError, match="benefit in month 1 of path 2500"):
        _stream(traj, np.ones(2), [1000])


@pytest.mark.parametrize("case", ["seed_case.toml", "seed_case_staged.toml"])
@pytest.mark.parametrize("chunk", [700, 1000, 1999])  # partial last chunk or none
def test_a_streamed_run_equals_the_whole_run(monkeypatch, case, chunk):
    from conftest import SCENARIOS

    from simulator import load_scenario

    sc = load_scenario(SCENARIOS / case)
    whole = simulate(sc, paths=4000, seed=11, horizon=18)
    monkeypatch.setattr(budget, "STREAM_CHUNK_PATHS", chunk)
    streamed = simulate(sc, paths=4000, seed=11, horizon=18, keep_trajectories=False)
    assert whole.trajectories is not None and streamed.trajectories is None
    assert streamed.meta["streamed_trajectories"]
    np.testing.assert_array_equal(streamed.band_array, whole.band_array)
    np.testing.assert_array_equal(streamed.out, whole.out)
    np.testing.assert_array_equal(streamed.lens_npv, whole.lens_npv)
    if sc.gates:
        np.testing.assert_array_equal(streamed.gate_out, whole.gate_out)
    else:
        assert streamed.gate_out is None and whole.gate_out is None
    assert dict(streamed.summary) == dict(whole.summary)
    # the usage telemetry too: its bands and each path's month-6 values, bit for bit
    assert set(streamed.bands["metric"]) == set(B.METRICS) | set(TELEMETRY_METRICS)
    assert streamed.bands.equals(whole.bands)
    assert streamed.paths.equals(whole.paths)
    tel = whole.telemetry
    np.testing.assert_array_equal(streamed.telemetry_band_array, np.stack(
        [rate_bands(tel[m], B.PERCENTILES) for m in TELEMETRY_METRICS], axis=1))
    np.testing.assert_array_equal(streamed.telemetry_at_m6, np.column_stack(
        [tel[m][6] for m in TELEMETRY_METRICS]))
    with pytest.raises(ValueError, match="streamed"):  # every month of every path: not kept
        _ = streamed.telemetry


def test_a_failed_stream_falls_back_to_the_whole_run(monkeypatch, seed_case):
    whole = simulate(seed_case, paths=3000, seed=2, horizon=12)
    monkeypatch.setattr(budget, "STREAM_CHUNK_PATHS", 1000)
    monkeypatch.setattr(BS, "WINDOW_Z", -1.0)  # windows that hold nothing: always fails
    calls = []
    real = StreamingBands.result

    def result(self):
        try:
            return real(self)
        except StreamBandsFailed:
            calls.append(1)
            raise

    monkeypatch.setattr(StreamingBands, "result", result)
    streamed = simulate(seed_case, paths=3000, seed=2, horizon=12, keep_trajectories=False)
    assert calls == [1]
    np.testing.assert_array_equal(streamed.band_array, whole.band_array)
    assert streamed.trajectories is None
    assert streamed.bands.equals(whole.bands) and streamed.paths.equals(whole.paths)


def test_a_failed_telemetry_stream_falls_back_to_the_whole_run(monkeypatch, seed_case):
    """The core bands stream but the telemetry's windows miss: the telemetry is taken
    from the whole run, the same bits."""
    whole = simulate(seed_case, paths=3000, seed=2, horizon=12)
    monkeypatch.setattr(budget, "STREAM_CHUNK_PATHS", 1000)
    calls = []

    def result(self):
        calls.append(1)
        raise StreamBandsFailed("forced")

    monkeypatch.setattr(StreamingRows, "result", result)
    streamed = simulate(seed_case, paths=3000, seed=2, horizon=12, keep_trajectories=False)
    assert calls == [1] and streamed.trajectories is None
    assert streamed.bands.equals(whole.bands) and streamed.paths.equals(whole.paths)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5000),
       kind=st.sampled_from(["continuous", "counts", "constant", "mixed"]),
       first=st.integers(1, 2500), rest=st.integers(1, 3000), split=st.integers(0, 6))
def test_streamed_rows_equal_whole_row_bands_bit_for_bit(seed, n, kind, first, rest, split):
    """Rows fed in two groups, chunk by chunk: rate_bands' percentiles and mean."""
    rng = np.random.default_rng(seed)
    rows = _traj(rng, n, 6, kind)[0].astype(np.float64) / 7.0  # (6, n), float64 values
    want = rate_bands(rows, B.PERCENTILES)
    s = StreamingRows(n, 6, default_qs())
    bounds = [0] + [min(n, first + i * rest) for i in range(n // rest + 2)] + [n]
    bounds = sorted(set(bounds))
    groups = [(0, rows[:split]), (split, rows[split:])]
    for c0, g in groups:
        if len(g):
            s.start(g[:, :bounds[1]], c0)
    for a, b in zip(bounds, bounds[1:], strict=False):
        for c0, g in groups:
            if len(g):
                s.add(g[:, a:b], a, c0)
    np.testing.assert_array_equal(s.result(), want)


def test_streamed_rows_refuse_chunks_out_of_order():
    s = StreamingRows(10, 2, default_qs())
    s.start(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="expected 0"):
        s.add(np.zeros((2, 5)), 5)


def test_large_runs_stream_and_small_ones_keep_their_trajectories():
    assert budget.streams_trajectories(1_000_000, 60)
    assert not budget.streams_trajectories(100_000, 60)
    assert not budget.streams_trajectories(1_000_000, 60, keep_trajectories=True)
    assert not budget.streams_trajectories(1_000_000, 60, bands=False)
    assert budget.streams_trajectories(200_000, 12, keep_trajectories=False)
    assert not budget.streams_trajectories(budget.STREAM_CHUNK_PATHS, 12,
                                           keep_trajectories=False)


_THREADS = """
import hashlib, sys
from simulator import budget, load_scenario, simulate
budget.STREAM_CHUNK_PATHS = 1500
res = simulate(load_scenario(sys.argv[1]), paths=5000, seed=42, horizon=24,
               keep_trajectories=False)
h = hashlib.sha256()
for a in (res.out, res.band_array, res.telemetry_band_array, res.telemetry_at_m6):
    h.update(a.tobytes())
print(h.hexdigest())
"""


def test_a_streamed_run_gives_the_same_bits_on_one_and_two_threads():
    from conftest import SCENARIOS

    digests = set()
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        r = subprocess.run([sys.executable, "-c", _THREADS, str(SCENARIOS / "seed_case.toml")],
                           env=env, capture_output=True, text=True, check=True)
        digests.add(r.stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_cli_run_of_a_streamed_size_writes_the_whole_runs_tables_and_says_it_streamed(
        tmp_path, monkeypatch, capsys):
    import pandas as pd
    from conftest import SCENARIOS

    from simulator.cli import main

    f = str(SCENARIOS / "seed_case.toml")
    assert main(["run", f, "--paths", "3000", "--horizon", "12", "--out",
                 str(tmp_path / "whole")]) == 0
    assert "streams" not in capsys.readouterr().out
    monkeypatch.setattr(budget, "STREAM_TRAJECTORY_BYTES", 0)
    monkeypatch.setattr(budget, "STREAM_CHUNK_PATHS", 1000)
    assert main(["run", f, "--paths", "3000", "--horizon", "12", "--out",
                 str(tmp_path / "streamed")]) == 0
    out = capsys.readouterr().out
    assert "streams its monthly trajectories" in out and "usage telemetry included" in out
    for name in ("bands.csv", "paths.csv", "summary.json"):  # telemetry rows and columns too
        assert (tmp_path / "whole" / name).read_bytes() == (
            tmp_path / "streamed" / name).read_bytes(), name
    assert "ever_used" in set(pd.read_csv(tmp_path / "streamed" / "bands.csv")["metric"])


def test_the_first_streamed_run_of_a_cli_process_says_when_it_compiles(monkeypatch, capsys):
    """A run too large to keep its trajectories compiles the streaming kernels the first
    time: the CLI says so once, before the run, and says nothing when they are cached."""
    from simulator import kernel_cache, simulation
    from simulator.cli import main

    monkeypatch.setattr(budget, "STREAM_CHUNK_PATHS", 500)
    monkeypatch.setattr(budget, "STREAM_TRAJECTORY_BYTES", 1)
    monkeypatch.setattr(simulation, "_first_stream_hooks", [])
    monkeypatch.setattr(kernel_cache, "stream_kernels_cached", lambda: False)
    argv = ["run", "scenarios/seed_case.toml", "--paths", "1200", "--horizon", "12"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("Compiling the streaming-band kernels") == 1
    assert not simulation._first_stream_hooks  # used up: said once per process
    monkeypatch.setattr(kernel_cache, "stream_kernels_cached", lambda: True)
    assert main(argv) == 0
    assert "streaming-band" not in capsys.readouterr().err
