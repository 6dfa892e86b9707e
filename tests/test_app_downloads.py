"""The app's download buttons make their files only when clicked: a rerun neither writes the
bands CSV nor sends either file, and the files made on click are the ones documented."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from simulator import loads_scenario
from simulator.ui import rollout, runner, session

ROOT = Path(__file__).resolve().parents[1]
PATHS, SEED = 300, 5


def test_a_rerun_makes_no_download_file():
    runner.CACHE.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[session.PATHS] = PATHS
    at.session_state[session.SEED] = SEED
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download scenario (TOML)",
                                                "Download forecast ranges (CSV)"]
    res = runner.run_toml(at.session_state[rollout.CURRENT], PATHS, SEED)  # the shown result
    assert "bands_csv" not in res.meta  # not made by the rerun
    runner.CACHE.clear()


def test_the_files_made_on_click(seed_case):
    res = runner.run(seed_case, PATHS, SEED)
    toml, csv = session.downloads(seed_case, res, PATHS, SEED)
    assert toml.file_name == f"{session.slug(seed_case.name)}.toml"
    assert csv.file_name == toml.file_name.replace(".toml", "_bands.csv")
    text = toml.data()
    assert text == session.scenario_download(seed_case, PATHS, SEED)[1]
    assert loads_scenario(text).to_toml() == seed_case.to_toml()
    frame = pd.read_csv(io.StringIO(csv.data()))
    want = res.bands_wide().reset_index()
    assert list(frame.columns) == list(want.columns) and len(frame) == len(want)
    assert "bands_csv" in res.meta  # kept with the shared result once made
    runner.CACHE.clear()


def test_the_export_tab_opens_without_running_the_analyses(monkeypatch):
    """Opening the Export tab builds nothing: the deck's analyses run only when the deck
    button is pressed (they took about 20 s when the tab ran them on opening)."""
    from simulator.ui import analysis

    calls = []

    def spy(ctx):
        calls.append(ctx)
        raise AssertionError("the analyses ran when the tab opened")

    monkeypatch.setattr(analysis, "cached_findings", spy)
    runner.CACHE.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[session.PATHS] = PATHS
    at.session_state[session.SEED] = SEED
    at.session_state[session.MAIN_TAB] = "Export"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Slide deck (.pptx)" in labels and "Workbook (.xlsx)" in labels
    assert calls == []
    assert at.checkbox(key="export_findings").value is True  # on, but deferred to the click
    assert at.checkbox(key="export_paths_sheet").value is False
    runner.CACHE.clear()
