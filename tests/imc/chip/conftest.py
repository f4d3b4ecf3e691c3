import pytest
import simpy
from imc.arrays import SRAMArray
from imc.mapping import map_layers

from imc.nn import zoo
from imc.nn.data import load_digits


@pytest.fixture
def env():
    return simpy.Environment()


@pytest.fixture(scope="session")
def digits():
    """The zoo BNN MLP and its first-op inputs for 60 test images (the op costs' sample)."""
    model, _ = zoo.load("bnn_mlp_digits")
    return model, model.encode(load_digits().x_test[:60])


@pytest.fixture(scope="session")
def sram(digits):
    """The default SRAM arrays and the digits plan on them (4 + 2 + 1 tiles)."""
    array = SRAMArray()
    return array, map_layers(digits[0].ops, array.geometry(), "xnor"), digits[1]
