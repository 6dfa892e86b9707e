"""Memory a run needs, estimated before it starts, and a budget that refuses runs above it.

A run holds its sampled inputs (paths x inputs float64), the per-path outputs, the monthly
trajectories (5 x (horizon + 1) x paths float32, when bands are kept; a large run streams
them: one chunk of paths at a time and narrow windows of values for the bands), the
pilot-lens run and the band workspace. Refusing a run that would not fit, with one line, beats being
killed by the operating system halfway through (and, behind the app, taking every
analyst's session with it).

The budget is, first found: the ``budget_mb`` argument, the environment variable
``ROLLOUT_SIM_MEMORY_BUDGET_MB``, or 4096 MB.
"""

from __future__ import annotations

import math
import os

from .engine.bands import band_block_months, default_qs
from .engine.bands_stream import STREAM_COLS, window_fraction
from .engine.stream_columns import STREAM_BINS
from .scenario import Scenario, ScenarioError

#: Environment variable holding the memory budget in MB (MiB).
BUDGET_ENV = "ROLLOUT_SIM_MEMORY_BUDGET_MB"
#: Budget when neither the argument nor the environment sets one, in MB.
DEFAULT_BUDGET_MB = 4096
#: Monthly trajectories kept per path and month (active, accuracy, benefit, cost, incidents).
TRAJECTORY_ROWS = 5
#: Per-path results the kernel writes (float64 each).
OUTPUTS_PER_PATH = 12
#: Paths on which the pilot lens is run at most (simulation.LENS_MAX_PATHS; it usually
#: stops far earlier, once its median is precise enough).
LENS_PATHS = 100_000
#: Float64 working columns per path beyond the kept arrays: sampling transients (ppf of
#: one column at a time), the lens NPV, the bands' running total and the summary's sorted
#: copies. (The bands' block of net and cumulative net is added on top.)
WORK_COLUMNS = 8
#: Float64 columns over all paths that estimating the lens median takes (predictions,
#: their sort order, the sorted values and running counts; simulator.lens_estimate).
LENS_ESTIMATE_COLUMNS = 6
#: Fixed cost of a run (tables, compiled-code buffers, small arrays), bytes.
FIXED_BYTES = 8 * 2**20

MiB = 2**20
#: A run whose monthly trajectories would take more than this many bytes streams them:
#: the kernel runs on chunks of STREAM_CHUNK_PATHS paths and the bands are taken across
#: the chunks (exact: :class:`simulator.engine.bands_stream.StreamingBands`); the result then
#: keeps no trajectories (``simulate(..., keep_trajectories=True)`` keeps them).
STREAM_TRAJECTORY_BYTES = 512 * MiB
#: Paths per chunk of a streamed run.
STREAM_CHUNK_PATHS = 131_072
#: Usage-telemetry rows per month a streamed run's windows track (ever used, weekly and
#: daily active: simulator.telemetry.TELEMETRY_METRICS)...
TELEMETRY_ROWS = 3
#: ...and float64 columns per path it keeps (two usage draws, three month-6 values).
TELEMETRY_PATH_COLUMNS = 5


def streams_trajectories(paths: int, horizon: int, bands: bool = True,
                         keep_trajectories: bool | None = None) -> bool:
    """Whether a run of ``paths`` x ``horizon`` streams its trajectories (keeps none):
    with bands, more than one chunk of paths, and ``keep_trajectories`` False, or None
    with trajectories above STREAM_TRAJECTORY_BYTES."""
    if not bands or keep_trajectories or paths <= STREAM_CHUNK_PATHS:
        return False
    return (keep_trajectories is False
            or TRAJECTORY_ROWS * (horizon + 1) * paths * 4 > STREAM_TRAJECTORY_BYTES)


def _stream_bytes(n: int, h: int, n_inputs: int) -> tuple[int, int]:
    """(kept, per chunk) bytes of a streamed run's bands: the windows' values (float32 for
    the five stored rows, float64 for net, cumulative net and the usage telemetry, with
    10 % room), bin counts and the telemetry's per-path columns; one chunk's trajectories
    and outputs, with its inputs' copy (during the kernel) or its cumulative net (during
    the bands' pass), whichever is larger."""
    c = STREAM_CHUNK_PATHS
    share = window_fraction(default_qs(), c)
    per_value = (4 * 5 + 8 * (STREAM_COLS - 5)) / STREAM_COLS
    kept = int(1.1 * share * n * STREAM_COLS * (h + 1) * per_value)
    kept += STREAM_COLS * (h + 1) * STREAM_BINS * 9
    # the usage telemetry's windows (float64), bins, and its per-path columns
    kept += int(1.1 * share * n * TELEMETRY_ROWS * (h + 1) * 8)
    kept += TELEMETRY_ROWS * (h + 1) * STREAM_BINS * 25 + n * TELEMETRY_PATH_COLUMNS * 8
    chunk = c * (TRAJECTORY_ROWS * (h + 1) * 4 + 8 * max(h + 1, n_inputs)
                 + 8 * OUTPUTS_PER_PATH)
    return kept, chunk


