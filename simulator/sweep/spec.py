"""Sweep definitions: which inputs vary over which values, what to collect, and checks.

A sweep runs one scenario many times with some inputs set to chosen values (a *point*
per combination) and collects headline metrics per point. Every point uses the same
seed, so all points run on common random numbers: an input changed between points
leaves every other input's random numbers unchanged, and differences between points
are the effect of the change, not Monte Carlo noise.

An input is a dotted scenario path (as :meth:`Scenario.with_values` accepts) with

* a list of values (``"a,b,c"`` on the command line, a TOML array),
* a linear or log range ``lin:start:stop:num`` / ``log:start:stop:num``, or
* an interval ``range:lo:hi`` sampled by a Latin hypercube design (``design = "lhs"``).

:meth:`Sweep.plan` checks everything before anything runs (unknown path, empty range,
a value outside the input's allowed range, every point's scenario) and raises
:class:`~simulator.scenario.ScenarioError` with one line per problem.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..budget import check_run_budget
from ..labels import field_meta
from ..scenario import (
    Scenario,
    ScenarioError,
    get_path,
    load_scenario,
    parse_scenario,
    read_toml,
)

#: Numeric keys of ``SimulationResult.summary`` a sweep can collect per point.
SUMMARY_METRICS: tuple[str, ...] = (
    "prob_npv_positive", "prob_npv_positive_se", "npv_mean", "npv_sd", "npv_mean_se",
    *(f"npv_p{p}{se}" for p in (5, 10, 25, 50, 75, 90, 95) for se in ("", "_se")),
    "roi_p10", "roi_p50", "roi_p90", "prob_payback_within_horizon",
    "payback_month_p10", "payback_month_p50", "payback_month_p90", "irr_p50",
    "active_rate_m6_p10", "active_rate_m6_p50", "active_rate_m6_p90",
    "active_rate_final_p10", "active_rate_final_p50", "active_rate_final_p90",
    "launch_accuracy_p50", "accuracy_m6_p50", "accuracy_final_p50",
    "pilot_users_lapsed_m6_p50", "pilot_lens_npv", "pilot_lens_npv_se", "expectation_gap",
    "prob_npv_ge_pilot_lens",
)
#: Metrics that need the pilot-lens run (the rest skip it: a sweep point is ~40 % faster).
LENS_METRICS = frozenset({"pilot_lens_npv", "pilot_lens_npv_se", "expectation_gap",
                          "prob_npv_ge_pilot_lens"})
DEFAULT_METRICS: tuple[str, ...] = ("npv_p10", "npv_p50", "npv_p90", "npv_mean",
                                    "prob_npv_positive")
DESIGNS = ("grid", "lhs")
#: Most points a sweep may have: each point is a full run (and a validated scenario kept
#: in memory); past this a sweep is hours of work and gigabytes before its first point.
MAX_SWEEP_POINTS = 10_000
#: Column holding the point index in every sweep table.
POINT = "point"

Kind = Literal["values", "lin", "log", "range"]


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"
    return repr(x) if isinstance(x, str) else str(x)


def _parse_scalar(text: str) -> Any:
    """A TOML scalar (number, bool, quoted string); a bare word stays a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _number(path: str, what: str, text: Any) -> float:
    v = _parse_scalar(text) if isinstance(text, str) else text
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ScenarioError([f"{path}: {what} {text!r} is not a finite number"], "sweep")
    return float(v)


