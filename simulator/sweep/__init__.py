"""Scripted sensitivity sweeps: vary inputs over a grid or a Latin hypercube design and
collect headline metrics per point, on common random numbers.

>>> from simulator import load_scenario
>>> from simulator.sweep import Sweep, run_sweep
>>> sw = Sweep(load_scenario("scenarios/seed_case.toml"),
...            {"levers.feedback_loop.capture_rate": "lin:0.1:0.6:3"}, paths=200)
>>> table = run_sweep(sw)          # point, the input, npv_p10 ... prob_npv_positive
>>> list(table.columns[:2]), len(table)
(['point', 'levers.feedback_loop.capture_rate'], 3)
>>> bool((table["npv_p10"] <= table["npv_p90"]).all())
True

Backends (:class:`InProcess`, :class:`LocalDask`, :class:`DaskScheduler`, in
:mod:`.backends`) give bit-identical tables; ``run_sweep(..., out="sweep.parquet",
resume=True)`` continues an interrupted run (part files: :mod:`.storage`).
"""

from .backends import (
    Backend,
    DaskScheduler,
    InProcess,
    LocalDask,
    evaluate,
    make_backend,
)
from .errors import SweepError
from .progress import Progress
from .run import run_sweep
from .spec import (
    DEFAULT_METRICS,
    LENS_METRICS,
    POINT,
    SUMMARY_METRICS,
    Axis,
    Sweep,
    SweepPlan,
    allowed_range,
    load_sweep,
    sweep_from_toml,
)
from .storage import check_output, parts_dir, read_table, write_table

__all__ = ["DEFAULT_METRICS", "LENS_METRICS", "POINT", "SUMMARY_METRICS", "Axis", "Backend",
           "DaskScheduler", "InProcess", "LocalDask", "Progress", "Sweep", "SweepError",
           "SweepPlan", "allowed_range", "check_output", "evaluate", "load_sweep",
           "make_backend", "parts_dir", "read_table", "run_sweep", "sweep_from_toml",
           "write_table"]
