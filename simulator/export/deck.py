"""PowerPoint deck of a simulation, with native (editable) charts and tables.

Every chart is a PowerPoint chart shape built from the simulated numbers, never a picture:
a finance user can restyle it, change its number format or copy its data into Excel.
Values are stored unrounded; the axes carry currency number formats that scale to k / M.

The default deck is the CFO's: at most ten slides (:data:`DEFAULT_SLIDES`): the answer,
the forecast, the NPV distribution, costs and benefits by line, where the expectation gap
comes from, what to fix first, the staged plan where the scenario has gates, any
``extra_slides`` (the hook the value-of-information slide comes through), the top risks
and the methods. ``appendix=True`` adds :data:`APPENDIX_SLIDES` (title page, headline
ranges, active users, the signed-off case against the range, every combination of levers,
the app's edits, the assumption tables); ``slides=[...]`` picks and orders any of them.
Slides whose analysis did not run are left out. Geometry and helpers:
:mod:`simulator.export.pptx_kit`; every slide's speaker notes say how its numbers were
computed.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pptx import Presentation

from ..results import SimulationResult
from . import deck_appendix as A
from . import deck_slides as S
from .deck_answer import Findings, run_findings
from .deck_appendix import (
    TITLE_ASSUMPTIONS,
    TITLE_EDITS,
    TITLE_GAP,
    TITLE_HEADLINE,
    TITLE_LEVERS,
)
from .deck_slides import (
    TITLE_ACTIVE,
    TITLE_ANSWER,
    TITLE_COSTS,
    TITLE_CUM_NET,
    TITLE_LEVER_ORDER,
    TITLE_METHODS,
    TITLE_NPV,
    TITLE_TORNADO,
    TITLE_WATERFALL,
)
from .files import write_atomic
from .pptx_kit import (
    BODY_TOP,
    MARGIN,
    ROWS_PER_SLIDE,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    SlideBuilder,
    add_notes,
    add_table,
    add_text,
    new_slide,
)
from .tables import COUNT_FORMAT, band_series, chart_money_format, fmt_pct

#: The CFO deck, in order ("extra" is where ``extra_slides`` go).
DEFAULT_SLIDES = ("answer", "forecast", "npv", "costs", "gap", "levers", "gates", "extra",
                  "risks", "methods")
#: Added by ``appendix=True``, after the default slides.
APPENDIX_SLIDES = ("title", "headline", "active", "gap-range", "combinations", "edits",
                   "assumptions")
SLIDE_NAMES = DEFAULT_SLIDES + APPENDIX_SLIDES
#: The deck's hard limit without the appendix.
MAX_DEFAULT_SLIDES = 10


@dataclass
class _Deck:
    """What the slide builders read."""

    res: SimulationResult
    findings: Findings | None
    levers: pd.DataFrame | None
    lever_formatters: dict[str, Callable[[Any], str]] | None
    edits: Mapping[str, tuple[Any, Any]] | None
    extra: Sequence[SlideBuilder]
    date: _dt.date
    bins: int

    def has(self, name: str) -> bool:
        return getattr(self.findings, name, None) is not None


def _forecast(prs, d: _Deck) -> None:
    cur = d.res.summary["currency"]
    cum = band_series(d.res, "cum_net", S.FAN_STATS)
    S.fan_slide(prs, d.res, "cum_net", S.TITLE_CUM_NET, f"Cumulative net cash ({cur})",
                chart_money_format(cur, float(np.nanmax(np.abs(cum.to_numpy())))),
                "Undiscounted cumulative benefit minus cost; month 0 carries the one-off "
                "build and lever costs. Light band: P10 to P90; dark band: P25 to P75; "
                "line: median.")


def _active(prs, d: _Deck) -> None:
    s = d.res.summary
    S.fan_slide(prs, d.res, "active_users", S.TITLE_ACTIVE, "Active users", COUNT_FORMAT,
                f"Active users per month (pilot team included); active rate at month 6, "
                f"P50: {fmt_pct(s['active_rate_m6_p50'], 0)}. Light band: P10 to P90; dark "
                f"band: P25 to P75; line: median.")


def _combinations(prs, d: _Deck) -> None:
    levers = d.levers
    if levers is None and d.has("levers"):
        from .tables import levers_frame

        levers = levers_frame(d.findings.levers.combinations)
    if levers is not None and len(levers):
        A.lever_slides(prs, d.res, levers, d.lever_formatters)


def _gates(prs, d: _Deck) -> None:
    from .staged_slide import add_staged_slide

    add_staged_slide(prs, d.findings.gates)


#: name -> (builder, whether it applies)
_SLIDES: dict[str, tuple[Callable[[Any, _Deck], None], Callable[[_Deck], bool]]] = {
    "answer": (lambda p, d: S.answer_slide(p, d.res, d.findings, d.date), lambda d: True),
    "forecast": (_forecast, lambda d: True),
    "npv": (lambda p, d: S.npv_slide(p, d.res, d.bins), lambda d: True),
    "costs": (lambda p, d: S.costs_slide(p, d.res), lambda d: True),
    "gap": (lambda p, d: S.waterfall_slide(p, d.res, d.findings.gap), lambda d: d.has("gap")),
    "levers": (lambda p, d: S.lever_order_slide(p, d.res, d.findings.levers),
               lambda d: d.has("levers")),
    "gates": (_gates, lambda d: d.has("gates")),
    "extra": (lambda p, d: [add(p, d.res, d.findings) for add in d.extra],
              lambda d: bool(d.extra)),
    "risks": (lambda p, d: S.risks_slide(p, d.res, d.findings.sensitivity),
              lambda d: d.has("sensitivity")),
    "methods": (lambda p, d: S.methods_slide(p, d.res, d.findings), lambda d: True),
    "title": (lambda p, d: A.title_slide(p, d.res, d.date), lambda d: True),
    "headline": (lambda p, d: A.headline_slide(p, d.res), lambda d: True),
    "active": (_active, lambda d: True),
    "gap-range": (lambda p, d: A.gap_range_slide(p, d.res), lambda d: True),
    "combinations": (_combinations, lambda d: d.levers is not None or d.has("levers")),
    "edits": (lambda p, d: A.edits_slide(p, d.res, d.edits), lambda d: bool(d.edits)),
    "assumptions": (lambda p, d: A.assumption_slides(p, d.res), lambda d: True),
}


def check_slides(names: Sequence[str]) -> list[str]:
    """The slide names, checked: a one-line error names the first unknown one."""
    out = []
    for n in names:
        n = n.strip().lower()
        if n not in _SLIDES:
            raise ValueError(f"--slides: {n!r} is not a slide (allowed: "
                             f"{', '.join(SLIDE_NAMES)})")
        if n not in out:
            out.append(n)
    return out


def build_deck(res: SimulationResult, *, findings: Findings | None | bool = True,
               levers: pd.DataFrame | None = None,
               lever_formatters: dict[str, Callable[[Any], str]] | None = None,
               edits: Mapping[str, tuple[Any, Any]] | None = None,
               extra_slides: Sequence[SlideBuilder] = (),
               date: _dt.date | None = None, bins: int = 30,
               slides: Sequence[str] | None = None, appendix: bool = False):
    """Build the finance deck of ``res`` as a ``pptx.Presentation`` (16:9).

    ``findings``: the analyses behind the answer, gap, lever and risk slides; True
    (default) runs them on the result's seed (:func:`run_findings`), False or None leaves
    those slides out, a :class:`Findings` uses what it holds. ``levers``: a lever table for
    the every-combination slide (cells formatted by column name unless
    ``lever_formatters`` maps a column to a function). ``edits``: {input path: (file
    value, deck value)} made in the app. ``extra_slides``: functions ``f(prs, res,
    findings)`` that add slides at "extra" (before the risks and methods). ``slides``:
    the slide names to build, in order (default :data:`DEFAULT_SLIDES`, plus
    :data:`APPENDIX_SLIDES` with ``appendix=True``). ``date`` defaults to today; ``bins``
    is the number of NPV histogram bins.
    """
    if res.band_array is None:
        raise ValueError("the deck needs monthly bands: simulate(..., bands=True)")
    order = check_slides(slides) if slides is not None else \
        list(DEFAULT_SLIDES) + (list(APPENDIX_SLIDES) if appendix else [])
    if findings is True:
        findings = run_findings(res)
    elif findings is False:
        findings = None
    d = _Deck(res=res, findings=findings, levers=levers, lever_formatters=lever_formatters,
              edits=edits, extra=list(extra_slides), date=date or _dt.date.today(),
              bins=bins)
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    for name in order:
        build, applies = _SLIDES[name]
        if applies(d):
            build(prs, d)
    return prs


def deck_bytes(res: SimulationResult, **kwargs: Any) -> bytes:
    """The deck as .pptx bytes, built in memory (for download buttons)."""
    buf = io.BytesIO()
    build_deck(res, **kwargs).save(buf)
    return buf.getvalue()


def write_deck(res: SimulationResult, path: str | Path, **kwargs: Any) -> Path:
    """Write the deck to ``path`` atomically: the file appears (or is replaced) only whole."""
    path = Path(path)
    return write_atomic(path, lambda tmp: build_deck(res, **kwargs).save(str(tmp)))


#: Slide titles, for readers of a built deck (tests, the app's slide list).
TITLES = {"answer": TITLE_ANSWER, "forecast": TITLE_CUM_NET, "npv": TITLE_NPV,
          "costs": TITLE_COSTS, "gap": TITLE_WATERFALL, "levers": TITLE_LEVER_ORDER,
          "risks": TITLE_TORNADO, "methods": TITLE_METHODS, "headline": TITLE_HEADLINE,
          "active": TITLE_ACTIVE, "gap-range": TITLE_GAP, "combinations": TITLE_LEVERS,
          "edits": TITLE_EDITS, "assumptions": TITLE_ASSUMPTIONS}

__all__ = ["APPENDIX_SLIDES", "BODY_TOP", "DEFAULT_SLIDES", "MARGIN", "MAX_DEFAULT_SLIDES",
           "ROWS_PER_SLIDE", "SLIDE_HEIGHT", "SLIDE_NAMES", "SLIDE_WIDTH", "TITLES",
           "SlideBuilder", "add_notes", "add_table", "add_text", "build_deck", "check_slides",
           "deck_bytes", "new_slide", "write_deck"]
