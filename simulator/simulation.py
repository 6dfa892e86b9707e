"""``simulate``: scenario -> sampled inputs -> compiled kernel -> results."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from . import budget
from .budget import check_run_budget, streams_trajectories
from .distributions import sample
from .engine.bands import PERCENTILES, bands_from_trajectories, default_qs
from .engine.bands_stream import StreamBandsFailed, StreamingBands
from .engine.kernel import simulate_kernel
from .engine.layout import ModelArrays, prepare
from .engine.philox import split_key
from .lens_estimate import lens_median
from .results import LensMedian, SimulationResult, percentiles
from .scenario import Scenario, ScenarioError
from .telemetry import (
    TELEMETRY_MONTH,
    StreamedTelemetry,
    telemetry_bands_months,
    usage_draws,
)

#: The pilot lens runs on at least this many paths (all of them if fewer)...
LENS_MIN_PATHS = 1_024
#: ...and on at most this many.
LENS_MAX_PATHS = 100_000
#: Its median is estimated until its standard error is under this share of the
#: expectation gap.
LENS_SE_SHARE = 0.01
#: It grows in steps of this many paths.
LENS_STEP = 256


def _check_int(name: str, value, lo: int, hi: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ScenarioError([f"{name}: {value!r} is not a whole number"])
    if value < lo:
        raise ScenarioError([f"{name}: {value} is below {lo}"])
    if hi is not None and value > hi:
        raise ScenarioError([f"{name}: {value} is above {hi}"])
    return int(value)


def seeds(seed: int) -> tuple[np.random.Generator, int]:
    """Independent streams from one user seed: input sampling, and the kernel's seed."""
    ss_in, ss_kernel = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(ss_in), int(ss_kernel.generate_state(1, np.uint64)[0] >> 1)


