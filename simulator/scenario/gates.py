"""Go/no-go gates of a staged rollout: what is measured at a month's end, what a failure
does."""

from __future__ import annotations

from pydantic import model_validator

from .catalog import LEVERS
from .errors import _JOIN
from .fields import Section, plain

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


__all__ = ["GATE_ACTIONS", "Gate"]
