"""Numba kernels for SRAM device physics over whole arrays, each with its NumPy reference.

Kernels are pure functions on arrays; tests compare every kernel with its reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from imc.devices._kernels_random import normals_at

NEWTON_ITERATIONS = 40


@njit(cache=True, inline="always")
def discharge_v(swing_v: float, v_pre_v: float, v_knee_v: float) -> float:
    """Bit-line voltage drop for a linear (constant-current) swing ``swing_v`` (V).

    Constant current while the bit line stays above the knee, then an RC decay below it:
    dV = s                                          for s <= V_pre - V_knee
    dV = V_pre - V_knee * exp(-(s - (V_pre - V_knee)) / V_knee)    otherwise.
    See `imc.devices.sram.SRAMBitCell.bitline_discharge_v` for the derivation and sources.
    """
    linear_limit = v_pre_v - v_knee_v
    if swing_v <= linear_limit:
        return swing_v
    return v_pre_v - v_knee_v * math.exp(-(swing_v - linear_limit) / v_knee_v)


@njit(cache=True, nogil=True)
def discharge_array(swing_v, v_pre_v, v_knee_v, out):
    """`discharge_v` over every element of ``swing_v``, into ``out``.

    Serial on purpose: it runs per tile right after a BLAS GEMM, whose spinning threads would
    compete with Numba's thread pool on a small machine; the work is memory-bound anyway.
    """
    flat_in, flat_out = swing_v.ravel(), out.ravel()
    for i in range(flat_in.size):
        flat_out[i] = discharge_v(flat_in[i], v_pre_v, v_knee_v)
    return out


def discharge_reference(swing_v: np.ndarray, v_pre_v: float, v_knee_v: float) -> np.ndarray:
    """NumPy reference of `discharge_v` over an array."""
    linear_limit = v_pre_v - v_knee_v
    tail = v_pre_v - v_knee_v * np.exp(-(swing_v - linear_limit) / v_knee_v)
    return np.where(swing_v <= linear_limit, swing_v, tail)


@njit(cache=True, inline="always")
def _drain_current(v_ov, i_sat, v_ref, alpha, n_vt):
    """Drain current (A) and dI/dV_ov of a saturated transistor at overdrive v_ov = V_GS - V_th.

    I = I_sat (V_eff / v_ref)^alpha with the smooth effective overdrive
    V_eff = alpha n V_T ln(1 + exp(v_ov / (alpha n V_T))): the alpha-power law above threshold,
    I ~ exp(v_ov / (n V_T)) below it (see `imc.devices.sram.SRAMBitCell.cell_current_a`).
    """
    scale = alpha * n_vt
    x = v_ov / scale
    if x > 30.0:
        softplus, sigmoid = x, 1.0
    else:
        e = math.exp(x)
        softplus, sigmoid = math.log1p(e), e / (1.0 + e)
    ratio = scale * softplus / v_ref
    power = i_sat * ratio ** (alpha - 1.0)
    return power * ratio, alpha * power * sigmoid / v_ref


@njit(cache=True, parallel=True)
def stack_read_current(dvth_read, dvth_stack, v_wl_v, vdd_v, vth0_v, alpha, n_vt,
                       i_sat_read, i_sat_stack, v_d0_v, out):
    """Read current (A) of two NMOS in series, per cell, into ``out``.

    The word-line-gated read transistor (saturated, `_drain_current`) drives a node
    held by the storage-gated transistor (gate at V_DD, linear region, a resistance
    R = V_D0 / (2 I_sat,stack) with its own threshold shift). Solves
    I = I_read(V_WL - I*R - V_th,read) by Newton's method safeguarded by bisection, stopping
    when a step changes the current by less than 1e-13 of itself.
    """
    flat_read = dvth_read.ravel()
    flat_stack = dvth_stack.ravel()
    flat_out = out.ravel()
    v_ref = vdd_v - vth0_v
    for i in prange(flat_read.size):
        stack_ov = vdd_v - vth0_v - flat_stack[i]
        if stack_ov <= 0.0:
            flat_out[i] = 0.0
            continue
        r_stack = v_d0_v / (2.0 * i_sat_stack * (stack_ov / v_ref) ** alpha)
        v_ov0 = v_wl_v - vth0_v - flat_read[i]
        high, _ = _drain_current(v_ov0, i_sat_read, v_ref, alpha, n_vt)
        low = 0.0
        current = high
        for _ in range(NEWTON_ITERATIONS):
            drive, slope = _drain_current(v_ov0 - current * r_stack, i_sat_read, v_ref, alpha, n_vt)
            residual = current - drive
            if residual > 0.0:
                high = current
            else:
                low = current
            step = current - residual / (1.0 + r_stack * slope)
            if step < low or step > high:
                step = 0.5 * (low + high)
            converged = abs(step - current) <= 1e-13 * step
            current = step
            if converged:
                break
        flat_out[i] = current
    return out


def stack_read_current_reference(dvth_read, dvth_stack, v_wl_v, vdd_v, vth0_v, alpha, n_vt,
                                 i_sat_read, i_sat_stack, v_d0_v):
    """NumPy reference of `stack_read_current` (same algorithm, vectorised)."""
    v_ref = vdd_v - vth0_v

    def drain(v_ov):
        scale = alpha * n_vt
        x = v_ov / scale
        softplus = np.logaddexp(0.0, x)
        ratio = scale * softplus / v_ref
        power = i_sat_read * ratio ** (alpha - 1.0)
        return power * ratio, alpha * power / v_ref / (1.0 + np.exp(-x))

    stack_ov = vdd_v - vth0_v - np.asarray(dvth_stack, dtype=np.float64)
    conducting = stack_ov > 0
    r_stack = v_d0_v / (2.0 * i_sat_stack * (np.maximum(stack_ov, 1e-30) / v_ref) ** alpha)
    v_ov0 = v_wl_v - vth0_v - np.asarray(dvth_read, dtype=np.float64)
    high, _ = drain(v_ov0)
    low = np.zeros_like(high)
    current = high.copy()
    for _ in range(NEWTON_ITERATIONS):
        drive, slope = drain(v_ov0 - current * r_stack)
        residual = current - drive
        high = np.where(residual > 0, current, high)
        low = np.where(residual > 0, low, current)
        step = current - residual / (1.0 + r_stack * slope)
        current = np.where((low <= step) & (step <= high), step, 0.5 * (low + high))
    return np.where(conducting, current, 0.0)


@njit(cache=True, inline="always")
def _grid_cell(u, v, nx, ny):
    """The cell of an (nx, ny) grid holding fractional indices (u, v): its flat corner index i ny + j
    and the fractions u - i, v - j; off the grid (or NaN): cell 0 and a NaN fraction, which
    `_interpolate` turns into NaN. Branch-free, so a loop of these vectorises."""
    inside = (0.0 <= u) & (u <= nx - 1) & (0.0 <= v) & (v <= ny - 1)
    u = u if inside else 0.0
    v = v if inside else 0.0
    i = min(int(u), nx - 2)
    j = min(int(v), ny - 2)
    return i * ny + j if inside else 0, u - i if inside else np.nan, v - j


@njit(cache=True, inline="always")
def _interpolate(flat_table, ny, cell, fu, fv):
    """Bilinear interpolation inside grid cell ``cell`` (flat corner index) at fractions (fu, fv)."""
    return ((1 - fu) * ((1 - fv) * flat_table[cell] + fv * flat_table[cell + 1])
            + fu * ((1 - fv) * flat_table[cell + ny] + fv * flat_table[cell + ny + 1]))


LOOKUP_BLOCK = 1024  # points per pass of `bilinear_lookup`: its scratch stays in L1


@njit(cache=True, nogil=True)
def bilinear_lookup(x, y, x0, dx, y0, dy, table, out):
    """Bilinear interpolation of ``table`` (nx, ny) on the grid x0 + i dx, y0 + j dy, into ``out``.

    Points outside the grid get NaN (the caller computes them exactly). In blocks, each in two
    passes: the grid cells and fractions (vectorised), then the corner loads and the blend (scalar
    loads, no branches; ~1.6x faster than one pass doing both). Serial and free of the GIL:
    Monte-Carlo chips sample in parallel threads (`imc.engine.chip_accuracies`).
    """
    nx, ny = table.shape
    flat_x, flat_y, flat_out, flat_table = x.ravel(), y.ravel(), out.ravel(), table.ravel()
    per_dx, per_dy = 1.0 / dx, 1.0 / dy
    cells = np.empty(LOOKUP_BLOCK, dtype=np.intp)
    fu = np.empty(LOOKUP_BLOCK)
    fv = np.empty(LOOKUP_BLOCK)
    for start in range(0, flat_x.size, LOOKUP_BLOCK):
        n = min(LOOKUP_BLOCK, flat_x.size - start)
        for k in range(n):
            cells[k], fu[k], fv[k] = _grid_cell((flat_x[start + k] - x0) * per_dx,
                                                (flat_y[start + k] - y0) * per_dy, nx, ny)
        for k in range(n):
            flat_out[start + k] = _interpolate(flat_table, ny, cells[k], fu[k], fv[k])
    return out


def bilinear_lookup_reference(x, y, x0, dx, y0, dy, table):
    """NumPy reference of `bilinear_lookup`."""
    nx, ny = table.shape
    u = (np.asarray(x, dtype=np.float64) - x0) / dx
    v = (np.asarray(y, dtype=np.float64) - y0) / dy
    inside = (u >= 0) & (u <= nx - 1) & (v >= 0) & (v <= ny - 1)
    i = np.clip(np.floor(np.where(inside, u, 0)).astype(np.intp), 0, nx - 2)
    j = np.clip(np.floor(np.where(inside, v, 0)).astype(np.intp), 0, ny - 2)
    fu, fv = np.where(inside, u, 0) - i, np.where(inside, v, 0) - j
    value = ((1 - fu) * ((1 - fv) * table[i, j] + fv * table[i, j + 1])
             + fu * ((1 - fv) * table[i + 1, j] + fv * table[i + 1, j + 1]))
    return np.where(inside, value, np.nan)


@njit(cache=True, nogil=True)
def mismatch_currents(key_read, key_stack, sigma_read_v, sigma_stack_v, ports, arrays, array_index, rows, cols,
                      states, x0, dx, y0, dy, table, out):
    """Relative read currents of one array's conducting cells, drawn and tabulated in one pass.

    Logical row l of array ``array_index`` is physical row l // ports, port l % ports of a block of
    (ports, arrays, rows, cols) cells; cell (l, c) with ``states[l, c] != 0`` gets the threshold shifts
    float32(sigma) * float32(normal_at(key, index)) of its C-order index in that block (the values of
    `imc.devices._kernels_random.standard_normal` over the whole block, drawn a row at a time by
    `normals_at`) and ``out[l, c]`` = the `bilinear_lookup` of ``table`` at them (NaN outside the grid);
    cells storing 0 get 0. Returns the number of cells outside the grid (NaN).
    Serial and free of the GIL: chips are programmed in parallel threads.
    """
    nx, ny = table.shape
    sigma_read = np.float32(sigma_read_v)
    sigma_stack = np.float32(sigma_stack_v)
    per_dx, per_dy = 1.0 / dx, 1.0 / dy
    conducting = np.empty(states.shape[1], dtype=np.intp)  # one row's cells storing 1
    index = np.empty(states.shape[1], dtype=np.intp)  # their draw indices
    read = np.empty(states.shape[1])  # their normals, then their fractions in the grid cell
    stack = np.empty(states.shape[1])
    cells = np.empty(states.shape[1], dtype=np.intp)
    flat_table = table.ravel()
    off_grid = 0
    for row in range(states.shape[0]):
        base = (((row % ports) * arrays + array_index) * rows + row // ports) * cols
        n = 0
        for col in range(states.shape[1]):  # branch-free compaction: stored bits are random
            out[row, col] = 0.0
            conducting[n] = col
            n += states[row, col] != 0
        for k in range(n):
            index[k] = base + conducting[k]
        normals_at(key_read, index, n, read)
        normals_at(key_stack, index, n, stack)
        for k in range(n):  # vectorised; the loads and blend after it, as in `bilinear_lookup`
            cells[k], read[k], stack[k] = _grid_cell((np.float32(read[k]) * sigma_read - x0) * per_dx,
                                                     (np.float32(stack[k]) * sigma_stack - y0) * per_dy, nx, ny)
            off_grid += np.isnan(read[k])
        for k in range(n):
            out[row, conducting[k]] = _interpolate(flat_table, ny, cells[k], read[k], stack[k])
    return off_grid
