"""The public cases in scenarios/cases/ and their back-tests (run at small size here)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.actuals import (
    ObservationModel,
    condition,
    read_actuals,
    reads_actuals,
)
from simulator.actuals.usage import draw_usage
from simulator.cases import CASES, CASES_DIR, DEFINITIONS, REFERENCE_CLASSES, Case, Figure
from simulator.cases.backtest import (
    BEGIN,
    END,
    _predictive,
    backtest_all,
    markdown_table,
    write_docs,
)
from simulator.engine.layout import TR_ACTIVE

DOCS = CASES_DIR.parents[1] / "docs" / "cases.md"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_case_files_validate_and_cite_their_figures(case):
    sc = load_scenario(case.scenario)
    early = read_actuals(case.early, sc.horizon)
    later = read_actuals(case.later, sc.horizon)
    assert later.n_observations >= 1 and not early.is_empty
    text = case.scenario.read_text()
    sources = re.findall(r"^# \[S\d\].*$", text, re.M)
    assert sources, "no [S] source lines"
    assert len(re.findall(r"https?://\S+", text)) >= len(sources)
    # every tag used in a value comment is defined in the header
    used = set(re.findall(r"\[(S\d)\]", text))
    defined = set(re.findall(r"^# \[(S\d)\]", text, re.M))
    assert used <= defined
    # every figure the actuals columns cannot express cites a source the file defines
    for f in case.unmapped:
        assert set(re.findall(r"\[(S\d)\]", f.source)) <= defined, f
        assert f.definition in DEFINITIONS


def test_the_library_spans_the_reference_classes():
    """At least 8 public rollouts in at least 3 classes, every case in a known class, each
    class with at least one case whose later file holds a figure to forecast."""
    assert len(CASES) >= 8 and len({c.key for c in CASES}) == len(CASES)
    assert {c.reference_class for c in CASES} == set(REFERENCE_CLASSES)
    assert all(c.definitions for c in CASES), "every case says what its figures count"
    with pytest.raises(ValueError, match="reference_class"):
        Case("x", "x", "x", "x", reference_class="chatbot")
    with pytest.raises(ValueError, match="active_definition"):
        Case("x", "x", "x", "x", reference_class="office_assistant",
             active_definition="sometimes")
    with pytest.raises(ValueError, match="unmapped figure"):
        Case("x", "x", "x", "x", reference_class="office_assistant",
             unmapped=(Figure("monthly", 3, 0.5, 10, "[S1]"),))


def test_backtests_run_and_the_docs_table_is_current_in_shape():
    df = backtest_all(paths=1_500, seed=3, draws=3_000)
    # every case whose later file holds a forecastable figure (an active share, a usage
    # survey or an accuracy) has its rows; registered-only later files have none
    forecastable = set()
    for c in CASES:
        t = read_actuals(c.later, load_scenario(c.scenario).horizon).table
        if t[["active_users", "survey_n", "accuracy"]].notna().to_numpy().any():
            forecastable.add(c.key)
    assert set(df["case"]) == forecastable
    assert (df["p10"] <= df["p50"]).all() and (df["p50"] <= df["p90"]).all()
    assert (df["inside"] == ((df["p10"] <= df["published"])
                             & (df["published"] <= df["p90"]))).all()
    table = markdown_table(df, 1_500, 3)
    for c in CASES:
        assert (c.title in table) == (c.key in forecastable)
    docs = DOCS.read_text()
    assert BEGIN in docs and END in docs
    # the committed docs table lists the same figures
    assert docs.count("| yes |") + docs.count("| **no** |") == len(df)


def test_write_docs_replaces_only_the_marked_table(tmp_path):
    p = tmp_path / "cases.md"
    p.write_text(f"intro\n{BEGIN}\nold\n{END}\noutro\n")
    write_docs(p, "new table")
    assert p.read_text() == f"intro\n{BEGIN}\nnew table\n{END}\noutro\n"
    q = tmp_path / "none.md"
    q.write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        write_docs(q, "x")
    assert q.read_text() == "no markers\n"


def test_backtest_forecast_bands_are_calibrated(seed_case):
    """Truths drawn from the prior: condition on months 1-3 of active users, forecast a
    month-6 usage survey drawn from the truth. The later figure falls in the predictive
    P10-P90 about 80 % of the time (3 binomial s.e. over 2 figures x 30 truths)."""
    obs = ObservationModel()
    prior = simulate(seed_case, paths=1_500, seed=7)
    truths = simulate(seed_case, paths=30, seed=99)
    rng = np.random.default_rng(2)
    hits = []
    for j in range(truths.n_paths):
        act = truths.trajectories[TR_ACTIVE, 1:4, j]
        reg = truths.registered[1:4]
        mu = np.clip(act / reg, 1e-9, 1 - 1e-9)
        rho = obs.active_overdispersion
        noisy = rng.binomial(reg.astype(int), rng.beta(mu * (1 - rho) / rho,
                                                       (1 - mu) * (1 - rho) / rho))
        early = reads_actuals("month,registered,active_users\n" + "".join(
            f"{m},{int(r)},{int(a)}\n" for m, r, a in zip(range(1, 4), reg, noisy,
                                                          strict=True)))
        rate = truths.trajectories[TR_ACTIVE, 6, j:j + 1] / truths.registered[6]
        d, w = draw_usage(rate, 120, obs.frequency_mix, obs.frequency_concentration, rho, rng)
        later = reads_actuals(f"month,survey_n,used_daily,used_weekly\n6,120,{d[0]:.6f},"
                              f"{w[0]:.6f}\n")
        post = condition(prior, early, obs=obs)
        rows = _predictive(post, later, seed=j, draws=4_000)
        hits += [r["inside"] for r in rows]
    rate = float(np.mean(hits))
    assert abs(rate - 0.8) <= 3 * math.sqrt(0.16 / len(hits)), rate