def sample_inputs(sc: Scenario, paths: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Latin hypercube sample of every uncertain input, with the declared correlations."""
    dists = sc.inputs()
    names = list(dists)
    corr = sc.correlation_matrix() if sc.correlations else None
    rng, _ = seeds(seed)
    return (sample(list(dists.values()), paths, rng, corr, design_key=("seed", seed),
                   keys=names), names)


#: Called once each, just before this process's first kernel call: where the CLI announces
#: a cold compile (:func:`on_first_kernel`).
_first_kernel_hooks: list[Callable[[], object]] = []


#: Called once each, just before this process's first streamed run (one too large to keep
#: its trajectories): where the CLI announces the streaming kernels' first compile.
_first_stream_hooks: list[Callable[[], object]] = []


def on_first_stream(hook: Callable[[], object]) -> None:
    """Run ``hook()`` once, before the next streamed run of this process."""
    _first_stream_hooks.append(hook)


def on_first_kernel(hook: Callable[[], object]) -> None:
    """Run ``hook()`` once, before the next kernel call of this process."""
    _first_kernel_hooks.append(hook)


def _run_hooks(hooks: list[Callable[[], object]]) -> None:
    """Call and drop each registered hook, in order (each runs once)."""
    while hooks:
        hooks.pop(0)()


#: The kernel's ``keys`` argument when rows draw as ``first_path + i``.
NO_KEYS = np.zeros(0, dtype=np.int64)


def _kernel(m: ModelArrays, kseed: int, store: bool, store_cohorts: bool, first_path: int):
    _run_hooks(_first_kernel_hooks)
    k0, k1 = split_key(kseed)
    return simulate_kernel(m.x, m.core_cols, m.tier_cols, m.cohort_size, m.cohort_start,
                           m.cohort_tier, m.flags, m.gates, m.horizon, m.monthly_rate, k0, k1,
                           first_path, NO_KEYS, store, store_cohorts)


def run_kernel(m: ModelArrays, kseed: int, store: bool,
               first_path: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Call the compiled kernel on prepared arrays: (out (N, len(OUT)), traj).

    Row i draws as path ``first_path + i``: a slice of a run's inputs with its first
    row's index reproduces that run's paths exactly.
    """
    out, traj, _, _ = _kernel(m, kseed, store, False, first_path)
    return out, traj


def run_kernel_gates(m: ModelArrays, kseed: int, store: bool,
                     first_path: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`run_kernel`, plus the per-path gate outputs (N, G+2): each gate's result
    (1 pass, 0 fail, -1 not reached), the month stopped (-1 if never), months on hold."""
    out, traj, _, gate_out = _kernel(m, kseed, store, False, first_path)
    return out, traj, gate_out


def cohort_trajectories(m: ModelArrays, kseed: int) -> np.ndarray:
    """Active users by cohort and month, float32 (C, H+1, N), pilot team first."""
    return _kernel(m, kseed, False, True, 0)[2]


def _check_inputs_finite(x: np.ndarray, names: list[str]) -> None:
    """Refuse sampled inputs holding NaN or inf, one line per input that does.

    A finite total proves every value finite (one pass, no mask); only a non-finite total
    (a NaN or inf, or finite values whose sum overflows) is looked at column by column.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(x.sum())):
            return
    bad = [names[j] for j in np.flatnonzero(~np.isfinite(x).all(axis=0))]
    if bad:
        raise ScenarioError([f"{name}: sampled inputs hold a non-finite value (NaN or inf)"
                             for name in bad])


def _check_finite(out: np.ndarray) -> None:
    """Refuse results that overflowed: a clear line instead of NaN bands or a crash.

    A non-finite monthly cash flow makes its path's present values non-finite, so the
    per-path PV columns are enough to catch it.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(out[:, :3].sum())):  # every value finite: nothing to name
            return
    bad = ~np.isfinite(out[:, :3]).all(axis=1)
    if bad.any():
        raise ScenarioError([
            f"scenario: {int(bad.sum())} of {bad.size} paths produced non-finite cash flows; "
            "the money inputs are too large for the model (see the bounds in "
            "docs/scenario-reference.md)"])


def run_pilot_lens(sc: Scenario, x: np.ndarray, names: list[str], kseed: int, horizon: int,
                   production_npv: np.ndarray) -> tuple[np.ndarray, LensMedian]:
    """Pilot-lens NPVs on the first paths, as many as its median needs (NaN elsewhere),
    and that median with its standard error.

    The lens is read only through its median, estimated from the lens paths and every
    path's inputs and production NPV (:func:`simulator.lens_estimate.lens_median`). It
    runs on the first LENS_MIN_PATHS paths, then on more until the median's standard
    error is below LENS_SE_SHARE of the expectation gap (lens median minus production
    median), or LENS_MAX_PATHS / all paths are used. Each extension aims at the size the
    standard error implies (it falls as 1/sqrt(n)), rounded up to LENS_STEP paths, at
    most quadrupling. Its paths are the production paths' first rows: same inputs, same
    draws.
    """
    n_all = x.shape[0]
    cap = min(n_all, LENS_MAX_PATHS)
    production_median = percentiles(production_npv, (50,))[0]
    out = np.full(n_all, np.nan)
    done = 0
    n = min(n_all, LENS_MIN_PATHS)
    while True:
        m = prepare(sc, x[done:n], names, horizon, lens=True)
        out[done:n] = run_kernel(m, kseed, store=False, first_path=done)[0][:, 0]
        done = n
        est = lens_median(out[:done], x, production_npv)
        target = LENS_SE_SHARE * abs(est.value - production_median)
        se = est.se
        if done >= cap or se <= target:
            return out, est
        want = done * (se / target) ** 2 if target > 0 else math.inf
        if not math.isfinite(want):  # no gap (or no finite lens value): quadruple
            want = 4 * done
        n = min(cap, 4 * done, max(done + LENS_STEP, LENS_STEP * math.ceil(want / LENS_STEP)))


def simulate(sc: Scenario, paths: int = 20_000, seed: int = 7, horizon: int | None = None, *,
             bands: bool = True, pilot_lens: bool = True,
             keep_trajectories: bool | None = None) -> SimulationResult:
    """Run ``paths`` Monte Carlo paths of scenario ``sc``.

    The same (scenario, paths, seed, horizon) gives bit-identical results whatever the
    number of numba threads. ``bands=False`` skips the monthly trajectories (less memory,
    faster: for sweeps and analysis that only need per-path results). Large runs stream
    their trajectories (:func:`simulator.budget.streams_trajectories`): bands (usage
    telemetry included), paths and summary are the same, bit for bit, but
    ``trajectories`` is None (so no per-path monthly telemetry, cash-flow lines or
    conditioning on actuals); ``keep_trajectories=True`` keeps them.
    """
    paths = _check_int("paths", paths, 1, None)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    h = sc.horizon if horizon is None else _check_int("horizon", horizon, 1, 120)
    check_run_budget(sc, paths, h, bands, pilot_lens=pilot_lens,
                     keep_trajectories=keep_trajectories)
    x, names = sample_inputs(sc, paths, seed)
    return simulate_inputs(sc, x, names, seed, h, bands=bands, pilot_lens=pilot_lens,
                           keep_trajectories=keep_trajectories)


def _run_streamed(m: ModelArrays, kseed: int, telemetry: StreamedTelemetry
                  ) -> tuple[np.ndarray, np.ndarray | None, StreamingBands]:
    """The kernel on chunks of :data:`simulator.budget.STREAM_CHUNK_PATHS` paths (each
    drawing as its own paths): per-path outputs and gate outputs of the whole run (None
    without gates), and its bands' stream; each chunk's usage telemetry goes to
    ``telemetry``."""
    _run_hooks(_first_stream_hooks)
    n = m.n_paths
    chunk = budget.STREAM_CHUNK_PATHS
    stream = StreamingBands(n, m.registered.astype(np.float64), default_qs())
    out = gate_out = None
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        # the chunk's inputs, F-contiguous for the kernel; freed before the bands' passes
        # (a streamed run's peak memory is one chunk's arrays over the windows)
        x = np.asfortranarray(m.x[a:b])
        o, traj, g = run_kernel_gates(replace(m, x=x), kseed, store=True, first_path=a)
        del x
        if out is None:
            out = np.empty((n, o.shape[1]))
            # gate outputs are kept only where there are gates (simulate_inputs)
            gate_out = np.empty((n, g.shape[1])) if m.gates.shape[0] else None
        out[a:b] = o
        if gate_out is not None:
            gate_out[a:b] = g
        del o, g
        stream.add(traj, a)
        telemetry.add(traj, a)
        del traj
    return out, gate_out, stream


def _streamed_telemetry(sc: Scenario, x: np.ndarray, names: list[str], seed: int,
                        registered: np.ndarray, h: int) -> StreamedTelemetry:
    """The usage telemetry a streamed run takes chunk by chunk (what an unstreamed run's
    ``SimulationResult.telemetry`` gives its bands and paths)."""
    usage = usage_draws(sc.usage_inputs(), x.shape[0], seed)
    cols = {n: x[:, j] for j, n in enumerate(names)}
    return StreamedTelemetry(registered, cols, usage, min(TELEMETRY_MONTH, h), PERCENTILES)


def simulate_inputs(sc: Scenario, x: np.ndarray, names: list[str], seed: int,
                    horizon: int | None = None, *, bands: bool = True,
                    pilot_lens: bool = True,
                    keep_trajectories: bool | None = None) -> SimulationResult:
    """Run the model on given per-path inputs ``x`` (columns ``names``, as sampled).

    For analyses that edit or reweight sampled inputs (variants on common random numbers,
    importance sampling): with ``x`` from :func:`sample_inputs` and the same seed this is
    exactly :func:`simulate`.
    """
    h = sc.horizon if horizon is None else horizon
    _check_inputs_finite(x, names)
    _, kseed = seeds(seed)
    m = prepare(sc, x, names, h)
    registered = m.registered
    streamed = streams_trajectories(x.shape[0], h, bands, keep_trajectories)
    traj = stream = tel = tel_result = None
    if streamed:
        tel = _streamed_telemetry(sc, x, names, seed, registered, h)
        out, gate_out, stream = _run_streamed(m, kseed, tel)
        tel_result = tel.result()  # now: its windows are freed before the lens runs
    else:
        out, traj, gate_out = run_kernel_gates(m, kseed, store=bands)
    _check_finite(out)
    lens, median = np.full(x.shape[0], np.nan), None
    if pilot_lens:
        lens, median = run_pilot_lens(sc, x, names, kseed, h, out[:, 0])
    band_array = None
    if stream is not None:
        try:
            band_array = stream.result()
            if tel_result is None:
                raise StreamBandsFailed("the telemetry's windows")
        except StreamBandsFailed:  # about once in 10^5 runs: the whole run, unstreamed
            del stream
            traj = run_kernel_gates(m, kseed, store=True)[1]
            tel_result = telemetry_bands_months(traj, registered, tel.x, tel.usage,
                                                tel.month, PERCENTILES)
        del tel
    tel_bands, tel_at = tel_result if tel_result is not None else (None, None)
    if bands and band_array is None:
        band_array = bands_from_trajectories(traj, registered.astype(np.float64), default_qs())
    return SimulationResult(
        scenario=sc, seed=seed, horizon=h, inputs=x, input_names=names, out=out,
        lens_npv=lens, lens_median=median, registered=registered,
        trajectories=traj if bands and not streamed else None, band_array=band_array,
        gate_out=gate_out if sc.gates else None,
        meta={"streamed_trajectories": True} if streamed else {},
        telemetry_band_array=tel_bands, telemetry_at_m6=tel_at,
    )
