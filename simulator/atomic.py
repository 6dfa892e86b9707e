"""Atomic file writing (temporary file + rename): a failed write never leaves a
half-written file behind, and an existing file stays untouched.

Only regular files are renamed over. A character device or a FIFO (``--out /dev/null``,
``--out >(gzip > x)``) is written into directly once the content is complete, never
replaced by a regular file; a directory, a block device or a socket is refused
(:class:`UnwritableTargetError`, an :class:`OSError` naming the path).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


class UnwritableTargetError(OSError):
    """An output path that is not a file this project may write (a directory, a block
    device, a socket)."""


def target_kind(path: str | Path) -> str:
    """``"missing"``, ``"file"``, ``"stream"`` (character device or FIFO: written into
    directly) or ``"directory"`` / ``"other"`` (refused) for an output path."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "missing"  # a parent is a file: creating it fails with its own line
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    return "directory" if stat.S_ISDIR(mode) else "other"


def check_writable(path: str | Path) -> str:
    """Refuse (:class:`UnwritableTargetError`) a path no file may be written to, before any
    work is done; return its :func:`target_kind` otherwise."""
    kind = target_kind(path)
    if kind == "directory":
        raise UnwritableTargetError(errno.EISDIR, "is a directory, not a file", str(path))
    if kind == "other":
        raise UnwritableTargetError(errno.EINVAL, "is not a regular file, a character "
                                    "device or a FIFO; refusing to write to it", str(path))
    return kind


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    On any exception the temporary file is removed and an existing ``path`` is left
    untouched. A character device or FIFO at ``path`` receives the content (copied once it
    is complete) instead of being replaced.
    """
    target = Path(path)
    kind = check_writable(target)
    if kind == "stream":
        # Build the content in a private temporary directory, then stream it in.
        with tempfile.TemporaryDirectory(prefix=".rollout-sim-") as d:
            tmp = Path(d) / target.name
            yield tmp
            with open(tmp, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); give it the usual mode for a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        # The target may have become a special file while the content was built.
        if check_writable(target) == "stream":
            with open(tmp, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            Path(tmp).unlink(missing_ok=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result into place only if it succeeds."""
    with atomic_path(path) as tmp:
        writer(tmp)


__all__ = ["UnwritableTargetError", "atomic_path", "atomic_write_bytes", "atomic_write_text",
           "atomic_write_with", "check_writable", "target_kind"]
