"""One sentence a CFO can act on, for every analysis: the same text in the CLI, the app,
the deck and JSON (the ``"verdict"`` key).

Each function reads an analysis result (nothing is re-simulated) and returns one or two
sentences that say what to do and why, in the scenario's currency and in plain words
(lever and input names from :mod:`simulator.labels`). Saturated figures (a probability of
0 % or 100 %) say what makes them so instead of repeating the number. Sits above the
analyses it reads (analysis, gates, value of information) and below the CLI, the deck and
the app, which all call it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from . import formatting as F
from .labels import field_meta, input_label, label
from .scenario import LEVER_LABELS, LEVERS, Scenario

#: A value of information below this share of the decisions' stakes (the largest mean
#: |NPV| among them) is not worth a study: no survey or pilot extension costs less.
MATERIAL_SHARE = 0.01
#: An effect is called real when it is more than this many standard errors from zero.
Z = 2.0


def _money(x: float, cur: str) -> str:
    return F.money(x, cur)


def lever_names(levers: Sequence[str]) -> str:
    """``("change_plan", "feedback_loop")`` -> ``change plan and feedback loop``."""
    names = [LEVER_LABELS.get(lv, lv.replace("_", " ")).lower()
             for lv in LEVERS if lv in levers] + [lv.replace("_", " ") for lv in levers
                                                  if lv not in LEVERS]
    if not names:
        return "no lever"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def portfolio_name(row: Any) -> str:
    """A lever portfolio spelled out from a combinations row's per-lever booleans."""
    on = [lv for lv in LEVERS if bool(row.get(lv, False))]
    if not on:
        return "No levers"
    text = " + ".join(LEVER_LABELS.get(lv, lv) for lv in on)
    return text


def spell_levers(text: str) -> str:
    """Lever abbreviations in a decision or portfolio name spelled out:
    ``go with VT + CP`` -> ``go with variability testing + change plan``."""
    from .analysis.variants import LEVER_SHORT

    for lv, short in LEVER_SHORT.items():
        text = re.sub(rf"\b{re.escape(short)}\b",
                      LEVER_LABELS.get(lv, lv.replace("_", " ")).lower(), text)
    return text


def _input_name(path: str, cur: str) -> str:
    try:
        text = input_label(path, cur, unit=False)
    except (KeyError, ValueError):
        text = label(path, cur)
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


# --------------------------------------------------------------------------- run


def fixed_money_inputs(sc: Scenario) -> list[str]:
    """Money inputs (costs, prices) entered as single numbers: no risk is in them."""
    out = []
    for path, dist in sc.inputs().items():
        try:
            kind = field_meta(path).kind
        except KeyError:
            continue
        if dist.is_fixed and kind == "money" and float(dist.params[0]) != 0.0:
            out.append((float(dist.params[0]), path))
    return [p for _, p in sorted(out, key=lambda t: -abs(t[0]))]


def saturation_reason(sc: Scenario, prob: float, npv_p5: float, cur: str) -> str:
    """Why P(NPV > 0) is 0 % or 100 %: the margin on the worst (or best) paths and the
    costs that were entered as fixed numbers."""
    fixed = fixed_money_inputs(sc)
    fixed_text = (f"; {len(fixed)} money inputs were entered as fixed numbers (e.g. "
                  f"{_input_name(fixed[0], cur)}), so no risk is modelled in them"
                  if fixed else "")
    if prob >= 1.0:
        return (f"no simulated combination of the inputs' ranges turns the NPV negative "
                f"(even the P5 is {_money(npv_p5, cur)}){fixed_text}; widen a range you "
                "doubt before reading this as certainty")
    return (f"no simulated combination of the inputs' ranges makes the NPV positive"
            f"{fixed_text}; the case fails whatever the uncertain inputs turn out to be")


def run_verdict(res: Any) -> str:
    """Go / no-go in one sentence from a simulation result's summary."""
    s = res.summary
    cur = s["currency"]
    p = float(s["prob_npv_positive"])
    rng = (f"NPV P10 {_money(s['npv_p10'], cur)}, P50 {_money(s['npv_p50'], cur)}, "
           f"P90 {_money(s['npv_p90'], cur)}")
    gap = s.get("expectation_gap", math.nan)
    gap_text = "" if F.missing(gap) or gap <= 0 else (
        f" The signed-off pilot case is {_money(gap, cur)} above the realistic median.")
    if p >= 1.0 or p <= 0.0:
        head = ("Approve: the case pays back on every simulated path" if p >= 1.0
                else "Do not approve as written: no simulated path pays back")
        return (f"{head} ({rng}): "
                f"{saturation_reason(res.scenario, p, s['npv_p5'], cur)}.{gap_text}")
    if p >= 0.8:
        head = f"Approve: a {F.pct(p)} chance of a positive NPV"
    elif p >= 0.5:
        head = (f"Approve only with a plan for the downside: a {F.pct(p)} chance of a "
                "positive NPV")
    else:
        head = (f"Do not approve as written: only a {F.pct(p)} chance of a positive NPV; "
                "see the levers")
    return f"{head} ({rng}).{gap_text}"


