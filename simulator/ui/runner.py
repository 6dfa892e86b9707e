"""Cached simulation for the app, shared by every session of the server process.

Results are keyed on the scenario's TOML text, the number of paths and the seed: the
content, never the object, so an edit that round-trips to the same scenario is a hit, and the
cached result is exactly what the downloaded TOML reproduces (the run re-reads that text).
The cache is bounded by bytes (:data:`CACHE_BYTES`, least recently used out first), and hands
every session the same read-only result, so its summary and bands are computed once.
Sessions asking for the same run while it is computing wait for it instead of repeating it.
Different runs share the cores (:func:`compute_threads`): a run alone uses numba's threads on
every core; runs that overlap each take one thread, up to one run per core at a time and
only while their estimated memory together stays within the server's budget
(:mod:`simulator.budget`): a parallel kernel whose threads must wait for each other loses
most of its speed once other work competes for the cores (on the 2-core machine under load
a 10,000-path run took 0.25 s on two threads and 0.13 s on one). Every run passes
:func:`limits.check_run` first.

The compiled kernels release the GIL (``nogil=True``), so other sessions' scripts run
while one simulates; tabs that simulate on their own may then start a parallel kernel
beside the runner's, so the server asks numba for a thread-safe threading layer (OpenMP
or TBB; numba's own workqueue layer aborts on concurrent use) unless
``NUMBA_THREADING_LAYER`` says otherwise.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numba

from ..budget import estimate_run_bytes, memory_budget_bytes
from ..results import SimulationResult
from ..scenario import Scenario, loads_scenario
from ..simulation import simulate
from . import limits, timing

COMPILE_MESSAGE = (
    "Preparing the simulation engine: the first run on a fresh machine compiles the model "
    "once (up to a minute); after that every update takes under a second.")
RUN_MESSAGE = "Simulating..."
#: Whether this process has checked for (and made) compiled kernels.
_compiled = False

#: Bytes of results kept for reuse (``ROLLOUT_SIM_CACHE_MB`` overrides, in megabytes).
CACHE_BYTES = int(float(os.environ.get("ROLLOUT_SIM_CACHE_MB", "256")) * 1_000_000)

_warm = False
#: Simulations computing at once in this process (at most): one per core numba may use.
SLOTS = max(1, int(numba.config.NUMBA_NUM_THREADS))
_admit = threading.Condition()  # guards the three counts below
_waiting = 0  # runs waiting to start
_running = 0  # runs computing
_running_bytes = 0  # their estimated peak memory
if "NUMBA_THREADING_LAYER" not in os.environ:  # read at the first parallel launch
    numba.config.THREADING_LAYER = "threadsafe"

Key = tuple[str, int, int]


def result_bytes(res: SimulationResult) -> int:
    """Memory held by a result's arrays (what the cache budget counts)."""
    arrays = (res.inputs, res.out, res.lens_npv, res.registered, res.trajectories,
              res.band_array, res.telemetry_band_array, res.telemetry_at_m6)
    return sum(a.nbytes for a in arrays if a is not None)


def _freeze(res: SimulationResult) -> SimulationResult:
    """Make a shared result's arrays read-only: no session can change another's numbers."""
    for a in (res.inputs, res.out, res.lens_npv, res.registered, res.trajectories,
              res.band_array, res.telemetry_band_array, res.telemetry_at_m6):
        if a is not None:
            a.setflags(write=False)
    return res


