"""Sweep output files: the final table (CSV or Parquet, by suffix) and the part files
that keep finished points of an unfinished run.

With an output file, finished points are written as they arrive to part files in
``<out>.parts/`` (each written atomically, keyed by point index); an interruption
(Ctrl-C) keeps them, and a resumed run reads them back and runs only the missing points.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text, atomic_write_with, check_writable
from ..csv_safe import to_csv
from .errors import SweepError
from .spec import POINT, SweepPlan


def parts_dir(out: str | Path) -> Path:
    """Where finished points of a run writing ``out`` are kept until it completes."""
    p = Path(out)
    return p.with_name(p.name + ".parts")


def _out_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise SweepError(f"--out {out}: unknown format {suffix or '(no suffix)'!r} (allowed: .csv, "
                     f".parquet)")


def write_table(df: pd.DataFrame, out: str | Path) -> None:
    """Write a sweep table to CSV or Parquet (by suffix), atomically."""
    out = Path(out)
    if _out_format(out) == "csv":
        atomic_write_with(out, lambda tmp: to_csv(df, tmp, index=False))
    else:
        atomic_write_with(out, lambda tmp: df.to_parquet(tmp, index=False))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a sweep table written by :func:`write_table` (floats round-trip exactly)."""
    path = Path(path)
    if _out_format(path) == "csv":
        # pandas >= 3 parses floats round-trip by default (and deprecates the option).
        kw = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision":
                                                                "round_trip"}
        return pd.read_csv(path, **kw)
    return pd.read_parquet(path)


def check_output(out: str | Path, plan: SweepPlan, resume: bool) -> None:
    """Check an output file before a run: a known suffix, and partial results of an
    earlier run only with ``resume`` and only if they belong to this sweep."""
    out = Path(out)
    _out_format(out)
    try:
        check_writable(out)
    except OSError as exc:
        raise SweepError(f"{out}: {exc.strerror}") from None
    d = parts_dir(out)
    if not d.exists():
        return
    if not resume:
        raise SweepError(f"{d}: partial results of an interrupted sweep exist; pass "
                         f"--resume (resume=True) to finish them, or delete the folder to "
                         f"start over")
    try:
        old = json.loads((d / "manifest.json").read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        old = None
    if old != plan.fingerprint():
        raise SweepError(f"{d}: the partial results belong to a different sweep (scenario, "
                         f"inputs, paths, seed or metrics changed); delete the folder or "
                         f"restore the original definition")


class PartFiles:
    """Append-only store of finished points: one atomically written Parquet file per
    flush in ``<out>.parts/``, plus a manifest naming the sweep they belong to."""

    def __init__(self, out: Path, plan: SweepPlan, resume: bool):
        self.dir = parts_dir(out)
        self.metrics = list(plan.sweep.metrics)
        check_output(out, plan, resume)
        if not self.dir.exists():
            self.dir.mkdir(parents=True)
            atomic_write_text(self.dir / "manifest.json", json.dumps(
                {"fingerprint": plan.fingerprint(), "points": plan.n_points}))

    def load(self) -> pd.DataFrame:
        """Finished points so far (point, metrics), one row per point."""
        frames = [pd.read_parquet(f) for f in sorted(self.dir.glob("part-*.parquet"))]
        if not frames:
            return pd.DataFrame({POINT: pd.Series(dtype=np.int64),
                                 **{m: pd.Series(dtype=np.float64) for m in self.metrics}})
        df = pd.concat(frames, ignore_index=True)
        return df.drop_duplicates(POINT).sort_values(POINT, ignore_index=True)

    def write(self, idx: np.ndarray, vals: np.ndarray) -> None:
        """Add one part file: points ``idx`` with their metric rows ``vals``."""
        if idx.size == 0:
            return
        df = pd.DataFrame(vals, columns=self.metrics)
        df.insert(0, POINT, idx)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        atomic_write_with(self.dir / name, lambda tmp: df.to_parquet(tmp, index=False))

    def remove(self) -> None:
        """Delete the part files (once the final table is written)."""
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["PartFiles", "check_output", "parts_dir", "read_table", "write_table"]