class MemoryBudgetError(ScenarioError):
    """A run would need more memory than the budget allows."""


def memory_budget_bytes(budget_mb: float | None = None) -> int:
    """The budget in bytes: ``budget_mb``, else ``$ROLLOUT_SIM_MEMORY_BUDGET_MB``, else
    4096 MB. A budget that is not a positive number is one error line."""
    source = "memory budget"
    if budget_mb is None:
        text = os.environ.get(BUDGET_ENV, "").strip()
        if not text:
            return DEFAULT_BUDGET_MB * MiB
        source = BUDGET_ENV
        try:
            budget_mb = float(text)
        except ValueError:
            raise ScenarioError([f"{BUDGET_ENV}: {text!r} is not a number of MB "
                                 f"(allowed range (0, inf))"]) from None
    if isinstance(budget_mb, bool) or not isinstance(budget_mb, int | float) or not (
            math.isfinite(budget_mb) and budget_mb > 0):
        raise ScenarioError([f"{source}: {budget_mb!r} MB is not a positive number "
                             f"(allowed range (0, inf))"])
    return int(budget_mb * MiB)


def estimate_run_bytes(sc: Scenario, paths: int, horizon: int | None = None,
                       bands: bool = True, pilot_lens: bool = True,
                       keep_trajectories: bool | None = None) -> int:
    """Bytes a ``simulate(sc, paths, horizon=horizon, bands=bands)`` run needs at its peak
    (an estimate: within 25 % of the measured peak for medium and large runs)."""
    n = max(int(paths), 0)
    h = sc.horizon if horizon is None else int(horizon)
    n_inputs = len(sc.input_paths())
    n_cohorts = len(sc.adoption.cohorts) + 1
    inputs = n * n_inputs * 8
    outputs = n * OUTPUTS_PER_PATH * 8
    work = n * WORK_COLUMNS * 8
    streamed = streams_trajectories(n, h, bands, keep_trajectories)
    traj = TRAJECTORY_ROWS * (h + 1) * n * 4 if bands and not streamed else 0
    if streamed:  # windows kept to the end, one chunk's arrays at a time
        kept, chunk = _stream_bytes(n, h, n_inputs)
        traj = kept
        work = max(work, chunk)
    elif bands:  # the bands' net / cumulative-net workspace, one block of months
        work += 16 * n * band_block_months(h + 1, n)
    lens = 0
    if pilot_lens:
        n_lens = min(n, LENS_PATHS)
        lens = n_lens * (n_inputs + OUTPUTS_PER_PATH) * 8  # its inputs copy and outputs
        lens += n * LENS_ESTIMATE_COLUMNS * 8
    correlated = 0
    if sc.correlations:  # Iman-Conover on the correlated columns: scores, ranks, result
        k = len({c.a for c in sc.correlations} | {c.b for c in sc.correlations})
        correlated = 4 * n * k * 8
    cohorts = 4 * n_cohorts * 8 * 64  # per-thread cohort state, negligible
    # The lens run's arrays are freed before the bands' workspace is taken: the peak holds
    # one of the two phases, not both.
    return FIXED_BYTES + inputs + outputs + traj + max(work, lens) + correlated + cohorts


def count_text(n: int) -> str:
    """A count for a message: ``1,234,567``, or ``about 10^300`` for absurd ones."""
    digits = len(str(abs(int(n))))
    return f"{n:,}" if digits <= 15 else f"about 10^{digits - 1}"


def _gib(b: float) -> str:
    if b >= 2**80:  # beyond a float's comfort: the order of magnitude says enough
        return f"about 10^{len(str(int(b))) - 1} bytes"
    return f"{b / 2**30:.1f} GiB" if b >= 2**30 else f"{b / MiB:.0f} MiB"


def _valid(paths: int, horizon: int | None) -> bool:
    """Whether ``paths`` and ``horizon`` are values a run accepts (others are left for the
    run itself to report, with its own message)."""
    if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
        return False
    return horizon is None or (not isinstance(horizon, bool) and isinstance(horizon, int)
                               and 1 <= horizon <= 120)


