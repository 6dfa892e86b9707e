"""The array layout shared by the compiled kernel and the numpy reference.

``prepare`` turns a scenario plus its sampled inputs into plain arrays (the kernel never
sees a Python object): ``core`` (N, len(CORE)) per-path scalars, ``tiers`` (N, n_tiers, 4)
per-path tier parameters, cohort vectors (pilot team first), and integer flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario

#: Per-path scalar inputs read by the kernel, in column order.
CORE = (
    "pilot.accuracy",
    "pilot.incidents_per_month",
    "data.ood_share",
    "data.ood_accuracy",
    "data.drift_per_month",
    "data.accuracy_floor",
    "improvement.accuracy_ceiling",
    "improvement.learning_exponent",
    "improvement.corrections_scale",
    "integration.load_exponent",
    "integration.downtime_per_incident",
    "integration.fix_cost_per_incident",
    "integration.trust_shock_per_incident",
    "adoption.base_churn",
    "adoption.quality_churn_sensitivity",
    "adoption.trust_accuracy",
    "adoption.return_rate",
    "economics.tasks_per_user_month",
    "economics.minutes_saved_per_task",
    "economics.rework_minutes_per_error",
    "economics.hourly_cost",
    "economics.build_cost",
    "economics.platform_monthly",
    "economics.licence_per_seat_month",
    "economics.inference_per_task",
    "economics.support_per_active_user_month",
    "levers.variability_testing.gap_closed",
    "levers.variability_testing.cost",
    "levers.load_testing.exponent_reduction",
    "levers.load_testing.cost",
    "levers.change_plan.cost",
    "levers.feedback_loop.capture_rate",
    "levers.feedback_loop.setup_cost",
    "levers.feedback_loop.monthly_cost",
    "levers.feedback_loop.retrain_cost",
)
# Short aliases the kernel uses (module-level ints are compile-time constants in numba).
(A_PILOT, LAM_PILOT, OOD_SHARE, A_OOD, DRIFT, FLOOR, A_MAX, LEARN_B, F0, ALPHA, DOWNTIME,
 FIX_COST, TRUST_SHOCK, CHURN0, CHURN_SENS, A_TRUST, RETURN, TASKS, MIN_SAVED, MIN_REWORK,
 HOURLY, BUILD, PLATFORM, LICENCE, INFERENCE, SUPPORT, VT_GAP, VT_COST, LT_CUT, LT_COST,
 CP_COST, FB_CAPTURE, FB_SETUP, FB_MONTHLY, FB_RETRAIN) = range(len(CORE))

TIER_FIELDS = ("ceiling", "innovation_p", "imitation_q", "cost_per_user")
T_CEIL, T_P, T_Q, T_COST = range(4)

# Integer flags. The lever entries are the month each lever takes effect (NEVER if off);
# the feedback loop has two: its mechanism (the pilot lens has it without its costs) and
# its costs.
(F_VT, F_LT, F_CP, F_FB_MECH, F_FB_COST, F_RETRAIN_EVERY, F_LENS, F_CP_TIER,
 F_N_GATES) = range(9)
N_FLAGS = 9
#: "Month" of a lever that never takes effect.
NEVER = 1 << 30

# Gates: one row per gate, columns below (float64; counts and codes stored as floats).
(G_MONTH, G_MIN_ACTIVE, G_MIN_ACC, G_SPOT, G_MAX_INC, G_ACTION, G_LV_VT, G_LV_LT, G_LV_CP,
 G_LV_FB, G_REONBOARD, G_NOTICE, G_WIND) = range(13)
N_GATE_COLS = 13
#: A criterion not given (min_* / max_*).
NO_LIMIT = -1.0
ACTION_HOLD, ACTION_STOP, ACTION_SWITCH = range(3)
#: Per-path gate outputs: gate g's result in column g (1 pass, 0 fail, -1 not reached:
#: the rollout had stopped), then the month stopped (-1 if never) and the months on hold.
GATE_PASS, GATE_FAIL, GATE_NOT_REACHED = 1, 0, -1

# Columns of the per-path output matrix.
OUT = ("npv", "pv_benefit", "pv_cost", "irr", "payback_month", "launch_accuracy",
       "accuracy_m6", "accuracy_final", "active_m6", "active_final", "incidents",
       "pilot_users_lapsed_m6")
(O_NPV, O_PVB, O_PVC, O_IRR, O_PAYBACK, O_LAUNCH, O_ACC6, O_ACCF, O_ACT6, O_ACTF, O_INC,
 O_PLAPSED) = range(len(OUT))

# Stored monthly trajectories (float32, shape (len(TRAJ), H+1, N)).
TRAJ = ("active_users", "accuracy", "benefit", "cost", "incidents")
TR_ACTIVE, TR_ACC, TR_BEN, TR_COST, TR_INC = range(len(TRAJ))

# Addresses of the random events (see ``philox.py``): each uniform is a function of
# (seed, path, month, stream, index), so a change that alters one event's draw moves no
# other event's uniform.
#: Stream of events that concern the whole deployment; ``month`` is the calendar month.
STREAM_DEPLOYMENT = 0
EV_INCIDENTS = 0  #: index of the month's incident count
#: Stream of per-cohort events; ``month`` is the cohort's age (months since it started),
#: ``index`` is ``EVENTS_PER_COHORT * cohort + event``.
STREAM_COHORT = 1
EV_POTENTIAL, EV_CHURN, EV_RETURN, EV_ADOPT = range(4)
EVENTS_PER_COHORT = 4
#: Stream of what an organisation measures (gate observations); ``month`` is calendar.
STREAM_OBSERVE = 2


@dataclass(frozen=True)
class ModelArrays:
    """Everything the kernel needs, as arrays and ints."""

    x: np.ndarray  # (N, K) float64, column-major: all sampled inputs, read in place
    core_cols: np.ndarray  # (len(CORE),) int64: column of each CORE input in x
    tier_cols: np.ndarray  # (n_tiers, 4) int64: column of each tier field in x
    cohort_size: np.ndarray  # (C,) int64, pilot team first
    cohort_start: np.ndarray  # (C,) int64
    cohort_tier: np.ndarray  # (C,) int64 index into tiers
    flags: np.ndarray  # (N_FLAGS,) int64
    horizon: int
    monthly_rate: float
    gates: np.ndarray  # (G, N_GATE_COLS) float64

    @property
    def n_paths(self) -> int:
        return self.x.shape[0]

    @property
    def core(self) -> np.ndarray:
        """(N, len(CORE)) per-path scalars (a copy; the kernel reads ``x`` directly)."""
        return self.x[:, self.core_cols]

    @property
    def tiers(self) -> np.ndarray:
        """(N, n_tiers, 4) per-path tier parameters (a copy)."""
        return self.x[:, self.tier_cols]

    @property
    def registered(self) -> np.ndarray:
        """Registered users per month 0..H (deterministic: cohorts are fixed)."""
        months = np.arange(self.horizon + 1)
        return (self.cohort_size[None, :] *
                (self.cohort_start[None, :] <= months[:, None])).sum(axis=1)


def prepare(sc: Scenario, x: np.ndarray, paths: list[str], horizon: int,
            lens: bool = False) -> ModelArrays:
    """Build the kernel's arrays from sampled inputs ``x`` (N, len(paths))."""
    col = {p: i for i, p in enumerate(paths)}
    core_cols = np.array([col[p] for p in CORE], dtype=np.int64)
    tier_names = list(sc.adoption.tiers)
    tier_cols = np.array([[col[f"adoption.tiers.{t}.{f}"] for f in TIER_FIELDS]
                          for t in tier_names], dtype=np.int64).reshape(len(tier_names), 4)
    lv = sc.levers
    pilot_tier = tier_names.index(sc.adoption.pilot_tier)
    sizes = [sc.pilot.users] + sc.wave_sizes()  # pilot users counted once
    starts = [0] + [c.start_month for c in sc.adoption.cohorts]
    if lens:
        tiers_idx = [pilot_tier] * len(sizes)
    else:
        tiers_idx = [pilot_tier] + [tier_names.index(c.tier) for c in sc.adoption.cohorts]

    def on_from(lever: str) -> int:
        spec = getattr(lv, lever)
        return spec.enabled_from_month if spec.enabled else NEVER

    flags = np.zeros(N_FLAGS, dtype=np.int64)
    flags[F_VT] = on_from("variability_testing")
    flags[F_LT] = on_from("load_testing")
    flags[F_CP] = on_from("change_plan")
    flags[F_FB_MECH] = 0 if lens else on_from("feedback_loop")
    flags[F_FB_COST] = on_from("feedback_loop")
    flags[F_RETRAIN_EVERY] = lv.feedback_loop.retrain_every_months
    flags[F_LENS] = lens
    # The lens gives every cohort the pilot tier (the plan's cost stays: the lens keeps
    # the scenario's own costs).
    flags[F_CP_TIER] = pilot_tier if lens else tier_names.index(lv.change_plan.tier)
    gates = gate_table(sc, lens)
    flags[F_N_GATES] = gates.shape[0]
    r = sc.scenario.discount_rate_annual
    x = np.asfortranarray(x, dtype=np.float64)
    pc = col.get("pilot.cost_per_month")
    if pc is not None and np.any(x[:, pc] != 0.0):
        # The pilot's cost (months x cost per month) is booked in month 0 with the build.
        x = x.copy(order="F")
        x[:, col["economics.build_cost"]] += sc.pilot.months * x[:, pc]
    return ModelArrays(
        # Column-major, as sampled: no copy for simulate(); one compiled kernel layout.
        x=x,
        core_cols=core_cols,
        tier_cols=tier_cols,
        cohort_size=np.asarray(sizes, dtype=np.int64),
        cohort_start=np.asarray(starts, dtype=np.int64),
        cohort_tier=np.asarray(tiers_idx, dtype=np.int64),
        flags=flags,
        horizon=int(horizon),
        monthly_rate=(1.0 + r) ** (1.0 / 12.0) - 1.0,
        gates=gates,
    )


