"""Binarized multi-layer perceptron and its exact integer export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imc.mapping.spec import LayerSpec, run_layers
from imc.nn.data import thermometer_encode
from imc.nn.layers import BatchNorm, BinaryDense, Sign


@dataclass(frozen=True, eq=False)
class IntegerModel:
    """A network as the hardware sees it: an input encoder and integer layer specs."""

    name: str
    thermometer: np.ndarray
    layers: list[LayerSpec]

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw grey levels (n, features) -> binary inputs in {-1, +1} for the first layer."""
        return thermometer_encode(x, self.thermometer)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return run_layers(self.layers, self.encode(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=-1)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


class BinaryMLP:
    """BNN MLP: thermometer input -> [BinaryDense -> BatchNorm -> Sign] x H -> BinaryDense -> BatchNorm.

    Binary weights and activations throughout (Hubara et al., "Binarized Neural Networks",
    NeurIPS 2016, Sec. 2); the input grey levels are thermometer-coded to binary
    (Buckman et al., ICLR 2018) so that every layer is a binary matrix-vector product.
    """

    architecture = "binary_mlp"

    def __init__(self, n_features: int, hidden: tuple[int, ...], n_classes: int,
                 thermometer: tuple[int, ...], seed: int = 0):
        self.n_features = n_features
        self.hidden = tuple(int(h) for h in hidden)
        self.n_classes = n_classes
        self.thermometer = np.asarray(thermometer, dtype=np.int64)
        rng = np.random.default_rng(seed)
        sizes = [n_features * len(self.thermometer), *self.hidden, n_classes]
        self.layers: list = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers += [BinaryDense(n_in, n_out, rng), BatchNorm(n_out)]
            if i < len(sizes) - 2:
                self.layers.append(Sign())

    def encode(self, x: np.ndarray) -> np.ndarray:
        return thermometer_encode(x, self.thermometer).astype(np.float64)

    def forward(self, x_encoded: np.ndarray, train: bool = False) -> np.ndarray:
        for layer in self.layers:
            x_encoded = layer.forward(x_encoded, train)
        return x_encoded

    def backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Float inference (BatchNorm with running statistics) on raw grey levels."""
        return self.forward(self.encode(x), train=False)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=-1)

    def export(self, name: str = "model") -> IntegerModel:
        """Fold every BatchNorm into integer thresholds (hidden) or an affine stage (last).

        Hidden layer: sign(gamma * (z - mu) / s + beta) with s = sqrt(var + eps) is
        ``z >= tau`` for gamma > 0 and ``z <= tau`` for gamma < 0, tau = mu - beta * s / gamma.
        Because z is an integer, ``z >= tau`` <=> ``z >= ceil(tau)``; for gamma < 0 the weight
        column is negated so that every output is a ``>=`` comparison. gamma = 0 gives a
        constant output sign(beta), encoded as an always/never-reached threshold.
        """
        dense = [l for l in self.layers if isinstance(l, BinaryDense)]
        norms = [l for l in self.layers if isinstance(l, BatchNorm)]
        specs = []
        for i, (d, bn) in enumerate(zip(dense, norms)):
            w = d.binary_weights.astype(np.int8)
            gamma, beta = bn.params["gamma"], bn.params["beta"]
            s = np.sqrt(bn.running_var + bn.eps)
            mu = bn.running_mean
            layer_name = f"dense{i}"
            if i < len(dense) - 1:
                n_in = w.shape[0]
                safe_gamma = np.where(gamma == 0, 1.0, gamma)
                tau = mu - beta * s / safe_gamma
                flip = gamma < 0
                w = np.where(flip[None, :], -w, w).astype(np.int8)
                t = np.where(flip, np.ceil(-tau), np.ceil(tau))
                t = np.where(gamma == 0, np.where(beta >= 0, -n_in, n_in + 1), t)
                t = np.clip(t, -n_in, n_in + 1).astype(np.int32)
                specs.append(LayerSpec(layer_name, w, thresholds=t))
            else:
                specs.append(LayerSpec(layer_name, w, scale=gamma / s, offset=beta - gamma * mu / s))
        return IntegerModel(name, self.thermometer.copy(), specs)
