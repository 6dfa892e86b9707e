"""CSV and image exports, atomic writing, the ``export`` command and the app's Export tab."""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import altair as alt
import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from tab_harness import tab_app

from simulator import simulate
from simulator.charts import theme
from simulator.cli import main
from simulator.export import files as filesmod
from simulator.export.files import write_atomic, write_csv
from simulator.export.images import FAN_METRICS, result_charts, write_images
from simulator.scenario import combination_count

PATHS, SEED = 200, 3
ROOT = Path(__file__).resolve().parents[1]
SEED_CASE = str(ROOT / "scenarios" / "seed_case.toml")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=PATHS, seed=SEED)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (the first chunk of every PNG)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_size(path: Path) -> tuple[float, float]:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return float(root.get("width")), float(root.get("height"))


# --------------------------------------------------------------------------- csv


def test_csv_bands_and_summary(res, tmp_path):
    written = write_csv(res, tmp_path / "csv")
    assert [p.name for p in written] == ["bands.csv", "summary.csv"]
    bands = pd.read_csv(tmp_path / "csv" / "bands.csv", index_col="month")
    want = res.bands_wide()
    assert list(bands.columns) == list(want.columns)
    np.testing.assert_array_equal(bands.to_numpy(), want.to_numpy())  # exact round trip
    summ = pd.read_csv(tmp_path / "csv" / "summary.csv", keep_default_na=False)
    got = dict(zip(summ["key"], summ["value"], strict=True))
    assert list(got) == list(res.summary)
    for k, v in res.summary.items():
        if v is None:
            assert got[k] == ""
        elif isinstance(v, str):
            assert got[k] == v
        else:
            assert float(got[k]) == float(v), k


# --------------------------------------------------------------------------- images


def test_images_of_every_chart(res, tmp_path):
    charts = result_charts(res)
    assert list(charts) == [f"fan_{m}" for m in FAN_METRICS] + ["npv_distribution"]
    written = write_images(charts, tmp_path, scale=2)
    assert sorted(p.name for p in written) == sorted(
        f"{n}.{f}" for n in charts for f in ("png", "svg"))
    for name in charts:
        w_svg, h_svg = svg_size(tmp_path / f"{name}.svg")
        # the chart is at least the theme's plot size (axes and titles come on top)
        assert w_svg >= theme.WIDTH and h_svg >= theme.HEIGHT
        data = (tmp_path / f"{name}.png").read_bytes()
        assert png_size(data) == (round(w_svg * 2), round(h_svg * 2))
        with Image.open(tmp_path / f"{name}.png") as im:
            im.verify()


def test_images_from_a_chart_mapping(tmp_path):
    """The image export takes any name -> chart mapping; pixels are really drawn."""
    df = pd.DataFrame({"x": ["a", "b", "c"], "y": [3.0, 1.0, 2.0]})
    chart = alt.Chart(df).mark_bar(color=theme.PRODUCTION).encode(x="x:N", y="y:Q").properties(
        width=200, height=120)
    write_images({"bars": chart}, tmp_path, formats=["png"], scale=1)
    with Image.open(tmp_path / "bars.png") as im:
        w, h = im.size
        assert w >= 200 and h >= 120
        px = np.asarray(im.convert("RGB")).reshape(-1, 3)
    blue = np.all(np.abs(px.astype(int) - [0x00, 0x72, 0xB2]) <= 8, axis=1)
    assert blue.sum() > 0.2 * 200 * 120  # three bars cover a good part of the plot
    assert not (tmp_path / "bars.svg").exists()


def _blend(hex_colour: str, opacity: float) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return 255 * (1 - opacity) + rgb * opacity


@pytest.mark.parametrize("name,colour", [
    ("fan_cum_net", _blend(theme.PRODUCTION, theme.BAND_OUTER_OPACITY)),  # P10-P90 band
    ("npv_distribution", _blend(theme.PRODUCTION, 0.85)),                 # histogram bars
])
def test_images_are_drawn(res, tmp_path, name, colour):
    """The exported PNG really shows the data: a good part of it is the mark's colour."""
    charts = result_charts(res)
    write_images({name: charts[name]}, tmp_path, formats=["png"], scale=1)
    with Image.open(tmp_path / f"{name}.png") as im:
        px = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    near = np.all(np.abs(px - colour) <= 12, axis=1)
    assert near.mean() > 0.025, f"{name}: {near.mean():.2%} of pixels in the mark colour"


def test_unknown_image_format(res, tmp_path):
    with pytest.raises(ValueError, match="allowed: png, svg"):
        write_images({}, tmp_path, formats=["jpg"])


# --------------------------------------------------------------------------- atomic writing


