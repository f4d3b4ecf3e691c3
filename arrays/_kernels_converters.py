"""Numba kernel of the column ADC (`imc.arrays.converters.ColumnADC`), with its NumPy reference."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

ROW_BLOCK, COL_BLOCK = 256, 64  # one tile per task: its ADCs' lookups stay in cache


@njit(cache=True, inline="always")
def ideal_code(u: float, top: float) -> float:
    """Code (a whole float) of a finite input ``u`` (LSB) through ideal thresholds k - 1/2:
    clip(floor(u + 1/2), 0, top)."""
    return min(max(np.floor(u + 0.5), 0.0), top)


LOOKUP_SLOTS = 3  # thresholds a lookup bin holds; `table_code` walks past them (rare: 3 thresholds within 1 LSB)


def threshold_lookup(thresholds_lsb: np.ndarray) -> np.ndarray:
    """Bin lookup of ascending decision thresholds (..., top) (LSB): (..., top + 1, 1 + LOOKUP_SLOTS) float64.

    Bin b (0 .. top) holds n_b, the number of thresholds below b LSB (0 for b = 0), then the
    LOOKUP_SLOTS thresholds T[n_b], T[n_b + 1], ... (+inf past the last), so that `table_code`
    reads one bin, with no load that depends on another. 32 bytes a bin: 8 kB per 8-bit converter
    next to its 2 kB of thresholds.
    """
    top, rows = thresholds_lsb.shape[-1], math.prod(thresholds_lsb.shape[:-1])
    lookup = np.empty((*thresholds_lsb.shape[:-1], top + 1, 1 + LOOKUP_SLOTS))
    if top == 0:  # no thresholds (ideal converters, unused lookup): one bin, none below it, empty slots
        lookup[..., 0] = 0.0
        lookup[..., 1:] = np.inf
        return lookup
    fill_lookup(np.ascontiguousarray(thresholds_lsb, dtype=np.float64).reshape(rows, top),
                lookup.reshape(rows, top + 1, 1 + LOOKUP_SLOTS))
    return lookup


@njit(cache=True, nogil=True)
def fill_lookup(thresholds, lookup):
    """`threshold_lookup` of ascending thresholds (rows, top) (LSB) into lookup (rows, top + 1, 1 + LOOKUP_SLOTS);
    free of the GIL: chips are programmed in parallel threads."""
    rows, top = thresholds.shape
    for row in range(rows):
        below = 0
        for b in range(top + 1):
            while b > 0 and below < top and thresholds[row, below] < b:
                below += 1
            lookup[row, b, 0] = below
            for slot in range(LOOKUP_SLOTS):
                lookup[row, b, 1 + slot] = thresholds[row, below + slot] if below + slot < top else np.inf
    return lookup


@njit(cache=True, nogil=True)
def sort_rows(values):
    """Sort each row of ``values`` (rows, n) ascending in place by insertion: linear in n for the nearly
    sorted rows of decision thresholds a fraction of an LSB off their ideal places (NumPy's sort
    spends ~2 ns an element on them), the same values as `numpy.sort`; free of the GIL."""
    rows, n = values.shape
    for row in range(rows):
        line = values[row]
        for k in range(1, n):
            value = line[k]
            at = k
            while at > 0 and line[at - 1] > value:
                line[at] = line[at - 1]
                at -= 1
            line[at] = value
    return values


def threshold_lookup_reference(thresholds_lsb: np.ndarray) -> np.ndarray:
    """NumPy reference of `threshold_lookup`: n_b from the bins floor(T) clipped to 0 .. top (T < b exactly
    when floor(T) < b, for whole b >= 1)."""
    top = thresholds_lsb.shape[-1]
    flat = thresholds_lsb.reshape(math.prod(thresholds_lsb.shape[:-1]), top)
    occupied = np.clip(np.floor(flat), 0, top).astype(np.int64) + (top + 1) * np.arange(flat.shape[0])[:, None]
    in_bin = np.bincount(occupied.ravel(), minlength=flat.shape[0] * (top + 1)).reshape(-1, top + 1)
    below = np.cumsum(in_bin, axis=1) - in_bin
    padded = np.concatenate([flat, np.full((flat.shape[0], LOOKUP_SLOTS), np.inf)], axis=1)
    slots = [np.take_along_axis(padded, below + slot, axis=1) for slot in range(LOOKUP_SLOTS)]
    return np.stack([below, *slots], axis=-1).astype(np.float64).reshape(*thresholds_lsb.shape[:-1], top + 1, -1)


@njit(cache=True, inline="always")
def lookup_bin(u: float, bins: int) -> int:
    """Bin of an input ``u`` (LSB) in a `threshold_lookup` of ``bins`` bins: floor(u) clipped to
    0 .. bins - 1 (NaN: 0), branch-free so that a loop computing it vectorises."""
    whole = np.floor(u)
    return np.int64(min(whole, bins - 1.0) if whole > 0.0 else 0.0)


@njit(cache=True)
def _walk(u: float, code: int, thresholds, row: int) -> float:
    """Code past ``code``: thresholds[row, code], ... (LSB) counted while at or below u."""
    while code < thresholds.shape[1] and thresholds[row, code] <= u:
        code += 1
    return float(code)


@njit(cache=True, inline="always")
def table_code(u: float, b: int, lookup, thresholds, row: int) -> float:
    """Code (a whole float) of an input ``u`` (LSB) in bin b = `lookup_bin` (u): the number of the
    ascending thresholds ``thresholds[row]`` (LSB) at or below u, from their `threshold_lookup`
    ``lookup[row]``.

    Exact for every u: the n_b thresholds below bin b are at or below u (b <= u, or none for
    b = 0), and the rest, ascending, are at or below u for a prefix T[n_b] .. T[n_b + k - 1];
    the bin's LOOKUP_SLOTS = 3 slots count k when k < 3, else the code walks on through the
    thresholds (rare). A NaN compares false: code 0. The table is indexed in place (no row view
    per call).
    """
    code = lookup[row, b, 0] + (lookup[row, b, 1] <= u) + (lookup[row, b, 2] <= u) + (lookup[row, b, 3] <= u)
    if lookup[row, b, LOOKUP_SLOTS] <= u:
        return _walk(u, int(code), thresholds, row)  # returned, not assigned to code: the caller's loop 2x faster
    return code


@njit(cache=True, inline="always")
def bin_start(row, b, bins):
    """Unsigned index of bin ``b`` of lookup row ``row`` in a raveled C-contiguous (rows, bins, 1 +
    LOOKUP_SLOTS) `threshold_lookup` (unsigned: no negative-index wraparound to check, so loops over it
    stay branch-free)."""
    return (np.uint64(row) * np.uint64(bins) + np.uint64(b)) * np.uint64(1 + LOOKUP_SLOTS)


@njit(cache=True, inline="always")
def bin_code(u, at, flat):
    """`table_code` without its walk: the code of ``u`` (LSB) counted in the bin at `bin_start` ``at`` of the
    raveled lookup ``flat``, exact unless the bin's last slot is at or below u (`bin_overflows`)."""
    one = np.uint64(1)
    return flat[at] + (flat[at + one] <= u) + (flat[at + np.uint64(2)] <= u) + (flat[at + np.uint64(3)] <= u)