def gate_table(sc: Scenario, lens: bool = False) -> np.ndarray:
    """The scenario's gates as a (G, N_GATE_COLS) array (none for the pilot lens: the
    signed-off case assumed no reviews)."""
    from ..scenario import GATE_ACTIONS

    if lens or not sc.gates:
        return np.zeros((0, N_GATE_COLS))
    rows = np.zeros((len(sc.gates), N_GATE_COLS))
    for i, g in enumerate(sc.gates):
        r = rows[i]
        r[G_MONTH] = g.month
        r[G_MIN_ACTIVE] = NO_LIMIT if g.min_active_rate is None else g.min_active_rate
        r[G_MIN_ACC] = NO_LIMIT if g.min_accuracy is None else g.min_accuracy
        r[G_SPOT] = g.spot_checks
        r[G_MAX_INC] = NO_LIMIT if g.max_incidents is None else g.max_incidents
        r[G_ACTION] = GATE_ACTIONS.index(g.on_fail)
        r[G_LV_VT] = "variability_testing" in g.levers
        r[G_LV_LT] = "load_testing" in g.levers
        r[G_LV_CP] = "change_plan" in g.levers
        r[G_LV_FB] = "feedback_loop" in g.levers
        r[G_REONBOARD] = g.reonboard
        r[G_NOTICE] = g.notice_months
        r[G_WIND] = g.wind_down_cost
    return rows
