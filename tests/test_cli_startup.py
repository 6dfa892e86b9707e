"""A CLI process imports only what its command needs (start-up time, issue 29), checked
without timing: the modules a command leaves in ``sys.modules``, in a fresh process."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

from conftest import ROOT, SCENARIOS

from simulator.cli import COMMAND_MODULES, COMMANDS

SEED = str(SCENARIOS / "seed_case.toml")

#: What a plain run must not import: the deck (pptx), workbook (xlsxwriter), chart images
#: (altair, vl-convert), the app, plotting, Sobol (SALib) and the modules of other commands.
#: Together about 0.6 s of CPU per process on the 2-core machine (benchmarks/RESULTS.md).
NOT_FOR_RUN = ("pptx", "xlsxwriter", "altair", "vl_convert", "streamlit", "matplotlib",
               "SALib", "simulator.export", "simulator.voi", "simulator.actuals",
               "simulator.sweep", "simulator.analysis", "simulator.charts", "simulator.ui",
               "simulator.cli.export", "simulator.cli.voi", "simulator.cli.update")


def _loaded_after(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """Run ``main(argv)`` in a fresh interpreter; which of ``names`` it then has loaded."""
    code = ("import json, sys\nfrom simulator.cli import main\n"
            f"rc = main({argv!r})\n"
            f"print(json.dumps([rc, [m for m in {list(names)!r} if m in sys.modules]]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=300, check=True)
    rc, loaded = json.loads(r.stdout.strip().splitlines()[-1])
    assert rc == 0, r.stderr
    return loaded


def test_each_command_is_mapped_to_the_module_that_adds_it():
    found: dict[str, str] = {}
    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"simulator.cli.{name}").register(sub)
        found.update(dict.fromkeys(sub.choices, name))
    assert found == COMMANDS


def test_a_run_imports_neither_exports_nor_other_commands():
    assert _loaded_after(["run", SEED, "--paths", "64", "--format", "json"], NOT_FOR_RUN) == []


def test_validate_loads_no_kernel_machinery():
    # validate reads and checks the file; numba's compiler registries load with the first
    # kernel call (about 0.3 s), which validate never makes
    assert _loaded_after(["validate", SEED], NOT_FOR_RUN + ("numba.np.arraymath",)) == []


def test_a_deck_and_workbook_export_does_not_load_altair(tmp_path):
    # the deck's charts are native PowerPoint charts (its gap waterfall included): altair
    # and vl-convert (about 0.3 s to import) are for PNG/SVG images, not asked for here
    loaded = _loaded_after(["export", SEED, "--paths", "64",
                            "--pptx", str(tmp_path / "d.pptx"),
                            "--xlsx", str(tmp_path / "w.xlsx")],
                           ("pptx", "altair", "vl_convert", "simulator.cli.voi",
                            "simulator.charts.waterfall"))
    assert loaded == ["pptx", "simulator.charts.waterfall"]
    assert (tmp_path / "d.pptx").stat().st_size > 0 and (tmp_path / "w.xlsx").is_file()
