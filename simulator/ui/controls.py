"""From a scenario to the app's input controls, and from edited controls back to a scenario.

Everything here is plain Python (no Streamlit), so the widget -> scenario logic is unit-tested
without a browser. Units, ranges and help texts are read from the pydantic fields of
:mod:`simulator.scenario` (``Field(description=..., json_schema_extra={"unit": ...})``), so the
app never repeats them.

An uncertain input is shown as three numbers, low / likely / high (``Dist.describe()``). An
input the user leaves alone keeps its original distribution; an edited one becomes
``PERT(min=low, mode=likely, max=high)`` (keeping the original PERT shape lambda), or a fixed
number when all three are equal.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..labels import field_name, info_meta
from ..scenario import LEVERS, Scenario, ScenarioError, Section, as_dist
from .plain import md_escape

#: Display names of the four levers, in the scenario's order.
LEVER_LABELS = {
    "variability_testing": "Variability testing",
    "load_testing": "Load testing",
    "change_plan": "Change plan",
    "feedback_loop": "Feedback loop",
}


@dataclass(frozen=True)
class UncertainControl:
    """One uncertain input as the app shows it: low / likely / high with unit and help."""

    path: str
    label: str
    unit: str
    help: str
    low: float
    likely: float
    high: float
    lo: float  # physical bounds of the field (widget min / max)
    hi: float
    step: float
    fmt: str
    kind: str  # the file's distribution family (fixed, pert, normal, ...)
    lam: float | None = None  # PERT shape of the original, kept on edit

    @property
    def value(self) -> tuple[float, float, float]:
        return (self.low, self.likely, self.high)


@dataclass(frozen=True)
class PlainControl:
    """A fixed setting: a whole number, a share, a choice among names, or an on/off switch."""

    path: str
    label: str
    unit: str
    help: str
    value: Any
    kind: str  # "int" | "float" | "choice" | "bool"
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    scale: float = 1.0  # the widget shows value * scale (e.g. a share as a percentage)

    @property
    def shown(self) -> Any:
        return self.value * self.scale if self.scale != 1.0 else self.value


Control = UncertainControl | PlainControl


@dataclass
class ControlGroup:
    """A titled group of controls (one expander), split into optional sub-headings."""

    title: str
    caption: str
    parts: list[tuple[str | None, list[Control]]] = field(default_factory=list)

    def controls(self) -> list[Control]:
        return [c for _, items in self.parts for c in items]


# --------------------------------------------------------------------------- field metadata


def humanize(name: str) -> str:
    """Label for a field name: ``minutes_saved_per_task`` -> ``Minutes saved per task``
    (the one table of readable names, :data:`simulator.labels.NAMES`)."""
    return field_name(name)


def _unit(raw: str, currency: str) -> str:
    return re.sub(r"\bcurrency\b", currency, raw or "")


def _field_meta(section: Section, name: str, currency: str) -> tuple[str, str, float, float]:
    """(unit, help, lo, hi) of one field, read from its pydantic declaration."""
    m = info_meta(type(section).model_fields[name], name)
    return _unit(m.unit, currency), m.description, m.lo, m.hi


def _step_and_format(values: tuple[float, ...], lo: float, hi: float) -> tuple[float, str]:
    """A step one tenth of the inputs' order of magnitude, and a format that shows it."""
    m = max(abs(v) for v in values)
    if m == 0:
        m = 1.0 if hi > 1 else 0.1
    step = 10.0 ** (math.floor(math.log10(m)) - 1)
    if hi <= 1.0:  # shares and probabilities: never coarser than 0.01
        step = min(step, 0.01)
    decimals = min(6, max(0, -math.floor(math.log10(step))))
    if step >= 1:
        step = float(round(step))
    return step, f"%.{decimals}f"


