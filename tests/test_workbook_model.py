"""The workbook is a model: its base case's live formulas, recalculated by LibreOffice,
equal the model's own run at the medians; changing an input cell recomputes them; the
cash flow by line adds up to the kernel's cost; the default file stays small."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.export.basecase import COLUMNS, base_case
from simulator.export.cashflow import LINES, annual_table, cash_flow, fiscal_years
from simulator.export.workbook import workbook_bytes

ROOT = Path(__file__).resolve().parents[1]
XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheet}"


def _calc_missing() -> bool:
    return shutil.which("soffice") is None or not Path(
        "/usr/lib/libreoffice/program/libsclo.so").exists()


def recalculated(xlsx: Path, sheet: int, tmp: Path) -> list[list[str]]:
    """The sheet as LibreOffice computes it, every formula recalculated on load."""
    home = tmp / "home"
    prof = home / ".config" / "libreoffice" / "4" / "user"
    prof.mkdir(parents=True, exist_ok=True)
    (prof / "registrymodifications.xcu").write_text(XCU)
    out = subprocess.run(["soffice", "--headless", "--norestore", "--convert-to",
                          CSV.format(sheet=sheet), "--outdir", str(tmp), str(xlsx)],
                         capture_output=True, timeout=300,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    files = list(tmp.glob(f"{xlsx.stem}*.csv"))
    assert out.returncode == 0 and files, out.stderr.decode()[-2000:]
    with files[0].open() as f:
        return list(csv.reader(f))


def _num(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _table(rows: list[list[str]]) -> tuple[np.ndarray, float]:
    head = next(i for i, r in enumerate(rows) if r and r[0] == COLUMNS[0][0])
    body = []
    for r in rows[head + 1:]:
        if not r or not r[0] or not re.fullmatch(r"\d+", r[0]):
            break
        body.append([_num(c) for c in r[:len(COLUMNS)]])
    npv = next(_num(r[1]) for r in rows if r and r[0] == "NPV (live formulas)")
    return np.array(body), npv


def _col(name: str) -> int:
    return [h for h, _, _ in COLUMNS].index(name)


def _sheet_no(data: bytes, name: str) -> int:
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
    return names.index(name) + 1


@pytest.mark.parametrize("scenario", ["seed_case.toml", "seed_case_staged.toml",
                                      "seed_case_all_levers.toml"])
def test_base_case_formulas_evaluated_match_the_model_run(scenario, tmp_path):
    assert not _calc_missing(), "make test installs LibreOffice Calc"
    sc = load_scenario(ROOT / "scenarios" / scenario)
    res = simulate(sc, paths=200, seed=3)
    data = workbook_bytes(res, cached_formulas=False)  # cached 0: a reader must recalc
    xlsx = tmp_path / "book.xlsx"
    xlsx.write_bytes(data)
    table, npv = _table(recalculated(xlsx, _sheet_no(data, "Base case"), tmp_path))
    bc = base_case(sc, res.horizon)
    assert table.shape[0] == sc.horizon + 1
    for name, want in (("Benefit", bc.benefit), ("Total cost", bc.cost),
                       ("Net cash", bc.benefit - bc.cost)):
        got = table[:, _col(name)]
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * scale, err_msg=name)
    assert npv == pytest.approx(bc.npv, rel=1e-6, abs=1e-6 * float(np.abs(bc.cost).sum()))


def test_an_input_cell_change_recomputes_the_base_case(tmp_path):
    assert not _calc_missing(), "make test installs LibreOffice Calc"
    sc = load_scenario(ROOT / "scenarios" / "seed_case.toml")
    res = simulate(sc, paths=200, seed=3)
    data = workbook_bytes(res, cached_formulas=False)
    no = _sheet_no(data, "Base case")
    bc = base_case(sc, res.horizon)
    hourly = bc.inputs["economics.hourly_cost"]
    # double the hourly cost in its input cell, in the file itself
    src = zipfile.ZipFile(__import__("io").BytesIO(data))
    xlsx = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(xlsx, "w") as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{no}.xml":
                text = body.decode()
                cell = re.search(r'<c r="B(\d+)"[^>]*><v>' + re.escape(repr(hourly)) + "</v>",
                                 text)
                assert cell, "the hourly-cost input cell"
                text = text.replace(cell.group(0),
                                    cell.group(0).replace(repr(hourly), repr(2 * hourly)))
                body = text.encode()
            out.writestr(item, body)
    table, _ = _table(recalculated(xlsx, no, tmp_path))
    np.testing.assert_allclose(table[:, _col("Benefit")], 2 * bc.benefit, rtol=1e-9,
                               atol=1e-6 * float(np.max(np.abs(bc.benefit))))
    np.testing.assert_allclose(table[:, _col("Total cost")], bc.cost, rtol=1e-9, atol=1e-6)


def test_cash_flow_lines_add_up_to_the_kernel_cost(seed_case):
    res = simulate(seed_case.with_values({"levers.change_plan.enabled": True}), paths=300,
                   seed=2)
    cf = cash_flow(res)
    from simulator.engine.layout import TRAJ

    cost = res.trajectories[TRAJ.index("cost")].astype(float)
    total = sum(cf.lines[k] for k, _, sign in LINES if sign < 0)
    np.testing.assert_allclose(total, cost, rtol=1e-9, atol=1e-6)
    # everything but onboarding is rebuilt from the drivers: the remainder is onboarding
    # and the change plan's costs, never a sizeable negative amount
    assert cf.lines["onboarding_levers"].min() > -1.0
    annual = annual_table(cf, start_month=4)
    net = annual[annual["line"] == "Net cash"]
    assert net["mean"].sum() == pytest.approx(float(cf.net.sum(axis=0).mean()), rel=1e-9)


def test_fiscal_years_start_in_the_chosen_month():
    fy = fiscal_years(14, start_month=4)  # months 1-3 Jan-Mar: year 1; April opens year 2
    assert list(fy[:5]) == [1, 1, 1, 1, 2] and fy[13] == 2 and fy[14] == 2
    assert list(fiscal_years(13, 1)) == [1] * 13 + [2]
    with pytest.raises(ValueError, match="fiscal_start"):
        fiscal_years(12, 13)


def test_default_workbook_is_small_at_20000_paths(seed_case):
    res = simulate(seed_case, paths=20_000, seed=1)
    data = workbook_bytes(res)
    assert len(data) <= 2_000_000, len(data)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
    assert "Paths" not in names and {"Cash flow", "Base case"} <= set(names)
