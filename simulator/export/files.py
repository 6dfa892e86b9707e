"""Atomic output files and the CSV export (bands and summary).

Every file an export writes goes through :func:`write_atomic`: the content is written
to a temporary file beside the target and renamed over it only when the writer
finished, so a failed export never leaves a half-written file and an existing file is
replaced only on success.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..atomic import atomic_write_with
from ..csv_safe import to_csv
from ..results import SimulationResult
from .tables import summary_frame


def _default_mode() -> int:
    """Permissions a plainly created file would get (0666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Run ``writer(tmp)`` and move ``tmp`` onto ``path`` only if it succeeds.

    The temporary file of :func:`simulator.atomic.atomic_path` is private (0600); it is
    given ordinary permissions before the rename so a shared deck stays readable.
    """
    path = Path(path)
    mode = _default_mode()

    def run(tmp: Path) -> None:
        writer(tmp)
        os.chmod(tmp, mode)

    atomic_write_with(path, run)
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def bands_csv(res: SimulationResult) -> str:
    """Bands, one row per month and a column per metric_stat (as the workbook's Bands)."""
    return to_csv(res.bands_wide())


def summary_csv(res: SimulationResult) -> str:
    """Summary as key, label, value rows (empty value where undefined)."""
    return to_csv(summary_frame(res.summary)[["key", "label", "value"]], index=False)


def write_csv(res: SimulationResult, directory: str | Path) -> list[Path]:
    """Write ``bands.csv`` and ``summary.csv`` into ``directory`` (created if missing)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    return [write_text(d / "bands.csv", bands_csv(res)),
            write_text(d / "summary.csv", summary_csv(res))]