# --------------------------------------------------------------------------- gap


def gap_verdict(g: Any) -> str:
    """What the expectation gap is and which failure mode to fix first."""
    s = g.summary.iloc[0]
    cur = s["currency"]
    gap = float(s["gap"])
    se = float(s["gap_se"])
    stat = "median" if s["stat"] == "p50" else "mean"
    if gap <= 0 or (not math.isnan(se) and gap <= Z * se):
        return (f"No material expectation gap: the realistic {stat} NPV "
                f"({_money(s['production_stat'], cur)}) is as good as the signed-off pilot "
                f"case ({_money(s['pilot_lens_npv'], cur)}); plan on the pilot's numbers.")
    modes = g.attribution[~g.attribution["mode"].isin(["interaction", "total"])]
    modes = modes.sort_values("shapley", ascending=False)
    top = modes.iloc[0]
    text = (f"The signed-off pilot case overstates the {stat} NPV by {_money(gap, cur)}; "
            f"{top['label'].lower()} explains {F.pct(top['shapley'] / gap)} of it")
    if len(modes) > 1 and modes.iloc[1]["shapley"] > 0:
        nxt = modes.iloc[1]
        text += f", {nxt['label'].lower()} {F.pct(nxt['shapley'] / gap)}"
    return text + f". Fix {top['label'].lower()} first."


# --------------------------------------------------------------------------- levers


def levers_verdict(la: Any, currency: str) -> str:
    """Which levers to buy, in which order, and what that does to the NPV."""
    combos = la.combinations
    none = combos[combos["n_levers"] == 0].iloc[0]
    path = la.path
    best = la.best.iloc[0]
    key = {"p50": "npv_p50", "p10": "npv_p10", "prob": "prob_npv_positive"}[la.criterion]
    if len(path) <= 1 or best["n_levers"] == 0:
        return (f"Buy no lever: none raises the {_crit(la.criterion)} above "
                f"{_value(none[key], key, currency)} as planned"
                + (" within the budget." if la.budget is not None else "."))
    order = [LEVER_LABELS.get(a, a).lower() for a in path["added"].iloc[1:]]
    last = combos[combos["portfolio"] == path["portfolio"].iloc[-1]].iloc[0]
    text = (f"Switch on {', then '.join(order)}: the {_crit(la.criterion)} goes from "
            f"{_value(none[key], key, currency)} to {_value(last[key], key, currency)}")
    p0, p1 = float(none["prob_npv_positive"]), float(last["prob_npv_positive"])
    if key != "prob_npv_positive" and abs(p1 - p0) >= 0.005:
        text += f" and P(NPV > 0) from {F.pct(p0)} to {F.pct(p1)}"
    text += f" for {_money(last['lever_cost_mean'], currency)} of lever cost"
    losers = [LEVER_LABELS.get(r["lever"], r["lever"]).lower()
              for _, r in la.marginal.iterrows()
              if r["marginal_npv_mean"] + Z * r["marginal_npv_se"] < 0]
    if losers:
        verb = "they add" if len(losers) > 1 else "it adds"
        text += f"; {' and '.join(losers)} cost more than {verb}"
    return text + "."


def _crit(criterion: str) -> str:
    return {"p50": "NPV median", "p10": "NPV P10 (downside)",
            "prob": "chance of a positive NPV"}[
        criterion]


def _value(x: float, key: str, cur: str) -> str:
    return F.pct(x) if key == "prob_npv_positive" else _money(x, cur)


# --------------------------------------------------------------------------- sensitivity


def sensitivity_verdict(sa: Any) -> str:
    """Which inputs to pin down before committing."""
    cur = sa.currency
    if sa.tornado.empty and sa.spearman.empty:
        return ("No input is uncertain as configured: the NPV range is chance alone; there "
                "is nothing to pin down before committing.")
    if not sa.tornado.empty:
        t = sa.tornado.sort_values("swing", ascending=False)
        names = [_input_name(p, cur) for p in t["input"].head(2)]
        top = t.iloc[0]
        return (f"Pin down {' and '.join(names)} before committing: between its P10 and P90, "
                f"{names[0]} alone moves the NPV median by {_money(top['swing'], cur)}.")
    names = [_input_name(p, cur) for p in sa.spearman["input"].head(2)]
    return f"Pin down {' and '.join(names)} before committing: they move the NPV most."


