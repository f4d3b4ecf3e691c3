import numpy as np
import pytest

from imc.devices import ParameterError
from imc.nn.network import InputEncoder, Sequential


def test_thermometer_encoder_counts_levels_reached():
    encoder = InputEncoder("thermometer", 16, thresholds=(3, 7, 11, 15))
    codes = encoder.codes(np.array([[[[0], [3], [8], [16]]]]))
    assert codes.reshape(4, 4).tolist() == [[-1, -1, -1, -1], [1, -1, -1, -1], [1, 1, -1, -1], [1, 1, 1, 1]]


def test_uniform_encoder_rounds_half_up_to_k_bits():
    encoder = InputEncoder("uniform", 16, bits=2)
    # x / 16 * 3: 0 -> 0, 8/3 -> 0.5 -> 1 (half up), 16 -> 3
    assert encoder.codes(np.array([0, 2, 3, 8, 13, 16])).tolist() == [0, 0, 1, 2, 2, 3]
    assert encoder.scale == pytest.approx(1 / 3)


def test_shapes_are_inferred_through_the_network():
    model = Sequential({"input": {"encoding": "thermometer", "thresholds": [8, 12]},
                        "layers": [{"type": "conv", "channels": 4, "kernel": 3, "stride": 2, "padding": 1,
                                    "weight_quantizer": {"name": "ste_sign"}},
                                   {"type": "maxpool", "size": 2}, {"type": "flatten"},
                                   {"type": "dense", "units": 3, "weight_quantizer": {"name": "ste_sign"}}]},
                       (8, 8, 1), 16)
    conv, _, _, dense = model.layers
    assert conv.params["weight"].shape == (3, 3, 2, 4)      # 2 thermometer channels
    assert dense.params["weight"].shape == (2 * 2 * 4, 3)   # 8 -> 4 (stride 2) -> 2 (pool)
    assert model.parameter_count == 3 * 3 * 2 * 4 + 16 * 3
    assert model.logits(np.zeros((5, 8, 8, 1), dtype=np.uint8)).shape == (5, 3)


@pytest.mark.parametrize("description, field", [
    ({"layers": []}, "description"),
    ({"input": {"encoding": "gray"}, "layers": []}, "input.encoding"),
    ({"input": {"encoding": "uniform", "bits": 0}, "layers": []}, "input.bits"),
    ({"input": {"encoding": "uniform", "bits": 2}, "layers": [{"type": "lstm"}]}, "layers[0].type"),
    ({"input": {"encoding": "uniform", "bits": 2}, "layers": [{"type": "dense", "units": 3}]}, "layers[0]"),
    ({"input": {"encoding": "uniform", "bits": 2},
      "layers": [{"type": "flatten"}, {"type": "dense", "units": 3, "weight_quantizer": {"name": "nope"}}]},
     "layers[1].weight_quantizer.name"),
])
def test_bad_descriptions_name_the_field(description, field):
    with pytest.raises(ParameterError) as info:
        Sequential(description, (4, 4, 1), 16)
    assert info.value.field == field
