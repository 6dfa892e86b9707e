"""Excel workbook of a simulation (pandas ``ExcelWriter`` with openpyxl).

Sheets: Summary (headline numbers), Bands (one row per month, a column per
metric_percentile, ``res.bands_wide()``), Paths (one row per simulated path: sampled
inputs and outcomes), Assumptions (every input, low / likely / high with units) and,
when given, Levers. Values are written unrounded; currency and percent number formats
make them readable, the header row (and the index column) is frozen and column widths
fit their content.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from ..results import SimulationResult
from .files import write_atomic
from .tables import (
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    PERCENT_FORMAT,
    assumptions_frame,
    column_kind,
    excel_money_format,
    input_field,
    money_decimals,
    summary_frame,
)

SHEETS = ("Summary", "Bands", "Paths", "Assumptions")

_BAND_KINDS = {"active_users": "decimal", "active_rate": "share", "accuracy": "share",
               "benefit": "money", "cost": "money", "net": "money", "cum_net": "money",
               "incidents": "decimal"}
_PATH_KINDS = {"npv": "money", "pv_benefit": "money", "pv_cost": "money",
               "pilot_lens_npv": "money", "roi": "share", "irr": "share",
               "launch_accuracy": "share", "accuracy_m6": "share", "accuracy_final": "share",
               "active_rate_m6": "share", "active_rate_final": "share",
               "payback_month": "count", "incidents": "count",
               "pilot_users_lapsed_m6": "count"}


def _formats(currency: str) -> dict[str, str | None]:
    return {"money": excel_money_format(currency), "share": PERCENT_FORMAT,
            "count": COUNT_FORMAT, "month": "0", "decimal": DECIMAL_FORMAT,
            "number": "#,##0.####", "text": None}


def _unit_kind(unit: str) -> str:
    if unit.startswith("currency"):
        return "money"
    if unit == "share":
        return "share"
    return "number"


def bands_kind(column: str) -> str:
    """Format kind of a ``bands_wide`` column (``cum_net_p10`` -> money)."""
    metric = column.rsplit("_", 1)[0]
    return _BAND_KINDS.get(metric, "number")


def paths_kinds(res: SimulationResult) -> dict[str, str]:
    """Format kind of every ``res.paths`` column: outcomes by name, inputs by their unit."""
    kinds = {}
    for name in res.input_names:
        kinds[name] = _unit_kind(input_field(res.scenario, name)[0])
    kinds.update(_PATH_KINDS)
    return kinds


def _fit_widths(ws, min_width: int = 8, max_width: int = 60, sample: int = 200) -> None:
    """Column widths from the header and the first ``sample`` rows' text length."""
    for col in ws.iter_cols(min_row=1, max_row=min(ws.max_row, sample + 1)):
        width = min_width
        for i, cell in enumerate(col):
            v = cell.value
            if v is None:
                continue
            n = len(f"{v:,.2f}") if isinstance(v, float) else len(str(v))
            width = max(width, n + (3 if i == 0 else 2))
        ws.column_dimensions[get_column_letter(col[0].column)].width = min(width, max_width)


def _format_columns(ws, kinds: dict[int, str | None], n_rows: int) -> None:
    """Apply a number format to rows 2..n_rows+1 of each 1-based column in ``kinds``."""
    for col, fmt in kinds.items():
        if not fmt:
            continue
        for (cell,) in ws.iter_rows(min_row=2, max_row=n_rows + 1, min_col=col, max_col=col):
            cell.number_format = fmt


def _write(writer, df: pd.DataFrame, sheet: str, col_formats: dict[str, str | None],
           index: bool, freeze_col: int) -> None:
    df.to_excel(writer, sheet_name=sheet, index=index, freeze_panes=(1, freeze_col))
    ws = writer.sheets[sheet]
    offset = 2 if index else 1
    cols = {offset + j: col_formats.get(str(c)) for j, c in enumerate(df.columns)}
    _format_columns(ws, cols, len(df))
    _fit_widths(ws)


def write_workbook_to(res: SimulationResult, target: Any, *,
                      levers: pd.DataFrame | None = None, paths_sheet: bool = True) -> None:
    """Write the workbook to a path or a binary file object (no atomicity: see below).

    ``paths_sheet=False`` leaves out the per-path sheet, which dominates the size and the
    time (openpyxl writes about 1 000 - 2 000 paths a second).
    """
    if res.band_array is None:
        raise ValueError("the workbook needs monthly bands: simulate(..., bands=True)")
    cur = res.summary["currency"]
    fmt = _formats(cur)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        # Summary: one row per entry; the number format follows each row's kind.
        summ = summary_frame(res.summary)
        out = summ[["label", "value", "key"]].rename(
            columns={"label": "Metric", "value": "Value", "key": "Key"})
        out.to_excel(writer, sheet_name="Summary", index=False, freeze_panes=(1, 0))
        ws = writer.sheets["Summary"]
        for i, kind in enumerate(summ["kind"], start=2):
            f = fmt.get(kind)
            if f:
                ws.cell(row=i, column=2).number_format = f
        _fit_widths(ws)

        bands = res.bands_wide()
        _write(writer, bands, "Bands", {c: fmt[bands_kind(c)] for c in bands.columns},
               index=True, freeze_col=1)

        if paths_sheet:
            paths = res.paths
            kinds = paths_kinds(res)
            pformats = {}
            for c in paths.columns:
                kind = kinds.get(c, "number")
                pformats[c] = (excel_money_format(cur, money_decimals(paths[c]))
                               if kind == "money" else fmt[kind])
            _write(writer, paths, "Paths", pformats, index=True, freeze_col=1)

        a = assumptions_frame(res.scenario)
        out = a.drop(columns=["schema_unit"])
        out.to_excel(writer, sheet_name="Assumptions", index=False, freeze_panes=(1, 1))
        ws = writer.sheets["Assumptions"]
        for i, (unit, row) in enumerate(zip(a["schema_unit"],
                                            a[["low", "likely", "high"]].to_numpy(),
                                            strict=True), start=2):
            kind = _unit_kind(unit)
            f = excel_money_format(cur, money_decimals(row)) if kind == "money" else fmt[kind]
            for j in (2, 3, 4):  # low, likely, high
                ws.cell(row=i, column=j).number_format = f
        _fit_widths(ws)
        ws.column_dimensions["H"].width = 80  # description, wrapped by Excel on demand

        if levers is not None and len(levers):
            lv = levers.reset_index() if levers.index.name is not None else levers
            lformats = {}
            for c in lv.columns:
                if pd.api.types.is_numeric_dtype(lv[c]) and not pd.api.types.is_bool_dtype(
                        lv[c]):
                    lformats[str(c)] = fmt[column_kind(str(c))]
            _write(writer, lv, "Levers", lformats, index=False, freeze_col=0)


def workbook_bytes(res: SimulationResult, **kwargs: Any) -> bytes:
    """The workbook as .xlsx bytes, built in memory (for download buttons)."""
    buf = io.BytesIO()
    write_workbook_to(res, buf, **kwargs)
    return buf.getvalue()


def write_workbook(res: SimulationResult, path: str | Path, **kwargs: Any) -> Path:
    """Write the workbook to ``path`` atomically: it appears (or is replaced) only whole."""
    path = Path(path)
    return write_atomic(path, lambda tmp: write_workbook_to(res, tmp, **kwargs))
