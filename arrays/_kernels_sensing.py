"""Fused Numba kernel of the column read-out (optional bit-line discharge, column ADC, count
rescaling, decoding, accumulation), shared by the SRAM array (discharge on) and the resistive
crossbar (a linear column: ``v_knee_v`` = -inf), with its NumPy reference."""

from __future__ import annotations

import numpy as np
from numba import njit

from imc.arrays._kernels_converters import (convert_codes_reference, convert_codes_uniform_reference, ideal_code,
                                           table_code)
from imc.devices._kernels import discharge_reference, discharge_v


@njit(cache=True, inline="always")
def _count(swing_v, exact, v_pre_v, v_knee_v, inv_lsb, offset_lsb, thresholds, use_table, top, scale):
    """Count one column reports for a linear bit-line swing: drop (`discharge_v` if ``exact``, else
    the swing itself, which it equals above the knee), ADC code, rescaled to counts (float)."""
    drop = discharge_v(swing_v, v_pre_v, v_knee_v) if exact else swing_v
    u = drop * inv_lsb + offset_lsb
    code = table_code(u, thresholds) if use_table else ideal_code(u, top)
    return np.rint(code * scale)


@njit(cache=True, nogil=True)
def sense_accumulate(cell_sum, column_base, unit_v, v_pre_v, v_knee_v, inv_lsb, offset_lsb, thresholds_lsb,
                     top, scale, gain, column_offset, reference_gain, z, z_start):
    """Bit-line discharge, column ADC, count rescaling and affine decoding, accumulated into ``z``.

    cell_sum: (chips, m, cols) column sums in nominal-cell units, C-contiguous, plus
    column_base (chips, cols); each element swings its bit line by (sum) * unit_v, which
    `discharge_v` turns into a drop; column j of chip c converts it with its ADC's inverse
    effective LSB inv_lsb[c, j] (1/V), offset offset_lsb[c, j] (LSB) and decision thresholds
    thresholds_lsb[c, j] (LSB; a last axis of length 0 means ideal thresholds k - 1/2 in
    closed form); count = rint(code * scale[j]) (scale: (cols,) counts per code, each column's full scale
    over 2^bits - 1). Then, per row,
    z[c, i, z_start + j] += gain * count_j + column_offset[j] + reference_gain * count_ref, the
    reference being column cols - 1 (used only when reference_gain != 0), j < n_out; z is a
    C-contiguous int32 (chips, m, >= z_start + n_out) array.
    Returns the number of rows holding a column sum that is not finite.

    Rows whose swings all stay above the knee (the usual case) take the linear drop in a loop
    that vectorises; a row with any saturating column takes the exact `discharge_v`. Serial (it
    runs per tile next to a BLAS GEMM) and without the GIL, so chips run in parallel threads.
    """
    chips, m, cols = cell_sum.shape
    n_out = column_offset.shape[0]
    use_table = thresholds_lsb.shape[2] > 0
    linear_limit = v_pre_v - v_knee_v
    not_finite = 0
    slope = np.empty(cols)  # linear path: code = clip(floor(sum * slope + intercept), 0, top)
    intercept = np.empty(cols)
    knee_sum = np.empty(cols)  # sums above which the swing passes the knee
    for c in range(chips):
        base, inv, offset, thresholds = column_base[c], inv_lsb[c], offset_lsb[c], thresholds_lsb[c]
        for j in range(cols):
            slope[j] = unit_v * inv[j]
            intercept[j] = base[j] * unit_v * inv[j] + offset[j] + 0.5
            knee_sum[j] = linear_limit / unit_v - base[j]
        for i in range(m):
            sums, out = cell_sum[c, i], z[c, i, z_start:z_start + n_out]
            saturated = False
            finite = True
            for j in range(cols):
                saturated |= sums[j] > knee_sum[j]
                finite &= abs(sums[j]) < np.inf
            not_finite += not finite
            exact = use_table or saturated
            reference = 0.0
            if reference_gain != 0:
                j = cols - 1
                reference = _count((sums[j] + base[j]) * unit_v, exact, v_pre_v, v_knee_v, inv[j], offset[j],
                                   thresholds[j], use_table, top, scale[j])
            constant = reference_gain * reference
            if exact:
                for j in range(n_out):
                    count = _count((sums[j] + base[j]) * unit_v, True, v_pre_v, v_knee_v, inv[j], offset[j],
                                   thresholds[j], use_table, top, scale[j])
                    out[j] += np.int32(gain * count + column_offset[j] + constant)
            else:  # the same counts with the linear drop and ideal thresholds: a loop that vectorises
                for j in range(n_out):
                    code = min(max(np.floor(sums[j] * slope[j] + intercept[j]), 0.0), top)
                    out[j] += np.int32(gain * np.rint(code * scale[j]) + column_offset[j] + constant)
    return not_finite


def sense_accumulate_reference(cell_sum, column_base, unit_v, v_pre_v, v_knee_v, inv_lsb, offset_lsb,
                               thresholds_lsb, top, scale, gain, column_offset, reference_gain):
    """NumPy reference of `sense_accumulate` (finite inputs, ``scale`` per column): returns the int64
    increments of z."""
    increments = []
    for c in range(cell_sum.shape[0]):
        drop = discharge_reference((np.asarray(cell_sum[c], dtype=np.float64) + column_base[c]) * unit_v,
                                   v_pre_v, v_knee_v)
        columns = np.arange(drop.shape[-1])
        if thresholds_lsb.shape[-1] > 0:
            codes = convert_codes_reference(drop, columns, 1 / inv_lsb[c], offset_lsb[c], thresholds_lsb[c])
        else:
            codes = convert_codes_uniform_reference(drop, columns, 1 / inv_lsb[c], offset_lsb[c], top)
        counts = np.rint(codes * scale).astype(np.int64)
        z = gain * counts[:, :column_offset.shape[0]] + column_offset
        if reference_gain:
            z += reference_gain * counts[:, -1:]
        increments.append(z)
    return np.stack(increments)
