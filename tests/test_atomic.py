"""Atomic writes: all or nothing, with the usual file mode."""

from __future__ import annotations

import os

import pytest

from simulator.atomic import atomic_write_text, atomic_write_with


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    f = tmp_path / "out.txt"
    f.write_text("old")

    def broken(p):
        p.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write_with(f, broken)
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_new_file_gets_umask_mode(tmp_path):
    f = tmp_path / "new.txt"
    atomic_write_text(f, "hello")
    umask = os.umask(0)
    os.umask(umask)
    assert f.read_text() == "hello"
    assert (f.stat().st_mode & 0o777) == (0o666 & ~umask)
