import numpy as np
import pytest

from imc.devices import DEVICES


@pytest.mark.parametrize("key", sorted(DEVICES))
def test_nominal_device_chips_are_identical_whatever_the_seed(key):
    device = DEVICES[key]().nominal()
    assert device.variation_fields and all(getattr(device, f) == 0 for f in device.variation_fields)
    states = np.zeros((8, 16), dtype=np.int64)
    states[::2] = 1
    reads = [device.read(device.sample_instance(states, np.random.default_rng(seed))) for seed in (1, 2)]
    assert np.array_equal(reads[0], reads[1])