@dataclass(frozen=True)
class Axis:
    """One varied input: its dotted path and how its values are chosen.

    ``kind`` is ``values`` (``values`` holds them), ``lin``/``log`` (``num`` values from
    ``start`` to ``stop`` inclusive, evenly or geometrically spaced) or ``range``
    (the interval [``start``, ``stop``], sampled by the Latin hypercube design).
    """

    path: str
    kind: Kind
    values: tuple[Any, ...] = ()
    start: float = math.nan
    stop: float = math.nan
    num: int = 0

    # ------------------------------------------------------------- constructors

    @classmethod
    def parse(cls, path: str, text: str) -> Axis:
        """Parse the command-line form: ``a,b,c``, ``lin:0:1:5``, ``log:1:100:3``,
        ``range:0:1``."""
        path, text = path.strip(), text.strip()
        head, _, rest = text.partition(":")
        head = head.strip().lower()
        if head in ("lin", "log"):
            parts = rest.split(":")
            if len(parts) != 3:
                raise ScenarioError([f"{path}: {text!r} should be {head}:start:stop:num"],
                                    "sweep")
            return cls.span(path, head, parts[0], parts[1], parts[2])
        if head == "range":
            parts = rest.split(":")
            if len(parts) != 2:
                raise ScenarioError([f"{path}: {text!r} should be range:lo:hi"], "sweep")
            return cls.interval(path, parts[0], parts[1])
        items = [t.strip() for t in text.split(",")]
        if not text or any(not t for t in items):
            raise ScenarioError([f"{path}: empty value in {text!r} (give a,b,c or "
                                 f"lin:start:stop:num, log:start:stop:num, range:lo:hi)"],
                                "sweep")
        return cls(path, "values", tuple(_parse_scalar(t) for t in items))

    @classmethod
    def span(cls, path: str, kind: str, start: Any, stop: Any, num: Any) -> Axis:
        """A ``lin`` or ``log`` range of ``num`` values from ``start`` to ``stop``."""
        n = _parse_scalar(num) if isinstance(num, str) else num
        if isinstance(n, bool) or not isinstance(n, int):
            raise ScenarioError([f"{path}: number of values {num!r} is not a whole number"],
                                "sweep")
        a, b = _number(path, "start", start), _number(path, "stop", stop)
        if n < 1:
            raise ScenarioError([f"{path}: empty range ({kind}:{_fmt(a)}:{_fmt(b)}:{n} has "
                                 f"no values; num must be at least 1)"], "sweep")
        if kind == "log" and (a <= 0 or b <= 0):
            raise ScenarioError([f"{path}: log range needs start and stop above 0, got "
                                 f"{_fmt(a)} and {_fmt(b)}"], "sweep")
        return cls(path, kind, start=a, stop=b, num=n)  # type: ignore[arg-type]

    @classmethod
    def interval(cls, path: str, lo: Any, hi: Any) -> Axis:
        """The interval [lo, hi], sampled by the Latin hypercube design."""
        a, b = _number(path, "lo", lo), _number(path, "hi", hi)
        if not a < b:
            raise ScenarioError([f"{path}: empty range (range:{_fmt(a)}:{_fmt(b)} needs lo "
                                 f"below hi)"], "sweep")
        return cls(path, "range", start=a, stop=b)

    @classmethod
    def from_value(cls, path: str, spec: Any) -> Axis:
        """Build from a TOML / Python value: a list, a CLI-style string, an :class:`Axis`,
        or a table with one of ``values``, ``lin = [start, stop, num]``,
        ``log = [start, stop, num]``, ``range = [lo, hi]``."""
        if isinstance(spec, Axis):
            return spec if spec.path == path else cls(path, spec.kind, spec.values,
                                                       spec.start, spec.stop, spec.num)
        if isinstance(spec, str):
            return cls.parse(path, spec)
        if isinstance(spec, list | tuple | np.ndarray):
            vals = list(spec)
            if not vals:
                raise ScenarioError([f"{path}: empty list of values"], "sweep")
            return cls(path, "values", tuple(v.item() if hasattr(v, "item") else v
                                             for v in vals))
        if isinstance(spec, dict):
            keys = set(spec) & {"values", "lin", "log", "range"}
            extra = set(spec) - {"values", "lin", "log", "range"}
            if len(keys) != 1 or extra:
                raise ScenarioError([f"{path}: give exactly one of values = [...], "
                                     f"lin = [start, stop, num], log = [start, stop, num], "
                                     f"range = [lo, hi] (got keys {sorted(spec)})"], "sweep")
            (key,) = keys
            arg = spec[key]
            if key == "values":
                return cls.from_value(path, list(arg) if isinstance(arg, list | tuple) else
                                      [arg])
            want = 2 if key == "range" else 3
            if not isinstance(arg, list | tuple) or len(arg) != want:
                form = "[lo, hi]" if key == "range" else "[start, stop, num]"
                raise ScenarioError([f"{path}: {key} should be {form}, got {arg!r}"],
                                    "sweep")
            return cls.interval(path, *arg) if key == "range" else cls.span(path, key, *arg)
        raise ScenarioError([f"{path}: cannot read {spec!r} as sweep values"], "sweep")

    # ------------------------------------------------------------- values

    def levels(self, integer: bool = False) -> list[Any]:
        """The grid values of a ``values``/``lin``/``log`` axis (rounded, deduplicated
        for an integer field)."""
        if self.kind == "values":
            return list(self.values)
        if self.kind == "range":
            raise ScenarioError([f"{self.path}: range:{_fmt(self.start)}:{_fmt(self.stop)} is "
                                 f"sampled, so it needs design = \"lhs\" (--design lhs); use "
                                 f"lin:start:stop:num for a grid"], "sweep")
        if self.kind == "lin":
            xs = np.linspace(self.start, self.stop, self.num)
        else:
            xs = np.geomspace(self.start, self.stop, self.num)
        if integer:
            return list(dict.fromkeys(int(round(x)) for x in xs))
        return [float(x) for x in xs]

    def describe(self) -> str:
        """The command-line form of this axis."""
        if self.kind == "values":
            return ",".join(_fmt(v) for v in self.values)
        if self.kind == "range":
            return f"range:{_fmt(self.start)}:{_fmt(self.stop)}"
        return f"{self.kind}:{_fmt(self.start)}:{_fmt(self.stop)}:{self.num}"


