import numpy as np
import pytest

from imc.mapping import LayerSpec
from imc.mapping._kernels import positive_float32, thresholds_passed, thresholds_passed_reference, two_level_codes
from imc.mapping.encodings import active


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("count", [15, 255])
def test_threshold_kernel_counts_what_the_reference_counts(dtype, count):
    """A vectorised scan (few thresholds) and the guided search (many, here irregular, repeated and
    beyond both ends of the inputs) count alike."""
    rng = np.random.default_rng(0)
    thresholds = np.sort(rng.integers(-50 * count // 15, 50 * count // 15, (count, 7)), axis=0).astype(np.float64)
    thresholds[:, 3] = 4.0  # one column of equal thresholds
    z = rng.integers(-90 * count // 15, 90 * count // 15, (500, 7)).astype(dtype)
    out = thresholds_passed(z, thresholds, np.empty(z.shape, np.int16))
    assert np.array_equal(out, thresholds_passed_reference(z, thresholds))


def test_output_stage_counts_unsorted_and_fractional_thresholds_exactly():
    """#{k : z >= t_k} does not depend on the thresholds' order, and z >= 2.5 is z >= 3 for integers."""
    rng = np.random.default_rng(1)
    thresholds = rng.uniform(-20, 20, (3, 5))
    layer = LayerSpec("q", np.ones((4, 5), np.int8), weight_bits=1, thresholds=thresholds, levels=np.arange(4))
    z = rng.integers(-25, 25, (2, 9, 5))
    expected = (z[..., None, :] >= thresholds).sum(axis=-2)
    assert np.array_equal(layer.output(z), expected)


def test_output_stage_of_an_8_bit_activation_is_the_uniform_quantizer_it_folds():
    """255 thresholds t_k = k s (a ReLU quantized to 8 bits, step s) give code clip(floor(z / s), 0, 255)."""
    rng = np.random.default_rng(2)
    step = rng.integers(50, 80, 6)
    thresholds = np.outer(np.arange(1, 256), step)[::-1]  # any order
    layer = LayerSpec("q8", np.ones((4, 6), np.int8), weight_bits=1, thresholds=thresholds, levels=np.arange(256))
    z = rng.integers(-3000, 20000, (300, 6))
    assert np.array_equal(layer.output(z), np.clip(z // step, 0, 255))


@pytest.mark.parametrize("levels", [(-3, -1, 1, 3), (2, 3, 4, 5), (-2, 0, 1, 5), (-200, 0, 200, 400)])
def test_output_stage_maps_the_thresholds_passed_to_any_levels(levels):
    """Evenly spaced levels (first + step x passed, no gather) and uneven ones (a lookup) alike: the code is
    levels[#{k : z >= t_k}]."""
    rng = np.random.default_rng(3)
    thresholds = np.sort(rng.integers(-30, 30, (3, 4)), axis=0)
    layer = LayerSpec("q", np.ones((4, 4), np.int8), weight_bits=1, thresholds=thresholds, levels=np.array(levels))
    z = rng.integers(-40, 40, (5, 7, 4))
    expected = np.asarray(levels)[(z[..., None, :] >= thresholds).sum(axis=-2)]
    out = layer.output(z)
    assert np.array_equal(out, expected) and out.dtype == (np.int8 if max(map(abs, levels)) < 128 else np.int32)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_binary_output_stage_is_one_comparator_per_output(dtype):
    """A sign layer's codes are levels[1] where z >= t (fractional, equal to z, beyond +-2^31) else levels[0],
    for any batch shape, through the one-pass kernel."""
    rng = np.random.default_rng(3)
    t = np.array([2.5, -3.0, 0.0, 7.0, -2.0 ** 40])
    layer = LayerSpec("sign", np.ones((4, 5), np.int8), weight_bits=1, thresholds=t, levels=np.array([-1, 1]))
    z = rng.integers(-8, 9, (3, 11, 5)).astype(dtype)
    z[0, 0] = [3, -3, 0, 7, -1]  # each on its comparator's edge
    codes = layer.output(z)
    assert codes.dtype == np.int8 and codes.shape == z.shape
    assert np.array_equal(codes, np.where(z >= t, 1, -1))
    assert np.array_equal(two_level_codes(z.reshape(-1, 5), t, 0, 3, np.empty((33, 5), np.int32)),
                          np.where(z.reshape(-1, 5) >= t, 3, 0))


def test_word_line_signs_of_any_layout_are_the_positive_inputs():
    """`active` (via `positive_float32`) on a column slice, a 3-D batch and an empty batch: 1.0 where x > 0."""
    rng = np.random.default_rng(4)
    x = rng.choice(np.array([-1, 1], np.int8), (40, 30))
    assert np.array_equal(active(x[:, 5:17]), (x[:, 5:17] > 0).astype(np.float32))
    cube = x.reshape(4, 10, 30)
    assert active(cube).dtype == np.float32 and np.array_equal(active(cube), (cube > 0).astype(np.float32))
    assert active(x[:0]).shape == (0, 30)
    floats = rng.normal(size=(6, 7))
    assert np.array_equal(positive_float32(floats, np.empty((6, 7), np.float32)), (floats > 0).astype(np.float32))
