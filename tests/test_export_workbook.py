"""The Excel workbook: re-opened with openpyxl, every sheet holds the result's DataFrames."""

from __future__ import annotations

import io
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulator import simulate
from simulator.export import workbook as wbmod
from simulator.export.tables import assumptions_frame, levers_frame
from simulator.export.workbook import SHEETS, workbook_bytes, write_workbook

PATHS, SEED = 300, 5
#: small tables are written with 16 significant digits (Excel keeps 15), so values come back
#: equal to within one or two units in the last place
RTOL = 1e-15


def _code_prefix(currency: str) -> str:
    """Money is written with the ISO code in front: 'USD 1.23M'."""
    return f"{currency} "


def assert_same(got, want, err_msg: str = "") -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=RTOL, atol=0, err_msg=err_msg)


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=PATHS, seed=SEED)


@pytest.fixture(scope="module")
def wb(res, tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    write_workbook(res, path, paths_sheet=True)
    return openpyxl.load_workbook(path)


def _frame(ws) -> tuple[list, list[list]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), [list(r) for r in rows[1:]]


def test_sheets(wb):
    assert wb.sheetnames == list(SHEETS)


def test_bands_sheet_equals_bands_wide(wb, res):
    header, rows = _frame(wb["Bands"])
    want = res.bands_wide()
    assert header == ["month", *want.columns]
    got = np.array(rows, dtype=float)
    np.testing.assert_array_equal(got[:, 0], want.index.to_numpy())
    assert_same(got[:, 1:], want.to_numpy())


def test_paths_sheet_equals_paths(wb, res):
    header, rows = _frame(wb["Paths"])
    want = res.paths
    assert header == ["path", *want.columns]
    assert len(rows) == PATHS
    assert [r[0] for r in rows] == list(range(PATHS))
    for j, col in enumerate(want.columns, start=1):
        got = [r[j] for r in rows]
        if col == "payback_month":  # never paid back (NA) is an empty cell
            assert got == [None if pd.isna(v) else int(v) for v in want[col]]
        else:
            assert_same(got, want[col], err_msg=col)


def test_summary_sheet_equals_summary(wb, res):
    header, rows = _frame(wb["Summary"])
    assert header == ["Metric", "Value", "Key"]
    got = {r[2]: r[1] for r in rows}
    assert list(got) == list(res.summary)
    for k, v in res.summary.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            assert got[k] is None, k
        elif isinstance(v, str):
            assert got[k] == v, k
        else:
            assert_same(got[k], v, err_msg=k)


def test_assumptions_sheet(wb, res):
    header, rows = _frame(wb["Assumptions"])
    want = assumptions_frame(res.scenario).drop(columns=["schema_unit"])
    assert header == list(want.columns)
    got = pd.DataFrame(rows, columns=header)
    assert list(got["input"]) == list(res.scenario.all_inputs())
    for c in ("low", "likely", "high"):
        assert_same(got[c], want[c], err_msg=c)
    assert list(got["unit"]) == list(want["unit"])


def test_number_formats_and_frozen_header(wb, res):
    sym = _code_prefix(res.summary["currency"])
    ws = wb["Summary"]
    fmt = {ws.cell(r, 3).value: ws.cell(r, 2).number_format for r in range(2, ws.max_row + 1)}
    assert sym in fmt["npv_p50"] and "#,##0" in fmt["npv_p50"]
    assert fmt["prob_npv_positive"] == "0.0%"
    assert fmt["roi_p50"] == "0.0%"
    bands = wb["Bands"]
    head = [c.value for c in bands[1]]
    assert sym in bands.cell(2, head.index("cum_net_p50") + 1).number_format
    assert bands.cell(2, head.index("active_rate_p50") + 1).number_format == "0.0%"
    paths = wb["Paths"]
    head = [c.value for c in paths[1]]
    assert sym in paths.cell(PATHS + 1, head.index("npv") + 1).number_format
    assert paths.cell(2, head.index("roi") + 1).number_format == "0.0%"
    # a sampled money input is formatted as money, a share input as a percentage
    assert sym in paths.cell(2, head.index("economics.hourly_cost") + 1).number_format
    assert paths.cell(2, head.index("pilot.accuracy") + 1).number_format == "0.0%"
    assert wb["Summary"].freeze_panes == "A2"
    assert wb["Bands"].freeze_panes == "B2"
    assert wb["Paths"].freeze_panes == "B2"
    assert wb["Assumptions"].freeze_panes == "B2"
    # widths fit the headers: a long dotted input name gets a wide column
    col = openpyxl.utils.get_column_letter(head.index("economics.support_per_active_user_month")
                                           + 1)
    assert paths.column_dimensions[col].width >= len("economics.support_per_active_user_month")


def test_levers_sheet_and_bytes(res):
    combos = pd.DataFrame({"portfolio": ["none", "FB"], "npv_p50": [-5.0e5, 2.5e5],
                           "prob_npv_positive": [0.1, 0.6], "lever_cost_mean": [0.0, 1.2e5],
                           "is_best": [False, True]})
    table = levers_frame(combos)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res, levers=table,
                                                            paths_sheet=True)))
    assert book.sheetnames == [*SHEETS, "Levers"]
    header, rows = _frame(book["Levers"])
    assert header == list(table.columns)
    want = [[None if v == "" else v for v in r] for r in table.astype(object).values.tolist()]
    assert rows == want  # an empty text cell reads back as None
    ws = book["Levers"]
    assert ws.cell(2, header.index("P(NPV > 0)") + 1).number_format == "0.0%"
    assert "#,##0" in ws.cell(2, header.index("NPV P50") + 1).number_format


