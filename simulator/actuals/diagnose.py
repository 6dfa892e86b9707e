"""What broke: posterior vs prior of the inputs behind the four failure modes, and which
lever to pull first on this rollout's posterior.

Each input's shift is measured on the prior's rank scale: U = F_prior(x) (the empirical
CDF of the prior run, mid-ranks), whose prior mean is exactly 1/2. The posterior mean of
U minus 1/2, doubled and signed so that + means "worse than assumed", is the input's
score in [-1, 1]. A failure mode is scored by its *composite*: the one quantity through
which its inputs reach the actuals (launch accuracy, the load exponent, the adoption
index, drift), because actuals identify that combination far better than each input
alone; the component inputs are reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.layout import prepare
from ..results import SimulationResult
from ..scenario import LEVERS, Scenario
from ..simulation import run_kernel, seeds
from .condition import Posterior
from .weighted import weighted_mean, weighted_quantiles

#: Failure modes in the order of the source case, with a label and a short name.
MODES = {
    "data_quality": ("Data quality at volume", "data quality (accuracy)"),
    "integration": ("Integration under load", "integration under load (incidents)"),
    "change_management": ("Change management", "adoption (change management)"),
    "feedback": ("No feedback loop", "the missing feedback loop (drift)"),
}
#: Smallest mode score read as a real shift (besides being 2 standard errors from 0).
MIN_SCORE = 0.1

LEVER_LABELS = {"variability_testing": "Variability testing",
                "load_testing": "Load testing",
                "change_plan": "Change plan for every cohort",
                "feedback_loop": "Feedback loop"}


def mode_inputs(sc: Scenario) -> list[tuple[str, str, int, str, str]]:
    """(mode, input or derived metric, direction (+1: higher is worse), role, note).

    ``role`` is "composite" for the quantity a mode is scored by, "component" for the
    inputs shown beside it. Composites: launch accuracy (data quality), the load exponent
    (integration), the adoption index (change management; see :func:`adoption_index`),
    drift -- and the capture rate when the feedback loop is on -- (feedback). The
    change-management inputs are those of the tiers the rollout cohorts use (the
    change-plan tier when that lever is on).
    """
    lv = sc.levers
    rows = [("data_quality", "launch_accuracy", -1, "composite",
             "derived: (1 - s) a_pilot + s a_ood"),
            ("data_quality", "data.ood_share", +1, "component", ""),
            ("data_quality", "data.ood_accuracy", -1, "component", ""),
            ("integration", "integration.load_exponent", +1, "composite", ""),
            ("change_management", "adoption_index", -1, "composite",
             "derived: ceiling x Bass share adopted by the last actual month")]
    for t in _rollout_tiers(sc):
        for f in ("ceiling", "innovation_p", "imitation_q"):
            rows.append(("change_management", f"adoption.tiers.{t}.{f}", -1, "component", ""))
    fb_on = lv.feedback_loop.enabled
    rows.append(("feedback", "data.drift_per_month", +1, "composite", ""))
    rows.append(("feedback", "levers.feedback_loop.capture_rate", -1,
                 "composite" if fb_on else "component",
                 "" if fb_on else "feedback loop off: has no effect"))
    return rows


def _rollout_tiers(sc: Scenario) -> list[str]:
    lv = sc.levers
    if lv.change_plan.enabled:
        return [lv.change_plan.tier]
    return list(dict.fromkeys(c.tier for c in sc.adoption.cohorts))


def adoption_index(res: SimulationResult, month: int | None = None) -> np.ndarray:
    """Per path: the share of rollout users the tiers' ceiling and Bass curve would have
    made adopters by ``month`` (default the horizon), ignoring churn.

    Sum over rollout cohorts started by then of size x u x F(month - start + 1), over
    their total size, with the Bass share F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p)
    e^{-(p+q)t}).
    """
    sc = res.scenario
    month = res.horizon if not month else int(month)
    cp = sc.levers.change_plan
    num = np.zeros(res.n_paths)
    total = 0
    cohorts = [c for c in sc.adoption.cohorts if c.start_month <= month and c.size > 0]
    if not cohorts:
        cohorts = [c for c in sc.adoption.cohorts if c.size > 0]
        month = res.horizon
    for c in cohorts:
        tier = cp.tier if cp.enabled else c.tier
        col = f"adoption.tiers.{tier}."
        u = _values(res, col + "ceiling")
        p = np.maximum(_values(res, col + "innovation_p"), 1e-9)
        q = _values(res, col + "imitation_q")
        t = max(month - c.start_month + 1, 1) if c.start_month <= month else 0
        e = np.exp(-(p + q) * t)
        num += c.size * u * (1 - e) / (1 + (q / p) * e)
        total += c.size
    return num / total if total else num


def _values(res: SimulationResult, path: str, month: int | None = None) -> np.ndarray:
    if path in res.input_names:
        return res.inputs[:, res.input_names.index(path)]
    if path == "adoption_index":
        return adoption_index(res, month)
    return res.metric(path)


def prior_rank(prior_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Mid-rank empirical prior CDF of ``x``: (#{prior < x} + #{prior <= x}) / (2 N)."""
    s = np.sort(prior_values)
    return (np.searchsorted(s, x, "left") + np.searchsorted(s, x, "right")) / (2.0 * s.size)


