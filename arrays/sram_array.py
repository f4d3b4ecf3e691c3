"""An array of SRAM cells (6T, 8T or two-port XNOR) computing binary matrix-vector products on its bit lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from imc.arrays.base import (ARRAYS, Array, ArrayGeometry, OpCost, ReadOperands, cycle_planes, linear_partial_sums,
                             tile_operands)
from imc.arrays.converters import (ADCInstance, ColumnADC, ColumnConversion, ColumnGroups, SenseAmp, WordLineDAC,
                                   input_cost)
from imc.arrays.periphery import DigitalCosts
from imc.devices import _kernels as device_kernels
from imc.arrays.sram_amplitude import level_currents, word_line_levels
from imc.devices.sram import SRAM6T, SRAMBitCell, SRAMSilicon
from imc.errors import ParameterError, int_in_range, plausible, positive, require

SETTLE_TIME_CONSTANTS = 5.0
SENSING = ("adc", "sense_amp")  # exp(-5) < 1 %: precharge settled to within 1 % of V_DD
DAC_LEVELS = ("linear", "current_linear")  # word-line DAC level choice, see imc.arrays.sram_amplitude
MAX_INPUT_BITS = 8


@dataclass(frozen=True, eq=False)
class ArrayInstance:
    """Static state of the arrays of one chip: the cells' threshold shifts (`SRAMSilicon`, drawn on
    demand; None: nominal), the column-ADC instance of each array, the input-referred offsets (V)
    of the column sense amplifiers (n_arrays, cols), the arrays' shape (n_arrays, logical rows,
    cols) and their word-line voltage (V)."""

    silicon: SRAMSilicon | None
    adcs: list[ADCInstance]
    sense_offsets_v: np.ndarray
    shape: tuple[int, int, int]
    v_wl_v: float

    def tile_cells(self, array_index: int, states: np.ndarray) -> np.ndarray:
        """``states`` (logical rows x columns of array ``array_index``, from its first) times their
        cells' read currents relative to nominal, float32 (`SRAMSilicon.relative_currents`, which
        draws only these cells; nominal cells: 1)."""
        if self.silicon is None:
            return states.astype(np.float32)
        return self.silicon.relative_currents(array_index, states, self.v_wl_v)

    @cached_property
    def cells(self) -> np.ndarray:
        """Every cell's read current relative to nominal, (n_arrays, logical rows, cols) float32."""
        ones = np.ones(self.shape[1:], dtype=np.int8)
        return np.stack([self.tile_cells(index, ones) for index in range(self.shape[0])])


@dataclass(frozen=True, eq=False)
class SRAMTileState:
    """One tile on one chip: its stored bits times its cells' relative read currents, folded by the
    tile's encoding per read and cut into its column groups (`ReadOperands`), and the input-referred
    offsets (V) of its columns' latches (c,)."""

    tile: object
    reads: tuple[ReadOperands, ...]
    sense_offsets_v: np.ndarray


