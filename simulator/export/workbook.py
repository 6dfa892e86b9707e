"""Excel workbook of a simulation, written with xlsxwriter.

Sheets: Summary (headline numbers with a native chart of the NPV range beside the
pilot-lens case, and named ranges such as ``npv_p50`` for the headline figures), Cash flow
and Base case (:mod:`simulator.export.model_sheets`), Bands
(one row per month, a column per metric_percentile, ``res.bands_wide()``, with native fan
charts), Paths (one row per simulated path: sampled inputs and outcomes), Assumptions
(every input: key, readable label, low / likely / high with units) and, when given, Levers.
Values are written unrounded; number formats in the scenario's currency make them readable;
the header row (and the index column) is frozen and column widths fit their content. The
per-path rows are written by :mod:`simulator.export.sheetdata` (about 20 times faster).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from .. import formatting as F
from ..labels import output_kind, output_label, unit_kind
from ..results import SimulationResult
from .files import write_atomic
from .model_sheets import base_case_sheet, cash_flow_sheet
from .sheetdata import rows_xml, splice_rows
from .tables import assumptions_frame, column_kind, input_field, summary_frame

SHEETS = ("Summary", "Cash flow", "Base case", "Bands", "Paths", "Assumptions")

#: Summary entries given a workbook-wide name (``=npv_p50`` in any formula).
NAMED = ("prob_npv_positive", "npv_p10", "npv_p50", "npv_p90", "npv_mean", "roi_p50",
         "payback_month_p50", "active_rate_m6_p50", "pilot_lens_npv", "expectation_gap",
         "prob_npv_ge_pilot_lens")

#: An IRR above this (1,000 %) is flagged: it says the outlay is small, not that the case
#: is good. IRR is computed only for paths whose flows change sign (NaN otherwise).
IRR_FLAG = 10.0

_BAND_KINDS = {"active_users": "decimal", "incidents": "decimal"}
#: Bands charted on the Bands sheet: metric, title.
BAND_CHARTS = (("cum_net", "Cumulative net cash"), ("active_users", "Active users"))


def bands_kind(column: str) -> str:
    """Format kind of a ``bands_wide`` column (``cum_net_p10`` -> money)."""
    metric = column.rsplit("_", 1)[0]
    return _BAND_KINDS.get(metric, output_kind(metric))


def paths_kinds(res: SimulationResult) -> dict[str, str]:
    """Format kind of every ``res.paths`` column: outcomes by name, inputs by their unit."""
    kinds = {name: unit_kind(input_field(res.scenario, name)[0]) for name in res.input_names}
    for c in res.paths.columns:
        if c not in kinds:
            kinds[c] = "count" if output_kind(c) == "months" else output_kind(c)
    return kinds


class _Formats:
    """xlsxwriter formats by (kind, decimals), created once per workbook."""

    def __init__(self, book: xlsxwriter.Workbook, currency: str):
        self.book, self.currency, self._cache = book, currency, {}
        self.header = book.add_format({"bold": True, "bottom": 1, "text_wrap": False})
        self.bold = book.add_format({"bold": True})

    def __call__(self, kind: str, decimals: int = 0):
        key = (kind, decimals)
        if key not in self._cache:
            num = F.excel_format(kind, self.currency, decimals)
            self._cache[key] = self.book.add_format({"num_format": num} if num else {})
        return self._cache[key]


def _width(header: str, values: Any, fmt_kind: str) -> float:
    """A column width from the header and a sample of values."""
    sample = list(values[:200]) if values is not None else []
    n = len(str(header)) + 2
    for v in sample:
        if isinstance(v, float | np.floating):
            text = f"{v:,.2f}" if fmt_kind != "share" else "100.0%"
        else:
            text = str(v)
        n = max(n, len(text) + 2)
    return float(min(max(n, 8), 60))


def _write_table(ws, df: pd.DataFrame, formats: _Formats, kinds: dict[str, Any],
                 header_fmt, index_name: str | None = None) -> None:
    """Write ``df`` (with its index first when ``index_name``) cell by cell: small tables."""
    cols = list(df.columns)
    c0 = 0
    if index_name is not None:
        ws.write(0, 0, index_name, header_fmt)
        for i, v in enumerate(df.index, start=1):
            ws.write(i, 0, v)
        ws.set_column(0, 0, _width(index_name, list(df.index), "number"))
        c0 = 1
    for j, c in enumerate(cols):
        ws.write(0, c0 + j, str(c), header_fmt)
        kind = kinds.get(str(c))
        fmt = formats(*kind) if isinstance(kind, tuple) else (formats(kind) if kind else None)
        for i, v in enumerate(df[c].tolist(), start=1):
            if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
                continue
            if isinstance(v, bool | np.bool_):
                ws.write_boolean(i, c0 + j, bool(v))
            elif isinstance(v, int | float | np.integer | np.floating):
                ws.write_number(i, c0 + j, float(v), fmt)
            elif str(v):
                ws.write_string(i, c0 + j, str(v))
        ws.set_column(c0 + j, c0 + j, _width(c, df[c].tolist(), kind or "text"))


def _summary(book, formats: _Formats, res: SimulationResult) -> None:
    ws = book.add_worksheet("Summary")
    summ = summary_frame(res.summary)
    ws.write_row(0, 0, ["Metric", "Value", "Key"], formats.header)
    row_of = {}
    for i, r in enumerate(summ.itertuples(index=False), start=1):
        ws.write_string(i, 0, r.label)
        v = r.value
        if v is None:
            pass
        elif r.kind == "text":
            ws.write_string(i, 1, str(v))
        else:
            ws.write_number(i, 1, float(v), formats(r.kind))
        ws.write_string(i, 2, r.key)
        if r.key == "irr_p50" and v is not None and float(v) > IRR_FLAG:
            ws.write_string(i, 3, "flagged: above 1,000 % (a small outlay before large "
                                  "returns; read the NPV instead)")
        row_of[r.key] = i
    ws.set_column(0, 0, max(len(t) for t in summ["label"]) + 2)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, max(len(t) for t in summ["key"]) + 2)
    ws.freeze_panes(1, 0)
    for key in NAMED:
        if key in row_of:
            book.define_name(key, f"=Summary!$B${row_of[key] + 1}")
    # native chart: the production NPV range beside the signed-off pilot-lens case
    keys = [k for k in ("pilot_lens_npv", "npv_p90", "npv_p50", "npv_p10")
            if k in row_of and res.summary.get(k) is not None]
    chart = book.add_chart({"type": "bar"})
    cur = res.summary["currency"]
    big = max(abs(float(res.summary[k])) for k in keys)
    for k in keys:
        r = row_of[k]
        chart.add_series({"name": ["Summary", r, 0], "categories": ["Summary", r, 0, r, 0],
                          "values": ["Summary", r, 1, r, 1],
                          "data_labels": {"value": True,
                                          "num_format": F.chart_money_format(cur, big, True)}})
    chart.set_title({"name": "NPV: pilot lens vs production range"})
    chart.set_x_axis({"num_format": F.chart_money_format(cur, big),
                      "name": f"NPV ({cur})"})
    chart.set_y_axis({"visible": False})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 340})
    ws.insert_chart(1, 4, chart)


def _bands(book, formats: _Formats, res: SimulationResult) -> None:
    ws = book.add_worksheet("Bands")
    bands = res.bands_wide()
    _write_table(ws, bands, formats, {c: bands_kind(c) for c in bands.columns},
                 formats.header, index_name="month")
    ws.freeze_panes(1, 1)
    n = len(bands)
    cur = res.summary["currency"]
    cols = list(bands.columns)
    for k, (metric, title) in enumerate(BAND_CHARTS):
        chart = book.add_chart({"type": "line"})
        for stat, dash, width in (("p10", "dash", 1.5), ("p50", None, 2.75),
                                  ("p90", "dash", 1.5)):
            name = f"{metric}_{stat}"
            if name not in cols:
                continue
            j = cols.index(name) + 1
            line = {"width": width, "color": "#0072B2"}
            if dash:
                line["dash_type"] = dash
            chart.add_series({"name": stat.upper(), "categories": ["Bands", 1, 0, n, 0],
                              "values": ["Bands", 1, j, n, j], "line": line,
                              "marker": {"type": "none"}})
        kind = bands_kind(f"{metric}_p50")
        unit = f" ({cur})" if kind == "money" else ""
        big = float(np.nanmax(np.abs(bands.filter(like=metric).to_numpy())))
        chart.set_title({"name": f"{title}: P10, P50, P90"})
        chart.set_x_axis({"name": "Month after go-live"})
        chart.set_y_axis({"name": f"{output_label(metric)}{unit}",
                          "num_format": F.chart_money_format(cur, big)
                          if kind == "money" else "#,##0"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 620, "height": 320})
        ws.insert_chart(n + 3 + 18 * k, 1, chart)


def _paths(book, formats: _Formats, res: SimulationResult):
    """Header, formats and widths of the Paths sheet; returns the rows to splice in."""
    ws = book.add_worksheet("Paths")
    paths = res.paths
    kinds = paths_kinds(res)
    ws.write(0, 0, "path", formats.header)
    ws.set_column(0, 0, 8)
    columns = [paths.index.to_numpy()]
    styles = [formats("count")]
    for j, c in enumerate(paths.columns, start=1):
        kind = kinds.get(c, "number")
        col = paths[c].to_numpy(dtype=float, na_value=np.nan)
        dec = F.money_decimals(col[:1000]) if kind == "money" else 0
        fmt = formats(kind, dec)
        ws.write(0, j, c, formats.header)
        ws.set_column(j, j, _width(c, col[:200].tolist(), kind), fmt)
        columns.append(col)
        styles.append(fmt)
    ws.freeze_panes(1, 1)
    return ws, columns, styles


def _assumptions(book, formats: _Formats, res: SimulationResult) -> None:
    ws = book.add_worksheet("Assumptions")
    a = assumptions_frame(res.scenario)
    out = a.drop(columns=["schema_unit"])
    kinds: dict[str, Any] = {}
    _write_table(ws, out, formats, kinds, formats.header)
    cols = list(out.columns)
    for i, (unit, row) in enumerate(zip(a["schema_unit"], a[["low", "likely", "high"]]
                                        .to_numpy(), strict=True), start=1):
        kind = unit_kind(unit)
        fmt = formats(kind, F.money_decimals(row) if kind == "money" else 0)
        for c in ("low", "likely", "high"):
            j = cols.index(c)
            ws.write_number(i, j, float(row[("low", "likely", "high").index(c)]), fmt)
    ws.set_column(cols.index("description"), cols.index("description"), 80)
    ws.freeze_panes(1, 1)


def _levers(book, formats: _Formats, levers: pd.DataFrame) -> None:
    lv = levers.reset_index() if levers.index.name is not None else levers
    kinds = {str(c): column_kind(str(c)) for c in lv.columns
             if pd.api.types.is_numeric_dtype(lv[c]) and not pd.api.types.is_bool_dtype(lv[c])}
    ws = book.add_worksheet("Levers")
    _write_table(ws, lv, formats, kinds, formats.header)
    ws.freeze_panes(1, 0)


def workbook_bytes(res: SimulationResult, *, levers: pd.DataFrame | None = None,
                   paths_sheet: bool = False, fiscal_start: int = 1,
                   cached_formulas: bool = True) -> bytes:
    """The workbook as .xlsx bytes, built in memory (download buttons and files).

    ``paths_sheet=True`` adds the per-path sheet, which dominates size and time.
    ``fiscal_start``: the calendar month (1-12) a fiscal year starts in, for the annual
    cash flow. ``cached_formulas=False`` stores 0 as every formula's cached result, so a
    reader must recalculate (the test that evaluates the base case's formulas uses it).
    """
    if res.band_array is None:
        raise ValueError("the workbook needs monthly bands: simulate(..., bands=True)")
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats = _Formats(book, res.summary["currency"])
    _summary(book, formats, res)
    cash_flow_sheet(book, formats, res, fiscal_start)
    base_case_sheet(book, formats, res, cached_formulas)
    _bands(book, formats, res)
    big = styles = None
    if paths_sheet:
        _, big, styles = _paths(book, formats, res)
        sheet_no = [ws.name for ws in book.worksheets()].index("Paths") + 1
    _assumptions(book, formats, res)
    if levers is not None and len(levers):
        _levers(book, formats, levers)
    book.close()
    data = buf.getvalue()
    if big is not None:
        ids = [s.xf_index for s in styles]
        rows = rows_xml(big, ids, first_row=2)
        data = splice_rows(data, sheet_no, rows, len(big[0]), len(big))
    return data


def write_workbook_to(res: SimulationResult, target: Any, **kwargs: Any) -> None:
    """Write the workbook to a path or a binary file object (no atomicity: see below)."""
    data = workbook_bytes(res, **kwargs)
    if hasattr(target, "write"):
        target.write(data)
    else:
        Path(target).write_bytes(data)


def write_workbook(res: SimulationResult, path: str | Path, **kwargs: Any) -> Path:
    """Write the workbook to ``path`` atomically: it appears (or is replaced) only whole."""
    path = Path(path)
    return write_atomic(path, lambda tmp: write_workbook_to(res, tmp, **kwargs))