# --------------------------------------------------------------------------- breakeven


def breakeven_verdict(r: pd.DataFrame, currency: str) -> str:
    """What must be true, and how likely it already is."""
    row = r.iloc[0]
    name = _input_name(row["input"], currency)
    kind = "money" if "currency" in str(field_unit(row["input"])) else "number"

    def v(x: float) -> str:
        return F.value(x, kind, currency) if kind == "money" else F.number(x)

    if row["status"] == "solved":
        side = "at least" if row["direction"] == "increasing" else "at most"
        p = row["prob_input_on_good_side"]
        odds = "" if F.missing(p) else f"; the chance it already is: {F.pct(p)}"
        act = ("comfortable" if not F.missing(p) and p >= 0.8 else
               "measure it before committing")
        return (f"{row['target']} needs {name} {side} {v(row['value'])} (today's median "
                f"{v(row['input_p50'])}{odds}): {act}.")
    if row["status"].startswith("not reachable"):
        return (f"No value of {name} between {v(row['lo'])} and {v(row['hi'])} reaches "
                f"{row['target']}: this input alone cannot rescue the case.")
    return (f"{row['target']} holds whatever {name} is between {v(row['lo'])} and "
            f"{v(row['hi'])}: it does not need watching for this target.")


def field_unit(path: str) -> str:
    try:
        return field_meta(path).unit
    except KeyError:
        return ""


# --------------------------------------------------------------------------- gates


def gates_verdict(ga: Any, search: Any = None) -> str:
    """Keep the gate, change it or drop it: the gated plan against rolling out as planned."""
    s = ga.summary.iloc[0]
    cur = s["currency"]
    ov, se = float(s["option_value"]), float(s["option_value_se"])
    gates = ga.gates
    passed = ", ".join(f"{r['gate']} passes on {F.pct(r['prob_pass'])} of paths"
                       for _, r in gates.iterrows())
    if ov > Z * se:
        text = (f"Keep the gate: it adds {_money(ov, cur)} (s.e. {_money(se, cur)}, paired) "
                f"to the mean NPV against rolling out as planned ({passed}).")
    elif ov < -Z * se:
        text = (f"Do not gate this way: the gate loses {_money(-ov, cur)} (s.e. "
                f"{_money(se, cur)}, paired) against rolling out as planned ({passed}; "
                f"later waves held {s['months_held_mean']:.1f} months on average); try "
                "`gates --design`.")
    else:
        text = (f"The gate makes no measurable difference ({_money(ov, cur)}, s.e. "
                f"{_money(se, cur)}, paired; {passed}): keep it only for its control value.")
    if search is not None:
        b = search.best.iloc[0]
        where = ", ".join(f"{a.split('.', 1)[-1].replace('_', ' ')} = {b[a]:g}"
                          for a in search.axes)
        bov, bse = float(b["option_value"]), float(b["option_value_se"])
        if bov > Z * bse:
            text += (f" Best threshold searched: {where}, adding {_money(bov, cur)} (s.e. "
                     f"{_money(bse, cur)}).")
        else:
            text += (f" No threshold searched beats rolling out as planned (best: {where}, "
                     f"{_money(bov, cur)}, s.e. {_money(bse, cur)}): do not gate on this "
                     "criterion.")
    return text


def design_verdict(d: Any) -> str:
    """Name the best gate design with its held-out paired s.e., or say "do not gate"."""
    cur = d.currency
    b = d.best
    crit = str(b["criterion"]).removeprefix("min_").removeprefix("max_").replace("_", " ")
    sign = "below" if str(b["criterion"]).startswith("min_") else "above"
    thr = F.pct(b["threshold"]) if "rate" in crit or "accuracy" in crit else \
        F.number(b["threshold"])
    design = (f"at the end of month {b['month']}, {b['design']} when the {crit} is {sign} "
              f"{thr}")
    gain = (f"{_money(b['gain_held_out'], cur)} (s.e. {_money(b['gain_held_out_se'], cur)}, "
            f"paired, on paths not used to choose it among {b['designs_compared']} designs)")
    if d.gate_worth_it:
        text = f"Gate {design}: it adds {gain} to the mean NPV against rolling out as planned."
        if b["prob_fail"] >= 0.95:
            when = (f"switch on {b['design'].removeprefix('switch on ')} from month "
                    f"{b['month'] + 1}" if b["action"] == "switch_levers" else
                    f"{b['design']} after month {b['month']}")
            text += (f" The review fails on {F.pct(b['prob_fail'])} of paths, so this is in "
                     f"effect a plan to {when} whatever the review shows.")
        return text
    return (f"Do not gate: no design beats rolling out as planned (the best, {design}, "
            f"changes the mean NPV by {gain}).")


