"""Which lever to pull first on the posterior: each lever's NPV gain, prior and posterior,
on the weighted sample's own inputs and kernel seed (common random numbers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..engine.layout import prepare
from ..results import SimulationResult
from ..scenario import LEVER_LABELS, LEVERS
from ..simulation import run_kernel, seeds
from .condition import Posterior


def _lever_npv(run: SimulationResult, lever: str, kernel_seed: int) -> np.ndarray:
    sc = run.scenario.with_levers(**{lever: True})
    m = prepare(sc, run.inputs, run.input_names, run.horizon)
    out, _ = run_kernel(m, kernel_seed, store=False)
    return out[:, 0]


def _posterior_lever_npv(post: Posterior, lever: str) -> np.ndarray:
    """The posterior particles' NPV with ``lever`` on, each on its own luck."""
    return post.run(post.sample.scenario.with_levers(**{lever: True}))[0][:, 0]


def lever_gains(post: Posterior) -> pd.DataFrame:
    """Each lever's NPV gain from switching it on, prior and posterior, best first.

    The lever variant runs on the posterior particles' own inputs and luck keys (common
    random numbers), so particle i of the variant is particle i of the baseline with the
    lever on and the baseline's weight applies to it; s.e. on the effective sample size.
    Columns: lever, label, posterior_gain_mean, posterior_gain_se, prob_gain_positive,
    prior_gain_mean, prior_gain_se, status.
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
        d = _posterior_lever_npv(post, lever) - base
        g, g_se = post.mean(d)
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
    from ..formatting import money as money_label

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


__all__ = ["lever_gains", "lever_sentence"]
