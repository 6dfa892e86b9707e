"""How the compiled kernels are parallelised: the explicit ``prange`` loops only, and the
simulation kernel's blocks on a pool of threads of its own (``kernel_pool``).

numba's ``parallel=True`` also turns every array expression and allocation
(``np.zeros``, ``np.ones``, ``a + b``) into a parallel loop of its own, each lowered and
compiled as one more function. The kernels allocate a few arrays and parallelise one
loop each, so those extra loops bought nothing at run time and cost most of the cold
compile (``simulate_kernel``: 27 s with them, 10 s without, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

#: ``parallel=`` option for every kernel: prange loops run in parallel, nothing else is
#: rewritten.
PRANGE_ONLY = {"prange": True, "numpy": False, "comprehension": False, "reduction": False,
               "inplace_binop": False, "setitem": False, "stencil": False, "fusion": False}


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def kernel_pool() -> ThreadPoolExecutor:
    """The threads that run the simulation kernel's blocks, started once per process (as
    many as numba may use): starting threads on every call cost more than a run of a
    thousand paths gained from them."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, numba.config.NUMBA_NUM_THREADS),
                                       thread_name_prefix="rollout-kernel")
        return _pool


def _forget_pool() -> None:
    """A forked child has none of its parent's threads: it starts a pool of its own."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)
