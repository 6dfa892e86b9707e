"""The model's concepts declared once, as data: the levers and the failure modes.

Everything that lists levers or failure modes (the schema, the kernel layout, the lever
and gap analyses, the diagnosis, labels, controls, the deck's prose, the CLI help and the
tests) loops over :data:`LEVER_SPECS` and :data:`MODE_SPECS`; counts such as "five
levers" or "32 combinations" are computed from them (:func:`lever_count_words`). This
module imports nothing from the project, so any layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeverSpec:
    """One remedy: what it is called, where it lives in the scenario and the kernel, and
    how its cost is counted."""

    key: str  #: identifier and schema section name (``levers.<key>``)
    label: str  #: the name a reader sees, everywhere
    short: str  #: two-letter name in portfolio labels ("VT + LT")
    description: str  #: one line: what the lever does
    flag: str  #: name of its ``engine.layout`` flag (the month it takes effect)
    gate_column: str  #: name of its ``engine.layout`` gate column (switch_levers)
    one_off: tuple[str, ...] = ()  #: inputs booked once, the month it takes effect
    monthly: tuple[str, ...] = ()  #: inputs booked every month it is on
    per_retrain: tuple[str, ...] = ()  #: inputs booked at every retraining
    simulated_cost: str = ""  #: per-path output holding a cost that depends on the run
    settings: tuple[str, ...] = ()  #: fixed settings of its table the app edits (not sampled)

    @property
    def section(self) -> str:
        """Dotted path of its schema section."""
        return f"levers.{self.key}"


@dataclass(frozen=True)
class ModeSpec:
    """One failure mode of the source case: how it is named, what identifies it in the
    actuals, and how the pilot lens switches it off."""

    key: str
    label: str  #: title ("Data quality at volume")
    noun: str  #: inside a sentence ("data quality")
    short: str  #: in a table, with what shows it ("data quality (accuracy)")
    step: str  #: short axis label of the gap waterfall
    composite: str  #: the one quantity through which its inputs reach the actuals
    observation: str  #: actuals column that speaks to it directly
    observation_words: tuple[str, str]  #: (when that column is absent, more would help)
    lens: str  #: how the pilot lens switches it off
    inputs: tuple[str, ...]  #: the scenario inputs it acts through
    #: Inputs the pilot lens holds at a value to switch it off (the gap analysis' transform;
    #: what depends on the scenario, tiers and the feedback lever, is added there).
    lens_values: tuple[tuple[str, float], ...] = ()


LEVER_SPECS: tuple[LeverSpec, ...] = (
    LeverSpec("variability_testing", "Variability testing", "VT",
              "Test against the full data variability before launch: closes a share of "
              "the out-of-distribution accuracy gap.",
              "F_VT", "G_LV_VT", one_off=("cost",)),
    LeverSpec("load_testing", "Load testing", "LT",
              "Integration-test under realistic load: cuts the load-scaling exponent.",
              "F_LT", "G_LV_LT", one_off=("cost",)),
    LeverSpec("change_plan", "Change plan for every cohort", "CP",
              "Every rollout cohort gets the plan's onboarding tier (by default trained).",
              "F_CP", "G_LV_CP", one_off=("cost",), settings=("tier",)),
    LeverSpec("feedback_loop", "Feedback loop", "FB",
              "Capture wrong outputs as corrections and retrain on them.",
              "F_FB_COST", "G_LV_FB", one_off=("setup_cost",), monthly=("monthly_cost",),
              per_retrain=("retrain_cost",), settings=("retrain_every_months",)),
    LeverSpec("human_review", "Human review", "HR",
              "A person reviews a share of outputs before they are used: reviewed errors "
              "never reach users and become corrections.",
              "F_HR", "G_LV_HR", simulated_cost="pv_review_cost"),
)

MODE_SPECS: tuple[ModeSpec, ...] = (
    ModeSpec("data_quality", "Data quality at volume", "data quality",
             "data quality (accuracy)", "Data quality",
             "launch accuracy", "accuracy",
             ("accuracy spot checks", "more accuracy spot checks per month"),
             "no out-of-distribution inputs and no drift",
             ("data.ood_share", "data.ood_accuracy"),
             (("data.ood_share", 0.0), ("data.drift_per_month", 0.0))),
    ModeSpec("integration", "Integration under load", "integration under load",
             "integration under load (incidents)", "Integration", "load exponent", "incidents",
             ("monthly incident counts", "more months of incident counts"),
             "load exponent 0: incidents stay at the pilot rate",
             ("integration.load_exponent",), (("integration.load_exponent", 0.0),)),
    ModeSpec("change_management", "Change management", "change management",
             "adoption (change management)", "Change mgmt",
             "adoption index", "active_users",
             ("monthly active users", "active users by cohort"),
             "every cohort adopts like the pilot team (the pilot tier)",
             ("adoption.tiers",)),
    ModeSpec("feedback", "No feedback loop", "drift (no feedback loop)",
             "the missing feedback loop (drift)", "No feedback",
             "drift", "accuracy",
             ("accuracy spot checks over several months (drift shows as a falling trend)",
              "accuracy spot checks over more months (drift shows as a falling trend)"),
             "the feedback loop on with every error captured",
             ("data.drift_per_month", "levers.feedback_loop.capture_rate"),
             (("levers.feedback_loop.capture_rate", 1.0),)),
)

#: Lever keys in declaration order (bit i of a portfolio mask is lever i).
LEVERS: tuple[str, ...] = tuple(lv.key for lv in LEVER_SPECS)
#: Failure-mode keys in the order of the source case.
MODES: tuple[str, ...] = tuple(m.key for m in MODE_SPECS)
LEVER = {lv.key: lv for lv in LEVER_SPECS}
MODE = {m.key: m for m in MODE_SPECS}
#: Lever key -> label, failure-mode key -> label.
LEVER_LABELS: dict[str, str] = {lv.key: lv.label for lv in LEVER_SPECS}
LEVER_SHORT: dict[str, str] = {lv.key: lv.short for lv in LEVER_SPECS}
MODE_LABELS: dict[str, str] = {m.key: m.label for m in MODE_SPECS}

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten")


def number_word(n: int) -> str:
    """'four' for 4 (digits from eleven on)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def lever_count_words() -> str:
    """'five levers' (computed from the catalogue, never typed)."""
    return f"{number_word(len(LEVERS))} levers"


def combination_count(n: int | None = None) -> int:
    """Number of on/off portfolios of ``n`` switches (default: every lever)."""
    return 1 << (len(LEVERS) if n is None else n)


__all__ = ["LEVER", "LEVERS", "LEVER_LABELS", "LEVER_SHORT", "LEVER_SPECS", "MODE",
           "MODES", "MODE_LABELS", "MODE_SPECS", "LeverSpec", "ModeSpec", "combination_count",
           "lever_count_words", "number_word"]