def test_write_atomic_failure_mid_write(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half of the new")
        raise OSError("disk full (forced)")

    with pytest.raises(OSError, match="forced"):
        write_atomic(target, half_then_fail)
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_written_files_get_ordinary_permissions(res, tmp_path):
    (p, _) = write_csv(res, tmp_path)
    mask = os.umask(0)
    os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_csv_export_keeps_old_files(res, tmp_path, monkeypatch):
    write_csv(res, tmp_path)
    before = (tmp_path / "summary.csv").read_bytes()

    def boom(_res):
        raise RuntimeError("forced")

    monkeypatch.setattr(filesmod, "summary_csv", boom)
    with pytest.raises(RuntimeError):
        write_csv(res, tmp_path)
    assert (tmp_path / "summary.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bands.csv", "summary.csv"]


# --------------------------------------------------------------------------- CLI


def test_cli_export_writes_everything(tmp_path, capsys):
    rc = main(["export", SEED_CASE, "--paths", "120", "--seed", "9",
               "--pptx", str(tmp_path / "deck.pptx"), "--xlsx", str(tmp_path / "book.xlsx"),
               "--csv", str(tmp_path / "csv"), "--png", str(tmp_path / "png"),
               "--svg", str(tmp_path / "svg"), "--scale", "1", "--date", "2025-01-31",
               "--set", "adoption.cohorts[0].size=150", "--paths-sheet", "--appendix"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    prs = Presentation(str(tmp_path / "deck.pptx"))
    title_text = "\n".join(sh.text_frame.text for sh in prs.slides[0].shapes
                           if sh.has_text_frame)
    assert "120 paths" in title_text and "seed 9" in title_text and "2025-01-31" in title_text
    wb = openpyxl.load_workbook(tmp_path / "book.xlsx", read_only=True)
    assert wb["Paths"].max_row == 121
    wb.close()
    assert (tmp_path / "csv" / "bands.csv").exists()
    assert len(list((tmp_path / "png").glob("*.png"))) == len(FAN_METRICS) + 1
    assert len(list((tmp_path / "svg").glob("*.svg"))) == len(FAN_METRICS) + 1
    assert not list((tmp_path / "png").glob("*.svg"))


def test_cli_export_with_levers_without_paths_sheet(tmp_path, monkeypatch):
    import simulator.analysis as analysis
    import simulator.analysis.levers as levers_mod

    calls = []
    real = levers_mod.lever_analysis

    def counting(*a, **k):
        calls.append(k.get("paths"))
        return real(*a, **k)

    monkeypatch.setattr(analysis, "lever_analysis", counting)
    monkeypatch.setattr(levers_mod, "lever_analysis", counting)
    rc = main(["export", SEED_CASE, "--paths", "40", "--levers", "--no-paths-sheet",
               "--pptx", str(tmp_path / "deck.pptx"), "--xlsx", str(tmp_path / "book.xlsx")])
    assert rc == 0
    assert calls == [40]  # the deck's lever analysis is the lever table's: run once
    wb = openpyxl.load_workbook(tmp_path / "book.xlsx", read_only=True)
    assert wb.sheetnames == ["Summary", "Cash flow", "Base case", "Bands", "Assumptions",
                             "Levers"]
    assert wb["Levers"].max_row == 1 + combination_count()  # header + the portfolios
    wb.close()
    titles = [s.shapes.title.text for s in Presentation(str(tmp_path / "deck.pptx")).slides]
    assert any(t.startswith("Levers: every combination") for t in titles)


@pytest.mark.parametrize("args,message", [
    ([], "nothing to export"),
    (["--pptx", "deck.ppt"], "--pptx deck.ppt: the file name must end in .pptx"),
    (["--xlsx", "book.csv"], "must end in .xlsx"),
    (["--csv", "out", "--paths", "0"], "--paths 0: must be at least 1"),
    (["--png", "out", "--scale", "20"], "--scale 20: allowed range is 0.5 to 8"),
    (["--csv", "out", "--date", "31/01/2025"], "--date '31/01/2025': expected YYYY-MM-DD"),
    (["--csv", "out", "--paths", "10", "--set", "pilot.accuracy=1.5"], "pilot.accuracy"),
])
def test_cli_bad_input_exits_2_with_one_line(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["export", SEED_CASE, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "deck.ppt").exists()


def test_cli_unwritable_target(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["export", SEED_CASE, "--paths", "10", "--pptx", str(blocker / "deck.pptx")])
    assert rc == 2
    assert "cannot write" in capsys.readouterr().err


# --------------------------------------------------------------------------- app tab


def test_app_tab_renders_download_buttons():
    at = tab_app("Export", SEED_CASE, 80, 4, timeout=120)
    at.run()
    assert not at.exception
    labels = [b.label for b in at.download_button]
    assert labels == ["Slide deck (.pptx)", "Workbook (.xlsx)", "Monthly bands (.csv)"]


def test_app_tab_lever_table_option():
    at = tab_app("Export", SEED_CASE, 40, 4, timeout=180)
    at.run()
    at.checkbox(key="export_levers").check().run()
    assert at.checkbox(key="export_levers").value is True
    assert not at.exception and not at.error
    assert len(at.download_button) == 3


def test_app_download_bytes_open(res):
    import io

    from simulator.ui.exports import deck_download, file_stem, workbook_download

    prs = Presentation(io.BytesIO(deck_download(res)))
    assert prs.slides[0].shapes.title.text == "The answer"
    wb = openpyxl.load_workbook(io.BytesIO(workbook_download(res)), read_only=True)
    assert wb.sheetnames[:4] == ["Summary", "Cash flow", "Base case", "Bands"]
    wb.close()
    assert file_stem("Seed case: pilot to stalled rollout") == "seed-case-pilot-to-stalled-rollout"
    assert file_stem("***") == "scenario"
