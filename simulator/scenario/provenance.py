"""Where every input comes from: inheritance from templates and reference classes.

A scenario file may name ``template = "NAME"`` (scenarios/NAME.toml, or a path relative to
the file) and ``reference_class = "NAME"`` (simulator/classes/NAME.toml). Every input the
file leaves out is taken from the template, then from the class, then from the schema's
default; :func:`resolve` merges the tables and records each uncertain input's source:
``file``, ``template:FILE``, ``class:NAME`` or ``default``.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError

#: Package folder of the fitted reference classes (data files written by ``classes fit``).
CLASSES_DIR = Path(__file__).resolve().parents[1] / "classes"
#: Folder of the shipped templates.
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "scenarios"
#: Top-level keys that name where inputs are inherited from (not inherited themselves).
_INHERIT_KEYS = ("reference_class", "template")


def class_names() -> list[str]:
    """The reference classes shipped with the package."""
    return sorted(p.stem for p in CLASSES_DIR.glob("*.toml"))


def _read(path: Path, what: str, source: str | None) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ScenarioError([f"{what}: cannot read {path}"], source) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{what}: {path} is not valid TOML: {exc}"], source) from None


def load_class(name: str, source: str | None = None) -> dict[str, Any]:
    """A reference class file as plain data: ``[class]`` (title, cases, method),
    ``[values]`` (a scenario fragment) and ``[notes]`` (a note per input)."""
    names = class_names()
    if not isinstance(name, str) or name not in names:
        raise ScenarioError([f"reference_class: {name!r} is not a reference class (allowed: "
                             f"{', '.join(names)})"], source)
    return _read(CLASSES_DIR / f"{name}.toml", "reference_class", source)


def flat_keys(data: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf of ``data`` (a distribution table is one leaf)."""
    out: set[str] = set()
    if isinstance(data, dict) and "dist" not in data:
        for k, v in data.items():
            out |= flat_keys(v, f"{prefix}{k}.")
    else:
        out.add(prefix[:-1])
    return out


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: tables merged key by key, anything else (lists of cohorts,
    gates, correlations; distribution tables) taken whole from ``top``."""
    out = copy.deepcopy(base)
    for k, v in top.items():
        if (isinstance(v, dict) and "dist" not in v and isinstance(out.get(k), dict)
                and "dist" not in out[k]):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _template_path(name: str, source: str | None) -> Path:
    p = Path(name)
    if p.suffix == ".toml":
        if not p.is_absolute() and source:
            p = Path(source).parent / p
        return p
    return TEMPLATES_DIR / f"{name}.toml"


def resolve(data: dict[str, Any], source: str | None = None, _depth: int = 0
            ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(merged data, source per leaf path, note per inherited leaf) of a scenario's data."""
    if not isinstance(data, dict):
        return data, {}, {}
    if _depth > 4:
        raise ScenarioError(["template: templates nest more than 4 deep"], source)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    notes: dict[str, str] = {}
    cls = data.get("reference_class")
    default_tier = None
    if cls is not None:
        c = load_class(cls, source)
        values = c.get("values", {})
        merged = merge(merged, values)
        cases = c.get("class", {}).get("cases", [])
        default_tier = c.get("class", {}).get("default_tier")
        fitted = set(c.get("class", {}).get("fitted", []))
        for k in flat_keys(values):
            sources[k] = f"class:{cls}"
            note = c.get("notes", {}).get(k, "")
            if k in fitted:
                note = (f"fitted on {', '.join(cases) or 'no cases (hyperprior)'} by partial "
                        f"pooling" + (f"; {note}" if note else ""))
            notes[k] = note or f"stated assumption of the class {cls}"
    tpl = data.get("template")
    if tpl is not None:
        if not isinstance(tpl, str):
            raise ScenarioError([f"template: {tpl!r} is not a file name"], source)
        path = _template_path(tpl, source)
        tdata = _read(path, "template", source)
        tmerged, tsources, tnotes = resolve(tdata, str(path), _depth + 1)
        merged = merge(merged, {k: v for k, v in tmerged.items() if k not in _INHERIT_KEYS})
        for k, s in tsources.items():
            sources[k] = f"template:{path.name}" if s == "file" else s
            notes[k] = tnotes.get(k, "") if s != "file" else f"from the template {path.name}"
        default_tier = default_tier or _first_tier(tmerged)
    merged = merge(merged, data)
    for k in flat_keys(data):
        sources[k] = "file"
        notes.pop(k, None)
    cohorts = merged.get("adoption", {}).get("cohorts") if isinstance(
        merged.get("adoption"), dict) else None
    if default_tier and isinstance(cohorts, list):
        for c in cohorts:
            if isinstance(c, dict) and "tier" not in c:
                c["tier"] = default_tier
    return merged, sources, notes


def _first_tier(data: dict[str, Any]) -> str | None:
    cohorts = data.get("adoption", {}).get("cohorts") or []
    return cohorts[0].get("tier") if cohorts and isinstance(cohorts[0], dict) else None
