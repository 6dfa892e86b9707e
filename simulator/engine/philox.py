"""Counter-based random numbers: every uniform is a pure function of where it is used.

Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011)
maps a 128-bit counter and a 64-bit key to 128 random bits. The kernel never keeps a
generator state: the uniform for an event is ``philox(counter(path, month, stream,
index), key(seed))``. So two variants of a scenario that differ in one parameter see the
same uniform for the same event on the same path however many draws either of them makes
elsewhere (exact common random numbers), and the result cannot depend on thread count.

Counter words (each 32 bits):

- ``c0``, ``c1``: the path index (low and high word);
- ``c2``: ``month | stream << 16`` (month or cohort age, below 65 536);
- ``c3``: the event's index within its stream (see ``layout.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_M32 = np.uint64(0xFFFFFFFF)
_MUL0 = np.uint64(0xD2511F53)
_MUL1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_S32 = np.uint64(32)
_S16 = np.uint64(16)
_S20 = np.uint64(20)
_S12 = np.uint64(12)
_TWO_M52 = 1.0 / 4503599627370496.0  # 2**-52


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1); words as uint64 < 2**32."""
    for _ in range(10):
        p0 = _MUL0 * c0
        p1 = _MUL1 * c2
        n0 = ((p1 >> _S32) ^ c1 ^ k0) & _M32
        n1 = p1 & _M32
        n2 = ((p0 >> _S32) ^ c3 ^ k1) & _M32
        n3 = p0 & _M32
        c0, c1, c2, c3 = n0, n1, n2, n3
        k0 = (k0 + _W0) & _M32
        k1 = (k1 + _W1) & _M32
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def uniform_at(k0, k1, path, month, stream, index):
    """The uniform in (0, 1) addressed by (key, path, month, stream, index).

    52 random bits (the first output word and the top 20 bits of the second), centred in
    their interval: the values run from 2**-53 to 1 - 2**-53, all exact doubles, so 0
    and 1 never occur.
    """
    p = np.uint64(path)
    r0, r1, _, _ = philox4x32(p & _M32, p >> _S32,
                              np.uint64(month) | (np.uint64(stream) << _S16),
                              np.uint64(index), k0, k1)
    bits = (r0 << _S20) | (r1 >> _S12)
    return (float(bits) + 0.5) * _TWO_M52


def split_key(seed: int) -> tuple[np.uint64, np.uint64]:
    """The kernel's 64-bit seed as Philox's two 32-bit key words."""
    s = int(seed) & 0xFFFFFFFFFFFFFFFF
    return np.uint64(s & 0xFFFFFFFF), np.uint64(s >> 32)
