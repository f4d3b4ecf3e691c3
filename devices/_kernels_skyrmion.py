"""Numba kernels for the skyrmion racetrack over whole arrays, each with its NumPy reference.

Kernels are pure functions on arrays; tests compare every kernel with its reference. The
physics and its sources are documented in `imc.devices.skyrmion`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _invert_cdf(cdf_row, uniform):
    """Smallest c with uniform < cdf_row[c] (inverse-transform sampling); the last bin takes the rest."""
    last = cdf_row.size - 1
    count = 0
    while count < last and uniform >= cdf_row[count]:
        count += 1
    return count


@njit(cache=True, parallel=True)
def sample_counts(states, previous, u_write, u_delete, write_cdf, delete_cdf, track_len,
                  segments_per_track, out):
    """Skyrmions per segment after programming, into ``out`` (flat int32).

    ``states``: programmed counts (flat int64); cell i sits at segment
    ``(i % track_len) % segments_per_track`` of its track and its skyrmions travelled that
    index + 1 shift steps. ``write_cdf[state, segment]`` is the CDF of the surviving count
    (nucleation failures, extra nucleations, losses while shifting); one uniform per cell
    inverts it. When ``previous`` is non-empty, ``delete_cdf[previous]`` is the CDF of old
    skyrmions left behind by an imperfect deletion, inverted with ``u_delete``.
    """
    with_previous = previous.size > 0
    for i in prange(states.size):
        segment = (i % track_len) % segments_per_track
        count = _invert_cdf(write_cdf[states[i], segment], u_write[i])
        if with_previous:
            count += _invert_cdf(delete_cdf[previous[i]], u_delete[i])
        out[i] = count
    return out


def sample_counts_reference(states, previous, u_write, u_delete, write_cdf, delete_cdf, track_len,
                            segments_per_track):
    """NumPy reference of `sample_counts` (same inversion, vectorised)."""
    segment = (np.arange(states.size) % track_len) % segments_per_track
    counts = (u_write[:, None] >= write_cdf[states, segment][:, :-1]).sum(axis=1)
    if previous.size:
        counts += (u_delete[:, None] >= delete_cdf[previous][:, :-1]).sum(axis=1)
    return counts.astype(np.int32)


@njit(cache=True, parallel=True)
def read_conductance(counts, g_p, tmr, area_fraction, normals, noise_scale, out):
    """Read-MTJ conductance (S) of every cell, into ``out`` (flat float64).

    G = G_AP + (G_P - G_AP) * min(k * a, 1) with G_AP = G_P / (1 + TMR): the skyrmion cores
    (fraction k*a of the free layer) tunnel in the parallel state, the rest in the
    antiparallel one. With ``noise_scale`` > 0 a read-noise term noise_scale * sqrt(G) *
    ``normals[i]`` is added (shot + thermal noise, see `SkyrmionRacetrack.read`).
    """
    noisy = noise_scale > 0.0
    for i in prange(counts.size):
        covered = min(counts[i] * area_fraction, 1.0)
        g_parallel = np.float64(g_p[i])
        g_anti = g_parallel / (1.0 + tmr[i])
        g = g_anti + (g_parallel - g_anti) * covered
        if noisy:
            g += noise_scale * np.sqrt(g) * normals[i]
        out[i] = g
    return out


def read_conductance_reference(counts, g_p, tmr, area_fraction, normals, noise_scale):
    """NumPy reference of `read_conductance`."""
    covered = np.minimum(counts * area_fraction, 1.0)
    g_parallel = g_p.astype(np.float64)
    g_anti = g_parallel / (1.0 + tmr.astype(np.float64))
    g = g_anti + (g_parallel - g_anti) * covered
    if noise_scale > 0.0:
        g = g + noise_scale * np.sqrt(g) * normals
    return g
