"""The catalogue of levers and failure modes, and the house it keeps in order: one
declaration per concept, no import circles, no oversized modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from simulator.analysis import mode_switches
from simulator.engine import layout
from simulator.scenario import (
    LEVER_SPECS,
    LEVERS,
    MODE_SPECS,
    MODES,
    Levers,
    combination_count,
    field_meta,
    lever_count_words,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulator"
#: The compiled core is one function over arrays; splitting it would cost speed.
SIZE_EXEMPT = {"simulator/engine/kernel.py"}
MAX_LINES = 500


def test_every_lever_has_one_schema_table_flag_and_gate_column():
    assert tuple(Levers.model_fields) == LEVERS
    flags = {getattr(layout, s.flag) for s in LEVER_SPECS}
    cols = {getattr(layout, s.gate_column) for s in LEVER_SPECS}
    assert len(flags) == len(cols) == len(LEVERS)
    assert all(0 <= f < layout.N_FLAGS for f in flags)
    assert all(0 <= c < layout.N_GATE_COLS for c in cols)
    for s in LEVER_SPECS:
        for name in s.one_off + s.monthly + s.per_retrain:
            assert field_meta(f"{s.section}.{name}").kind == "money"
        assert not s.simulated_cost or s.simulated_cost in layout.OUT
        for name in s.settings:  # fixed settings of the lever's own table
            assert not field_meta(f"{s.section}.{name}").uncertain
        assert s.description.endswith(".")
    assert len({s.label for s in LEVER_SPECS}) == len({s.short for s in LEVER_SPECS}) \
        == len(LEVERS)


def test_every_failure_mode_is_switched_off_by_the_gap_and_names_real_inputs(seed_case):
    assert tuple(mode_switches(seed_case)) == MODES
    for m in MODE_SPECS:
        for path in m.inputs + tuple(p for p, _ in m.lens_values):
            field_meta(path)  # raises KeyError naming the path when there is none
        assert m.observation in ("accuracy", "incidents", "active_users")


def test_counts_are_computed():
    assert combination_count() == 2 ** len(LEVERS)
    assert lever_count_words().endswith("levers")
    assert str(len(LEVERS)) not in lever_count_words() or len(LEVERS) > 10


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py")) + [ROOT / "app.py"]


@pytest.mark.parametrize("spec", LEVER_SPECS, ids=lambda s: s.key)
def test_every_lever_label_appears_once_in_the_package(spec):
    pattern = re.compile(rf"""["']{re.escape(spec.label)}["']""")
    hits = [f"{p.relative_to(ROOT)}" for p in _sources() for _ in pattern.finditer(
        p.read_text())]
    assert hits == ["simulator/scenario/catalog.py"], hits


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules of the package that ``path`` imports, at the top or inside functions."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("simulator")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = base[:len(base) - node.level + 1]
                mod = ".".join(pkg + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("simulator"):
                continue
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


def test_no_import_circles():
    """Strongly connected components of the module import graph (function-level imports
    included; a package's __init__ re-exporting its own modules is not a circle)."""
    mods = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in mods.items():
        deps = {d for d in _imports(path, name) if d in mods and d != name}
        # A module importing from its own package's __init__ goes to the package; an
        # __init__ importing its submodules is the package listing its names.
        graph[name] = {d for d in deps if not (path.name == "__init__.py"
                                              and d.startswith(name + "."))}
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    import sys
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_no_module_over_the_size_limit():
    big = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert set(big) <= SIZE_EXEMPT, big