def test_failed_write_keeps_old_file(res, tmp_path, monkeypatch):
    path = tmp_path / "book.xlsx"
    write_workbook(res, path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("forced failure mid-write")

    # fails after the Summary and Bands sheets were already written to the temp file
    monkeypatch.setattr(wbmod, "assumptions_frame", boom)
    with pytest.raises(RuntimeError, match="forced failure"):
        write_workbook(res, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_without_paths_sheet(res):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res)))  # the default
    assert book.sheetnames == ["Summary", "Cash flow", "Base case", "Bands", "Assumptions"]


def test_small_money_inputs_keep_their_decimals(wb, res):
    """Inference per task is a fraction of a cent: its cells must not display as $0."""
    ws = wb["Assumptions"]
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, 1).value == "economics.inference_per_task")
    hi = ws.cell(row, 4).value
    assert 0 < hi < 1
    assert ws.cell(row, 4).number_format.count("0.0000") >= 1
    head = [c.value for c in wb["Paths"][1]]
    col = head.index("economics.inference_per_task") + 1
    assert "0.0000" in wb["Paths"].cell(2, col).number_format


def test_money_decimals():
    from simulator.export.tables import money_decimals

    assert money_decimals([250_000.0, 180_000.5]) == 0
    assert money_decimals([30.0, 30.0]) == 0
    assert money_decimals([45.5, 60.0]) == 2
    assert money_decimals([0.002, 0.004]) == 4
    assert money_decimals([]) == 0


def test_named_ranges_point_at_the_headline_figures(wb, res):
    s = res.summary
    for key in wbmod.NAMED:
        dn = wb.defined_names[key]
        ((sheet, ref),) = list(dn.destinations)
        assert sheet == "Summary"
        cell = wb[sheet][ref.replace("$", "")]
        if s[key] is None:
            assert cell.value is None
        else:
            assert cell.value == pytest.approx(float(s[key]), rel=RTOL)
        assert wb[sheet].cell(cell.row, 3).value == key  # the raw key beside it


def test_native_charts_on_summary_and_bands(res, tmp_path):
    """The charts are Excel chart parts referencing the sheets' cells (not pictures)."""
    import re
    import zipfile

    path = tmp_path / "book.xlsx"
    write_workbook(res, path)
    z = zipfile.ZipFile(path)
    charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert len(charts) == 1 + len(wbmod.BAND_CHARTS)
    refs = " ".join(" ".join(re.findall(r"<c:f>([^<]+)</c:f>", z.read(c).decode()))
                    for c in charts)
    assert "Summary!$B$" in refs and "Bands!$" in refs
    assert not any(n.startswith("xl/media/") for n in z.namelist())


def test_paths_rows_written_directly_read_back_exactly(res):
    """The per-path rows bypass xlsxwriter's cell writer: the values, blanks for paths that
    never pay back, styles and the sheet dimension must still be right."""
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res, paths_sheet=True)))
    ws = book["Paths"]
    assert ws.dimensions == f"A1:{openpyxl.utils.get_column_letter(len(res.paths.columns) + 1)}"\
                           f"{PATHS + 1}"
    head = [c.value for c in ws[1]]
    j = head.index("payback_month") + 1
    got = [ws.cell(r, j).value for r in range(2, PATHS + 2)]
    want = res.paths["payback_month"]
    assert [g is None for g in got] == list(want.isna())
    npv = [ws.cell(r, head.index("npv") + 1).value for r in range(2, PATHS + 2)]
    assert npv == list(res.paths["npv"])  # repr round-trips exactly