class ResultCache:
    """Least-recently-used results up to ``max_bytes``; one computation per key at a time."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Key, tuple[SimulationResult, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Key, threading.Lock] = {}
        self.hits = self.misses = 0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(n for _, n in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def _lookup(self, key: Key) -> SimulationResult | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def _store(self, key: Key, res: SimulationResult) -> None:
        n = result_bytes(res)
        with self._lock:
            self._items[key] = (res, n)
            self._items.move_to_end(key)
            total = sum(v for _, v in self._items.values())
            while total > self.max_bytes and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                total -= dropped

    def get(self, key: Key, compute: Callable[[], SimulationResult]) -> SimulationResult:
        """The cached result for ``key``, computing it (once, whoever asks) when absent."""
        res = self._lookup(key)
        if res is not None:
            return res
        with self._lock:
            pending = self._pending.setdefault(key, threading.Lock())
        try:
            with pending:
                res = self._lookup(key)
                if res is not None:
                    return res
                with self._lock:
                    self.misses += 1
                res = _freeze(compute())
                self._store(key, res)
                return res
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


CACHE = ResultCache(CACHE_BYTES)


def compute_threads(others: int, cores: int = SLOTS) -> int:
    """numba threads for a run that starts while ``others`` runs compute or wait: every core
    for a run alone, one each when runs overlap (they then run side by side, one per core)."""
    return cores if others <= 0 else 1


def _may_start(need: int, budget: int) -> bool:
    """Whether a run needing ``need`` bytes may start now: alone always (the limits already
    refused any run over the budget), beside others while a core is free and the estimated
    memory of all of them stays within the budget."""
    return _running == 0 or (_running < SLOTS and _running_bytes + need <= budget)


def _simulate_text(toml_text: str, paths: int, seed: int) -> SimulationResult:
    global _waiting, _running, _running_bytes
    sc = loads_scenario(toml_text, source="app")
    limits.check_run(sc, paths)
    need, budget = estimate_run_bytes(sc, paths), memory_budget_bytes()
    with _admit:
        others = _running + _waiting
        _waiting += 1
        try:
            _admit.wait_for(lambda: _may_start(need, budget))
        finally:
            _waiting -= 1
        _running += 1
        _running_bytes += need
    try:
        before = numba.get_num_threads()  # per calling thread in numba
        numba.set_num_threads(compute_threads(others))
        t0 = time.perf_counter()
        try:
            # the app's usage charts and actuals tab read the trajectories
            return simulate(sc, paths=paths, seed=seed, keep_trajectories=True)
        finally:
            timing.add_compute(time.perf_counter() - t0)
            numba.set_num_threads(before)
    finally:
        with _admit:
            _running -= 1
            _running_bytes -= need
            _admit.notify_all()


def run_toml(toml_text: str, paths: int, seed: int) -> SimulationResult:
    """Simulate the scenario given as TOML text (shared cache on the text, paths and seed).

    Raises :class:`~simulator.scenario.ScenarioError` for an invalid scenario or one over
    the app's limits. The result is shared and read-only.
    """
    global _warm
    paths, seed = int(paths), int(seed)
    t0 = time.perf_counter()
    try:
        res = CACHE.get((toml_text, paths, seed),
                        lambda: _simulate_text(toml_text, paths, seed))
    finally:
        timing.add_simulation(time.perf_counter() - t0)
    _warm = True
    return res


def run(sc: Scenario, paths: int, seed: int) -> SimulationResult:
    """Simulate ``sc`` through the cache; the first call in a process loads the kernels."""
    return run_toml(sc.to_toml(), paths, seed)


def chart_spec(res: SimulationResult, name: str, build: Callable[[], Any]) -> dict:
    """The Vega-Lite spec of chart ``name`` of a (shared) result, built once per result.

    ``build`` returns the spec (a dict, e.g. from :mod:`simulator.charts.specs`) or an
    altair chart; the spec is kept with the result, so every session and every rerun that
    shows the same result reuses it instead of rebuilding the chart. Its datasets are kept
    as Arrow bytes, the form ``st.vega_lite_chart`` sends them in, so no rerun converts
    them again.
    """
    specs = res.meta.setdefault("chart_specs", {})
    spec = specs.get(name)
    if spec is None:
        built = build()
        spec = built if isinstance(built, dict) else built.to_dict(validate=False)
        spec = specs[name] = arrow_datasets(spec)
    return spec


def forecast_specs(res: SimulationResult, adoption: str, currency: str) -> list[dict]:
    """The Forecast tab's four chart specs of a (shared) result: adoption, accuracy and
    cumulative net cash fans, and the NPV histogram; each built once per result
    (:func:`chart_spec`) from chart templates built once per process."""
    from ..charts import specs
    from ..charts.forecast import onboarded_share_chart

    if adoption == "active_share":  # the fan over onboarded users, registrations below it
        out = [chart_spec(res, adoption, lambda: stable_datasets(
            onboarded_share_chart(res, currency).to_dict(validate=False), adoption))]
    else:
        out = [chart_spec(res, adoption, lambda: stable_datasets(
            specs.fan_spec(res.bands, adoption, currency), adoption))]
    out += [chart_spec(res, m, lambda m=m: stable_datasets(
        specs.fan_spec(res.bands, m, currency), m)) for m in ("accuracy", "cum_net")]
    out.append(chart_spec(res, "npv", lambda: stable_datasets(specs.npv_spec(
        res.metric("npv"), res.summary["pilot_lens_npv"], currency), "npv")))
    return out


def stable_datasets(spec: dict, prefix: str) -> dict:
    """``spec`` with its datasets named ``prefix-0``, ``prefix-1``, ... (in order) instead of
    hashes of their rows (a new dict).

    The browser keeps a chart whose spec is unchanged and only swaps the data of a dataset
    whose bytes changed; with names that are hashes of the data every new result changed
    the spec too, and each chart was compiled and drawn from scratch.
    """
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    names = {old: f"{prefix}-{i}" for i, old in enumerate(datasets)}
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    for old, new in names.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return {**json.loads(text), "datasets": {names[k]: v for k, v in datasets.items()}}


def arrow_datasets(spec: dict) -> dict:
    """``spec`` with its named datasets (lists of rows) as Arrow IPC bytes (a new dict)."""
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    return {**spec, "datasets": {name: rows if isinstance(rows, bytes) else _arrow(rows)
                                 for name, rows in datasets.items()}}


def _arrow(rows: Any) -> bytes:
    """Rows (dicts of plain values) as Arrow IPC bytes: straight to an Arrow table, not
    through a pandas frame, which cost most of building a new result's chart specs."""
    import pyarrow as pa
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    if isinstance(rows, list) and rows and all(isinstance(r, dict) and r for r in rows):
        try:
            return convert_anything_to_arrow_bytes(pa.Table.from_pylist(rows))
        except (pa.ArrowException, OverflowError):  # mixed types: let pandas decide
            pass
    return convert_anything_to_arrow_bytes(rows)


