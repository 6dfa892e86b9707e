"""Deprecated alias of :mod:`simulator.atomic`, kept only for ``scenario.py``'s lazy import.

Delete this file once the scenario package imports ``atomic_write_text`` from
``simulator.atomic`` (issue 17: the rename and the scenario split land on separate branches).
"""

from .atomic import atomic_path, atomic_write_bytes, atomic_write_text, atomic_write_with

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "atomic_write_with"]
