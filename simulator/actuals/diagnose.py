"""What broke: how sure the actuals make us that each failure mode is worse than assumed,
which modes the actuals cannot tell apart, and which lever to pull first on this posterior.

Each diagnosed quantity is placed on its prior's rank scale, U = F_prior(x) (the empirical
CDF of the prior run, mid-ranks), oriented so that a high rank is the bad side. A failure
mode is judged by its *composite*: the one quantity through which its inputs reach the
actuals (launch accuracy, the load exponent, the adoption index, drift), because actuals
identify that combination far better than each input alone. The verdict is the posterior
probability that the composite lies past the prior's median by :data:`MARGIN` on the bad
side, called "worse than assumed" from :data:`THRESHOLD` on (a level the calibration study,
:mod:`simulator.actuals.calibration_study`, shows keeps false alarms at or below 10 %).
Modes whose composites are negatively correlated under the posterior explain the same
observations; when together but not singly they are likely worse, the diagnosis says it
cannot tell them apart and names the observation that would.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..labels import input_label
from ..results import SimulationResult
from ..scenario import MODE_SPECS, Scenario
from .condition import Posterior, ess_inflation
from .weighted import weighted_mean, weighted_quantiles

#: Failure modes in the order of the source case, with a label and a short name.
MODES = {m.key: (m.label, m.short) for m in MODE_SPECS}
#: "Worse than assumed" means past the prior's median by this much on its rank scale: the
#: composite lies beyond the prior's 70th percentile on the bad side.
MARGIN = 0.2
#: Posterior probability from which a mode is called worse (or better) than assumed; set
#: from the calibration study so that healthy rollouts raise at most 10 % false alarms.
THRESHOLD = 0.75
#: Posterior correlation of two modes' composite ranks at or below which the two explain
#: the same observations (one being worse makes the other less needed: explaining away).
CONFOUNDED_CORR = -0.3
#: Weights below this share of the largest are left out of the diagnosis' sums.
NEGLIGIBLE_WEIGHT = 1e-15
#: What each mode's composite is, for sentences.
COMPOSITE_WORDS = {m.key: m.composite for m in MODE_SPECS}


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
    return _rank_in_sorted(np.sort(prior_values), x)


def _rank_in_sorted(s: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (np.searchsorted(s, x, "left") + np.searchsorted(s, x, "right")) / (2.0 * s.size)


_PRIOR_CACHE: dict[tuple[int, str, int | None], tuple] = {}


def _prior_side(prior: SimulationResult, path: str, month: int | None,
                ) -> tuple[np.ndarray, np.ndarray]:
    """(sorted values, each prior path's mid-rank) of one quantity of the prior run, kept
    while the run lives: repeated diagnoses against one prior (the app's reruns, the
    calibration study) sort it once."""
    key = (id(prior), path, month)
    hit = _PRIOR_CACHE.get(key)
    if hit is not None and hit[0]() is prior:
        return hit[1], hit[2]
    for k in [k for k, v in _PRIOR_CACHE.items() if v[0]() is None]:
        del _PRIOR_CACHE[k]
    x = _values(prior, path, month)
    s = np.sort(x)
    ranks = _rank_in_sorted(s, x)
    _PRIOR_CACHE[key] = (weakref.ref(prior), s, ranks)
    return s, ranks


#: A mode's name inside a sentence ("change management likely worse than assumed").
MODE_NOUNS = {m.key: m.noun for m in MODE_SPECS}
#: The observation that speaks to one mode directly: (actuals column, wording when the
#: column is absent, wording when it is there and more of it would help).
DIRECT_OBSERVATION = {m.key: (m.observation, *m.observation_words) for m in MODE_SPECS}
_LEVEL_VS_TREND = ("accuracy", "accuracy spot checks early and late in the rollout (launch "
                               "level vs monthly trend)",
                   "accuracy spot checks over more months (launch level vs monthly trend)")
VERDICTS = ("worse than assumed", "inconclusive", "no clear shift", "better than assumed",
            "not scored")
PAIR_COLUMNS = ["mode_a", "mode_b", "correlation", "prob_a_worse", "prob_b_worse",
                "prob_either_worse", "status", "separating_observation", "vsi"]


@dataclass(frozen=True)
class Diagnosis:
    """The failure modes ranked by the posterior probability that each is worse than
    assumed (``modes``), the per-input shifts behind them (``inputs``), the pairs of modes
    that explain the same observations (``confounded``), the posterior correlation of the
    modes' composite ranks (``correlation``) and the reading in words (``sentence``).

    ``confounded`` has a ``vsi`` column left empty for the value of sample information of
    the separating observation (to be linked when that analysis lands).
    """

    modes: pd.DataFrame
    inputs: pd.DataFrame
    sentence: str
    confounded: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PAIR_COLUMNS))
    correlation: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plain_modes(self) -> pd.DataFrame:
        """The mode table as a reader sees it: readable headers, failure modes and inputs
        by their labels, no column keys (the CLI's text report and the app's table)."""
        m = self.modes
        labels = {k: v[0] for k, v in MODES.items()}

        def names(keys: str) -> str:
            return ", ".join(labels.get(k.strip(), k.strip()) for k in keys.split(",")
                             if k.strip())

        return pd.DataFrame({
            "Rank": m["rank"],
            "Failure mode": m["label"],
            "P(worse than assumed)": m["prob_worse"],
            "s.e.": m["prob_worse_se"],
            "P(worse) before the actuals": m["prior_prob_worse"],
            "Verdict": m["verdict"],
            "Cannot be told apart from": [names(k) for k in m["confounded_with"]],
            "Strongest input": [input_label(k, unit=False) if k else ""
                                for k in m["strongest_input"]],
        })

    @property
    def worse(self) -> list[str]:
        """Modes called worse than assumed, most probable first."""
        return self.modes.loc[self.modes["verdict"] == "worse than assumed", "mode"].tolist()

    @property
    def top_mode(self) -> str | None:
        """The most probable mode called worse than assumed, else None (also when the
        actuals point to a pair of modes they cannot tell apart)."""
        w = self.worse
        return w[0] if w else None

    @property
    def inconclusive(self) -> list[tuple[str, str]]:
        """Pairs of modes one of which is likely worse, the actuals cannot tell which."""
        c = self.confounded
        sub = c[c["status"] == "inconclusive"]
        return list(zip(sub["mode_a"], sub["mode_b"], strict=True))

    @property
    def alarm(self) -> bool:
        """True when the diagnosis says something is worse (named or as an either-or)."""
        return bool(self.worse) or bool(self.inconclusive)

    @property
    def status(self) -> str:
        """"worse" (a mode is named), "inconclusive" (only either-or pairs) or "clear"."""
        if self.worse:
            return "worse"
        return "inconclusive" if self.inconclusive else "clear"


def _join(words: list[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _wsum(w: np.ndarray, x: np.ndarray) -> float:
    """sum w x without BLAS (whose threads stall on a busy machine for 1-D sums)."""
    return float(np.multiply(w, x).sum())


def _wcorr(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    ma, mb = _wsum(w, a), _wsum(w, b)
    va, vb = _wsum(w, (a - ma) ** 2), _wsum(w, (b - mb) ** 2)
    if va <= 0 or vb <= 0:
        return math.nan
    return _wsum(w, (a - ma) * (b - mb)) / math.sqrt(va * vb)


def mode_ranks(post: Posterior, inputs: pd.DataFrame, keep: np.ndarray | None = None,
               ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per scored mode: (prior, posterior-sample) rank of its composite on the prior's
    scale, oriented so that high is worse; uniform on (0, 1) under the prior.

    A mode with several composites (the feedback loop's drift and capture rate) is ranked
    by the mean of their oriented ranks, re-ranked on the prior so it is uniform again.
    ``keep`` selects the sample's paths (default all).
    """
    month = post.actuals.last_month or None
    out = {}
    for mode in MODES:
        sub = inputs[(inputs["mode"] == mode) & inputs["scored"]]
        if sub.empty:
            continue
        pri, pos = [], []
        for path, direction in zip(sub["input"], sub["direction"], strict=True):
            ps, up = _prior_side(post.prior, path, month)
            x = _values(post.sample, path, month)
            ux = _rank_in_sorted(ps, x if keep is None else x[keep])
            if direction == "lower is worse":
                up, ux = 1 - up, 1 - ux
            pri.append(up)
            pos.append(ux)
        if len(pri) == 1:
            out[mode] = (pri[0], pos[0])
        else:
            vp, vx = np.mean(pri, axis=0), np.mean(pos, axis=0)
            out[mode] = (prior_rank(vp, vp), prior_rank(vp, vx))
    return out


def separating_observation(a: str, b: str, post: Posterior) -> str:
    """The observation that would tell mode ``a`` from mode ``b`` on these actuals."""
    pair = {a, b}
    if pair == {"data_quality", "feedback"}:
        sources = [_LEVEL_VS_TREND]
    else:
        sources = [DIRECT_OBSERVATION[m] for m in MODES
                   if m in pair and m != "change_management"]
    texts = []
    for col, missing, more in sources:
        has = bool(np.isfinite(post.actuals.column(col)).any())
        texts.append(more if has else f"{missing} (none in these actuals)")
    return _join(texts)


def diagnose(post: Posterior, margin: float = MARGIN,
             threshold: float = THRESHOLD) -> Diagnosis:
    """How sure the actuals make us that each failure mode is worse than assumed.

    ``prob_worse``: the posterior probability that the mode's composite lies past the
    prior's median by ``margin`` on the bad side (rank above 0.5 + margin); the mode is
    called worse than assumed from ``threshold`` on (defaults: the calibrated values).
    """
    if not (0 <= margin < 0.5 and 0.5 < threshold < 1):
        raise ValueError(f"margin {margin!r} must lie in [0, 0.5) and threshold "
                         f"{threshold!r} in (0.5, 1)")
    # Paths whose weight is negligible next to the largest change no sum here; dropping
    # them keeps the arithmetic clear of denormal numbers (slow) and the sorts short.
    keep = np.flatnonzero(post.weights >= post.weights.max() * NEGLIGIBLE_WEIGHT)
    w = post.weights[keep] / post.weights[keep].sum()
    inflate = ess_inflation(post.weights, post.ess)  # standard errors on the ESS
    inputs = _input_rows(post, keep, w, inflate)
    ranks = mode_ranks(post, inputs, keep)
    cut = 0.5 + margin
    modes, prob = _mode_rows(inputs, ranks, w, inflate, cut)
    corr, confounded = _confounded_pairs(post, ranks, prob, w, cut, threshold)
    modes = _with_verdicts(modes, confounded, threshold)
    return Diagnosis(modes=modes, inputs=inputs, confounded=confounded, correlation=corr,
                     sentence=_sentence(post, modes, confounded, margin, threshold))


def _input_rows(post: Posterior, keep: np.ndarray, w: np.ndarray,
                inflate: float) -> pd.DataFrame:
    """One row per input of a failure mode: its prior and posterior quantiles and its
    posterior rank within the prior (the score the mode's composite is read from)."""
    month = post.actuals.last_month or None
    rows = []
    for mode, path, sign, role, note in mode_inputs(post.prior.scenario):
        ps, _ = _prior_side(post.prior, path, month)
        x = _values(post.sample, path, month)[keep]
        fixed = bool(ps[0] == ps[-1])
        u = _rank_in_sorted(ps, x)
        mean_u, se_u = weighted_mean(u, w)
        se_u *= inflate
        pq = np.percentile(ps, [10, 50, 90])
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
    return pd.DataFrame(rows)


def _mode_rows(inputs: pd.DataFrame, ranks: dict, w: np.ndarray, inflate: float,
               cut: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """One row per failure mode (P(worse), P(better), prior P(worse), mean score, strongest
    input), and P(worse) by scored mode for the pair check."""
    prob, mrows = {}, []
    for mode, (label, short) in MODES.items():
        sub = inputs[(inputs["mode"] == mode) & inputs["scored"]]
        k = len(sub)
        score = float(sub["score"].mean()) if k else 0.0
        se = float(np.sqrt((sub["score_se"] ** 2).sum()) / k) if k else math.nan
        comp = inputs[(inputs["mode"] == mode) & (inputs["role"] == "component")
                      & (inputs["note"] == "")]
        pool = comp if len(comp) else sub
        top = pool.loc[pool["score"].idxmax(), "input"] if len(pool) else ""
        if mode in ranks:
            up, ux = ranks[mode]
            pw, pw_se = weighted_mean((ux > cut).astype(np.float64), w)
            pw_se *= inflate
            pb = _wsum(w, ux < 1 - cut)
            prior_pw = float(np.mean(up > cut))
            prob[mode] = pw
        else:
            pw = pw_se = pb = prior_pw = math.nan
        mrows.append({"mode": mode, "label": label, "short": short, "prob_worse": pw,
                      "prob_worse_se": pw_se, "prob_better": pb,
                      "prior_prob_worse": prior_pw, "score": score, "score_se": se,
                      "scored_by": ", ".join(sub["input"]), "strongest_input": top})
    return pd.DataFrame(mrows), prob


def _confounded_pairs(post: Posterior, ranks: dict, prob: dict[str, float], w: np.ndarray,
                      cut: float, threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The modes' posterior rank correlation matrix, and the pairs the actuals cannot tell
    apart (correlation at most ``CONFOUNDED_CORR``) with what would separate them."""
    names = list(ranks)
    corr = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = _wcorr(ranks[a][1], ranks[b][1], w)
            corr.loc[a, b] = corr.loc[b, a] = r
            if not (r <= CONFOUNDED_CORR):
                continue
            either = _wsum(w, (ranks[a][1] > cut) | (ranks[b][1] > cut))
            if prob[a] >= threshold or prob[b] >= threshold:
                status = "overlapping"
            elif either >= threshold:
                status = "inconclusive"
            else:
                status = "no evidence"
            pairs.append({"mode_a": a, "mode_b": b, "correlation": r,
                          "prob_a_worse": prob[a], "prob_b_worse": prob[b],
                          "prob_either_worse": either, "status": status,
                          "separating_observation": separating_observation(a, b, post),
                          "vsi": None})
    return corr, pd.DataFrame(pairs, columns=PAIR_COLUMNS)


def _with_verdicts(modes: pd.DataFrame, confounded: pd.DataFrame,
                   threshold: float) -> pd.DataFrame:
    """The mode table with each mode's verdict and confounded partners, ranked by P(worse)."""
    in_pair = set(confounded.loc[confounded["status"] == "inconclusive", "mode_a"]) | set(
        confounded.loc[confounded["status"] == "inconclusive", "mode_b"])
    verdicts = []
    for _, r in modes.iterrows():
        if not math.isfinite(r["prob_worse"]):
            verdicts.append("not scored")
        elif r["prob_worse"] >= threshold:
            verdicts.append("worse than assumed")
        elif r["prob_better"] >= threshold:
            verdicts.append("better than assumed")
        elif r["mode"] in in_pair:
            verdicts.append("inconclusive")
        else:
            verdicts.append("no clear shift")
    modes["verdict"] = verdicts
    modes["confounded_with"] = [
        ", ".join(confounded.loc[confounded["mode_a"] == m, "mode_b"].tolist()
                  + confounded.loc[confounded["mode_b"] == m, "mode_a"].tolist())
        for m in modes["mode"]]
    modes = (modes.sort_values("prob_worse", ascending=False, na_position="last",
                               kind="stable").reset_index(drop=True))
    modes.insert(0, "rank", np.arange(1, len(modes) + 1))
    return modes


def _sentence(post: Posterior, modes: pd.DataFrame, pairs: pd.DataFrame, margin: float,
              threshold: float) -> str:
    if post.is_prior:
        return "No actuals yet: the forecast is the prior one and there is nothing to diagnose."
    pct = round(100 * (0.5 + margin))
    by = modes.set_index("mode")
    worse = modes[modes["verdict"] == "worse than assumed"]
    inconclusive = pairs[pairs["status"] == "inconclusive"]
    parts = []
    if len(worse):
        calls = []
        for i, (_, r) in enumerate(worse.iterrows()):
            text = (f"{MODE_NOUNS[r['mode']]} likely worse than assumed (posterior "
                    f"probability {r['prob_worse']:.2f}")
            if i == 0:
                text += (f" that its {COMPOSITE_WORDS[r['mode']]} is past the prior's "
                         f"{pct}th percentile on the bad side; {r['prior_prob_worse']:.2f} "
                         f"before the actuals")
            calls.append(text + ")")
        parts.append("Your actuals point to: " + "; ".join(calls) + ".")
        for _, p in pairs[pairs["status"] == "overlapping"].iterrows():
            a, b = MODE_NOUNS[p["mode_a"]], MODE_NOUNS[p["mode_b"]]
            parts.append(f"{a[0].upper() + a[1:]} and {b} partly explain the same "
                         f"observations (posterior correlation {p['correlation']:+.2f}): "
                         f"{p['separating_observation']} would separate them.")
    for i, (_, p) in enumerate(inconclusive.iterrows()):
        a, b = MODE_NOUNS[p["mode_a"]], MODE_NOUNS[p["mode_b"]]
        lead = "Your actuals cannot tell" if not len(worse) and i == 0 else "They also cannot tell"
        parts.append(
            f"{lead} {a} from {b}: one of the two is likely worse than assumed (posterior "
            f"probability {p['prob_either_worse']:.2f} that at least one is; "
            f"{p['prob_a_worse']:.2f} and {p['prob_b_worse']:.2f} singly), but they explain "
            f"the same observations (posterior correlation {p['correlation']:+.2f}). "
            f"Inconclusive: {p['separating_observation']} would separate them.")
    if not parts:
        scored = modes[np.isfinite(modes["prob_worse"].to_numpy(dtype=float))]
        if scored.empty:
            return "Your actuals cannot be diagnosed: no failure mode has an uncertain input."
        top = scored.iloc[0]
        parts.append(
            f"Your actuals show no failure mode clearly worse than assumed: the highest "
            f"posterior probability of being past the prior's {pct}th percentile on the bad "
            f"side is {top['prob_worse']:.2f}, for {MODE_NOUNS[top['mode']]} "
            f"({top['prior_prob_worse']:.2f} before the actuals; {threshold:.2f} needed).")
    better = modes[modes["verdict"] == "better than assumed"]
    if len(better):
        parts.append("Likely better than assumed: " + _join(
            [f"{MODE_NOUNS[m]} ({by.loc[m, 'prob_better']:.2f})" for m in better["mode"]],
            "and") + ".")
    if post.collapsed:
        parts.append("(Few effective paths: treat this as indicative.)")
    return " ".join(parts)


# --------------------------------------------------------------------------- levers
