"""The finance deck re-opened with python-pptx: charts and tables hold the simulated numbers."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches, Pt

from simulator import simulate
from simulator.export import deck as deckmod
from simulator.export.deck import build_deck, deck_bytes, write_deck
from simulator.export.tables import fmt_input, fmt_money, fmt_month, fmt_pct, levers_frame
from simulator.labels import input_label

PATHS, SEED = 400, 11
DATE = dt.date(2025, 3, 14)


def _code_prefix(currency: str) -> str:
    """Money is written with the ISO code in front: 'USD 1.23M'."""
    return f"{currency} "


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=PATHS, seed=SEED)


@pytest.fixture(scope="module")
def deck_file(res, tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "deck.pptx"
    write_deck(res, path, date=DATE)
    return path


@pytest.fixture(scope="module")
def prs(deck_file):
    return Presentation(str(deck_file))


def _slide(prs, title: str):
    hits = [s for s in prs.slides if s.shapes.title is not None
            and s.shapes.title.text == title]
    assert len(hits) == 1, f"expected one slide titled {title!r}"
    return hits[0]


def _charts(slide):
    return [sh.chart for sh in slide.shapes if sh.has_chart]


def _table(slide, index: int = 0):
    tables = [sh.table for sh in slide.shapes if sh.has_table]
    return tables[index]


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def parse_money(text: str, currency: str) -> float:
    """Invert formatting.money: '-USD 1.23M' -> -1.23e6."""
    sym = _code_prefix(currency)
    m = re.fullmatch(r"(-?)" + re.escape(sym) + r"([\d,.]+)([kMB]?)", text)
    assert m, text
    scale = {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}[m.group(3)]
    return (-1 if m.group(1) else 1) * float(m.group(2).replace(",", "")) * scale


def test_slides_in_order_and_widescreen(prs, res):
    titles = [s.shapes.title.text for s in prs.slides]
    n_inputs = len(res.scenario.inputs())
    n_pages = -(-n_inputs // deckmod.ROWS_PER_SLIDE)
    assert titles[:6] == [res.scenario.name, deckmod.TITLE_HEADLINE, deckmod.TITLE_CUM_NET,
                          deckmod.TITLE_ACTIVE, deckmod.TITLE_NPV, deckmod.TITLE_GAP]
    assert titles[6:] == [f"{deckmod.TITLE_ASSUMPTIONS} ({k} of {n_pages})"
                          for k in range(1, n_pages + 1)]
    assert not any(t.startswith(deckmod.TITLE_LEVERS) for t in titles)
    assert prs.slide_width == Inches(13.333) and prs.slide_height == Inches(7.5)
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 1e-3


def test_title_slide_names_scenario_paths_seed_date(prs, res):
    slide = prs.slides[0]
    text = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert res.scenario.name in text
    assert f"{PATHS:,} paths" in text and f"seed {SEED}" in text
    assert DATE.isoformat() in text


def test_no_pictures_every_chart_native(prs):
    kinds = [sh.shape_type for s in prs.slides for sh in s.shapes]
    assert MSO_SHAPE_TYPE.PICTURE not in kinds
    assert kinds.count(MSO_SHAPE_TYPE.CHART) == 4


@pytest.mark.parametrize("title,metric", [(deckmod.TITLE_CUM_NET, "cum_net"),
                                          (deckmod.TITLE_ACTIVE, "active_users")])
def test_fan_chart_series_equal_bands(prs, res, title, metric):
    (chart,) = _charts(_slide(prs, title))
    assert chart.chart_type == XL_CHART_TYPE.LINE
    b = res.bands
    months = sorted(b["month"].unique())
    plot = chart.plots[0]
    assert [int(float(c)) for c in plot.categories] == months
    series = {s.name: s for s in plot.series}
    assert list(series) == ["P10", "P50", "P90"]
    for stat in ("p10", "p50", "p90"):
        want = (b[(b.metric == metric) & (b.stat == stat)].sort_values("month")["value"]
                .to_numpy())
        got = np.array(series[stat.upper()].values, dtype=float)
        np.testing.assert_array_equal(got, want)
    # restyleable: a number format of its own on the value axis, not linked to the source
    tl = chart.value_axis.tick_labels
    assert not tl.number_format_is_linked
    if metric == "cum_net":
        assert _code_prefix(res.summary["currency"]) in tl.number_format


def test_npv_histogram_counts(prs, res):
    (chart,) = _charts(_slide(prs, deckmod.TITLE_NPV))
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    (series,) = chart.plots[0].series
    got = np.array(series.values, dtype=float)
    npv = res.metric("npv")
    want, edges = np.histogram(npv, bins=30, range=(npv.min(), npv.max()))
    np.testing.assert_array_equal(got, want)
    assert got.sum() == PATHS
    cur = res.summary["currency"]
    centres = [parse_money(c, cur) for c in chart.plots[0].categories]
    true_c = 0.5 * (edges[:-1] + edges[1:])
    # category labels are the bin centres to three significant digits
    assert np.all(np.abs(np.array(centres) - true_c) <= 0.006 * np.abs(true_c) + 1)


def test_headline_table_equals_summary(prs, res):
    s = res.summary
    cur = s["currency"]
    rows = _cells(_table(_slide(prs, deckmod.TITLE_HEADLINE)))
    assert rows[0] == ["Metric", "P10", "P50", "P90"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    npv = by_label[f"NPV ({cur})"]
    for text, p in zip(npv, (10, 50, 90), strict=True):
        assert text == fmt_money(s[f"npv_p{p}"], cur)
        # and it is the right number: three significant digits of the summary value
        assert abs(parse_money(text, cur) - s[f"npv_p{p}"]) <= 0.005 * abs(s[f"npv_p{p}"])
    roi = by_label["ROI"]
    for text, p in zip(roi, (10, 50, 90), strict=True):
        assert text == fmt_pct(s[f"roi_p{p}"], 0)
        assert abs(float(text.rstrip("%")) / 100 - s[f"roi_p{p}"]) <= 0.005
    assert by_label["Payback"] == [fmt_month(s[f"payback_month_p{p}"]) for p in (10, 50, 90)]
    prob = by_label["P(NPV > 0)"]
    assert fmt_pct(s["prob_npv_positive"]) in prob
    # one-decimal percent: within half a unit of the last digit (plus float rounding)
    assert abs(float(prob[0].rstrip("%")) / 100 - s["prob_npv_positive"]) <= 0.0005 + 1e-12


def test_gap_slide_chart_and_table(prs, res):
    s = res.summary
    cur = s["currency"]
    slide = _slide(prs, deckmod.TITLE_GAP)
    (chart,) = _charts(slide)
    got = list(chart.plots[0].series[0].values)
    assert got == [s["pilot_lens_npv"], s["npv_p90"], s["npv_p50"], s["npv_p10"]]
    assert list(chart.plots[0].categories) == list(deckmod.GAP_CATEGORIES)
    rows = dict(tuple(r) for r in _cells(_table(slide))[1:])
    assert rows["Pilot-lens NPV (the signed-off case)"] == fmt_money(s["pilot_lens_npv"], cur)
    assert rows["Expectation gap (lens - P50)"] == fmt_money(s["expectation_gap"], cur)
    assert rows["P(production NPV >= pilot lens)"] == fmt_pct(s["prob_npv_ge_pilot_lens"])


def test_assumptions_list_every_input_with_units(prs, res):
    sc = res.scenario
    cur = sc.scenario.currency
    rows = []
    for slide in prs.slides:
        if slide.shapes.title.text.startswith(deckmod.TITLE_ASSUMPTIONS):
            rows += _cells(_table(slide))[1:]
    inputs = sc.inputs()
    # readable labels on the slide, the raw keys in the speaker notes
    assert [r[0] for r in rows] == [input_label(p, cur, unit=False) for p in inputs]
    by = dict(zip(inputs, rows, strict=True))
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in prs.slides
                     if s.shapes.title.text.startswith(deckmod.TITLE_ASSUMPTIONS))
    assert all(p in notes for p in inputs)
    # units come from the schema, with the scenario's currency substituted
    assert by["economics.hourly_cost"][4] == f"{cur}/hour"
    assert by["pilot.accuracy"][4] == "%"
    assert by["integration.fix_cost_per_incident"][4] == f"{cur}/incident"
    lo, likely, hi = inputs["economics.hourly_cost"].describe()
    assert by["economics.hourly_cost"][1:4] == [fmt_input(v, "currency/hour", cur)
                                                for v in (lo, likely, hi)]
    small = by["economics.inference_per_task"][1:4]
    assert all(t != "$0" for t in small), small  # fractions of a cent stay visible
    lo, likely, hi = inputs["pilot.accuracy"].describe()
    assert by["pilot.accuracy"][1:4] == [fmt_pct(v) for v in (lo, likely, hi)]


def test_table_fonts_readable(prs):
    sizes = []
    for slide in prs.slides:
        for sh in slide.shapes:
            if sh.has_table:
                for row in sh.table.rows:
                    for cell in row.cells:
                        for p in cell.text_frame.paragraphs:
                            sizes += [r.font.size for r in p.runs]
    assert sizes and min(sizes) >= Pt(12)


def test_shapes_stay_on_the_slide(prs):
    for slide in prs.slides:
        for sh in slide.shapes:
            assert sh.left >= 0 and sh.top >= 0
            assert sh.left + sh.width <= prs.slide_width, (slide.shapes.title.text, sh.name)
            assert sh.top + sh.height <= prs.slide_height, (slide.shapes.title.text, sh.name)


def test_lever_table_from_a_dataframe(res):
    df = pd.DataFrame({"Portfolio": ["none", "FB", "CP + FB"],
                       "NPV P50": [-1_234_567.0, 250_000.0, 1_500_000.0],
                       "P(NPV > 0)": [0.1, 0.55, 0.9],
                       "Levers": [0, 1, 2]})
    prs = Presentation(_bytes_io(deck_bytes(res, levers=df, date=DATE)))
    slide = _slide(prs, deckmod.TITLE_LEVERS)
    rows = _cells(_table(slide))
    assert rows[0] == list(df.columns)
    cur = res.summary["currency"]
    assert rows[1:] == [[p, fmt_money(v, cur), fmt_pct(q), str(n)]
                        for p, v, q, n in df.itertuples(index=False)]
    # the lever slide comes before the assumptions
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles.index(deckmod.TITLE_LEVERS) == titles.index(deckmod.TITLE_GAP) + 1


def test_lever_table_from_the_analysis(seed_case, res):
    from simulator.analysis.levers import lever_analysis

    la = lever_analysis(seed_case, paths=60, seed=SEED)
    table = levers_frame(la.combinations)
    prs = build_deck(res, levers=table, date=DATE)
    rows = []
    for slide in prs.slides:
        if slide.shapes.title.text.startswith(deckmod.TITLE_LEVERS):
            rows += _cells(_table(slide))[1:]
    assert len(rows) == 16
    assert [r[0] for r in rows] == list(la.combinations["portfolio"])
    cur = res.summary["currency"]
    col = list(table.columns).index("NPV P50")
    assert [r[col] for r in rows] == [fmt_money(v, cur) for v in la.combinations["npv_p50"]]


def test_failed_write_keeps_old_file_and_leaves_no_temp(res, tmp_path, monkeypatch):
    path = tmp_path / "deck.pptx"
    write_deck(res, path, date=DATE)
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("forced failure mid-build")

    monkeypatch.setattr(deckmod, "_gap_slide", boom)
    with pytest.raises(RuntimeError, match="forced failure"):
        write_deck(res, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.pptx"]
    with pytest.raises(RuntimeError):
        write_deck(res, tmp_path / "new.pptx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.pptx"]


def test_deck_needs_bands(seed_case):
    r = simulate(seed_case, paths=20, seed=1, bands=False)
    with pytest.raises(ValueError, match="bands"):
        build_deck(r)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_converts_deck_to_pdf(deck_file, tmp_path):
    out = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                          str(tmp_path), str(deck_file)], capture_output=True, timeout=180)
    assert out.returncode == 0, out.stderr
    pdf = tmp_path / "deck.pdf"
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)
