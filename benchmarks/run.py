"""Benchmarks: throughput, floor, reference ratio, latency, memory, scaling, bands.

    python benchmarks/run.py --quick      # under a minute, for checks
    python benchmarks/run.py              # full run (several minutes)

Prints a table per section and writes JSON (default benchmarks/out/results.json).
Everything compared is measured side by side in the same run; times are medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from machine import machine  # noqa: E402

from simulator import load_scenario, simulate  # noqa: E402
from simulator.engine.bands import PERCENTILES, bands_from_trajectories, default_qs  # noqa: E402
from simulator.engine.layout import prepare  # noqa: E402
from simulator.engine.reference import reference_simulate  # noqa: E402
from simulator.results import summarise  # noqa: E402
from simulator.simulation import run_kernel, sample_inputs, seeds  # noqa: E402

SCENARIO = ROOT / "scenarios" / "seed_case.toml"


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def arrays(n: int, horizon: int, seed: int = 7):
    sc = load_scenario(SCENARIO)
    x, names = sample_inputs(sc, n, seed)
    _, kseed = seeds(seed)
    return sc, prepare(sc, x, names, horizon), kseed


def throughput(sizes, horizon, repeats) -> list[dict]:
    rows = []
    for n in sizes:
        _, m, k = arrays(n, horizon)
        run_kernel(m, k, store=True)  # warm (JIT excluded)
        for threads in (1, 2):
            numba.set_num_threads(threads)
            t = median_time(lambda m=m, k=k: run_kernel(m, k, store=True), repeats)
            rows.append({"paths": n, "months": horizon, "threads": threads, "seconds": t,
                         "path_months_per_s": n * horizon / t})
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


COLD = """
import time, sys
t0 = time.perf_counter()
from simulator import load_scenario, simulate
sc = load_scenario(sys.argv[1])
t1 = time.perf_counter(); simulate(sc, paths=2000, seed=1); t2 = time.perf_counter()
simulate(sc, paths=2000, seed=1); t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def cold_start() -> dict:
    def run(cache_dir: str) -> list[float]:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        out = subprocess.run([sys.executable, "-c", COLD, str(SCENARIO)], env=env,
                             capture_output=True, text=True, check=True).stdout
        return [float(v) for v in out.split()]

    with tempfile.TemporaryDirectory() as d:
        no_cache = run(d)
        with_cache = run(d)
    return {"import_s": with_cache[0],
            "first_call_no_cache_s": no_cache[1], "first_call_with_cache_s": with_cache[1],
            "warm_call_s": with_cache[2]}


