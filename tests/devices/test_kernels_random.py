import math

import numpy as np
import pytest
from scipy import stats

from imc.devices import _kernels_random as rnd

KEY = np.uint64(0x243F6A8885A308D3)


def test_ziggurat_layers_have_equal_area_and_close_at_the_mode():
    x, f = rnd.EDGES, rnd.HEIGHTS
    tail = math.sqrt(math.pi / 2) * math.erfc(rnd.TAIL_X / math.sqrt(2))
    v = rnd.TAIL_X * f[1] + tail
    assert x[0] * f[1] == pytest.approx(v, rel=1e-12)  # the base strip: rectangle plus tail
    layers = x[1:-1] * (f[2:] - f[1:-1])  # layer i between heights f(x_i) and f(x_{i+1}), width x_i
    np.testing.assert_allclose(layers[:-1], v, rtol=1e-9)
    assert x[255] * (1.0 - f[255]) == pytest.approx(v, rel=1e-9)  # the top layer reaches f(0) = 1
    assert x[256] == 0.0 and np.all(np.diff(x[1:]) < 0)


def test_kernel_equals_the_pure_python_reference_including_wedge_and_tail_draws():
    draws = rnd.standard_normal(KEY, 20_000, np.float64)
    first = range(500)
    assert [rnd.normal_reference(KEY, k) for k in first] == list(draws[:500])
    tail = np.flatnonzero(np.abs(draws) > rnd.TAIL_X)
    assert tail.size >= 2
    wedge = np.flatnonzero((np.abs(draws) > 2.0) & (np.abs(draws) < rnd.TAIL_X))[:50]
    for k in np.concatenate([tail, wedge]):
        assert rnd.normal_reference(KEY, int(k)) == draws[k]


def test_a_draw_depends_only_on_key_and_index():
    whole = rnd.standard_normal(KEY, (40, 50))
    window = rnd.standard_normal(KEY, (7, 50), first=13 * 50)
    np.testing.assert_array_equal(window, whole[13:20])
    assert rnd.standard_normal(KEY, (), first=777) == whole.ravel()[777]
    assert np.array_equal(rnd.standard_normal(KEY, 100), rnd.standard_normal(KEY, 100))


def test_gathered_indices_draw_what_the_stream_draws_there_including_draws_past_the_first_word():
    whole = rnd.standard_normal(KEY, 20_000, np.float64)
    indices = np.random.default_rng(3).permutation(20_000)[:5_000].astype(np.intp)
    redrawn = np.isnan([rnd._first_word_normal(KEY, int(k)) for k in indices])
    assert 20 < redrawn.sum() < 200  # ~1.5 % of the draws need a second word or the tail
    out = np.full(6_000, -9.0)
    rnd.normals_at(KEY, indices, indices.size, out)
    np.testing.assert_array_equal(out[:indices.size], whole[indices])
    assert np.all(out[indices.size:] == -9.0)


def test_draws_are_standard_normal_in_moments_ks_and_both_tails():
    x = rnd.standard_normal(KEY, 4_000_000, np.float64)
    n = x.size
    assert abs(x.mean()) < 4 / math.sqrt(n)
    assert abs(x.var() - 1) < 4 * math.sqrt(2 / n)
    assert abs(stats.skew(x)) < 4 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(x)) < 4 * math.sqrt(24 / n)
    assert stats.kstest(x[:1_000_000], "norm").pvalue > 1e-3
    for edge in (2.0, rnd.TAIL_X, 4.0):  # the wedges, the base strip's edge and the tail
        expected = 2 * n * stats.norm.sf(edge)
        assert abs((np.abs(x) > edge).sum() - expected) < 5 * math.sqrt(expected)
    assert abs((x > 3.0).sum() - (x < -3.0).sum()) < 5 * math.sqrt(2 * n * stats.norm.sf(3.0))


def test_keys_give_uncorrelated_streams_and_neighbouring_indices_are_uncorrelated():
    n = 1_000_000
    a = rnd.standard_normal(KEY, n, np.float64)
    b = rnd.standard_normal(KEY + np.uint64(1), n, np.float64)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(n)
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 5 / math.sqrt(n)


def test_keys_come_from_the_generator_s_stream():
    assert rnd.draw_key(np.random.default_rng(3)) == rnd.draw_key(np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert rnd.draw_key(rng) != rnd.draw_key(rng)


def test_column_blocks_draw_what_each_block_draws_alone():
    """Each column group's block of a read's noise is its own key's stream in C order, whatever the other
    groups' widths (a read of that group alone draws the same numbers)."""
    keys = np.array([KEY, KEY + np.uint64(7), KEY + np.uint64(99)], dtype=np.uint64)
    starts, stops = np.array([0, 3, 4]), np.array([3, 4, 9])
    out = rnd.fill_normal_blocks(keys, starts, stops, np.empty((6, 9), np.float32))
    for key, first, stop in zip(keys, starts, stops):
        np.testing.assert_array_equal(out[:, first:stop], rnd.standard_normal(key, (6, stop - first)))


def test_block_noise_adds_the_blocks_draws_scaled_by_the_variance_bit_for_bit():
    """One pass of signal += sqrt(max(power + base, 0)) z equals the float32 NumPy composition of those steps,
    negative summed variances (rounding) clipped to no noise."""
    rng = np.random.default_rng(4)
    keys, starts, stops = np.array([KEY, KEY + np.uint64(5)], dtype=np.uint64), np.array([0, 5]), np.array([5, 12])
    power = rng.uniform(-0.5, 2, (40, 12)).astype(np.float32)
    base = rng.uniform(0, 0.2, 12).astype(np.float32)
    signal = rng.normal(0, 50, (40, 12)).astype(np.float32)
    draws = rnd.fill_normal_blocks(keys, starts, stops, np.empty((40, 12), np.float32))
    expected = signal + np.sqrt(np.maximum(power + base, 0.0)) * draws
    out = rnd.add_block_noise(keys, starts, stops, power, base, signal.copy())
    assert out.dtype == np.float32 and np.array_equal(out, expected)
    assert np.array_equal(out[power + base < 0], signal[power + base < 0])
