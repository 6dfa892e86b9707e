"""Server-side size limits on what the app will simulate: cohorts, tiers, paths, horizon × paths.

The widgets already cap what a browser can ask for, but session state, uploads and URLs can
carry anything, so the app checks every scenario here before it runs it and refuses one over
a limit with one line per problem (:class:`~simulator.scenario.ScenarioError`). The memory
estimate of a run sits behind :func:`budget_problems`, one place to wire a shared budget
check into.
"""

from __future__ import annotations

from ..budget import check_run_budget
from ..scenario import Scenario, ScenarioError
from .session import MAX_PATHS, MAX_UPLOAD_BYTES, MIN_PATHS

#: Most onboarding cohorts (rollout waves) one scenario may have in the app.
MAX_COHORTS = 24
#: Most onboarding tiers one scenario may define in the app.
MAX_TIERS = 12
#: Most simulated path-months per run (paths × horizon months): 200,000 paths over 36 months,
#: or 60,000 over the longest horizon (120 months).
MAX_PATH_MONTHS = 7_200_000
#: Largest uploaded scenario file, in bytes (also ``server.maxUploadSize`` in config.toml).
MAX_UPLOAD = MAX_UPLOAD_BYTES


def complexity_problems(sc: Scenario, paths: int) -> list[str]:
    """One line per limit that ``sc`` run on ``paths`` paths breaks (empty when it fits)."""
    problems: list[str] = []
    n_cohorts = len(sc.adoption.cohorts)
    if n_cohorts > MAX_COHORTS:
        problems.append(f"adoption.cohorts: {n_cohorts} cohorts; the app allows at most "
                        f"{MAX_COHORTS}")
    n_tiers = len(sc.adoption.tiers)
    if n_tiers > MAX_TIERS:
        problems.append(f"adoption.tiers: {n_tiers} tiers; the app allows at most {MAX_TIERS}")
    if not MIN_PATHS <= paths <= MAX_PATHS:
        problems.append(f"paths: {paths:,} is outside {MIN_PATHS:,} to {MAX_PATHS:,}")
    horizon = sc.scenario.horizon_months
    if paths * horizon > MAX_PATH_MONTHS:
        problems.append(
            f"paths × scenario.horizon_months: {paths:,} × {horizon} = {paths * horizon:,} "
            f"path-months; the app allows at most {MAX_PATH_MONTHS:,} (at {horizon} months, "
            f"at most {MAX_PATH_MONTHS // horizon:,} paths)")
    return problems


def budget_problems(sc: Scenario, paths: int) -> list[str]:
    """The run's estimated memory against the server's budget (``simulator.budget``,
    ``ROLLOUT_SIM_MEMORY_BUDGET_MB``), one line per problem."""
    try:
        check_run_budget(sc, paths, sc.horizon, bands=True)
    except ScenarioError as exc:
        return list(exc.problems)
    return []


def check_run(sc: Scenario, paths: int) -> None:
    """Raise :class:`ScenarioError` (one line per problem) when the app must not run this."""
    problems = complexity_problems(sc, paths) + budget_problems(sc, paths)
    if problems:
        raise ScenarioError(problems, sc.name)


__all__ = ["MAX_COHORTS", "MAX_PATH_MONTHS", "MAX_TIERS", "MAX_UPLOAD", "budget_problems",
           "check_run", "complexity_problems"]
