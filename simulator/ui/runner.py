"""Cached simulation for the app.

Results are cached with ``st.cache_data`` keyed on the scenario's TOML text, the number of
paths and the seed: the content, never the object, so an edit that round-trips to the same
scenario is a cache hit, and the cached result is exactly what the downloaded TOML
reproduces (the run re-reads that very text).
"""

from __future__ import annotations

import streamlit as st

from ..results import SimulationResult
from ..scenario import Scenario, loads_scenario
from ..simulation import simulate

COMPILE_MESSAGE = (
    "Preparing the simulation engine: the first run on a fresh machine compiles the model "
    "once (up to a minute); after that every update takes under a second.")
RUN_MESSAGE = "Simulating..."

_warm = False


@st.cache_data(show_spinner=False, max_entries=24)
def run_toml(toml_text: str, paths: int, seed: int) -> SimulationResult:
    """Simulate the scenario given as TOML text (cached on the text, paths and seed)."""
    return simulate(loads_scenario(toml_text, source="app"), paths=paths, seed=seed)


def run(sc: Scenario, paths: int, seed: int) -> SimulationResult:
    """Simulate ``sc`` through the cache; the first call in a process compiles the kernels."""
    global _warm
    res = run_toml(sc.to_toml(), int(paths), int(seed))
    _warm = True
    return res


def spinner_message() -> str:
    """The compile sentence until a run has finished in this process, then a short one."""
    return RUN_MESSAGE if _warm else COMPILE_MESSAGE


__all__ = ["COMPILE_MESSAGE", "RUN_MESSAGE", "run", "run_toml", "spinner_message"]
