"""Numba kernels of the resistive array's input and sensing paths (`imc.arrays.ResistiveArray`),
with their NumPy references.

`bit_planes` stacks the k bit planes of the input codes into one GEMM operand (a non-linear cell's
amplitude codes go through `_kernels_levels.level_drives` instead); after the GEMM,
`convert_shift_add` converts every cycle's column signals with the column ADCs (the transfer of
`imc.arrays.ColumnADC.convert`, through `_kernels_converters.ideal_code` / `table_code`) and
shifts and adds the counts (ISAAC's digital periphery: Shafiee et al., ISCA 2016, Sec. IV).
All serial on purpose: they run right after or before a BLAS GEMM, whose spinning threads
would compete with Numba's thread pool on a small machine. Numba's cache does not notice edits
to the inlined `_kernels_converters` functions: delete this module's cache files after one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from imc.arrays._kernels_converters import (convert_codes_reference, convert_codes_uniform_reference, ideal_code,
                                           lookup_bin, table_code)


@njit(cache=True, nogil=True)
def bit_planes(x, bits, out):
    """Bit planes of input codes: out[b * batch + i, r] = bit b of x[i, r] (0 or 1; the two's-complement
    bits of negative codes).

    x: (batch, rows) integers; out: (bits * batch, rows), any float type (float32 for the GEMM).
    """
    batch, rows = x.shape
    for b in range(bits):
        for i in range(batch):
            for r in range(rows):
                out[b * batch + i, r] = (x[i, r] >> b) & 1
    return out


def bit_planes_reference(x, bits):
    """NumPy reference of `bit_planes`: a new (bits * batch, rows) float32 array."""
    planes = (x[None] >> np.arange(bits)[:, None, None]) & 1
    return planes.reshape(bits * x.shape[0], x.shape[1]).astype(np.float32)


@njit(cache=True, error_model="numpy")
def convert_shift_add(signal, cycles, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb, lookup, top, scale, out):
    """Column ADC codes of ``cycles`` stacked cycles, rescaled to counts and shifted-and-added into ``out``.

    signal: (cycles * batch, cols) column values in the converter's input unit, cycle b in rows
    b * batch .. (b + 1) * batch - 1; adc_of_col (cols,) int64, lsb_eff (n_adcs,) effective LSB,
    offset_lsb (n_adcs,) offset (LSB), thresholds_lsb (n_adcs, top) ascending thresholds (LSB) or
    (n_adcs, 0) for the ideal k - 1/2, and their `_kernels_converters.threshold_lookup`, as in
    `_kernels_converters.convert_codes`; top: the largest code (float). Per element u = x / lsb_eff
    + offset (ColumnADC's transfer), then out[i, j] += sum over b of rint(code * scale) * 2^b, out
    (batch, cols) int64. Returns how many values were not finite (with the ideal thresholds their
    counts are undefined; the caller raises). The sums are whole floats below 2^53, so a float accumulator per row is
    exact and lets the closed-form loop vectorise (``error_model="numpy"``: a plain IEEE
    division, no zero check).
    """
    m, cols = signal.shape
    batch = m // cycles
    use_table = thresholds_lsb.shape[1] > 0
    lsb_col = lsb_eff[adc_of_col]
    offset_col = offset_lsb[adc_of_col]
    row_sum = np.empty(cols)
    not_finite = 0
    for i in range(batch):
        row_sum[:] = 0.0
        for b in range(cycles):
            row = b * batch + i
            weight = float(1 << b)
            if use_table:
                for j in range(cols):
                    u = signal[row, j] / lsb_col[j] + offset_col[j]
                    code = 0
                    if np.isfinite(u):
                        code = table_code(u, lookup_bin(u, lookup.shape[1]), lookup, thresholds_lsb, adc_of_col[j])
                    else:
                        not_finite += 1
                    row_sum[j] += np.rint(code * scale) * weight
            else:
                for j in range(cols):
                    u = signal[row, j] / lsb_col[j] + offset_col[j]
                    not_finite += not abs(u) < np.inf
                    row_sum[j] += np.rint(ideal_code(u, top) * scale) * weight
        for j in range(cols):
            out[i, j] += np.int64(row_sum[j])
    return not_finite


def convert_shift_add_reference(signal, cycles, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb, top, scale):
    """NumPy reference of `convert_shift_add` (finite inputs): returns the (batch, cols) int64 sums."""
    signal = np.asarray(signal, dtype=np.float64)
    if thresholds_lsb.shape[1] > 0:
        codes = convert_codes_reference(signal, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb)
    else:
        codes = convert_codes_uniform_reference(signal, adc_of_col, lsb_eff, offset_lsb, top)
    counts = np.rint(codes * scale).astype(np.int64).reshape(cycles, -1, signal.shape[1])
    return sum(counts[b] << b for b in range(cycles))