def ensure_compiled(show: Callable[[float, str], object]) -> bool:
    """Before the first run of a process whose kernel cache is empty: compile the kernels
    one at a time, calling ``show(fraction_done, text)`` before and after each (the app
    draws a progress bar: "Compiling the simulation kernels, first run only, about N s").
    True if it compiled; False (and no call) when the kernels are cached or loaded."""
    global _compiled
    if _compiled:
        return False
    from ..kernel_cache import compile_notice, kernels_cached
    from ..kernel_compile import compile_kernels

    _compiled = True
    if kernels_cached():
        return False
    notice = compile_notice()
    show(0.0, notice)
    compile_kernels(lambda k, n, name, s: show(k / n, f"{notice}: {name} ready ({k}/{n})"))
    return True


def spinner_message() -> str:
    """The compile sentence until a run has finished in this process, then a short one."""
    return RUN_MESSAGE if _warm else COMPILE_MESSAGE


__all__ = ["CACHE", "CACHE_BYTES", "COMPILE_MESSAGE", "RUN_MESSAGE", "SLOTS", "ResultCache",
           "arrow_datasets", "chart_spec", "compute_threads", "ensure_compiled", "forecast_specs",
           "result_bytes",
           "run", "run_toml", "spinner_message", "stable_datasets"]
