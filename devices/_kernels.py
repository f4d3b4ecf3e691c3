"""Numba kernels for device physics over whole arrays, each with its NumPy reference.

Kernels are pure functions on arrays; tests compare every kernel with its reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def discharge_v(swing_v: float, v_pre_v: float, v_knee_v: float) -> float:
    """Bit-line voltage drop for a linear (constant-current) swing ``swing_v`` (V).

    Constant current while the bit line stays above the knee, then an RC decay below it:
    dV = s                                          for s <= V_pre - V_knee
    dV = V_pre - V_knee * exp(-(s - (V_pre - V_knee)) / V_knee)    otherwise.
    See `imc.devices.sram.SRAM6T.bitline_discharge_v` for the derivation and sources.
    """
    linear_limit = v_pre_v - v_knee_v
    if swing_v <= linear_limit:
        return swing_v
    return v_pre_v - v_knee_v * math.exp(-(swing_v - linear_limit) / v_knee_v)


def discharge_reference(swing_v: np.ndarray, v_pre_v: float, v_knee_v: float) -> np.ndarray:
    """NumPy reference of `discharge_v` over an array."""
    linear_limit = v_pre_v - v_knee_v
    tail = v_pre_v - v_knee_v * np.exp(-(swing_v - linear_limit) / v_knee_v)
    return np.where(swing_v <= linear_limit, swing_v, tail)


@njit(cache=True, parallel=True)
def relative_read_current(delta_vth_v, overdrive_v, alpha, out):
    """Alpha-power-law read current relative to the nominal cell, in place into ``out``.

    out = max(V_ov - dVth, 0)^alpha / V_ov^alpha, with V_ov = V_WL - V_th0 the nominal
    overdrive (Sakurai & Newton, IEEE JSSC 25(2), 1990, Sec. II); cells pushed below
    threshold conduct nothing in this above-threshold model.
    """
    flat_in = delta_vth_v.ravel()
    flat_out = out.ravel()
    for i in prange(flat_in.size):
        ov = overdrive_v - flat_in[i]
        flat_out[i] = (ov / overdrive_v) ** alpha if ov > 0.0 else 0.0
    return out


def relative_read_current_reference(delta_vth_v: np.ndarray, overdrive_v: float,
                                    alpha: float) -> np.ndarray:
    """NumPy reference of `relative_read_current`."""
    return (np.maximum(overdrive_v - delta_vth_v, 0.0) / overdrive_v) ** alpha
