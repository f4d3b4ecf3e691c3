"""Tiling of layers onto arrays: which part of which matrix sits on which array."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from imc.arrays.base import ArrayGeometry
from imc.arrays.converters import ColumnGroups
from imc.mapping.encodings import ENCODINGS, LatchDecision, SignEncoding
from imc.mapping.slicing import (INPUT_SCHEMES, WEIGHT_ENCODINGS, ColumnGroup, InputLevels, InputPlanes,
                                 pair_difference)
from imc.errors import MappingError, ParameterError, int_in_range, require
from imc.mapping.spec import LayerSpec, matrix_layers


@dataclass(frozen=True, eq=False)
class Tile:
    """One block of a layer's weight matrix, programmed on one physical array.

    ``inputs`` and ``outputs`` index the layer's matrix rows (inputs) and columns (outputs);
    ``states`` is the cell pattern (cell levels) in the array's top-left corner (logical word
    lines x bit lines) that the mapping makes of ``weights``; ``encoding`` turns input codes into
    word-line drives (`drives`: every array cycle's stacked, with its significance) and folds cells for
    them (`fold`); ``groups`` are the column groups whose counts decode into partial dot products
    (one for a binary tile, one per weight slice and sign for a multi-bit one); ``full_scale_count`` is the largest count a column of the layer's
    tiles can reach in one read (the ADC full scale); ``reads``: the groups of its inputs whose word
    lines are raised together, each read converted on its own (slices of the tile's inputs);
    ``sensing``: the read-out circuit of its columns (one of the geometry's), with ``latch`` set
    when it is "sense_amp"; ``replica``: which copy of a replicated layer it belongs to;
    ``column_full_scales``: each converted column's own ADC range in counts (per-column calibration;
    None: every column converts over ``full_scale_count``); ``paired``: columns 2k and 2k + 1 hold the
    positive and negative parts of converted column k, subtracted before a bipolar converter
    (`imc.mapping.slicing.BalancedWeights`), and ``groups`` decode the converted columns.
    """

    array_index: int
    row_tile: int
    inputs: slice
    outputs: slice
    weights: np.ndarray
    states: np.ndarray
    encoding: SignEncoding | InputPlanes
    groups: tuple[ColumnGroup, ...]
    full_scale_count: int
    sensing: str
    reads: tuple[slice, ...]
    latch: LatchDecision | None = None
    replica: int = 0
    column_full_scales: np.ndarray | None = None
    paired: bool = False

    @property
    def converted_columns(self) -> int:
        """Columns the ADCs convert: the bit lines, or their pairs when ``paired``."""
        return self.states.shape[1] // 2 if self.paired else self.states.shape[1]

    def pair_difference(self, values: np.ndarray) -> np.ndarray:
        """Per-bit-line values (..., bit lines) -> those of the converted columns (`pair_difference`)."""
        return pair_difference(values, self.paired)

    @cached_property
    def column_groups(self) -> ColumnGroups:
        """``groups`` as one `ColumnGroups` over the converted columns (contiguous, in column order: checked),
        built once per tile for every chip's reads."""
        cols = self.converted_columns
        spans = [slice(*group.columns.indices(cols)) for group in self.groups]
        require("tile.groups", [(span.start, span.stop) for span in spans],
                spans[0].start == 0 and spans[-1].stop == cols
                and all(a.stop == b.start for a, b in zip(spans, spans[1:])),
                f"column groups must cover the tile's {cols} columns in order")
        return ColumnGroups.of((span, group.decoding.gain, group.decoding.column_offset, group.decoding.reference_gain)
                               for span, group in zip(spans, self.groups))

    @property
    def adc_full_scales(self) -> np.ndarray:
        """Each converted column's ADC range in counts (converted columns,), float64: over [0, range], or
        [-range, range] when ``paired``."""
        if self.column_full_scales is None:
            return np.full(self.converted_columns, float(self.full_scale_count))
        return np.asarray(self.column_full_scales, dtype=np.float64)

    @property
    def used_cells(self) -> int:
        return self.states.size

    def read_rows(self, read: slice) -> slice:
        """The logical rows (word lines) a read of some of the tile's inputs raises."""
        rows = self.encoding.rows_per_input
        return slice(read.start * rows, read.stop * rows)

    @property
    def sliced(self) -> bool:
        """Whether the tile holds sliced multi-bit weight codes (else a binary layer's sign encoding)."""
        return not isinstance(self.encoding, SignEncoding)

    @property
    def cycles(self) -> int:
        """Array cycles per input vector: 1 for binary tiles, else its drive's (`InputPlanes.cycles`)."""
        return self.encoding.cycles if self.sliced else 1


@dataclass(frozen=True, eq=False)
class LayerPlacement:
    """All tiles of one layer. Partial sums of its row tiles are added digitally. A convolution
    may have ``replicas`` copies of its tiles: output position p goes to copy p mod replicas."""

    spec: LayerSpec
    tiles: list[Tile]
    row_tiles: int
    col_tiles: int
    full_scale_count: int
    array_cells: int
    replicas: int = 1

    @property
    def n_arrays(self) -> int:
        return len(self.tiles)

    def tiles_of(self, replica: int) -> list[Tile]:
        """The tiles of one copy of the layer."""
        return [tile for tile in self.tiles if tile.replica == replica]

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
            "utilisation": p.utilisation, "cycles": p.tiles[0].cycles, "replicas": p.replicas,
            "sensing": p.tiles[0].sensing,
        } for p in self.layers])


