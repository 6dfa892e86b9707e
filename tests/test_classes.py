"""Reference classes: provenance of every input, short scenarios, the partial-pooling fit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import simulate
from simulator.actuals import read_actuals
from simulator.cases.fit import (
    N_EFF_CAP,
    CaseData,
    Dynamics,
    extra_figures,
    fit_class,
    predict,
    registry_cases,
)
from simulator.cases.loo import figure_rows, rebase
from simulator.cases.registry import CASES
from simulator.scenario import ScenarioError, load_scenario, loads_scenario

ROOT = Path(__file__).resolve().parents[1]
SHORT = """reference_class = "support_assistant"

[scenario]
name = "Insurance service desk, 800 agents"
horizon_months = 24

[[adoption.cohorts]]
name = "Claims agents"
size = 300

[[adoption.cohorts]]
name = "Policy agents"
size = 500
start_month = 3

[economics]
hourly_cost = { dist = "pert", min = 30.0, mode = 35.0, max = 42.0 }
minutes_saved_per_task = { dist = "pert", min = 0.5, mode = 1.2, max = 2.0 }
"""
SOURCES = ("file", "default", "class:", "template:")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_short_reference_class_file_validates_runs_and_marks_inherited_inputs(tmp_path):
    assert len(SHORT.strip().splitlines()) <= 20
    f = tmp_path / "short.toml"
    f.write_text(SHORT)
    out = _cli("validate", str(f), "--inputs", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["inputs"]
    src = {r["path"]: r["source"] for r in rows}
    assert src["economics.hourly_cost"] == "file"
    assert src["adoption.tiers.rollout.ceiling"] == "class:support_assistant"
    assert src["usage.weekly_share"] == "class:support_assistant"
    assert sum(s == "file" for s in src.values()) == 2
    head = json.loads(_cli("validate", str(f), "--format", "json").stdout)
    assert (head["inputs"], head["from_file"]) == (len(rows), 2)  # one count everywhere
    assert all(set(r) >= {"path", "label", "p10", "p50", "p90", "source", "note"}
               for r in rows)
    sc = load_scenario(f)
    assert [c.tier for c in sc.adoption.cohorts] == ["rollout", "rollout"]
    res = simulate(sc, paths=200, seed=1)
    assert np.isfinite(res.summary["npv_p50"])


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("**/*.toml"))
                         + sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_validate_inputs_json_gives_every_input_a_source(path):
    sc = load_scenario(path)
    from simulator.inputs_table import inputs_table

    t = inputs_table(sc)
    assert len(t) == len(sc.all_inputs())
    assert all(s.startswith(SOURCES) for s in t["source"])
    assert (t["p10"] <= t["p50"]).all() and (t["p50"] <= t["p90"]).all()


def test_shipped_short_example_is_short_and_runs():
    f = ROOT / "examples" / "short_support_assistant.toml"
    assert len(f.read_text().splitlines()) <= 20
    out = _cli("validate", str(f), "--inputs", "--format", "json")
    assert out.returncode == 0, out.stderr
    src = {r["path"]: r["source"] for r in json.loads(out.stdout)["inputs"]}
    assert src["pilot.cost_per_month"] == "file"
    assert src["adoption.base_churn"] == "class:support_assistant"
    out = _cli("run", str(f), "--paths", "200")
    assert out.returncode == 0, out.stderr


def test_validate_inputs_cli_on_a_shipped_scenario():
    out = _cli("validate", "scenarios/seed_case.toml", "--inputs", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["inputs"]
    assert rows and all(r["source"] in ("file", "default") for r in rows)


def test_template_and_edits_and_unknown_class():
    sc = loads_scenario('template = "seed_case"\n[scenario]\nname = "Mine"\n'
                        '[economics]\nhourly_cost = 50.0\n')
    s = sc.sources()
    assert s["economics.hourly_cost"] == "file"
    assert s["pilot.accuracy"] == "template:seed_case.toml"
    edited = sc.with_values({"pilot.accuracy": 0.9})
    assert edited.sources()["pilot.accuracy"] == "file"
    assert edited.sources()["data.ood_share"] == "template:seed_case.toml"
    with pytest.raises(ScenarioError, match="reference_class: 'nope' is not a reference class"):
        loads_scenario('reference_class = "nope"\n[scenario]\nname = "x"\n')


# ------------------------------------------------------------------ the fit

MU = np.array([1.2, -1.0, 1.0, -0.3, -3.0])
TAU = np.array([0.6, 0.5, 0.7, 0.5, 0.5])
DYN = Dynamics(q=0.3, churn=0.03, ret=0.06)


def _synthetic_orgs(seed: int, n_org: int = 12) -> list[CaseData]:
    """Organisations drawn from a class with known (MU, TAU); figures with the fit's noise."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n_org):
        th = MU + TAU * rng.standard_normal(len(MU))
        c = CaseData(f"org{i}", 20, [(2000, 1)], 24,
                     [(2, "monthly", 2000, (0.0,)), (6, "monthly", 2000, (0.0,)),
                      (6, "survey", 300, (0.0, 0.0)), (6, "ever_used", 2000, (0.0,)),
                      (18, "monthly", 2000, (0.0,))])
        figs = []
        for (m, kind, n, _), g in zip(c.figures, predict(c, th[None, :], DYN), strict=True):
            if kind == "survey":
                d, w = g[0]
                k = rng.multinomial(N_EFF_CAP, [d, w, 1 - d - w]) / N_EFF_CAP
                figs.append((m, kind, n, (float(k[0]), float(k[1]))))
            else:
                figs.append((m, kind, n, (rng.binomial(N_EFF_CAP, g[0]) / N_EFF_CAP,)))
        c.figures = figs
        cases.append(c)
    return cases


