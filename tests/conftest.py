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
