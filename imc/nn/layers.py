"""Trainable layers with NumPy forward and backward passes.

Every layer has ``forward(x, train)``, ``backward(grad) -> grad_input``, and exposes its
trainable arrays in ``params`` with matching ``grads`` (same keys).
"""

from __future__ import annotations

import numpy as np

from imc.nn.quantizers import SignSTE


class BinaryDense:
    """Dense layer with binary weights sign(W) and real-valued latent weights W.

    BinaryConnect training: the forward pass uses sign(W); the gradient reaches the
    latent weight only where |W| <= 1, and W is clipped to [-1, 1] after each update.
    Source: Courbariaux, Bengio & David, "BinaryConnect", NeurIPS 2015, Algorithm 1;
    Hubara et al., "Binarized Neural Networks", NeurIPS 2016, Algorithm 1.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator):
        limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot & Bengio, AISTATS 2010, Eq. (16)
        self.params = {"w": rng.uniform(-limit, limit, size=(n_in, n_out))}
        self.grads = {"w": np.zeros((n_in, n_out))}
        self._x = None

    @property
    def binary_weights(self) -> np.ndarray:
        return SignSTE.forward(self.params["w"])

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._x = x
        return x @ self.binary_weights

    def backward(self, grad: np.ndarray) -> np.ndarray:
        w = self.params["w"]
        self.grads["w"] = SignSTE.backward(w, self._x.T @ grad)
        return grad @ self.binary_weights.T

    def after_update(self) -> None:
        np.clip(self.params["w"], -1.0, 1.0, out=self.params["w"])


class BatchNorm:
    """Batch normalisation over the feature axis, with running statistics for inference.

    Source: Ioffe & Szegedy, "Batch Normalization", ICML 2015, Algorithm 1 (train) and
    Algorithm 2 (inference with population statistics, here an exponential moving average).
    """

    def __init__(self, n: int, momentum: float = 0.9, eps: float = 1e-5):
        self.params = {"gamma": np.ones(n), "beta": np.zeros(n)}
        self.grads = {"gamma": np.zeros(n), "beta": np.zeros(n)}
        self.running_mean = np.zeros(n)
        self.running_var = np.ones(n)
        self.momentum = momentum
        self.eps = eps
        self._cache = None

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if train:
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std)
        return self.params["gamma"] * x_hat + self.params["beta"]

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x_hat, inv_std = self._cache
        n = grad.shape[0]
        self.grads["gamma"] = (grad * x_hat).sum(axis=0)
        self.grads["beta"] = grad.sum(axis=0)
        g_hat = grad * self.params["gamma"]
        return inv_std / n * (n * g_hat - g_hat.sum(axis=0) - x_hat * (g_hat * x_hat).sum(axis=0))

    def after_update(self) -> None:
        pass


class Sign:
    """Binary activation sign(x) with the hard-tanh STE (see `SignSTE`)."""

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}
        self._x = None

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._x = x
        return SignSTE.forward(x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return SignSTE.backward(self._x, grad)

    def after_update(self) -> None:
        pass
