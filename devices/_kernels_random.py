"""Counter-based standard normal draws (Numba), with their pure-Python reference.

A draw is a pure function of a 64-bit key and a 64-bit index, ``normal_at(key, index)``: the cells
of a chip can be drawn in any order, in any window, on any thread, and a cell drawn alone equals the
same cell drawn with its whole array. The key comes from the chip's `numpy.random.Generator`
(`draw_key`), so chip i still draws from ``SeedSequence(seed).spawn(...)[i]`` alone.

* Bits: index k opens its own stream, s_k = mix(key + (k + 1) G), whose j-th word is s_k for j = 0 and
  mix(s_k + j G) after; mix and G = 0x9E3779B97F4A7C15 are SplitMix64's output function and gamma
  (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014, Fig. 3 with
  the mix64 variant of Stafford's "Mix13"; SplitMix64 passes BigCrush), a counter-based generator in
  the sense of Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011.
* Normals: the ziggurat of Marsaglia & Tsang, "The Ziggurat Method for Generating Random
  Variables", J. Stat. Softw. 5(8), 2000, with 256 layers (r = 3.6541528853610088, v =
  4.92867323399e-3), its tail by Marsaglia's 1964 method (their Sec. 2); the layer index (low 8
  bits) and the signed abscissa (high 53 bits) come from disjoint bits of one word (Doornik, "An
  Improved Ziggurat Method to Generate Normal Random Samples", 2005, on the correlation of shared
  bits). 99.3 % of the draws take the first word.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
LAYERS = 256
TAIL_X = 3.6541528853610088  # r: the base strip's right edge (Marsaglia & Tsang 2000, Sec. 3)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53
_TO_SIGNED = 1.0 / 4503599627370496.0  # 2^-52


def _ziggurat_edges() -> np.ndarray:
    """x_0 .. x_256 of the 256-layer ziggurat of f(x) = exp(-x^2 / 2): every layer has the area
    v = r f(r) + integral_r^inf f of the base strip, x_0 = v / f(r) its pseudo-width, x_1 = r,
    x_{i+1} = f^-1(v / x_i + f(x_i)), x_256 = 0 (Marsaglia & Tsang 2000, Sec. 3)."""
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    v = TAIL_X * f(TAIL_X) + math.sqrt(math.pi / 2) * math.erfc(TAIL_X / math.sqrt(2))
    edges = np.zeros(LAYERS + 1)
    edges[0], edges[1] = v / f(TAIL_X), TAIL_X
    for i in range(2, LAYERS):
        edges[i] = math.sqrt(-2.0 * math.log(v / edges[i - 1] + f(edges[i - 1])))
    return edges


EDGES = _ziggurat_edges()
HEIGHTS = np.exp(-0.5 * EDGES * EDGES)  # f(x_i)
EDGES.flags.writeable = False
HEIGHTS.flags.writeable = False


def draw_key(rng: np.random.Generator) -> np.uint64:
    """A 64-bit key for `normal_at` from ``rng`` (one draw of its stream)."""
    return rng.integers(0, 2 ** 64, dtype=np.uint64)


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _word(stream, j):
    """Word j of a draw's stream (j = 0: the stream's seed itself)."""
    return stream if j == 0 else _mix(stream + np.uint64(j) * GOLDEN)


@njit(cache=True, inline="always")
def normal_at(key, index):
    """The standard normal of draw ``index`` under ``key`` (float64)."""
    stream = _mix(key + (np.uint64(index) + np.uint64(1)) * GOLDEN)
    j = 0
    while True:
        z = _word(stream, j)
        j += 1
        i = np.intp(z & np.uint64(LAYERS - 1))
        u = np.float64(z >> np.uint64(11)) * _TO_SIGNED - 1.0  # [-1, 1)
        x = u * EDGES[i]
        if abs(x) < EDGES[i + 1]:
            return x
        if i == 0:  # the tail beyond r: x = r + a with a ~ Exp(r), accepted with exp(-a^2 / 2)
            while True:
                a = -math.log((np.float64(_word(stream, j) >> np.uint64(11)) + 1.0) * _TO_UNIT) / TAIL_X
                b = -math.log((np.float64(_word(stream, j + 1) >> np.uint64(11)) + 1.0) * _TO_UNIT)
                j += 2
                if 2.0 * b > a * a:
                    return TAIL_X + a if u > 0 else -(TAIL_X + a)
        y = HEIGHTS[i] + (np.float64(_word(stream, j) >> np.uint64(11)) * _TO_UNIT) * (HEIGHTS[i + 1] - HEIGHTS[i])
        j += 1
        if y < math.exp(-0.5 * x * x):
            return x


@njit(cache=True, inline="always")
def _first_word_normal(key, index):
    """`normal_at`'s draw when its first word lands inside its layer (~98.5 % of draws), else NaN: branch-free,
    so a loop of these vectorises (64-bit multiplies and gathers of the layer edges)."""
    z = _mix(key + (np.uint64(index) + np.uint64(1)) * GOLDEN)
    i = np.intp(z & np.uint64(LAYERS - 1))
    x = (np.float64(z >> np.uint64(11)) * _TO_SIGNED - 1.0) * EDGES[i]
    return x if abs(x) < EDGES[i + 1] else np.nan


@njit(cache=True, inline="always")
def _redraw_rejected(key, first, out, n):
    """out[k] = normal_at(key, first + k) where `_first_word_normal` gave NaN, for k < n."""
    for k in range(n):
        if np.isnan(out[k]):
            out[k] = normal_at(key, first + np.uint64(k))


@njit(cache=True, nogil=True)
def normals_at(key, indices, n, out):
    """out[k] = normal_at(key, indices[k]) for k < n (out: float64): the first words of all n in one vectorised
    loop, then the few draws that need more words one by one."""
    for k in range(n):
        out[k] = _first_word_normal(key, indices[k])
    for k in range(n):
        if np.isnan(out[k]):
            out[k] = normal_at(key, indices[k])
    return out


@njit(cache=True, nogil=True)
def _fill_flat(key, first, flat):
    """flat[k] = normal_at(key, first + k) (flat: 1-D; a separate function: the loop over a view made by
    ``ravel`` does not vectorise)."""
    start = np.int64(first)
    for k in range(flat.size):
        flat[k] = _first_word_normal(key, start + k)
    _redraw_rejected(key, first, flat, flat.size)


@njit(cache=True, nogil=True)
def fill_normal(key, first, out):
    """``out.ravel()[k] = normal_at(key, first + k)`` (out: C-contiguous float32 or float64). Serial
    and free of the GIL: chips are drawn in parallel threads."""
    _fill_flat(key, first, out.ravel())
    return out


@njit(cache=True, nogil=True)
def fill_normal_blocks(keys, starts, stops, out):
    """Column block g (columns starts[g] .. stops[g] - 1) of ``out`` (C-contiguous (rows, cols), float32 or
    float64) filled with the draws of key keys[g] in its C order: out[i, starts[g] + j] = normal_at(keys[g],
    i (stops[g] - starts[g]) + j), the block `standard_normal` (keys[g], (rows, width)) would give alone."""
    rows = out.shape[0]
    for g in range(keys.shape[0]):
        first, width, key = starts[g], stops[g] - starts[g], keys[g]
        for i in range(rows):
            row = out[i, first:first + width]
            for j in range(width):
                row[j] = _first_word_normal(key, i * width + j)
            _redraw_rejected(key, np.uint64(i * width), row, width)
    return out


@njit(cache=True, nogil=True)
def add_block_noise(keys, starts, stops, power, base, signal):
    """signal[i, j] += sqrt(max(power[i, j] + base[j], 0)) z[i, j] in float32, z the draws of
    `fill_normal_blocks` (keys, starts, stops) rounded to float32: Gaussian noise of variance power + base
    added in one pass, bit for bit the NumPy composition of those steps (signal, power: C-contiguous
    float32 (rows, cols); base: float32 (cols,))."""
    rows = signal.shape[0]
    zero = np.float32(0.0)
    z = np.empty(signal.shape[1], dtype=np.float32)
    for g in range(keys.shape[0]):
        first, width, key = starts[g], stops[g] - starts[g], keys[g]
        floor = base[first:first + width]
        for i in range(rows):
            row, variance = signal[i, first:first + width], power[i, first:first + width]
            for j in range(width):
                z[j] = _first_word_normal(key, i * width + j)
            _redraw_rejected(key, np.uint64(i * width), z, width)
            for j in range(width):  # 0-based slices: vectorises
                row[j] += np.sqrt(max(variance[j] + floor[j], zero)) * z[j]
    return signal


def standard_normal(key: np.uint64, shape, dtype=np.float32, first: int = 0) -> np.ndarray:
    """Draws ``first``, ``first + 1``, ... under ``key`` in C order, shaped ``shape``."""
    return fill_normal(np.uint64(key), np.uint64(first), np.empty(shape, dtype=dtype))


_MASK = (1 << 64) - 1


def _mix_reference(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def normal_reference(key: int, index: int) -> float:
    """Pure-Python reference of `normal_at` (exact 64-bit integers, Python floats)."""
    stream = _mix_reference((int(key) + (int(index) + 1) * int(GOLDEN)) & _MASK)
    words = (stream if j == 0 else _mix_reference((stream + j * int(GOLDEN)) & _MASK) for j in range(1 << 30))
    while True:
        z = next(words)
        i = z & (LAYERS - 1)
        u = float(z >> 11) * _TO_SIGNED - 1.0
        x = u * EDGES[i]
        if abs(x) < EDGES[i + 1]:
            return float(x)
        if i == 0:
            while True:
                a = -math.log((float(next(words) >> 11) + 1.0) * _TO_UNIT) / TAIL_X
                b = -math.log((float(next(words) >> 11) + 1.0) * _TO_UNIT)
                if 2.0 * b > a * a:
                    return TAIL_X + a if u > 0 else -(TAIL_X + a)
        y = HEIGHTS[i] + (float(next(words) >> 11) * _TO_UNIT) * (HEIGHTS[i + 1] - HEIGHTS[i])
        if y < math.exp(-0.5 * x * x):
            return float(x)
