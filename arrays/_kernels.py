"""Numba kernels of the array periphery, each with its NumPy reference."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from imc.devices._kernels import discharge_reference, discharge_v


@njit(cache=True, parallel=True)
def sense_counts(cell_sum, unit_v, v_pre_v, v_knee_v, full_scale_v, levels, full_scale_count, out):
    """Bit-line discharge, ADC conversion and digital rescaling to a count, fused.

    ``cell_sum`` is the activated cells' current summed per column in units of the nominal
    cell current; the linear swing is ``cell_sum * unit_v``, the bit line drops by
    `discharge_v`, the ADC maps [0, full_scale_v] uniformly onto codes 0..levels-1 and
    the digital periphery rescales a code to the nearest count of full_scale_count.
    """
    flat_in = cell_sum.ravel()
    flat_out = out.ravel()
    top = levels - 1
    for i in prange(flat_in.size):
        dv = discharge_v(flat_in[i] * unit_v, v_pre_v, v_knee_v)
        code = min(max(np.rint(dv / full_scale_v * top), 0.0), top)
        flat_out[i] = np.int32(np.rint(code * full_scale_count / top))
    return out


def sense_counts_reference(cell_sum, unit_v, v_pre_v, v_knee_v, full_scale_v, levels,
                           full_scale_count):
    """NumPy reference of `sense_counts`."""
    dv = discharge_reference(cell_sum.astype(np.float64) * unit_v, v_pre_v, v_knee_v)
    code = np.clip(np.rint(dv / full_scale_v * (levels - 1)), 0, levels - 1)
    return np.rint(code * full_scale_count / (levels - 1)).astype(np.int32)
