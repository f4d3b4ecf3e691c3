"""Closed-form energy, latency and throughput of a mapped network on the nominal chip.

Energy is data dependent: every tile's word-line activity and column counts are taken
from the test set run through the exact integer network, and each tile op is priced by
`SRAMArray.op_cost`. Layers run one after another for one input (latency) and as a
pipeline over a stream of inputs (throughput = 1 / slowest layer), every layer owning
its arrays and every array its column ADCs. The SimPy chip engine refines this estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imc.arrays import SRAMArray
from imc.engine import uses_sense_amp
from imc.mapping import ENCODINGS, MappingPlan
from imc.mapping.spec import exact_integer_matmul, run_layers


@dataclass(frozen=True)
class Performance:
    """Per-inference energy by layer and component (J), latency (s), throughput (1/s)."""

    energy: pd.DataFrame
    layer_latency_s: dict[str, float]
    macs: int

    @property
    def energy_per_inference_j(self) -> float:
        return float(self.energy.to_numpy().sum())

    @property
    def energy_by_component_j(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.energy.sum(axis=0).items()}

    @property
    def energy_by_layer_j(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.energy.sum(axis=1).items()}

    @property
    def latency_s(self) -> float:
        return float(sum(self.layer_latency_s.values()))

    @property
    def throughput_inf_per_s(self) -> float:
        return 1.0 / max(self.layer_latency_s.values())

    @property
    def tops_per_w(self) -> float:
        """Operations (2 per MAC) per joule, in 10^12 op/s per W."""
        return 2 * self.macs / self.energy_per_inference_j / 1e12


def accumulator_bits(n_in: int) -> int:
    """Bits of a signed accumulator holding a dot product of n_in binary terms, |z| <= n_in."""
    return math.ceil(math.log2(2 * n_in + 1))


def estimate(plan: MappingPlan, array: SRAMArray, x: np.ndarray) -> Performance:
    """Closed-form performance of ``plan`` on ``array`` for first-layer inputs ``x`` (batch, n_in)."""
    encoding = ENCODINGS[plan.encoding]()
    digital = array.digital
    rows, latencies = {}, {}

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        energy = dict.fromkeys(("bitline", "wordline", "adc", "sense_amp"), 0.0)
        tile_latency = 0.0
        for tile in placement.tiles:
            word_lines = encoding.word_lines(x_layer[..., tile.inputs])
            counts = word_lines @ tile.states.astype(np.float32)
            cost = array.op_cost(word_lines.sum(-1).mean(), counts.mean(0), placement.full_scale_count,
                                 sense_amp=uses_sense_amp(array, plan, placement))
            for component, joules in cost.energy_j.items():
                energy[component] += joules
            tile_latency = max(tile_latency, cost.latency_s)
        width = accumulator_bits(layer.n_in)
        energy["digital"] = layer.n_out * (placement.row_tiles + 1) * width * digital.e_add_bit_j
        output_bits = int(np.ceil(np.log2(np.asarray(layer.levels).size))) if layer.thresholds is not None else width
        energy["buffer"] = (layer.n_in + layer.n_out * output_bits) * digital.e_buffer_bit_j
        adder_levels = math.ceil(math.log2(placement.row_tiles)) + 1
        rows[layer.name] = energy
        latencies[layer.name] = tile_latency + adder_levels / digital.f_clk_hz
        return exact_integer_matmul(x_layer, layer.weights)

    run_layers(plan.ops, x, matvec)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "layer"
    return Performance(frame, latencies, sum(p.spec.macs for p in plan.layers))
