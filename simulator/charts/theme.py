"""Palette and formats shared by every chart, readable on a slide."""

from __future__ import annotations

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")
PRODUCTION = PALETTE[0]
PILOT_LENS = PALETTE[3]
WITH_LEVERS = PALETTE[2]
BAND_OUTER_OPACITY = 0.18
BAND_INNER_OPACITY = 0.35
WIDTH = 640
HEIGHT = 320
FONT_SIZE = 13
TITLE_SIZE = 16

def money_axis_format() -> str:
    """d3 format for money axes: SI-abbreviated (1.2M, 350k); the currency code goes in
    front (:func:`simulator.formatting.money_axis_expr`)."""
    return "~s"


def configure(chart):
    """Apply fonts and sizes so a chart reads well when pasted into a slide."""
    return (chart.configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
            .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
            .configure_title(fontSize=TITLE_SIZE, anchor="start"))
