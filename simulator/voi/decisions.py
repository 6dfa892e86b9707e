"""The decisions a value-of-information analysis compares, on common random numbers.

No-go (NPV 0 on every path), go as written, go with each lever portfolio
(:mod:`simulator.analysis.levers` enumerates them the same way), and any extra
``(name, scenario)`` decisions a caller adds: the hook for a gated plan. Every decision
runs on the same sampled inputs and kernel seed (:class:`~simulator.analysis.Variants`),
so the net benefits are paired path by path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..analysis.variants import AnalysisError, Variants, lever_label, used_inputs
from ..results import SimulationResult
from ..scenario import LEVERS, Scenario
from ..simulation import simulate_inputs

NO_GO = "no-go"
AS_WRITTEN = "go as written"


@dataclass
class Decisions:
    """Per-path net benefit (NPV) of every decision, on the base run's inputs and seed."""

    names: list[str]
    nb: np.ndarray  #: (paths, decisions)
    scenarios: list[Scenario | None]  #: None for no-go
    base: SimulationResult  #: the run as written (inputs, seed, horizon)
    no_levers: SimulationResult  #: the run with every lever off (the system as it is now)

    @property
    def as_written(self) -> int:
        return self.names.index(AS_WRITTEN)

    def relevant_inputs(self) -> list[str]:
        """Non-fixed inputs that can move some decision's NPV, in the scenario's order."""
        dists = self.base.scenario.inputs()
        used: set[str] = set()
        for sc in self.scenarios:
            if sc is not None:
                used |= used_inputs(sc)
        return [p for p in self.base.input_names if p in used and not dists[p].is_fixed]


def _portfolio(on: tuple[str, ...]) -> dict[str, bool]:
    return {f"levers.{lv}.enabled": lv in on for lv in LEVERS}


#: The decision a staged scenario adds: its plan without the gates.
BIG_BANG = "go as written without gates (big bang)"


def build_decisions(sc: Scenario, paths: int, seed: int, horizon: int | None = None, *,
                    portfolios: bool = True,
                    extra: Sequence[tuple[str, Scenario]] = ()) -> Decisions:
    """Simulate every decision on common random numbers.

    ``portfolios=False`` compares only no-go and go as written. ``extra`` adds decisions
    (e.g. a gated plan): each scenario must have the same list of uncertain inputs as
    ``sc``; it runs on the same inputs and seed. A scenario with gates gets big bang (its
    plan without the gates) by default.
    """
    runner = Variants.start(sc, paths, seed, horizon)
    base = runner.base
    current = tuple(lv for lv in LEVERS if getattr(sc.levers, lv).enabled)
    names = [NO_GO, AS_WRITTEN]
    cols = [np.zeros(base.n_paths), base.metric("npv")]
    scens: list[Scenario | None] = [None, sc]
    no_levers = base if not current else runner.run(_portfolio(()))
    if portfolios:
        for mask in range(1 << len(LEVERS)):
            on = tuple(lv for i, lv in enumerate(LEVERS) if mask >> i & 1)
            if on == current:
                continue
            res = no_levers if not on else runner.run(_portfolio(on))
            names.append("go without levers" if not on else f"go with {lever_label(on)}")
            cols.append(res.metric("npv"))
            scens.append(res.scenario)
    if sc.gates and not extra:
        # A staged plan: "as written" is the gated plan, so big bang (the same plan without
        # its gates) is a decision of its own.
        extra = [(BIG_BANG, sc.with_values({"gates": []}))]
    for name, other in extra:
        if name in names:
            raise AnalysisError(f"decision {name!r}: the name is already taken "
                                f"(taken: {', '.join(names)})")
        if other.input_paths() != base.input_names:
            raise AnalysisError(f"decision {name!r}: its scenario has other uncertain inputs "
                                "than the base scenario; it must differ only in structure")
        res = simulate_inputs(other, base.inputs, base.input_names, base.seed, base.horizon,
                              bands=False, pilot_lens=False)
        names.append(name)
        cols.append(res.metric("npv"))
        scens.append(other)
    return Decisions(names=names, nb=np.column_stack(cols), scenarios=scens, base=base,
                     no_levers=no_levers)