def test_fit_recovers_class_mean_and_spread_from_12_synthetic_organisations():
    # the hyperprior's centre is put off the truth, so recovery comes from the data
    f = fit_class("office_assistant", _synthetic_orgs(0), DYN, prior_mu=MU + 0.5)
    z_mu = (f.mu - MU) / f.mu_se
    z_tau = (np.log(f.tau) - np.log(TAU)) / f.log_tau_se
    assert (np.abs(z_mu) <= 2).all(), z_mu
    assert (np.abs(z_tau) <= 2).all(), z_tau
    assert (f.mu_se < 0.5).all() and (f.log_tau_se < 0.7).all()  # informative, not vague


def test_fit_with_no_case_is_the_hyperprior():
    f = fit_class("support_assistant", [])
    np.testing.assert_allclose(f.mu, f.prior_mu, atol=1e-3)


@pytest.mark.parametrize("cls", sorted({c.reference_class for c in CASES}))
def test_class_prior_reproduces_its_cases_figures_in_sample(cls):
    """The class's prior for a new organisation, run through the simulator on each of its
    cases (the case's facts, everything else from the class), covers the cases' published
    figures: at least 80 % inside P10-P90 (a calibrated prior holds about 80 %, in-sample
    a little more) and none in the outer 2 % tails."""
    fit = fit_class(cls, registry_cases(cls))
    rows = []
    for case in (c for c in CASES if c.reference_class == cls):
        sc = rebase(case, fit)
        res = simulate(sc, paths=1500, seed=3)
        idx = np.arange(res.n_paths)
        rng = np.random.default_rng(5)
        for f in (case.early, case.later):
            t = read_actuals(f, sc.horizon).table
            rows += figure_rows(res, idx, t, case.active_definition, rng)
        rows += figure_rows(res, idx, t.iloc[:0], case.active_definition, rng,
                            extra_figures(case))
    assert rows, f"no published figure for class {cls}"
    inside = np.mean([r["inside"] for r in rows])
    assert inside >= 0.8, [r for r in rows if not r["inside"]]
    assert all(0.02 <= r["pit"] <= 0.98 for r in rows), rows


