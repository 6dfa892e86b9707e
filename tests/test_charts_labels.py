"""The chart label fixes of issue 15, checked on the rendered SVG (vl-convert, no browser):
lever names are never cut and all four show, the gap waterfall shows every step, and the
NPV chart's marker labels never overprint one another."""

from __future__ import annotations

import re

import numpy as np
import pytest
import vl_convert as vlc

from simulator.analysis import expectation_gap, lever_analysis
from simulator.charts.analysis import gap_chart, gap_waterfall_frame, lever_marginal_chart
from simulator.charts.forecast import LABEL_ROW_PX, npv_distribution_chart


def _svg(chart, width: int) -> str:
    spec = chart.to_dict()
    spec["width"] = width
    return vlc.vegalite_to_svg(spec)


def _texts(svg: str) -> list[tuple[str, float, float]]:
    """(text, x, y) of every SVG text mark (tspans joined)."""
    out = []
    for m in re.finditer(r'<text[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>(.*?)'
                         r'</text>', svg, re.S):
        text = re.sub(r"<[^>]+>", " ", m.group(3))
        out.append((" ".join(text.split()), float(m.group(1)), float(m.group(2))))
    return out


@pytest.fixture(scope="module")
def analyses(seed_case):
    return (expectation_gap(seed_case, paths=400, seed=2, bootstrap=0),
            lever_analysis(seed_case, paths=400, seed=2))


@pytest.mark.parametrize("width", [220, 420])
def test_every_lever_name_shows_in_full(analyses, width):
    texts = [t for t, _, _ in _texts(_svg(lever_marginal_chart(analyses[1]), width))]
    for name in analyses[1].marginal["label"]:
        assert name in texts, (name, texts)
    assert not any("…" in t for t in texts)
    assert "Mean NPV gain (USD)" in texts  # one axis title, no layer's field name glued on


@pytest.mark.parametrize("width", [360, 640])
def test_gap_waterfall_shows_every_step(analyses, width):
    texts = " ".join(t for t, _, _ in _texts(_svg(gap_chart(analyses[0]), width)))
    for step in gap_waterfall_frame(analyses[0])["step"]:
        assert all(word in texts for word in step.split()), (step, texts)
    assert "…" not in texts


def test_npv_marker_labels_never_overprint(seed_case):
    rng = np.random.default_rng(0)
    # a median right at break-even: the worst case for the two labels
    for npv, lens in ((rng.normal(1e3, 2e5, 4000), 2e5), (rng.normal(-4e5, 3e5, 4000), 2e6)):
        svg = _svg(npv_distribution_chart(npv, lens, "USD"), 360)
        marks = [(t, x, y) for t, x, y in _texts(svg)
                 if t.startswith(("break-even", "production median", "pilot-lens case"))]
        assert len(marks) == 3, marks
        ys = sorted(y for _, _, y in marks)
        assert min(np.diff(ys)) >= LABEL_ROW_PX - 0.5  # one text row apart at least


@pytest.mark.parametrize("width", [300, 560])
def test_lever_worth_axis_labels_never_touch(analyses, width):
    """What each lever is worth, at the width its full-width row has at 1,280 px and
    narrower: the money tick labels along the x axis stay apart."""
    texts = _texts(_svg(lever_marginal_chart(analyses[1]), width))
    ticks = [(t, x, y) for t, x, y in texts if re.fullmatch(r"-?(USD )?[-\d.,]+[kMB]?|"
                                                             r"-?USD [\d.,]+[kMB]?", t)]
    assert len(ticks) >= 2, texts
    rows: dict[float, list[tuple[str, float]]] = {}
    for t, x, y in ticks:
        rows.setdefault(round(y), []).append((t, x))
    for row in rows.values():
        row.sort(key=lambda p: p[1])
        for (a, xa), (b, xb) in zip(row, row[1:], strict=False):
            # centred labels, about 6.5 px per character at the axis font size
            assert xb - xa >= 6.5 * (len(a) + len(b)) / 2, (a, b, xb - xa)
