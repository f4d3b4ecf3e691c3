"""Numba kernels for RRAM device physics over whole arrays, each with its NumPy reference.

Kernels are pure functions on arrays (``@njit(cache=True)``); tests compare every kernel
with its reference. The per-tile kernels (write-verify, the 1T1R I-V, drift) run serially without the
GIL: the engine programs chips in parallel threads, and a parallel kernel per tile inside them only
contends for the cores. Physics and sources are documented in `imc.devices.rram`.

Write-verify needs a random number per (cell, pulse), and how many pulses a cell takes is
only known while it is programmed. Instead of pre-drawing a (cells x max pulses) matrix,
the pulse noise comes from a *counter-based* generator (Salmon, Moraes, Dror & Shaw,
"Parallel random numbers: as easy as 1, 2, 3", SC 2011): the normal deviate of pulse p of
cell i is a fixed function of (seed, i, p), here the SplitMix64 output function (Steele,
Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) followed by
Box-Muller. The seed itself is drawn from the caller's ``numpy.random.Generator``, so
results depend on that generator only, never on thread count or scheduling, and the
vectorised NumPy reference reproduces the kernel exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15  # SplitMix64 increment (Steele et al. 2014)
MIX_1 = 0xBF58476D1CE4E5B9  # SplitMix64 output-mix multipliers (Steele et al. 2014)
MIX_2 = 0x94D049BB133111EB
TWO_TO_MINUS_53 = 2.0 ** -53
NEWTON_ITERATIONS = 60  # series-current solve: enough for |V|/V0 up to ~40 (linear phase) + quadratic tail

_GAMMA = np.uint64(GOLDEN_GAMMA)
_TWO_GAMMA = np.uint64((2 * GOLDEN_GAMMA) & MASK64)
_MIX_1 = np.uint64(MIX_1)
_MIX_2 = np.uint64(MIX_2)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


# ----------------------------------------------------------------------------- counter-based normals

@njit(cache=True, inline="always")
def _mix64(z):
    """SplitMix64 output function of a uint64 state."""
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def counter_normal(seed, counter):
    """Standard normal deviate number ``counter`` (uint64) of stream ``seed`` (uint64)."""
    state = seed + counter * _TWO_GAMMA
    u1 = (float(_mix64(state + _GAMMA) >> _S11) + 0.5) * TWO_TO_MINUS_53  # in (0, 1)
    u2 = float(_mix64(state + _TWO_GAMMA) >> _S11) * TWO_TO_MINUS_53  # in [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def _mix64_reference(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


def counter_normal_reference(seed: np.uint64, counters: np.ndarray) -> np.ndarray:
    """NumPy reference of `counter_normal` over an array of uint64 counters."""
    state = np.uint64(seed) + np.asarray(counters, dtype=np.uint64) * _TWO_GAMMA
    u1 = ((_mix64_reference(state + _GAMMA) >> _S11).astype(np.float64) + 0.5) * TWO_TO_MINUS_53
    u2 = (_mix64_reference(state + _TWO_GAMMA) >> _S11).astype(np.float64) * TWO_TO_MINUS_53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, parallel=True)
def counter_normals(seed, counters, out):
    """`counter_normal` over an array of uint64 ``counters``, into ``out``."""
    for i in prange(counters.size):
        out[i] = counter_normal(seed, counters[i])
    return out


# ----------------------------------------------------------------------------- write-verify

RATIO_MARGIN = 1e-9  # relative margin around the verify band within which `write_verify` takes the log


@njit(cache=True, nogil=True)
def write_verify(target_s, first_s, frozen, seed, tolerance, gain, sigma_pulse, max_pulses,
                 energy_per_siemens_j, out_s, out_pulses, out_converged, out_energy_j):
    """Program-and-verify every cell (flat arrays), into the ``out_*`` arrays.

    Pulse 1 leaves cell i at ``first_s[i]``. After each pulse a verify read compares the
    conductance with ``target_s``; while |G/G_target - 1| > ``tolerance`` and fewer than
    ``max_pulses`` pulses were applied, one more pulse moves the log-error
    e = ln(G/G_target) to (1 - gain) e + sigma_pulse z, z ~ N(0, 1) from
    ``counter_normal(seed, i * max_pulses + pulse)``. ``frozen`` cells (stuck) do not move
    but are still pulsed until the budget runs out. Energy: ``energy_per_siemens_j`` times
    the sum over pulses of the conductance each pulse left.
    """
    keep = 1.0 - gain
    low, high = math.log1p(-tolerance), math.log1p(tolerance)  # |G/G_t - 1| <= tol  <=>  low <= e <= high
    # ratios G/G_t this far inside the band (or, with one pulse, outside it) decide it without the log,
    # whose rounding (~1e-16) cannot move a ratio across a margin of 1e-9
    inner_low, inner_high = (1.0 - tolerance) * (1.0 + RATIO_MARGIN), (1.0 + tolerance) * (1.0 - RATIO_MARGIN)
    outer_low, outer_high = (1.0 - tolerance) * (1.0 - RATIO_MARGIN), (1.0 + tolerance) * (1.0 + RATIO_MARGIN)
    for i in range(target_s.size):
        target = target_s[i]
        conductance = first_s[i]
        ratio = conductance / target
        conductance_sum = conductance
        pulses = 1
        if inner_low < ratio < inner_high or (max_pulses == 1 and not outer_low <= ratio <= outer_high):
            out_s[i] = conductance
            out_pulses[i] = 1
            out_converged[i] = inner_low < ratio < inner_high
            out_energy_j[i] = energy_per_siemens_j * conductance
            continue
        log_error = math.log(ratio)
        while not low <= log_error <= high and pulses < max_pulses:
            if not frozen[i]:
                counter = np.uint64(i) * np.uint64(max_pulses) + np.uint64(pulses)
                log_error = keep * log_error + sigma_pulse * counter_normal(seed, counter)
                conductance = target * math.exp(log_error)
            pulses += 1
            conductance_sum += conductance
        out_s[i] = conductance
        out_pulses[i] = pulses
        out_converged[i] = low <= log_error <= high
        out_energy_j[i] = energy_per_siemens_j * conductance_sum


def write_verify_reference(target_s, first_s, frozen, seed, tolerance, gain, sigma_pulse, max_pulses,
                           energy_per_siemens_j):
    """NumPy reference of `write_verify` (same algorithm, one vectorised step per pulse).

    Returns (conductance_s, pulses, converged, energy_j).
    """
    log_error = np.log(first_s / target_s)
    conductance = first_s.copy()
    conductance_sum = first_s.copy()
    pulses = np.ones(target_s.size, dtype=np.int32)
    low, high = np.log1p(-tolerance), np.log1p(tolerance)
    cells = np.arange(target_s.size, dtype=np.uint64)
    for pulse in range(1, max_pulses):
        active = ~((low <= log_error) & (log_error <= high))
        if not active.any():
            break
        z = counter_normal_reference(seed, cells * np.uint64(max_pulses) + np.uint64(pulse))
        moving = active & ~frozen
        log_error = np.where(moving, (1.0 - gain) * log_error + sigma_pulse * z, log_error)
        conductance = np.where(moving, target_s * np.exp(log_error), conductance)
        conductance_sum += np.where(active, conductance, 0.0)
        pulses += active
    converged = (low <= log_error) & (log_error <= high)
    return conductance, pulses, converged, energy_per_siemens_j * conductance_sum


# ----------------------------------------------------------------------------- I-V with series access resistance

@njit(cache=True, inline="always")
def _series_current(g_s, v_v, v0_v, r_ohm):
    """Current (A) through a sinh-I-V cell of small-signal conductance g_s in series with r_ohm.

    Solves I = g V0 sinh((|V| - I R)/V0) by Newton's method from the linearised lower bound
    I_lin = g|V|/(1 + gR) (sinh x >= x makes it a lower bound); f(I) = I - g V0 sinh(...) is
    increasing and concave on [0, |V|/R], so the iterates rise monotonically to the root.
    Odd in V.
    """
    v_abs = abs(v_v)
    if r_ohm == 0.0:
        current = g_s * v0_v * math.sinh(v_abs / v0_v)
    else:
        current = g_s * v_abs / (1.0 + g_s * r_ohm)
        for _ in range(NEWTON_ITERATIONS):
            x = (v_abs - current * r_ohm) / v0_v
            rise = math.expm1(x)  # sinh and cosh from one exponential, without cancellation at small x
            sinh = rise * (rise + 2.0) / (2.0 * (rise + 1.0))
            residual = current - g_s * v0_v * sinh
            step = residual / (1.0 + g_s * r_ohm * (sinh + 1.0 / (rise + 1.0)))
            current -= step
            if abs(step) <= 1e-15 * current:
                break
    return current if v_v >= 0.0 else -current


@njit(cache=True, nogil=True)
def series_current(g_s, v_v, v0_v, r_ohm, out):
    """`_series_current` for every cell of the flat array ``g_s`` at one voltage, into ``out``."""
    for i in range(g_s.size):
        out[i] = _series_current(g_s[i], v_v, v0_v, r_ohm)
    return out


def series_current_reference(g_s, v_v, v0_v, r_ohm):
    """NumPy reference of `series_current` (fixed Newton iteration count, vectorised)."""
    v_abs = abs(v_v)
    if r_ohm == 0.0:
        current = g_s * v0_v * np.sinh(v_abs / v0_v)
    else:
        current = g_s * v_abs / (1.0 + g_s * r_ohm)
        for _ in range(NEWTON_ITERATIONS):
            x = (v_abs - current * r_ohm) / v0_v
            current = current - (current - g_s * v0_v * np.sinh(x)) / (1.0 + g_s * r_ohm * np.cosh(x))
    return np.copysign(current, v_v)


# ----------------------------------------------------------------------------- drift

@njit(cache=True, nogil=True)
def drift(programmed_s, nu, frozen, log_time_ratio, out):
    """G = G0 (t/t0)^-nu = G0 exp(-nu ln(t/t0)) per cell (flat arrays), frozen cells unchanged."""
    for i in range(programmed_s.size):
        out[i] = programmed_s[i] if frozen[i] else programmed_s[i] * math.exp(-nu[i] * log_time_ratio)
    return out


def drift_reference(programmed_s, nu, frozen, log_time_ratio):
    """NumPy reference of `drift`."""
    return np.where(frozen, programmed_s, programmed_s * np.exp(-nu * log_time_ratio))
