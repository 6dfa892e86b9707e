"""``simulate``: scenario -> sampled inputs -> compiled kernel -> results."""

from __future__ import annotations

import numpy as np

from .distributions import sample
from .engine.bands import bands_from_trajectories, default_qs
from .engine.kernel import simulate_kernel
from .engine.layout import ModelArrays, prepare
from .results import SimulationResult
from .scenario import Scenario, ScenarioError

_NO_U = np.zeros((0, 1, 1))
#: Paths on which the pilot lens is run (all of them up to this many).
LENS_PATHS = 100_000


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
    return sample(list(dists.values()), paths, rng, corr), names


def run_kernel(m: ModelArrays, kseed: int, store: bool, u: np.ndarray | None = None):
    """Call the compiled kernel on prepared arrays."""
    return simulate_kernel(m.x, m.core_cols, m.tier_cols, m.cohort_size, m.cohort_start,
                           m.cohort_tier, m.flags, m.horizon, m.monthly_rate, kseed, store,
                           _NO_U if u is None else u)


def simulate(sc: Scenario, paths: int = 20_000, seed: int = 7, horizon: int | None = None, *,
             bands: bool = True, pilot_lens: bool = True) -> SimulationResult:
    """Run ``paths`` Monte Carlo paths of scenario ``sc``.

    The same (scenario, paths, seed, horizon) gives bit-identical results whatever the
    number of numba threads. ``bands=False`` skips the monthly trajectories (less memory,
    faster: for sweeps and analysis that only need per-path results).
    """
    paths = _check_int("paths", paths, 1, None)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    h = sc.horizon if horizon is None else _check_int("horizon", horizon, 1, 120)
    x, names = sample_inputs(sc, paths, seed)
    return simulate_inputs(sc, x, names, seed, h, bands=bands, pilot_lens=pilot_lens)


def simulate_inputs(sc: Scenario, x: np.ndarray, names: list[str], seed: int,
                    horizon: int | None = None, *, bands: bool = True,
                    pilot_lens: bool = True) -> SimulationResult:
    """Run the model on given per-path inputs ``x`` (columns ``names``, as sampled).

    For analyses that edit or reweight sampled inputs (variants on common random numbers,
    importance sampling): with ``x`` from :func:`sample_inputs` and the same seed this is
    exactly :func:`simulate`.
    """
    h = sc.horizon if horizon is None else horizon
    _, kseed = seeds(seed)
    m = prepare(sc, x, names, h)
    out, traj = run_kernel(m, kseed, store=bands)
    lens_npv = np.full(x.shape[0], np.nan)
    if pilot_lens:
        # The lens is summarised by its median: its first LENS_PATHS paths (the same
        # blocks, seeds and inputs as production's first paths) pin that down to well
        # under 0.5 % while capping its cost at large N.
        n_lens = min(x.shape[0], LENS_PATHS)
        lens_out, _ = run_kernel(prepare(sc, x[:n_lens], names, h, lens=True), kseed,
                                 store=False)
        lens_npv[:n_lens] = lens_out[:, 0]
    registered = m.registered
    band_array = None
    if bands:
        band_array = bands_from_trajectories(traj, registered.astype(np.float64), default_qs())
    return SimulationResult(
        scenario=sc, seed=seed, horizon=h, inputs=x, input_names=names, out=out,
        lens_npv=lens_npv, registered=registered,
        trajectories=traj if bands else None, band_array=band_array,
    )
