"""What each layer's events cost and how much data they move, from the same op costs as the
closed-form estimate.

For every matrix layer: the mean cost of one op of each tile of one copy and of its digital stage
(`imc.performance.tile_costs` and `periphery_cost`, the pieces `imc.performance.layer_cost` adds
up), so the chip's events sum to the closed form's energy by construction of the same numbers and
its uncontended stage time equals the closed form's layer latency. A replicated layer runs
ceil(positions / replicas) rounds, each op standing for the positions of all copies (its energy
scaled by positions / rounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imc.arrays import Array, OpCost, accumulator_bits
from imc.mapping import LayerSpec, MappingPlan
from imc.mapping.spec import exact_integer_matmul, run_layers
from imc.performance import periphery_cost, sum_bound, tile_costs


@dataclass(frozen=True)
class StageCosts:
    """One matrix layer on the chip, per inference.

    ``tiles``: the mean op of each tile (one per output position); ``digital``: the digital stage
    of one output position; ``positions``: output positions (1 for a dense layer, the output
    pixels of a convolution, each its own array ops); ``input_bits``: the layer's input (its
    input feature map for a convolution); ``output_bits``: its output codes over all positions;
    ``slice_bits`` / ``partial_sum_bits``: a tile's inputs and partial sums for one position (what
    travels to and from a tile on another PE than the layer's first).
    """

    name: str
    tiles: tuple[OpCost, ...]
    digital: OpCost
    positions: int
    input_bits: int
    output_bits: int
    slice_bits: tuple[int, ...]
    partial_sum_bits: tuple[int, ...]


def code_bits(layer: LayerSpec) -> int:
    """Bits of one output code: its output levels, or the accumulator of a final (affine) layer."""
    if layer.thresholds is not None:
        return math.ceil(math.log2(layer.levels.size))
    return accumulator_bits(sum_bound(layer, layer.weights))


def _energy_times(cost: OpCost, factor: float) -> OpCost:
    """The op with its energy scaled by ``factor`` and its latency unchanged."""
    return OpCost({key: joules * factor for key, joules in cost.energy_j.items()}, cost.latency_s)


def stage_costs(plan: MappingPlan, array: Array, x: np.ndarray) -> list[StageCosts]:
    """`StageCosts` of every matrix layer of ``plan`` on ``array`` for first-op inputs ``x`` (batch, ...)."""
    stages = []

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        copy = placement.tiles_of(0)
        rounds = -(-layer.output_positions // placement.replicas)  # a replicated layer's copies work at once
        share = layer.output_positions / rounds  # positions one round serves: its energy
        tiles = [_energy_times(cost, share) for cost in tile_costs(plan, array, index, x_layer)]
        elements = int(np.prod(layer.conv.in_shape)) if layer.conv else layer.n_in
        stages.append(StageCosts(
            layer.name, tuple(tiles), _energy_times(periphery_cost(plan, array, index), share),
            rounds, elements * layer.input_bits, layer.n_out * layer.output_positions * code_bits(layer),
            tuple((t.inputs.stop - t.inputs.start) * layer.input_bits for t in copy),
            tuple(t.weights.shape[1] * accumulator_bits(sum_bound(layer, t.weights)) for t in copy)))
        return exact_integer_matmul(x_layer, layer.weights)

    run_layers(plan.ops, x, matvec)
    return stages
