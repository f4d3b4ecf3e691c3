"""NumPy training loop: softmax cross-entropy, Adam, minibatches, learning-rate decay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm


@dataclass(frozen=True)
class TrainConfig:
    """Training recipe. Defaults are the ones the shipped zoo models were trained with."""

    epochs: int = 60
    batch_size: int = 64
    lr: float = 1e-2
    lr_final: float = 1e-4
    seed: int = 0


class Adam:
    """Adam optimiser (Kingma & Ba, "Adam", ICLR 2015, Algorithm 1; beta1=0.9, beta2=0.999, eps=1e-8)."""

    def __init__(self, layers, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.layers = layers
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = [{k: np.zeros_like(v) for k, v in l.params.items()} for l in layers]
        self.v = [{k: np.zeros_like(v) for k, v in l.params.items()} for l in layers]

    def step(self, lr: float) -> None:
        self.t += 1
        correction = np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        for layer, m, v in zip(self.layers, self.m, self.v):
            for key, param in layer.params.items():
                g = layer.grads[key]
                m[key] = self.beta1 * m[key] + (1 - self.beta1) * g
                v[key] = self.beta2 * v[key] + (1 - self.beta2) * g * g
                param -= lr * correction * m[key] / (np.sqrt(v[key]) + self.eps)
            layer.after_update()


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy loss and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(loss), grad / n


def train(model, x: np.ndarray, y: np.ndarray, config: TrainConfig = TrainConfig(),
          progress: bool = True) -> list[float]:
    """Train ``model`` in place on raw inputs ``x`` and labels ``y``; returns the loss per epoch.

    The learning rate decays exponentially from ``lr`` to ``lr_final`` over the epochs.
    """
    rng = np.random.default_rng(config.seed)
    encoded = model.encode(x)
    optimiser = Adam(model.layers)
    decay = (config.lr_final / config.lr) ** (1.0 / max(config.epochs - 1, 1))
    history = []
    for epoch in tqdm(range(config.epochs), desc="train", disable=not progress):
        order = rng.permutation(len(y))
        losses = []
        for start in range(0, len(y), config.batch_size):
            batch = order[start:start + config.batch_size]
            loss, grad = softmax_cross_entropy(model.forward(encoded[batch], train=True), y[batch])
            model.backward(grad)
            optimiser.step(config.lr * decay ** epoch)
            losses.append(loss)
        history.append(float(np.mean(losses)))
    return history
