"""The public rollouts in scenarios/cases/: files, figures and observation settings.

Each case has a scenario file (figures cited in its comments), an early actuals file (what
was published first) and a later one (what the back-test must forecast), both in the
actuals CSV format; a reference class (what it is pooled with); a note on which usage
definition each published figure uses; and the published figures the actuals columns
cannot carry yet (``unmapped``). Observation settings say how the figures were measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..actuals import ObservationModel

#: Where the case files live.
CASES_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "cases"


#: The reference classes a case may belong to (docs/cases.md).
REFERENCE_CLASSES = ("office_assistant", "coding_assistant", "support_assistant")

#: Usage definitions a published figure may use (docs/cases.md, "Usage definitions").
DEFINITIONS = ("ever_used", "monthly_active", "weekly_active", "daily_active",
               "days_per_week", "workload_share", "team_adoption", "adherence")


@dataclass(frozen=True)
class Figure:
    """A published usage figure that today's actuals columns cannot express faithfully.

    ``definition`` is one of :data:`DEFINITIONS`; ``value`` a share in [0, 1] of ``n``
    (the count it is a share of, when published or derived); ``month`` the model month it
    is read at; ``source`` the case file's tag ([S1], ...) and where in that source.
    """

    definition: str
    month: int
    value: float
    n: int | None
    source: str
    note: str = ""


#: What an active share in a case's actuals files may count.
ACTIVE_DEFINITIONS = ("monthly", "weekly", "daily", "ever_used")


@dataclass(frozen=True)
class Case:
    """One public rollout: ``key`` names its files (``KEY.toml``, ``KEY_early.csv``,
    ``KEY_later.csv``); ``reference_class`` the class it is pooled into;
    ``definitions`` says which usage definition each published figure uses (and how the
    actuals columns carry it); ``unmapped`` holds the published figures the actuals
    columns cannot express; ``lacks`` says what the model lacks where the back-test
    misses."""

    key: str
    title: str
    early_label: str
    later_label: str
    reference_class: str
    obs: ObservationModel = field(default_factory=ObservationModel)
    lacks: str = ""
    definitions: str = ""
    unmapped: tuple[Figure, ...] = ()
    #: What the active shares in its actuals files count: "monthly" (regular users that
    #: month), "weekly" (active in a typical week), "daily" (on a typical working day) or
    #: "ever_used" (anyone who used it at least once: cumulative adopters); the
    #: observation model (simulator.telemetry, cases/loo.py) maps each.
    active_definition: str = "monthly"

    def __post_init__(self):
        if self.reference_class not in REFERENCE_CLASSES:
            raise ValueError(f"case {self.key}: reference_class {self.reference_class!r} is "
                             f"not one of {', '.join(REFERENCE_CLASSES)}")
        if self.active_definition not in ACTIVE_DEFINITIONS:
            raise ValueError(f"case {self.key}: active_definition "
                             f"{self.active_definition!r} is not one of "
                             f"{', '.join(ACTIVE_DEFINITIONS)}")
        for f in self.unmapped:
            if f.definition not in DEFINITIONS or not 0.0 <= f.value <= 1.0 or f.month < 1:
                raise ValueError(f"case {self.key}: unmapped figure {f!r} needs a definition "
                                 f"in {DEFINITIONS}, a share in [0, 1] and a month >= 1")

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
         "trial phase: over 80 % of 470 adopted it (month 3, ever used)",
         "12,000 seats: 67 % use it every day (month 12)",
         reference_class="coding_assistant",
         definitions="early: 'over 80 % of participants successfully adopted' (accepted "
                     "a suggestion) is ever used, entered as month 3's active share (376 of "
                     "470) with active_definition = ever_used; '96 % success rate amongst "
                     "users' is day-one acceptance among installers (81.4 % installed on "
                     "day one), not a share of all participants. later: '67 % use it "
                     "everyday' is '67 % of respondents used it at least 5 days per week' "
                     "(days_per_week >= 5 -> daily_active), entered as used_daily.",
         active_definition="ever_used",
         unmapped=(Figure("ever_used", 1, 0.814 * 0.96, 470, "[S2] 'Developers quickly "
                          "found value'", "81.4 % installed on day one x 96 % of them "
                          "accepted a suggestion that day (derived)"),
                   Figure("days_per_week", 12, 0.67, None, "[S2] 'Developers quickly "
                          "found value'", "at least 5 days a week; also the later file's "
                          "used_daily"))),
    Case("au_dta_copilot", "Australian Government, M365 Copilot trial (DTA, 2024)",
         "none published (licences only: prior forecast)",
         "post-use survey, n = 811: daily 25 %, multiple times a week 46 % (month 6)",
         reference_class="office_assistant",
         definitions="post-use survey frequency: 'daily' = daily_active, 'multiple times a "
                     "week' = weekly but not daily (weekly_active minus daily; 'about once a "
                     "week' counted as less often), self-selected respondents. Re-read: the "
                     "pulse survey (n = 1,141, mid-trial) asked whether Copilot met "
                     "expectations by product, not how often it was used; no early usage "
                     "figure was found."),
    Case("uk_dbt_copilot", "UK Department for Business and Trade, M365 Copilot (2024)",
         "none published (licences only: prior forecast)",
         "usage data, n = 300: daily 30 %, weekly but not daily 37 % (month 3)",
         reference_class="office_assistant",
         definitions="telemetry of ~300 consenting licence holders over the whole trial: "
                     "'at least once a day' = daily_active, 'at least once a week' (67 %) = "
                     "weekly_active; entered as a survey's used_daily and used_weekly "
                     "(weekly = 0.67 - 0.30)."),
    Case("uk_crossgov_copilot", "UK cross-government M365 Copilot experiment (GDS, 2024)",
         "80 % adoption rate held 'throughout the experiment period' (month 1)",
         "80 % of 20,000 actively used it (month 3)",
         reference_class="office_assistant",
         definitions="the report's adoption rate is 'active usage over time', held at about "
                     "80 % from October to December 2024 (secondary summaries of the gov.uk "
                     "report): monthly_active [A: window not given], at months 1 and 3; 83 % "
                     "'remaining active' is the same measure. Earlier this case read the 80 % "
                     "as ever used; the over-time chart says otherwise.",
         unmapped=(Figure("daily_active", 3, 0.34, None, "[S4] 'Strong Adoption'",
                          "daily use in Teams alone: a lower bound of daily use of any "
                          "application; base (users or licences) not stated"),
                   Figure("monthly_active", 3, 0.83, 20_000, "[S5]",
                          "'83% of licensed users remaining active' (secondary): the same "
                          "measure as the later file's 80 %, also entered there"))),
    Case("au_treasury_copilot", "Australian Treasury, M365 Copilot sub-trial (2024)",
         "none published (participants only: prior forecast)",
         "end of trial, n = 218: just over 20 % used it up to five times a week (month 3)",
         reference_class="office_assistant",
         definitions="'up to five times per week' read as daily use in a five-day week "
                     "(days_per_week >= 5 -> daily_active, entered as used_daily); the rest "
                     "used it three times a week or less (not split into weekly / less). "
                     "Expectations before vs after (75 % -> 38 % 'some tasks', 15 % -> 2 % "
                     "'most tasks') are beliefs, not usage: no observation model.",
         unmapped=(Figure("days_per_week", 3, 0.21, 218, "[S1] 'up to five times per week'",
                          "also entered as used_daily"),)),
    Case("klarna_assistant", "Klarna, AI customer-service assistant (2024-25)",
         "first month: 2.3 million chats, two-thirds of chats, 700 agents' work (month 1)",
         "two-thirds of interactions when humans came back (month 16); two-thirds, "
         "853 agents' work (month 22)",
         reference_class="support_assistant",
         definitions="workload_share: the share of customer-service chats the assistant "
                     "handles, in agent-equivalents (700 of 1,060 = 700 / (2/3); 853 of "
                     "1,280 = 853 / (2/3); May 2025: two-thirds of 1,060 [A]), entered as "
                     "registered / active_users; a 'user' is an agent-equivalent of chat "
                     "workload, not a person. The May 2025 quality reversal (re-hiring "
                     "human agents) published no usage or quality figure from Klarna; a "
                     "secondary '22 % drop in satisfaction' is not used.",
         lacks="the model has no routing decision: a firm that sends work back to humans "
               "when quality falls is modelled as churn of agent-equivalents"),
    Case("bli_support_assistant",
         "Support agents' AI assistant, Fortune 500 software firm (Brynjolfsson, Li, Raymond)",
         "access: 5 % of agents in October 2020, 70 % in January 2021 (months 1, 4)",
         "1,636 treated agents, every one of them using the embedded tool (month 12)",
         reference_class="support_assistant",
         definitions="the tool is embedded in the chat window: every treated agent used it "
                     "(ever_used = 1 by construction of the sample); the paper measures "
                     "adherence (share of suggestions followed), not a share of agents, so no "
                     "monthly, weekly or daily share exists; the access shares are "
                     "registered counts. The productivity gain is immediate, grows slightly "
                     "in month 2 and persists to the end of the sample (QJE Figure II): no "
                     "observation model for productivity.",
         unmapped=(Figure("ever_used", 12, 1.0, 1636, "[S2] IV.B, Table I",
                          "1.2 million post-AI chats by 1,636 treated agents: ever used by "
                          "construction; month 12 (end of the rollout) [A]"),
                   Figure("adherence", 1, 0.37, None, "[S2] VI.A",
                          "initial adherence, agents with under three months' tenure"),
                   Figure("adherence", 1, 0.30, None, "[S2] VI.A",
                          "initial adherence, agents with over a year of tenure"),
                   Figure("adherence", 6, 0.38, None, "[S2] VI.A",
                          "average over post-AI agent-months (IQR 23-50 %); groups converge "
                          "five months after deployment; month 6 [A]"))),
    Case("msft_copilot_rct", "Microsoft 365 Copilot randomised experiment, 66 firms (2024)",
         "none published by month (licences only: prior forecast)",
         "nearly 40 % of treated workers used it regularly (month 6)",
         reference_class="office_assistant",
         definitions="'used it regularly throughout the study' = used in more than half of "
                     "the weeks (close to weekly_active sustained; entered as month 6's "
                     "active share); 80 % 'used the tool' in months 4-6 = ever_used in the "
                     "second half; firm-level usage 6.3 %-75 % is the between-organisation "
                     "spread (definition not given). The active share is mapped as weekly "
                     "active (active_definition = weekly).",
         active_definition="weekly",
         unmapped=(Figure("ever_used", 6, 0.80, 3568, "[S1] abstract",
                          "any use in months 4-6"),
                   Figure("weekly_active", 6, 0.40, 3568, "[S3] abstract",
                          "used in more than half of the weeks [S2]; also the later "
                          "file's active share"),
                   Figure("monthly_active", 6, 0.063, None, "[S4] Key Insight",
                          "lowest-use firm (usage definition not given)"),
                   Figure("monthly_active", 6, 0.75, None, "[S4] Key Insight",
                          "highest-use firm (usage definition not given)"))),
    Case("tata1mg_deputydev", "TATA 1mg, in-house AI coding and review platform (2024-25)",
         "month 1: 4 % of 300 engineers actively used it",
         "83 % at the month-6 peak; stabilising at 60 % (month 12)",
         reference_class="coding_assistant",
         definitions="'actively used' / 'engagement' in a month = monthly_active (window "
                     "not defined in what was found); 'stabilizing at 60%' read at month 12."),
    Case("anz_github_copilot", "ANZ Bank, GitHub Copilot (2023-24)",
         "experiment with about 100 engineers; 3,000 engineers with access (month 1)",
         "no usage share published (registered engineers only)",
         reference_class="coding_assistant",
         definitions="no usage share found: 'about 1,000 engineers' large-scale adoption' "
                     "(early 2024) does not say access or use; 'a portion very actively "
                     "using' and 'a long tail not using it as a first order' (2024) are "
                     "not figures."),
    Case("morgan_stanley_assistant", "Morgan Stanley, AI @ Morgan Stanley Assistant (2023-24)",
         "16,000 advisors with access (month 1)",
         "98 % of advisor teams use the tools (month 10; team adoption, unmapped)",
         reference_class="support_assistant",
         definitions="'98 % of advisor teams' = team_adoption (a team counts when any "
                     "member uses it): no individual share; the files hold the registered "
                     "advisors only.",
         unmapped=(Figure("team_adoption", 10, 0.98, None, "[S2] Overview",
                          "secondary source; month 10 (mid-2024) [A]"),)),
    Case("jpmorgan_llm_suite", "JPMorgan Chase, LLM Suite (2024-25)",
         "200,000 users onboarded in the first eight months (month 8; registered only)",
         "half of 200,000 use it every day (month 14); over 60 % of employees actively use "
         "it (month 23)",
         reference_class="office_assistant",
         definitions="month 14: 'half of them use it pretty actively every day' = "
                     "daily_active among the 200,000 with the tool, entered as used_daily "
                     "over all of them; month 23: 'more than 60% of its employees actively "
                     "use' = monthly_active [A] among about 300,000 employees, entered as "
                     "180,000 active of 250,000 registered (derived). 'A little under half "
                     "of employees use gen AI tools every single day' (secondary) is "
                     "unmapped: its denominator is all employees and all gen-AI tools.",
         unmapped=(Figure("daily_active", 21, 0.45, None, "[S5] 'What changed'",
                          "'a little under half' of all employees, any gen-AI tool; 0.45 "
                          "and month 21 [A]"),)),
    Case("moderna_chatgpt", "Moderna, mChat then ChatGPT Enterprise (2023-24)",
         "about 6,000 staff with access (month 1; registered only)",
         "4,500 actively engaged with AI tools each month (month 23)",
         reference_class="office_assistant",
         definitions="'80% internal adoption since it was launched' (mChat, April 2024) = "
                     "ever_used of about 6,000 staff: unmapped; '4,500 actively engaged with "
                     "AI tools each month' (2024 annual report) = monthly_active, entered as "
                     "4,500 of 6,000 at month 23.",
         unmapped=(Figure("ever_used", 15, 0.80, 6000, "[S1] last paragraphs",
                          "mChat's adoption since launch; the base is the 6,000 staff [A]"),)),
)
