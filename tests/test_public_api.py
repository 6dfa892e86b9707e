"""The public API guard (after httpx's): each package's ``__all__`` lists exactly its
public names, and the ``>>>`` examples in the package docstrings run.

Public names are the names a package's ``__init__`` defines or imports at its top level
(or lists in its ``__dir__``: names it loads on first use, PEP 562), less those starting
with ``_``, submodules and ``from __future__`` features. A package
that has none needs no ``__all__``. The examples run in a temporary folder that sees the
repository's ``scenarios/`` and ``examples/`` (so whatever they write stays out of the
tree), at small sizes; they print properties, never simulated numbers.
"""

import __future__

import doctest
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import simulator

ROOT = Path(simulator.__file__).resolve().parents[1]
PACKAGES = ["simulator"] + sorted(
    m.name for m in pkgutil.walk_packages(simulator.__path__, "simulator.") if m.ispkg)
#: Packages whose docstring must show how to use them with runnable examples.
WITH_EXAMPLES = ["simulator", "simulator.actuals", "simulator.analysis", "simulator.export",
                 "simulator.sweep"]


def public_names(module: types.ModuleType) -> set[str]:
    return {name for name in dir(module)
            if not name.startswith("_")
            and not isinstance(getattr(module, name), types.ModuleType | __future__._Feature)}


def test_the_api_packages_are_found():
    assert set(WITH_EXAMPLES) < set(PACKAGES)
    assert {"simulator.cli", "simulator.engine", "simulator.charts"} <= set(PACKAGES)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", [])
    assert len(exported) == len(set(exported)), f"{name}.__all__ has duplicates"
    missing = public_names(module) - set(exported)
    extra = set(exported) - public_names(module)
    assert not missing, f"{name}: public but not in __all__: {sorted(missing)}"
    assert not extra, f"{name}: in __all__ but not a public name: {sorted(extra)}"


def test_the_guard_sees_a_stray_public_name(monkeypatch):
    """A name added to a package without listing it in ``__all__`` is caught."""
    sweep = importlib.import_module("simulator.sweep")
    monkeypatch.setattr(sweep, "helper", lambda: None, raising=False)
    assert "helper" in public_names(sweep) - set(sweep.__all__)
    monkeypatch.setattr(sweep, "_private", 1, raising=False)
    assert "_private" not in public_names(sweep)


def _docstring_examples(name: str) -> list[doctest.DocTest]:
    """The examples of a package's own docstrings (its __init__, not its submodules)."""
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name)
    return [t for t in tests if t.examples]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    for folder in ("scenarios", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    tests = _docstring_examples(name)
    assert tests, f"{name}: its docstring shows no >>> example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 3 and result.failed == 0, \
        f"{name}: {result.failed} of {result.attempted} examples failed (output above)"


def test_a_wrong_example_fails():
    """The runner reports a wrong expected output (the examples test can fail)."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(">>> 1 + 1\n3\n", {}, "wrong", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda _: None)
    assert runner.summarize(verbose=False).failed == 1
