"""Numba kernel of the column ADC (`imc.arrays.converters.ColumnADC`), with its NumPy reference."""

from __future__ import annotations

import numpy as np
from numba import njit

ROW_BLOCK, COL_BLOCK = 256, 64  # one tile per task: its ADCs' thresholds stay in cache


@njit(cache=True, inline="always")
def ideal_code(u: float, top: float) -> float:
    """Code (a whole float) of a finite input ``u`` (LSB) through ideal thresholds k - 1/2:
    clip(floor(u + 1/2), 0, top)."""
    return min(max(np.floor(u + 0.5), 0.0), top)


@njit(cache=True, inline="always")
def table_code(u: float, thresholds, row: int) -> int:
    """Code of a finite input ``u`` (LSB): the number of the ascending thresholds ``thresholds[row]`` (LSB)
    at or below u.

    The search starts at the ideal code floor(u + 1/2) and walks to the true one, so it costs
    O(1 + |threshold deviation| in LSB). The table is indexed in place (no row view per call).
    """
    top = thresholds.shape[1]
    code = int(ideal_code(u, top))
    while code < top and thresholds[row, code] <= u:
        code += 1
    while code > 0 and thresholds[row, code - 1] > u:
        code -= 1
    return code


@njit(cache=True)
def convert_codes(x, adc_of_col, lsb_eff, offset_lsb, thresholds_lsb, out):
    """Codes of column values through per-ADC offset, gain and decision thresholds.

    x: (m, cols) column values in the converter's input unit; adc_of_col: (cols,) int64,
    which ADC converts each column; lsb_eff: (n_adcs,) effective LSB, LSB / (1 + gain error);
    offset_lsb: (n_adcs,) input-referred offset in LSB; thresholds_lsb: (n_adcs, 2^bits - 1)
    sorted decision thresholds in LSB. Writes into out (m, cols) int32 the number of
    thresholds at or below u = x / lsb_eff + offset (the code, 0..2^bits - 1: saturating at
    both rails) and returns how many inputs were not finite (their code is left 0).

    The work goes in ROW_BLOCK x COL_BLOCK tiles, column by column within a tile, so that an
    ADC's thresholds stay in cache while its columns convert (`table_code`). Serial on purpose
    (see `imc.devices._kernels.discharge_array`): it runs per tile right after a BLAS GEMM.
    """
    m, cols = x.shape
    row_blocks = (m + ROW_BLOCK - 1) // ROW_BLOCK
    col_blocks = (cols + COL_BLOCK - 1) // COL_BLOCK
    not_finite = 0
    for tile in range(row_blocks * col_blocks):
        rows_start = (tile // col_blocks) * ROW_BLOCK
        cols_start = (tile % col_blocks) * COL_BLOCK
        for j in range(cols_start, min(cols, cols_start + COL_BLOCK)):
            adc = adc_of_col[j]
            for i in range(rows_start, min(m, rows_start + ROW_BLOCK)):
                u = x[i, j] / lsb_eff[adc] + offset_lsb[adc]
                if np.isfinite(u):
                    out[i, j] = table_code(u, thresholds_lsb, adc)
                else:
                    out[i, j] = 0
                    not_finite += 1
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
