"""Quantized networks built from a declarative description, and their exact integer export.

A network is described by a JSON-able dict (the zoo's recipes and the model files use it):

    {"input": {"encoding": "thermometer", "thresholds": [3, 7, 11, 15]}       # or
              {"encoding": "uniform", "bits": 4},
     "layers": [{"type": "conv", "channels": 16, "kernel": 3, "padding": 1,
                 "weight_quantizer": {"name": "dorefa_weight", "bits": 4}},
                {"type": "batchnorm"},
                {"type": "activation", "quantizer": {"name": "dorefa_activation", "bits": 4}},
                {"type": "maxpool", "size": 2},
                {"type": "flatten"},
                {"type": "dense", "units": 10, "weight_quantizer": {"name": "ste_sign"}},
                {"type": "batchnorm"}]}

Mixed precision is a different quantizer (bit width) per layer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from imc.errors import int_in_range, require
from imc.mapping.spec import LayerSpec, matrix_layers, run_layers
from imc.nn import layers as L
from imc.nn.data import thermometer_encode
from imc.nn.layers import LAYER_TYPES

INPUT_ENCODINGS = ("thermometer", "uniform")


@dataclass(frozen=True)
class InputEncoder:
    """Raw pixel levels (0..max_level) -> integer input codes of the first layer, and their values.

    ``thermometer``: each pixel becomes one {-1, +1} bit per threshold (Buckman et al.,
    "Thermometer Encoding", ICLR 2018); values = codes. ``uniform``: k-bit codes
    u = floor(x / max_level * (2^k - 1) + 1/2), values u / (2^k - 1) (DoReFa-style inputs).
    """

    encoding: str
    max_level: int
    thresholds: tuple[int, ...] = ()
    bits: int = 1

    def __post_init__(self) -> None:
        require("input.encoding", self.encoding, self.encoding in INPUT_ENCODINGS, f"allowed: {INPUT_ENCODINGS}")
        if self.encoding == "thermometer":
            require("input.thresholds", self.thresholds, len(self.thresholds) >= 1,
                    "a thermometer code needs at least one threshold")
        else:
            int_in_range("input.bits", self.bits, 1, 16)

    @property
    def code_bits(self) -> int:
        return 1 if self.encoding == "thermometer" else self.bits

    @property
    def scale(self) -> float:
        return 1.0 if self.encoding == "thermometer" else 1.0 / (2 ** self.bits - 1)

    def codes(self, x: np.ndarray) -> np.ndarray:
        """(n, H, W, C) pixel levels -> integer codes (n, H, W, C') (C' = C * thresholds for thermometer)."""
        if self.encoding == "thermometer":
            return thermometer_encode(x, np.asarray(self.thresholds))
        top = 2 ** self.bits - 1
        return np.floor(np.asarray(x) / self.max_level * top + 0.5).astype(np.int32)

    def values(self, x: np.ndarray) -> np.ndarray:
        return self.codes(x) * self.scale

    def channels(self, c: int) -> int:
        return c * len(self.thresholds) if self.encoding == "thermometer" else c


@dataclass(frozen=True, eq=False)
class IntegerModel:
    """A network as the hardware sees it: an input encoder and a list of integer ops."""

    name: str
    encoder: InputEncoder
    ops: list

    @property
    def layers(self) -> list[LayerSpec]:
        """The matrix layers (what the mapper places on arrays)."""
        return matrix_layers(self.ops)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw pixels (n, H, W, C) -> first-op input codes."""
        return self.encoder.codes(x)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return run_layers(self.ops, self.encode(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=-1)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


class Sequential:
    """A feed-forward quantized network built from a description (see the module docstring)."""

    def __init__(self, description: dict, input_shape: tuple[int, int, int], max_level: int, seed: int = 0):
        self.description = copy.deepcopy(description)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.max_level = int(max_level)
        require("description", description, isinstance(description, dict)
                and {"input", "layers"} <= set(description), "must have 'input' and 'layers'")
        spec = description["input"]
        self.encoder = InputEncoder(spec.get("encoding"), self.max_level, tuple(spec.get("thresholds", ())),
                                    spec.get("bits", 1))
        rng = np.random.default_rng(seed)
        h, w, c = self.input_shape
        shape: tuple[int, ...] = (h, w, self.encoder.channels(c))
        self.layers: list = []
        for i, layer in enumerate(description["layers"]):
            field = f"layers[{i}]"
            kind = LAYER_TYPES.get(layer.get("type"), f"{field}.type")
            built, shape = kind.from_description(layer, shape, rng, field)
            self.layers.append(built)

    def set_weight_noise(self, relative_sigma: float) -> None:
        """Relative Gaussian weight noise used in training forward passes (0: off)."""
        for layer in self.layers:
            if isinstance(layer, (L.Dense, L.Conv2d)):
                layer.weight_noise_rel = relative_sigma

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw pixels -> the first layer's float input values."""
        return self.encoder.values(x).astype(np.float64)

    def forward(self, x_values: np.ndarray, train: bool = False, rng=None) -> np.ndarray:
        for layer in self.layers:
            x_values = layer.forward(x_values, train, rng)
        return x_values

    def backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def logits(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        """Float inference (BatchNorm with running statistics) on raw pixels (n, H, W, C)."""
        return np.concatenate([self.forward(self.encode(x[i:i + batch])) for i in range(0, len(x), batch)])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=-1)

    @property
    def parameter_count(self) -> int:
        return int(sum(v.size for layer in self.layers for k, v in layer.params.items() if "quantizer" not in k))

    def export(self, name: str = "model") -> IntegerModel:
        """The exact integer form of the network (see `imc.nn.export`)."""
        from imc.nn.export import export_integer
        return export_integer(self, name)


def state_dict(model: Sequential) -> dict[str, np.ndarray]:
    """Every array that defines the model's state: parameters and BatchNorm running statistics.

    Keys ``layers.{i}.{param}`` and ``layers.{i}.running_mean`` / ``running_var``; the values
    are the live arrays (copy them to snapshot).
    """
    state = {}
    for i, layer in enumerate(model.layers):
        for key, value in layer.params.items():
            state[f"layers.{i}.{key}"] = value
        if isinstance(layer, L.BatchNorm):
            state[f"layers.{i}.running_mean"] = layer.running_mean
            state[f"layers.{i}.running_var"] = layer.running_var
    return state


def load_state_dict(model: Sequential, arrays: dict[str, np.ndarray], source: str = "state") -> None:
    """Copy ``arrays`` into the model's state in place; every array must be present with its shape."""
    for key, target in state_dict(model).items():
        require(f"{source}[{key!r}]", None if key not in arrays else arrays[key].shape,
                key in arrays and arrays[key].shape == target.shape,
                f"missing or mis-shaped: expected an array of shape {target.shape}")
        target[...] = arrays[key]
