"""The public rollouts in scenarios/cases/: files, figures and observation settings.

Each case has a scenario file (figures cited in its comments), an early actuals file (what
was published first) and a later one (what the back-test must forecast), both in the
actuals CSV format. Observation settings say how the published figures were measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..actuals import ObservationModel

#: Where the case files live.
CASES_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "cases"


@dataclass(frozen=True)
class Case:
    """One public rollout: ``key`` names its files (``KEY.toml``, ``KEY_early.csv``,
    ``KEY_later.csv``); ``lacks`` says what the model lacks where the back-test misses."""

    key: str
    title: str
    early_label: str
    later_label: str
    obs: ObservationModel = field(default_factory=ObservationModel)
    lacks: str = ""
    #: The reference class the case belongs to (simulator/classes/NAME.toml).
    reference_class: str = "office_assistant"
    #: What the active share in its actuals files counts: "monthly" (regular users that
    #: month), "weekly" (active in a typical week), "daily" or "ever_used" (anyone who used
    #: it at least once: cumulative adopters).
    active_definition: str = "monthly"

    @property
    def scenario(self) -> Path:
        return CASES_DIR / f"{self.key}.toml"

    @property
    def early(self) -> Path:
        return CASES_DIR / f"{self.key}_early.csv"

    @property
    def later(self) -> Path:
        return CASES_DIR / f"{self.key}_later.csv"


CASES: tuple[Case, ...] = (
    Case("accenture_github_copilot", "Accenture, GitHub Copilot (2023-24)",
         "trial phase: 96 % of 470 users succeeding (month 3)",
         "12,000 seats: 67 % use it every day (month 12)",
         reference_class="coding_assistant"),
    Case("au_dta_copilot", "Australian Government, M365 Copilot trial (DTA, 2024)",
         "none published (licences only: prior forecast)",
         "post-use survey, n = 811: daily 25 %, multiple times a week 46 % (month 6)"),
    Case("uk_dbt_copilot", "UK Department for Business and Trade, M365 Copilot (2024)",
         "none published (licences only: prior forecast)",
         "usage data, n = 300: daily 30 %, weekly but not daily 37 % (month 3)"),
    Case("uk_crossgov_copilot", "UK cross-government M365 Copilot experiment (GDS, 2024)",
         "none published (licences only: prior forecast)",
         "80 % of 20,000 actively used it (month 3)", active_definition="ever_used"),
)
