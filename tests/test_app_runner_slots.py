"""Overlapping runs share the cores: a run alone gets every numba thread, overlapping runs one
each and run side by side (one per core), and every run still gives the same numbers."""

from __future__ import annotations

import threading

import numba
import numpy as np

from simulator import simulate
from simulator.ui import runner


def test_threads_per_run():
    assert runner.compute_threads(0, cores=4) == 4
    assert runner.compute_threads(1, cores=4) == 1
    assert runner.compute_threads(7, cores=2) == 1
    assert runner.SLOTS == numba.config.NUMBA_NUM_THREADS


def test_overlapping_runs_compute_side_by_side_with_the_same_results(seed_case, monkeypatch):
    runner.CACHE.clear()
    seen: list[int] = []
    inside, peak, lock = [0], [0], threading.Lock()
    barrier = threading.Barrier(2, timeout=60)
    real = runner.simulate

    def spy(sc, paths, seed, **kwargs):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        seen.append(numba.get_num_threads())
        try:
            if runner.SLOTS > 1:
                barrier.wait()  # both runs are inside at once, or this times out
            return real(sc, paths=paths, seed=seed)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(runner, "simulate", spy)
    out: dict[int, object] = {}
    threads = [threading.Thread(target=lambda s=s: out.__setitem__(s, runner.run(
        seed_case, 400, s))) for s in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(out) == {3, 4}
    if runner.SLOTS > 1:
        assert peak[0] == 2 and 1 in seen  # the run that found the other busy took one thread
    for s in (3, 4):
        ref = simulate(seed_case, paths=400, seed=s)  # same numbers however many threads
        assert np.array_equal(out[s].metric("npv"), ref.metric("npv"))
    runner.CACHE.clear()


def test_runs_that_would_not_fit_the_memory_budget_together_take_turns(seed_case,
                                                                      monkeypatch):
    from simulator.budget import BUDGET_ENV, MiB, estimate_run_bytes

    runner.CACHE.clear()
    need = estimate_run_bytes(seed_case, 400)
    monkeypatch.setenv(BUDGET_ENV, str(1.5 * need / MiB))  # one fits, two do not
    inside, peak, lock = [0], [0], threading.Lock()
    waited = threading.Event()
    real = runner.simulate

    def spy(sc, paths, seed, **kwargs):
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        try:
            if seed == 3:  # the first run: stay until the second is held back
                for _ in range(600):
                    if runner._waiting == 1:
                        waited.set()
                        break
                    threading.Event().wait(0.01)
            return real(sc, paths=paths, seed=seed)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(runner, "simulate", spy)
    first = threading.Thread(target=lambda: runner.run(seed_case, 400, 3))
    first.start()
    for _ in range(600):  # the first run is computing
        if inside[0] == 1:
            break
        threading.Event().wait(0.01)
    second = threading.Thread(target=lambda: runner.run(seed_case, 400, 4))
    second.start()
    first.join()
    second.join()
    assert waited.is_set() and peak[0] == 1  # held back by the budget, then ran
    assert len(runner.CACHE) == 2
    runner.CACHE.clear()
