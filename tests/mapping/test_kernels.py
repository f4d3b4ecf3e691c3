import numpy as np
import pytest

from imc.mapping import LayerSpec
from imc.mapping._kernels import thresholds_passed, thresholds_passed_reference


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
