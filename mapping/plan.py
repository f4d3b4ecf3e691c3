"""Tiling of layers onto arrays: which part of which matrix sits on which array."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imc.devices.validation import ParameterError, int_in_range, require
from imc.mapping.encodings import ENCODINGS
from imc.mapping.errors import MappingError
from imc.mapping.spec import LayerSpec, matrix_layers


@dataclass(frozen=True, eq=False)
class Tile:
    """One block of a layer's weight matrix, programmed on one physical array.

    ``inputs`` and ``outputs`` index the layer's matrix rows (inputs) and columns
    (outputs); ``states`` is the 0/1 cell pattern in the array's top-left corner.
    """

    array_index: int
    row_tile: int
    inputs: slice
    outputs: slice
    weights: np.ndarray
    states: np.ndarray

    @property
    def used_cells(self) -> int:
        return self.states.size


@dataclass(frozen=True, eq=False)
class LayerPlacement:
    """All tiles of one layer. Partial sums of its row tiles are added digitally."""

    spec: LayerSpec
    tiles: list[Tile]
    row_tiles: int
    col_tiles: int
    full_scale_count: int
    array_cells: int

    @property
    def n_arrays(self) -> int:
        return len(self.tiles)

    @property
    def utilisation(self) -> float:
        """Fraction of the allocated arrays' cells that hold weights or reference bits."""
        return sum(t.used_cells for t in self.tiles) / (self.n_arrays * self.array_cells)


@dataclass(frozen=True, eq=False)
class MappingPlan:
    """Placement of every matrix layer of a network on arrays of ``rows`` x ``cols`` cells.

    ``ops`` is the whole op list (matrix layers and the digital ops between them), in order.
    """

    layers: list[LayerPlacement]
    rows: int
    cols: int
    encoding: str
    ops: list

    @property
    def n_arrays(self) -> int:
        return sum(p.n_arrays for p in self.layers)

    def summary(self) -> pd.DataFrame:
        """One row per layer: shape, tiling, arrays used and utilisation."""
        return pd.DataFrame([{
            "layer": p.spec.name, "n_in": p.spec.n_in, "n_out": p.spec.n_out,
            "row_tiles": p.row_tiles, "col_tiles": p.col_tiles, "arrays": p.n_arrays,
            "utilisation": p.utilisation,
        } for p in self.layers])


def map_layers(ops: list, rows: int, cols: int, encoding: str) -> MappingPlan:
    """Tile every matrix layer of ``ops`` over arrays of ``rows`` x ``cols`` with the given sign encoding.

    A layer with n_in inputs and n_out outputs needs ceil(n_in / inputs_per_array) row
    tiles and ceil(n_out / outputs_per_array) column tiles, where an array holds
    rows // rows_per_input inputs and cols - reference_columns outputs. Each tile gets
    its own array, numbered in layer order, row tile, then column tile.
    """
    int_in_range("rows", rows, 1)
    int_in_range("cols", cols, 1)
    require("encoding", encoding, encoding in ENCODINGS, f"allowed: {sorted(ENCODINGS)}")
    enc = ENCODINGS[encoding]()
    inputs_per_array = rows // enc.rows_per_input
    outputs_per_array = cols - enc.reference_columns
    if inputs_per_array < 1 or outputs_per_array < 1:
        raise ParameterError("rows x cols", (rows, cols),
                             f"the {encoding!r} encoding needs at least {enc.rows_per_input} rows "
                             f"and {enc.reference_columns + 1} columns per array")
    placements, next_array = [], 0
    for spec in matrix_layers(ops):
        if not spec.binary or spec.conv is not None:
            raise MappingError(f"layer {spec.name!r}: only binary dense layers (1-bit weights and "
                               f"inputs) can be mapped so far; this one has weight_bits="
                               f"{spec.weight_bits}, input_bits={spec.input_bits}"
                               f"{', and is a convolution' if spec.conv is not None else ''}")
        tiles = []
        row_starts = range(0, spec.n_in, inputs_per_array)
        col_starts = range(0, spec.n_out, outputs_per_array)
        for r, r0 in enumerate(row_starts):
            for c0 in col_starts:
                inputs = slice(r0, min(r0 + inputs_per_array, spec.n_in))
                outputs = slice(c0, min(c0 + outputs_per_array, spec.n_out))
                w = spec.weights[inputs, outputs]
                tiles.append(Tile(next_array, r, inputs, outputs, w, enc.cell_states(w)))
                next_array += 1
        placements.append(LayerPlacement(spec, tiles, len(row_starts), len(col_starts),
                                         enc.full_scale_count(min(inputs_per_array, spec.n_in)),
                                         rows * cols))
    return MappingPlan(placements, rows, cols, encoding, list(ops))
