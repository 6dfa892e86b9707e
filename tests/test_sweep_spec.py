"""Sweep definitions: parsing, designs, and checks that fail before anything runs."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from simulator import ScenarioError, simulate
from simulator.sweep import (
    POINT,
    SUMMARY_METRICS,
    Axis,
    Sweep,
    allowed_range,
    load_sweep,
    run_sweep,
    sweep_from_toml,
)
from simulator.sweep import backends as sweep_run

# ----------------------------------------------------------------------------- axes


@pytest.mark.parametrize("text, kind, levels", [
    ("1,2,3", "values", [1, 2, 3]),
    ("0.5, 1e3", "values", [0.5, 1000.0]),
    ("true,false", "values", [True, False]),
    ("quick_start,trained", "values", ["quick_start", "trained"]),
    ("lin:0:1:5", "lin", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("log:1:100:3", "log", [1.0, 10.0, 100.0]),
    ("lin:7:7:1", "lin", [7.0]),
])
def test_axis_parse(text, kind, levels):
    a = Axis.parse("x", text)
    assert a.kind == kind
    if kind == "values":
        assert a.levels() == levels
    else:
        np.testing.assert_allclose(a.levels(), levels)


def test_axis_integer_levels_are_rounded_and_unique():
    assert Axis.parse("x", "lin:1:3:5").levels(integer=True) == [1, 2, 3]
    assert Axis.parse("x", "log:50:800:5").levels(integer=True) == [50, 100, 200, 400, 800]


@pytest.mark.parametrize("text, needle", [
    ("lin:0:1:0", "empty range"),
    ("log:0:1:0", "empty range"),
    ("range:2:2", "empty range"),
    ("range:3:1", "empty range"),
    ("1,,2", "empty value"),
    ("", "empty value"),
    ("lin:0:1", "lin:start:stop:num"),
    ("lin:0:x:3", "stop 'x' is not a finite number"),
    ("lin:0:1:2.5", "not a whole number"),
    ("log:0:10:3", "above 0"),
])
def test_axis_parse_errors(text, needle):
    with pytest.raises(ScenarioError) as exc:
        Axis.parse("economics.hourly_cost", text)
    msg = str(exc.value)
    assert needle in msg and "economics.hourly_cost" in msg and "\n" not in msg


def test_axis_from_toml_forms():
    assert Axis.from_value("x", [1, 2]).values == (1, 2)
    assert Axis.from_value("x", {"lin": [0, 1, 3]}).levels() == [0.0, 0.5, 1.0]
    assert Axis.from_value("x", {"range": [0, 1]}).kind == "range"
    assert Axis.from_value("x", "log:1:4:3").levels() == pytest.approx([1, 2, 4])
    with pytest.raises(ScenarioError, match="exactly one of"):
        Axis.from_value("x", {"lin": [0, 1, 3], "log": [1, 2, 3]})
    with pytest.raises(ScenarioError, match="empty list"):
        Axis.from_value("x", [])


# ----------------------------------------------------------------------------- designs


def test_grid_is_the_product_first_input_slowest(seed_case):
    plan = Sweep(seed_case, {"economics.hourly_cost": "40,60",
                             "adoption.cohorts[0].size": "50,100,200"}).plan()
    t = plan.table
    assert list(t.columns) == [POINT, "economics.hourly_cost", "adoption.cohorts[0].size"]
    assert t[POINT].tolist() == list(range(6))
    assert t["economics.hourly_cost"].tolist() == [40, 40, 40, 60, 60, 60]
    assert t["adoption.cohorts[0].size"].tolist() == [50, 100, 200] * 2
    assert plan.scenarios[4].adoption.cohorts[0].size == 100
    assert plan.scenarios[4].inputs()["economics.hourly_cost"].params == (60.0,)


def test_lhs_design_is_stratified_and_seeded(seed_case):
    n = 40
    sw = Sweep(seed_case, {"economics.hourly_cost": "range:40:80",
                           "adoption.cohorts[0].size": "range:50:250"},
               design="lhs", points=n, seed=3)
    t = sw.plan().table
    assert len(t) == n
    # Latin hypercube: exactly one point in each of the n strata of each input.
    strata = np.floor((t["economics.hourly_cost"] - 40) / 40 * n).astype(int)
    assert sorted(strata) == list(range(n))
    assert t["adoption.cohorts[0].size"].dtype.kind == "i"  # integer field: rounded
    assert t["adoption.cohorts[0].size"].between(50, 250).all()
    again = Sweep(seed_case, dict(sw.inputs), design="lhs", points=n, seed=3).plan().table
    assert again.equals(t)
    other = Sweep(seed_case, dict(sw.inputs), design="lhs", points=n, seed=4).plan().table
    assert not other.equals(t)


def test_toml_sweep_file_referencing_a_scenario(tmp_path, seed_case):
    f = tmp_path / "s.toml"
    f.write_text('[sweep]\nscenario = "missing.toml"\n')
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_sweep(f)
    seed_case.save(tmp_path / "case.toml")
    f.write_text("""
[sweep]
scenario = "case.toml"
design = "grid"
paths = 300
seed = 11
metrics = ["npv_p50", "prob_npv_positive"]

