"""Closed-form energy, latency and throughput of a mapped network on the nominal chip.

Energy is data dependent: every tile's inputs are taken from the test set run through the
exact integer network, and each tile op is priced by the array (`Array.op_cost`), the digital
periphery by its `DigitalCosts`. Layers run one after another for one input (latency) and as a
pipeline over a stream of inputs (throughput = 1 / slowest layer), every layer owning its
arrays (its tiles run in parallel) and every array its column read-out. The SimPy chip engine
refines this estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imc.arrays.base import Array, OpCost
from imc.arrays.periphery import accumulator_bits
from imc.mapping import LayerSpec, MappingPlan
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


def sum_bound(layer: LayerSpec, weights: np.ndarray) -> int:
    """Largest |partial dot product| of ``weights`` rows with the layer's input codes."""
    return weights.shape[0] * int(np.abs(weights).max()) * max(2 ** layer.input_bits - 1, 1)


def tile_costs(plan: MappingPlan, array: Array, index: int, x_layer: np.ndarray) -> list[OpCost]:
    """The mean op of each tile of one copy of matrix layer ``index`` for its matrix inputs x_layer."""
    placement = plan.layers[index]
    flat = x_layer.reshape(-1, placement.spec.n_in)
    return [array.op_cost(tile, flat[:, tile.inputs]) for tile in placement.tiles_of(0)]


def periphery_cost(plan: MappingPlan, array: Array, index: int) -> OpCost:
    """The digital stage of matrix layer ``index`` for one output position: the shift-and-add of every
    row tile, column group and input cycle into an accumulator wide enough for the layer's largest
    |z|, the output stage and the buffer traffic (`DigitalCosts`)."""
    placement = plan.layers[index]
    layer, digital, first = placement.spec, array.digital, placement.tiles[0]
    width = accumulator_bits(sum_bound(layer, layer.weights))
    output_bits = int(np.ceil(np.log2(layer.levels.size))) if layer.thresholds is not None else width
    column_sums = placement.row_tiles * len(first.groups)
    return OpCost({"digital": digital.accumulate_energy_j(layer.columns, column_sums * first.cycles, width),
                   "buffer": digital.buffer_energy_j(layer.n_in * layer.input_bits + layer.n_out * output_bits)},
                  digital.adder_tree_latency_s(column_sums))


def layer_cost(plan: MappingPlan, array: Array, index: int, x_layer: np.ndarray) -> OpCost:
    """One input's cost of matrix layer ``index`` for its matrix inputs ``x_layer`` (..., n_in): one
    copy's tiles side by side (`OpCost.alongside`), then its `periphery_cost`; the energy once per
    output position, the latency once per output position of one copy (replicated layers serve
    positions in parallel)."""
    layer = plan.layers[index].spec
    tiles = OpCost({}, 0.0)
    for cost in tile_costs(plan, array, index, x_layer):
        tiles = tiles.alongside(cost)
    one = tiles + periphery_cost(plan, array, index)
    rounds = -(-layer.output_positions // plan.layers[index].replicas)  # positions per copy, one after another
    return OpCost({key: joules * layer.output_positions for key, joules in one.energy_j.items()},
                  one.latency_s * rounds)


def estimate(plan: MappingPlan, array: Array, x: np.ndarray) -> Performance:
    """Closed-form performance of ``plan`` on ``array`` for first-op inputs ``x`` (batch, ...)."""
    rows, latencies = {}, {}

    def matvec(index, layer, x_layer):
        cost = layer_cost(plan, array, index, x_layer)
        rows[layer.name], latencies[layer.name] = cost.energy_j, cost.latency_s
        return exact_integer_matmul(x_layer, layer.weights)

    run_layers(plan.ops, x, matvec)
    frame = pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)
    frame.index.name = "layer"
    return Performance(frame, latencies, sum(p.spec.macs for p in plan.layers))
