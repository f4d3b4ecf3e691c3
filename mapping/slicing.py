"""Multi-bit layers on arrays: signed weights sliced over c-bit cells, inputs as bit planes.

A layer's integer weights are first written as w = a u + b with unsigned codes u of k bits
(a, b integers: DoReFa's odd levels 2u - (2^k - 1) give a = 2, ternary {-1, 0, 1} gives a = 1,
b = -1). Signed weights then take one of the `WEIGHT_ENCODINGS`:

* ``offset``: the codes u on the cells, plus one reference column of level-1 cells that counts
  the active inputs, so x.w_j = a x.u_j + b sum(x) (the biased encoding of ISAAC: Shafiee et al.,
  ISCA 2016, Sec. V);
* ``differential``: w = w+ - w-, the positive and negative parts on separate columns and
  subtracted after conversion (the differential pairs of PRIME: Chi et al., ISCA 2016, Sec. 4;
  a ternary layer then takes one 1-bit column per sign, no cell wasted);
* ``balanced``: the parts of ``differential`` on adjacent columns, their currents subtracted
  before one bipolar converter per pair (CrossSim's balanced core with ``interleaved_posneg`` and
  ``subtract_current_in_xbar``: github.com/sandialabs/cross-sim, ``simulator/cores/balanced_core.py``):
  half the conversions and shift-and-adds, the signed difference quantised once over
  [-full scale, +full scale];
* ``twos_complement``: w in k-bit two's complement, the sign bit on its own columns with a
  negative significance after conversion.

Codes of k bits spread over ceil(k / c) slices of c bits (c: the cell's bits), slice s holding
bits [c s, c s + c) on its own group of columns, recombined by shift-and-add with significance
2^(c s) after conversion (ISAAC, Sec. IV). Inputs reach the word lines as binary planes, one array
cycle each: unsigned k-bit codes as their bit planes (significance 2^b, bit-serial as in ISAAC);
1-bit inputs in {-1, 0, +1} (binary activations, zero padding) as the planes [x > 0] and [x < 0]
(significance +1 and -1). Arrays with a word-line DAC or pulse generator may instead take unsigned
k-bit codes in one cycle (`InputLevels`: amplitude or pulse width). Every (cycle, column) count is
converted by the column ADC before the shift-and-add: the per-cycle, per-slice rounding is the hardware's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imc.errors import MappingError
from imc.arrays._kernels_resistive import bit_planes
from imc.mapping.encodings import CountDecoding
from imc.registry import Registry

WEIGHT_ENCODINGS = Registry("signed-weight encoding")


@dataclass(frozen=True, eq=False)
class ColumnGroup:
    """Columns of a tile converted and decoded together: ``columns`` of the tile's bit lines, their
    counts decoded by ``decoding`` (whose reference column, when it has one, is the group's last)."""

    columns: slice
    decoding: CountDecoding


@dataclass(frozen=True)
class AffineCodes:
    """w = a u + b with unsigned codes u < 2^bits."""

    a: int
    b: int
    bits: int

    @classmethod
    def of(cls, weights: np.ndarray, name: str) -> "AffineCodes":
        """The affine code of a layer's weights: b the smallest weight, a the gcd of the steps."""
        values = np.unique(np.asarray(weights, dtype=np.int64))
        b = int(values[0])
        a = int(np.gcd.reduce(values - b)) if values.size > 1 else 1
        bits = max(1, math.ceil(math.log2(int((values[-1] - b) // a) + 1)))
        if bits > 16:
            raise MappingError(f"layer {name!r}: weights need {bits}-bit codes; at most 16 bits can be sliced")
        return cls(a, b, bits)

    def codes(self, weights: np.ndarray) -> np.ndarray:
        return (np.asarray(weights, dtype=np.int64) - self.b) // self.a


def pair_difference(values: np.ndarray, paired: bool) -> np.ndarray:
    """Per-bit-line values (..., columns) -> those the converters see: when ``paired``, each adjacent
    pair's positive (even) less its negative (odd) column (`BalancedWeights`), else unchanged."""
    return values[..., 0::2] - values[..., 1::2] if paired else values


def slices(bits: int, cell_bits: int) -> list[tuple[int, int]]:
    """(shift, width) of each c-bit slice of a ``bits``-bit code, least significant first."""
    return [(shift, min(cell_bits, bits - shift)) for shift in range(0, bits, cell_bits)]


def slice_codes(codes: np.ndarray, shift: int, width: int) -> np.ndarray:
    """The slice of unsigned ``codes`` holding bits [shift, shift + width)."""
    return (codes >> shift) & ((1 << width) - 1)


class WeightEncoding:
    """How a signed multi-bit weight block becomes column groups of cell levels. Subclasses give
    ``for_layer(weights, name, cell_bits)`` and ``_columns(w)``: each column group's decoding gain
    and cell levels for a weight block, in a fixed order."""

    key: str
    reference_columns: int
    paired = False  # whether adjacent column pairs are subtracted before conversion (`BalancedWeights`)

    def __init__(self, layer_codes: AffineCodes, magnitude_bits: int, cell_bits: int):
        self.layer_codes, self.cell_bits = layer_codes, cell_bits
        self.slices = slices(magnitude_bits, cell_bits)

    @property
    def columns_per_output(self) -> int:
        return len(self._columns(np.zeros((1, 1), dtype=np.int64)))

    def full_scale_count(self, n_inputs: int) -> int:
        """Largest count a column reaches in one cycle: every input at a top-level cell."""
        return n_inputs * ((1 << self.cell_bits) - 1)

    def place(self, w: np.ndarray) -> tuple[np.ndarray, list[ColumnGroup]]:
        """(n, m) weights -> cell levels (n, columns) and the column groups that decode them."""
        n, m = w.shape
        states, groups = [], []
        for index, (gain, levels) in enumerate(self._columns(np.asarray(w, dtype=np.int64))):
            states.append(levels)
            groups.append(ColumnGroup(slice(index * m, (index + 1) * m), CountDecoding(gain, np.zeros(m, np.int32))))
        if self.reference_columns:
            states.append(np.ones((n, 1), dtype=np.int64))
            last = groups[-1]
            groups[-1] = ColumnGroup(slice(last.columns.start, last.columns.stop + 1),
                                     CountDecoding(last.decoding.gain, last.decoding.column_offset,
                                                   reference_gain=self.layer_codes.b))
        return np.concatenate(states, axis=1).astype(np.uint8), groups

    def _sliced(self, gain: int, values: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Unsigned ``values`` over the slices, each column group worth gain 2^shift per count."""
        return [(gain * (1 << shift), slice_codes(values, shift, width)) for shift, width in self.slices]


@WEIGHT_ENCODINGS.register("offset")
class OffsetWeights(WeightEncoding):
    """Codes u = (w - b) / a on the cells and one reference column (see the module docstring); none for
    weights that are their own codes (b = 0: unsigned weights, such as the masks of a TTQ layer)."""

    @classmethod
    def for_layer(cls, weights, name, cell_bits):
        codes = AffineCodes.of(weights, name)
        return cls(codes, codes.bits, cell_bits)

    @property
    def reference_columns(self) -> int:
        return int(self.layer_codes.b != 0)

    def _columns(self, w):
        return self._sliced(self.layer_codes.a, self.layer_codes.codes(w))


@WEIGHT_ENCODINGS.register("differential")
class DifferentialWeights(WeightEncoding):
    """Positive and negative parts |w| on two column sets (see the module docstring)."""

    reference_columns = 0

    @classmethod
    def for_layer(cls, weights, name, cell_bits):
        bits = max(1, int(np.abs(np.asarray(weights, dtype=np.int64)).max()).bit_length())
        return cls(AffineCodes(1, 0, bits), bits, cell_bits)

    def _columns(self, w):
        return self._sliced(1, np.maximum(w, 0)) + self._sliced(-1, np.maximum(-w, 0))


@WEIGHT_ENCODINGS.register("balanced")
class BalancedWeights(DifferentialWeights):
    """`DifferentialWeights`' parts on adjacent columns, 2k the positive and 2k + 1 the negative one of
    converted column k, subtracted before conversion (see the module docstring): each slice's converted
    columns one group worth 2^shift per count of the difference."""

    paired = True

    def place(self, w: np.ndarray) -> tuple[np.ndarray, list[ColumnGroup]]:
        """(n, m) weights -> cell levels (n, 2 x slices x m), pairs interleaved, and one column group
        per slice over the converted columns (slices x m)."""
        w = np.asarray(w, dtype=np.int64)
        n, m = w.shape
        parts = zip(self._sliced(1, np.maximum(w, 0)), self._sliced(1, np.maximum(-w, 0)))
        states, groups = [], []
        for index, ((gain, positive), (_, negative)) in enumerate(parts):
            states.append(np.stack([positive, negative], axis=-1).reshape(n, 2 * m))
            groups.append(ColumnGroup(slice(index * m, (index + 1) * m), CountDecoding(gain, np.zeros(m, np.int32))))
        return np.concatenate(states, axis=1).astype(np.uint8), groups


@WEIGHT_ENCODINGS.register("twos_complement")
class TwosComplementWeights(WeightEncoding):
    """k-bit two's complement: the k - 1 low bits sliced with significance 2^shift, the sign bit on a
    column group of its own worth -2^(k-1), w = -2^(k-1) s + sum_i 2^i b_i (the negative-weighted
    top bit of two's-complement bit slicing; no reference column)."""

    reference_columns = 0

    @classmethod
    def for_layer(cls, weights, name, cell_bits):
        w = np.asarray(weights, dtype=np.int64)
        bits = max(int(w.max()).bit_length(), int(-w.min() - 1).bit_length() if w.min() < 0 else 0) + 1
        if bits > 16:
            raise MappingError(f"layer {name!r}: weights need {bits}-bit two's complement; at most 16 bits can be sliced")
        return cls(AffineCodes(1, 0, bits), bits - 1, cell_bits)

    def _columns(self, w):
        bits = self.layer_codes.bits
        codes = w & ((1 << bits) - 1)
        magnitude = self._sliced(1, codes & ((1 << (bits - 1)) - 1)) if bits > 1 else []
        return magnitude + [(-(1 << (bits - 1)), codes >> (bits - 1))]


INPUT_SCHEMES = ("bit_serial", "amplitude", "pulse_width")  # how multi-bit inputs reach the word lines


class InputPlanes:
    """A layer's input codes as binary word-line planes with their significances (module docstring):
    the ``bit_serial`` scheme, one array cycle per plane, every drive 0 or 1 (``steps`` = 1). Signed
    k-bit codes (``signed``) are read in two's complement, the top plane worth -2^(k-1) after
    conversion, as two's-complement weights are.

    ``rows_per_input`` = 1 and ``fold`` the identity: the drives are the planes themselves.
    """

    rows_per_input = 1
    scheme = "bit_serial"

    def __init__(self, input_bits: int, signed: bool = False):
        self.input_bits, self.signed = input_bits, signed

    @property
    def steps(self) -> int:
        """Largest drive of one input in one cycle, in unit drives (a raised word line at V_read)."""
        return 1

    @property
    def cycles(self) -> int:
        """Array cycles per input vector: the planes."""
        return 2 if self.input_bits == 1 else self.input_bits

    def drives(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """(batch, n) codes -> every array cycle's float32 drive stacked (cycles * batch, n), and each
        cycle's significance."""
        codes = np.asarray(x)
        if self.input_bits == 1:
            return np.concatenate([codes > 0, codes < 0]).astype(np.float32), (1, -1)
        stacked = np.empty((self.input_bits * codes.shape[0], codes.shape[1]), dtype=np.float32)
        bit_planes(np.ascontiguousarray(codes), self.input_bits, stacked)  # two's-complement bits of signed codes
        top = self.input_bits - 1
        return stacked, tuple(-(1 << bit) if self.signed and bit == top else 1 << bit for bit in range(self.input_bits))

    def word_lines(self, x: np.ndarray) -> np.ndarray:
        """All cycles' drives stacked (cycles * batch, n), for costs and calibration counts."""
        return self.drives(x)[0]

    def fold(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return cells, np.zeros((*cells.shape[:-2], cells.shape[-1]), dtype=cells.dtype)


class InputLevels(InputPlanes):
    """Unsigned k-bit input codes applied in one array cycle (k > 1): code c drives its word line
    with c unit steps -- ``amplitude``, a word-line DAC level c / (2^K - 1) of the read voltage (K the
    DAC's bits: IMAC, Ali et al., IEEE TCAS-I 67(8), 2020; ISAAC's DAC option, Shafiee et al., ISCA
    2016, Sec. III), or ``pulse_width``, c unit read pulses (PRIME: Chi et al., ISCA 2016, Sec. 4) --
    so one conversion sees sum_i c_i w_i and a column's full scale grows by 2^k - 1. Signed codes
    take two cycles, their positive and negative parts (|c| <= 2^(k-1) steps), subtracted after
    conversion."""

    def __init__(self, input_bits: int, scheme: str, signed: bool = False):
        super().__init__(input_bits, signed)
        self.scheme = scheme

    @property
    def steps(self) -> int:
        return 1 << (self.input_bits - 1) if self.signed else (1 << self.input_bits) - 1

    @property
    def cycles(self) -> int:
        return 2 if self.signed else 1

    def drives(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        codes = np.asarray(x, dtype=np.float32)
        if self.signed:
            return np.concatenate([np.maximum(codes, 0), np.maximum(-codes, 0)]), (1, -1)
        return codes, (1,)
