import numpy as np

from imc.arrays import _kernels_levels


def test_level_drives_kernel_matches_reference_and_counts_drives_outside_the_levels():
    rng = np.random.default_rng(3)
    plane = rng.integers(0, 8, (30, 20)).astype(np.float32)
    table = rng.uniform(-1, 1, (8, 3)).astype(np.float32)
    out = np.empty((30, 3 * 12), np.float32)
    assert _kernels_levels.level_drives(plane, 5, 17, table, out) == 0
    assert np.array_equal(out, _kernels_levels.level_drives_reference(plane, 5, 17, table))
    plane[0, 5], plane[1, 6], plane[2, 7] = 8, -1, 2.5  # past the top level, negative, not whole
    assert _kernels_levels.level_drives(plane, 5, 17, table, out) == 3
