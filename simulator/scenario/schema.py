"""The scenario schema: one pydantic model per TOML table, cross-checks and editing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr, ValidationError, model_validator

from ..distributions import Dist
from .dist_specs import Pert, Uncertain, as_dist
from .errors import _JOIN, ScenarioError, _problems
from .fields import (
    MAX_COHORT_SIZE,
    MAX_COHORTS,
    MAX_CORRECTIONS,
    MAX_CORRELATIONS,
    MAX_GATES,
    MAX_INCIDENT_RATE,
    MAX_INCIDENTS_PER_MONTH,
    MAX_MINUTES_PER_TASK,
    MAX_MONEY_ONE_OFF,
    MAX_MONEY_PER_HOUR,
    MAX_MONEY_PER_INCIDENT,
    MAX_MONEY_PER_MONTH,
    MAX_MONEY_PER_TASK,
    MAX_MONEY_PER_USER,
    MAX_PILOT_USERS,
    MAX_TASKS_PER_USER_MONTH,
    MAX_TIERS,
    MAX_USERS,
    Section,
    plain,
    uncertain,
)
from .paths import _set_path


class Meta(Section):
    """What the scenario is, its money unit, horizon and discount rate."""

    name: str = plain(doc="Short name shown in the app, CLI and exports.")
    description: str = plain("", doc="What is being rolled out, to whom, and why.")
    currency: str = plain("USD", doc="ISO 4217 code used to format money.",
                          pattern=r"^[A-Z]{3}$")
    horizon_months: int = plain(36, unit="months", ge=1, le=120,
                                doc="Months simulated after go-live (month 0 carries one-off "
                                    "costs).")
    discount_rate_annual: float = plain(0.08, unit="share per year", ge=0.0, le=1.0,
                                        allow_inf_nan=False,
                                        doc="Annual discount rate; cash flows are discounted "
                                            "monthly at (1+r)^(1/12)-1.")


class Pilot(Section):
    """What the pilot showed: its team, its accuracy, its incident rate."""

    users: int = plain(12, unit="users", ge=1, le=MAX_PILOT_USERS,
                       doc="Pilot team size; they form cohort 0, all active at month 0, and "
                           "set the reference load for incidents.")
    accuracy: Uncertain = uncertain(hi=1.0, unit="share",
                                    doc="Accuracy measured on the pilot's curated data.")
    incidents_per_month: Uncertain = uncertain(hi=MAX_INCIDENTS_PER_MONTH, unit="incidents/month",
                                               doc="Integration incident rate seen at pilot "
                                                   "load.")
    months: int = plain(2, unit="months", ge=1, le=36,
                        doc="How long the pilot ran before go-live.")
    cost_per_month: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_MONTH, unit="currency/month",
                                          doc="Running cost of the pilot per month; months x "
                                              "this is booked in month 0 with the build cost.")


class Data(Section):
    """Production data quality at volume: out-of-distribution inputs and drift."""

    ood_share: Uncertain = uncertain(hi=1.0, unit="share",
                                     doc="Share of production inputs outside the pilot's data "
                                         "distribution.")
    ood_accuracy: Uncertain = uncertain(hi=1.0, unit="share",
                                        doc="Accuracy on those out-of-distribution inputs.")
    drift_per_month: Uncertain = uncertain(0.0, hi=0.2, unit="accuracy/month",
                                           doc="Accuracy lost per month without retraining "
                                               "(data drift), reset by each retrain.")
    accuracy_floor: Uncertain = uncertain(0.0, hi=1.0, unit="share",
                                          doc="Drift stops at this accuracy.")


class Improvement(Section):
    """The learning curve that retraining on captured corrections follows."""

    accuracy_ceiling: Uncertain = uncertain(hi=1.0, unit="share",
                                            doc="Accuracy that unlimited corrections would "
                                                "reach (a_max).")
    learning_exponent: Uncertain = uncertain(0.5, hi=5.0, unit="-",
                                             doc="Power-law exponent b of the learning curve.")
    corrections_scale: Uncertain = uncertain(500.0, hi=MAX_CORRECTIONS, lo=1e-9, unit="corrections",
                                             doc="Corrections F0 at which half the "
                                                 "exponent's effect is felt: "
                                                 "a = a_max - (a_max - a0)(1 + F/F0)^-b.")


class Integration(Section):
    """Integration brittleness: how incidents scale with load and what they cost."""

    load_exponent: Uncertain = uncertain(hi=5.0, unit="-",
                                         doc="alpha in incidents ~ Poisson(lambda_pilot "
                                             "(load/pilot load)^alpha); 0 = scales perfectly.")
    downtime_per_incident: Uncertain = uncertain(hi=1.0, unit="share of month's value",
                                                 doc="Value lost per incident (capped at the "
                                                     "whole month).")
    fix_cost_per_incident: Uncertain = uncertain(hi=MAX_MONEY_PER_INCIDENT,
                                                 unit="currency/incident",
                                                 doc="Cost to diagnose and fix one incident.")
    trust_shock_per_incident: Uncertain = uncertain(0.0, hi=1.0,
                                                    unit="churn probability/incident",
                                                    doc="Added monthly churn probability per "
                                                        "incident that month.")


class Tier(Section):
    """An onboarding tier: how far and how fast a cohort adopts, and what it costs."""

    description: str = plain("", doc="What users in this tier receive.")
    ceiling: Uncertain = uncertain(hi=1.0, unit="share",
                                   doc="Share of the cohort who will ever become regular users "
                                       "(u).")
    innovation_p: Uncertain = uncertain(hi=1.0, unit="per month",
                                        doc="Bass innovation coefficient p.")
    imitation_q: Uncertain = uncertain(hi=1.0, unit="per month",
                                       doc="Bass imitation coefficient q.")
    cost_per_user: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_USER, unit="currency/user",
                                         doc="One-off onboarding cost per user, booked in the "
                                             "cohort's start month.")


class Usage(Section):
    """How often monthly active users use the tool: the telemetry vocabulary (weekly and daily
    active shares), sampled per path outside the compiled core."""

    weekly_share: Uncertain = uncertain(
        Pert(dist="pert", min=0.45, mode=0.65, max=0.85), hi=1.0,
        unit="share of monthly active users",
        doc="Share of a month's active users who use it at least once a week.")
    daily_share: Uncertain = uncertain(
        Pert(dist="pert", min=0.2, mode=0.4, max=0.65), hi=1.0,
        unit="share of weekly active users",
        doc="Share of the weekly active users who use it (almost) every working day.")


class Cohort(Section):
    """A wave of users registered in one month and onboarded in one tier."""

    name: str = plain(doc="Label of the wave.")
    size: int = plain(unit="users", ge=0, le=MAX_COHORT_SIZE, doc="Users registered.")
    start_month: int = plain(1, unit="month", ge=0, le=120,
                             doc="Month the users are registered and onboarded (<= horizon).")
    tier: str = plain(doc="Onboarding tier name (a key of [adoption.tiers]).")
    includes_pilot: bool | None = plain(None, doc="The wave's size counts the pilot team too: "
                                            "they are registered once (the wave adds size "
                                            "minus the pilot users).")


class Adoption(Section):
    """Cohorts, their onboarding tiers, churn and the trust that drives it."""

    base_churn: Uncertain = uncertain(hi=1.0, unit="per month",
                                      doc="Monthly probability an active user lapses, quality "
                                          "and incidents aside (chi_base).")
    quality_churn_sensitivity: Uncertain = uncertain(0.0, hi=100.0,
                                                     unit="churn per accuracy point",
                                                     doc="sigma: added churn per unit of "
                                                         "accuracy below the trust threshold.")
    trust_accuracy: Uncertain = uncertain(hi=1.0, unit="share",
                                          doc="Accuracy users tolerate; below it churn rises "
                                              "and nobody returns.")
    return_rate: Uncertain = uncertain(0.0, hi=1.0, unit="per month",
                                       doc="Monthly probability a lapsed user returns while "
                                           "accuracy is at or above the trust threshold.")
    pilot_tier: str = plain("pilot", doc="Tier describing how the pilot team adopted; the "
                                         "pilot lens gives it to every cohort.")
    tiers: dict[str, Tier] = plain(doc="Onboarding tiers by name.", max_length=MAX_TIERS)
    cohorts: list[Cohort] = plain(doc="Rollout waves after the pilot team.",
                                  max_length=MAX_COHORTS)


class Economics(Section):
    """Value per task and the cost base."""

    tasks_per_user_month: Uncertain = uncertain(hi=MAX_TASKS_PER_USER_MONTH,
                                                unit="tasks/active user/month",
                                                doc="Tasks an active user runs through the "
                                                    "system each month.")
    minutes_saved_per_task: Uncertain = uncertain(hi=MAX_MINUTES_PER_TASK, unit="minutes/task",
                                                  doc="Time saved by a correct output.")
    rework_minutes_per_error: Uncertain = uncertain(0.0, hi=MAX_MINUTES_PER_TASK,
                                                    unit="minutes/error",
                                                    doc="Time lost fixing a wrong output.")
    hourly_cost: Uncertain = uncertain(hi=MAX_MONEY_PER_HOUR, unit="currency/hour",
                                       doc="Fully loaded cost of an hour of user time.")
    build_cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_ONE_OFF, unit="currency",
                                      doc="Build and integration cost, month 0.")
    platform_monthly: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_MONTH, unit="currency/month",
                                            doc="Fixed platform and run cost per month.")
    licence_per_seat_month: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_USER,
                                                  unit="currency/registered user/month",
                                                  doc="Licence per registered seat.")
    inference_per_task: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_TASK, unit="currency/task",
                                              doc="Compute/API cost per task.")
    support_per_active_user_month: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_USER,
                                                         unit="currency/active user/month",
                                                         doc="Support cost per active user.")


class VariabilityTesting(Section):
    """Lever: test against the full data variability before launch."""

    enabled: bool = plain(False, doc="Lever on or off.")
    enabled_from_month: int = plain(0, unit="month", ge=0, le=120,
                                    doc="Month the lever takes effect when enabled (0: from "
                                        "go-live); its one-off cost is booked that month.")
    gap_closed: Uncertain = uncertain(0.5, hi=1.0, unit="share",
                                      doc="Share of the out-of-distribution accuracy gap "
                                          "(a_pilot - a_ood) closed before launch.")
    cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_ONE_OFF,
                                unit="currency", doc="One-off cost, month 0.")


class LoadTesting(Section):
    """Lever: integration-test under realistic load."""

    enabled: bool = plain(False, doc="Lever on or off.")
    enabled_from_month: int = plain(0, unit="month", ge=0, le=120,
                                    doc="Month the lever takes effect when enabled (0: from "
                                        "go-live); its one-off cost is booked that month.")
    exponent_reduction: Uncertain = uncertain(0.5, hi=1.0, unit="share",
                                              doc="Share of the load exponent alpha removed.")
    cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_ONE_OFF,
                                unit="currency", doc="One-off cost, month 0.")


class ChangePlan(Section):
    """Lever: a change plan for every cohort."""

    enabled: bool = plain(False, doc="Lever on or off.")
    enabled_from_month: int = plain(0, unit="month", ge=0, le=120,
                                    doc="Month the lever takes effect when enabled (0: from "
                                        "go-live); its one-off cost is booked that month.")
    tier: str = plain("trained", doc="Tier every rollout cohort gets when the lever is on.")
    cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_ONE_OFF, unit="currency",
                                doc="One-off programme cost, month 0 (the tier's cost per user "
                                    "comes on top).")


class FeedbackLoop(Section):
    """Lever: capture corrections and retrain on them."""

    enabled: bool = plain(False, doc="Lever on or off.")
    enabled_from_month: int = plain(0, unit="month", ge=0, le=120,
                                    doc="Month the lever takes effect when enabled (0: from "
                                        "go-live); its one-off cost is booked that month.")
    capture_rate: Uncertain = uncertain(0.3, hi=1.0, unit="share",
                                        doc="Share of wrong outputs captured as corrections "
                                            "(c).")
    retrain_every_months: int = plain(3, unit="months", ge=1, le=120,
                                      doc="Retraining cadence R.")
    setup_cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_ONE_OFF,
                                      unit="currency", doc="One-off cost, month 0.")
    monthly_cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_MONTH, unit="currency/month",
                                        doc="Running cost of the feedback programme.")
    retrain_cost: Uncertain = uncertain(0.0, hi=MAX_MONEY_PER_MONTH,
                                        unit="currency/retrain", doc="Cost per retrain.")


class Levers(Section):
    """The four remedies, each switchable and priced."""

    variability_testing: VariabilityTesting = plain(default_factory=VariabilityTesting,
                                                    doc="Variability testing lever.")
    load_testing: LoadTesting = plain(default_factory=LoadTesting, doc="Load testing lever.")
    change_plan: ChangePlan = plain(default_factory=ChangePlan, doc="Change plan lever.")
    feedback_loop: FeedbackLoop = plain(default_factory=FeedbackLoop,
                                        doc="Feedback loop lever.")


GATE_ACTIONS = ("hold", "stop", "switch_levers")


class Gate(Section):
    """A go/no-go review: what is measured at the end of a month, and what a failure does.

    The gate passes when every criterion given holds, judged only on what an organisation
    observes: the active-user rate, accuracy measured on ``spot_checks`` outputs, and
    incidents counted since the previous gate (or go-live).
    """

    name: str = plain(doc="Label of the gate.")
    month: int = plain(unit="month", ge=1, le=120,
                       doc="Month at whose end the gate is evaluated (<= horizon).")
    min_active_rate: float | None = plain(None, unit="share", ge=0.0, le=1.0,
                                          doc="Pass only if active users / registered users "
                                              "is at least this.")
    min_accuracy: float | None = plain(None, unit="share", ge=0.0, le=1.0,
                                       doc="Pass only if the share of correct outputs among "
                                           "the spot checks is at least this.")
    spot_checks: int = plain(200, unit="outputs", ge=1, le=1_000_000,
                             doc="Outputs checked by hand to measure accuracy.")
    max_incidents: int | None = plain(None, unit="incidents", ge=0, le=1_000_000,
                                      doc="Pass only if incidents since the previous gate "
                                          "(or go-live) are at most this.")
    on_fail: str = plain(doc="What a failure does: hold (cohorts due after the gate wait for "
                             "a later gate to pass), stop (the rollout ends) or switch_levers.")
    levers: list[str] = plain(default_factory=list,
                              doc="Levers switched on from the next month (switch_levers).")
    reonboard: bool = plain(False, doc="With switch_levers and the change plan: re-onboard "
                                       "lapsed users in the plan's tier, at its cost per user.")
    notice_months: int = plain(3, unit="months", ge=0, le=120,
                               doc="stop: months the platform and licences are still paid.")
    wind_down_cost: float = plain(0.0, unit="currency", ge=0.0, le=1e12,
                                  doc="stop: one-off cost of ending, booked the next month.")

    @model_validator(mode="after")
    def _action(self):
        problems: list[str] = []
        if self.on_fail not in GATE_ACTIONS:
            problems.append(f"on_fail: {self.on_fail!r} is not one of {', '.join(GATE_ACTIONS)}")
        if (self.min_active_rate is None and self.min_accuracy is None
                and self.max_incidents is None):
            problems.append("a gate needs at least one of min_active_rate, min_accuracy, "
                            "max_incidents")
        for lv in self.levers:
            if lv not in LEVERS:
                problems.append(f"levers: {lv!r} is not a lever ({', '.join(LEVERS)})")
        if self.on_fail == "switch_levers" and not self.levers:
            problems.append("levers: switch_levers needs at least one lever")
        if self.on_fail != "switch_levers" and self.levers:
            problems.append(f"levers: only used with on_fail = 'switch_levers', not "
                            f"{self.on_fail!r}")
        if self.reonboard and "change_plan" not in self.levers:
            problems.append("reonboard: needs 'change_plan' among the levers switched on")
        if problems:
            raise ValueError(_JOIN.join(problems))
        return self


class SignedOff(Section):
    """The organisation's own signed-off business case, when it has one."""

    npv: float | None = plain(None, unit="currency", ge=-1e15, le=1e15, allow_inf_nan=False,
                              doc="NPV of the case that was signed off; the expectation gap is "
                                  "then measured against it instead of the pilot lens.")
    note: str = plain("", doc="Where the figure comes from (document, date).")


