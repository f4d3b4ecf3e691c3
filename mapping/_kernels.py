"""Numba kernel of the digital output stage of multi-level layers, with its NumPy reference."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def thresholds_passed(z, thresholds, out):
    """out[i, j] = number of k with z[i, j] >= thresholds[k, j] (z: (m, n) integers, thresholds: (levels - 1,
    n) int64 ascending along k, out: (m, n) int16): a linear scan that stops at the first threshold above
    z, one pass over z instead of one per threshold."""
    m, n = z.shape
    k = thresholds.shape[0]
    for i in range(m):
        for j in range(n):
            value = z[i, j]
            passed = 0
            while passed < k and value >= thresholds[passed, j]:
                passed += 1
            out[i, j] = passed
    return out


def thresholds_passed_reference(z, thresholds):
    """NumPy reference of `thresholds_passed` (any thresholds, not only ascending ones)."""
    return (z[:, None, :] >= thresholds[None, :, :]).sum(axis=1).astype(np.int16)
