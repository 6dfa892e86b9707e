"""How the compiled kernels are parallelised: the explicit ``prange`` loops only.

numba's ``parallel=True`` also turns every array expression and allocation
(``np.zeros``, ``np.ones``, ``a + b``) into a parallel loop of its own, each lowered and
compiled as one more function. The kernels allocate a few arrays and parallelise one
loop each, so those extra loops bought nothing at run time and cost most of the cold
compile (``simulate_kernel``: 27 s with them, 10 s without, benchmarks/RESULTS.md).
"""

from __future__ import annotations

#: ``parallel=`` option for every kernel: prange loops run in parallel, nothing else is
#: rewritten.
PRANGE_ONLY = {"prange": True, "numpy": False, "comprehension": False, "reduction": False,
               "inplace_binop": False, "setitem": False, "stencil": False, "fusion": False}
