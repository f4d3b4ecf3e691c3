"""A DRAM subarray computing binary (XNOR-popcount) dot products with Ambit bulk bitwise operations.

Binarized networks replace a dot product of +-1 vectors by XNOR and popcount: with bits
b = (v + 1) / 2, z = sum_i w_i x_i = 2 * popcount(XNOR(b_w, b_x)) - n. Processing-in-DRAM BNN
accelerators compute the XNOR of whole DRAM rows with bulk bitwise operations inside the subarray
and count in logic beside the array: NID (Sim, Seol & Kim, "NID: Processing binary convolutional
neural network in commodity DRAM", ICCAD 2018) runs the bitwise part with Ambit's AND/OR/NOT
(Seshadri et al., MICRO 2017), splits long kernels into parts and accumulates the partial sums in
the DRAM periphery; XNOR-POP (Jiang, Kim, Wen & Wang, ISLPED 2017) adds XNOR and popcount logic
to Wide-IO2 DRAM, and DRISA (Li et al., MICRO 2017) runs binary-weight CNNs on bit-line logic.

This module maps a binary layer W (n_out, n) onto subarrays of `imc.devices.dram.DRAM1T1C` and
runs it through the device's own Ambit XNOR command sequence and error model:

* a weight vector is split into ``segments`` = ceil(n / cols) row segments of ``segment_bits`` =
  min(n, cols) columns (the last one holds the remaining n - (segments - 1) * segment_bits bits);
  a vector no wider than a row is packed ``slots_per_row`` = floor(cols / n) times side by side
  (`BinaryLayout`, with the fraction of cells used, ``row_utilisation`` and ``cell_utilisation``);
* the input vector is written into ``segments`` input rows of every subarray (segment j into input
  row j, repeated in every slot of the row), ``rows - segments`` rows of a subarray hold weights;
* per input, every weight row is XNORed with its input row (one Ambit XNOR: 6 AAP + 2 AP), the
  result row is read out through the column I/O into a popcount unit that counts each slot's
  valid bits and adds the partial counts of a vector's segments; z = 2 * matches - n.

`DRAMBitwiseArray.simulate_dot` runs exactly that, every XNOR through the device model (with
kT/C sense noise when given an rng). Without sense noise a bit line's XNOR is a fixed function of
its two stored bits on a given chip, so `DRAMBitwiseArray.dot` asks the device once per chip for
each weight row's result against input bit 0 and 1 and turns the batch into GEMMs (the
functional path of ARCHITECTURE.md); tests hold the two to the same integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from imc.arrays.base import ARRAYS, Array, ArrayGeometry, OpCost
from imc.arrays.periphery import DigitalCosts
from imc.devices.dram import DESIGNATED_ROWS, DRAM1T1C, PROGRAMS, DRAMInstance
from imc.errors import ParameterError, int_in_range, non_negative, plausible, positive, require

CHUNK_BIT_LINES = 1 << 19
"""Bit lines (input x weight-row pairs x cols) per call of the device model: bounds its temporaries
(about 30 float64 arrays of this size) to ~130 MB."""


@dataclass(frozen=True)
class BinaryLayout:
    """Where an (n_out, n) binary layer sits in DRAM subarrays of ``rows`` x ``cols`` data cells.

    A weight vector uses ``segments`` row segments of at most ``segment_bits`` columns;
    ``slots_per_row`` segments share a row; ``weight_rows`` rows hold all n_out vectors, spread
    over ``subarrays`` subarrays with up to ``rows_per_subarray`` weight rows plus ``segments``
    input rows each.
    """

    n: int
    n_out: int
    rows: int
    cols: int

    @property
    def segments(self) -> int:
        return -(-self.n // self.cols)

    @property
    def segment_bits(self) -> int:
        return min(self.n, self.cols)

    @property
    def slots_per_row(self) -> int:
        return self.cols // self.segment_bits

    @property
    def weight_rows(self) -> int:
        return -(-self.n_out * self.segments // self.slots_per_row)

    @property
    def rows_per_subarray(self) -> int:
        return min(self.weight_rows, self.rows - self.segments)

    @property
    def subarrays(self) -> int:
        return -(-self.weight_rows // self.rows_per_subarray)

    @property
    def row_utilisation(self) -> float:
        """Fraction of the weight rows' cells that hold weights."""
        return self.n * self.n_out / (self.weight_rows * self.cols)

    @property
    def cell_utilisation(self) -> float:
        """Fraction of the used subarrays' data cells (``rows`` per subarray) that hold weights."""
        return self.n * self.n_out / (self.subarrays * self.rows * self.cols)

    def segment_lengths(self) -> np.ndarray:
        """Valid bits of each segment (segments,): segment_bits, the last one the remainder."""
        lengths = np.full(self.segments, self.segment_bits)
        lengths[-1] = self.n - (self.segments - 1) * self.segment_bits
        return lengths

    def slot_mask(self) -> np.ndarray:
        """Which bits of each slot of the weight rows hold data, bool (weight_rows * slots_per_row,
        segment_bits); slot k = row * slots_per_row + position holds segment k % segments of
        vector k // segments."""
        slots = self.weight_rows * self.slots_per_row
        used = self.n_out * self.segments
        mask = np.zeros((slots, self.segment_bits), dtype=bool)
        lengths = np.tile(self.segment_lengths(), self.n_out)
        mask[:used] = np.arange(self.segment_bits) < lengths[:, None]
        return mask

    def row_columns(self) -> np.ndarray:
        """Columns of each weight row up to its last valid bit (weight_rows,): what is read out."""
        mask = self.slot_mask().reshape(self.weight_rows, -1)
        return np.where(mask.any(axis=1), mask.shape[1] - np.argmax(mask[:, ::-1], axis=1), 0)

    def input_segment(self) -> np.ndarray:
        """Input row (segment index) each weight row is XNORed with (weight_rows,)."""
        return (np.arange(self.weight_rows) * self.slots_per_row) % self.segments

    def place(self, bits: np.ndarray) -> np.ndarray:
        """Bits (..., n) cut into segments (..., segments, segment_bits), the last one zero padded."""
        padded = np.zeros(bits.shape[:-1] + (self.segments * self.segment_bits,), dtype=np.uint8)
        padded[..., :self.n] = bits
        return padded.reshape(bits.shape[:-1] + (self.segments, self.segment_bits))

    def weight_rows_bits(self, weights_bits: np.ndarray) -> np.ndarray:
        """Bits of the weight rows (weight_rows, cols) for weight bits (n_out, n): slot k of the
        rows (row k // slots_per_row) holds segment k % segments of vector k // segments."""
        slots = np.zeros((self.weight_rows * self.slots_per_row, self.segment_bits), dtype=np.uint8)
        slots[:self.n_out * self.segments] = self.place(weights_bits).reshape(-1, self.segment_bits)
        return self._pad(slots.reshape(self.weight_rows, -1))

    def input_rows_bits(self, input_bits: np.ndarray) -> np.ndarray:
        """Bits of the input rows (..., segments, cols) for input bits (..., n): row j holds
        segment j in every slot."""
        return self._pad(np.tile(self.place(input_bits), self.slots_per_row))

    def _pad(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(rows.shape[:-1] + (self.cols,), dtype=np.uint8)
        out[..., :rows.shape[-1]] = rows
        return out


@dataclass(frozen=True, eq=False)
class DRAMArrayInstance:
    """One chip's subarrays programmed with a binary layer.

    * ``cells``: the device instance (subarrays, rows_per_subarray + segments, cols), weight
      rows first, then the input rows;
    * ``layout``: where the layer sits;
    * ``tables``: uint8 (2, weight_rows, cols), the noiseless XNOR of every weight row with an
      all-0 and an all-1 input row (`DRAMBitwiseArray.match_tables`), derived from ``cells``:
      change the cells through `DRAMBitwiseArray.age`, which recomputes them.
    """

    cells: DRAMInstance
    layout: BinaryLayout
    tables: np.ndarray


@dataclass(frozen=True, eq=False)
class DRAMTileState:
    """One tile on one chip: its weight vectors programmed into a subarray (``instance``)."""

    tile: object
    instance: DRAMArrayInstance


@ARRAYS.register("dram")
@dataclass(frozen=True)
class DRAMBitwiseArray(Array):
    """DRAM subarrays of ``rows`` x ``cols`` 1T1C cells computing binary dot products by Ambit XNOR
    and a popcount unit at each bank's column I/O (layout and schedule: module docstring).

    * ``rows`` = 512 data rows per subarray (Ambit's reserved rows T0-T3, DCC0/1, C0/C1 come on
      top, `imc.devices.dram.DESIGNATED_ROWS`): the 512-cell bit line behind the device's
      ``c_bl_f`` assumption.
    * ``cols`` = 8192 bit lines: a 1 KB row (page) of one x8 DDR3 chip (JEDEC JESD79-3); Ambit
      operates on the whole row.
    * ``burst_bits`` = 64: bits one column access moves, x8 I/O times burst length 8, and
      ``t_ccd_s`` = 5 ns between column accesses, tCCD = 4 clocks of 1.25 ns at DDR3-1600
      (JESD79-3). Reading a result row out takes ceil(bits / burst_bits) accesses.
    * ``banks`` = 8: the banks of a DDR3 chip (JESD79-3). Subarrays are assigned to banks
      round-robin; banks work in parallel, the subarrays of one bank one after the other (one
      open row per bank, no subarray-level parallelism). The tFAW/tRRD limits on activations
      across banks are not modelled.
    * ``digital``: popcount and partial-sum adders, `DigitalCosts.add_energy_per_bit_j` per full adder and one
      adder-tree level per clock (`DigitalCosts`, Horowitz ISSCC 2014).
    * ``refresh_interval_s`` = 64 ms: every row is refreshed within 64 ms (JEDEC JESD79-3, tREFW at
      normal temperature), so a weight cell has leaked for ``time_s`` mod 64 ms when it is read; 0
      turns refresh off (the cells leak for the whole ``time_s``).
    * ``cell_area_m2`` = 6 F^2 at F = 32 nm: the 6F^2 commodity-DRAM cell of CACTI's ``comm_dram``
      model (Thoziyoor et al., ISCA 2008); F = 32 nm is an engineering assumption for a DDR3-1600
      die. `area_m2` counts the data cells only (sense amplifiers, decoders and the popcount unit
      are not modelled).

    As a protocol array (`imc.arrays.base`), a subarray is one tile: its 1-bit cell computes XNOR
    on the bit line, so it counts as the two complementary word lines of the ``xnor`` encoding
    (``geometry().word_lines`` = 2 ``cols``: a vector of up to ``cols`` bits), and holds up to
    ``rows`` - 1 weight vectors beside their input row (more are packed per row when they are
    short: `BinaryLayout`).
    """

    rows: int = 512
    cols: int = 8192
    device: DRAM1T1C = field(default_factory=DRAM1T1C)
    digital: DigitalCosts = field(default_factory=DigitalCosts)
    burst_bits: int = 64
    t_ccd_s: float = 5e-9
    banks: int = 8
    refresh_interval_s: float = 64e-3
    cell_area_m2: float = 6 * 32e-9 ** 2

    cell_kinds = ("dram",)

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("rows", self.rows, 2, 4096)
        int_in_range("cols", self.cols, 1, 65536)
        int_in_range("burst_bits", self.burst_bits, 1)
        int_in_range("banks", self.banks, 1)
        positive("t_ccd_s", self.t_ccd_s)
        non_negative("refresh_interval_s", self.refresh_interval_s)
        positive("cell_area_m2", self.cell_area_m2)
        require("device", self.device, isinstance(self.device, DRAM1T1C), "must be a DRAM1T1C")
        require("digital", self.digital, isinstance(self.digital, DigitalCosts), "must be a DigitalCosts")

    def layout(self, n: int, n_out: int) -> BinaryLayout:
        """Layout of an (n_out, n) layer; ParameterError if a vector needs more than rows - 1 segments."""
        int_in_range("n", n, 1)
        int_in_range("n_out", n_out, 1)
        layout = BinaryLayout(n, n_out, self.rows, self.cols)
        require("n", n, layout.segments < self.rows,
                f"a vector of n bits takes ceil(n / cols) = {layout.segments} input rows; at most "
                f"rows - 1 = {self.rows - 1} fit beside a weight row (n <= {(self.rows - 1) * self.cols})")
        return layout

    # ----------------------------------------------------------------- array protocol

    def geometry(self) -> ArrayGeometry:
        """2 ``cols`` word lines (the bit-line XNOR holds both complementary rows), ``rows`` - 1 weight
        vectors, 1-bit cells, binary inputs, popcount read-out, the ``xnor`` encoding."""
        return ArrayGeometry(2 * self.cols, self.rows - 1, 2, ("bit_serial",), ("popcount",), ("xnor",))

    def program(self, tiles: list, rng: np.random.Generator, variation: bool = True) -> list[DRAMTileState]:
        """Each tile's weight vectors (its ``xnor`` states' even rows are the bits [w = +1]) written into
        a subarray of their own (`sample_instance`), in tile order."""
        array = self if variation else replace(self, device=self.device.nominal())
        return [DRAMTileState(tile, array.sample_instance(2 * tile.states[0::2].T.astype(np.int8) - 1, rng))
                for tile in tiles]

    def age(self, states: list[DRAMTileState], elapsed_s: float, rng: np.random.Generator) -> list[DRAMTileState]:
        """The weight cells' leakage since their last refresh, ``elapsed_s`` mod ``refresh_interval_s``."""
        non_negative("elapsed_s", elapsed_s)
        leaked_s = math.fmod(elapsed_s, self.refresh_interval_s) if self.refresh_interval_s > 0 else elapsed_s
        if leaked_s == 0:
            return states
        return [DRAMTileState(state.tile, self.age_instance(state.instance, leaked_s)) for state in states]

    input_planes: ClassVar[bool] = False  # the popcount reads the input bits themselves

    def accumulate(self, state: DRAMTileState, x: np.ndarray, out: np.ndarray,
                   rng: np.random.Generator | None = None, drives: tuple | None = None) -> None:
        """The popcount unit's dot products (`dot`) added into the layer's outputs: the table path
        without read noise, every XNOR through the device with kT/C noise when ``rng`` is given
        (`simulate_dot`, about a microsecond per bit line: use it on small test sets)."""
        out[:, state.tile.outputs] += self.dot(state.instance, x, rng).astype(np.int32)

    def design_summary(self) -> str:
        refresh = f"refresh every {self.refresh_interval_s * 1e3:g} ms" if self.refresh_interval_s > 0 else "no refresh"
        return f"Ambit XNOR + popcount, {self.banks} banks, {refresh}"

    def op_cost(self, tile, x: np.ndarray) -> OpCost:
        """`dot_cost` of one input vector of the tile (independent of the data), plus one row decode
        per ACTIVATE (`imc.arrays.drivers.RowDrivers.op_cost` over the data and designated rows: two
        per AAP and one per AP of each weight row's XNOR, one per input row written). The word-line
        drivers and an input register are not modelled for DRAM (no sourced word-line capacitance; the
        inputs arrive through the column I/O). With the device's ``energy_model = "power_model"`` the
        row decode is also inside IDD0, so this record counts it twice (about 1e-5 of the XNOR energy)."""
        n, n_out = tile.weights.shape
        layout = self.layout(n, n_out)
        activations_per_xnor = sum(2 if written else 1 for _, written in PROGRAMS["xnor"])
        activations = layout.weight_rows * activations_per_xnor + layout.subarrays * layout.segments
        return self.dot_cost(1, n, n_out) + self.digital.drivers.op_cost(
            self.rows + len(DESIGNATED_ROWS), activations, 0.0, None, registers=0)

    def leakage_power_w(self) -> float:
        """Standby power of one subarray's row decoder (`imc.arrays.drivers.RowDrivers.leakage_power_w`,
        one unit gate per data and designated row); cell refresh is not modelled."""
        return self.digital.drivers.leakage_power_w(self.rows + len(DESIGNATED_ROWS), None)

    def area_m2(self) -> float:
        """Data cells of one subarray (m^2), ``rows`` x ``cols`` x ``cell_area_m2``."""
        return self.rows * self.cols * self.cell_area_m2

    # ----------------------------------------------------------------- functional path

    def sample_instance(self, weights: np.ndarray, rng: np.random.Generator) -> DRAMArrayInstance:
        """Program binary ``weights`` (n_out, n) of +-1 into one chip's subarrays.

        Static variation (cell capacitances, SA offsets, retention times) is the device's
        `DRAM1T1C.sample_instance`, drawn for the rows the layer uses (weight and input rows).
        """
        weights = _binary("weights", weights, ndim=2)
        layout = self.layout(weights.shape[1], weights.shape[0])
        weight_rows = layout.weight_rows_bits(weights)
        per_subarray = layout.subarrays * layout.rows_per_subarray
        states = np.zeros((per_subarray + layout.subarrays * layout.segments, self.cols), dtype=np.int64)
        states[:layout.weight_rows] = weight_rows
        weight_part = states[:per_subarray].reshape(layout.subarrays, layout.rows_per_subarray, self.cols)
        input_part = states[per_subarray:].reshape(layout.subarrays, layout.segments, self.cols)
        states = np.concatenate([weight_part, input_part], axis=1)
        cells = self.device.sample_instance(states, rng)
        return DRAMArrayInstance(cells, layout, self.match_tables(cells, layout))

    def age_instance(self, instance: DRAMArrayInstance, elapsed_s: float) -> DRAMArrayInstance:
        """The instance ``elapsed_s`` s after programming without refresh: the weight cells leak
        (`DRAM1T1C.age`); the input rows are rewritten for every input anyway."""
        cells = self.device.age(instance.cells, elapsed_s)
        return DRAMArrayInstance(cells, instance.layout, self.match_tables(cells, instance.layout))

    def dot(self, instance: DRAMArrayInstance, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Integer dot products z = x @ W.T (batch, n_out) of +-1 inputs ``x`` (batch, n).

        ``rng`` given: `simulate_dot`, every XNOR of every input run by the device with kT/C
        sense noise drawn from ``rng``. ``rng=None``: the device's noiseless path (static
        variation only). Without noise the XNOR of a bit line is a fixed function of its two
        stored bits, so the device has run each weight row once against an all-0 and once against
        an all-1 input row (``instance.tables``, T0 and T1) and the match count of a slot is
        sum_i T0_i + x_i (T1_i - T0_i) over its valid bits: one GEMM per input segment,
        identical to `simulate_dot` with rng=None. Exact when the device has no variation.
        """
        if rng is not None:
            return self.simulate_dot(instance, x, rng)
        layout = instance.layout
        x = _check_inputs(x, layout)
        rows, slots, bits = layout.weight_rows, layout.slots_per_row, layout.segment_bits
        mask = layout.slot_mask().reshape(rows, slots, bits)
        zero, one = (table[:, :slots * bits].reshape(rows, slots, bits) * mask for table in instance.tables)
        gain = (one.astype(np.float32) - zero).reshape(rows, slots * bits)
        segments = layout.place(x).astype(np.float32)                       # (batch, segments, bits)
        counts = np.empty((x.shape[0], rows, slots), dtype=np.float32)
        for segment in range(layout.segments):
            on = np.flatnonzero(layout.input_segment() == segment)
            counts[:, on] = (segments[:, segment] @ gain[on].reshape(-1, bits).T).reshape(x.shape[0], on.size, slots)
        return _products(np.rint(counts).astype(np.int64) + zero.sum(axis=-1), layout)

    def match_tables(self, cells: DRAMInstance, layout: BinaryLayout) -> np.ndarray:
        """Noiseless XNOR of every weight row with an all-0 and an all-1 input row, uint8 (2,
        weight_rows, cols): what each bit line of these cells returns for input bit 0 or 1."""
        weight_row = np.tile(np.arange(layout.weight_rows), 2)
        tables = np.empty((weight_row.size, self.cols), dtype=np.uint8)
        for pair in self._chunks(weight_row.size):
            level = (pair >= layout.weight_rows).astype(np.uint8)
            input_bits = np.repeat(level[:, None], self.cols, axis=1)
            tables[pair] = self._xnor(cells, layout, weight_row[pair], input_bits, None)
        return tables.reshape(2, layout.weight_rows, self.cols)

    def simulate_dot(self, instance: DRAMArrayInstance, x: np.ndarray,
                     rng: np.random.Generator | None = None) -> np.ndarray:
        """`dot` by running every XNOR: per input, the input rows are written (`DRAM1T1C.write`,
        full levels), every weight row is XNORed with its input row by `DRAM1T1C.run` (Ambit's
        sequence with the instance's cell capacitances and SA offsets, kT/C noise from ``rng``
        when given), the popcount counts each slot's valid bits and adds a vector's segments.

        Each XNOR sees freshly stored operands (the device model does not write sense errors
        back into the weight rows). Retention loss: `age` the instance first.
        """
        layout = instance.layout
        x = _check_inputs(x, layout)
        inputs = layout.input_rows_bits(x)                                  # (batch, segments, cols)
        input_segment = layout.input_segment()
        mask = layout.slot_mask().reshape(layout.weight_rows, layout.slots_per_row, layout.segment_bits)
        used = layout.slots_per_row * layout.segment_bits
        counts = np.empty((x.shape[0] * layout.weight_rows, layout.slots_per_row), dtype=np.int64)
        for pair in self._chunks(counts.shape[0]):
            weight_row, sample = pair % layout.weight_rows, pair // layout.weight_rows
            xnor = self._xnor(instance.cells, layout, weight_row, inputs[sample, input_segment[weight_row]], rng)
            slots = xnor[:, :used].reshape(pair.size, layout.slots_per_row, layout.segment_bits)
            counts[pair] = np.sum(slots, axis=-1, where=mask[weight_row], dtype=np.int64)
        return _products(counts.reshape(x.shape[0], layout.weight_rows, layout.slots_per_row), layout)

    def _chunks(self, pairs: int):
        """Index ranges of (input, weight row) pairs simulated per device call."""
        step = max(1, CHUNK_BIT_LINES // self.cols)
        for start in range(0, pairs, step):
            yield np.arange(start, min(start + step, pairs))

    def _xnor(self, cells: DRAMInstance, layout: BinaryLayout, weight_row: np.ndarray, input_bits: np.ndarray,
              rng: np.random.Generator | None) -> np.ndarray:
        """Ambit XNOR (k, cols) of weight rows ``weight_row`` (k,) with their input rows freshly
        written with ``input_bits`` (k, cols), by the device model on ``cells``."""
        subarray, local = weight_row // layout.rows_per_subarray, weight_row % layout.rows_per_subarray
        input_row = layout.rows_per_subarray + layout.input_segment()[weight_row]
        v_cell, c_s, tau = (np.stack([values[subarray, local], values[subarray, input_row]], axis=1)
                            for values in (cells.v_cell_v, cells.c_s_f, cells.tau_s))
        pair = DRAMInstance(v_cell, c_s, tau, cells.c_designated_f[subarray], cells.sa_offset_v[subarray])
        return self.device.run(self.device.write(pair, 1, input_bits), "xnor", (0, 1), rng)

    # ----------------------------------------------------------------- cost

    def row_write_latency_s(self, bits: int) -> float:
        """Write ``bits`` columns of a row (s): the device's ACTIVATE-WRITE-PRECHARGE plus one tCCD
        per column access (JESD79-3; the write latency CWL is folded into tWR)."""
        return self.device.cost().write_latency_s + self._accesses(bits) * self.t_ccd_s

    def readout_latency_s(self, bits: int) -> float:
        """Read ``bits`` columns of the open result row out through the column I/O (s)."""
        return self._accesses(bits) * self.t_ccd_s

    def _accesses(self, bits) -> np.ndarray:
        return -(-np.asarray(bits) // self.burst_bits)

    def popcount_depth_s(self) -> float:
        """Pipeline depth of the popcount unit (s): a tree over one burst, ceil(log2 burst_bits)
        levels, plus the partial-sum accumulator, one level per clock (`DigitalCosts.clock_hz`).
        It counts a burst per clock, faster than bursts arrive, so only its depth adds latency."""
        return (math.ceil(math.log2(self.burst_bits)) + 1) / self.digital.clock_hz

    def dot_cost(self, batch: int, n: int, n_out: int) -> OpCost:
        """Energy (J) by component and latency (s) of ``batch`` binary dot products of an (n_out, n) layer.

        Energy components (the device's ``energy_model`` prices the commands, `DRAM1T1C.step_energy_j`):

        * ``xnor``: one Ambit XNOR per weight row and input, `DRAM1T1C.op_cost("xnor")` per bit
          line (its AAPs and APs: every ACTIVATE, triple-row ones at their own price, every
          PRECHARGE, the RowClone copies) times the ``cols`` bit lines each command opens;
        * ``input_write``: per input and subarray, ``segments`` input rows written through the
          column I/O, `DRAM1T1C.row_write_energy_j` of a row of ``cols`` bit lines with its written
          bits in ceil(bits / ``burst_bits``) bursts of ``t_ccd_s`` each;
        * ``popcount``: one full adder (`DigitalCosts.add_energy_per_bit_j`) per counted bit -- a carry-save counter
          tree turns three bits into two per full adder, so it counts w bits with fewer than w
          of them (Wallace, "A suggestion for a fast multiplier", IEEE Trans. Electronic Computers
          EC-13(1), 1964) -- plus a bit_length(n)-bit add per extra segment of a vector.

        The energy of moving the result rows over the on-die column I/O to the popcount unit is
        not modelled: the datasheet's read-burst current IDD4R also drives the data path to the
        pins, which results bound for the popcount beside the bank do not take, so it is no measure
        of it; the total is a lower bound.

        Latency: per input, each subarray writes its input rows, then runs XNOR + readout for
        each weight row; subarrays of one bank in sequence, banks in parallel (class docstring);
        inputs one after another; plus the popcount's pipeline depth once.
        """
        int_in_range("batch", batch, 1)
        layout = self.layout(n, n_out)
        device = self.device
        written = (layout.slots_per_row - 1) * layout.segment_bits + layout.segment_lengths()  # per input row
        xnor = device.op_cost("xnor")
        input_rows_j = sum(device.row_write_energy_j(self.cols, int(bits), float(bursts) * self.t_ccd_s)
                           for bits, bursts in zip(written, self._accesses(written)))
        partial_adds = (layout.segments - 1) * int(n).bit_length()
        energy = {
            "xnor": batch * layout.weight_rows * self.cols * xnor.read_energy_j,
            "input_write": batch * layout.subarrays * input_rows_j,
            "popcount": batch * n_out * (n + partial_adds) * self.digital.add_energy_per_bit_j,
        }
        row_s = xnor.read_latency_s + self.readout_latency_s(layout.row_columns())
        input_rows_s = np.sum(self.row_write_latency_s(written))
        subarray_s = np.array([input_rows_s + row_s[start:start + layout.rows_per_subarray].sum()
                               for start in range(0, layout.weight_rows, layout.rows_per_subarray)])
        bank_s = [subarray_s[bank::self.banks].sum() for bank in range(min(self.banks, layout.subarrays))]
        return OpCost({key: float(value) for key, value in energy.items()},
                      float(batch * max(bank_s) + self.popcount_depth_s()))


def _check_inputs(x: np.ndarray, layout: BinaryLayout) -> np.ndarray:
    """Bits (batch, n) of +-1 inputs ``x``, else a ParameterError naming ``x``."""
    x = _binary("x", x, ndim=2)
    require("x", x.shape, x.shape[1] == layout.n, f"must be (batch, n = {layout.n})")
    return x


def _products(slot_counts: np.ndarray, layout: BinaryLayout) -> np.ndarray:
    """Dot products (batch, n_out) from the match counts of every slot (batch, weight_rows, slots_per_row):
    the partial counts of a vector's segments are added, z = 2 * matches - n."""
    batch = slot_counts.shape[0]
    used = slot_counts.reshape(batch, -1)[:, :layout.n_out * layout.segments]
    return 2 * used.reshape(batch, layout.n_out, layout.segments).sum(axis=-1) - layout.n


def _binary(name: str, values: np.ndarray, ndim: int) -> np.ndarray:
    """Bits (uint8) of a +-1 array with ``ndim`` axes, else a ParameterError naming ``name``."""
    values = np.asarray(values)
    if values.ndim != ndim or 0 in values.shape:
        raise ParameterError(name, values.shape, f"must be a non-empty array with {ndim} axes")
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise ParameterError(name, values.dtype, "must hold numbers -1 and +1")
    if not np.all((values == 1) | (values == -1)):
        bad = values[(values != 1) & (values != -1)].flat[0]
        raise ParameterError(name, bad, "binary values must be -1 or +1")
    return (values > 0).astype(np.uint8)
