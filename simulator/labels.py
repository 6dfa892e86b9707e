"""Human labels, units and format kinds of every scenario input and every result output.

Inputs are read from the schema's field declarations (``description`` and
``json_schema_extra={"unit", "lo", "hi", "uncertain"}`` in :mod:`simulator.scenario`) by one
helper, :func:`field_meta`; outputs (per-path metrics, summary entries, band metrics) are
listed once in :data:`OUTPUTS`. :func:`label` turns any key into what a finance reader
expects (``economics.minutes_saved_per_task`` -> ``Minutes saved per task (minutes)``,
``npv_p10`` -> ``NPV P10``); the raw key stays the identifier everywhere else.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .scenario import Scenario

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class FieldMeta:
    """What the schema declares about one field: unit, meaning, allowed range, kind."""

    path: str
    name: str
    unit: str  # as declared: "currency/hour", "share", "minutes/task", "" for none
    description: str
    lo: float  # -inf when unbounded below
    hi: float  # +inf when unbounded above
    uncertain: bool
    info: FieldInfo

    @property
    def kind(self) -> str:
        """Format kind (see :mod:`simulator.formatting`): money, share, count, number."""
        return unit_kind(self.unit)

    @property
    def has_range(self) -> bool:
        return (self.lo, self.hi) != (-math.inf, math.inf)


def info_meta(info: FieldInfo, name: str, path: str | None = None) -> FieldMeta:
    """The :class:`FieldMeta` of a pydantic ``FieldInfo`` (its extra and ge/gt/le/lt)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    lo, hi = extra.get("lo"), extra.get("hi")
    if not extra.get("uncertain"):
        for m in info.metadata:
            for attr in ("ge", "gt"):
                if getattr(m, attr, None) is not None:
                    lo = getattr(m, attr)
            for attr in ("le", "lt"):
                if getattr(m, attr, None) is not None:
                    hi = getattr(m, attr)
    return FieldMeta(path=path or name, name=name, unit=str(extra.get("unit", "")),
                     description=info.description or "",
                     lo=-math.inf if lo is None else float(lo),
                     hi=math.inf if hi is None else float(hi),
                     uncertain=bool(extra.get("uncertain")), info=info)


def split_path(path: str) -> list[str | int]:
    """``adoption.cohorts[0].size`` -> ``["adoption", "cohorts", 0, "size"]``."""
    return [m.group(1) if m.group(1) is not None else int(m.group(2))
            for m in _TOKEN.finditer(path)]


def field_meta(path: str, root: type[BaseModel] = Scenario) -> FieldMeta:
    """Metadata of the schema field at a dotted ``path`` below ``root``.

    Tier names are dict keys (``adoption.tiers.trained.ceiling``), cohorts list indices
    (``adoption.cohorts[0].size`` or ``adoption.cohorts.0.size``). A path into a
    distribution table (``economics.hourly_cost.mode``) gets its uncertain input's
    metadata. Raises ``KeyError`` naming the path when no such field exists.
    """
    ann: Any = root
    meta: FieldMeta | None = None
    for part in split_path(path):
        origin = typing.get_origin(ann)
        if origin in (list, dict):
            ann = typing.get_args(ann)[-1]
            continue
        if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str):
            info = ann.model_fields.get(part)
            if info is None:
                break
            meta = info_meta(info, part, path)
            if meta.uncertain:
                return meta
            ann = info.annotation
            continue
        break
    else:
        if meta is not None:
            return meta
    raise KeyError(f"{path}: no such field in the scenario format")


# --------------------------------------------------------------------------- units


def unit_kind(unit: str) -> str:
    """Format kind of a schema unit: money, share or number."""
    if unit.startswith("currency"):
        return "money"
    if unit == "share":
        return "share"
    if unit in ("users", "corrections"):
        return "count"
    return "number"


def unit_text(unit: str, currency: str = "USD", name: str = "") -> str:
    """A schema unit as a reader sees it: ``currency/hour`` -> ``USD/hour``, share -> %.

    Trailing ``/x`` parts the label already says (``per task``) are dropped:
    ``Minutes saved per task`` has unit ``minutes``, not ``minutes/task``.
    """
    if unit in ("", "-"):
        return ""
    if unit == "share":
        return "%"
    text = re.sub(r"\bcurrency\b", currency, unit)
    low = name.lower()
    while "/" in text:
        head, tail = text.rsplit("/", 1)
        if f"per {tail.strip()}" in low or f"per {tail.split()[-1]}" in low:
            text = head
        else:
            break
    return text


# --------------------------------------------------------------------------- inputs

