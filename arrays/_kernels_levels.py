"""Numba kernel of the level decomposition's drives (`imc.arrays.base.ReadOperands`), with its NumPy reference.

A level-decomposed read holds each cell's response at every drive level as k drive functions of the level
times per-cell coefficients (`imc.arrays.base.level_basis`); `level_drives` turns one cycle's drive levels
into the k function values per input, the left operand of the read's one GEMM with the coefficients.
Serial: it runs right before a BLAS GEMM.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def level_drives(plane, start, stop, table, out):
    """out[b, q * n + i] = table[plane[b, start + i], q] for the n = stop - start inputs of a read.

    plane: (batch, inputs) whole drive levels (any number type); table: (levels + 1, k) float32, row l
    the k drive functions at level l (row 0: level 0); out: (batch, k * n) float32. Returns the number
    of drives that are not whole levels in 0..levels (looked up clipped: the caller must not use out
    then). Per input row the levels are read once, then each function's block is written contiguously.
    """
    batch, n, k = plane.shape[0], stop - start, table.shape[1]
    top = table.shape[0] - 1
    functions = np.ascontiguousarray(table.T)  # (k, levels + 1)
    codes = np.empty(n, np.int64)
    bad = 0
    for b in range(batch):
        row = plane[b]
        for i in range(n):
            level = row[start + i]
            code = min(max(np.int64(level), 0), top)
            bad += code != level
            codes[i] = code
        for q in range(k):
            function, block = functions[q], out[b, q * n:(q + 1) * n]
            for i in range(n):
                block[i] = function[codes[i]]
    return bad


def level_drives_reference(plane, start, stop, table):
    """NumPy reference of `level_drives` (levels in range): a new (batch, k * n) float32 array."""
    values = table[np.asarray(plane[:, start:stop], dtype=np.int64)]  # (batch, n, k)
    return np.ascontiguousarray(values.transpose(0, 2, 1)).reshape(plane.shape[0], -1).astype(np.float32)
