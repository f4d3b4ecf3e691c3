import dataclasses

import numpy as np
import pytest

from imc.devices import ParameterError
from imc.nn import zoo
from imc.nn.data import load_digits
from imc.nn.train import TrainConfig, softmax_cross_entropy, train


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


def test_same_seed_same_weights():
    data = load_digits()
    a, recipe = zoo.build("bnn_mlp_digits")
    b, _ = zoo.build("bnn_mlp_digits")
    config = dataclasses.replace(recipe.train, epochs=2)
    train(a, data.x_train, data.y_train, config, progress=False)
    train(b, data.x_train, data.y_train, config, progress=False)
    assert np.array_equal(a.layers[1].params["weight"], b.layers[1].params["weight"])


def test_early_stopping_restores_the_best_validation_epoch():
    data = load_digits()
    model, _ = zoo.build("bnn_mlp_digits")
    config = TrainConfig(epochs=8, validation_fraction=0.2, patience=2, lr=0.05)
    history = train(model, data.x_train, data.y_train, config, progress=False)
    assert len(history.val_accuracy) == len(history.loss) <= 8
    best = int(np.argmax(history.val_accuracy))
    assert history.best_epoch == best
    if len(history.loss) < 8:  # stopped early: patience epochs without improvement
        assert len(history.loss) - 1 - best >= 2


@pytest.mark.parametrize("field, value", [("epochs", 0), ("lr", -1.0), ("validation_fraction", 1.0),
                                          ("weight_noise_rel", -0.1), ("batch_size", 0)])
def test_bad_training_config_names_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        TrainConfig(**{field: value})
    assert info.value.field == field


def test_patience_needs_a_validation_split():
    with pytest.raises(ParameterError, match="patience"):
        TrainConfig(patience=3)


def noisy_accuracy(model, x, y, sigma, seeds=10):
    """Mean accuracy over `seeds` draws of relative Gaussian noise on every quantized weight."""
    accuracies = []
    base = {id(layer): layer.params["weight"].copy() for layer in model.layers if "weight" in layer.params}
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        model.set_weight_noise(sigma)
        logits = model.forward(model.encode(x), train=False, rng=rng)
        model.set_weight_noise(0.0)
        accuracies.append(np.mean(logits.argmax(-1) == y))
    assert all(np.array_equal(layer.params["weight"], base[id(layer)]) for layer in model.layers if "weight" in layer.params)
    return float(np.mean(accuracies))


@pytest.mark.slow
def test_noise_injection_training_raises_accuracy_under_weight_noise():
    data = load_digits()
    results = {}
    for noise in (0.0, 0.2):
        model, recipe = zoo.build("dorefa2_cnn_digits")
        config = dataclasses.replace(recipe.train, weight_noise_rel=noise)
        train(model, data.x_train, data.y_train, config, progress=False)
        results[noise] = noisy_accuracy(model, data.x_test, data.y_test, 0.2)
    assert results[0.2] > results[0.0] + 0.015  # measured: 92.2 % -> 95.1 %


def test_noise_injection_combines_with_early_stopping():
    data = load_digits()
    model, _ = zoo.build("bnn_mlp_digits")
    config = TrainConfig(epochs=2, validation_fraction=0.2, patience=1, weight_noise_rel=0.1)
    history = train(model, data.x_train, data.y_train, config, progress=False)
    assert len(history.val_accuracy) >= 1
    assert all(layer.weight_noise_rel == 0.0 for layer in model.layers if hasattr(layer, "weight_noise_rel"))