@ARRAYS.register("sram")
@dataclass(frozen=True)
class SRAMArray(Array):
    """``rows`` x ``cols`` SRAM cells, word-line drivers, column ADCs (shared through a mux when
    ``adc.columns_per_adc`` > 1).

    With 6T/8T cells a mapped binary weight uses two rows under the XNOR encoding; with the
    two-port XNOR cell (`imc.devices.XNORSRAM`) both complementary paths sit in one physical
    row: ``logical_rows`` = 2 ``rows``, logical row 2i being port 0 (input +1) of row i and
    2i + 1 its port 1 (input -1), each with its own mismatch.

    One operation: precharge every bit line to V_DD, raise the word lines of the active
    rows to ``v_wl_v`` for a pulse, let the conducting cells discharge their bit lines,
    convert every column with its ADC. The pulse is sized so that a column holding the
    full-scale number of conducting cells swings by ``v_swing_v`` (the ADC full scale),
    the usual way such macros are timed (Kang, Gonugondla, Keel & Shanbhag, "An
    energy-efficient VLSI architecture for pattern recognition via deep embedding of
    computation in SRAM", ICASSP 2014). ``v_wl_v`` = 0.7 V: word-line under-drive
    keeps the cell current and the read disturb low, as in that work.
    ``v_swing_v`` = 0.5 V keeps the full-scale swing above the saturation knee, so the
    bit line responds linearly. ``r_precharge_ohm`` = 1 kOhm: a ~1 um wide 65 nm PMOS
    precharge device; precharge lasts 5 R*C_BL.

    ``input_bits`` k > 1 replaces the word-line drivers by one k-bit `WordLineDAC` per row
    (``dac``, a ``dac_r_string_ohm`` string) for IMAC-style amplitude inputs with ``dac_levels``
    "current_linear" or "linear" levels: `imc.arrays.sram_amplitude`. At most 8 bits: the level
    decomposition keeps 2^k - 1 weighted copies of the cells and runs one GEMM per level.
    """

    rows: int = 256
    cols: int = 128
    v_wl_v: float = 0.7
    v_swing_v: float = 0.5
    r_precharge_ohm: float = 1e3
    device: SRAMBitCell = field(default_factory=SRAM6T)
    adc: ColumnADC = field(default_factory=ColumnADC)
    sense_amp: SenseAmp = field(default_factory=SenseAmp)
    sensing: str = "adc"
    digital: DigitalCosts = field(default_factory=DigitalCosts)
    input_bits: int = 1
    dac_levels: str = "current_linear"
    dac_r_string_ohm: float = WordLineDAC.r_string_ohm

    cell_kinds = ("sram6t", "sram8t", "sram_xnor")

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("rows", self.rows, 2, 4096)
        int_in_range("cols", self.cols, 1, 4096)
        positive("r_precharge_ohm", self.r_precharge_ohm)
        require("sensing", self.sensing, self.sensing in SENSING, f"allowed: {SENSING}")
        self.device.check_word_line(self.v_wl_v)
        require("v_swing_v", self.v_swing_v,
                isinstance(self.v_swing_v, (int, float)) and 0 < self.v_swing_v < self.device.vdd_v,
                f"must be in (0, vdd_v = {self.device.vdd_v}) V")
        int_in_range("input_bits", self.input_bits, 1, MAX_INPUT_BITS)
        require("input_bits", self.input_bits, self.input_bits == 1 or self.device.ports == 1,
                "amplitude inputs (input_bits > 1) need a single-port 6T/8T cell; the XNOR cell takes +-1 inputs")
        require("dac_levels", self.dac_levels, self.dac_levels in DAC_LEVELS, f"allowed: {DAC_LEVELS}")
        positive("dac_r_string_ohm", self.dac_r_string_ohm)

    def ignored_fields(self) -> dict[str, str]:
        """Fields without effect in this design (field -> why), which a loaded config warns about."""
        ignored = {"adc.full_scale": "the array sets its ADCs' full scale: a v_swing_v swing at the layer's "
                                     "full-scale count ([mapping] adc_range)"}
        if self.sensing == "adc":
            ignored["sense_amp"] = "latches sense only with sensing = 'sense_amp'"
        if self.input_bits == 1:
            ignored |= dict.fromkeys(("dac_levels", "dac_r_string_ohm"),
                                     "binary word lines (input_bits = 1) have no word-line DAC")
        return ignored

    def geometry(self) -> ArrayGeometry:
        """``logical_rows`` word lines, ``cols`` bit lines of 1-bit cells; binary word lines for
        bit-serial inputs (and word-line DAC amplitudes of up to ``input_bits`` bits when it is > 1); column ADCs plus latches when ``sensing``
        is "sense_amp"; a two-port XNOR cell supports only the ``xnor`` encoding and no multi-bit
        slicing (its ports hold complementary bits)."""
        single_port = self.device.ports == 1
        return ArrayGeometry(self.logical_rows, self.cols, 2,
                             ("bit_serial",) if self.input_bits == 1 else ("bit_serial", "amplitude"),
                             ("adc", "sense_amp") if self.sensing == "sense_amp" else ("adc",),
                             ("xnor", "offset") if single_port else ("xnor",),
                             ("offset", "differential", "twos_complement") if single_port else (), self.input_bits)

    def program(self, tiles: list, rng: np.random.Generator, variation: bool = True) -> list[SRAMTileState]:
        """One chip: the silicon of every array the tiles use (`sample_instance`, the same draws as
        for the whole chip), each tile's stored bits times its cells' relative read currents folded
        by its encoding, its ADCs' conversion table and its latches' offsets."""
        chip = self.sample_instance(max(tile.array_index for tile in tiles) + 1, rng, variation)
        states = []
        for tile in tiles:
            rows, cols = tile.states.shape
            conversion = self.column_conversion([chip.adcs[tile.array_index]], cols,
                                                tile.adc_full_scales / tile.full_scale_count)
            amplitude = tile.sliced and tile.encoding.scheme == "amplitude"
            cells = self.level_cells(chip, tile) if amplitude else chip.tile_cells(tile.array_index, tile.states)
            states.append(SRAMTileState(tile, tile_operands(tile, cells, conversion,
                                                            linear_readout=self._linear_readout(tile)),
                                        chip.sense_offsets_v[tile.array_index, :cols]))
        return states

    @cached_property
    def knee_v(self) -> float:
        """Bit-line voltage (V) below which the discharge leaves the linear regime at the word-line
        voltage (`SRAMBitCell.knee_v`), computed once per design."""
        return self.device.knee_v(self.v_wl_v)

    def _linear_readout(self, tile) -> tuple[float, int] | None:
        """(V per count at the ADCs, their largest code) when a full-scale swing stays above the
        bit line's knee, so the discharge is linear in the count; else None."""
        if self.v_swing_v > self.device.vdd_v - self.knee_v:
            return None
        return self.v_swing_v / tile.full_scale_count, self.adc.top_code

    def level_cells(self, chip: ArrayInstance, tile) -> np.ndarray:
        """An amplitude tile's cells, level-decomposed: (levels, rows, cols) float32, block c - 1 the
        stored bits times each cell's read current at DAC level V(c) in code steps (the nominal
        ``steps[c]`` times the cell's current relative to nominal there: `imc.arrays.sram_amplitude`),
        for the codes 1 .. 2^k - 1 of the tile's k-bit inputs."""
        rows, cols = tile.states.shape
        mismatch = None if chip.silicon is None else chip.silicon.window(tile.array_index, rows, cols)
        currents = level_currents(self, mismatch, (rows, cols), range(1, tile.encoding.steps + 1))
        return currents * tile.states.astype(np.float32)

    def accumulate(self, state: SRAMTileState, x: np.ndarray, out: np.ndarray,
                   rng: np.random.Generator | None = None, drives: tuple | None = None) -> None:
        """Per read (row group): one GEMM of every array cycle's drives (stacked) with the folded cells
        of every column group, then the fused sensing kernel (bit-line discharge, ADC, decoding with each
        cycle's significance, accumulation: `accumulate_counts`); or, for a latched tile, each cycle's
        latch decisions turned into the layer's pre-activations. SRAM reads have no dynamic noise in
        this model, so ``rng`` is not used."""
        tile = state.tile
        if all(read.linear for read in state.reads):  # nominal cells, transparent ADCs: one product
            linear_partial_sums(state.reads, tile, x, out)
            return
        stacked, significances = tile.encoding.drives(x) if drives is None else drives
        for read in state.reads:
            cell_sum = read.column_sums(stacked)
            if tile.latch is None:
                self.accumulate_counts(cell_sum[None], read.base, tile.full_scale_count, read.conversion, out[None],
                                       tile.outputs.start, read.groups, significances, read.full_scale_counts)
                continue
            for cycle_sum, _ in cycle_planes(cell_sum, significances):
                passed = self.latch_decisions(cycle_sum + read.base, tile.full_scale_count,
                                              tile.latch.count_thresholds, state.sense_offsets_v)
                out[:, tile.outputs] += tile.latch.apply(passed)

    def reads_draw_noise(self, states: list) -> bool:
        """No: SRAM reads have no dynamic noise in this model."""
        return False

    def design_summary(self) -> str:
        return (f"V_WL {self.v_wl_v:.2f} V, {self.adc.bits}-bit column ADCs"
                f"{', sense amplifiers on single-tile sign layers' if self.sensing == 'sense_amp' else ''}")

    def leakage_power_w(self) -> float:
        """rows x cols x I_leak x V_DD: one off storage-gated path per cell at the nominal threshold
        (`SRAMBitCell.leakage_current_a`), a lower bound, plus the row periphery's standby power
        (`imc.arrays.drivers.RowDrivers.leakage_power_w`, one chain per word line: ``logical_rows``) and
        the column ADCs' (`ColumnADC.array_leakage_power_w` at the periphery's off current per width)."""
        cells_w = self.rows * self.cols * self.device.leakage_current_a(np.zeros(1))[0] * self.device.vdd_v
        drivers = self.digital.drivers
        return float(cells_w + drivers.leakage_power_w(self.logical_rows, self.c_wl_f)
                     + self.adc.array_leakage_power_w(self.cols, drivers.i_off_a_per_m))

    def reliability(self) -> dict[str, float]:
        return {"read-disturb P(flip) per cell op at full scale": self.read_disturb_probability()}

    def op_cost(self, tile, x: np.ndarray) -> OpCost:
        """`read_cost` of each read's word lines and column counts, averaged over the inputs x, plus its
        row periphery (`imc.arrays.drivers.RowDrivers.op_cost`: one decode and input-register clock,
        a driver chain per raised word line), the reads one after another, once per array cycle
        (`Tile.cycles`). An amplitude tile drives every row of a read through its DAC, at the nominal
        cell's code steps of its levels."""
        amplitude = tile.sliced and tile.encoding.scheme == "amplitude"
        levels = word_line_levels(self) if amplitude else None
        cost = OpCost({}, 0.0)
        for read in tile.reads:
            word_lines = tile.encoding.word_lines(x[:, read])
            states = tile.states[tile.read_rows(read)].astype(np.float32)
            if amplitude:
                codes = word_lines.astype(np.int64)
                read_cost = self.read_cost(states.shape[0], (levels.steps[codes] @ states).mean(0),
                                           tile.full_scale_count, mean_word_line_v=float(levels.voltages_v[codes].mean()))
            else:
                read_cost = self.read_cost(float(word_lines.sum(-1).mean()), (word_lines @ states).mean(0),
                                           tile.full_scale_count, sense_amp=tile.latch is not None)
            raised = float((word_lines != 0).sum(-1).mean())
            cost = cost + read_cost + self.digital.drivers.op_cost(self.rows, 1, raised, self.c_wl_f)
        return tile.cycles * cost

    @property
    def logical_rows(self) -> int:
        """Word lines the mapper can drive: rows x read ports (an XNOR cell's two ports count as the
        two complementary rows of the XNOR encoding, in one physical row)."""
        return self.rows * self.device.ports

    @property
    def c_bl_f(self) -> float:
        """Bit-line capacitance (F)."""
        return self.rows * self.device.c_bl_cell_f

    @property
    def c_wl_f(self) -> float:
        """Word-line capacitance (F)."""
        return self.cols * self.device.c_wl_cell_f

    def area_m2(self) -> float:
        """Area of the cell matrix (the device's ``cell_area_m2``, its node's published cell), its column
        ADCs (`ColumnADC.area_per_adc_m2` at the converter's node) and its row periphery
        (`imc.arrays.drivers.RowDrivers.area_m2`, one chain per word line) (m^2); the latches, word-line
        DACs and digital logic are not in the area model."""
        return (self.rows * self.cols * self.device.cell_area_m2 + self.adc.array_cost(self.cols).area_m2
                + self.digital.drivers.area_m2(self.logical_rows, self.c_wl_f))

    def pulse_width_s(self, full_scale_count: int) -> float:
        """Word-line pulse (s) that swings a bit line by v_swing_v for ``full_scale_count`` cells."""
        current = full_scale_count * self.device.read_current_a(self.v_wl_v)
        return self.v_swing_v * self.c_bl_f / current

    def read_disturb_probability(self) -> float:
        """Probability that one cell flips in one op whose column reaches full scale.

        The bit line then sits at V_DD - dV(v_swing_v) at the end of the pulse; the cell model
        gives the flip probability at that voltage (0 for read-decoupled cells).
        """
        lowest_v = self.device.vdd_v - float(self.device.bitline_discharge_v(self.v_swing_v, self.v_wl_v))
        return self.device.read_disturb_probability(lowest_v, self.v_wl_v)

    def precharge_time_s(self) -> float:
        return SETTLE_TIME_CONSTANTS * self.r_precharge_ohm * self.c_bl_f

    def sample_instance(self, n_arrays: int, rng: np.random.Generator, variation: bool = True) -> ArrayInstance:
        """Static state of ``n_arrays`` arrays of one chip (`sample_silicon`, then the sense
        amplifiers' offsets, zero without variation or latches); its cells are drawn on demand
        (`ArrayInstance.tile_cells`, `ArrayInstance.cells`)."""
        silicon, adcs = self.sample_silicon(n_arrays, rng, variation)
        offsets = (self.sense_amp.sample_instance(n_arrays * self.cols, rng).reshape(n_arrays, self.cols)
                   if variation and self.sensing == "sense_amp" else np.zeros((n_arrays, self.cols)))
        return ArrayInstance(silicon, adcs, offsets, (n_arrays, self.logical_rows, self.cols), self.v_wl_v)

    def sample_silicon(self, n_arrays: int, rng: np.random.Generator,
                       variation: bool = True) -> tuple[SRAMSilicon | None, list[ADCInstance]]:
        """The random draws every read mode of one chip shares, in a fixed order: the keys of the
        threshold shifts of all cells (`SRAMBitCell.sample_silicon`; None without variation), then
        each array's column ADCs (nominal without variation). Binary and amplitude reads of the same
        ``rng`` state see the same silicon."""
        silicon = self.device.sample_silicon((n_arrays, self.rows, self.cols), rng) if variation else None
        adc = self.adc if variation else self.adc.nominal()
        return silicon, [adc.sample_instance(adc.n_adcs(self.cols), rng) for _ in range(n_arrays)]

    def column_sums(self, word_lines: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Column current sums in nominal-cell units, float32 (..., batch, c).

        word_lines: (..., batch, r) 0/1 activations of the first r rows.
        cells: (..., r, c) stored-one mask times the cells' relative read current.
        """
        if word_lines.shape[-1] != cells.shape[-2]:
            raise ParameterError("word_lines", word_lines.shape,
                                 f"last axis must equal the cells' row count {cells.shape[-2]}")
        if cells.shape[-2] > self.logical_rows or cells.shape[-1] > self.cols:
            raise ParameterError("cells", cells.shape, f"must fit in {self.logical_rows} x {self.cols}")
        return np.matmul(word_lines, cells, dtype=np.float32)

    def column_counts(self, word_lines: np.ndarray, cells: np.ndarray, full_scale_count: int,
                      adc: ADCInstance) -> np.ndarray:
        """Digitised popcounts of the columns for a batch of word-line patterns (see `column_sums`).

        adc: the array's column-ADC instance. Returns int32 (..., batch, c): each column's count
        of conducting activated cells as the ADC reports it; exact when cells and ADC are ideal
        and 2^bits - 1 >= full_scale_count.
        """
        return self.sense(self.column_sums(word_lines, cells), full_scale_count, adc)

    def column_decisions(self, word_lines: np.ndarray, cells: np.ndarray, full_scale_count: int,
                         threshold_counts: np.ndarray, offsets_v: np.ndarray) -> np.ndarray:
        """1-bit sense-amplifier decisions ``count >= threshold`` per column for a batch of
        word-line patterns (see `column_sums` and `latch_decisions`)."""
        return self.latch_decisions(self.column_sums(word_lines, cells), full_scale_count, threshold_counts,
                                    offsets_v)

    def latch_decisions(self, cell_sum: np.ndarray, full_scale_count: int, threshold_counts: np.ndarray,
                        offsets_v: np.ndarray) -> np.ndarray:
        """1-bit sense-amplifier decisions ``count >= threshold`` per column (bool, (..., c)) of
        column sums (nominal-cell units, (..., c)).

        Each column's latch compares its bit-line drop with a reference at the nominal drop of
        ``threshold - 1/2`` conducting cells (a replica/reference bit line), plus its own
        input-referred offset (``offsets_v``, (c,)): the BNN comparator of binary SRAM macros,
        with BatchNorm and sign folded into the per-column threshold. Thresholds at or below 0
        always pass; above the full-scale count never.
        """
        cell_sum = np.ascontiguousarray(cell_sum, dtype=np.float64)
        unit_v = self.v_swing_v / full_scale_count
        knee = self.knee_v
        drop = device_kernels.discharge_array(cell_sum * unit_v, self.device.vdd_v, knee, cell_sum)
        reference = self.device.bitline_discharge_v((np.asarray(threshold_counts) - 0.5) * unit_v, self.v_wl_v)
        decisions = self.sense_amp.decide(drop, reference, offsets_v) == 1
        thresholds = np.asarray(threshold_counts)
        return np.where(thresholds <= 0, True, np.where(thresholds > full_scale_count, False, decisions))

    def sense(self, cell_sum: np.ndarray, full_scale_count: int, adc: ADCInstance) -> np.ndarray:
        """Bit-line discharge, column ADC and digital rescaling to counts (int32, (..., c)) of
        column sums (nominal-cell units, (..., c)): the swing is cell_sum * v_swing / full_scale_count."""
        cols = cell_sum.shape[-1]
        counts = np.zeros((1, int(np.prod(cell_sum.shape[:-1])), cols), dtype=np.int32)
        self.accumulate_counts(cell_sum.reshape(1, -1, cols), None, full_scale_count,
                               self.column_conversion([adc], cols), counts)
        return counts.reshape(cell_sum.shape)

    def column_conversion(self, adcs: list[ADCInstance], cols: int, range_fraction=1.0) -> ColumnConversion:
        """Per-column conversion table of the first ``cols`` columns of each chip's column ADCs
        ``adcs``, for bit-line drops in volts: full scale ``v_swing_v`` times ``range_fraction`` (one
        value, or one per column: a column ADC referenced to part of the full-scale swing)."""
        return self.adc.column_conversion(adcs, cols, full_scale=self.v_swing_v * np.asarray(range_fraction, float))

    def accumulate_counts(self, cell_sum: np.ndarray, column_base: np.ndarray | None, full_scale_count: int,
                          conversion: ColumnConversion, out: np.ndarray, out_start: int = 0,
                          groups: ColumnGroups | None = None, significance: int | tuple[int, ...] = 1,
                          column_full_scales: np.ndarray | None = None) -> None:
        """`sense` for several chips at once, decoded by ``groups`` times ``significance`` (one per stacked
        array cycle) and added to ``out``: `ColumnADC.accumulate` of column sums (chips, cycles x m, c) in
        nominal-cell units, each swinging its bit line by v_swing_v / full_scale_count, through the
        bit-line discharge; each column's ADC converts over ``column_full_scales`` counts (c,) (None:
        ``full_scale_count``), as its conversion was built."""
        ranges = full_scale_count if column_full_scales is None else column_full_scales
        self.adc.accumulate(cell_sum, column_base, self.v_swing_v / full_scale_count, ranges, conversion,
                            out, out_start, groups, significance, self.device.vdd_v, self.knee_v)

    def read_cost(self, active_rows: float, column_counts: np.ndarray, full_scale_count: int,
                  sense_amp: bool = False, mean_word_line_v: float | None = None) -> OpCost:
        """Energy by component and latency of one operation.

        active_rows: word lines raised (mean over inputs); column_counts: mean conducting
        activated cells per used column. Components: ``bitline`` C_BL*V_DD*dV per column,
        ``wordline`` C_WL*V_WL^2 per raised word line (Rabaey et al., Digital Integrated
        Circuits, 2nd ed., ch. 5, E = C*V^2 for a full-swing node), ``adc`` one conversion per
        used column. Latency: precharge + pulse + conversion.

        Amplitude inputs (given ``mean_word_line_v``, ``input_bits`` k > 1, `imc.arrays.sram_amplitude`;
        without it binary word lines, also on an array with DACs): counts and full scale
        are in code steps of I_nom(V_WL) / (2^k - 1), so the pulse is 2^k - 1 times the binary one;
        ``active_rows`` (an integer) are the rows driven by their `dac`, ``mean_word_line_v`` their
        mean level (V). ``wordline`` is then `input_cost("amplitude", ...)`, whose DAC charge term
        C_WL (code / N) V_WL^2 is linear in the level voltage, so the mean level enters as
        p_one = mean_word_line_v / V_WL; the DAC settles before the pulse.
        """
        unit_v = self.v_swing_v / full_scale_count
        dv = self.device.bitline_discharge_v(np.asarray(column_counts) * unit_v, self.v_wl_v)
        if mean_word_line_v is None:
            pulse_s = self.pulse_width_s(full_scale_count)
            wordline_j, inputs_s = active_rows * self.c_wl_f * self.v_wl_v ** 2, pulse_s
        else:
            require("mean_word_line_v", mean_word_line_v, self.input_bits > 1,
                    "binary word lines (input_bits = 1) are raised to v_wl_v; leave it None")
            require("mean_word_line_v", mean_word_line_v, isinstance(mean_word_line_v, (int, float))
                    and 0 <= mean_word_line_v <= self.v_wl_v,
                    f"amplitude inputs need the mean DAC level in [0, v_wl_v = {self.v_wl_v}] V")
            pulse_s = (2 ** self.input_bits - 1) * self.pulse_width_s(full_scale_count)
            wordline_j, inputs_s = input_cost("amplitude", self.input_bits, active_rows, self.c_wl_f, self.v_wl_v,
                                              pulse_s, p_one=mean_word_line_v / self.v_wl_v, dac=self.dac)
        energy = {
            "bitline": float(np.sum(self.device.read_energy_j(dv, self.c_bl_f))),
            "wordline": float(wordline_j),
        }
        if sense_amp:
            energy["sense_amp"] = float(len(column_counts) * self.sense_amp.energy_per_decision_j)
            conversion = self.sense_amp.latency_s
        else:
            energy["adc"] = float(len(column_counts) * self.adc.energy_per_conversion_j)
            conversion = self.adc.array_conversion_time_s(len(column_counts))
        return OpCost(energy, self.precharge_time_s() + inputs_s + conversion)

    @property
    def dac(self) -> WordLineDAC:
        """Word-line DAC of each row for amplitude inputs: ``input_bits`` bits, a resistor string of
        ``dac_r_string_ohm`` (its levels: ``dac_levels``, see `imc.arrays.sram_amplitude`)."""
        return WordLineDAC(bits=self.input_bits, r_string_ohm=self.dac_r_string_ohm)
