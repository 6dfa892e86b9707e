"""One registry of labels and one money style: every input and output is named and formatted
the same way in the app, the CLI, the deck, the workbook and the charts."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import formatting as F
from simulator import labels as L
from simulator import load_scenario, simulate
from simulator.scenario import Scenario, Section

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=200, seed=5)


def test_the_labels_the_issue_names():
    assert L.label("economics.minutes_saved_per_task") == "Minutes saved per task (minutes)"
    assert L.label("npv") == "NPV"
    assert L.label("active_rate_m6") == "Active rate, month 6"
    assert L.label("npv_p10") == "NPV P10"
    assert L.label("prob_npv_positive") == "P(NPV > 0)"
    assert L.label("economics.hourly_cost", "EUR") == "Hourly cost (EUR/hour)"
    assert L.label("levers.change_plan.cost", "GBP") == "Change plan for every cohort: cost (GBP)"
    assert L.label("adoption.tiers.login_only.ceiling") == \
        "Login only tier: adoption ceiling u (%)"


@pytest.mark.parametrize("file", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_every_input_of_every_shipped_scenario_has_a_readable_label(file):
    sc = load_scenario(SCENARIOS / file)
    cur = sc.scenario.currency
    labels = {}
    for path, d in sc.inputs().items():
        text = L.label(path, cur)
        assert "_" not in text.replace("login_only", ""), text  # no raw key leaks through
        assert text[:1].isupper(), text
        meta = L.field_meta(path)
        assert meta.uncertain and meta.description
        # the schema's declared range holds every quantile the scenario states
        assert all(meta.lo <= v <= meta.hi for v in d.describe()), path
        if meta.kind == "money":
            assert f"({cur}" in text, text
        labels[path] = text
    # labels identify their input: no two inputs read the same
    assert len(set(labels.values())) == len(labels)


def test_field_meta_reads_the_schema_declaration():
    m = L.field_meta("economics.hourly_cost")
    info = Scenario.model_fields["economics"].annotation.model_fields["hourly_cost"]
    assert (m.unit, m.lo, m.hi, m.uncertain) == (info.json_schema_extra["unit"],
                                                 info.json_schema_extra["lo"],
                                                 info.json_schema_extra["hi"], True)
    assert m.kind == "money" and m.description == info.description
    # plain fields: ge / le; list and dict members; a distribution parameter
    h = L.field_meta("scenario.horizon_months")
    assert (h.lo, h.hi, h.uncertain, h.unit) == (1, 120, False, "months")
    assert L.field_meta("adoption.cohorts[2].size").unit == "users"
    assert L.field_meta("adoption.cohorts.0.size") == L.field_meta("adoption.cohorts.0.size")
    assert L.field_meta("adoption.tiers.anything.ceiling").hi == 1.0
    assert L.field_meta("economics.hourly_cost.mode").path == "economics.hourly_cost.mode"
    assert L.field_meta("economics.hourly_cost.mode").unit == "currency/hour"
    with pytest.raises(KeyError, match="economics.hourly_costs: no such field"):
        L.field_meta("economics.hourly_costs")


def _sections(model=Scenario, prefix=""):
    """Every (path, FieldInfo) of the schema's sections, tiers and cohorts included."""
    import typing

    for name, info in model.model_fields.items():
        ann = info.annotation
        origin = typing.get_origin(ann)
        inner = typing.get_args(ann)[-1] if origin in (list, dict) else None
        if isinstance(inner, type) and issubclass(inner, Section):
            key = "[0]" if origin is list else ".x"
            yield from _sections(inner, f"{prefix}{name}{key}.")
        elif isinstance(ann, type) and issubclass(ann, Section):
            yield from _sections(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info


def test_field_meta_covers_every_field_of_the_schema():
    fields = list(_sections())
    assert len(fields) > 50
    for path, info in fields:
        m = L.field_meta(path)
        assert m.info is info
        assert m.lo <= m.hi
        assert L.label(path)  # labels never fail


def test_every_output_of_a_result_is_labelled(res):
    for key in list(res.summary) + list(res.paths.columns.drop(res.input_names)):
        assert L.is_output(key), key
        text = L.output_label(key)
        assert text != key and "_" not in text, (key, text)
        assert L.output_kind(key) in F.KINDS
    assert L.output_kind("npv_p50") == "money"
    assert L.output_kind("payback_month_p50") == "months"
    assert L.output_kind("prob_npv_positive") == "share"
    for metric in res.bands["metric"].unique():
        assert L.is_output(metric), metric


def parse_money(text: str, currency: str) -> float:
    m = re.fullmatch(r"(-?)" + currency + r" ([\d,.]+)([kMB]?)", text)
    assert m, text
    scale = {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}[m.group(3)]
    return (-1 if m.group(1) else 1) * float(m.group(2).replace(",", "")) * scale


@SETTINGS
@given(st.floats(min_value=-5e11, max_value=5e11, allow_nan=False))
def test_money_is_one_style_and_reads_back_within_its_precision(x):
    text = F.money(x, "USD")
    back = parse_money(text, "USD")
    # three significant digits when abbreviated, every unit below 10,000, 3 s.f. below 100
    assert abs(back - x) <= max(0.005 * abs(x), 0.5), (x, text)
    assert (back < 0) == (text.startswith("-")) or back == 0
    assert "e+" not in text and "e-" not in text


def test_money_examples_and_missing_values():
    assert F.money(1234, "USD") == "USD 1,234"
    assert F.money(1_234_567, "USD") == "USD 1.23M"
    assert F.money(-350_000, "EUR") == "-EUR 350k"
    assert F.money(999_999, "USD") == "USD 1M"
    assert F.money(0.004, "USD") == "USD 0.004"
    for bad in (None, math.nan, math.inf):
        assert F.money(bad, "USD") == "n/a"
    assert F.pct(0.234) == "23%" and F.pct(0.2346, 1) == "23.5%"
    assert F.month(None) == "not within horizon" and F.month(16.0) == "month 16"
    assert F.value(True, "bool") == "on" and F.value("x", "text") == "x"


def test_excel_formats_write_money_like_the_text():
    fmt = F.excel_money_format("EUR")
    assert fmt.startswith('"EUR "#,##0;') and '-"EUR "' in fmt
    assert '"M"' in F.chart_money_format("USD", 2e6)
    assert F.money_decimals([0.004, 0.01]) == 4 and F.money_decimals([1e6]) == 0
    assert "'~s'" in F.money_axis_expr("USD") and '"USD "' in F.money_axis_expr("USD")


def test_every_surface_uses_the_one_money_style(res):
    """App metrics, CLI table, export tables and chart labels write the same text."""
    from simulator.cli.core import headline
    from simulator.export.tables import fmt_money
    from simulator.ui.metrics import headline_metrics, money

    v = res.summary["npv_p50"]
    want = F.money(v, "USD")
    assert money(v, "USD") == fmt_money(v, "USD") == want
    tile = next(h for h in headline_metrics(res) if h.key == "npv_p50")
    assert tile.text == want
    rows = dict(headline(res))
    assert want in rows["NPV P10 / P50 / P90"]
