"""The Forecast tab's charts name their datasets by chart and position, not by a hash of the
rows: a new result with the same shape sends the same spec with other data, so the browser
swaps the data of a drawn chart instead of compiling and drawing it again."""

from __future__ import annotations

import json

import pyarrow as pa

from simulator import simulate
from simulator.charts import specs
from simulator.ui import runner


def _rows(arrow: bytes) -> list[dict]:
    return pa.ipc.open_stream(arrow).read_all().to_pylist()


def test_a_new_result_keeps_each_fan_spec_and_changes_only_its_data(seed_case):
    a = simulate(seed_case, paths=300, seed=1)
    b = simulate(seed_case, paths=300, seed=9)  # other paths: every fan's rows change
    c = simulate(seed_case.with_values({"scenario.discount_rate_annual": 0.2}), paths=300,
                 seed=1)  # only the NPV changes
    sa, sb, sc = (runner.forecast_specs(r, "active_rate", "USD") for r in (a, b, c))
    for x, y in zip(sa[:3], sb[:3], strict=True):  # the three fans: spec unchanged
        assert {k: v for k, v in x.items() if k != "datasets"} == \
            {k: v for k, v in y.items() if k != "datasets"}
        assert list(x["datasets"]) == list(y["datasets"])  # same names, other rows
        assert x["datasets"] != y["datasets"]
    assert list(sa[2]["datasets"]) == ["cum_net-0", "cum_net-1"]
    assert sa[:3] == sc[:3]  # a discount-rate change leaves the fans exactly as they were
    assert sa[3] != sc[3]


def test_renamed_datasets_draw_the_same_rows(seed_case):
    res = simulate(seed_case, paths=300, seed=2)
    plain = specs.fan_spec(res.bands, "cum_net")
    named = runner.stable_datasets(plain, "x")
    assert set(named["datasets"]) == {"x-0", "x-1"}
    assert "data-" not in json.dumps({k: v for k, v in named.items() if k != "datasets"})
    for old, new in zip(plain["datasets"], named["datasets"], strict=True):
        assert named["datasets"][new] == plain["datasets"][old]
    # every layer still points at the rows it drew
    layers = [(lay.get("data") or plain.get("data"))["name"] for lay in plain["layer"]]
    renamed = [(lay.get("data") or named.get("data"))["name"] for lay in named["layer"]]
    back = dict(zip(named["datasets"], plain["datasets"], strict=True))
    assert [back[n] for n in renamed] == layers
    kept = runner.forecast_specs(res, "active_rate", "USD")[2]
    for name, rows in named["datasets"].items():  # as sent: Arrow bytes of the same rows
        assert _rows(kept["datasets"][name.replace("x-", "cum_net-")]) == rows
    assert runner.stable_datasets({"mark": "bar"}, "y") == {"mark": "bar"}