#: Field names whose generated label would read badly.
NAMES: dict[str, str] = {
    "accuracy": "Accuracy",
    "incidents_per_month": "Incidents per month",
    "users": "Pilot team size",
    "ood_share": "Out-of-distribution share",
    "ood_accuracy": "Accuracy on out-of-distribution inputs",
    "drift_per_month": "Drift per month",
    "accuracy_ceiling": "Accuracy ceiling",
    "learning_exponent": "Learning-curve exponent b",
    "corrections_scale": "Corrections scale F0",
    "load_exponent": "Load exponent alpha",
    "quality_churn_sensitivity": "Quality churn sensitivity",
    "trust_accuracy": "Trust threshold (accuracy)",
    "platform_monthly": "Platform cost per month",
    "inference_per_task": "Inference cost per task",
    "ceiling": "Adoption ceiling u",
    "innovation_p": "Innovation coefficient p",
    "imitation_q": "Imitation coefficient q",
    "tasks_per_user_month": "Tasks per active user per month",
    "licence_per_seat_month": "Licence per seat per month",
    "support_per_active_user_month": "Support per active user per month",
    "retrain_every_months": "Retrain every",
    "horizon_months": "Horizon",
    "discount_rate_annual": "Discount rate (annual)",
    "base_churn": "Base churn",
    "return_rate": "Return rate",
    "hourly_cost": "Hourly cost",
    "fix_cost_per_incident": "Fix cost per incident",
    "downtime_per_incident": "Downtime per incident",
    "trust_shock_per_incident": "Trust shock per incident",
    "gap_closed": "Share of the data gap closed",
    "exponent_reduction": "Share of the load exponent removed",
}

#: Display names of the four levers, in the scenario's order.
LEVER_NAMES = {"variability_testing": "Variability testing", "load_testing": "Load testing",
               "change_plan": "Change plan", "feedback_loop": "Feedback loop"}


def field_name(name: str) -> str:
    """Readable name of a field: ``minutes_saved_per_task`` -> ``Minutes saved per task``."""
    if name in NAMES:
        return NAMES[name]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _context(parts: list[str | int]) -> str:
    """What a nested field belongs to: a tier, a cohort or a lever."""
    if len(parts) >= 4 and parts[:2] == ["adoption", "tiers"]:
        return f"{str(parts[2]).replace('_', ' ').capitalize()} tier: "
    if len(parts) >= 4 and parts[:2] == ["adoption", "cohorts"]:
        i = parts[2]
        return f"Cohort {int(i) + 1}: " if isinstance(i, int) or str(i).isdigit() else ""
    if len(parts) >= 3 and parts[0] == "levers":
        return f"{LEVER_NAMES.get(str(parts[1]), field_name(str(parts[1])))}: "
    return ""


def input_label(path: str, currency: str = "USD", *, unit: bool = True) -> str:
    """Readable label of a scenario input with its unit.

    ``economics.minutes_saved_per_task`` -> ``Minutes saved per task (minutes)``;
    ``adoption.tiers.trained.ceiling`` -> ``Trained tier: adoption ceiling u (%)``;
    ``levers.change_plan.cost`` -> ``Change plan: cost (USD)``.
    """
    parts = split_path(path)
    meta = field_meta(path)
    name = field_name(meta.name)
    ctx = _context(parts)
    text = ctx + (name[:1].lower() + name[1:] if ctx and not name[:2].isupper() else name)
    u = unit_text(meta.unit, currency, name) if unit else ""
    return f"{text} ({u})" if u else text


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Output:
    """One output: its label and format kind (money, share, count, months, number)."""

    label: str
    kind: str
    help: str = ""


#: Per-path metrics (``res.paths`` columns) and band metrics (``res.bands``).
OUTPUTS: dict[str, Output] = {
    "npv": Output("NPV", "money", "Net present value over the horizon."),
    "pv_benefit": Output("PV of benefit", "money", "Discounted benefit over the horizon."),
    "pv_cost": Output("PV of cost", "money", "Discounted cost over the horizon."),
    "pilot_lens_npv": Output("Pilot-lens NPV", "money",
                             "NPV of the same path seen as the pilot saw it."),
    "roi": Output("ROI", "share", "(PV benefit - PV cost) / PV cost."),
    "irr": Output("IRR (annual)", "share", "Internal rate of return."),
    "payback_month": Output("Payback month", "months",
                            "First month with cumulative net cash >= 0."),
    "launch_accuracy": Output("Launch accuracy", "share", "Accuracy at go-live."),
    "accuracy_m6": Output("Accuracy, month 6", "share", "Accuracy in month 6."),
    "accuracy_final": Output("Accuracy at horizon", "share", "Accuracy in the last month."),
    "active_rate_m6": Output("Active rate, month 6", "share",
                             "Share of registered users active in month 6."),
    "active_rate_final": Output("Active rate at horizon", "share",
                                "Share of registered users active in the last month."),
    "incidents": Output("Incidents", "count", "Integration incidents."),
    "pilot_users_lapsed_m6": Output("Pilot users lapsed by month 6", "count",
                                    "Pilot-team users no longer active in month 6."),
    "active_users": Output("Active users", "count", "Active users in the month."),
    "active_rate": Output("Active-user rate", "share", "Active share of registered users."),
    "accuracy": Output("Accuracy", "share", "Share of correct outputs."),
    "benefit": Output("Monthly benefit", "money", "Benefit in the month."),
    "cost": Output("Monthly cost", "money", "Cost in the month."),
    "net": Output("Monthly net cash", "money", "Benefit minus cost in the month."),
    "cum_net": Output("Cumulative net cash", "money", "Undiscounted, from month 0."),
    "ever_used": Output("Ever used", "share",
                        "Share of registered users who used it at least once."),
    "weekly_active_rate": Output("Weekly active rate", "share",
                                 "Share of registered users active in a typical week."),
    "daily_active_rate": Output("Daily active rate", "share",
                                "Share of registered users active on a typical working day."),
    "ever_used_m6": Output("Ever used, month 6", "share",
                           "Share of registered users who used it by month 6."),
    "weekly_active_rate_m6": Output("Weekly active rate, month 6", "share",
                                    "Share of registered users active in a week of month 6."),
    "daily_active_rate_m6": Output("Daily active rate, month 6", "share",
                                   "Share of registered users active on a day of month 6."),
}

