"""Server-side time of each script run, logged for the load benchmark when asked for.

With ``ROLLOUT_SIM_RERUN_LOG=FILE`` in the server's environment, every run of ``app.py``
appends one JSON line to FILE: the session, when the run ended, its script time and the part
spent in :func:`simulator.ui.runner.run` (waiting for and running simulations) and, of that,
computing a simulation itself (the rest is queueing behind other sessions). Without it
nothing is measured or written. ``benchmarks/load_app.py`` sets it, to tell the server's
share of a browser-observed latency from the browsers' own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, NoReturn

ENV = "ROLLOUT_SIM_RERUN_LOG"

_local = threading.local()  # one script thread per session run
_write = threading.Lock()


def log_path() -> str | None:
    """The log file named by :data:`ENV`, or None (the default: no timing)."""
    return os.environ.get(ENV) or None


def begin() -> None:
    """Mark the start of a script run (the top of ``app.py``)."""
    _local.t0 = time.perf_counter() if log_path() else None
    _local.sim_s = _local.compute_s = 0.0


def add_simulation(seconds: float) -> None:
    """Count ``seconds`` spent waiting for or computing a result in this run."""
    if getattr(_local, "t0", None) is not None:
        _local.sim_s += seconds


def add_compute(seconds: float) -> None:
    """Count ``seconds`` this run's thread spent computing a simulation (queueing excluded)."""
    if getattr(_local, "t0", None) is not None:
        _local.compute_s += seconds


def end(outcome: str = "done") -> dict[str, Any] | None:
    """Append this run's line to the log (``outcome``: ``done`` or ``stopped``) and return it;
    None when timing is off or no run was begun in this thread."""
    t0, path = getattr(_local, "t0", None), log_path()
    if t0 is None or path is None:
        return None
    _local.t0 = None
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    line = {"session": ctx.session_id if ctx is not None else "",
            "end": round(time.time(), 4), "script_s": round(time.perf_counter() - t0, 4),
            "simulate_s": round(_local.sim_s, 4), "compute_s": round(_local.compute_s, 4),
            "outcome": outcome}
    with _write, open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return line


def stop() -> NoReturn:
    """``st.stop()``, logging the run first (a run that stops early, e.g. invalid inputs)."""
    import streamlit as st

    end("stopped")
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover - st.stop always raises


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The lines of a rerun log (empty when the file does not exist)."""
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return []
    return [json.loads(ln) for ln in text.splitlines() if ln.strip()]


__all__ = ["ENV", "add_compute", "add_simulation", "begin", "end", "log_path", "read_log", "stop"]
