"""Numba kernels of the DRAM 1T1C model, each with its NumPy reference.

Kernels are pure functions on arrays; tests compare every kernel with its reference.
See `imc.devices.dram` for the physics and its sources.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def charge_share_signal(v_cells_v, c_cells_f, signs, c_bl_f, v_pre_v, out):
    """Bit-line signal (V) of k cells per column sharing charge with one precharged bit line.

    ``v_cells_v`` and ``c_cells_f`` are (k, n): k cells activated together on each of n bit
    lines; ``signs`` (k,) is +1 for a cell on the bit line and -1 for a cell reached through
    the complementary bit line (a dual-contact cell's n-wordline); ``c_bl_f`` (n,) each bit line's
    capacitance. In place into ``out`` (n,): dV = sum_i s_i C_i (V_i - V_pre) / (sum_i C_i + C_BL).
    """
    k, n = v_cells_v.shape
    for j in prange(n):
        moved = 0.0
        total = c_bl_f[j]
        for i in range(k):
            moved += signs[i] * c_cells_f[i, j] * (v_cells_v[i, j] - v_pre_v)
            total += c_cells_f[i, j]
        out[j] = moved / total
    return out


def charge_share_signal_reference(v_cells_v: np.ndarray, c_cells_f: np.ndarray, signs: np.ndarray,
                                  c_bl_f, v_pre_v: float) -> np.ndarray:
    """NumPy reference of `charge_share_signal`."""
    moved = (signs[:, None] * c_cells_f * (v_cells_v - v_pre_v)).sum(axis=0)
    return moved / (c_cells_f.sum(axis=0) + c_bl_f)


@njit(cache=True, parallel=True)
def leak(v_cell_v, tau_s, elapsed_s, out):
    """Cell voltages after ``elapsed_s`` of exponential leakage toward 0 V, in place into ``out``.

    out = V * exp(-t / tau) per cell (flat arrays of equal size).
    """
    for i in prange(v_cell_v.size):
        out[i] = v_cell_v[i] * math.exp(-elapsed_s / tau_s[i])
    return out


def leak_reference(v_cell_v: np.ndarray, tau_s: np.ndarray, elapsed_s: float) -> np.ndarray:
    """NumPy reference of `leak`."""
    return v_cell_v * np.exp(-elapsed_s / tau_s)
