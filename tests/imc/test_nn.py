import json

import numpy as np
import pytest

from imc.devices import ParameterError
from imc.nn import zoo
from imc.nn.data import load_digits, thermometer_encode
from imc.nn.io import ModelFileError, load_model, save_model
from imc.nn.layers import BatchNorm, BinaryDense
from imc.nn.network import BinaryMLP
from imc.nn.train import softmax_cross_entropy


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_split_is_fixed_and_stratified(digits):
    assert (len(digits.y_train), len(digits.y_test)) == (1437, 360)
    assert np.array_equal(np.bincount(digits.y_test), [36, 36, 35, 37, 36, 37, 36, 36, 35, 36])
    assert np.array_equal(load_digits().x_test, digits.x_test)


def test_thermometer_encoding_counts_levels_reached():
    x = np.array([[0, 3, 8, 16]])
    code = thermometer_encode(x, np.array([3, 7, 11, 15]))
    assert code.reshape(4, 4).tolist() == [[-1, -1, -1, -1], [1, -1, -1, -1], [1, 1, -1, -1], [1, 1, 1, 1]]


def test_batchnorm_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    bn = BatchNorm(3)
    bn.params["gamma"][:] = [1.5, -0.7, 0.3]
    bn.params["beta"][:] = [0.1, 0.2, -0.3]
    x = rng.normal(size=(8, 3))
    upstream = rng.normal(size=(8, 3))
    bn.forward(x, train=True)
    analytic = bn.backward(upstream)
    numeric = np.zeros_like(x)
    h = 1e-6
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        numeric[idx] = ((bn.forward(xp, True) - bn.forward(xm, True)) * upstream).sum() / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_binary_dense_uses_sign_of_latent_weights_and_clipped_ste():
    layer = BinaryDense(2, 2, np.random.default_rng(0))
    layer.params["w"][:] = [[0.5, -2.0], [0.0, -0.1]]
    x = np.array([[1.0, -1.0]])
    assert layer.forward(x).tolist() == [[0.0, 0.0]]  # sign(W) = [[1, -1], [1, -1]]
    layer.backward(np.ones((1, 2)))
    assert layer.grads["w"].tolist() == [[1.0, 0.0], [-1.0, -1.0]]  # zero where |W| > 1


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(4, 5)), np.array([0, 3, 4, 1])
    _, grad = softmax_cross_entropy(logits, labels)
    h = 1e-6
    for idx in [(0, 0), (1, 3), (2, 2), (3, 4)]:
        lp, lm = logits.copy(), logits.copy()
        lp[idx] += h
        lm[idx] -= h
        numeric = (softmax_cross_entropy(lp, labels)[0] - softmax_cross_entropy(lm, labels)[0]) / (2 * h)
        assert grad[idx] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_shipped_model_reaches_the_stated_accuracy(digits):
    model, meta = zoo.load("bnn_mlp_digits")
    accuracy = np.mean(model.predict(digits.x_test) == digits.y_test)
    assert accuracy >= 0.90
    assert accuracy == pytest.approx(meta["info"]["test_accuracy"], abs=1e-12)


def test_integer_export_reproduces_float_model_predictions(digits):
    model, _ = load_model(zoo.path_of("bnn_mlp_digits"))
    exported = model.export()
    assert np.array_equal(exported.predict(digits.x_test), model.predict(digits.x_test))
    assert np.array_equal(exported.predict(digits.x_train), model.predict(digits.x_train))


def test_export_folds_negative_gamma_by_flipping_the_column():
    model = BinaryMLP(2, (3,), 2, thermometer=(1,), seed=0)
    bn = model.layers[1]
    bn.params["gamma"][:] = [1.0, -1.0, 0.0]
    bn.params["beta"][:] = [0.5, 0.5, -0.2]
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    hidden_float = model.layers[2].forward(bn.forward(model.layers[0].forward(model.encode(x))))
    spec = model.export().layers[0]
    z = model.encode(x).astype(np.int32) @ spec.weights
    assert np.array_equal(spec.output(z), hidden_float)


def test_retraining_reproduces_the_shipped_model(tmp_path):
    path, accuracy = zoo.retrain("bnn_mlp_digits", tmp_path / "m.npz", progress=False)
    retrained, _ = load_model(path)
    shipped, meta = load_model(zoo.path_of("bnn_mlp_digits"))
    assert accuracy == pytest.approx(meta["info"]["test_accuracy"], abs=1e-12)
    for a, b in zip(retrained.export().layers, shipped.export().layers):
        assert np.array_equal(a.weights, b.weights)


def test_save_load_roundtrip_keeps_predictions(tmp_path, digits):
    model = BinaryMLP(64, (16,), 10, thermometer=(8,), seed=3)
    model.layers[1].running_mean[:] = np.arange(16)
    path = save_model(model, tmp_path / "m.npz", info={"note": "x"})
    loaded, meta = load_model(path)
    assert meta["info"] == {"note": "x"}
    assert np.array_equal(loaded.predict(digits.x_test), model.predict(digits.x_test))


def _rewrite(path, drop=None, meta_change=None):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files if k != drop}
    meta = json.loads(str(arrays["meta"]))
    meta.update(meta_change or {})
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


def test_loading_a_newer_format_version_fails_clearly(tmp_path):
    path = save_model(BinaryMLP(4, (3,), 2, (1,)), tmp_path / "m.npz")
    _rewrite(path, meta_change={"format_version": 99})
    with pytest.raises(ModelFileError, match="format_version 99"):
        load_model(path)


def test_loading_a_file_with_a_missing_array_names_it(tmp_path):
    path = save_model(BinaryMLP(4, (3,), 2, (1,)), tmp_path / "m.npz")
    _rewrite(path, drop="layer1.running_var")
    with pytest.raises(ModelFileError, match="layer1.running_var"):
        load_model(path)


def test_loading_garbage_or_missing_files_names_the_path(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="garbage.npz"):
        load_model(garbage)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "absent.npz")


def test_unknown_zoo_name_lists_the_zoo():
    with pytest.raises(ParameterError, match="bnn_mlp_digits") as info:
        zoo.load("resnet50")
    assert info.value.field == "model"
