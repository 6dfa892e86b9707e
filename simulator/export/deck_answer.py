"""The deck's answer: the analyses it draws on, and the one sentence and small table that
state the business case and what to do about it.

:class:`Findings` bundles the optional analyses (levers, expectation gap, sensitivity) and
``extra_rows`` a caller adds to the answer table (a gated plan's or a value-of-information
result's headline). :func:`run_findings` computes the standard three on the result's own
paths and seed, so every number in the deck comes from the same common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import formatting as F
from ..analysis.levers import LEVER_LABELS
from ..results import SimulationResult

#: The analyses run on at most this many paths (each runs the model once per combination).
MAX_ANALYSIS_PATHS = 20_000


@dataclass(frozen=True)
class Findings:
    """Optional analyses behind the deck; any may be None (its slides are then left out)."""

    levers: Any = None  # simulator.analysis.LeverAnalysis
    gap: Any = None  # simulator.analysis.GapAnalysis
    sensitivity: Any = None  # simulator.analysis.SensitivityAnalysis
    #: (label, value, how it was computed) rows appended to the answer table
    extra_rows: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    paths: int | None = None  # paths the analyses ran on
    gates: Any = None  # simulator.analysis.GateAnalysis, when the scenario has gates


def run_findings(res: SimulationResult, *, max_paths: int = MAX_ANALYSIS_PATHS,
                 top_k: int = 8) -> Findings:
    """Lever portfolios, expectation gap and tornado of ``res.scenario`` on the result's
    seed and horizon (at most ``max_paths`` paths)."""
    from ..analysis import expectation_gap, lever_analysis, sensitivity

    sc = res.scenario
    s = res.summary
    n = max(1, min(int(s["paths"]), max_paths))
    # The result is each analysis' base run when it has their paths: not simulated again.
    kw = {"paths": n, "seed": int(s["seed"]), "horizon": res.horizon, "base": res}
    gates, rows = None, ()
    if sc.gates:  # a staged plan: the gated plan against big bang and no-go
        from ..analysis.gates import gate_analysis

        gates = gate_analysis(sc, **kw)
        g = gates.summary.iloc[0]
        cur = s["currency"]
        rows = ((
            "Staged plan: option value of the gates",
            f"{F.money(g['option_value'], cur)} (s.e. {F.money(g['option_value_se'], cur)})",
            "mean NPV, gated minus big bang, same paths (paired s.e.)"),)
    return Findings(levers=lever_analysis(sc, **kw), gap=expectation_gap(sc, **kw),
                    sensitivity=sensitivity(sc, top_k=top_k, spider_k=0, **kw), paths=n,
                    gates=gates, extra_rows=rows)


def lever_steps(levers) -> pd.DataFrame:
    """The recommended order: one row per step of the recovery path with the portfolio's
    P(NPV > 0), NPV median and what the step adds to P(NPV > 0)."""
    combos = levers.combinations.set_index("portfolio")
    rows = []
    prev = None
    for _, r in levers.path.iterrows():
        c = combos.loc[r["portfolio"]]
        prob = float(c["prob_npv_positive"])
        rows.append({"step": int(r["step"]), "lever": r["added"],
                     "label": "as planned" if r["added"] == "none" else
                     LEVER_LABELS.get(r["added"], r["added"]),
                     "portfolio": r["portfolio"], "prob_npv_positive": prob,
                     "prob_added": None if prev is None else prob - prev,
                     "npv_p50": float(c["npv_p50"]),
                     "lever_cost_mean": float(c["lever_cost_mean"])})
        prev = prob
    return pd.DataFrame(rows)


def answer_sentence(res: SimulationResult, findings: Findings | None) -> str:
    """The business case in one or two sentences: the run's verdict and, when the lever
    analysis ran, what to switch on (:mod:`simulator.verdicts`, the same text as the CLI)."""
    from ..verdicts import levers_verdict, run_verdict

    text = run_verdict(res)
    if findings is not None and findings.levers is not None:
        text += " " + levers_verdict(findings.levers, res.summary["currency"])
    return text


def answer_rows(res: SimulationResult, findings: Findings | None
                ) -> list[tuple[str, str, str]]:
    """The answer table: (what, value, how it was computed)."""
    s = res.summary
    cur = s["currency"]
    n = f"{s['paths']:,} paths"
    rows = [
        ("P(NPV > 0)", F.pct(s["prob_npv_positive"]),
         f"share of {n} with NPV above zero (± {F.pp(s['prob_npv_positive_se'])} MC s.e.)"
         if 0 < s["prob_npv_positive"] < 1 else
         f"{'every one' if s['prob_npv_positive'] >= 1 else 'none'} of {n}: saturated, "
         "see the answer for what is fixed"),
        ("NPV range (P10 / P50 / P90)",
         " / ".join(F.money_row([s["npv_p10"], s["npv_p50"], s["npv_p90"]], cur)),
         f"percentiles of NPV over {n}"),
        ("Expectation gap", F.money(s["expectation_gap"], cur),
         f"pilot-lens NPV {F.money(s['pilot_lens_npv'], cur)} minus production P50"),
    ]
    if "signed_off_gap" in s:
        rows.append(("Gap to your signed-off case", F.money(s["signed_off_gap"], cur),
                     f"signed-off NPV {F.money(s['signed_off_npv'], cur)} minus production "
                     f"P50; P(NPV >= it) {F.pct(s['prob_npv_ge_signed_off'])}"))
    own = sum(v == "file" for v in res.scenario.sources().values())
    total = len(res.scenario.sources())
    rows.append(("Inputs that are your own", f"{own} of {total}",
                 "the rest inherited: reference class, template or default (Source column "
                 "of the assumptions)"))
    if findings is not None and findings.levers is not None:
        steps = lever_steps(findings.levers)
        prev_p50 = float(steps["npv_p50"].iloc[0])
        for _, r in steps.iloc[1:].iterrows():
            p = r["prob_npv_positive"]
            # a saturated probability (0 % or 100 % before and after) says nothing: show
            # what the step does to the median instead
            if abs(r["prob_added"]) >= 0.005:
                value = (f"P(NPV > 0) {F.pct(p)} ({'+' if r['prob_added'] >= 0 else '-'}"
                         f"{F.pp(abs(r['prob_added']), 0)})")
            else:
                value = f"NPV P50 {F.money_delta(r['npv_p50'] - prev_p50, cur)}"
            rows.append((f"Step {r['step']}: + {r['label']}", value,
                         f"NPV P50 {F.money(r['npv_p50'], cur)} with these levers on"))
            prev_p50 = float(r["npv_p50"])
    if findings is not None:
        rows += list(findings.extra_rows)
    return rows


__all__ = ["MAX_ANALYSIS_PATHS", "Findings", "answer_rows", "answer_sentence", "lever_steps",
           "run_findings"]
