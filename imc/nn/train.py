"""NumPy training: softmax cross-entropy, Adam, minibatches, learning-rate decay, early
stopping on a validation split, and hardware-aware training: generic relative weight noise, or the
errors of one mapped design's chips (`imc.nn.hardware`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np

from imc.errors import int_in_range, non_negative, positive, require
from imc.nn.data import validation_split
from imc.nn.network import Sequential, load_state_dict, state_dict
from imc.progress import progress_iter


@dataclass(frozen=True)
class TrainConfig:
    """A training recipe.

    epochs, batch_size, lr -> lr_final (exponential decay per epoch), seed (initialisation,
    shuffling, noise); validation_fraction of the training set held out for early stopping
    with ``patience`` epochs (0: no early stopping, train on everything); weight_noise_rel:
    relative Gaussian weight noise in training forward passes (0: off).
    """

    epochs: int = 60
    batch_size: int = 64
    lr: float = 1e-2
    lr_final: float = 1e-4
    seed: int = 0
    validation_fraction: float = 0.0
    patience: int = 0
    weight_noise_rel: float = 0.0

    def __post_init__(self) -> None:
        int_in_range("epochs", self.epochs, 1)
        int_in_range("batch_size", self.batch_size, 1)
        positive("lr", self.lr)
        positive("lr_final", self.lr_final)
        int_in_range("seed", self.seed, 0)
        require("validation_fraction", self.validation_fraction,
                isinstance(self.validation_fraction, (int, float)) and 0 <= self.validation_fraction < 1,
                "must be in [0, 1)")
        int_in_range("patience", self.patience, 0)
        require("patience", self.patience, self.patience == 0 or self.validation_fraction > 0,
                "early stopping needs validation_fraction > 0")
        non_negative("weight_noise_rel", self.weight_noise_rel)


@dataclass
class TrainHistory:
    """Per-epoch training loss and validation accuracy, and the epoch whose weights were kept."""

    loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = -1

    def to_dict(self) -> dict:
        return asdict(self)


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
            grads = layer.grads
            for key, param in layer.params.items():
                g = grads[key]
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


def train(model: Sequential, x: np.ndarray, y: np.ndarray, config: TrainConfig = TrainConfig(),
          progress: bool = True, hardware=None) -> TrainHistory:
    """Train ``model`` in place on raw inputs ``x`` (n, H, W, C) and labels ``y``.

    With early stopping, the weights of the epoch with the best validation accuracy are
    restored at the end (validation runs the software network). Noise injection (Joshi et al.,
    "Accurate deep neural network inference using computational phase-change memory", Nature
    Communications 11, 2020) perturbs the quantized weights of every forward pass during training
    only. ``hardware``: a design to train for (`imc.nn.hardware.HardwareTraining`, or an
    `imc.SimConfig`, a dict or a TOML path): every training forward pass then carries the errors of
    that design's training chips, drawn from a seed stream disjoint from `imc simulate`'s chips; the
    design is mapped before the first epoch, so one the network does not map onto fails at once.
    """
    rng = np.random.default_rng(config.seed)
    loop = None
    if hardware is not None:
        from imc.nn.hardware import InTheLoop, hardware_training
        loop = InTheLoop(hardware_training(hardware), model, x, config.seed)
    forward = model.forward if loop is None else partial(loop.forward, model)
    if config.validation_fraction > 0:
        x, y, x_val, y_val = validation_split(x, y, config.validation_fraction, rng)
    encoded = model.encode(x)
    optimiser = Adam(model.layers)
    steps = -(-len(y) // config.batch_size)
    model.set_weight_noise(config.weight_noise_rel)
    decay = (config.lr_final / config.lr) ** (1.0 / max(config.epochs - 1, 1))
    history, best, waited = TrainHistory(), None, 0
    try:
        for epoch in progress_iter(range(config.epochs), "training", "epoch", progress):
            order = rng.permutation(len(y))
            losses = []
            for step, start in enumerate(range(0, len(y), config.batch_size)):
                batch = order[start:start + config.batch_size]
                if loop is not None:
                    loop.prepare(model, epoch, epoch * steps + step)
                logits = forward(encoded[batch], train=True, rng=rng)
                loss, grad = softmax_cross_entropy(logits, y[batch])
                model.backward(grad)
                optimiser.step(config.lr * decay ** epoch)
                losses.append(loss)
            history.loss.append(float(np.mean(losses)))
            if config.validation_fraction == 0:
                continue
            model.set_weight_noise(0.0)  # validate the nominal (noise-free) weights
            accuracy = float(np.mean(model.predict(x_val) == y_val))
            model.set_weight_noise(config.weight_noise_rel)
            history.val_accuracy.append(accuracy)
            if best is None or accuracy > best[0]:
                best = (accuracy, {k: v.copy() for k, v in state_dict(model).items()})
                history.best_epoch, waited = epoch, 0
            else:
                waited += 1
                if config.patience and waited >= config.patience:
                    break
    finally:
        model.set_weight_noise(0.0)
    if best is not None:
        load_state_dict(model, best[1])
    else:
        history.best_epoch = len(history.loss) - 1
    return history