# --------------------------------------------------------------------------- voi


def voi_threshold(v: Any) -> float:
    """Materiality threshold of a value of information: MATERIAL_SHARE of the largest
    mean |NPV| among the decisions compared (the stakes of the choice)."""
    stakes = float(v.decisions["npv_mean"].abs().max()) if len(v.decisions) else 0.0
    return MATERIAL_SHARE * stakes


def voi_material(v: Any) -> bool:
    """True when EVPI is both clearly above zero (Z s.e.) and above the threshold."""
    return bool(v.evpi > Z * v.evpi_se and v.evpi >= voi_threshold(v))


def voi_verdict(v: Any) -> str:
    """What is worth learning before deciding, or that nothing is and why."""
    cur = v.currency
    d = v.decisions
    best = d[d["decision"] == v.best_decision].iloc[0]
    prob_best = float(best.get("prob_best", math.nan))
    if not voi_material(v):
        if not F.missing(prob_best) and prob_best >= 0.995:
            where = ("every simulated path" if prob_best >= 1 else
                     f"{F.pct(prob_best, 1)} of the simulated paths")
            why = (f"'{spell_levers(v.best_decision)}' is the best decision on {where}, so "
                   "no study could change the choice")
        else:
            why = (f"perfect information is worth {_money(v.evpi, cur)} (s.e. "
                   f"{_money(v.evpi_se, cur)}), below the {_money(voi_threshold(v), cur)} "
                   f"materiality threshold ({F.pct(MATERIAL_SHARE)} of the stakes)")
        return (f"Nothing is worth learning before deciding: {why}. Decide now: "
                f"{spell_levers(v.best_decision)}.")
    groups = v.evppi[v.evppi["kind"] == "group"].sort_values("value", ascending=False)
    text = (f"Learning is worth up to {_money(v.evpi, cur)} (s.e. {_money(v.evpi_se, cur)}) "
            f"before choosing '{spell_levers(v.best_decision)}'")
    if len(groups) and groups.iloc[0]["value"] > 0:
        g = groups.iloc[0]
        text += (f"; {g['input']} matters most ({_money(g['value'], cur)}, "
                 f"{F.pct(g['value'] / v.evpi)} of it)")
    studies = v.evsi[v.evsi["value"] > Z * v.evsi["se"]].sort_values("value",
                                                                       ascending=False)
    if len(studies):
        st = studies.iloc[0]
        text += (f". Run {st['study']} if it costs less than {_money(st['value'], cur)}")
    else:
        text += ". None of the pilot extensions priced is clearly worth running"
    return text + "."


# --------------------------------------------------------------------------- sweep


def sweep_verdict(frame: pd.DataFrame, vary: Sequence[str], metric: str,
                  currency: str = "USD") -> str:
    """Which point of a sweep is best on ``metric`` and how much the inputs varied move it."""
    if frame.empty or metric not in frame:
        return "The sweep produced no points to compare."
    col = frame[metric]
    best = frame.loc[col.idxmax()]
    worst = frame.loc[col.idxmin()]
    kind = "share" if metric.startswith("prob") else "money"
    where = ", ".join(f"{_input_name(p, currency)} = {F.number(best[p])}" for p in vary
                      if p in frame)
    what = label(metric, currency)
    spread = F.value(float(col.max() - col.min()), kind, currency) if kind == "money" else \
        F.pp(float(col.max() - col.min()))
    return (f"Best {what}: {F.value(best[metric], kind, currency)} at {where} (worst "
            f"{F.value(worst[metric], kind, currency)}); the inputs swept move it by "
            f"{spread}.")


__all__ = ["MATERIAL_SHARE", "Z", "breakeven_verdict", "design_verdict", "fixed_money_inputs",
           "gap_verdict", "gates_verdict", "lever_names", "levers_verdict", "portfolio_name",
           "run_verdict", "saturation_reason", "sensitivity_verdict", "spell_levers",
           "sweep_verdict", "voi_material", "voi_threshold", "voi_verdict"]
