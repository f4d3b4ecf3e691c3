"""Tiling of layers onto arrays: which part of which matrix sits on which array."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imc.errors import ParameterError, int_in_range, require
from imc.arrays.base import ArrayGeometry
from imc.mapping.encodings import ENCODINGS, CountDecoding, LatchDecision, SignEncoding
from imc.errors import MappingError
from imc.mapping.spec import LayerSpec, matrix_layers


@dataclass(frozen=True, eq=False)
class Tile:
    """One block of a layer's weight matrix, programmed on one physical array.

    ``inputs`` and ``outputs`` index the layer's matrix rows (inputs) and columns (outputs);
    ``states`` is the cell pattern in the array's top-left corner (logical word lines x bit
    lines) that ``encoding`` makes of ``weights``; ``decoding`` turns its column counts back into
    partial dot products; ``full_scale_count`` is the largest count a column of the layer's
    tiles can reach (the ADC full scale); ``sensing``: the read-out circuit of its columns (one of
    the geometry's), with ``latch`` set when it is "sense_amp".
    """

    array_index: int
    row_tile: int
    inputs: slice
    outputs: slice
    weights: np.ndarray
    states: np.ndarray
    encoding: SignEncoding
    decoding: CountDecoding
    full_scale_count: int
    sensing: str
    latch: LatchDecision | None = None

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
    """Placement of every matrix layer of a network on arrays of one ``geometry``.

    ``ops`` is the whole op list (matrix layers and the digital ops between them), in order.
    """

    layers: list[LayerPlacement]
    geometry: ArrayGeometry
    encoding: str
    ops: list

    @property
    def n_arrays(self) -> int:
        return sum(p.n_arrays for p in self.layers)

    @property
    def tiles(self) -> list[Tile]:
        """Every tile, in array order."""
        return [tile for placement in self.layers for tile in placement.tiles]

    def summary(self) -> pd.DataFrame:
        """One row per layer: shape, tiling, arrays used, utilisation and column read-out."""
        return pd.DataFrame([{
            "layer": p.spec.name, "n_in": p.spec.n_in, "n_out": p.spec.n_out,
            "row_tiles": p.row_tiles, "col_tiles": p.col_tiles, "arrays": p.n_arrays,
            "utilisation": p.utilisation, "sensing": p.tiles[0].sensing,
        } for p in self.layers])


def map_layers(ops: list, geometry: ArrayGeometry, encoding: str) -> MappingPlan:
    """Tile every matrix layer of ``ops`` over arrays of ``geometry`` with the given sign encoding.

    A layer with n_in inputs and n_out outputs needs ceil(n_in / inputs_per_array) row
    tiles and ceil(n_out / outputs_per_array) column tiles, where an array holds
    word_lines // rows_per_input inputs and bit_lines - reference_columns outputs. Each tile
    gets its own array, numbered in layer order, row tile, then column tile. When the geometry
    has "sense_amp" latches, a sign layer that fits one row tile under a decoding without a
    reference column is read by them (`LatchDecision`) instead of the ADCs.
    """
    require("geometry", type(geometry).__name__, isinstance(geometry, ArrayGeometry), "must be an ArrayGeometry")
    enc_class = ENCODINGS.get(encoding, "encoding")
    require("encoding", encoding, encoding in geometry.encodings,
            f"these arrays' cells support the encodings {list(geometry.encodings)}")
    enc = enc_class()
    inputs_per_array = geometry.word_lines // enc.rows_per_input
    outputs_per_array = geometry.bit_lines - enc.reference_columns
    if inputs_per_array < 1 or outputs_per_array < 1:
        raise ParameterError("rows x cols", (geometry.word_lines, geometry.bit_lines),
                             f"the {encoding!r} encoding needs at least {enc.rows_per_input} word lines "
                             f"and {enc.reference_columns + 1} bit lines per array")
    placements, next_array = [], 0
    for spec in matrix_layers(ops):
        if not spec.binary or spec.conv is not None:
            raise MappingError(f"layer {spec.name!r}: only binary dense layers (1-bit weights and "
                               f"inputs) can be mapped so far; this one has weight_bits="
                               f"{spec.weight_bits}, input_bits={spec.input_bits}"
                               f"{', and is a convolution' if spec.conv is not None else ''}")
        row_starts = range(0, spec.n_in, inputs_per_array)
        col_starts = range(0, spec.n_out, outputs_per_array)
        full_scale = enc.full_scale_count(min(inputs_per_array, spec.n_in))
        latched = "sense_amp" in geometry.sensing and len(row_starts) == 1 and _sign_output(spec)
        tiles = []
        for r, r0 in enumerate(row_starts):
            for c0 in col_starts:
                inputs = slice(r0, min(r0 + inputs_per_array, spec.n_in))
                outputs = slice(c0, min(c0 + outputs_per_array, spec.n_out))
                w = spec.weights[inputs, outputs]
                decoding = enc.decoding(w)
                latch = None
                if latched and decoding.reference_gain == 0:
                    latch = LatchDecision.for_thresholds(decoding, np.asarray(spec.thresholds).reshape(-1)[outputs])
                tiles.append(Tile(next_array, r, inputs, outputs, w, enc.cell_states(w), enc, decoding,
                                  full_scale, geometry.sensing[0] if latch is None else "sense_amp", latch))
                next_array += 1
        placements.append(LayerPlacement(spec, tiles, len(row_starts), len(col_starts), full_scale,
                                         geometry.word_lines * geometry.bit_lines))
    return MappingPlan(placements, geometry, encoding, list(ops))


def _sign_output(spec: LayerSpec) -> bool:
    """Whether a layer's output stage is one comparator per output with levels {-1, +1}."""
    return (spec.thresholds is not None and np.array_equal(spec.levels, (-1, 1))
            and np.asarray(spec.thresholds).reshape(-1, spec.n_out).shape[0] == 1)
