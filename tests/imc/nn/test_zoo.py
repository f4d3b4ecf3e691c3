import numpy as np
import pytest

from imc.devices import ParameterError
from imc.nn import zoo
from imc.nn.data import load_digits
from imc.nn.io import load_model

TARGETS = {"bnn_mlp_digits": 0.90, "dorefa4_cnn_digits": 0.96}


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.mark.parametrize("name", sorted(zoo.RECIPES))
def test_shipped_model_matches_its_recorded_accuracy_and_exports_exactly(name, digits):
    model, meta = load_model(zoo.path_of(name))
    exported = model.export(name)
    integer_predictions = exported.predict(digits.x_test)
    assert np.array_equal(integer_predictions, model.predict(digits.x_test))
    accuracy = np.mean(integer_predictions == digits.y_test)
    assert accuracy == pytest.approx(meta["info"]["test_accuracy"], abs=1e-12)
    assert accuracy >= TARGETS.get(name, 0.90)


def test_zoo_files_are_small():
    for name in zoo.RECIPES:
        assert zoo.path_of(name).stat().st_size < 1_000_000


def test_retraining_reproduces_the_shipped_bnn(tmp_path):
    path, accuracy = zoo.retrain("bnn_mlp_digits", tmp_path / "m.npz", progress=False)
    retrained, _ = load_model(path)
    shipped, meta = load_model(zoo.path_of("bnn_mlp_digits"))
    assert accuracy == pytest.approx(meta["info"]["test_accuracy"], abs=1e-12)
    for a, b in zip(retrained.export().layers, shipped.export().layers):
        assert np.array_equal(a.weights, b.weights)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(zoo.RECIPES) - {"bnn_mlp_digits"}))
def test_retraining_reproduces_every_zoo_model_within_one_point(name, tmp_path):
    _, accuracy = zoo.retrain(name, tmp_path / f"{name}.npz", progress=False)
    _, meta = load_model(zoo.path_of(name))
    assert abs(accuracy - meta["info"]["test_accuracy"]) <= 0.01


def test_unknown_zoo_name_lists_the_zoo():
    with pytest.raises(ParameterError, match="bnn_mlp_digits") as info:
        zoo.load("resnet50")
    assert info.value.field == "model"
