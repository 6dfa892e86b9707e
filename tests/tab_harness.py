"""One harness for every tab test: a registered tab drawn alone by Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def tab_script(label: str, scenario: str, paths: int, seed: int, result_paths: int) -> None:
    """The script AppTest runs: the tab registered under ``label``, on a fresh result."""
    from simulator import load_scenario, simulate
    from simulator.ui.registry import TabContext
    from simulator.ui.tabs import by_label

    sc = load_scenario(scenario)
    by_label(label).render(TabContext(scenario=sc, paths=paths, seed=seed,
                                      result=simulate(sc, paths=result_paths, seed=seed)))


def tab_app(label: str, scenario: str, paths: int, seed: int, result_paths: int | None = None,
            timeout: float = 180) -> AppTest:
    """An AppTest (not yet run) of the tab registered under ``label``; its result runs
    ``result_paths`` paths (default ``paths``), its analyses ``paths``."""
    return AppTest.from_function(tab_script, default_timeout=timeout, args=(
        label, scenario, paths, seed, paths if result_paths is None else result_paths))
