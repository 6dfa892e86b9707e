"""OpenMP's threads sleep rather than spin at barriers unless the user says otherwise: set by
``import simulator`` before numba first loads OpenMP (spinning threads made a kernel 2-4x
slower whenever another process kept a core busy; benchmarks/RESULTS.md)."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = ("import os, numba, simulator; from simulator import load_scenario, simulate; "
         "simulate(load_scenario('scenarios/seed_case.toml'), paths=64, seed=1); "
         "print(os.environ.get('OMP_WAIT_POLICY'), numba.threading_layer())")


def _run(env_extra: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                       env={**env, **env_extra}, timeout=300, check=True)
    return r.stdout.split()


def test_import_makes_openmp_threads_passive_before_the_first_parallel_run():
    policy, layer = _run({})
    assert policy == "PASSIVE"
    assert layer in {"omp", "tbb", "workqueue"}  # whichever layer ran, the setting was in time


def test_a_policy_set_by_the_user_is_kept():
    assert _run({"OMP_WAIT_POLICY": "ACTIVE"})[0] == "ACTIVE"