@njit(cache=True, inline="always")
def bin_overflows(u, at, flat):
    """1 when `bin_code` is short of the code of ``u``: its bin's thresholds run out at or below u
    (`table_code` walks on)."""
    return np.int64(flat[at + np.uint64(LOOKUP_SLOTS)] <= u)


@njit(cache=True)
def convert_codes(x, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb, lookup, out):
    """Codes of column values through per-ADC offset, gain and decision thresholds.

    x: (m, cols) column values in the converter's input unit; adc_of_col: (cols,) int64,
    which ADC converts each column; lsb_eff: (n_adcs,) effective LSB, LSB / (1 + gain error);
    offset_lsb: (n_adcs,) input-referred offset in LSB; thresholds_lsb: (n_adcs, 2^bits - 1)
    sorted decision thresholds in LSB and lookup their `threshold_lookup`. Writes into out
    (m, cols) int32 the number of thresholds at or below u = x / lsb_eff + offset (the code,
    0..2^bits - 1: saturating at both rails) and returns how many inputs were not finite
    (their code is left 0).

    The work goes in ROW_BLOCK x COL_BLOCK tiles, so that the lookups of a tile's ADCs stay in
    cache while its rows convert: per row of a tile a pass over its columns that vectorises (u, its
    bin, the finite check), then the lookups (`bin_code`; `table_code` where a bin's slots run out).
    Serial on purpose (see `imc.devices._kernels.discharge_array`): it runs per tile right after a BLAS
    GEMM.
    """
    m, cols = x.shape
    bins = lookup.shape[1]
    flat = np.ascontiguousarray(lookup).ravel()
    lsb_col, offset_col = lsb_eff[adc_of_col], offset_lsb[adc_of_col]
    row_blocks = (m + ROW_BLOCK - 1) // ROW_BLOCK
    col_blocks = (cols + COL_BLOCK - 1) // COL_BLOCK
    u = np.empty(COL_BLOCK)
    b = np.empty(COL_BLOCK, np.int64)
    not_finite = 0
    for tile in range(row_blocks * col_blocks):
        rows_start = (tile // col_blocks) * ROW_BLOCK
        cols_start = (tile % col_blocks) * COL_BLOCK
        width = min(cols, cols_start + COL_BLOCK) - cols_start
        for i in range(rows_start, min(m, rows_start + ROW_BLOCK)):
            x_row, out_row = x[i, cols_start:], out[i, cols_start:]
            lsb_row, offset_row = lsb_col[cols_start:], offset_col[cols_start:]
            for j in range(width):
                u[j] = x_row[j] / lsb_row[j] + offset_row[j]
                b[j] = lookup_bin(u[j], bins)
                not_finite += not abs(u[j]) < np.inf
            walks = 0
            for j in range(width):  # each bin's code without a branch
                at = bin_start(adc_of_col[cols_start + j], b[j], bins)
                out_row[j] = np.int32(bin_code(u[j], at, flat)) if abs(u[j]) < np.inf else 0
                walks += bin_overflows(u[j], at, flat)
            if walks:  # rare: more thresholds in a bin than it holds
                for j in range(width):
                    adc = adc_of_col[cols_start + j]
                    if bin_overflows(u[j], bin_start(adc, b[j], bins), flat) and abs(u[j]) < np.inf:
                        out_row[j] = np.int32(table_code(u[j], b[j], lookup, thresholds_lsb, adc))
    return not_finite


def convert_codes_reference(x, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb):
    """NumPy reference of `convert_codes` (finite inputs): returns the (m, cols) int32 codes."""
    u = x / lsb_eff[adc_of_col] + offset_lsb[adc_of_col]
    codes = np.empty(u.shape, dtype=np.int32)
    for adc in np.unique(adc_of_col):
        columns = adc_of_col == adc
        codes[:, columns] = np.searchsorted(thresholds_lsb[adc], u[:, columns], side="right")
    return codes


@njit(cache=True)
def convert_codes_uniform(x, adc_of_col, lsb_eff, offset_lsb, top, out):
    """`convert_codes` for ideal thresholds k - 1/2: code = clip(floor(u + 1/2), 0, top) in closed
    form, u = x / lsb_eff + offset. Returns how many inputs were not finite (code left 0)."""
    m, cols = x.shape
    not_finite = 0
    for i in range(m):
        for j in range(cols):
            adc = adc_of_col[j]
            u = x[i, j] / lsb_eff[adc] + offset_lsb[adc]
            if np.isfinite(u):
                out[i, j] = int(ideal_code(u, top))
            else:
                out[i, j] = 0
                not_finite += 1
    return not_finite


def convert_codes_uniform_reference(x, adc_of_col, lsb_eff, offset_lsb, top):
    """NumPy reference of `convert_codes_uniform` (finite inputs)."""
    u = x / lsb_eff[adc_of_col] + offset_lsb[adc_of_col]
    return np.clip(np.floor(u + 0.5), 0, top).astype(np.int32)