[sweep.inputs]
"economics.hourly_cost" = [40, 60]
"levers.feedback_loop.capture_rate" = { lin = [0.2, 0.6, 3] }
"adoption.cohorts[1].size" = "log:25:100:3"
""")
    sw = load_sweep(f)
    assert (sw.paths, sw.seed, sw.metrics) == (300, 11, ("npv_p50", "prob_npv_positive"))
    assert [a.path for a in sw.axes] == ["economics.hourly_cost",
                                          "levers.feedback_loop.capture_rate",
                                          "adoption.cohorts[1].size"]
    assert sw.plan().n_points == 2 * 3 * 3


def test_toml_sweep_section_inside_a_scenario_file(seed_case):
    import tomllib

    data = tomllib.loads(seed_case.to_toml())
    data["sweep"] = {"inputs": {"economics.hourly_cost": "range:40:80"}, "design": "lhs",
                     "points": 5}
    sw = sweep_from_toml(data)
    assert sw.scenario == seed_case and sw.plan().n_points == 5
    data["sweep"]["colour"] = "blue"
    with pytest.raises(ScenarioError, match=r"\[sweep\]\.colour: unknown key"):
        sweep_from_toml(data)


def test_summary_metrics_match_a_real_summary(seed_case):
    s = simulate(seed_case, paths=50, seed=1).summary
    numeric = {k for k, v in s.items() if k not in ("paths", "seed", "horizon_months")
               and (v is None or isinstance(v, float))}
    assert set(SUMMARY_METRICS) == numeric


def test_allowed_range_reads_the_schema():
    assert allowed_range("pilot.accuracy") == (0.0, 1.0)
    assert allowed_range("economics.hourly_cost") == (0.0, 1e7)
    assert allowed_range("economics.hourly_cost.mode") == (0.0, 1e7)
    assert allowed_range("adoption.cohorts[0].size") == (0.0, 10_000_000.0)
    assert allowed_range("adoption.tiers.trained.ceiling") == (0.0, 1.0)
    assert allowed_range("levers.feedback_loop.enabled") is None


# ----------------------------------------------------------------------------- checks


@pytest.mark.parametrize("inputs, kw, needles", [
    ({"economics.hourly_cots": "40,60"}, {},
     ["economics.hourly_cots", "no such input", "did you mean economics.hourly_cost"]),
    ({"economics.hourly_cost": "lin:40:60:0"}, {}, ["economics.hourly_cost", "empty range"]),
    ({"pilot.accuracy": "0.9,1.2"}, {},
     ["pilot.accuracy = 1.2", "above 1", "allowed range [0, 1]"]),
    ({"economics.hourly_cost": "lin:-20:60:3"}, {},
     ["economics.hourly_cost = -20", "below 0", "allowed range [0, 1e+07]"]),
    ({"adoption.cohorts[0].size": "100,20000000"}, {},
     ["adoption.cohorts[0].size = 20000000", "allowed range [0, 1e+07]"]),
    ({"data.ood_share": "range:0.1:1.5"}, {"design": "lhs", "points": 4},
     ["data.ood_share = 1.5", "allowed range [0, 1]"]),
    ({"economics": "1,2"}, {}, ["economics", "is a table"]),
    ({"economics.hourly_cost": "range:40:60"}, {}, ["needs design = \"lhs\""]),
    ({"economics.hourly_cost": "40,60"}, {"design": "lhs", "points": 4}, ["range:lo:hi"]),
    ({"economics.hourly_cost": "range:40:60"}, {"design": "lhs"}, ["points"]),
    ({"economics.hourly_cost": "40"}, {"metrics": ("npv_p50", "npv_p51")},
     ["npv_p51", "not a summary metric"]),
    ({"economics.hourly_cost": "40"}, {"paths": 0}, ["paths: 0", "allowed range [1, inf]"]),
    ({"economics.hourly_cost": "40"}, {"design": "sobol"}, ["design: 'sobol'"]),
    ({}, {}, ["at least one input"]),
])
def test_bad_definitions_fail_with_one_clear_line(seed_case, inputs, kw, needles):
    with mock.patch.object(sweep_run, "simulate") as sim, pytest.raises(ScenarioError) as e:
        run_sweep(Sweep(seed_case, inputs, **kw))
    sim.assert_not_called()  # nothing ran
    msg = str(e.value)
    assert "\n" not in msg, msg
    for n in needles:
        assert n in msg, msg


def test_a_bad_combination_is_caught_before_running(seed_case):
    """Each value is fine alone; together min > mode breaks the PERT: named by point."""
    sw = Sweep(seed_case, {"data.ood_share.min": "0.1,0.22", "data.ood_share.mode": "0.2,0.3"})
    with mock.patch.object(sweep_run, "simulate") as sim, pytest.raises(ScenarioError) as e:
        run_sweep(sw)
    sim.assert_not_called()
    assert "point 2 (data.ood_share.min = 0.22, data.ood_share.mode = 0.2)" in str(e.value)


def test_bad_output_suffix_fails_before_running(seed_case, tmp_path):
    sw = Sweep(seed_case, {"economics.hourly_cost": "40,60"}, paths=10)
    with mock.patch.object(sweep_run, "simulate") as sim, \
            pytest.raises(ScenarioError, match="unknown format '.xlsx'"):
        run_sweep(sw, out=tmp_path / "s.xlsx")
    sim.assert_not_called()
    assert not list(tmp_path.iterdir())
