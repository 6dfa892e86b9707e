"""Where the compiled kernels are cached, and whether this process will have to compile.

Every entry point (the ``rollout-sim`` CLI, the Python API, the app, ``make run`` and
``make test``) shares one on-disk numba cache, so the kernels are compiled once per user
and machine instead of once per way of starting the program. ``NUMBA_CACHE_DIR`` wins when
it is set (the Makefile and the tests set a repository-local one); otherwise
:func:`default_cache_dir` is used: the platform's per-user cache directory (what
``platformdirs.user_cache_dir`` returns, written out here to add no dependency for three
lines), ``ai-rollout-sim/numba`` inside it. Either way the kernels live in a
subdirectory ``kernels-<digest of the kernel sources>``, so that a changed helper in any
kernel file is never served from a stale cache. ``simulator/__init__.py`` calls
:func:`configure` before anything imports numba's compiled modules.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

#: Application name of the per-user cache directory.
APP_NAME = "ai-rollout-sim"
#: Seconds a cold compile of every kernel takes on the 2-core reference machine when it
#: is quiet, two processes compiling at once (benchmarks/RESULTS.md, "Cold compile"):
#: what the first-run notice announces...
COLD_COMPILE_SECONDS = 15
#: ...and with one core, one kernel after the other.
COLD_COMPILE_SECONDS_ONE_CORE = 20


def default_cache_dir() -> Path:
    """The per-user cache directory for compiled kernels (platformdirs' convention)."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / APP_NAME / "Cache" / "numba"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME / "numba"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else home / ".cache"
    return base / APP_NAME / "numba"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


#: The package's files whose code the compiled kernels contain: the engine (kernels, the
#: draws and inversions they inline, the layout constants they freeze) and the lens fit.
#: numba checks only the *entry* function's own file before loading a cached kernel, so
#: a change to a helper in another file would otherwise be served stale.
KERNEL_SOURCES = ("engine/*.py", "lens_estimate.py")
#: Name prefix of a cache directory that belongs to one version of those sources.
TAG_PREFIX = "kernels-"


def source_tag(root: Path | None = None) -> str:
    """A short digest of every file in :data:`KERNEL_SOURCES` (names and contents) under
    ``root`` (this package)."""
    root = Path(__file__).resolve().parent if root is None else root
    h = hashlib.blake2b(digest_size=6)
    for pattern in KERNEL_SOURCES:
        for f in sorted(root.glob(pattern)):
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def tagged(base: str) -> str:
    """``base``/kernels-<tag>: one cache directory per version of the kernel sources (a
    directory already tagged, inherited from a parent process, is re-tagged, not nested)."""
    path = Path(base)
    if path.name.startswith(TAG_PREFIX):
        path = path.parent
    return str(path / f"{TAG_PREFIX}{source_tag()}")


def configure() -> str | None:
    """Point numba's cache at :func:`default_cache_dir` unless ``NUMBA_CACHE_DIR`` is set,
    in a subdirectory named by :func:`source_tag`; return the directory in use (None:
    numba's own default, next to the sources).

    Must run before the kernels' modules are imported: numba fixes a function's cache
    location when it is decorated. An unwritable directory is left alone (numba then
    falls back to its own choice rather than failing).
    """
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if not chosen:
        try:
            chosen = str(default_cache_dir())
        except RuntimeError:  # no home directory to be found
            return None
    elif not os.path.isabs(chosen):
        chosen = os.path.abspath(chosen)
    path = tagged(chosen)
    if not _writable(Path(path)):
        return os.environ.get("NUMBA_CACHE_DIR") or None
    os.environ["NUMBA_CACHE_DIR"] = path
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:  # numba already imported: its config read the env
        numba_config.CACHE_DIR = path
    return path


def _has_cached_overload(dispatcher) -> bool:
    """Whether ``dispatcher``'s on-disk cache holds a compiled version of its current
    source (numba drops an index whose source stamp no longer matches)."""
    cache = getattr(dispatcher, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None:
        return True  # caching off or unknown numba internals: nothing to announce
    try:
        return bool(cache_file._load_index())
    except Exception:  # noqa: BLE001 - a damaged index means numba recompiles
        return False


def _all_cached(dispatchers) -> bool:
    """Whether each dispatcher is compiled in this process or cached on disk."""
    return all(d.signatures or _has_cached_overload(d) for d in dispatchers)


def kernels_cached() -> bool:
    """True when every entry kernel has a compiled version on disk (or is already
    compiled in this process): the next run only loads them."""
    from .engine.bands import _bands_compiled, quantiles_hist
    from .engine.kernel import run_blocks
    from .lens_estimate import _predict

    return _all_cached((run_blocks, _bands_compiled, quantiles_hist, _predict))


def stream_kernels_cached() -> bool:
    """True when the streaming-band kernels (runs too large to keep their trajectories,
    :mod:`simulator.engine.bands_stream`: the core bands' and the usage telemetry's) are
    compiled on disk or in this process."""
    from .engine.bands_stream import _fill_cum, _finish_stream, _first_windows, _scan_chunk
    from .engine.rows_stream import _finish_rows, _first_windows_rows, _scan_rows

    return _all_cached((_fill_cum, _first_windows, _scan_chunk, _finish_stream,
                        _first_windows_rows, _scan_rows, _finish_rows))


#: Seconds the streaming-band kernels take to compile on the reference machine (the first
#: run large enough to stream; the core bands' and the usage telemetry's: 16.5 s measured,
#: benchmarks/RESULTS.md, issue 29 third pass).
STREAM_COMPILE_SECONDS = 15


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def compile_notice() -> str:
    """The sentence shown before a cold compile."""
    seconds = COLD_COMPILE_SECONDS if cores() >= 2 else COLD_COMPILE_SECONDS_ONE_CORE
    return (f"Compiling the simulation kernels, first run only, about "
            f"{seconds} s (cached in {os.environ.get('NUMBA_CACHE_DIR', '')})")