class Correlation(Section):
    """A Spearman rank correlation between two uncertain inputs."""

    a: str = plain(doc="Input path, e.g. economics.minutes_saved_per_task.")
    b: str = plain(doc="Input path.")
    rho: float = plain(unit="-", ge=-1.0, le=1.0, allow_inf_nan=False,
                       doc="Target Spearman correlation.")


LEVERS = ("variability_testing", "load_testing", "change_plan", "feedback_loop")


class Scenario(Section):
    """A whole business case: the pilot, production conditions, cohorts, money and levers."""

    reference_class: str | None = plain(None, doc="Reference class (simulator/classes/NAME"
                                                  ".toml) every input left out comes from.")
    template: str | None = plain(None, doc="Template (scenarios/NAME.toml) every input left "
                                           "out comes from, before the reference class.")
    scenario: Meta = plain(doc="Name, currency, horizon, discount rate.")
    pilot: Pilot = plain(doc="What the pilot showed.")
    data: Data = plain(doc="Production data quality.")
    improvement: Improvement = plain(doc="Learning curve of retraining.")
    integration: Integration = plain(doc="Integration under load.")
    adoption: Adoption = plain(doc="Cohorts, tiers, churn and trust.")
    economics: Economics = plain(doc="Value and cost.")
    levers: Levers = plain(default_factory=Levers, doc="The four levers.")
    usage: Usage = plain(default_factory=Usage, doc="Usage intensity of monthly active users.")
    signed_off: SignedOff = plain(default_factory=SignedOff,
                                  doc="The organisation's signed-off case (optional).")
    correlations: list[Correlation] = plain(default_factory=list,
                                            doc="Rank correlations between inputs.",
                                            max_length=MAX_CORRELATIONS)
    gates: list[Gate] = plain(default_factory=list,
                              doc="Go/no-go reviews of a staged rollout, in month order.",
                              max_length=MAX_GATES)
    #: Where each uncertain input's value came from (:mod:`.provenance`), set at loading.
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)
    _notes: dict[str, str] = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Equal content: where the values came from (the reference class or template a
        file names, each input's source) is not compared."""
        if type(other) is not type(self):
            return False
        skip = ("reference_class", "template")
        return ({k: v for k, v in self.__dict__.items() if k not in skip}
                == {k: v for k, v in other.__dict__.items() if k not in skip})

    __hash__ = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _cross_checks(self):
        problems: list[str] = []
        h = self.scenario.horizon_months
        tiers = self.adoption.tiers
        if self.adoption.pilot_tier not in tiers:
            problems.append(f"adoption.pilot_tier: {self.adoption.pilot_tier!r} is not a tier "
                            f"(tiers: {', '.join(tiers) or 'none'})")
        if self.levers.change_plan.tier not in tiers:
            problems.append(f"levers.change_plan.tier: {self.levers.change_plan.tier!r} is not "
                            f"a tier (tiers: {', '.join(tiers) or 'none'})")
        for i, c in enumerate(self.adoption.cohorts):
            if c.start_month > h:
                problems.append(f"adoption.cohorts[{i}].start_month: {c.start_month} is after "
                                f"the horizon ({h} months)")
            if c.tier not in tiers:
                problems.append(f"adoption.cohorts[{i}].tier: {c.tier!r} is not a tier "
                                f"(tiers: {', '.join(tiers) or 'none'})")
        for lever in LEVERS:
            lv = getattr(self.levers, lever)
            if lv.enabled_from_month > h:
                problems.append(f"levers.{lever}.enabled_from_month: {lv.enabled_from_month} "
                                f"is after the horizon ({h} months)")
        for i, g in enumerate(self.gates):
            if g.month > h:
                problems.append(f"gates[{i}].month: {g.month} is after the horizon ({h} months)")
            if i and g.month < self.gates[i - 1].month:
                problems.append(f"gates[{i}].month: {g.month} is before the previous gate's "
                                f"({self.gates[i - 1].month}); list gates in month order")
        shared = [i for i, c in enumerate(self.adoption.cohorts) if c.includes_pilot]
        if len(shared) > 1:
            problems.append(f"adoption.cohorts[{shared[1]}].includes_pilot: only one wave may "
                            f"count the pilot team (also cohorts[{shared[0]}])")
        for i in shared[:1]:
            c = self.adoption.cohorts[i]
            if c.size < self.pilot.users:
                problems.append(f"adoption.cohorts[{i}].size: {c.size} is below the pilot "
                                f"team ({self.pilot.users}) it includes")
        users = self.pilot.users + sum(self.wave_sizes())
        if users > MAX_USERS:
            problems.append(f"adoption.cohorts: {users:,} users in all (pilot team and "
                            f"cohorts) is above {MAX_USERS:,}")
        else:
            problems.extend(self._incident_rate_problems(users))
        names = set(self.input_paths())
        for i, cor in enumerate(self.correlations):
            for side in ("a", "b"):
                p = getattr(cor, side)
                if p not in names:
                    problems.append(f"correlations[{i}].{side}: {p!r} is not an uncertain "
                                    f"input")
            if cor.a == cor.b:
                problems.append(f"correlations[{i}]: a and b are the same input")
        if not problems and self.correlations:
            m = self.correlation_matrix()
            if np.linalg.eigvalsh(m).min() <= 1e-10:
                problems.append("correlations: the requested rank correlations are not a "
                                "valid (positive definite) correlation matrix")
        if problems:
            raise ValueError(_JOIN.join(problems))
        return self

    def _incident_rate_problems(self, users: int) -> list[str]:
        """Incidents per month at full load, lambda (users / pilot users)^alpha at the
        inputs' upper ends, must stay below MAX_INCIDENT_RATE (int64-safe draws)."""
        lam = as_dist(self.pilot.incidents_per_month).support()[1]
        alpha = as_dist(self.integration.load_exponent).support()[1]
        rate = lam * (users / self.pilot.users) ** alpha
        if rate <= MAX_INCIDENT_RATE:
            return []
        return [f"integration.load_exponent: up to {alpha:g} with {users:,} users against a "
                f"pilot of {self.pilot.users:,} and up to {lam:g} pilot incidents/month "
                f"gives {rate:.3g} incidents/month, above {MAX_INCIDENT_RATE:g}"]

    def wave_sizes(self) -> list[int]:
        """Users each wave adds: its size, less the pilot team for the wave that includes
        it (pilot users counted once)."""
        return [max(0, c.size - self.pilot.users) if c.includes_pilot else c.size
                for c in self.adoption.cohorts]

    # ----------------------------------------------------------------- inputs

    def inputs(self) -> dict[str, Dist]:
        """Every uncertain input by dotted path, in a fixed order, as a :class:`Dist`."""
        out: dict[str, Dist] = {}

        def walk(section: Section, prefix: str):
            for name, value, lo, hi in section.uncertain_items():
                out[f"{prefix}{name}"] = as_dist(value, lo, hi)

        walk(self.pilot, "pilot.")
        walk(self.data, "data.")
        walk(self.improvement, "improvement.")
        walk(self.integration, "integration.")
        walk(self.adoption, "adoption.")
        for tname, tier in self.adoption.tiers.items():
            walk(tier, f"adoption.tiers.{tname}.")
        walk(self.economics, "economics.")
        for lever in LEVERS:
            walk(getattr(self.levers, lever), f"levers.{lever}.")
        return out

    def usage_inputs(self) -> dict[str, Dist]:
        """The usage-intensity inputs (sampled outside the compiled core, by path)."""
        return {f"usage.{n}": as_dist(v, lo, hi) for n, v, lo, hi in self.usage.uncertain_items()}

    def all_inputs(self) -> dict[str, Dist]:
        """Every uncertain input: the simulated ones, then the usage intensity."""
        return {**self.inputs(), **self.usage_inputs()}

    def sources(self) -> dict[str, str]:
        """Where each uncertain input came from: ``file``, ``class:NAME``, ``template:FILE``
        or ``default`` (:mod:`.provenance`)."""
        return {p: self._sources.get(p, "file") for p in self.all_inputs()}

    def notes(self) -> dict[str, str]:
        """A note per inherited input (the class's cases, the template's comment)."""
        return dict(self._notes)

    def input_paths(self) -> list[str]:
        return list(self.inputs())

    def correlation_matrix(self) -> np.ndarray:
        """Spearman target matrix over all inputs (identity where none is declared)."""
        paths = self.input_paths()
        idx = {p: i for i, p in enumerate(paths)}
        m = np.eye(len(paths))
        for c in self.correlations:
            i, j = idx[c.a], idx[c.b]
            m[i, j] = m[j, i] = c.rho
        return m

    # ----------------------------------------------------------------- editing

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def horizon(self) -> int:
        return self.scenario.horizon_months

    def to_dict(self) -> dict[str, Any]:
        """Plain data (TOML-ready) that loads back to an equal scenario: every value written
        out, so the reference class and template it came from are left out (loading would
        otherwise bring back tiers deleted since)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True,
                               exclude={"reference_class", "template"})

    def to_toml(self) -> str:
        """The scenario as TOML; a comment names the class or template it was based on."""
        import tomli_w

        head = "".join(f"# Based on {k} = {v!r}; every inherited value is written out.\n"
                       for k, v in (("reference_class", self.reference_class),
                                    ("template", self.template)) if v)
        return head + tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write the scenario as TOML atomically (temp file, then rename)."""
        from ..atomic import atomic_write_text

        atomic_write_text(path, self.to_toml())

    def with_values(self, changes: dict[str, Any]) -> Scenario:
        """A re-validated copy with values set at dotted paths (``adoption.cohorts[0].size``).

        A value may be a number, a string, a bool or a distribution table (dict).
        """
        data = self.to_dict()
        data.update({k: v for k, v in (("reference_class", self.reference_class),
                                       ("template", self.template)) if v is not None})
        for path, value in changes.items():
            _set_path(data, path, value)
        # Every value is already written out: no inheritance again (a deleted tier stays
        # deleted), the sources carried over below.
        new = parse_scenario(data, source="override", inherit=False)
        sources = dict(self._sources)
        for p in new.all_inputs():
            if p in sources and any(c == p or c.startswith(p + ".") for c in changes):
                sources[p] = "file"
        new._sources = {p: sources.get(p, "file") for p in new.all_inputs()}
        new._notes = {p: n for p, n in self._notes.items()
                      if new._sources.get(p, "file") != "file"}
        return new

    def with_levers(self, **enabled: bool) -> Scenario:
        """A copy with levers switched, e.g. ``with_levers(feedback_loop=True)``."""
        unknown = set(enabled) - set(LEVERS)
        if unknown:
            raise ScenarioError([f"levers.{u}: unknown lever (allowed: {', '.join(LEVERS)})"
                                 for u in sorted(unknown)])
        return self.with_values({f"levers.{k}.enabled": bool(v) for k, v in enabled.items()})


def parse_scenario(data: dict[str, Any], source: str | None = None, *,
                   inherit: bool = True) -> Scenario:
    """Validate a scenario given as plain data; raise :class:`ScenarioError` on problems.

    A file naming a ``template`` or a ``reference_class`` inherits every input it leaves
    out from them; each input's source is recorded (:meth:`Scenario.sources`).
    """
    from .provenance import resolve

    merged, sources, notes = resolve(data, source) if inherit else (data, {}, {})
    try:
        sc = Scenario.model_validate(merged)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc), source) from None
    sc._sources = {p: sources.get(p, "default") for p in sc.all_inputs()}
    sc._notes = {p: n for p, n in notes.items() if p in sc._sources}
    return sc
