"""Hardware-aware training for one mapped design: its chips' errors in every training forward pass.

The training network is exported (`imc.nn.export`), mapped on the design's arrays and ADC ranges as
`imc simulate` maps it (`imc.api.map_design`), and a training chip is programmed through the array
protocol by the functional engine's own `imc.engine.sample_chips`: static variation and stuck-at
faults of the device models, drift to ``conditions.time_s``, read noise per read, the column ADCs'
quantisation of the tiles' partial sums over the design's ranges. In each forward pass, every matrix
layer's input codes go through that chip's tiles (`Array.accumulate`), and the layer's float output
gets the hardware's error

    y_hw = y + s_in * s_w * (z_hw - z),      z = codes @ W_int (the exact integer product),

in the units of the float pre-activation (s_in: the input code's value, s_w: the weight code's; for
a TTQ layer each of its two masks' counts with its own value +W_p or -W_n). The error is a constant
of the backward pass: the gradient is the ideal layer's straight-through one (Joshi et al.,
"Accurate deep neural network inference using computational phase-change memory", Nature
Communications 11, 2473, 2020, noise injection in the forward pass only; Rasch et al., "Hardware-aware
training for large-scale and diverse deep learning inference workloads using in-memory computing-based
accelerators", Nature Communications 14, 5282, 2023: the aihwkit HWA training, the forward pass of
each analog layer through the tile's noise and ADC model). This is the exact engine path, not a
surrogate: in evaluation mode the injected network reproduces `imc.engine.hardware_logits` of the
same chip (a test holds it to that).

Training chips: chip k is programmed from ``SeedSequence(seed, spawn_key=(k, TRAINING_STREAM))``, k
counting epochs (``refresh = "epoch"``: one chip per epoch, read noise redrawn every step, the mapped
weights those of the epoch's start, so the error of a chip's cells meets weights up to one epoch
newer) or blocks of ``refresh`` = n steps (a new chip, mapped from the current weights, every n
steps; n = 1 is the exact path). Calibrated ADC ranges are set on the first chip of each epoch and
kept for the epoch's other chips. The test chips of `imc simulate` are
``SeedSequence(config.seed).spawn(chips)``: spawn keys (i,) with i < 100,000 (`SimConfig.chips`),
and their child streams (i, 1) and (i, 2) (`imc.engine`); a training chip's key ends in
TRAINING_STREAM = 2^32 - 1, which none of those reaches, so no training chip is a test chip whatever
the two seeds. Cost and effect of the refreshes: benchmarks/bench_train.py and the README's
"Hardware-aware training".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imc import api, engine
from imc.config import SimConfig, load_config, to_dict
from imc.errors import require
from imc.mapping import MappingPlan
from imc.mapping.spec import exact_integer_matmul
from imc.nn import layers as L
from imc.nn.export import code_value, weight_codes
from imc.nn.network import Sequential

TRAINING_STREAM = 2 ** 32 - 1  # last spawn-key word of every training chip (no test chip index reaches it)


@dataclass(frozen=True)
class HardwareTraining:
    """What to train a network for: a ``design`` (`imc.SimConfig`: array, device, ADC, mapping,
    conditions; its ``model``, ``chips`` and ``seed`` are the evaluation's, unused here) and how often
    a new training chip is mapped and sampled, ``refresh``: "epoch" (one chip per epoch, the epoch's
    starting weights on it: the cheapest) or n >= 1 (a chip every n optimiser steps, mapped from the
    current weights; 1: the exact path). Programming a chip costs what `imc simulate` pays per chip
    (write-verify on RRAM, 229k sampled cells for the BNN on SRAM), so n sets the price; in the
    README's measurement a chip every 6 steps wins back nearly what one per step does."""

    design: SimConfig
    refresh: str | int = "epoch"

    def __post_init__(self) -> None:
        require("hardware.design", type(self.design).__name__, isinstance(self.design, SimConfig),
                "must be an imc.SimConfig (or give train() a dict or TOML path)")
        steps = isinstance(self.refresh, int) and not isinstance(self.refresh, bool) and self.refresh >= 1
        require("hardware.refresh", self.refresh, self.refresh == "epoch" or steps,
                "allowed: 'epoch' (a training chip per epoch) or an integer n >= 1 (a chip every n steps)")
        replicas = self.design.mapping.replicas
        require("mapping.replicas", replicas, replicas == 1,
                "allowed for training: 1 (replicas copy a convolution's arrays for throughput; every copy's "
                "cells and converters follow the same models, so train for the design with replicas = 1)")
        sensing = getattr(self.design.array, "sensing", "adc")
        require("array.sensing", sensing, sensing != "sense_amp",
                "allowed for training: 'adc' (latches decide a sign layer's output against thresholds fixed "
                "at export, which the training pass's batch statistics move; train with 'adc' read-out)")

    def to_dict(self) -> dict:
        """Plain-dict form (a model file's ``info["hardware"]``): the design's config table and ``refresh``."""
        return {"design": to_dict(self.design), "refresh": self.refresh}


def hardware_training(hardware) -> HardwareTraining:
    """A `HardwareTraining` from itself, or from a design (`imc.SimConfig`, a dict of its fields or a
    TOML path, as `imc.load_config` takes) with ``refresh = "epoch"``."""
    if isinstance(hardware, HardwareTraining):
        return hardware
    require("hardware", type(hardware).__name__, isinstance(hardware, (SimConfig, dict, str, Path)),
            "must be a HardwareTraining, an imc.SimConfig, a dict of its fields or a TOML design path")
    return HardwareTraining(hardware if isinstance(hardware, SimConfig) else load_config(hardware))


def training_chip_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Training chip ``index`` of training seed ``seed`` (module docstring: disjoint from test chips)."""
    return np.random.SeedSequence(seed, spawn_key=(index, TRAINING_STREAM))


def map_design(design: SimConfig, ops: list, calibration_codes: np.ndarray,
               ranges_of: MappingPlan | None = None) -> MappingPlan:
    """The plan `imc simulate` makes of integer ``ops`` on ``design`` (`imc.api.map_design`: ADC ranges
    set from ``calibration_codes``, first-op codes of training images), or, given a plan ``ranges_of``
    of the same layers, every tile converting over the range of its tile there."""
    if ranges_of is None:
        return api.map_design(design, ops, calibration_codes)
    plan = api.tile_design(design, ops)
    return dataclasses.replace(plan, layers=[_with_ranges_of(p, q) for p, q in zip(plan.layers, ranges_of.layers)])


def _with_ranges_of(placement, ranged):
    """Layer ``placement`` with each tile's ADC range (one per layer, or per column) that of its tile in ``ranged``."""
    tiles = [dataclasses.replace(tile, full_scale_count=other.full_scale_count,
                                 column_full_scales=other.column_full_scales)
             for tile, other in zip(placement.tiles, ranged.tiles)]
    return dataclasses.replace(placement, tiles=tiles, full_scale_count=ranged.full_scale_count)


@dataclass(frozen=True, eq=False)
class _MappedLayer:
    """One matrix layer on the current training chip: its integer spec, its tiles' programmed states,
    and the sign of each of its columns against the layer's weight codes (export negates the columns
    of a negative BatchNorm gain)."""

    spec: object
    states: list
    column_sign: np.ndarray


def _input_scales(model: Sequential) -> list[tuple[float, float]]:
    """(value per code, value of code 0) of each layer's input codes, by layer index: the encoder's,
    then each activation quantizer's (as `imc.nn.export` reads them)."""
    scale, offset, scales = model.encoder.scale, 0.0, []
    for layer in model.layers:
        scales.append((scale, offset))
        if isinstance(layer, L.QuantizeActivation):
            scale, offset = code_value(layer.quantizer)
    return scales


class InTheLoop:
    """The hardware path of one training run: the current training chip and the injected forward pass.

    ``model``: the network being trained; ``x_calibration``: raw training images (their first
    ``mapping.calibration_inputs`` set calibrated ADC ranges); ``seed``: the training seed. Chip 0 is
    mapped at construction, so a design the network does not map onto fails before any training.
    """

    def __init__(self, hardware: HardwareTraining, model: Sequential, x_calibration: np.ndarray, seed: int):
        self.hardware, self.seed = hardware, seed
        self.array = hardware.design.chip_array
        self.calibration = model.encoder.codes(x_calibration[:hardware.design.mapping.calibration_inputs])
        self.matrix = [i for i, layer in enumerate(model.layers) if isinstance(layer, (L.Dense, L.Conv2d))]
        self.index = self.epoch = self.plan = None
        self.prepare(model, 0, 0)

    def prepare(self, model: Sequential, epoch: int, step: int) -> None:
        """Map and sample a new chip when the epoch (or, with refresh n, the block of n global steps)
        changed; ADC ranges are calibrated on the first chip of every epoch and kept for the epoch's
        other chips (a designer calibrates once after programming; per step it would cost ~4 forward
        batches)."""
        refresh = self.hardware.refresh
        index = epoch if refresh == "epoch" else step // refresh
        if index == self.index:
            return
        ranges_of = self.plan if epoch == self.epoch else None
        self.plan = map_design(self.hardware.design, model.export("training").ops, self.calibration, ranges_of)
        self.index, self.epoch = index, epoch
        self.chip = engine.sample_chips(self.array, self.plan, [training_chip_seed(self.seed, index)],
                                        self.hardware.design.variation, self.hardware.design.conditions)[0]
        self.layers = self._mapped_layers(model)

    def _mapped_layers(self, model: Sequential) -> dict[int, _MappedLayer]:
        """Each matrix layer of the model (by layer index) on the current plan and chip."""
        starts = np.cumsum([0] + [placement.n_arrays for placement in self.plan.layers])
        layers = {}
        for k, (i, placement) in enumerate(zip(self.matrix, self.plan.layers)):
            layer, spec = model.layers[i], placement.spec
            codes = weight_codes(i, layer, layer.params["weight"].shape[-1])[0]
            sign = np.where(np.all(spec.weights == codes, axis=0), 1, -1)
            layers[i] = _MappedLayer(spec, self.chip.states[starts[k]:starts[k + 1]], sign)
        return layers

    def forward(self, model: Sequential, x_values: np.ndarray, train: bool = True,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """``model.forward`` with every matrix layer's output moved by the chip's error (module docstring)."""
        scales = _input_scales(model)
        for i, layer in enumerate(model.layers):
            out = layer.forward(x_values, train, rng)
            if i in self.layers:
                out = out + self._error(i, layer, x_values, *scales[i]).reshape(out.shape)
            x_values = out
        return x_values

    def _error(self, i: int, layer, x_values: np.ndarray, scale: float, offset: float) -> np.ndarray:
        """The chip's error in the float output of layer ``i``, (matrix rows, n_out): s_in s_w (z_hw - z)."""
        mapped = self.layers[i]
        rows = layer.im2col(x_values) if isinstance(layer, L.Conv2d) else x_values
        codes = np.rint((rows - offset) / scale).astype(np.int32)
        counts = engine.accumulate_layer(self.array, mapped.states, codes, self.chip.read_rng)
        counts = (counts - exact_integer_matmul(codes, mapped.spec.weights)) * mapped.column_sign
        _, _, s_w, part_values = weight_codes(i, layer, mapped.spec.n_out)
        gains = s_w[None, :] if part_values is None else np.repeat(part_values[:, None], mapped.spec.n_out, axis=1)
        return scale * np.einsum("mpo,po->mo", counts.reshape(len(codes), len(gains), -1), gains)
