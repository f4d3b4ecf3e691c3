"""The array protocol: what every array kind offers the mapper and the engines.

An array kind is a frozen dataclass of its parameters (SI units in the names) that subclasses
`Array` and registers in `ARRAYS`. The system layer talks to it only through this protocol:

* `Array.geometry` -> `ArrayGeometry`: what the mapper may use (word lines with read ports
  counted, bit lines, states per cell, input schemes, sensing circuits, sign encodings);
* `Array.program(tiles, rng, variation)`: one chip's arrays holding a plan's tiles. Static
  randomness -- the silicon's variation and faults and the programming's own errors -- is
  drawn here, once per chip, in tile order from the chip's generator;
* `Array.age(states, elapsed_s, rng)`: the same chip ``elapsed_s`` after programming (drift,
  retention, thermal loss); arrays without time effects return the states unchanged;
* `Array.accumulate(state, x, out, rng, drives)`: one tile's decoded partial sums for a batch of
  input codes, added into the layer's integer pre-activations; ``rng`` draws the dynamic read
  noise of every read (None: noiseless reads); ``drives``: the tile encoding's stacked drives of x
  and their cycles' significances when the caller has them (`Array.input_planes`: tiles reading
  the same inputs share them);
* `Array.reads_draw_noise(states)`: whether those reads use that ``rng`` at all (True by default);
* `Array.op_cost(tile, x)` -> `OpCost`: the mean cost of one tile operation over inputs x;
  `Array.area_m2`: one array with its periphery.

Each array also carries the digital periphery beside it (``digital``: `DigitalCosts`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from imc.arrays import _kernels_levels
from imc.arrays.converters import ColumnConversion, ColumnGroups
from imc.devices._kernels_random import add_block_noise, fill_normal_blocks
from imc.errors import int_in_range, non_negative, plausible, require
from imc.registry import Registry

ARRAYS = Registry("array kind")
LEVEL_BASIS_TOLERANCE = 1e-4  # a level-decomposed column sum's largest error (counts), below float32's at 2^11 counts
LEVEL_BASIS_SAMPLE = 1024  # cells whose responses choose a level basis (every cell when fewer)


@dataclass(frozen=True)
class OpCost:
    """Energy (J) by component and latency (s) of one operation, the action record every array,
    the closed-form estimate and the chip engine share.

    ``a + b``: the two one after the other (energies add by component, latencies add);
    ``k * a``: k of them one after the other; ``a.alongside(b)``: the two at once (energies add,
    the latency is the longer one).
    """

    energy_j: dict[str, float]
    latency_s: float

    def __post_init__(self) -> None:
        non_negative("latency_s", self.latency_s)
        for component, joules in self.energy_j.items():
            non_negative(f"energy_j[{component!r}]", joules)

    @property
    def total_energy_j(self) -> float:
        return float(sum(self.energy_j.values()))

    def _energies(self, other: "OpCost") -> dict[str, float]:
        return {key: self.energy_j.get(key, 0.0) + other.energy_j.get(key, 0.0)
                for key in dict.fromkeys([*self.energy_j, *other.energy_j])}

    def __add__(self, other: "OpCost") -> "OpCost":
        return OpCost(self._energies(other), self.latency_s + other.latency_s)

    def __mul__(self, times: float) -> "OpCost":
        non_negative("times", times)
        return OpCost({key: joules * times for key, joules in self.energy_j.items()}, self.latency_s * times)

    __rmul__ = __mul__

    def alongside(self, other: "OpCost") -> "OpCost":
        return OpCost(self._energies(other), max(self.latency_s, other.latency_s))


@dataclass(frozen=True)
class ArrayGeometry:
    """What the mapper may use of one array.

    ``word_lines``: input rows it can drive, read ports counted (a two-port XNOR cell, or a DRAM
    bit line computing XNOR, counts as the two complementary rows of the ``xnor`` encoding);
    ``bit_lines``: columns for outputs and the encodings' reference columns; ``cell_levels``:
    states one cell holds (2: one bit); ``input_schemes``: how multi-bit inputs may reach the word
    lines (`imc.mapping.slicing.INPUT_SCHEMES`: "bit_serial" with binary drivers, "amplitude" with a
    word-line DAC, "pulse_width" with a pulse generator); ``input_bits``: the most bits one drive of
    the DAC or pulse generator takes (1 without one); ``sensing``: the column read-out circuits present
    ("adc", "sense_amp" latches, "popcount" logic); ``encodings``: the sign encodings its cells
    support for binary layers (`imc.mapping.ENCODINGS` keys); ``weight_encodings``: how signed
    multi-bit weights may be sliced onto them (`imc.mapping.slicing.WEIGHT_ENCODINGS` keys; none
    for cells that compute XNOR with both their ports).
    """

    word_lines: int
    bit_lines: int
    cell_levels: int
    input_schemes: tuple[str, ...]
    sensing: tuple[str, ...]
    encodings: tuple[str, ...]
    weight_encodings: tuple[str, ...] = ()
    input_bits: int = 1

    def __post_init__(self) -> None:
        int_in_range("word_lines", self.word_lines, 1)
        int_in_range("input_bits", self.input_bits, 1, 16)
        int_in_range("bit_lines", self.bit_lines, 1)
        int_in_range("cell_levels", self.cell_levels, 2)

    @property
    def cell_bits(self) -> int:
        """Whole bits one cell holds: floor(log2(cell_levels))."""
        return int(math.floor(math.log2(self.cell_levels)))


@dataclass(frozen=True)
class Conditions:
    """Operating conditions of a simulated chip: time since programming and which dynamic and
    fault effects are on (with ``variation`` off every chip is nominal and these are moot).

    * ``time_s``: seconds since the weights were programmed: RRAM conductance drift, skyrmion
      thermal annihilation, DRAM charge leakage (since the last refresh, see
      `imc.arrays.DRAMBitwiseArray.refresh_interval_s`); 0: just programmed.
    * ``read_noise``: dynamic noise drawn afresh for every read, on for the devices that have it
      (RRAM cycle-to-cycle conductance noise, MTJ shot noise of skyrmion reads, DRAM kT/C sense
      noise; SRAM reads have none in this model).
    * ``faults``: the devices' stuck-at and write faults (their ``fault_fields``); False zeroes them.
    * ``ir_drop``: wire resistance of resistive crossbars through the fast superposition solver
      (`imc.arrays.ir_drop.transfer_matrix`: one linear solve of the crossbar network per tile and
      chip, ~35 ms for 128 x 128 here; refused by arrays without wires).
    """

    time_s: float = 0.0
    read_noise: bool = True
    faults: bool = True
    ir_drop: bool = False

    def __post_init__(self) -> None:
        plausible(self)
        non_negative("time_s", self.time_s)
        for name in ("read_noise", "faults", "ir_drop"):
            require(name, getattr(self, name), isinstance(getattr(self, name), bool), "must be true or false")


@dataclass(frozen=True, eq=False)
class ReadOperands:
    """One read of a tile (`imc.mapping.Tile.reads`), ready for the engine's hot loop: the tile's
    ``inputs`` whose word lines it raises; its folded cells ``weights`` (n, c) float32 and ``base``
    (1, c) over all of the tile's columns, so that a drive's column signals are drive @ weights + base,
    one GEMM for every column group (weight slices, differential parts); its ADCs' ``conversion``;
    ``groups`` (`ColumnGroups`), which decode the counts; ``full_scale_counts``: the ADC range of each
    column in counts (c,); and, for arrays with read noise, ``variance`` (n, c) and ``variance_base``
    (c,) folded the same way.
    ``levels`` > 0: the cells are level-decomposed (a cell whose response is not proportional to its
    drive, e.g. at word-line amplitudes: ARCHITECTURE.md's level decomposition), their responses at
    drive levels 1..levels held as k drive functions of the level, ``level_table`` (levels + 1, k), times
    per-cell coefficients, ``weights`` (k * n, c) (`level_basis`; ``variance_level_table`` and
    ``variance`` the same for the variances). ``linear``: every count of its cycles reaches the decoding
    unchanged (`tile_operands`), so that noiseless reads of its cycles are one integer product
    (`linear_partial_sums`)."""

    inputs: slice
    weights: np.ndarray
    base: np.ndarray
    conversion: ColumnConversion
    groups: ColumnGroups
    full_scale_counts: np.ndarray
    variance: np.ndarray | None = None
    variance_base: np.ndarray | None = None
    levels: int = 0
    linear: bool = False
    level_table: np.ndarray | None = None
    variance_level_table: np.ndarray | None = None

    def column_sums(self, plane: np.ndarray) -> np.ndarray:
        """Column signals (batch, c) float32 of one cycle's drives ``plane`` (batch, tile inputs), less
        ``base``: one GEMM of the read's inputs with the folded cells (level-decomposed: of their drive
        functions with the coefficients)."""
        return self._sums(plane, self.weights, self.level_table)

    def noise_power(self, plane: np.ndarray, squared: bool) -> np.ndarray:
        """Summed cell variances (batch, c) of one cycle's drives, less ``variance_base``: each cell's
        variance times its drive (``squared``: its drive squared, a fluctuation held for the read);
        level-decomposed, each cell's variance at its drive level."""
        if self.levels or not squared:
            return self._sums(plane, self.variance, self.variance_level_table)
        drive = plane[:, self.inputs]
        return (drive * drive) @ self.variance

    def _sums(self, plane: np.ndarray, operand: np.ndarray, table: np.ndarray | None) -> np.ndarray:
        if table is None:
            return plane[:, self.inputs] @ operand
        start, stop, _ = self.inputs.indices(plane.shape[1])
        drives = np.empty((plane.shape[0], table.shape[1] * (stop - start)), dtype=np.float32)
        bad = _kernels_levels.level_drives(plane, start, stop, table, drives)
        require("plane", f"{bad} drives outside 0..{self.levels}", bad == 0,
                "level-decomposed drives must be whole levels 0..levels")
        return drives @ operand

    def standard_normal(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        """(batch, c) float32 N(0, 1) draws of one read, one block per column group from its own key, the
        groups' keys drawn from ``rng`` in group order (what a read of each group on its own would draw):
        counter-based ziggurat normals (`imc.devices._kernels_random`, ~2.8 ns a draw against ~8 ns for
        NumPy's float32 ones here)."""
        return fill_normal_blocks(self._noise_keys(rng), self.groups.starts, self.groups.stops,
                                  np.empty((batch, self.groups.columns), dtype=np.float32))

    def add_noise(self, rng: np.random.Generator, signal: np.ndarray, power: np.ndarray) -> None:
        """signal += sqrt(max(power + variance_base, 0)) times the `standard_normal` draws of ``rng``, in one
        pass (`imc.devices._kernels_random.add_block_noise`): a read's Gaussian noise of summed variance
        ``power`` (batch, c) float32 plus ``variance_base``, into the column signals (batch, c) float32."""
        add_block_noise(self._noise_keys(rng), self.groups.starts, self.groups.stops, np.ascontiguousarray(power),
                        np.asarray(self.variance_base, dtype=np.float32), signal)

    def _noise_keys(self, rng: np.random.Generator) -> np.ndarray:
        """One key per column group, drawn from ``rng`` in group order."""
        return rng.integers(0, 2 ** 64, size=self.groups.starts.size, dtype=np.uint64)


def cycle_planes(drives: np.ndarray, significances: tuple[int, ...]) -> list[tuple[np.ndarray, int]]:
    """Stacked drives (cycles * batch, n) -> [(drive of one cycle (batch, n), its significance)] (views)."""
    batch = drives.shape[0] // len(significances)
    return [(drives[p * batch:(p + 1) * batch], significance) for p, significance in enumerate(significances)]


def tile_operands(tile, cells: np.ndarray, conversion: ColumnConversion,
                  variance: np.ndarray | None = None,
                  linear_readout: tuple[float, int] | None = None) -> tuple[ReadOperands, ...]:
    """A programmed tile's operands: its cell signals (logical rows, cols) -- or (levels, logical
    rows, cols), level-decomposed (`ReadOperands.levels`) -- and, with read noise, their variances,
    folded by the tile's encoding over the rows of each read; its column groups (contiguous, in column
    order) decoded by one `ColumnGroups` (`Tile.column_groups`). ``linear_readout``: (what one count is
    worth at the converters' input, their largest code) when the array's read-out before them is linear
    (None: it is not), for `ReadOperands.linear`."""
    levels = cells.shape[0] if cells.ndim == 3 else 0
    require("cells", cells.shape, cells.shape[-1] == tile.converted_columns,
            f"must hold the tile's {tile.converted_columns} converted columns")
    groups = tile.column_groups

    def folded(values, rows):
        if values is None:
            return None, None, None
        folded_values, base = tile.encoding.fold(values[..., rows, :])
        if levels:  # drive functions' coefficients stacked; sliced tiles fold without a base
            table, coefficients = level_basis(folded_values)
            return coefficients.reshape(-1, coefficients.shape[-1]), base[0], table
        return folded_values, base, None

    reads = []
    for read in tile.reads:
        rows = tile.read_rows(read)
        weights, base, table = folded(cells, rows)
        folded_variance, variance_base, variance_table = folded(variance, rows)
        operands = ReadOperands(read, np.ascontiguousarray(weights, dtype=np.float32),
                                np.asarray(base, dtype=np.float64)[None, :], conversion, groups,
                                np.asarray(tile.adc_full_scales), folded_variance, variance_base, levels,
                                level_table=table, variance_level_table=variance_table)
        linear = (linear_readout is not None and tile.sliced and not levels
                  and _counts_pass_unchanged(operands, tile.encoding.steps, *linear_readout))
        reads.append(replace(operands, linear=linear) if linear else operands)
    return tuple(reads)


def level_basis(responses: np.ndarray, tolerance: float = LEVEL_BASIS_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """Cells' responses at drive levels 1..L, (L, n, c), as k <= L functions of the level times per-cell
    coefficients: responses[l - 1] ~= sum_q table[l, q] coefficients[q], with ``table`` (L + 1, k) float32
    (row 0, level 0, all zero) and ``coefficients`` (k, n, c) float32, with k such that every column j's
    sum errs by at most sum_i max_l |residual[l, i, j]| over any drive, within ``tolerance`` (the responses'
    unit) or float32's resolution of that column's largest sum, whichever is larger; k = L (the level
    indicators, exact) when no smaller k does.

    The functions are the leading left singular vectors of the (L, cells) responses -- the best rank-k
    fit in the least-squares sense (Eckart & Young, Psychometrika 1(3), 1936) -- taken from at most
    `LEVEL_BASIS_SAMPLE` cells at a fixed stride (through a QR factorisation: Golub & Van Loan, *Matrix
    Computations*, 4th ed., 2013, sec. 8.6.3) and fitted to every cell by projection, so a read of
    any drive is one GEMM with k * n rows instead of L * n. The search starts at the first k whose
    left-out singular values of the sample fall within the tolerance and adds one function at a time
    until every column is within it (a rank-one update of the residual each). A smooth device curve
    needs few: the 1T1R RRAM's sinh I-V at 15 amplitude codes, 2.
    """
    count, shape = responses.shape[0], responses.shape
    flat = responses.reshape(count, -1).astype(np.float64)
    magnitude = np.abs(flat).reshape(shape).max(axis=0).sum(axis=0)  # each column's largest sum
    allowed = np.maximum(tolerance, np.finfo(np.float32).eps * magnitude)
    stride = max(1, flat.shape[1] // LEVEL_BASIS_SAMPLE)
    triangle = np.linalg.qr(flat[:, ::stride].T, mode="r")  # sample = triangle.T Q.T: the same left singular vectors
    singular_vectors, singular_values, _ = np.linalg.svd(triangle.T)
    left_out = np.sqrt(np.cumsum(singular_values[::-1] ** 2)[::-1])  # [q]: the sample's residual after q functions
    fitting = np.flatnonzero(left_out[1:] <= allowed.min())
    k = 1 + int(fitting[0]) if fitting.size else len(left_out)
    if k < count:
        residual = flat - singular_vectors[:, :k] @ (singular_vectors[:, :k].T @ flat)
        while k < count and np.any(np.abs(residual).reshape(shape).max(axis=0).sum(axis=0) > allowed):
            vector = singular_vectors[:, k]
            residual -= np.outer(vector, vector @ flat)
            k += 1
    if k >= count:
        table, coefficients = np.eye(count), flat
    else:
        table = singular_vectors[:, :k]
        coefficients = table.T @ flat
    table = np.concatenate([np.zeros((1, table.shape[1])), table]).astype(np.float32)
    return table, coefficients.reshape(-1, *shape[1:]).astype(np.float32)


def _counts_pass_unchanged(read: ReadOperands, steps: int, unit: float, top: int) -> bool:
    """Whether every count a read's columns can see in one cycle reaches its decoding as the whole
    count of its cells' rounded levels: non-negative cells without a base, each column's largest
    count (every row at its top drive) within its converter's range, converters without offset,
    gain error or threshold table and with at least as many codes as counts, and cells so close to
    whole levels that no column's deviation (at most ``steps`` x the sum of its cells' distances to
    their levels) can move a rounding: below 1/2 (1 - full scale / (2^bits - 1)), or 1/2 where the
    two are equal (code = count). Then the shift-and-add of a tile's cycles is one integer product
    (ARCHITECTURE.md, performance design)."""
    weights, conversion, full_scales = read.weights, read.conversion, read.full_scale_counts
    if not (weights.min(initial=0) >= 0 and not read.base.any() and not read.groups.column_offset.any()
            and conversion.thresholds_lsb.shape[-1] == 0 and not conversion.offset_lsb.any()
            and np.all(full_scales <= top) and np.allclose(conversion.inv_lsb * unit, top / full_scales, rtol=1e-9)):
        return False
    levels = np.rint(weights)
    deviation = steps * np.abs(weights - levels).sum(axis=0)
    margin = np.where(full_scales == top, 0.5, 0.5 * (1 - full_scales / top))
    return bool(np.all(steps * levels.sum(axis=0) <= full_scales) and np.all(deviation < margin))


def linear_partial_sums(state_reads: tuple[ReadOperands, ...], tile, x: np.ndarray, out: np.ndarray) -> None:
    """A tile's decoded partial sums when all its reads are `ReadOperands.linear`: the shift-and-add
    of its cycles' whole counts is the integer product of its input codes with the cells' levels,
    one GEMM per read, decoded and added to out[:, tile.outputs]: float32 when no partial sum can reach
    2^24 (max |code| x the largest column sum of levels), where float32 is exact, else float64 (exact
    below 2^53)."""
    start = tile.outputs.start
    for read in state_reads:
        codes, levels = x[:, read.inputs], np.rint(read.weights)
        bound = float(np.abs(codes).max(initial=0)) * float(levels.sum(axis=0).max(initial=0))
        dtype = np.float32 if bound < 2 ** 24 else np.float64
        z = read.groups.apply(np.rint(codes.astype(dtype) @ levels.astype(dtype)))
        out[:, start:start + z.shape[1]] += z.astype(np.int32)


class Array(ABC):
    """One array kind (see the module docstring). Subclasses are frozen dataclasses with at least
    ``rows``, ``cols``, ``device`` and ``digital`` fields."""

    key: ClassVar[str]
    cell_kinds: ClassVar[tuple[str, ...]]  # `imc.devices.DEVICES` keys of the cells it can hold
    has_wires: ClassVar[bool] = False      # whether it models IR drop (`Conditions.ir_drop`)

    @abstractmethod
    def geometry(self) -> ArrayGeometry:
        """What the mapper may use of this array."""

    @abstractmethod
    def program(self, tiles: list, rng: np.random.Generator, variation: bool = True) -> list:
        """One chip's arrays holding ``tiles`` (`imc.mapping.Tile`): one state per tile, static
        randomness drawn from ``rng`` in tile order (without ``variation``: the nominal cells)."""

    def age(self, states: list, elapsed_s: float, rng: np.random.Generator) -> list:
        """The chip ``elapsed_s`` seconds after programming; no time effects by default."""
        non_negative("elapsed_s", elapsed_s)
        return states

    input_planes: ClassVar[bool] = True  # accumulate reads x through its tile encoding's drives

    @abstractmethod
    def accumulate(self, state, x: np.ndarray, out: np.ndarray, rng: np.random.Generator | None = None,
                   drives: tuple | None = None) -> None:
        """Add one tile's decoded partial sums for input codes ``x`` (batch, tile inputs) into
        ``out[:, tile.outputs]`` (out: C-contiguous int32 (batch, layer outputs)); ``rng``: read noise;
        ``drives``: ``tile.encoding.drives(x)`` if the caller has them (None: computed here). Every array
        cycle's column signals of the batch may be held at once (cycles x batch x columns float32): callers
        bound the batch (the engine's input blocks, `imc.engine.BLOCK_BYTES`)."""

    def reads_draw_noise(self, states: list) -> bool:
        """Whether reading one chip's programmed ``states`` draws dynamic read noise from the ``rng`` of
        `accumulate` (if not, the engine gives the chip no read stream and may share its inputs among
        threads); True unless the kind knows better."""
        return True

    @abstractmethod
    def op_cost(self, tile, x: np.ndarray) -> OpCost:
        """Mean energy by component and latency of one operation of ``tile`` over its inputs x (batch, n)."""

    @abstractmethod
    def area_m2(self) -> float:
        """Area of one array with its periphery (m^2)."""

    @abstractmethod
    def design_summary(self) -> str:
        """One line on the operating point and read-out, for reports (e.g. "V_WL 0.70 V, 8-bit column ADCs")."""

    def leakage_power_w(self) -> float:
        """Standby power (W) of one array's cells; 0 for cells without a leakage model (non-volatile
        resistive cells hold their state unpowered; DRAM refresh is not modelled)."""
        return 0.0

    def reliability(self) -> dict[str, float]:
        """Figures of the cells' reliability at this operating point, by a readable name (none by default)."""
        return {}

    def under(self, conditions: Conditions):
        """This array as the conditions have it: device faults removed when ``faults`` is off, the
        device's read-noise scales when ``read_noise`` is off (the engines then draw no read noise,
        and programming folds no variances for it); subclasses with wires switch IR drop."""
        require("conditions.ir_drop", conditions.ir_drop, not conditions.ir_drop or self.has_wires,
                f"the {self.key!r} array has no wire-resistance model; allowed: false "
                f"(IR drop is modelled for: {sorted(k for k, a in ARRAYS.items() if a.has_wires)})")
        device = self.device if conditions.faults else self.device.without_faults()
        device = device if conditions.read_noise else device.without_read_noise()
        return self if device == self.device else replace(self, device=device)