def _refuse(need: int, budget: int, head: str) -> None:
    raise MemoryBudgetError([
        f"{head} needs about {_gib(need)} of memory, above the budget of {_gib(budget)} "
        f"(use fewer paths or a shorter horizon, or raise {BUDGET_ENV})"])


def check_run_budget(sc: Scenario, paths: int, horizon: int | None = None,
                     bands: bool = True, *, budget_mb: float | None = None,
                     pilot_lens: bool = True, keep_trajectories: bool | None = None) -> int:
    """Refuse (:class:`MemoryBudgetError`, one line) a run whose estimate exceeds the
    budget; return the estimate in bytes otherwise. Invalid ``paths`` or ``horizon`` are
    left for :func:`~simulator.simulate` to report."""
    if not _valid(paths, horizon):
        return 0
    need = estimate_run_bytes(sc, paths, horizon, bands, pilot_lens, keep_trajectories)
    budget = memory_budget_bytes(budget_mb)
    if need > budget:
        h = sc.horizon if horizon is None else horizon
        _refuse(need, budget, f"paths: {count_text(paths)} paths x {h} months")
    return need


def check_parallel_budget(sc: Scenario, paths: int, horizon: int | None, workers: int, *,
                          bands: bool = False, pilot_lens: bool = False,
                          budget_mb: float | None = None) -> int:
    """Refuse ``workers`` local processes each running one ``paths``-path run at once (a
    sweep on a local cluster) when together they exceed the budget."""
    if not _valid(paths, horizon) or isinstance(workers, bool) or not isinstance(
            workers, int) or workers < 2:
        return 0
    need = workers * estimate_run_bytes(sc, paths, horizon, bands, pilot_lens)
    budget = memory_budget_bytes(budget_mb)
    if need > budget:
        h = sc.horizon if horizon is None else horizon
        _refuse(need, budget, f"--workers: {workers} points at once x {count_text(paths)} "
                              f"paths x {h} months")
    return need


def estimate_analysis_bytes(sc: Scenario, paths: int, horizon: int | None = None, *,
                            results: int = 2, columns: int = 0, bands: bool = False,
                            pilot_lens: bool = False) -> int:
    """Peak bytes of a paired analysis on ``paths`` paths: its base run (with ``bands`` /
    ``pilot_lens`` as the analysis makes it), ``results`` more per-path result sets alive
    at once on the same inputs (outputs, working columns, gate outcomes), and ``columns``
    float64 columns per path it keeps (each variant's NPV, resamples, rank copies)."""
    n = max(int(paths), 0)
    base = estimate_run_bytes(sc, n, horizon, bands, pilot_lens)
    per_result = n * (OUTPUTS_PER_PATH + WORK_COLUMNS + len(sc.gates)) * 8
    return base + results * per_result + n * columns * 8


def check_analysis_budget(sc: Scenario, paths: int, horizon: int | None = None, *,
                          what: str, budget_mb: float | None = None, **kw) -> int:
    """:func:`check_run_budget` for an analysis (``what`` names it in the message); the
    keywords are :func:`estimate_analysis_bytes`'s."""
    if not _valid(paths, horizon):
        return 0
    need = estimate_analysis_bytes(sc, paths, horizon, **kw)
    budget = memory_budget_bytes(budget_mb)
    if need > budget:
        h = sc.horizon if horizon is None else horizon
        _refuse(need, budget, f"paths: {what} on {count_text(paths)} paths x {h} months")
    return need


def sobol_paths(sc: Scenario, n_base: int) -> int:
    """Paths Sobol' indices take: ``n_base`` rounded up to a power of 2, times (uncertain
    inputs + 2)."""
    k = sum(not d.is_fixed for d in sc.inputs().values())
    n = 1 << max(1, (max(2, int(n_base)) - 1).bit_length())
    return n * (k + 2)


def check_sobol_budget(sc: Scenario, n_base: int, horizon: int | None = None, *,
                       budget_mb: float | None = None) -> int:
    """Refuse Sobol' indices whose sample (:func:`sobol_paths` rows of every input, and
    the unit-cube design) would not fit the budget, before it is drawn."""
    if isinstance(n_base, bool) or not isinstance(n_base, int) or n_base < 2:
        return 0
    rows = sobol_paths(sc, n_base)
    k = len(sc.input_paths())
    need = estimate_run_bytes(sc, rows, horizon, bands=False, pilot_lens=False) + \
        2 * rows * k * 8
    budget = memory_budget_bytes(budget_mb)
    if need > budget:
        _refuse(need, budget, f"--sobol-n: {count_text(n_base)} x (inputs + 2) = "
                              f"{count_text(rows)} paths")
    return need