def _uncertain(section: Section, prefix: str, currency: str) -> list[UncertainControl]:
    out = []
    for name, value, lo, hi in section.uncertain_items():
        d = as_dist(value, lo, hi)
        low, likely, high = (float(v) for v in d.describe())
        unit, doc, _, _ = _field_meta(section, name, currency)
        step, fmt = _step_and_format((low, likely, high), lo, hi)
        help_text = doc
        if d.kind not in ("fixed", "pert"):
            help_text += (f" The file gives a {d.kind} distribution (low/high shown are its "
                          f"{'min/max' if d.kind in ('uniform', 'triangular') else 'P10/P90'});"
                          f" editing it turns it into PERT(low, likely, high).")
        out.append(UncertainControl(
            path=prefix + name, label=humanize(name), unit=unit, help=help_text, low=low,
            likely=likely, high=high, lo=float(lo), hi=float(hi), step=step, fmt=fmt,
            kind=d.kind, lam=float(d.params[3]) if d.kind == "pert" else None))
    return out


def _plain(section: Section, prefix: str, name: str, currency: str, kind: str,
           options: tuple[str, ...] = (), label: str | None = None) -> PlainControl:
    unit, doc, lo, hi = _field_meta(section, name, currency)
    return PlainControl(path=prefix + name, label=label or humanize(name), unit=unit, help=doc,
                        value=getattr(section, name), kind=kind,
                        lo=None if math.isinf(lo) else lo, hi=None if math.isinf(hi) else hi,
                        options=options)


# --------------------------------------------------------------------------- groups

_MEMO: OrderedDict[tuple[str, int], tuple[Scenario, Any]] = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 64


