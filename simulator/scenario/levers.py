"""The levers' tables: each remedy switchable, timed and priced (one class per
:data:`.catalog.LEVER_SPECS` entry; :class:`Levers` holds one of each)."""

from __future__ import annotations

from .dist_specs import Uncertain
from .fields import (
    MAX_MINUTES_PER_TASK,
    MAX_MONEY_ONE_OFF,
    MAX_MONEY_PER_HOUR,
    MAX_MONEY_PER_MONTH,
    Section,
    plain,
    uncertain,
)


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


class HumanReview(Section):
    """Lever: a person reviews a share of outputs before they are used."""

    enabled: bool = plain(False, doc="Lever on or off.")
    enabled_from_month: int = plain(0, unit="month", ge=0, le=120,
                                    doc="Month the lever takes effect when enabled (0: from "
                                        "go-live).")
    share: Uncertain = uncertain(0.2, hi=1.0, unit="share",
                                 doc="Share of outputs reviewed before use (r); a reviewed "
                                     "error never reaches users and becomes a correction.")
    minutes_per_review: Uncertain = uncertain(2.0, hi=MAX_MINUTES_PER_TASK, unit="minutes/task",
                                              doc="Reviewer minutes per reviewed task.")
    reviewer_hourly_cost: Uncertain = uncertain(60.0, hi=MAX_MONEY_PER_HOUR,
                                                unit="currency/hour",
                                                doc="Loaded hourly cost of a reviewer.")
    stop_at_accuracy: float | None = plain(None, unit="share", ge=0.0, le=1.0,
                                           doc="Stop reviewing from the month after the "
                                               "accuracy measured on reviewed outputs reaches "
                                               "this (none: review for the whole horizon).")


class Levers(Section):
    """The remedies, each switchable and priced (one field per catalogue lever)."""

    variability_testing: VariabilityTesting = plain(default_factory=VariabilityTesting,
                                                    doc="Variability testing lever.")
    load_testing: LoadTesting = plain(default_factory=LoadTesting, doc="Load testing lever.")
    change_plan: ChangePlan = plain(default_factory=ChangePlan, doc="Change plan lever.")
    feedback_loop: FeedbackLoop = plain(default_factory=FeedbackLoop,
                                        doc="Feedback loop lever.")
    human_review: HumanReview = plain(default_factory=HumanReview, doc="Human review lever.")
