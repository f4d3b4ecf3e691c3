"""Fused Numba kernel of the column read-out (optional bit-line discharge, column ADC, count
rescaling, decoding, accumulation), shared by the SRAM array (discharge on) and the resistive
crossbar (a linear column: ``v_knee_v`` = -inf), with its NumPy reference. Numba's cache does not
notice edits to the inlined `_kernels_converters` functions: delete this module's cache files after one."""

from __future__ import annotations

import numpy as np
from numba import njit

from imc.arrays._kernels_converters import (bin_code, bin_overflows, bin_start, convert_codes_reference,
                                           convert_codes_uniform_reference, ideal_code, lookup_bin, table_code)
from imc.devices._kernels import discharge_reference, discharge_v

FINITE_MAX = 1e300  # column sums beyond it (or +-inf, NaN) are checked one by one


@njit(cache=True, inline="always")
def _count(swing_v, exact, v_pre_v, v_knee_v, inv_lsb, offset_lsb, thresholds, lookup, column, use_table, top,
           scale, zero):
    """Count one column reports for a linear bit-line swing: drop (`discharge_v` if ``exact``, else
    the swing itself, which it equals above the knee), ADC code (through the thresholds
    ``thresholds[column]`` and their lookup with ``use_table``) of the input shifted by the zero
    code ``zero``, rescaled to counts from the zero code (float)."""
    drop = discharge_v(swing_v, v_pre_v, v_knee_v) if exact else swing_v
    u = drop * inv_lsb + offset_lsb + zero
    code = table_code(u, lookup_bin(u, lookup.shape[1]), lookup, thresholds, column) if use_table \
        else ideal_code(u, top)
    return np.rint((code - zero) * scale)


@njit(cache=True, inline="always")
def _outside(value, knee_sum):
    """1 when a column sum is past the knee or not finite (NaN included), else 0."""
    return 1 - (np.int32(value >= -FINITE_MAX) & np.int32(value <= knee_sum))