def _memo(name: str, sc: Scenario, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per scenario object: one app rerun asks for the same scenario's
    controls and token several times. Keyed by identity (the entry holds the scenario, so
    its id is not reused while cached); callers must not change what they get."""
    key = (name, id(sc))
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None and hit[0] is sc:
            _MEMO.move_to_end(key)
            return hit[1]
    value = compute()
    with _MEMO_LOCK:
        _MEMO[key] = (sc, value)
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return value


def control_groups(sc: Scenario) -> list[ControlGroup]:
    """Every editable assumption of ``sc``, grouped as the app shows them.

    Covers every uncertain input of ``sc.inputs()`` (checked by the tests) plus the fixed
    settings a user tunes: pilot team size, cohorts (size, start month, tier), the change
    plan's tier and the retraining cadence. Horizon, discount rate and the lever switches are
    in :func:`settings_controls` and :func:`lever_switches` (the sidebar).
    """
    return [ControlGroup(g.title, g.caption, [(h, list(items)) for h, items in g.parts])
            for g in _memo("groups", sc, lambda: _control_groups(sc))]


def _control_groups(sc: Scenario) -> list[ControlGroup]:
    cur = sc.scenario.currency
    tiers = tuple(sc.adoption.tiers)

    def doc(section: Section) -> str:
        return (type(section).__doc__ or "").strip()

    groups = [
        ControlGroup("Pilot", doc(sc.pilot), [(None, [
            _plain(sc.pilot, "pilot.", "users", cur, "int"),
            _plain(sc.pilot, "pilot.", "months", cur, "int"),
            *_uncertain(sc.pilot, "pilot.", cur)])]),
        ControlGroup("Production data", doc(sc.data),
                     [(None, _uncertain(sc.data, "data.", cur))]),
        ControlGroup("Improvement (learning curve)", doc(sc.improvement),
                     [(None, _uncertain(sc.improvement, "improvement.", cur))]),
        ControlGroup("Integration under load", doc(sc.integration),
                     [(None, _uncertain(sc.integration, "integration.", cur))]),
        ControlGroup("Adoption: churn and trust", doc(sc.adoption),
                     [(None, _uncertain(sc.adoption, "adoption.", cur))]),
    ]
    tier_parts: list[tuple[str | None, list[Control]]] = []
    for tname, tier in sc.adoption.tiers.items():
        shown = str(tname).replace("`", "'")  # a code span: nothing inside renders
        head = f"Tier `{shown}`" + (f": {md_escape(tier.description)}" if tier.description
                                    else "")
        tier_parts.append((head, _uncertain(tier, f"adoption.tiers.{tname}.", cur)))
    groups.append(ControlGroup("Adoption: onboarding tiers", doc(next(iter(
        sc.adoption.tiers.values()))) if tiers else "", tier_parts))
    cohort_parts: list[tuple[str | None, list[Control]]] = []
    for i, c in enumerate(sc.adoption.cohorts):
        p = f"adoption.cohorts[{i}]."
        cohort_parts.append((f"Cohort {i + 1}: {md_escape(c.name)}", [
            _plain(c, p, "size", cur, "int"),
            _plain(c, p, "start_month", cur, "int"),
            _plain(c, p, "tier", cur, "choice", options=tiers, label="Onboarding tier")]))
    groups.append(ControlGroup(
        "Adoption: cohorts",
        "Rollout waves after the pilot team (the pilot team is cohort 0, all active at "
        "month 0).", cohort_parts))
    groups.append(ControlGroup("Economics", doc(sc.economics),
                               [(None, _uncertain(sc.economics, "economics.", cur))]))
    groups.append(ControlGroup("Usage intensity (weekly and daily active)", doc(sc.usage),
                               [(None, _uncertain(sc.usage, "usage.", cur))]))
    lever_parts: list[tuple[str | None, list[Control]]] = []
    for lever in LEVERS:
        sec = getattr(sc.levers, lever)
        items: list[Control] = []
        if lever == "change_plan":
            items.append(_plain(sec, "levers.change_plan.", "tier", cur, "choice",
                                options=tiers, label="Tier every cohort gets"))
        if lever == "feedback_loop":
            items.append(_plain(sec, "levers.feedback_loop.", "retrain_every_months", cur,
                                "int"))
        items.extend(_uncertain(sec, f"levers.{lever}.", cur))
        lever_parts.append((f"{LEVER_LABELS[lever]}: {_lever_doc(sec)}", items))
    groups.append(ControlGroup(
        "Levers (parameters)", "What each lever does and costs; switch them on and off in the "
        "sidebar.", lever_parts))
    return groups


def settings_controls(sc: Scenario) -> list[PlainControl]:
    """Horizon and discount rate (sidebar sliders; the rate is shown in percent)."""
    cur = sc.scenario.currency
    rate = _plain(sc.scenario, "scenario.", "discount_rate_annual", cur, "float")
    rate = PlainControl(path=rate.path, label=rate.label, unit="% per year", help=rate.help,
                        value=rate.value, kind="float", lo=0.0, hi=100.0, scale=100.0)
    return [_plain(sc.scenario, "scenario.", "horizon_months", cur, "int"), rate]


def lever_switches(sc: Scenario) -> list[PlainControl]:
    """The four lever on/off switches, in the scenario's lever order."""
    cur = sc.scenario.currency
    out = []
    for lever in LEVERS:
        sec = getattr(sc.levers, lever)
        c = _plain(sec, f"levers.{lever}.", "enabled", cur, "bool", label=LEVER_LABELS[lever])
        out.append(PlainControl(path=c.path, label=c.label, unit="", kind="bool",
                                value=c.value, help=f"Lever on or off: {_lever_doc(sec)}"))
    return out


def _lever_doc(section: Section) -> str:
    return (type(section).__doc__ or "").strip().removeprefix("Lever: ")


def all_controls(sc: Scenario) -> list[Control]:
    """Every control of the app for ``sc``: groups, then settings, then lever switches."""
    return ([c for g in control_groups(sc) for c in g.controls()] + settings_controls(sc)
            + lever_switches(sc))


# --------------------------------------------------------------------------- keys


def scenario_token(sc: Scenario) -> str:
    """Short content hash of a scenario: widget keys carry it, so loading another scenario
    starts its widgets from that scenario's values instead of the last one's."""
    return _memo("token", sc, lambda: hashlib.sha1(sc.to_toml().encode()).hexdigest()[:10])


def widget_key(token: str, path: str, part: str = "") -> str:
    """Session-state key of the widget showing ``path`` (``part``: low / likely / high)."""
    return f"in|{token}|{path}" + (f"|{part}" if part else "")


PARTS = ("low", "likely", "high")


def default_state(sc: Scenario, token: str | None = None) -> dict[str, Any]:
    """Session-state values every widget starts from (the scenario file's own values)."""
    token = token or scenario_token(sc)
    out: dict[str, Any] = {}
    for c in all_controls(sc):
        if isinstance(c, UncertainControl):
            for part, v in zip(PARTS, c.value, strict=True):
                out[widget_key(token, c.path, part)] = v
        else:
            out[widget_key(token, c.path)] = c.shown
    return out


def values_from_state(sc: Scenario, state: Any, token: str | None = None) -> dict[str, Any]:
    """Read the widgets' current values for ``sc`` from a session-state mapping.

    Uncertain inputs come back as (low, likely, high); a key missing from ``state`` reads as
    the file's value.
    """
    token = token or scenario_token(sc)
    out: dict[str, Any] = {}
    for c in all_controls(sc):
        if isinstance(c, UncertainControl):
            out[c.path] = tuple(state.get(widget_key(token, c.path, part), v)
                                for part, v in zip(PARTS, c.value, strict=True))
        else:
            key = widget_key(token, c.path)
            if key not in state:
                out[c.path] = c.value
            else:
                out[c.path] = state[key] / c.scale if c.scale != 1.0 else state[key]
    return out


# --------------------------------------------------------------------------- edits -> scenario


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-15)
    return a == b