# ------------------------------------------------------------------ item 8 inputs


def test_pilot_cost_is_booked_in_month_0_on_common_random_numbers(seed_case):
    base = seed_case.with_values({"pilot.months": 3})
    paid = base.with_values({"pilot.cost_per_month": 10_000.0})
    a, b = simulate(base, paths=200, seed=2), simulate(paid, paths=200, seed=2)
    np.testing.assert_allclose(a.metric("npv") - b.metric("npv"), 30_000.0, rtol=1e-9)
    assert b.scenario.sources()["pilot.cost_per_month"] == "file"


def test_pilot_users_counted_once_when_a_wave_includes_them(seed_case):
    sc = seed_case.with_values({"adoption.cohorts[0].includes_pilot": True})
    a, b = simulate(seed_case, paths=50, seed=2), simulate(sc, paths=50, seed=2)
    assert a.registered[-1] - b.registered[-1] == seed_case.pilot.users
    with pytest.raises(ScenarioError, match=r"cohorts\[0\].size: 3 is below the pilot team"):
        sc.with_values({"adoption.cohorts[0].size": 3})


def test_signed_off_case_measures_the_gap(seed_case):
    sc = seed_case.with_values({"signed_off.npv": 2_500_000.0})
    s = simulate(sc, paths=300, seed=2).summary
    assert s["signed_off_gap"] == pytest.approx(2_500_000.0 - s["npv_p50"])
    assert 0.0 <= s["prob_npv_ge_signed_off"] <= 1.0
    assert "signed_off_gap" not in simulate(seed_case, paths=50, seed=2).summary


def test_mandated_tier_adopts_faster_than_the_rollout_tier():
    sc = loads_scenario(SHORT)
    m = sc.with_values({f"adoption.cohorts[{i}].tier": "mandated" for i in range(2)})
    a, b = simulate(sc, paths=300, seed=4), simulate(m, paths=300, seed=4)
    assert np.median(b.metric("active_rate_m6")) > np.median(a.metric("active_rate_m6"))


def test_leave_one_case_out_backtest_meets_its_targets(capsys):
    """`cases backtest --loo --format json`: each case forecast from its class fitted
    without it, conditioned on its early figures; calibrated forecasts put about 80 % of
    later figures inside P10-P90 with a mean PIT near 0.5."""
    from simulator.cli import main

    assert main(["cases", "backtest", "--loo", "--paths", "1000", "--format", "json"]) == 0
    r = json.loads(capsys.readouterr().out)
    figs = r["figures"]
    assert {"case", "figure", "month", "published", "p10", "p50", "p90", "pit",
            "inside"} <= set(figs[0])
    assert len({f["case"] for f in figs}) >= 8 and len(figs) >= 15
    assert r["coverage"] == pytest.approx(np.mean([f["inside"] for f in figs]))
    assert r["coverage"] >= 0.75
    assert 0.35 <= r["pit_mean"] <= 0.65
    assert all(f["p10"] <= f["p50"] <= f["p90"] and 0 <= f["pit"] <= 1 for f in figs)


def test_classes_fit_from_your_own_cases(tmp_path):
    src = ROOT / "scenarios" / "cases"
    for suffix in (".toml", "_early.csv", "_later.csv"):
        (tmp_path / f"ours{suffix}").write_text((src / f"tata1mg_deputydev{suffix}").read_text())
    out = tmp_path / "out"
    out.mkdir()
    r = _cli("classes", "fit", "--cases", str(tmp_path / "*.toml"), "--class",
             "coding_assistant", "--out", str(out), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["coding_assistant"]["cases"] == ["ours"]
    text = (out / "coding_assistant.toml").read_text()
    assert "your cases (ours.toml)" in text and 'cases = [\n    "ours",\n]' in text
    bad = _cli("classes", "fit", "--cases", str(tmp_path / "ours.toml"), "--out", str(out))
    assert bad.returncode == 2 and "reference_class: missing" in bad.stderr
