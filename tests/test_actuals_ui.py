"""Actuals charts and the app's Actuals tab (driven headless with AppTest)."""

from __future__ import annotations

import json

import pytest
from conftest import SCENARIOS
from tab_harness import tab_app

from simulator import simulate
from simulator.actuals import condition, diagnose, lever_gains, reads_actuals
from simulator.charts.actuals import (
    actual_points,
    actuals_fan_chart,
    diagnosis_chart,
    input_shift_chart,
    lever_gain_chart,
    npv_update_chart,
)

SEED_CASE = str(SCENARIOS / "seed_case.toml")
CSV = "month,registered,active_users,accuracy,incidents,cost\n2,100,15,0.86,0,\n6,200,46,,1,\n"


@pytest.fixture(scope="module")
def post(seed_case):
    return condition(simulate(seed_case, paths=2_000, seed=5), reads_actuals(CSV, 36))


def _marks(spec: dict) -> list[str]:
    out = []
    for layer in spec.get("layer", []):
        m = layer.get("mark")
        out.append(m if isinstance(m, str) else m["type"])
    return out


def test_fan_chart_draws_actual_months_as_points(post):
    pts = actual_points(post, "active_rate")
    assert pts["month"].tolist() == [2, 6]
    assert pts["value"].tolist() == pytest.approx([0.15, 0.23])
    spec = actuals_fan_chart(post, "active_rate").to_dict()
    assert "point" in _marks(spec) and "rule" in _marks(spec)
    assert "actuals" in json.dumps(spec["title"])
    # Money axes carry the currency; metrics without actuals draw no points.
    spec = actuals_fan_chart(post, "cum_net").to_dict()
    assert "point" not in _marks(spec) and "(USD)" in json.dumps(spec)
    with pytest.raises(ValueError, match="not a band metric"):
        actuals_fan_chart(post, "npv")


def test_other_charts_build(post):
    d = diagnose(post)
    for chart in (npv_update_chart(post), diagnosis_chart(d), input_shift_chart(d),
                  lever_gain_chart(lever_gains(post))):
        spec = chart.to_dict()
        assert spec["title"]["text"]


def test_tab_updates_with_pasted_actuals_and_levers():
    at = tab_app("Actuals", SEED_CASE, 600, 3, timeout=180)
    at.run()
    assert not at.exception
    assert any("Upload or paste" in i.value for i in at.info)
    at.text_area(key="actuals_paste").input(CSV).run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) >= 3
    assert any("Your actuals " in m.value for m in at.markdown)
    assert any("false alarms" in c.value for c in at.caption)
    at.checkbox(key="actuals_levers").check().run()
    assert not at.exception and not at.error
    assert any("Fix first" in m.value for m in at.markdown)


def test_tab_shows_error_for_malformed_actuals_and_keeps_running():
    at = tab_app("Actuals", SEED_CASE, 300, 3, timeout=180)
    at.run()
    at.text_area(key="actuals_paste").input("month,registered,active_users\n6,200,250\n").run()
    assert not at.exception
    assert len(at.error) == 1
    assert "row 2, column active_users: 250 is above registered 200" in at.error[0].value
    at.text_area(key="actuals_paste").input("").run()
    at.checkbox(key="actuals_example").check().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) >= 3