def _fmt(v: float) -> str:
    return f"{v:g}"


def changes_from_values(sc: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """The ``with_values`` changes that turn ``sc`` into the edited scenario.

    Only edited inputs appear. An edited uncertain input becomes a PERT table (a fixed
    number if low = likely = high). Raises :class:`ScenarioError` with one line per input
    whose low / likely / high are out of order, naming the input, its path and the values.
    """
    controls = {c.path: c for c in all_controls(sc)}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for path, value in values.items():
        c = controls.get(path)
        if c is None:
            problems.append(f"{path}: not an editable input")
            continue
        if isinstance(c, UncertainControl):
            low, likely, high = (float(v) for v in value)
            if all(_same(a, b) for a, b in zip((low, likely, high), c.value, strict=True)):
                continue
            if not low <= likely <= high:
                problems.append(
                    f"{c.label} ({path}): needs low <= likely <= high, got {_fmt(low)}, "
                    f"{_fmt(likely)}, {_fmt(high)}")
                continue
            if low == high:
                changes[path] = low
            else:
                spec: dict[str, Any] = {"dist": "pert", "min": low, "mode": likely,
                                        "max": high}
                if c.lam is not None and c.lam != 4.0:
                    spec["lambda"] = c.lam
                changes[path] = spec
        else:
            if _same(value, c.value):
                continue
            if c.kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    problems.append(f"{c.label} ({path}): {_fmt(value)} is not a whole number")
                    continue
                value = int(value)
            elif c.kind == "float":
                value = float(value)
            elif c.kind == "bool":
                value = bool(value)
            changes[path] = value
    if problems:
        raise ScenarioError(problems)
    return changes


def scenario_from_values(sc: Scenario, values: dict[str, Any]) -> Scenario:
    """``sc`` with the edited values applied and re-validated (``sc`` itself if unchanged).

    Raises :class:`ScenarioError` (``.problems``: one line per problem) for an invalid
    combination, e.g. low above high or a cohort starting after the horizon.
    """
    changes = changes_from_values(sc, values)
    return sc.with_values(changes) if changes else sc


__all__ = [
    "LEVER_LABELS", "PARTS", "Control", "ControlGroup", "PlainControl", "UncertainControl",
    "all_controls", "changes_from_values", "control_groups", "default_state", "humanize",
    "lever_switches", "scenario_from_values", "scenario_token",
    "settings_controls", "values_from_state", "widget_key",
]
