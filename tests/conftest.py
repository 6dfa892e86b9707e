"""Shared fixtures; keeps numba's cache inside the repo's ignored files."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import pytest  # noqa: E402

from simulator import load_scenario  # noqa: E402

SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def seed_case():
    return load_scenario(SCENARIOS / "seed_case.toml")


@pytest.fixture(scope="session")
def all_levers():
    return load_scenario(SCENARIOS / "seed_case_all_levers.toml")


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Streamlit's AppTest installs its script as ``__main__`` and leaves it there; process
    pools that start by spawn (Dask's LocalCluster) would then re-run that script in every
    child. Restore the real ``__main__`` after each test."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