def reference_ratio(sizes, horizon, repeats) -> list[dict]:
    rows = []
    for n in sizes:
        _, m, k = arrays(n, horizon)
        run_kernel(m, k, store=True)
        t_kernel = median_time(lambda m=m, k=k: run_kernel(m, k, store=True), repeats)
        t_ref = median_time(
            lambda m=m: reference_simulate(m, rng=np.random.default_rng(1)), max(1, repeats // 2))
        rows.append({"paths": n, "months": horizon, "kernel_s": t_kernel, "reference_s": t_ref,
                     "speedup": t_ref / t_kernel})
    return rows


def pure_python(n: int, horizon: int) -> dict:
    """The kernel's own Python source (numba's py_func), run by the interpreter."""
    from numba.core.registry import CPUDispatcher

    from simulator.engine import inversion, kernel, lane_draws, lane_month, philox
    from simulator.engine.philox import split_key

    _, m, k = arrays(n, horizon)
    k0, k1 = split_key(k)
    args = (m.x, m.core_cols, m.tier_cols, m.cohort_size, m.cohort_start, m.cohort_tier, m.flags,
            m.gates, m.horizon, m.monthly_rate, k0, k1, 0, np.zeros(0, np.int64), True, False)
    kernel.simulate_kernel(*args)
    t_k = median_time(lambda: kernel.simulate_kernel(*args), 5)
    # Swap every jitted function the kernel reaches for its Python function, so nothing
    # compiled runs.
    saved = []
    for mod in (kernel, lane_draws, lane_month, philox, inversion):
        for name, f in list(vars(mod).items()):
            if isinstance(f, CPUDispatcher):
                saved.append((mod, name, f))
                setattr(mod, name, f.py_func)
    try:
        t_py = median_time(lambda: kernel.simulate_kernel(*args), 1)
    finally:
        for mod, name, f in saved:
            setattr(mod, name, f)
    return {"paths": n, "months": horizon, "python_s": t_py, "kernel_s": t_k,
            "speedup": t_py / t_k}


def floor(n: int, horizon: int, repeats: int) -> list[dict]:
    from floor import flatten, replay_draws

    _, m, k = arrays(n, horizon)
    record: list = []
    reference_simulate(m, rng=np.random.default_rng(3), record=record)
    kind, nn, pp = flatten(record)
    replay_draws(kind, nn, pp, 1)
    run_kernel(m, k, store=True)
    rows = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        t_floor = median_time(lambda: replay_draws(kind, nn, pp, 1), repeats)
        t_model = median_time(lambda m=m, k=k: run_kernel(m, k, store=True), repeats)
        t_nostore = median_time(lambda m=m, k=k: run_kernel(m, k, store=False), repeats)
        rows.append({"paths": n, "months": horizon, "threads": threads, "draws": int(kind.size),
                     "draws_per_path_month": kind.size / (n * horizon),
                     "floor_s": t_floor, "model_s": t_model, "model_no_store_s": t_nostore,
                     "model_share_of_floor": t_floor / t_model})
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


def latency(repeats: int, seed_list: tuple[int, ...] = (1, 2, 3, 4, 5)) -> dict:
    """simulate() end to end at 20k x 36 against its production kernel alone, side by side.

    Each call moves one input a little, as a slider does (so the sampling cache misses
    that input's column, as in the app). Repeated for several seeds: the pilot lens runs
    on as many paths as its median needs, and that varies with the seed.
    """
    from simulator.simulation import run_pilot_lens

    sc = load_scenario(SCENARIO)
    minutes = sc.economics.minutes_saved_per_task.model_dump()
    per_seed = []
    step = 0
    for seed in seed_list:
        simulate(sc, paths=20_000, seed=seed, horizon=36)
        x, names = sample_inputs(sc, 20_000, seed)
        _, k = seeds(seed)
        m = prepare(sc, x, names, 36)
        run_kernel(m, k, store=True)
        e2e, kern = [0.0] * repeats, [0.0] * repeats
        e2e_cpu, kern_cpu = [0.0] * repeats, [0.0] * repeats  # process CPU, all threads
        for i in range(repeats):  # interleaved, so load on the machine hits both alike
            step += 1  # a value no earlier call used
            moved = sc.with_values({"economics.minutes_saved_per_task": {
                **minutes, "mode": minutes["mode"] * (1 + 0.0007 * step)}})
            c, s = time.process_time(), time.perf_counter()
            res = simulate(moved, paths=20_000, seed=seed, horizon=36)
            _ = res.summary, res.bands
            e2e[i], e2e_cpu[i] = time.perf_counter() - s, time.process_time() - c
            c, s = time.process_time(), time.perf_counter()
            run_kernel(m, k, store=True)
            kern[i], kern_cpu[i] = time.perf_counter() - s, time.process_time() - c
        summ = res.summary
        per_seed.append({
            "seed": seed, "median_s": statistics.median(e2e),
            "kernel_median_s": statistics.median(kern),
            "end_to_end_over_kernel": statistics.median(e2e) / statistics.median(kern),
            # Less sensitive to other jobs on a shared machine than wall time.
            "cpu_end_to_end_over_kernel": statistics.median(e2e_cpu) / statistics.median(
                kern_cpu),
            "pilot_lens_paths": summ["pilot_lens_paths"],
            "pilot_lens_se_over_gap": summ["pilot_lens_npv_se"] / abs(summ["expectation_gap"])})
    # Where the time goes, one stage at a time (first seed).
    seed = seed_list[0]
    x, names = sample_inputs(sc, 20_000, seed)
    _, k = seeds(seed)
    m = prepare(sc, x, names, 36)
    stages = {"sample_inputs_new_seed": median_time(
                  lambda: sample_inputs(sc, 20_000, int(time.time_ns() % 2**31)), repeats)}
    moved_times = []
    for _ in range(repeats):
        step += 1
        moved = sc.with_values({"economics.minutes_saved_per_task": {
            **minutes, "mode": minutes["mode"] * (1 + 0.0007 * step)}})
        s_ = time.perf_counter()
        sample_inputs(moved, 20_000, seed)
        moved_times.append(time.perf_counter() - s_)
    stages["sample_inputs_one_input_moved"] = statistics.median(moved_times)
    out, traj = run_kernel(m, k, store=True)
    stages["kernel"] = median_time(lambda: run_kernel(m, k, store=True), repeats)
    npv = out[:, 0].copy()
    stages["pilot_lens"] = median_time(lambda: run_pilot_lens(sc, x, names, k, 36, npv),
                                       repeats)
    reg = m.registered.astype(np.float64)
    stages["bands"] = median_time(lambda: bands_from_trajectories(traj, reg, default_qs()),
                                  repeats)
    res = simulate(sc, paths=20_000, seed=seed, horizon=36)
    stages["summary"] = median_time(lambda: summarise(res), repeats)
    ratios = [r["end_to_end_over_kernel"] for r in per_seed]
    return {"paths": 20_000, "months": 36, "seeds": per_seed,
            "end_to_end_over_kernel_median": statistics.median(ratios),
            "end_to_end_over_kernel_range": [min(ratios), max(ratios)],
            "cpu_end_to_end_over_kernel_median": statistics.median(
                r["cpu_end_to_end_over_kernel"] for r in per_seed),
            "load_1min": os.getloadavg()[0], "stages_s": stages}


MEM = """
import sys, time
from simulator import load_scenario, simulate
sc = load_scenario(sys.argv[1])
n, h = int(sys.argv[2]), int(sys.argv[3])
simulate(sc, paths=1000, seed=1, horizon=h)
t = time.perf_counter()
res = simulate(sc, paths=n, seed=1, horizon=h)
_ = res.summary, res.bands
# VmHWM: this process image's peak RSS (ru_maxrss would include the parent's, kept
# across exec on Linux).
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM"))
print(time.perf_counter() - t, hwm / 1024)
"""


def memory(grid: list[tuple[int, int]]) -> list[dict]:
    rows = []
    for n, h in grid:
        out = subprocess.run([sys.executable, "-c", MEM, str(SCENARIO), str(n), str(h)],
                             capture_output=True, text=True, check=True).stdout.split()
        rows.append({"paths": n, "months": h, "end_to_end_s": float(out[0]),
                     "peak_rss_mb": float(out[1])})
    return rows


def bands_vs_percentile(n: int, horizon: int, repeats: int) -> dict:
    _, m, k = arrays(n, horizon)
    _, traj = run_kernel(m, k, store=True)
    reg = m.registered.astype(np.float64)
    qs = default_qs()
    bands_from_trajectories(traj[:, :2, :1000].copy(), reg[:2], qs)

    def numpy_bands():
        t64 = traj.astype(np.float64)
        net = t64[2] - t64[3]
        cum = np.cumsum(net, axis=0)
        for arr in (t64[0], t64[1], t64[2], t64[3], net, cum, t64[4]):
            np.percentile(arr, PERCENTILES, axis=1)
            arr.mean(axis=1)

    t_hist = median_time(lambda: bands_from_trajectories(traj, reg, qs), repeats)
    t_np = median_time(numpy_bands, repeats)
    return {"paths": n, "months": horizon, "histogram_select_s": t_hist,
            "np_percentile_s": t_np, "speedup": t_np / t_hist}


def scaling_chart(rows: list[dict], path: Path) -> None:
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(rows)
    df["path-months (M)"] = df["paths"] * df["months"] / 1e6
    base = alt.Chart(df).encode(x=alt.X("path-months (M):Q", scale=alt.Scale(type="log")))
    t = base.mark_line(point=True).encode(y=alt.Y("end_to_end_s:Q", title="seconds",
                                                  scale=alt.Scale(type="log")))
    mem = base.mark_line(point=True, color="#E69F00").encode(
        y=alt.Y("peak_rss_mb:Q", title="peak RSS (MB)", scale=alt.Scale(type="log")))
    chart = alt.hconcat(t.properties(title="simulate() end to end", width=300),
                        mem.properties(title="peak memory", width=300))
    chart.save(str(path))


def show(title: str, rows) -> None:
    import pandas as pd

    print(f"\n{title}")
    print("-" * len(title))
    df = pd.DataFrame(rows if isinstance(rows, list) else [rows])
    print(df.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "out" / "results.json"))
    args = ap.parse_args(argv)
    q = args.quick
    res: dict = {"machine": machine(), "quick": q}
    res["throughput"] = throughput([10_000] if q else [10_000, 100_000, 1_000_000], 60,
                                   3 if q else 5)
    show("Throughput, full model (warm, trajectories stored)", res["throughput"])
    res["cold_start"] = cold_start()
    show("Cold start (2 000 paths)", res["cold_start"])
    res["reference"] = reference_ratio([5_000] if q else [10_000, 100_000, 1_000_000], 60,
                                       3 if q else 4)
    show("Compiled vs plain-numpy reference", res["reference"])
    res["pure_python"] = pure_python(20 if q else 200, 60)
    show("Compiled vs pure-Python loop", res["pure_python"])
    res["floor"] = floor(5_000 if q else 50_000, 60, 3 if q else 5)
    show("Draws-only floor", res["floor"])
    res["latency"] = latency(5 if q else 15, (1, 2) if q else (1, 2, 3, 4, 5))
    show("Interactive latency, simulate() 20k x 36, by seed", res["latency"]["seeds"])
    show("  over the seeds", {k: v for k, v in res["latency"].items()
                              if k not in ("stages_s", "seeds")})
    show("  stages", res["latency"]["stages_s"])
    grid = ([(10_000, 60), (50_000, 60)] if q else
            [(10_000, 60), (100_000, 60), (1_000_000, 60),
             (100_000, 12), (100_000, 36), (100_000, 120)])
    res["memory"] = memory(grid)
    show("End to end and peak memory", res["memory"])
    res["bands"] = bands_vs_percentile(50_000 if q else 1_000_000, 60, 3)
    show("Bands: histogram-then-select vs np.percentile", res["bands"])
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not q:
        scaling_chart(res["memory"], out.with_name("scaling.png"))
    from simulator.atomic import atomic_write_text

    atomic_write_text(out, json.dumps(res, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