@njit(cache=True, nogil=True)
def sense_accumulate(cell_sum, column_base, unit_v, v_pre_v, v_knee_v, inv_lsb, offset_lsb, thresholds_lsb,
                     lookup, top, zero, scale, significances, starts, stops, gains, reference_gains, column_offset, z,
                     z_start):
    """Bit-line discharge, column ADC, count rescaling and affine decoding of stacked array cycles,
    accumulated into ``z``.

    cell_sum: (chips, cycles x m, cols) column sums in nominal-cell units, C-contiguous, cycle p in rows
    p m .. (p + 1) m - 1 (the layout of stacked drives), plus column_base (chips, cols); each element
    swings its bit line by (sum) * unit_v, which `discharge_v` turns into a drop; column j of chip c
    converts it with its ADC's inverse effective LSB inv_lsb[c, j] (1/V), offset offset_lsb[c, j] (LSB)
    and decision thresholds thresholds_lsb[c, j] (LSB) with their `threshold_lookup` lookup[c, j] (a last
    axis of length 0 in thresholds_lsb means ideal thresholds k - 1/2 in closed form, the lookup unused);
    count = rint((code - zero) * scale[j]) (scale: (cols,) counts per code, each column's full scale
    over its codes above ``zero``; ``zero``: the code of a zero input, 0 for a unipolar converter,
    2^(bits-1) for a bipolar one, whose input is shifted by it). The columns form groups
    (`imc.arrays.converters.ColumnGroups`): group g holds columns starts[g] .. stops[g] - 1,
    the last of them a reference column when reference_gains[g] != 0,
    and adds, per row of each cycle p (significance significances[p]), for each of its data columns j = 0, 1, ...,
    z[c, i, z_start + j] += significances[p] (gains[g] count_{starts[g] + j} + reference_gains[g] count_ref)
    + column_offset[starts[g] + j]; z is a C-contiguous int32 (chips, m, >= z_start + outputs) array.
    Returns the number of (cycle, row) column-sum rows holding a sum that is not finite.

    Per row of z, several cycles' terms (whole numbers) are summed in float64, exactly, and added to z once.
    Per row of a cycle, the counts of the linear drop come first: in one loop over the row's columns that
    vectorises whatever the widths of the groups, in closed form for ideal thresholds; with a threshold
    table that loop computes each input u (LSB) and its lookup bin, and a second one counts each bin's
    code without a branch (`bin_code`; `table_code` where a bin's slots run out). A group with a column
    past the knee (or a sum that is not finite) is then converted again with the exact `discharge_v`;
    then each group is decoded.
    Serial (it runs per tile next to a BLAS GEMM) and without the GIL, so chips run in parallel threads.
    """
    chips, _, cols = cell_sum.shape
    m = z.shape[1]  # rows per cycle: cell_sum holds cycles x m (`ColumnADC.accumulate` checks)
    cycles = significances.shape[0]
    use_table = thresholds_lsb.shape[2] > 0
    bins = lookup.shape[2]
    linear_limit = v_pre_v - v_knee_v
    not_finite = 0
    slope = np.empty(cols)  # linear path: code = clip(floor(sum * slope + intercept), 0, top)
    intercept = np.empty(cols)
    knee_sum = np.empty(cols)  # sums above which the swing passes the knee (finite: +-inf sums fail the test)
    counts = np.empty(cols)
    u = np.empty(cols)  # table path: the ADC inputs (LSB) of a row and their lookup bins
    b = np.empty(cols, np.int64)
    outputs = 0
    for g in range(starts.shape[0]):
        outputs = max(outputs, stops[g] - starts[g] - (reference_gains[g] != 0))
    terms = np.empty(outputs)  # a row of z's increments over the cycles
    for c in range(chips):
        base, inv, offset = column_base[c], inv_lsb[c], offset_lsb[c]
        thresholds, table = thresholds_lsb[c], lookup[c]
        flat = table.ravel()
        for j in range(cols):
            slope[j] = unit_v * inv[j]
            intercept[j] = base[j] * unit_v * inv[j] + offset[j] + zero + 0.5
            knee_sum[j] = min(linear_limit / unit_v - base[j], FINITE_MAX)
        for i in range(m):
            out = z[c, i, z_start:]
            if cycles > 1:
                for j in range(outputs):
                    terms[j] = 0.0
            for p in range(cycles):
                sums = cell_sum[c, p * m + i]
                row_outside = 0
                if use_table:
                    for j in range(cols):  # the row's inputs, bit for bit those of `_count` below the knee: vectorises
                        value = np.float64(sums[j])
                        u[j] = (value + base[j]) * unit_v * inv[j] + offset[j] + zero
                        b[j] = lookup_bin(u[j], bins)
                        row_outside += _outside(value, knee_sum[j])
                    walks = 0
                    for j in range(cols):  # each bin's code without a branch (4 loads, not gathered by LLVM)
                        at = bin_start(j, b[j], bins)
                        counts[j] = np.rint((bin_code(u[j], at, flat) - zero) * scale[j])
                        walks += bin_overflows(u[j], at, flat)
                    if walks:  # rare: more thresholds in a bin than it holds
                        for j in range(cols):
                            if bin_overflows(u[j], bin_start(j, b[j], bins), flat):
                                counts[j] = np.rint((table_code(u[j], b[j], table, thresholds, j) - zero) * scale[j])
                else:
                    for j in range(cols):  # the linear counts of the whole row: vectorises whatever the groups' widths
                        value = np.float64(sums[j])
                        code = min(max(np.floor(value * slope[j] + intercept[j]), 0.0), top)
                        counts[j] = np.rint((code - zero) * scale[j])
                        row_outside += _outside(value, knee_sum[j])
                row_finite = True
                significance = significances[p]
                for g in range(starts.shape[0]):
                    first, stop = starts[g], stops[g]
                    n_out = stop - first - (reference_gains[g] != 0)
                    exact = False
                    if row_outside > 0:  # rare: is one of them in this group?
                        for j in range(first, stop):
                            exact |= _outside(np.float64(sums[j]), knee_sum[j]) == 1
                    if exact:
                        for j in range(first, stop):
                            row_finite &= abs(sums[j]) < np.inf
                            counts[j] = _count((sums[j] + base[j]) * unit_v, True, v_pre_v, v_knee_v, inv[j],
                                               offset[j], thresholds, table, j, use_table, top, scale[j], zero)
                    reference = 0.0
                    if n_out < stop - first:
                        ref = stop - 1
                        reference = counts[ref] if exact or use_table else _count(  # a table's counts are `_count`'s
                            (sums[ref] + base[ref]) * unit_v, False, v_pre_v, v_knee_v, inv[ref], offset[ref],
                            thresholds, table, ref, use_table, top, scale[ref], zero)
                    constant = significance * reference_gains[g] * reference
                    gain = significance * gains[g]
                    counts_g, offsets_g = counts[first:stop], column_offset[first:stop]  # 0-based: vectorises
                    if cycles == 1:  # straight into z
                        for j in range(n_out):
                            out[j] += np.int32(gain * counts_g[j] + offsets_g[j] + constant)
                    else:
                        for j in range(n_out):
                            terms[j] += gain * counts_g[j] + offsets_g[j] + constant
                not_finite += not row_finite
            if cycles > 1:
                for j in range(outputs):
                    out[j] += np.int32(terms[j])
    return not_finite


def sense_accumulate_reference(cell_sum, column_base, unit_v, v_pre_v, v_knee_v, inv_lsb, offset_lsb,
                               thresholds_lsb, top, zero, scale, significances, starts, stops, gains, reference_gains,
                               column_offset):
    """NumPy reference of `sense_accumulate` (finite inputs, ``scale`` per column): returns the int64
    increments of z, the stacked cycles' summed."""
    significances = np.asarray(significances, dtype=np.float64)
    cycles = significances.size
    m = cell_sum.shape[1] // cycles
    repeat = np.repeat(significances, m)[:, None]  # each stacked row's cycle significance
    increments = []
    for c in range(cell_sum.shape[0]):
        drop = discharge_reference((np.asarray(cell_sum[c], dtype=np.float64) + column_base[c]) * unit_v,
                                   v_pre_v, v_knee_v)
        columns = np.arange(drop.shape[-1])
        if thresholds_lsb.shape[-1] > 0:
            codes = convert_codes_reference(drop, columns, 1 / inv_lsb[c], offset_lsb[c] + zero, thresholds_lsb[c])
        else:
            codes = convert_codes_uniform_reference(drop, columns, 1 / inv_lsb[c], offset_lsb[c] + zero, top)
        counts = np.rint((codes - zero) * scale).astype(np.int64)
        z = 0
        for first, stop, gain, reference_gain in zip(starts, stops, gains, reference_gains):
            data = slice(first, stop - (reference_gain != 0))
            z = z + repeat * (gain * counts[:, data] + reference_gain * counts[:, stop - 1:stop]) \
                + column_offset[data]
        increments.append(np.asarray(z, dtype=np.int64).reshape(cycles, m, -1).sum(axis=0))
    return np.stack(increments)