#: Summary entries whose label is not "<output> <statistic>".
SUMMARY: dict[str, Output] = {
    "scenario": Output("Scenario", "text"),
    "currency": Output("Currency", "text"),
    "paths": Output("Monte Carlo paths", "count"),
    "seed": Output("Random seed", "count"),
    "horizon_months": Output("Horizon (months)", "count"),
    "prob_npv_positive": Output("P(NPV > 0)", "share"),
    "prob_payback_within_horizon": Output("P(payback within horizon)", "share"),
    "prob_npv_ge_pilot_lens": Output("P(NPV >= pilot-lens NPV)", "share"),
    "npv_mean": Output("NPV mean", "money"),
    "npv_sd": Output("NPV standard deviation", "money"),
    "pilot_lens_npv": Output("Pilot-lens NPV (signed-off case)", "money"),
    "pilot_lens_paths": Output("Paths the pilot lens ran on", "count"),
    "pilot_lens_method": Output("Pilot-lens median estimated by", "text"),
    "expectation_gap": Output("Expectation gap (pilot lens - NPV P50)", "money"),
    "signed_off_npv": Output("Signed-off case NPV (your figure)", "money"),
    "signed_off_gap": Output("Gap to the signed-off case (signed off - NPV P50)", "money"),
    "prob_npv_ge_signed_off": Output("P(NPV >= signed-off case)", "share"),
}

_STAT = re.compile(r"^(?P<base>.+?)_(?P<stat>p\d{1,2}|mean|sd|median)(?P<se>_se)?$")
_STAT_WORDS = {"mean": "mean", "sd": "standard deviation", "median": "median"}


def _output(key: str) -> Output | None:
    if key in SUMMARY:
        return SUMMARY[key]
    if key in OUTPUTS:
        return OUTPUTS[key]
    if key.endswith("_se"):
        base = _output(key[:-3])
        if base is not None:
            return Output(f"{base.label}, s.e.", base.kind)
    m = _STAT.match(key)
    if m and m.group("base") in OUTPUTS:
        o = OUTPUTS[m.group("base")]
        stat = m.group("stat")
        word = stat.upper() if stat.startswith("p") else _STAT_WORDS[stat]
        return Output(f"{o.label} {word}" + (", s.e." if m.group("se") else ""), o.kind)
    return None


def is_output(key: str) -> bool:
    """True when ``key`` names a result output or summary entry."""
    return _output(key) is not None


def output_label(key: str) -> str:
    """``npv`` -> ``NPV``; ``active_rate_m6_p50`` -> ``Active rate, month 6 P50``;
    unknown keys are humanised (``foo_bar`` -> ``Foo bar``)."""
    o = _output(key)
    return o.label if o is not None else field_name(key)


def output_kind(key: str) -> str:
    """Format kind of an output or summary entry (money, share, count, months, number)."""
    o = _output(key)
    return o.kind if o is not None else "number"


def label(path: str, currency: str = "USD") -> str:
    """Readable label of any key: a scenario input path or a result output."""
    if is_output(path):
        return output_label(path)
    try:
        return input_label(path, currency)
    except KeyError:
        return field_name(path.rsplit(".", 1)[-1])


def kind(path: str) -> str:
    """Format kind of any key: an output's kind, or an input's from its schema unit."""
    if is_output(path):
        return output_kind(path)
    try:
        return field_meta(path).kind
    except KeyError:
        return "number"


__all__ = ["LEVER_NAMES", "NAMES", "OUTPUTS", "SUMMARY", "FieldMeta", "Output", "field_meta",
           "field_name", "info_meta", "input_label", "is_output", "kind", "label",
           "output_kind", "output_label", "split_path", "unit_kind", "unit_text"]
