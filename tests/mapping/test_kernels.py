import numpy as np
import pytest

from imc.mapping import LayerSpec
from imc.mapping._kernels import thresholds_passed, thresholds_passed_reference


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_threshold_kernel_counts_what_the_reference_counts(dtype):
    rng = np.random.default_rng(0)
    thresholds = np.sort(rng.integers(-50, 50, (15, 7)), axis=0)
    z = rng.integers(-80, 80, (500, 7)).astype(dtype)
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
