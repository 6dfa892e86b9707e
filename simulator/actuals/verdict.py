"""One verdict: the diagnosis, the levers on the posterior and the sentence agree, or the
sentence says why they differ."""

from __future__ import annotations

import pandas as pd

from .diagnose import MODE_NOUNS, Diagnosis

#: The failure mode each lever works on.
LEVER_MODE = {"variability_testing": "data_quality", "load_testing": "integration",
              "change_plan": "change_management", "feedback_loop": "feedback"}


def one_verdict(diag: Diagnosis, gains: pd.DataFrame | None) -> str:
    """A sentence reconciling the diagnosis with the best lever ('' when they agree or
    there is nothing to reconcile)."""
    if gains is None:
        return ""
    off = gains[gains["status"] == "off"]
    if off.empty:
        return ""
    top = off.iloc[0]
    mode = LEVER_MODE.get(top["lever"])
    if mode is None:
        return ""
    verdicts = diag.modes.set_index("mode")["verdict"]
    v = verdicts.get(mode, "not scored")
    noun = MODE_NOUNS.get(mode, mode)
    worse = [m for m in diag.worse if m != mode]
    if v == "worse than assumed":
        return (f"Verdict: the diagnosis and the levers agree -- {noun} is worse than "
                f"assumed and {top['label'].lower()} is worth most on the posterior.")
    if top["posterior_gain_mean"] <= 0:
        return (f"Verdict: no lever pays on the posterior (best: {top['label'].lower()}); "
                + (f"the diagnosis points to {MODE_NOUNS[worse[0]]}." if worse
                   else "the diagnosis names no failure mode."))
    phrase = {"no clear shift": "shows no clear shift", "better than assumed":
              "is likely better than assumed", "inconclusive": "is inconclusive"}
    why = f"{noun} {phrase.get(v, 'is not scored')} in the diagnosis"
    named = (f"; the diagnosis points to {MODE_NOUNS[worse[0]]}, whose lever is worth "
             f"less here" if worse else "")
    return (f"Verdict: {top['label'].lower()} is worth most on the posterior although "
            f"{why}: it pays on the rollout's scale and costs, not because that mode "
            f"failed{named}.")
