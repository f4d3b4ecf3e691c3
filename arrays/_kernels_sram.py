"""Fused Numba kernel of the SRAM array's sensing path, with its NumPy reference."""

from __future__ import annotations

import numpy as np
from numba import njit

from imc.arrays._kernels_converters import convert_codes_uniform_reference
from imc.devices._kernels import discharge_reference, discharge_v


@njit(cache=True)
def sense_counts_uniform(cell_sum, unit_v, v_pre_v, v_knee_v, adc_of_col, lsb_eff, offset_lsb, top, scale, out):
    """Bit-line discharge, column ADC with ideal thresholds (per-ADC offset and gain) and the
    digital rescaling to counts, in one pass over ``cell_sum`` (m, cols) into ``out`` (int32).

    count = rint(code * scale), code = clip(floor(dV / lsb_eff + offset + 1/2), 0, top),
    dV = `discharge_v`(cell_sum * unit_v). Serial: it runs per tile next to a BLAS GEMM.
    """
    m, cols = cell_sum.shape
    for i in range(m):
        for j in range(cols):
            adc = adc_of_col[j]
            drop = discharge_v(cell_sum[i, j] * unit_v, v_pre_v, v_knee_v)
            code = min(max(np.floor(drop / lsb_eff[adc] + offset_lsb[adc] + 0.5), 0.0), top)
            out[i, j] = np.int32(np.rint(code * scale))
    return out


def sense_counts_uniform_reference(cell_sum, unit_v, v_pre_v, v_knee_v, adc_of_col, lsb_eff, offset_lsb, top, scale):
    """NumPy reference of `sense_counts_uniform`."""
    drop = discharge_reference(np.asarray(cell_sum, dtype=np.float64) * unit_v, v_pre_v, v_knee_v)
    codes = convert_codes_uniform_reference(drop, adc_of_col, lsb_eff, offset_lsb, top)
    return np.rint(codes * scale).astype(np.int32)
