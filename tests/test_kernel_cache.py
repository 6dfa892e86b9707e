"""One kernel cache for every entry point: the per-user default, and a second process that
only loads what the first compiled (numba's own cache counters, no timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.kernel_cache import source_tag

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "seed_case.toml"

# Runs the CLI in this process, then prints the cache counters of the entry kernels.
CLI_THEN_STATS = f"""
import json, sys
from simulator.cli import main
rc = main(["run", {str(SCENARIO)!r}, "--paths", "2000", "--seed", "3"])  # lens: regression
from simulator.engine.bands import _bands_compiled, quantiles_hist
from simulator.engine.kernel import run_blocks
from simulator.lens_estimate import _predict
stats = {{d.py_func.__name__: [sum(d.stats.cache_hits.values()),
                               sum(d.stats.cache_misses.values())]
         for d in (run_blocks, _bands_compiled, quantiles_hist, _predict)}}
print(json.dumps({{"rc": rc, "stats": stats}}), file=sys.stderr)
"""


def _env(xdg: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(xdg), PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return env


def _python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_default_cache_dir_is_per_user_and_set_before_numba(tmp_path):
    """With NUMBA_CACHE_DIR unset, importing the package points numba's cache (its config,
    read by every kernel) at XDG_CACHE_HOME/ai-rollout-sim/numba; a set one is kept."""
    code = ("import os, simulator, numba.core.config as c; "
            "print(os.environ['NUMBA_CACHE_DIR']); print(c.CACHE_DIR)")
    got = _python(["-c", code], _env(tmp_path)).stdout.split()
    tag = f"kernels-{source_tag()}"  # one directory per version of the kernel sources
    want = str(tmp_path / "ai-rollout-sim" / "numba" / tag)
    assert got == [want, want]
    assert Path(want).is_dir()
    mine = tmp_path / "mine"
    got = _python(["-c", code], {**_env(tmp_path), "NUMBA_CACHE_DIR": str(mine)}).stdout.split()
    assert got == [str(mine / tag), str(mine / tag)]


def test_empty_cache_is_reported_as_needing_a_compile(tmp_path):
    code = "from simulator.kernel_cache import kernels_cached; print(kernels_cached())"
    got = _python(["-c", code], _env(tmp_path))
    assert got.stdout.strip() == "False", got.stderr


def test_cli_after_warm_loads_every_kernel_from_the_shared_cache(tmp_path):
    """`python -m simulator.warm`, then the CLI in a second process: the per-user cache
    (here the suite's warmed cache, linked where the default directory lies) is hit and
    nothing is compiled, and no compile notice is printed."""
    shared = Path(os.environ.get("NUMBA_CACHE_DIR", ROOT / ".numba_cache")).resolve()
    shared = shared.parent if shared.name.startswith("kernels-") else shared  # untagged
    shared.mkdir(parents=True, exist_ok=True)
    (tmp_path / "ai-rollout-sim").mkdir()
    (tmp_path / "ai-rollout-sim" / "numba").symlink_to(shared, target_is_directory=True)
    env = _env(tmp_path)
    warm = _python(["-m", "simulator.warm"], env)
    assert warm.returncode == 0, warm.stderr
    check = _python(["-c", "from simulator.kernel_cache import kernels_cached; "
                     "print(kernels_cached())"], env)
    assert check.stdout.strip() == "True", check.stderr
    second = _python(["-c", CLI_THEN_STATS], env)
    assert second.returncode == 0, second.stderr
    assert "Compiling the simulation kernels" not in second.stderr
    report = json.loads(second.stderr.strip().splitlines()[-1])
    assert report["rc"] == 0
    for name, (hits, misses) in report["stats"].items():
        assert hits >= 1 and misses == 0, (name, hits, misses)


def test_a_cold_cli_run_compiles_alongside_a_second_process_and_the_next_run_only_loads(
        tmp_path):
    """From an empty per-user cache the CLI says it compiles, with a line per kernel; with
    two cores the simulation kernel compiles in this process while a second process
    compiles the others into the same cache, so this process only loads those (hits, no
    misses). A second CLI process then compiles nothing at all."""
    from simulator.kernel_cache import cores

    env = _env(tmp_path)  # an empty per-user cache directory
    first = _python(["-c", CLI_THEN_STATS], env)
    assert first.returncode == 0, first.stderr
    assert "Compiling the simulation kernels" in first.stderr
    assert all(f"[{k}/4]" in first.stderr for k in range(1, 5)), first.stderr
    stats = json.loads(first.stderr.strip().splitlines()[-1])["stats"]
    assert stats["run_blocks"][1] >= 1  # compiled here
    for name in ("_bands_compiled", "quantiles_hist", "_predict"):
        hits, misses = stats[name]
        if cores() >= 2:  # compiled by the second process, loaded here
            assert hits >= 1 and misses == 0, (name, hits, misses)
        else:  # one core: compiled here, one after the other
            assert misses >= 1, (name, hits, misses)
    second = _python(["-c", CLI_THEN_STATS], env)
    assert second.returncode == 0, second.stderr
    assert "Compiling the simulation kernels" not in second.stderr
    for name, (hits, misses) in json.loads(second.stderr.strip().splitlines()[-1])[
            "stats"].items():
        assert hits >= 1 and misses == 0, (name, hits, misses)


def test_app_shows_no_compile_progress_when_the_kernels_are_cached():
    """The app's first-run progress bar appears only for a cold cache: with the suite's
    warmed cache the check compiles nothing and draws nothing."""
    from simulator.ui import runner
    from simulator.warm import compile_kernels

    compile_kernels()  # cached (or compiled once) for this process
    runner._compiled = False
    calls: list[tuple] = []
    assert runner.ensure_compiled(lambda *a: calls.append(a)) is False
    assert calls == [] and runner._compiled


def test_the_second_process_reports_each_step_it_compiled():
    """The second compile process runs the named steps of this package (loads, with the
    suite's warmed cache) and reports each with its seconds."""
    from simulator.kernel_compile import SCENARIO as STEPS_SCENARIO
    from simulator.kernel_compile import _start_worker, _worker_seconds

    proc = _start_worker(STEPS_SCENARIO, ["percentiles", "pilot-lens estimate"])
    assert proc is not None
    done = _worker_seconds(proc)
    assert sorted(done) == ["percentiles", "pilot-lens estimate"]
    assert all(s >= 0 for s in done.values())


def test_a_failing_second_process_leaves_the_compile_to_this_one(monkeypatch):
    """If the second process fails, this process runs (compiles or loads) every step
    itself and still reports each one in order."""
    import subprocess

    import simulator.kernel_compile as kc

    started: list[subprocess.Popen] = []

    def failing(scenario, names):
        started.append(subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"],
                                        stdout=subprocess.PIPE, text=True))
        return started[-1]

    monkeypatch.setattr(kc, "_start_worker", failing)
    calls: list[tuple] = []
    kc.compile_kernels(lambda *a: calls.append(a), parallel=True)
    assert [c[:3] for c in calls] == [(k, 4, name) for k, name in enumerate(
        ("simulation kernel", "percentile bands", "percentiles", "pilot-lens estimate"), 1)]
    assert len(started) == 1 and started[0].returncode == 3


def test_the_cache_directory_follows_every_kernel_source(tmp_path):
    """numba checks only an entry kernel's own file: a change in any file the kernels
    compile in (here a helper module) must lead to another cache directory."""
    from simulator import kernel_cache

    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "kernel.py").write_text("def run(): return helper()\n")
    (tmp_path / "engine" / "inversion.py").write_text("def helper(): return 1\n")
    (tmp_path / "lens_estimate.py").write_text("x = 1\n")
    (tmp_path / "other.py").write_text("y = 1\n")
    before = kernel_cache.source_tag(tmp_path)
    (tmp_path / "other.py").write_text("y = 2\n")  # not a kernel source: same tag
    assert kernel_cache.source_tag(tmp_path) == before
    (tmp_path / "engine" / "inversion.py").write_text("def helper(): return 2\n")
    assert kernel_cache.source_tag(tmp_path) != before
    tag = kernel_cache.source_tag()
    assert kernel_cache.tagged("/c") == f"/c/kernels-{tag}"
    assert kernel_cache.tagged("/c/kernels-0123456789ab") == f"/c/kernels-{tag}"  # no nesting
    assert os.environ["NUMBA_CACHE_DIR"].endswith(f"kernels-{tag}")  # the suite's own cache


def test_every_file_with_a_compiled_function_is_a_kernel_source():
    from simulator import kernel_cache

    root = Path(kernel_cache.__file__).parent
    covered = {f for pattern in kernel_cache.KERNEL_SOURCES for f in root.glob(pattern)}
    jitted = {f for f in root.rglob("*.py") if "@njit" in f.read_text()}
    assert jitted and jitted <= covered, sorted(map(str, jitted - covered))
