"""The app reads a scenario file or upload once, not at every rerun: the same object while the
file is unchanged (so what is computed per scenario object is reused), a new one once it
changes, and an invalid file is never kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulator import ScenarioError
from simulator.ui import controls, session

SEED_CASE = Path(__file__).resolve().parents[1] / "scenarios" / "seed_case.toml"


def test_an_unchanged_file_gives_the_same_scenario_and_a_changed_one_a_new(tmp_path):
    f = tmp_path / "case.toml"
    text = SEED_CASE.read_text()
    f.write_text(text)
    a = session.load_file(f)
    assert session.load_file(f) is a
    assert controls.scenario_token(session.load_file(f)) == controls.scenario_token(a)
    f.write_text(text.replace('name = "', 'name = "Renamed ', 1))
    os.utime(f, ns=(1, 1))  # another modification time, whatever the clock's resolution
    b = session.load_file(f)
    assert b is not a and b.name.startswith("Renamed ") and not a.name.startswith("Renamed ")


def test_an_invalid_file_raises_every_time_and_is_not_kept(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[scenario\n")
    for _ in range(2):
        with pytest.raises(ScenarioError):
            session.load_file(f)
    with pytest.raises(ScenarioError):
        session.load_file(tmp_path / "absent.toml")


def test_the_same_upload_parses_once():
    data = SEED_CASE.read_bytes()
    a = session.scenario_from_upload("mine.toml", data)
    assert session.scenario_from_upload("mine.toml", data) is a
    assert session.scenario_from_upload("mine.toml", data + b"\n") is not a
    with pytest.raises(ScenarioError, match="UTF-8"):
        session.scenario_from_upload("bad.toml", b"\xff\xfe")
