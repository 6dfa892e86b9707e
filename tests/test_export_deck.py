"""The finance deck re-opened with python-pptx: charts and tables hold the simulated numbers."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches, Pt
from pptx_layout import overflow_problems, pdf_words, to_pdf, tools_missing  # tests/

from simulator import simulate
from simulator.export import deck as deckmod
from simulator.export.deck import build_deck, deck_bytes, write_deck
from simulator.export.deck_answer import Findings, lever_steps, run_findings
from simulator.export.tables import (
    fmt_inputs,
    fmt_money,
    fmt_month,
    fmt_pct,
    levers_frame,
)
from simulator.labels import input_label
from simulator.scenario import LEVER_LABELS, combination_count
from simulator.verdicts import portfolio_name

PATHS, SEED = 400, 11
DATE = dt.date(2025, 3, 14)


def _code_prefix(currency: str) -> str:
    """Money is written with the ISO code in front: 'USD 1.23M'."""
    return f"{currency} "


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=PATHS, seed=SEED)


@pytest.fixture(scope="module")
def findings(res):
    return run_findings(res)


@pytest.fixture(scope="module")
def deck_file(res, findings, tmp_path_factory):
    path = tmp_path_factory.mktemp("deck") / "deck.pptx"
    write_deck(res, path, findings=findings, date=DATE, appendix=True,
               edits={"economics.hourly_cost": (50.0, 65.0),
                      "levers.change_plan.enabled": (False, True)})
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
    lever_pages = [t for t in titles if t.startswith(deckmod.TITLE_LEVERS)]
    titles = [t for t in titles if t not in lever_pages[1:]]
    assert titles[:14] == [deckmod.TITLE_ANSWER, deckmod.TITLE_CUM_NET, deckmod.TITLE_NPV,
                           deckmod.TITLE_COSTS, deckmod.TITLE_WATERFALL,
                           deckmod.TITLE_LEVER_ORDER, deckmod.TITLE_TORNADO,
                           deckmod.TITLE_METHODS, res.scenario.name, deckmod.TITLE_HEADLINE,
                           deckmod.TITLE_ACTIVE, deckmod.TITLE_GAP, lever_pages[0],
                           deckmod.TITLE_EDITS]
    assert titles[14:] == [f"{deckmod.TITLE_ASSUMPTIONS} ({k} of {n_pages})"
                           for k in range(1, n_pages + 1)]
    assert prs.slide_width == Inches(13.333) and prs.slide_height == Inches(7.5)
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 1e-3


def test_without_findings_the_analysis_slides_are_left_out(res):
    prs = build_deck(res, findings=False, date=DATE)
    titles = [s.shapes.title.text for s in prs.slides]
    for t in (deckmod.TITLE_WATERFALL, deckmod.TITLE_LEVER_ORDER, deckmod.TITLE_LEVERS,
              deckmod.TITLE_TORNADO, deckmod.TITLE_EDITS):
        assert t not in titles
    assert titles[0] == deckmod.TITLE_ANSWER and deckmod.TITLE_METHODS in titles


def test_answer_slide_gives_the_answer_and_each_lever_step(prs, res, findings):
    s = res.summary
    cur = s["currency"]
    slide = _slide(prs, deckmod.TITLE_ANSWER)
    texts = [sh.text_frame.text for sh in slide.shapes
             if sh.has_text_frame and sh != slide.shapes.title]
    sentence = texts[0]
    assert sentence.count(".") >= 1 and fmt_pct(s["prob_npv_positive"], 0) in sentence
    assert fmt_money(s["npv_p10"], cur) in sentence and fmt_money(s["npv_p90"], cur) in sentence
    rows = {r[0]: r[1:] for r in _cells(_table(slide))[1:]}
    assert rows["P(NPV > 0)"][0] == fmt_pct(s["prob_npv_positive"], 0)
    assert rows["Expectation gap"][0] == fmt_money(s["expectation_gap"], cur)
    steps = lever_steps(findings.levers)
    combos = findings.levers.combinations.set_index("portfolio")
    # each step's P(NPV > 0) is its portfolio's, and the steps add up from no levers
    for _, st in steps.iloc[1:].iterrows():
        (row,) = [v for k, v in rows.items() if k == f"Step {st['step']}: + {st['label']}"]
        if abs(st["prob_added"]) >= 0.005:  # else the row shows the median's change
            assert fmt_pct(combos.loc[st["portfolio"], "prob_npv_positive"], 0) in row[0]
        assert fmt_money(st["npv_p50"], cur) in row[1]
    assert steps["prob_added"].iloc[1:].sum() == pytest.approx(
        steps["prob_npv_positive"].iloc[-1] - steps["prob_npv_positive"].iloc[0])
    for lever in steps["lever"].iloc[1:]:
        assert LEVER_LABELS[lever].lower() in sentence
    notes = slide.notes_slide.notes_text_frame.text
    assert "common random numbers" in notes and "P(NPV > 0)" in notes


def test_extra_rows_and_extra_slides_hook(res):
    def staged(prs, r, f):
        slide = deckmod.new_slide(prs, "Staged plan")
        deckmod.add_text(slide, f"{r.summary['paths']} paths", deckmod.MARGIN,
                         deckmod.BODY_TOP, Inches(4), Inches(1))
        deckmod.add_notes(slide, "computed by the staged-plan analysis")

    f = Findings(extra_rows=(("Value of information", "USD 12k", "EVPI of the pilot"),))
    prs = build_deck(res, findings=f, extra_slides=[staged], date=DATE)
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles.index("Staged plan") == titles.index(deckmod.TITLE_METHODS) - 1
    rows = _cells(_table(_slide(prs, deckmod.TITLE_ANSWER)))
    assert ["Value of information", "USD 12k", "EVPI of the pilot"] in rows


def test_every_slide_has_speaker_notes(prs, res):
    for slide in [s for s in prs.slides if s.shapes.title.text != res.scenario.name]:
        assert len(slide.notes_slide.notes_text_frame.text) > 40, slide.shapes.title.text


def _bar_spans(base, a, b):
    """(low, high) of each stacked waterfall bar (see pptx_charts.waterfall_parts)."""
    spans = []
    for z, x, y in zip(base, a, b, strict=True):
        if y != 0:
            spans.append((y, x))
        elif z >= 0 and x >= 0:
            spans.append((z, z + x))
        else:
            spans.append((z + x, z))
    return spans


def test_waterfall_walks_from_the_lens_to_production(prs, findings):
    (chart,) = _charts(_slide(prs, deckmod.TITLE_WATERFALL))
    base, a, b = (np.array(s.values, dtype=float)[::-1] for s in chart.plots[0].series)
    cats = list(chart.plots[0].categories)[::-1]  # stored last-first: read top down
    assert cats[0].startswith("Pilot lens") and cats[-1].startswith("Production")
    spans = _bar_spans(base, a, b)
    g = findings.gap.summary.iloc[0]
    lens, prod = float(g["pilot_lens_npv"]), float(g["production_stat"])
    assert spans[0] == pytest.approx(tuple(sorted((0.0, lens))))
    assert spans[-1] == pytest.approx(tuple(sorted((0.0, prod))))
    att = findings.gap.attribution.set_index("mode")
    level = lens
    for span, mode in zip(spans[1:-1], ("data_quality", "integration", "change_management",
                                        "feedback"), strict=True):
        nxt = level - att.loc[mode, "shapley"]
        assert span == pytest.approx(tuple(sorted((level, nxt))), abs=1e-6)
        level = nxt
    assert level == pytest.approx(prod, abs=1e-6)  # the Shapley shares sum to the gap


def test_tornado_slide_uses_readable_labels(prs, findings, res):
    (chart,) = _charts(_slide(prs, deckmod.TITLE_TORNADO))
    t = findings.sensitivity.tornado.sort_values("rank")
    cur = res.summary["currency"]
    assert list(chart.plots[0].categories)[::-1] == [input_label(p, cur) for p in t["input"]]
    low, high = (np.array(s.values, dtype=float)[::-1] for s in chart.plots[0].series)
    np.testing.assert_allclose(low, t["npv_p50_low"] - t["base_npv_p50"])
    np.testing.assert_allclose(high, t["npv_p50_high"] - t["base_npv_p50"])
    notes = _slide(prs, deckmod.TITLE_TORNADO).notes_slide.notes_text_frame.text
    assert all(p in notes for p in t["input"])  # raw keys for people who edit TOML


def test_edits_slide_lists_the_app_edits(prs, res):
    rows = _cells(_table(_slide(prs, deckmod.TITLE_EDITS)))[1:]
    cur = res.summary["currency"]
    assert rows == [[input_label("economics.hourly_cost", cur), "50", "65"],
                    [input_label("levers.change_plan.enabled", cur), "off", "on"]]


def test_title_slide_names_scenario_paths_seed_date(prs, res):
    slide = prs.slides[0]
    text = "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert res.scenario.name in text
    assert f"{PATHS:,} paths" in text and f"seed {SEED}" in text
    assert DATE.isoformat() in text


def test_no_pictures_every_chart_native(prs):
    kinds = [sh.shape_type for s in prs.slides for sh in s.shapes]
    assert MSO_SHAPE_TYPE.PICTURE not in kinds
    # two fans, the histogram, costs by line, the gap bars, the waterfall, the lever
    # values, the tornado
    assert kinds.count(MSO_SHAPE_TYPE.CHART) == 8


@pytest.mark.parametrize("title,metric", [(deckmod.TITLE_CUM_NET, "cum_net"),
                                          (deckmod.TITLE_ACTIVE, "active_users")])
def test_fan_chart_series_equal_bands(prs, res, title, metric):
    (chart,) = _charts(_slide(prs, title))
    area, line = chart.plots
    assert area.__class__.__name__ == "AreaPlot" and line.__class__.__name__ == "LinePlot"
    b = res.bands
    months = sorted(b["month"].unique())
    assert [int(float(c)) for c in area.categories] == months

    def band(stat):
        return (b[(b.metric == metric) & (b.stat == stat)].sort_values("month")["value"]
                .to_numpy())

    stacked = np.cumsum([np.array(s.values, dtype=float) for s in area.series], axis=0)
    # the stacked areas' edges are P10, P25, P50, P75 and P90 (shaded bands between them)
    for k, stat in enumerate(("p10", "p25", "p50", "p75", "p90")):
        np.testing.assert_allclose(stacked[k], band(stat), rtol=1e-9, atol=1e-6)
    (median,) = line.series
    np.testing.assert_array_equal(np.array(median.values, dtype=float), band("p50"))
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
    got = list(chart.plots[0].series[0].values)[::-1]  # stored last-first: lens on top
    assert got == [s["pilot_lens_npv"], s["npv_p90"], s["npv_p50"], s["npv_p10"]]
    cats = list(chart.plots[0].categories)[::-1]
    assert [c.split(": ")[0] for c in cats] == list(deckmod.A.GAP_CATEGORIES)
    assert cats[0].endswith(fmt_money(s["pilot_lens_npv"], cur))
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
    inputs = sc.all_inputs()
    # readable labels on the slide, the raw keys in the speaker notes
    assert [r[0] for r in rows] == [input_label(p, cur, unit=False) for p in inputs]
    by = dict(zip(inputs, rows, strict=True))
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in prs.slides
                     if s.shapes.title.text.startswith(deckmod.TITLE_ASSUMPTIONS))
    assert all(p in notes for p in inputs)
    # the Source column: the seed case gives its inputs itself, the usage intensity is the
    # schema's default
    assert by["pilot.accuracy"][5] == "your file"
    assert by["usage.weekly_share"][5] == "default"
    # units come from the schema, with the scenario's currency substituted
    assert by["economics.hourly_cost"][4] == f"{cur}/hour"
    assert by["pilot.accuracy"][4] == "%"
    assert by["integration.fix_cost_per_incident"][4] == f"{cur}/incident"
    lo, likely, hi = inputs["economics.hourly_cost"].describe()
    assert by["economics.hourly_cost"][1:4] == fmt_inputs([lo, likely, hi], "currency/hour",
                                                          cur)
    # one scale per row: never 'USD 5,000 / USD 8,000 / USD 12k'
    for row in rows:
        money = [c for c in row[1:4] if c.startswith(("USD", "-USD"))]
        assert len({c[-1] for c in money if c[-1] in "kMB"}) <= 1, row
        assert not (any(c[-1] in "kMB" for c in money)
                    and any(c[-1].isdigit() for c in money)), row
    small = by["economics.inference_per_task"][1:4]
    assert all(t != "USD 0" for t in small), small  # fractions of a cent stay visible
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
    prs = Presentation(_bytes_io(deck_bytes(res, findings=False, levers=df, date=DATE,
                                            appendix=True)))
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
    prs = build_deck(res, findings=False, levers=table, date=DATE, slides=["combinations"])
    rows = []
    for slide in prs.slides:
        if slide.shapes.title.text.startswith(deckmod.TITLE_LEVERS):
            rows += _cells(_table(slide))[1:]
    assert len(rows) == combination_count()
    assert [r[0] for r in rows] == [portfolio_name(r) for r in
                                    la.combinations.to_dict("records")]
    cur = res.summary["currency"]
    col = list(table.columns).index("NPV P50")
    assert [r[col] for r in rows] == [fmt_money(v, cur) for v in la.combinations["npv_p50"]]


def test_failed_write_keeps_old_file_and_leaves_no_temp(res, tmp_path, monkeypatch):
    path = tmp_path / "deck.pptx"
    write_deck(res, path, date=DATE)
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("forced failure mid-build")

    monkeypatch.setattr(deckmod.S, "npv_slide", boom)
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


def test_libreoffice_renders_every_slide_with_no_text_outside_its_frame(deck_file, tmp_path):
    """The deck through LibreOffice (as a finance reader's PowerPoint would lay it out):
    every word of every slide lies inside its own shape; nothing spills or is cut."""
    assert not tools_missing(), f"make test installs {tools_missing()}"
    pdf = to_pdf(deck_file, tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = pdf_words(pdf)
    assert sum(len(w) for _, w in pages) > 500  # the text really was read back
    assert overflow_problems(deck_file, pdf) == []


def test_the_overflow_check_catches_spilled_and_cut_text(tmp_path):
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(0.4))
    box.text_frame.word_wrap = True
    box.text_frame.text = "This sentence is far too long for the small box it was given"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(1.2), Inches(0.6)).table
    table.columns[0].width = Inches(0.5)
    table.cell(0, 0).text = "Distribution"
    path = tmp_path / "bad.pptx"
    prs.save(str(path))
    problems = overflow_problems(path, to_pdf(path, tmp_path))
    assert any("outside every shape" in p for p in problems)
    assert any("not a word of" in p for p in problems)


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)
