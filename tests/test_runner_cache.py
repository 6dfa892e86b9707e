"""The app's shared result cache: bounded by bytes, one computation per key however many
sessions ask at once, read-only results, and the numba warm-up step."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from simulator import simulate
from simulator.ui import runner
from simulator.ui.runner import ResultCache, result_bytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small(seed_case):
    return simulate(seed_case, paths=200, seed=3)


def test_cache_is_bounded_by_bytes_least_recent_out(small, seed_case):
    n = result_bytes(small)
    assert n > 0
    cache = ResultCache(max_bytes=int(2.5 * n))
    for key in ("a", "b"):
        cache.get((key, 200, 3), lambda: simulate(seed_case, paths=200, seed=3))
    cache.get(("a", 200, 3), lambda: pytest.fail("a is cached"))  # a is now most recent
    cache.get(("c", 200, 3), lambda: simulate(seed_case, paths=200, seed=3))
    assert len(cache) == 2 and cache.nbytes <= cache.max_bytes
    calls = []
    cache.get(("b", 200, 3), lambda: calls.append(1) or small)  # b was evicted
    assert calls == [1]
    cache.get(("a", 200, 3), lambda: calls.append(2) or small)  # a was evicted by b
    assert calls == [1, 2] and len(cache) == 2


def test_concurrent_sessions_compute_a_run_once(small):
    cache = ResultCache(max_bytes=10**9)
    calls = []

    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.3)
        return small

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(("k", 1, 1), compute)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert cache.hits == 7 and cache.misses == 1


def test_shared_results_are_read_only_and_match_a_direct_run(seed_case):
    res = runner.run(seed_case, 300, 21)
    assert runner.run(seed_case, 300, 21) is res
    with pytest.raises(ValueError):
        res.out[0, 0] = 1.0
    direct = simulate(seed_case, paths=300, seed=21)
    np.testing.assert_array_equal(res.metric("npv"), direct.metric("npv"))
    np.testing.assert_array_equal(res.band_array, direct.band_array)


def test_warm_step_runs_and_reports():
    r = subprocess.run([sys.executable, "-m", "simulator.warm"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert re.search(r"simulation kernels ready \(\d+\.\d s\)", r.stderr)



def test_chart_specs_are_kept_with_the_result_with_arrow_datasets(seed_case):
    import pyarrow as pa

    from simulator.charts import specs

    res = simulate(seed_case, paths=200, seed=4)
    calls = []

    def build():
        calls.append(1)
        return specs.fan_spec(res.bands, "cum_net")

    kept = runner.chart_spec(res, "cum_net", build)
    assert runner.chart_spec(res, "cum_net", build) is kept and len(calls) == 1
    plain = specs.fan_spec(res.bands, "cum_net")
    assert {k: v for k, v in kept.items() if k != "datasets"} == \
        {k: v for k, v in plain.items() if k != "datasets"}
    assert set(kept["datasets"]) == set(plain["datasets"])
    for name, rows in plain["datasets"].items():
        table = pa.ipc.open_stream(kept["datasets"][name]).read_all()
        assert table.to_pylist() == rows