@dataclass(frozen=True)
class Diagnosis:
    """Ranked failure modes (``modes``), the per-input shifts behind them (``inputs``) and
    the one-sentence reading (``sentence``)."""

    modes: pd.DataFrame
    inputs: pd.DataFrame
    sentence: str

    @property
    def top_mode(self) -> str | None:
        """The highest-scoring mode if it is worse than assumed, else None."""
        top = self.modes.iloc[0]
        return str(top["mode"]) if top["verdict"] == "worse than assumed" else None


def _verdict(score: float, se: float) -> str:
    bar = max(MIN_SCORE, 2 * se) if math.isfinite(se) else MIN_SCORE
    if score > bar:
        return "worse than assumed"
    if score < -bar:
        return "better than assumed"
    return "as assumed"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def diagnose(post: Posterior) -> Diagnosis:
    """Score the four failure modes by how far the actuals moved their inputs."""
    sc = post.prior.scenario
    w = post.weights
    month = post.actuals.last_month or None
    rows = []
    for mode, path, sign, role, note in mode_inputs(sc):
        prior_x = _values(post.prior, path, month)
        x = _values(post.sample, path, month)
        fixed = bool(np.all(prior_x == prior_x[0]))
        u = prior_rank(prior_x, x)
        mean_u, se_u = weighted_mean(u, w)
        pq = np.percentile(prior_x, [10, 50, 90])
        qq = weighted_quantiles(x, w, [0.1, 0.5, 0.9])
        rows.append({
            "mode": mode, "input": path, "role": role,
            "direction": "higher is worse" if sign > 0 else "lower is worse",
            "prior_p10": pq[0], "prior_p50": pq[1], "prior_p90": pq[2],
            "posterior_p10": qq[0], "posterior_p50": qq[1], "posterior_p90": qq[2],
            "posterior_rank": mean_u, "shift": mean_u - 0.5,
            "score": 2 * sign * (mean_u - 0.5), "score_se": 2 * se_u,
            "scored": role == "composite" and not fixed,
            "note": "fixed input" if fixed else note})
    inputs = pd.DataFrame(rows)
    mrows = []
    for mode, (label, short) in MODES.items():
        sub = inputs[(inputs["mode"] == mode) & inputs["scored"]]
        k = len(sub)
        score = float(sub["score"].mean()) if k else 0.0
        se = float(np.sqrt((sub["score_se"] ** 2).sum()) / k) if k else math.nan
        comp = inputs[(inputs["mode"] == mode) & (inputs["role"] == "component")
                      & (inputs["note"] == "")]
        pool = comp if len(comp) else sub
        top = pool.loc[pool["score"].idxmax(), "input"] if len(pool) else ""
        mrows.append({"mode": mode, "label": label, "short": short, "score": score,
                      "score_se": se, "verdict": _verdict(score, se) if k else "not scored",
                      "scored_by": ", ".join(sub["input"]), "strongest_input": top})
    modes = (pd.DataFrame(mrows).sort_values("score", ascending=False, kind="stable")
             .reset_index(drop=True))
    modes.insert(0, "rank", np.arange(1, len(modes) + 1))
    return Diagnosis(modes=modes, inputs=inputs, sentence=_sentence(post, modes))


