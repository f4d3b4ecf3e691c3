import numpy as np
import pytest

from imc.devices import ParameterError
from imc.mapping import FlattenSpec, LayerSpec, PoolSpec
from imc.nn.network import Sequential
from imc.nn.train import TrainConfig, train

SIGN = {"name": "ste_sign"}


def small_data(rng, n=96, shape=(6, 6, 1), max_level=16):
    x = rng.integers(0, max_level + 1, size=(n, *shape))
    y = (x.reshape(n, -1)[:, :9].sum(1) > x.reshape(n, -1)[:, 9:18].sum(1)).astype(np.int64)
    return x, y


def trained(description, seed=0, epochs=3, shape=(6, 6, 1)):
    rng = np.random.default_rng(seed)
    x, y = small_data(rng, shape=shape)
    model = Sequential(description, shape, 16, seed=seed)
    train(model, x, y, TrainConfig(epochs=epochs, batch_size=32, seed=seed), progress=False)
    # spread the BatchNorm statistics so that thresholds fall inside the integer range
    return model, x


DESCRIPTIONS = {
    "bnn_mlp": {"input": {"encoding": "thermometer", "thresholds": [4, 12]},
                "layers": [{"type": "flatten"},
                           {"type": "dense", "units": 12, "weight_quantizer": SIGN}, {"type": "batchnorm"},
                           {"type": "activation", "quantizer": SIGN},
                           {"type": "dense", "units": 2, "weight_quantizer": SIGN}, {"type": "batchnorm"}]},
    "xnor_cnn": {"input": {"encoding": "thermometer", "thresholds": [8]},
                 "layers": [{"type": "conv", "channels": 6, "kernel": 3, "padding": 1,
                             "weight_quantizer": {"name": "xnor_weight"}},
                            {"type": "batchnorm"}, {"type": "activation", "quantizer": SIGN},
                            {"type": "maxpool", "size": 2}, {"type": "flatten"},
                            {"type": "dense", "units": 2, "weight_quantizer": {"name": "xnor_weight"}},
                            {"type": "batchnorm"}]},
    "twn_mlp": {"input": {"encoding": "uniform", "bits": 3},
                "layers": [{"type": "flatten"},
                           {"type": "dense", "units": 10, "weight_quantizer": {"name": "twn"}}, {"type": "batchnorm"},
                           {"type": "activation", "quantizer": {"name": "dorefa_activation", "bits": 2}},
                           {"type": "dense", "units": 2, "weight_quantizer": {"name": "twn"}}, {"type": "batchnorm"}]},
    "ttq_mlp": {"input": {"encoding": "uniform", "bits": 3},
                "layers": [{"type": "flatten"},
                           {"type": "dense", "units": 10, "weight_quantizer": {"name": "ttq", "w_pos": 0.7,
                                                                               "w_neg": 1.3}},
                           {"type": "batchnorm"},
                           {"type": "activation", "quantizer": {"name": "dorefa_activation", "bits": 2}},
                           {"type": "dense", "units": 2, "weight_quantizer": {"name": "ttq", "w_neg": 0.4}},
                           {"type": "batchnorm"}]},
    "ttq_cnn": {"input": {"encoding": "uniform", "bits": 2},
                "layers": [{"type": "conv", "channels": 4, "kernel": 3, "padding": 1,
                            "weight_quantizer": {"name": "ttq", "w_pos": 1.6}},
                           {"type": "batchnorm"}, {"type": "activation", "quantizer": SIGN},
                           {"type": "maxpool", "size": 2}, {"type": "flatten"},
                           {"type": "dense", "units": 2, "weight_quantizer": {"name": "ttq"}}, {"type": "batchnorm"}]},
    "mixed_cnn": {"input": {"encoding": "uniform", "bits": 4},
                  "layers": [{"type": "conv", "channels": 5, "kernel": 3, "stride": 1, "padding": 1,
                              "weight_quantizer": {"name": "dorefa_weight", "bits": 4}},
                             {"type": "batchnorm"}, {"type": "activation", "quantizer": {"name": "pact", "bits": 3}},
                             {"type": "maxpool", "size": 2},
                             {"type": "conv", "channels": 4, "kernel": 2, "stride": 1,
                              "weight_quantizer": {"name": "dorefa_weight", "bits": 2}},
                             {"type": "batchnorm"},
                             {"type": "activation", "quantizer": {"name": "dorefa_activation", "bits": 2}},
                             {"type": "flatten"},
                             {"type": "dense", "units": 2, "weight_quantizer": {"name": "uniform", "bits": 5}},
                             {"type": "batchnorm"}]},
}


@pytest.mark.parametrize("kind", sorted(DESCRIPTIONS))
def test_integer_export_reproduces_float_predictions_exactly(kind):
    model, x = trained(DESCRIPTIONS[kind])
    exported = model.export(kind)
    assert np.array_equal(exported.predict(x), model.predict(x))
    np.testing.assert_allclose(exported.logits(x), model.logits(x), rtol=1e-9, atol=1e-9)


def test_export_op_list_and_bit_widths_for_mixed_precision():
    model, _ = trained(DESCRIPTIONS["mixed_cnn"])
    ops = model.export("m").ops
    kinds = [type(op) for op in ops]
    assert kinds == [LayerSpec, PoolSpec, LayerSpec, FlattenSpec, LayerSpec]
    first, second, last = ops[0], ops[2], ops[4]
    assert (first.weight_bits, first.input_bits, first.conv.kernel) == (4, 4, (3, 3))
    assert (second.weight_bits, second.input_bits) == (2, 3)
    assert last.input_bits == 2 and last.thresholds is None
    assert np.array_equal(first.levels, np.arange(8)) and np.asarray(first.thresholds).shape == (7, 5)
    assert np.unique(first.weights).size <= 16 and np.all(first.weights % 2 == 1)  # DoReFa odd codes


def test_ttq_layers_export_as_two_masks_combined_by_their_own_digital_scales():
    model, x = trained(DESCRIPTIONS["ttq_mlp"])
    first = model.export("t").ops[1]
    w_pos, w_neg = model.layers[1].weight_quantizer.scales()
    assert w_pos != w_neg
    assert first.columns == 2 * first.n_out == 20 and set(np.unique(first.weights)) <= {0, 1}
    assert not np.any(first.weights[:, :10] & first.weights[:, 10:])  # a weight is +W_p, -W_n or 0
    ratio = -first.part_gains[0] / first.part_gains[1]
    np.testing.assert_allclose(ratio, w_pos / w_neg, rtol=1e-12)  # the BatchNorm gain cancels


def test_negative_batchnorm_gain_flips_the_column():
    model, x = trained(DESCRIPTIONS["bnn_mlp"])
    bn = model.layers[2]
    bn.params["gamma"][:4] *= -1
    exported = model.export("flip")
    assert np.array_equal(exported.predict(x), model.predict(x))


def test_float_weights_or_free_activations_cannot_be_exported():
    float_dense = {"input": {"encoding": "uniform", "bits": 2},
                   "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}
    with pytest.raises(ParameterError, match="float weights"):
        Sequential(float_dense, (6, 6, 1), 16).export()
    relu = {"input": {"encoding": "uniform", "bits": 2},
            "layers": [{"type": "flatten"}, {"type": "dense", "units": 3, "weight_quantizer": SIGN},
                       {"type": "relu"}, {"type": "dense", "units": 2, "weight_quantizer": SIGN}]}
    with pytest.raises(ParameterError) as info:
        Sequential(relu, (6, 6, 1), 16).export()
    assert info.value.field.startswith("layers[")
