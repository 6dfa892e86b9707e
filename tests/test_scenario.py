"""Scenario files: validation messages, editing, round trips, and the generated reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import ScenarioError, load_scenario, loads_scenario, parse_scenario, simulate
from simulator.schema_doc import render, schema_paths

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def problems(data) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(data)
    return exc.value.problems


def test_at_least_three_scenarios_ship_and_load():
    assert len(SHIPPED) >= 3
    for f in SHIPPED:
        sc = load_scenario(f)
        assert sc.inputs()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("adoption.cohorts[1].size", -5, "adoption.cohorts[1].size: -5 is below 0"),
        ("data.ood_share", 1.4, "data.ood_share: 1.4 is above 1"),
        ("economics.hourly_cost", -3.0, "economics.hourly_cost: -3 is below 0"),
        ("scenario.horizon_months", 121, "scenario.horizon_months: 121 is above 120"),
        ("scenario.horizon_months", 0, "scenario.horizon_months: 0 is below 1"),
        ("data.ood_share", {"dist": "pert", "min": 0.3, "mode": 0.2, "max": 0.5},
         "data.ood_share: needs min <= mode <= max"),
        ("data.ood_share", {"dist": "pert", "min": 0.3, "mode": 0.5, "max": 1.5},
         "data.ood_share: pert max 1.5 is above 1"),
        ("data.ood_share", {"dist": "gamma", "k": 2},
         "data.ood_share: unknown distribution 'gamma'"),
        ("economics.hourly_cost", {"dist": "normal", "mean": 50, "sd": 40},
         "economics.hourly_cost: normal puts 10.6% of its mass below 0"),
        ("adoption.cohorts[0].tier", "gold", "adoption.cohorts[0].tier: 'gold' is not a tier"),
        ("adoption.cohorts[0].start_month", 40,
         "adoption.cohorts[0].start_month: 40 is after the horizon (36 months)"),
        ("levers.feedback_loop.capture_rate", 2, "levers.feedback_loop.capture_rate: 2 is above 1"),
    ],
)
def test_bad_values_name_field_value_and_range(seed_case, path, value, expected):
    with pytest.raises(ScenarioError) as exc:
        seed_case.with_values({path: value})
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems
    assert len(exc.value.problems) == 1


def test_unknown_keys_are_rejected(seed_case):
    data = seed_case.to_dict()
    data["economics"]["minutes_saved"] = 5
    data["extra_table"] = {}
    lines = problems(data)
    assert "economics.minutes_saved: unknown key (not part of the scenario format)" in lines
    assert "extra_table: unknown key (not part of the scenario format)" in lines


def test_one_line_per_problem(seed_case):
    data = seed_case.to_dict()
    data["pilot"]["accuracy"] = 1.2
    data["adoption"]["cohorts"][1]["size"] = -1
    del data["economics"]["hourly_cost"]
    lines = problems(data)
    assert sorted(lines) == sorted([
        "pilot.accuracy: 1.2 is above 1",
        "adoption.cohorts[1].size: -1 is below 0",
        "economics.hourly_cost: is required",
    ])


def test_not_toml_is_one_clear_line():
    with pytest.raises(ScenarioError, match="not valid TOML"):
        loads_scenario("[scenario\nname=")


def test_with_values_copies_and_revalidates(seed_case):
    sc2 = seed_case.with_values({"adoption.cohorts[0].size": 400})
    assert sc2.adoption.cohorts[0].size == 400
    assert seed_case.adoption.cohorts[0].size == 88
    with pytest.raises(ScenarioError, match="no such field"):
        seed_case.with_values({"adoption.cohorts[9].size": 1})
    with pytest.raises(ScenarioError, match="unknown lever"):
        seed_case.with_levers(magic=True)


@pytest.mark.parametrize("f", SHIPPED, ids=lambda p: p.name)
def test_toml_round_trip_gives_identical_results(f):
    sc = load_scenario(f)
    back = loads_scenario(sc.to_toml())
    assert back == sc
    a = simulate(sc, paths=500, seed=3, pilot_lens=False).metric("npv")
    b = simulate(back, paths=500, seed=3, pilot_lens=False).metric("npv")
    np.testing.assert_array_equal(a, b)


def test_schema_doc_matches_schema():
    committed = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/scenario-reference.md is out of date: run "
        "`python -m simulator.schema_doc > docs/scenario-reference.md`")
    for path in schema_paths():
        assert f"`{path}`" in committed


def test_every_shipped_key_is_documented():
    """Each key used in the shipped files appears in the reference (no silent extras)."""
    import tomllib

    doc = render()

    def walk(d, prefix):
        for k, v in d.items():
            if isinstance(v, dict) and "dist" not in v:
                name = "NAME" if prefix == "adoption.tiers" else k
                yield from walk(v, f"{prefix}.{name}" if prefix else name)
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                for item in v:
                    yield from walk(item, f"{prefix}.{k}[i]" if prefix else f"{k}[i]")
            else:
                yield f"{prefix}.{k}" if prefix else k

    for f in SHIPPED:
        for key in walk(tomllib.loads(f.read_text()), ""):
            assert f"`{key}`" in doc, key


def test_cli_validate_reports_without_traceback(tmp_path, seed_case):
    bad = seed_case.to_toml().replace("size = 88", "size = -5")
    f = tmp_path / "bad.toml"
    f.write_text(bad)
    r = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(f)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "adoption.cohorts[0].size: -5 is below 0" in r.stderr
    assert "Traceback" not in r.stderr
    ok = subprocess.run([sys.executable, "-m", "simulator.cli", "validate",
                         str(ROOT / "scenarios" / "seed_case.toml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")


#: Every name simulator/scenario.py defined before it became a package.
_SCENARIO_NAMES = (
    "INF ScenarioError _DistSpec Uniform Triangular Pert Normal LogNormal Beta DistSpec "
    "Uncertain _TAIL_TOLERANCE _fmt as_dist _check_range uncertain plain Section Meta Pilot "
    "Data Improvement Integration Tier Cohort Adoption Economics VariabilityTesting "
    "LoadTesting ChangePlan FeedbackLoop Levers Correlation LEVERS Scenario _JOIN _TOKEN "
    "_split_path get_path _set_path _loc _describe _problems parse_scenario loads_scenario "
    "read_toml load_scenario Gate GATE_ACTIONS").split()


def test_scenario_package_keeps_every_name():
    import simulator.scenario as package
    from simulator.scenario import catalog, describe, metadata

    missing = [n for n in _SCENARIO_NAMES if not hasattr(package, n)]
    assert not missing
    added = {n for n in package.__all__ if n.startswith("MAX_")}
    for module in (catalog, describe, metadata):
        added |= set(module.__all__)
    assert set(package.__all__) - set(_SCENARIO_NAMES) <= added
    assert all(not n.startswith("_") for n in package.__all__)