# --------------------------------------------------------------------------- field ranges


def allowed_range(path: str) -> tuple[float, float] | None:
    """The physical range [lo, hi] the scenario format allows at ``path`` (None if the
    field is not numeric or declares none). A distribution parameter
    (``economics.hourly_cost.mode``) gets its input's range."""
    try:
        meta = field_meta(path)
    except KeyError:
        return None
    return (meta.lo, meta.hi) if meta.has_range else None


def _range_text(path: str) -> str:
    r = allowed_range(path)
    return "" if r is None else f" (allowed range [{_fmt(r[0])}, {_fmt(r[1])}])"


def _problem_text(exc: ScenarioError) -> str:
    return "; ".join(p.split(": ", 1)[-1] if p.count(":") else p for p in exc.problems)


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class Sweep:
    """A sweep definition: a scenario, the inputs varied, the design and what to collect.

    ``inputs`` maps a dotted path to an :class:`Axis` or anything
    :meth:`Axis.from_value` reads (``[1, 2, 3]``, ``"lin:0.1:0.6:6"``,
    ``{"range": [0.1, 0.6]}``). ``design="grid"`` runs every combination of the listed
    values; ``design="lhs"`` draws ``points`` points by a Latin hypercube over the
    ``range`` inputs. Every point runs ``paths`` paths with the same ``seed``.
    """

    scenario: Scenario
    inputs: dict[str, Any]
    design: str = "grid"
    points: int | None = None
    metrics: tuple[str, ...] = DEFAULT_METRICS
    paths: int = 2_000
    seed: int = 7
    horizon: int | None = None
    axes: tuple[Axis, ...] = field(init=False, repr=False)

    def __post_init__(self):
        axes = tuple(Axis.from_value(p.strip(), v) for p, v in dict(self.inputs).items())
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "metrics", tuple(self.metrics))

    @property
    def needs_pilot_lens(self) -> bool:
        return any(m in LENS_METRICS for m in self.metrics)

    # ------------------------------------------------------------- checks

    def _check_settings(self) -> list[str]:
        out: list[str] = []
        if self.design not in DESIGNS:
            out.append(f"design: {self.design!r} is not a design (allowed: grid, lhs)")
        for name, v, lo, hi in (("paths", self.paths, 1, None), ("seed", self.seed, 0,
                                                                 2**63 - 1),
                                ("horizon", self.horizon, 1, 120)):
            if v is None and name == "horizon":
                continue
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                out.append(f"{name}: {v!r} is not a whole number")
            elif v < lo or (hi is not None and v > hi):
                out.append(f"{name}: {v} is outside the allowed range [{lo}, "
                           f"{hi if hi is not None else 'inf'}]")
        if self.design == "lhs":
            p = self.points
            if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
                out.append(f"points: {p!r}: the lhs design needs a number of points >= 1")
        elif self.points is not None:
            out.append("points: only the lhs design takes a number of points (a grid has "
                       "one point per combination of values)")
        if not self.metrics:
            out.append("metrics: give at least one metric")
        for m in self.metrics:
            if not isinstance(m, str):
                out.append(f"metrics: {m!r} is not a metric name")
            elif m not in SUMMARY_METRICS:
                near = difflib.get_close_matches(m, SUMMARY_METRICS, n=3)
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                out.append(f"metrics: {m!r} is not a summary metric{hint}")
        if not self.axes:
            out.append("inputs: a sweep needs at least one input to vary")
        n = self.count_points()
        if n is not None and n > MAX_SWEEP_POINTS:
            shown = f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"
            out.append(f"points: {shown} points (allowed range 1 to {MAX_SWEEP_POINTS:,}; "
                       f"use fewer values per input, or design = \"lhs\" with fewer points)")
        return out

    def count_points(self) -> int | None:
        """Points the design will have, counted without building them (None when the
        settings do not say yet)."""
        if self.design == "lhs":
            p = self.points
            return int(p) if isinstance(p, int | np.integer) and not isinstance(p, bool) \
                else None
        n = 1
        for a in self.axes:
            if a.kind == "range":
                return None  # reported by levels(): a grid cannot take a range
            n *= len(a.values) if a.kind == "values" else int(a.num)
        return n

    def _check_axis(self, base: dict, axis: Axis) -> tuple[list[str], bool]:
        """Problems with an axis's path; and whether the field holds whole numbers."""
        try:
            current = get_path(base, axis.path)
        except ScenarioError:
            near = difflib.get_close_matches(axis.path, self.scenario.input_paths(), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            return [f"{axis.path}: no such input in the scenario{hint}"], False
        if isinstance(current, dict) and "dist" not in current:
            return [f"{axis.path}: is a table, not a value (name one of its fields)"], False
        if isinstance(current, list):
            return [f"{axis.path}: is a list, not a value (name an element, e.g. "
                    f"{axis.path}[0].size)"], False
        if self.design == "lhs" and axis.kind != "range":
            return [f"{axis.path}: the lhs design samples intervals; give range:lo:hi "
                    f"(got {axis.describe()})"], False
        return [], isinstance(current, int) and not isinstance(current, bool)

    def _check_value(self, axis: Axis, value: Any) -> str | None:
        try:
            self.scenario.with_values({axis.path: value})
        except ScenarioError as exc:
            text = _problem_text(exc)
            rng = "" if "allowed range" in text else _range_text(axis.path)
            return f"{axis.path} = {_fmt(value)}: {text}{rng}"
        return None

    # ------------------------------------------------------------- design

    def _design(self, integer: dict[str, bool]) -> pd.DataFrame:
        names = [a.path for a in self.axes]
        if self.design == "grid":
            levels = [a.levels(integer[a.path]) for a in self.axes]
            rows = list(itertools.product(*levels))
            table = pd.DataFrame(rows, columns=names)
        else:
            rng = np.random.default_rng([0x5EE9, int(self.seed)])
            u = qmc.LatinHypercube(d=len(self.axes), rng=rng).random(int(self.points))
            cols = {}
            for j, a in enumerate(self.axes):
                x = a.start + u[:, j] * (a.stop - a.start)
                cols[a.path] = np.round(x).astype(np.int64) if integer[a.path] else x
            table = pd.DataFrame(cols, columns=names)
        table.insert(0, POINT, np.arange(len(table), dtype=np.int64))
        return table

    def plan(self) -> SweepPlan:
        """Check the whole sweep and build its points; raise :class:`ScenarioError` (one
        line per problem, naming the path, value and allowed range) before anything runs.
        """
        problems = self._check_settings()
        seen: set[str] = set()
        for a in self.axes:
            if a.path in seen:
                problems.append(f"{a.path}: varied twice")
            seen.add(a.path)
        base = self.scenario.to_dict()
        integer: dict[str, bool] = {}
        for a in self.axes:
            p, integer[a.path] = self._check_axis(base, a)
            problems += p
        if problems:
            raise ScenarioError(problems, "sweep")
        # One point's run must fit the memory budget (points run one at a time per worker).
        check_run_budget(self.scenario, int(self.paths), self.horizon, bands=False,
                         pilot_lens=self.needs_pilot_lens)
        for a in self.axes:  # each value alone against the base scenario
            if a.kind == "range":
                cands = [a.start, a.stop]
                if integer[a.path]:
                    cands = [int(round(a.start)), int(round(a.stop))]
            else:
                cands = a.levels(integer[a.path])
            for v in cands:
                msg = self._check_value(a, v)
                if msg:
                    problems.append(msg)
                    break
        if problems:
            raise ScenarioError(problems, "sweep")
        table = self._design(integer)
        changes = [{k: _native(v) for k, v in row.items() if k != POINT}
                   for row in table.to_dict("records")]
        scenarios: list[Scenario] = []
        for i, ch in enumerate(changes):  # every combination (cross-field checks)
            try:
                scenarios.append(self.scenario.with_values(ch))
            except ScenarioError as exc:
                desc = ", ".join(f"{k} = {_fmt(v)}" for k, v in ch.items())
                raise ScenarioError([f"point {i} ({desc}): {_problem_text(exc)}"],
                                    "sweep") from None
        return SweepPlan(self, table, changes, scenarios)


def _native(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: its points (``table``: point, then one column per input), the
    changes each point applies, and each point's validated scenario."""

    sweep: Sweep
    table: pd.DataFrame
    changes: list[dict[str, Any]]
    scenarios: list[Scenario]

    @property
    def n_points(self) -> int:
        return len(self.changes)

    @property
    def input_names(self) -> list[str]:
        return [a.path for a in self.sweep.axes]

    def fingerprint(self) -> str:
        """A hash of everything that determines the results (to match partial results
        of an interrupted run with the sweep that resumes them)."""
        sw = self.sweep
        blob = json.dumps({
            "scenario": sw.scenario.to_dict(), "changes": self.changes, "paths": sw.paths,
            "seed": sw.seed, "horizon": sw.horizon, "metrics": list(sw.metrics),
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------- files


def sweep_from_toml(data: dict[str, Any], base_dir: Path | None = None,
                    source: str | None = None) -> Sweep:
    """Read a sweep from parsed TOML: a ``[sweep]`` table with either
    ``scenario = "file.toml"`` (relative to the sweep file) or the scenario's own tables
    beside it in the same file."""
    data = dict(data)
    table = data.pop("sweep", None)
    if not isinstance(table, dict):
        raise ScenarioError(["no [sweep] table"], source)
    table = dict(table)
    ref = table.pop("scenario", None)
    if ref is not None:
        if data:
            raise ScenarioError([f"[sweep].scenario names a file, so the other tables "
                                 f"({', '.join(sorted(data))}) would be ignored; keep one"],
                                source)
        p = Path(ref)
        sc = load_scenario(p if p.is_absolute() or base_dir is None else base_dir / p)
    else:
        sc = parse_scenario(data, source)
    inputs = table.pop("inputs", {})
    if not isinstance(inputs, dict):
        raise ScenarioError(["[sweep.inputs] should be a table of path = values"], source)
    kw: dict[str, Any] = {}
    for key in ("design", "points", "paths", "seed", "horizon"):
        if key in table:
            kw[key] = table.pop(key)
    if "metrics" in table:
        m = table.pop("metrics")
        kw["metrics"] = tuple(m) if isinstance(m, list) else (m,)
    if table:
        raise ScenarioError([f"[sweep].{k}: unknown key (allowed: scenario, inputs, design, "
                             f"points, metrics, paths, seed, horizon)" for k in sorted(table)],
                            source)
    return Sweep(sc, inputs, **kw)


def load_sweep(path: str | Path) -> Sweep:
    """Load a sweep TOML file (see :func:`sweep_from_toml`)."""
    p = Path(path)
    return sweep_from_toml(read_toml(p), p.parent, str(p))


__all__ = ["DEFAULT_METRICS", "DESIGNS", "LENS_METRICS", "POINT", "SUMMARY_METRICS", "Axis",
           "Sweep", "SweepPlan", "allowed_range", "load_sweep", "sweep_from_toml"]
