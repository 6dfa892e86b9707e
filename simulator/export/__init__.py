"""Exports for finance: a PowerPoint deck with native charts, an Excel workbook, CSV files
and PNG/SVG images of the charts.

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
from .files import write_atomic, write_csv
from .images import result_charts, write_images
from .workbook import workbook_bytes, write_workbook, write_workbook_to

__all__ = ["build_deck", "deck_bytes", "result_charts", "workbook_bytes", "write_atomic",
           "write_csv", "write_deck", "write_images", "write_workbook", "write_workbook_to"]
