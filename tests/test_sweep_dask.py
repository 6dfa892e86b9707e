"""The Dask backends give the in-process numbers bit for bit, and resume across backends.

One 2-worker LocalCluster on 127.0.0.1 serves the module (start-up and loading numba's
cache in the workers cost a few seconds); the scheduler-address backend connects to the
same cluster.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("distributed")

from simulator.sweep import (  # noqa: E402
    POINT,
    DaskScheduler,
    InProcess,
    LocalDask,
    Sweep,
    SweepError,
    make_backend,
    parts_dir,
    run_sweep,
)

METRICS = ("npv_p10", "npv_p50", "npv_p90", "npv_mean", "prob_npv_positive",
           "active_rate_m6_p50", "payback_month_p50", "expectation_gap")


@pytest.fixture(scope="module")
def cluster():
    with LocalDask(workers=2) as be:
        yield be


@pytest.fixture(scope="module")
def sweep(seed_case):
    return Sweep(seed_case, {"economics.hourly_cost": "40,80",
                             "levers.feedback_loop.enabled": "false,true",
                             "adoption.cohorts[0].size": "50,150"},
                 metrics=METRICS, paths=1_000, seed=13)


@pytest.fixture(scope="module")
def in_process(sweep):
    return run_sweep(sweep, backend=InProcess())


def test_local_cluster_is_on_loopback_with_one_numba_thread(cluster):
    info = cluster.client.scheduler_info()
    assert len(info["workers"]) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in info["workers"])
    assert all(w["nthreads"] == 1 for w in info["workers"].values())
    env = cluster.client.run(lambda: __import__("os").environ.get("NUMBA_NUM_THREADS"))
    assert set(env.values()) == {"1"}


def test_local_cluster_gives_identical_numbers(cluster, sweep, in_process):
    table = run_sweep(sweep, backend=cluster, chunk_size=3)
    assert len(table) == 8
    pd.testing.assert_frame_equal(table, in_process, check_exact=True)


def test_scheduler_address_gives_identical_numbers(cluster, sweep, in_process):
    with DaskScheduler(cluster.cluster.scheduler_address) as be:
        assert be.workers == 2
        table = run_sweep(sweep, backend=be)
    pd.testing.assert_frame_equal(table, in_process, check_exact=True)


def test_interrupted_cluster_run_resumes_in_process(cluster, sweep, in_process, tmp_path):
    out = tmp_path / "s.parquet"

    def stop(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, backend=cluster, out=out, progress=stop, chunk_size=2)
    kept = pd.concat(pd.read_parquet(f) for f in parts_dir(out).glob("part-*.parquet"))
    assert 2 <= kept[POINT].nunique() < 8
    resumed = run_sweep(sweep, out=out, resume=True)
    pd.testing.assert_frame_equal(resumed, in_process, check_exact=True)
    # the cluster is still usable after the cancelled run
    assert len(run_sweep(sweep, backend=cluster)) == 8


def test_unreachable_scheduler_is_a_clear_error(sweep):
    with pytest.raises(SweepError, match="scheduler tcp://127.0.0.1:9: cannot connect"):
        with DaskScheduler("tcp://127.0.0.1:9", timeout=1):
            pass


def test_backend_options_are_checked():
    with pytest.raises(SweepError, match="not both"):
        make_backend(workers=2, scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(SweepError, match="workers: 0"):
        make_backend(workers=0)
    assert isinstance(make_backend(), InProcess)


def test_benchmark_script_runs_small(tmp_path):
    """benchmarks/sweep_bench.py in miniature: it runs, checks identity, writes JSON."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "sweep.json"
    r = subprocess.run([sys.executable, str(root / "benchmarks" / "sweep_bench.py"),
                        "--points", "6", "--paths", "200", "--repeats", "1", "--json",
                        str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["identical_tables"] is True
    assert [row["points"] for row in data["results"]] == [6, 6]
    assert all(row["points_per_s"] > 0 for row in data["results"])
