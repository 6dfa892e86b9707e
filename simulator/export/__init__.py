"""Exports for finance: a PowerPoint deck with native charts, an Excel workbook, CSV files,
PNG/SVG images of the charts and a SIPmath 3.0 library of the per-path values.

>>> from simulator import load_scenario, simulate
>>> from simulator.export import deck_bytes, write_csv, write_deck, write_workbook
>>> res = simulate(load_scenario("scenarios/seed_case.toml"), paths=200, seed=7)
>>> write_deck(res, "out/deck.pptx").name, write_workbook(res, "out/book.xlsx").name
('deck.pptx', 'book.xlsx')
>>> sorted(p.name for p in write_csv(res, "out/csv"))
['bands.csv', 'summary.csv']
>>> deck_bytes(res)[:2]                              # the same deck in memory (a zip)
b'PK'

Every writer is atomic: the target appears, or is replaced, only when complete.
``deck_bytes`` / ``workbook_bytes`` build the same files in memory (download buttons).
"""

from __future__ import annotations

import importlib as _importlib

from .deck import build_deck, deck_bytes, write_deck
from .deck_answer import Findings, run_findings
from .files import write_atomic, write_csv
from .sipmath import SipError, sip_library, write_sip_library
from .workbook import workbook_bytes, write_workbook, write_workbook_to

#: Loaded on first use: the chart images need altair and vl-convert (about 0.3 s to
#: import), which a deck or a workbook does not.
_LAZY = {"result_charts": "images", "write_images": "images"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["Findings", "SipError", "build_deck", "deck_bytes", "result_charts", "run_findings",
           "sip_library", "workbook_bytes", "write_atomic", "write_csv", "write_deck",
           "write_images", "write_sip_library", "write_workbook", "write_workbook_to"]