def map_layers(ops: list, geometry: ArrayGeometry, encoding: str = "xnor", weights: str = "offset",
               rows_per_read: int | None = None, replicas: int = 1, max_arrays: int | None = None,
               inputs: str = "bit_serial") -> MappingPlan:
    """Tile every matrix layer of ``ops`` over arrays of ``geometry``.

    Binary dense layers (+-1 weights and inputs) take the sign ``encoding`` (`ENCODINGS`): an
    array holds word_lines // rows_per_input inputs and bit_lines - reference_columns outputs.
    Every other layer (multi-bit weights or inputs, convolutions, whose im2col patches hold the
    zero padding) is sliced (`imc.mapping.slicing`): signed weights by the ``weights`` encoding
    (`WEIGHT_ENCODINGS`) over the geometry's cell bits, k-bit inputs by the ``inputs`` scheme
    (`INPUT_SCHEMES`: "bit_serial" binary planes, or in one cycle by "amplitude" or "pulse_width"
    when the geometry's drivers offer it with at least k bits; 1-bit inputs always as the signed
    planes); an array holds
    word_lines inputs and (bit_lines - reference_columns) // columns_per_output outputs.
    A layer needs ceil(n_in / inputs) row tiles and ceil(columns / outputs) column tiles, each on
    its own array, numbered in layer order, row tile, then column tile. ``rows_per_read`` (None:
    all) is how many word lines one conversion sees, NeuroSim's partial-sum knob: a tile's inputs
    are read in groups of that many rows, each converted on its own with a full scale of that
    many rows (more conversions, a finer ADC step). When the geometry has "sense_amp" latches, a
    binary sign layer that fits one row tile and one read under a decoding without a reference
    column is read by them (`LatchDecision`) instead of the ADCs. ``replicas``: copies of every
    convolution's tiles (at most its output positions), each serving every replicas-th output
    position: more arrays, proportionally more output positions per array op time. ``max_arrays``:
    the chip's array budget (None: unlimited); a layer that would exceed it is a `MappingError`.
    """
    int_in_range("replicas", replicas, 1, 1024)
    if rows_per_read is not None:
        int_in_range("rows_per_read", rows_per_read, 1, geometry.word_lines)
    require("geometry", type(geometry).__name__, isinstance(geometry, ArrayGeometry), "must be an ArrayGeometry")
    enc_class = ENCODINGS.get(encoding, "encoding")
    require("encoding", encoding, encoding in geometry.encodings,
            f"these arrays' cells support the encodings {list(geometry.encodings)}")
    WEIGHT_ENCODINGS.get(weights, "weights")
    require("inputs", inputs, inputs in INPUT_SCHEMES, f"allowed: {list(INPUT_SCHEMES)}")
    require("inputs", inputs, inputs in geometry.input_schemes,
            f"these arrays' word-line drivers offer {list(geometry.input_schemes)}")
    enc = enc_class()
    check_capacity(geometry, enc.rows_per_input, enc.reference_columns + 1, f"the {encoding!r} encoding")
    placements, next_array = [], 0
    for spec in matrix_layers(ops):
        sliced = not spec.binary or spec.conv is not None
        if sliced:
            require("weights", weights, weights in geometry.weight_encodings,
                    f"layer {spec.name!r} has multi-bit weights or inputs (or zero-padded patches); these arrays "
                    f"slice them with {list(geometry.weight_encodings) or 'none'}")
            layout = WEIGHT_ENCODINGS[weights].for_layer(spec.weights, spec.name, geometry.cell_bits)
            drive = _drive(spec, inputs, geometry)
            inputs_per_array = geometry.word_lines
            outputs_per_array = (geometry.bit_lines - layout.reference_columns) // layout.columns_per_output
            if outputs_per_array < 1:
                raise MappingError(f"layer {spec.name!r}: one output takes {layout.columns_per_output} columns "
                                   f"({len(layout.slices)} slices of {geometry.cell_bits}-bit cells, {weights!r} "
                                   f"weights) plus {layout.reference_columns} reference; the arrays have "
                                   f"{geometry.bit_lines} bit lines")
        else:
            layout = drive = enc
            inputs_per_array = geometry.word_lines // enc.rows_per_input
            outputs_per_array = geometry.bit_lines - enc.reference_columns
        row_starts = range(0, spec.n_in, inputs_per_array)
        col_starts = range(0, spec.columns, outputs_per_array)
        per_read = inputs_per_array if rows_per_read is None else max(1, rows_per_read // drive.rows_per_input)
        full_scale = layout.full_scale_count(min(per_read, inputs_per_array, spec.n_in)) * drive.steps
        latched = (not sliced and "sense_amp" in geometry.sensing and len(row_starts) == 1
                   and per_read >= spec.n_in and _sign_output(spec))
        tiles = []
        copies = min(replicas, spec.output_positions)
        for replica, r, c0 in itertools.product(range(copies), range(len(row_starts)), col_starts):
            r0 = row_starts[r]
            rows = slice(r0, min(r0 + inputs_per_array, spec.n_in))
            outputs = slice(c0, min(c0 + outputs_per_array, spec.columns))
            w = spec.weights[rows, outputs]
            if sliced:
                states, groups = layout.place(w)
            else:
                states, groups = enc.cell_states(w), (ColumnGroup(slice(0, None), enc.decoding(w)),)
            latch = None
            if latched and groups[0].decoding.reference_gain == 0:
                latch = LatchDecision.for_thresholds(groups[0].decoding,
                                                     np.asarray(spec.thresholds).reshape(-1)[outputs])
            n = rows.stop - rows.start
            reads = tuple(slice(start, min(start + per_read, n)) for start in range(0, n, per_read))
            tiles.append(Tile(next_array, r, rows, outputs, w, states, drive, tuple(groups), full_scale,
                              geometry.sensing[0] if latch is None else "sense_amp", reads, latch, replica,
                              paired=sliced and layout.paired))
            next_array += 1
        if max_arrays is not None and next_array > max_arrays:
            raise MappingError(f"layer {spec.name!r}: the plan needs {next_array} arrays up to this layer "
                               f"({len(tiles)} for it), above the budget max_arrays = {max_arrays}; allowed: larger "
                               "arrays, fewer replicas or a larger budget")
        placements.append(LayerPlacement(spec, tiles, len(row_starts), len(col_starts), full_scale,
                                         geometry.word_lines * geometry.bit_lines, copies))
    return MappingPlan(placements, geometry, encoding, list(ops))


def _drive(spec: LayerSpec, inputs: str, geometry: ArrayGeometry) -> InputPlanes:
    """How a sliced layer's inputs reach the word lines: bit planes, or k-bit codes in one cycle."""
    if inputs == "bit_serial" or spec.input_bits == 1:
        return InputPlanes(spec.input_bits, spec.input_signed)
    if spec.input_bits > geometry.input_bits:
        raise MappingError(f"layer {spec.name!r}: {spec.input_bits}-bit inputs by {inputs!r} need a drive of at "
                           f"least {spec.input_bits} bits; the arrays' drivers take {geometry.input_bits} "
                           "(array.input_bits); allowed: a wider driver or inputs = 'bit_serial'")
    return InputLevels(spec.input_bits, inputs, spec.input_signed)


def check_capacity(geometry: ArrayGeometry, rows_per_input: int, columns: int, what: str) -> None:
    """An array must hold at least one input and one output of ``what``."""
    if geometry.word_lines < rows_per_input or geometry.bit_lines < columns:
        raise ParameterError("rows x cols", (geometry.word_lines, geometry.bit_lines),
                             f"{what} needs at least {rows_per_input} word lines and {columns} bit lines per array")


def _sign_output(spec: LayerSpec) -> bool:
    """Whether a layer's output stage is one comparator per output with levels {-1, +1}."""
    return (spec.thresholds is not None and spec.part_gains is None and np.array_equal(spec.levels, (-1, 1))
            and np.asarray(spec.thresholds).reshape(-1, spec.n_out).shape[0] == 1)
