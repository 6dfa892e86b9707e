"""The app's session: where its scenario comes from, its settings, and what it offers to download.

Plain functions over a session-state mapping (a dict in tests, ``st.session_state`` in the app),
so scenario selection, upload parsing and the download payloads are unit-tested without a
browser. Uploads go through the ``upload`` key, which the file uploader's callback fills with
``{"name": ..., "data": bytes}``; a test injects bytes the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..csv_safe import to_csv
from ..results import SimulationResult
from ..scenario import (
    LEVERS,
    Scenario,
    ScenarioError,
    lever_count_words,
    load_scenario,
    loads_scenario,
)
from ..scenario.toml_io import decode_toml_bytes

#: Session-state keys of the app's own widgets and values.
PATHS = "paths"
SEED = "seed"
SOURCE = "source"
FILE = "scenario_file"
UPLOAD = "upload"
UPLOADER = "uploader"
MAIN_TAB = "main_tab"
COMPARE_MODE = "compare_mode"
COMPARE_FILE = "compare_file"
HEADLINES = "headlines"  # last headline values {key: value}, for tests and comparisons
HEADLINE_SE = "headline_se"  # their Monte Carlo standard errors {key: se}

SHIPPED = "Shipped scenario"
UPLOADED = "Upload a TOML file"
SOURCES = (SHIPPED, UPLOADED)

COMPARE_LEVERS = f"Without vs with all {lever_count_words()}"
COMPARE_OTHER = "Against another scenario"
COMPARE_MODES = (COMPARE_LEVERS, COMPARE_OTHER)

#: Default Monte Carlo paths: a full update (simulate + bands + charts) stays under a second
#: on a 2-core machine once the kernels are compiled (see docs/app.md for the timing).
DEFAULT_PATHS = 10_000
DEFAULT_SEED = 7
MIN_PATHS, MAX_PATHS = 100, 200_000
DEFAULT_FILE = "seed_case.toml"
MAX_UPLOAD_BYTES = 1_000_000


#: The last scenario the inputs made validly, per base token: shown while an edit is invalid.
LAST_GOOD = "last_good_scenario"


def scenario_or_last_good(state: MutableMapping[str, Any], token: Any,
                          make: Any) -> tuple[Scenario | None, Exception | None]:
    """``make()``'s scenario, remembered as the last good one; when it raises a
    ScenarioError, the last good scenario of the same base (``token``) and the error, so
    the app keeps the last valid results on screen under the message (None before any)."""
    from ..scenario import ScenarioError

    try:
        sc = make()
    except ScenarioError as exc:
        last = state.get(LAST_GOOD)
        return (last[1] if last is not None and last[0] == token else None), exc
    state[LAST_GOOD] = (token, sc)
    return sc, None


def scenario_files(directory: str | Path) -> list[str]:
    """File names of the shipped scenarios, the source case first."""
    names = sorted(p.name for p in Path(directory).glob("*.toml"))
    if DEFAULT_FILE in names:
        names.remove(DEFAULT_FILE)
        names.insert(0, DEFAULT_FILE)
    return names


def init_state(state: MutableMapping[str, Any], files: list[str]) -> None:
    """Put the app's defaults into session state, keeping anything already there.

    Widgets are then created without a ``value=`` argument and read their value from session
    state, so a test (or a restored session) can set any of them before the first run.
    """
    state.setdefault(PATHS, DEFAULT_PATHS)
    state.setdefault(SEED, DEFAULT_SEED)
    state.setdefault(SOURCE, SHIPPED)
    state.setdefault(FILE, files[0] if files else "")
    state.setdefault(COMPARE_MODE, COMPARE_LEVERS)
    other = next((f for f in files if f != state[FILE]), state[FILE])
    state.setdefault(COMPARE_FILE, other)


def load_file(path: str | Path) -> Scenario:
    """:func:`load_scenario`, read again only when the file changes (its modification time
    or size): every rerun and session of the process gets the same scenario object, so what
    is computed once per scenario object (its controls, its token) is not computed again.
    Scenarios are never changed in place (edits make new ones); a file that does not
    validate is not kept, it raises again."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return load_scenario(path)  # says what is wrong with the path
    return _load_version(str(path.resolve()), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _load_version(path: str, mtime_ns: int, size: int) -> Scenario:
    return load_scenario(path)


def scenario_from_upload(name: str, data: bytes) -> Scenario:
    """Parse an uploaded scenario (once per name and content, as :func:`load_file`);
    :class:`ScenarioError` (one line per problem) if invalid."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError([f"file is {len(data):,} bytes; a scenario must be under "
                             f"{MAX_UPLOAD_BYTES:,} bytes"], name)
    return _parse_upload(name, bytes(data))


@functools.lru_cache(maxsize=8)
def _parse_upload(name: str, data: bytes) -> Scenario:
    return loads_scenario(decode_toml_bytes(data, name), source=name)


def base_scenario(state: MutableMapping[str, Any], directory: str | Path) -> Scenario | None:
    """The scenario as loaded (before edits): a shipped file or the upload.

    None when the upload source is chosen but nothing is uploaded yet. Raises
    :class:`ScenarioError` when the chosen file does not validate.
    """
    if state.get(SOURCE) == UPLOADED:
        up = state.get(UPLOAD)
        if not up:
            return None
        return scenario_from_upload(str(up.get("name", "upload.toml")), bytes(up["data"]))
    name = state.get(FILE) or DEFAULT_FILE
    path = Path(directory) / Path(name).name  # a bare file name, never a path outside
    return load_file(path)


def slug(text: str) -> str:
    """A file-name-safe version of a scenario name."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "scenario"


def scenario_download(sc: Scenario, paths: int, seed: int) -> tuple[str, str]:
    """(file name, TOML text) of the adjusted scenario; loads back to the same results."""
    head = (f"# Saved from the AI rollout business-case app. Results shown were for "
            f"{paths} paths, seed {seed}:\n# rollout-sim run <this file> --paths {paths} "
            f"--seed {seed}\n")
    return f"{slug(sc.name)}.toml", head + sc.to_toml()


@dataclass(frozen=True)
class Download:
    """One download button: its label, file name, MIME type and a function making the file.

    The app hands ``data`` to ``st.download_button`` uncalled, so the file is made only when
    someone clicks (on a separate thread), not on every rerun."""

    label: str
    file_name: str
    mime: str
    data: Callable[[], str]
    key: str


def downloads(sc: Scenario, res: SimulationResult, paths: int, seed: int) -> list[Download]:
    """The headline's download buttons: the adjusted scenario (TOML) and its bands (CSV)."""
    name = f"{slug(sc.name)}.toml"
    return [Download("Download scenario (TOML)", name, "application/toml",
                     lambda: scenario_download(sc, paths, seed)[1], "download_toml"),
            Download("Download forecast ranges (CSV)", name.replace(".toml", "_bands.csv"),
                     "text/csv", lambda: bands_csv(res), "download_csv")]


def bands_csv(res: SimulationResult) -> str:
    """Forecast ranges as CSV: one row per month, a column per metric_stat (e.g. cum_net_p50).

    Kept with the (shared) result, made the first time someone downloads it."""
    text = res.meta.get("bands_csv")
    if text is None:
        text = res.meta["bands_csv"] = to_csv(res.bands_wide().reset_index(), index=False)
    return text


def comparison_pair(sc: Scenario, mode: str, other: Scenario | None = None
                    ) -> tuple[str, Scenario, str, Scenario]:
    """(label A, scenario A, label B, scenario B) for the comparison tab.

    ``COMPARE_LEVERS``: the adjusted scenario with every lever off vs all on.
    ``COMPARE_OTHER``: the adjusted scenario vs ``other`` as loaded. Both run on the same
    paths and seed, so they share random numbers and their difference is not noise.
    """
    if mode == COMPARE_OTHER:
        if other is None:
            raise ValueError("comparison against another scenario needs that scenario")
        return "This scenario (adjusted)", sc, other.name, other
    off = sc.with_levers(**dict.fromkeys(LEVERS, False))
    on = sc.with_levers(**dict.fromkeys(LEVERS, True))
    return "Levers off", off, f"All {lever_count_words()} on", on


__all__ = [
    "COMPARE_LEVERS", "COMPARE_MODES", "COMPARE_OTHER", "DEFAULT_PATHS", "DEFAULT_SEED",
    "SOURCES", "Download", "base_scenario", "bands_csv", "comparison_pair", "downloads",
    "init_state", "load_file",
    "scenario_download", "scenario_files", "scenario_from_upload", "slug",
]