def _sentence(post: Posterior, modes: pd.DataFrame) -> str:
    if post.is_prior:
        return "No actuals yet: the forecast is the prior one and there is nothing to diagnose."
    top = modes.iloc[0]
    if top["verdict"] != "worse than assumed":
        big = modes.iloc[int(modes["score"].abs().to_numpy().argmax())]
        return (f"Your actuals are consistent with the scenario's assumptions: none of the "
                f"four failure modes looks worse than assumed (largest shift: {big['short']}, "
                f"score {big['score']:+.2f}, {big['verdict']}).")
    others_worse = modes[(modes["verdict"] == "worse than assumed") & (modes.index > 0)]
    fine = modes[modes["verdict"] != "worse than assumed"]["short"].tolist()
    text = (f"Your actuals are most consistent with {top['short']} being the problem "
            f"(score {top['score']:+.2f}, worse than assumed)")
    text += f", not {_join(fine)}." if fine else "."
    if len(others_worse):
        text += (" Also worse than assumed: "
                 + ", ".join(f"{r['short']} ({r['score']:+.2f})"
                             for _, r in others_worse.iterrows()) + ".")
    if post.collapsed:
        text += " (Few effective paths: treat this as indicative.)"
    return text


# --------------------------------------------------------------------------- levers


def _lever_npv(run: SimulationResult, lever: str, kernel_seed: int) -> np.ndarray:
    sc = run.scenario.with_levers(**{lever: True})
    m = prepare(sc, run.inputs, run.input_names, run.horizon)
    out, _ = run_kernel(m, kernel_seed, store=False)
    return out[:, 0]


def lever_gains(post: Posterior) -> pd.DataFrame:
    """Each lever's NPV gain from switching it on, prior and posterior, best first.

    The lever variant runs on the weighted sample's own inputs and kernel seed (common
    random numbers), so path i of the variant is path i of the baseline with the lever on
    and the baseline's weight applies to it. Columns: lever, label, posterior_gain_mean,
    posterior_gain_se, prob_gain_positive, prior_gain_mean, prior_gain_se, status.
    """
    sc = post.prior.scenario
    rows = []
    base = post.metric("npv")
    prior_base = post.prior.metric("npv")
    same = post.sample is post.prior
    prior_seed = seeds(post.prior.seed)[1]
    for lever in LEVERS:
        if getattr(sc.levers, lever).enabled:
            rows.append({"lever": lever, "label": LEVER_LABELS[lever],
                         "posterior_gain_mean": math.nan, "posterior_gain_se": math.nan,
                         "prob_gain_positive": math.nan, "prior_gain_mean": math.nan,
                         "prior_gain_se": math.nan, "status": "already on"})
            continue
        d = _lever_npv(post.sample, lever, post.kernel_seed) - base
        g, g_se = weighted_mean(d, post.weights)
        p_pos = float(np.dot(post.weights, d > 0))
        dp = d if same else _lever_npv(post.prior, lever, prior_seed) - prior_base
        pg = float(dp.mean())
        pse = float(dp.std(ddof=1) / math.sqrt(dp.size)) if dp.size > 1 else math.nan
        rows.append({"lever": lever, "label": LEVER_LABELS[lever],
                     "posterior_gain_mean": g, "posterior_gain_se": g_se,
                     "prob_gain_positive": p_pos, "prior_gain_mean": pg, "prior_gain_se": pse,
                     "status": "off"})
    df = pd.DataFrame(rows)
    return df.sort_values("posterior_gain_mean", ascending=False, na_position="last",
                          kind="stable").reset_index(drop=True)


def lever_sentence(gains: pd.DataFrame, currency: str) -> str:
    """'Fix first: ...' from :func:`lever_gains`."""
    from ..charts.theme import money_label

    ok = gains[gains["status"] == "off"]
    if ok.empty:
        return "Every lever is already on."
    top = ok.iloc[0]
    text = (f"Fix first: {top['label'].lower()} -- posterior mean NPV gain "
            f"{money_label(top['posterior_gain_mean'], currency)} "
            f"(s.e. {money_label(top['posterior_gain_se'], currency)}; prior "
            f"{money_label(top['prior_gain_mean'], currency)}).")
    if len(ok) > 1:
        nxt = ok.iloc[1]
        text += (f" Next: {nxt['label'].lower()} "
                 f"({money_label(nxt['posterior_gain_mean'], currency)}).")
    return text
