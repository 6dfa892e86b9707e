"""Slide geometry and the python-pptx helpers every slide builder shares: one place for the
16:9 page, margins, type sizes, titles, text boxes, tables, notes and chart styling.

The deck (:mod:`simulator.export.deck`), its slides, the chart builders
(:mod:`simulator.export.pptx_charts`), the staged-plan and value-of-information slides all
import from here and from nothing above them, so no slide module imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_TICK_LABEL_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
#: Nothing is placed closer than this to a slide edge (checked by tests/pptx_layout.py).
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.35)
#: The lowest a footnote may start and still end 0.3 in above the bottom edge.
FOOT_TOP = Inches(6.55)
TITLE_PT = 28
BODY_PT = 16
TABLE_PT = 14
SMALL_TABLE_PT = 12
CHART_PT = 12
NOTE_PT = 12
#: Rows of a paged table per slide.
ROWS_PER_SLIDE = 12
LEVER_ROWS_PER_SLIDE = 9
#: Rows of the edits table (each up to two lines).
EDIT_ROWS_PER_SLIDE = 9

#: A slide builder of the deck's hook: called with the presentation, the result and the
#: findings (may be None).
SlideBuilder = Callable[[Any, Any, Any], None]

_TITLE_ONLY = 5
_TITLE_SLIDE = 0


def rgb(hex_colour: str) -> RGBColor:
    """A python-pptx colour from ``#RRGGBB``."""
    return RGBColor.from_string(hex_colour.lstrip("#"))


def axis_title(axis, text: str) -> None:
    """Give a chart axis a title in the chart type size."""
    axis.has_title = True
    axis.axis_title.text_frame.text = text
    for p in axis.axis_title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(CHART_PT)
            r.font.bold = False


def top_down(chart) -> None:
    """Category labels of a horizontal bar chart at the low end of the value axis. The
    callers pass categories last-first, so the first reads on top with the value axis
    still at the bottom (a reversed axis would move it to the top in LibreOffice)."""
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW


def style_chart(chart) -> None:
    """The deck's chart type size, no chart title (the slide has one)."""
    chart.font.size = Pt(CHART_PT)
    chart.has_title = False


def chart_box():
    """(left, top, width, height) of a full-width chart below the title."""
    return MARGIN, BODY_TOP, SLIDE_WIDTH - 2 * MARGIN, Inches(5.0)


def footnote(slide, text: str | Sequence[str], left=MARGIN, width=None):
    """A small note at the foot of the slide, inside the margins."""
    return add_text(slide, text, left, FOOT_TOP, width or SLIDE_WIDTH - left - MARGIN,
                    Inches(0.6), size=NOTE_PT)


def new_slide(prs, title: str):
    """A 'Title Only' slide with its title placed for 16:9."""
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY])
    t = slide.shapes.title
    t.left, t.top = MARGIN, Inches(0.3)
    t.width, t.height = SLIDE_WIDTH - 2 * MARGIN, Inches(0.9)
    t.text = title
    tf = t.text_frame
    for p in tf.paragraphs:
        p.alignment = PP_ALIGN.LEFT
        for r in p.runs:
            r.font.size = Pt(TITLE_PT)
            r.font.bold = True
    return slide


def add_text(slide, text: str | Sequence[str], left, top, width, height, size: int = BODY_PT,
          bold: bool = False):
    """A text box; a sequence gives one paragraph per item."""
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    lines = [text] if isinstance(text, str) else list(text)
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
    return box


def add_notes(slide, text: str) -> None:
    """The slide's speaker notes (how its numbers were computed)."""
    slide.notes_slide.notes_text_frame.text = text


def set_cell(cell, text: str, size: int, bold: bool = False, align=PP_ALIGN.LEFT) -> None:
    """Write one table cell in the deck's style."""
    cell.text = text
    for p in cell.text_frame.paragraphs:
        p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
    cell.margin_top = cell.margin_bottom = Inches(0.03)


def add_table(slide, header: Sequence[str], rows: Sequence[Sequence[str]], left, top,
           widths: Sequence[float], size: int = TABLE_PT,
           align: Sequence[Any] | None = None):
    """A native table: bold header, one row per item, column widths in inches."""
    row_h = Inches(0.12 + size / 72 * 1.2)
    shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top,
                                   Inches(sum(widths)), Emu(row_h * (len(rows) + 1)))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    align = align or [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * (len(header) - 1)
    for j, h in enumerate(header):
        set_cell(table.cell(0, j), str(h), size, bold=True, align=align[j])
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            set_cell(table.cell(i, j), str(v), size, align=align[j])
    for r in table.rows:
        r.height = Emu(row_h)
    return shape


def chunks(n: int, size: int) -> list[range]:
    """Pages of ``size`` rows covering ``n`` rows (one empty page for none)."""
    return [range(i, min(n, i + size)) for i in range(0, max(n, 1), size)]


def paged_title(base: str, k: int, n: int) -> str:
    """``Assumptions (2 of 3)``; the base title when there is one page."""
    return base if n == 1 else f"{base} ({k} of {n})"


__all__ = ["BODY_PT", "BODY_TOP", "CHART_PT", "EDIT_ROWS_PER_SLIDE", "FOOT_TOP",
           "LEVER_ROWS_PER_SLIDE", "MARGIN", "NOTE_PT", "ROWS_PER_SLIDE", "SLIDE_HEIGHT",
           "SLIDE_WIDTH", "SMALL_TABLE_PT",
           "SlideBuilder", "TABLE_PT", "TITLE_PT", "add_notes", "add_table", "add_text",
           "axis_title", "chart_box", "chunks", "footnote", "new_slide", "paged_title", "rgb",
           "set_cell", "style_chart", "top_down"]
