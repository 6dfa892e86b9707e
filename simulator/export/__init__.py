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

from .deck import build_deck, deck_bytes, write_deck
from .deck_answer import Findings, run_findings
from .files import write_atomic, write_csv
from .images import result_charts, write_images
from .sipmath import SipError, sip_library, write_sip_library
from .workbook import workbook_bytes, write_workbook, write_workbook_to

__all__ = ["Findings", "SipError", "build_deck", "deck_bytes", "result_charts", "run_findings",
           "sip_library", "workbook_bytes", "write_atomic", "write_csv", "write_deck",
           "write_images", "write_sip_library", "write_workbook", "write_workbook_to"]
