"""An array of 10T capacitor-coupled SRAM cells computing binary matrix-vector products in the charge domain.

Each cell drives its coupling capacitor to V_DD when XNOR(x, w) = 1 (``operation`` "xnor") or
x AND w = 1 ("and"), then every capacitor of a column shares its charge with the column's compute
line (`imc.devices.sram_charge`): V_j = V_DD sum_i C_ij b_ij / C_total,j, C_total,j = sum_i C_ij + C_par
over all ``rows`` cells of the column. The column ADC converts V_j with a full scale of the
attenuated swing of the tile's full-scale count, V_FS = count_FS V_DD C_c / C_total (nominal).

In units of one nominal cell's step, V_DD C_c / C_total, a column reads
sum_i b_ij (C_ij / C_c) (C_total / C_total,j): linear in the drives, so one GEMM per read with the
folded cells, as for current-domain SRAM (`imc.arrays.sram_array`), but without the bit line's
saturation knee and with capacitor ratios in place of transistor currents. The kT/C noise of the
line, sqrt(kT / C_total,j), is drawn per read and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imc.arrays.base import ARRAYS, Array, ArrayGeometry, OpCost, ReadOperands, cycle_planes, tile_operands
from imc.arrays.converters import ADCInstance, ColumnADC, SenseAmp
from imc.arrays.periphery import DigitalCosts
from imc.arrays.sram_array import SENSING
from imc.devices.sram import alpha_power_delay_ratio
from imc.devices.sram_charge import SETTLE_TIME_CONSTANTS, SRAM10TCap, settle_time_constants
from imc.errors import int_in_range, non_negative, plausible, positive, require

OPERATIONS = ("xnor", "and")
WEIGHT_ENCODINGS = ("offset", "differential", "twos_complement")


@dataclass(frozen=True, eq=False)
class ChargeInstance:
    """Static state of one chip's arrays: every cell's coupling capacitance (F, (n_arrays, rows,
    cols) float64), each array's column-ADC instance and the input-referred offsets (V) of its
    column latches (n_arrays, cols)."""

    capacitance_f: np.ndarray
    adcs: list[ADCInstance]
    sense_offsets_v: np.ndarray


@dataclass(frozen=True, eq=False)
class ChargeTileState:
    """One tile on one chip: its stored bits times its cells' steps in nominal-cell units, folded
    by the tile's encoding per read and cut into its column groups (`ReadOperands`), each
    column's kT/C noise std in the same units (c,) and its latch's input-referred offset (V, (c,))."""

    tile: object
    reads: tuple[ReadOperands, ...]
    noise_steps: np.ndarray
    sense_offsets_v: np.ndarray


@ARRAYS.register("sram_charge")
@dataclass(frozen=True)
class ChargeSRAMArray(Array):
    """``rows`` x ``cols`` 10T capacitor-coupled SRAM cells (`imc.devices.SRAM10TCap`), input-line
    drivers and column ADCs (module docstring).

    * ``operation`` = "xnor": the cell computes XNOR of a +-1 input (on its complementary input
      lines) and its bit, the binarized networks' product (Valavi et al., IEEE JSSC 54(6), 2019), so
      one physical row carries both complementary rows of the ``xnor`` encoding: 2 ``rows`` word
      lines, binary layers only. "and": one input line held low, the cell computes x AND w, one row
      per input -- the bit-parallel / bit-serial mode of Jia et al., IEEE JSSC 55(9), 2020, where
      multi-bit weights are sliced over columns of 1-bit cells and inputs are applied one bit per
      cycle; both sign encodings and the multi-bit weight encodings then apply.
    * ``r_driver_ohm`` = 1 kOhm at the node's nominal supply (``device.vdd_ref_v``): the input-line
      drivers and the compute line's reset switch, a ~1 um wide 65 nm device (as the current-domain
      array's precharge device; engineering assumption), following the cell's supply as its switch
      does (`SRAM10TCap.supply_delay_ratio`, the alpha-power law).
    * ``datapath_area_m2`` = 0: the near-memory digital datapath beside the array (shift-and-add,
      output stage), not modelled by default; a preset sets its paper's measured area.
    * ``sensing`` = "sense_amp" adds a 1-bit latch (`SenseAmp`) per column: a binary sign layer that
      fits one tile is read by comparing each line with the voltage of its threshold count less half
      a step, V > (t - 1/2) V_step + offset -- the line is linear in the count, so a nominal latch
      decides exactly; the other layers keep their ADCs.

    One operation (`phases_s`): clock the cycle's input bit plane into the input register (one period
    of the periphery's clock at its supply, `DigitalCosts.clock_hz`), raise the input lines and let
    every cell drive its plate, while the compute lines are reset; share the charge; convert every
    used column. The analog nodes settle within half an LSB of the ADC, N = (bits + 1) ln 2 time
    constants (`imc.devices.sram_charge.settle_time_constants`); the input lines, digital gate
    signals, within 1 % (5 time constants). The ADCs' full scale follows the tile's full-scale count
    (`full_scale_v`), or each column's own calibrated range.
    """

    rows: int = 256
    cols: int = 128
    operation: str = "xnor"
    r_driver_ohm: float = 1e3
    datapath_area_m2: float = 0.0
    device: SRAM10TCap = field(default_factory=SRAM10TCap)
    adc: ColumnADC = field(default_factory=ColumnADC)
    digital: DigitalCosts = field(default_factory=DigitalCosts)
    sense_amp: SenseAmp = field(default_factory=SenseAmp)
    sensing: str = "adc"

    cell_kinds = ("sram10t_cap",)

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("rows", self.rows, 2, 4096)
        int_in_range("cols", self.cols, 1, 4096)
        require("operation", self.operation, self.operation in OPERATIONS,
                f"allowed: {OPERATIONS} (XNOR of +-1 inputs in one row, or AND of 0/1 bits for sliced layers)")
        positive("r_driver_ohm", self.r_driver_ohm)
        non_negative("datapath_area_m2", self.datapath_area_m2)
        require("sensing", self.sensing, self.sensing in SENSING, f"allowed: {SENSING}")
        require("device", type(self.device).__name__, isinstance(self.device, SRAM10TCap),
                "must be a capacitor-coupled cell (SRAM10TCap)")
        self.adc_delay_ratio  # noqa: B018 -- an ADC supply at or below the threshold fails at load

    def ignored_fields(self) -> dict[str, str]:
        """Fields without effect in this design (field -> why), which a loaded config warns about."""
        ignored = {"adc.full_scale": "the array sets its ADCs' full scale: the attenuated swing of the layer's "
                                     "full-scale count ([mapping] adc_range)"}
        if self.sensing == "adc":
            ignored["sense_amp"] = "latches sense only with sensing = 'sense_amp'"
        return ignored

    def geometry(self) -> ArrayGeometry:
        """XNOR: 2 ``rows`` word lines (both complementary rows in one cell), the ``xnor`` encoding,
        no slicing; AND: ``rows`` word lines, both sign encodings and the multi-bit weight encodings.
        ``cols`` bit lines of 1-bit cells, bit-serial inputs, column ADCs (plus latches with ``sensing``
        "sense_amp")."""
        sensing = ("adc", "sense_amp") if self.sensing == "sense_amp" else ("adc",)
        if self.operation == "xnor":
            return ArrayGeometry(2 * self.rows, self.cols, 2, ("bit_serial",), sensing, ("xnor",))
        return ArrayGeometry(self.rows, self.cols, 2, ("bit_serial",), sensing, ("xnor", "offset"), WEIGHT_ENCODINGS)

    @property
    def c_par_f(self) -> float:
        """Compute-line parasitic capacitance (F): rows x ``c_line_cell_f``."""
        return self.rows * self.device.c_line_cell_f

    @property
    def c_total_f(self) -> float:
        """Nominal capacitance a column shares its charge over (F): rows C_c + C_par."""
        return self.rows * self.device.c_c_f + self.c_par_f

    @property
    def step_v(self) -> float:
        """Line voltage (V) of one nominal driven cell: V_DD C_c / C_total (the attenuated unit)."""
        return self.device.vdd_v * self.device.c_c_f / self.c_total_f

    def full_scale_v(self, full_scale_count: int) -> float:
        """ADC full scale (V) for a tile of ``full_scale_count``: count_FS V_DD C_c / C_total."""
        int_in_range("full_scale_count", full_scale_count, 1)
        return full_scale_count * self.step_v

    def sample_instance(self, n_arrays: int, rng: np.random.Generator, variation: bool = True) -> ChargeInstance:
        """``n_arrays`` arrays of one chip: every cell's capacitance (all C_c without variation), then
        each array's column ADCs (nominal without variation), then its latches' offsets (zero without
        variation or latches)."""
        int_in_range("n_arrays", n_arrays, 1)
        device = self.device if variation else self.device.nominal()
        capacitance = device.sample_instance(np.ones((n_arrays, self.rows, self.cols), dtype=np.int8), rng)
        adc = self.adc if variation else self.adc.nominal()
        adcs = [adc.sample_instance(adc.n_adcs(self.cols), rng) for _ in range(n_arrays)]
        offsets = (self.sense_amp.sample_instance(n_arrays * self.cols, rng).reshape(n_arrays, self.cols)
                   if variation and self.sensing == "sense_amp" else np.zeros((n_arrays, self.cols)))
        return ChargeInstance(capacitance.capacitance_f, adcs, offsets)

    def program(self, tiles: list, rng: np.random.Generator, variation: bool = True) -> list[ChargeTileState]:
        """One chip (`sample_instance`): each tile's stored bits times its cells' steps (`cell_steps`),
        folded by its encoding, its ADCs' conversion over the tile's full scale, and its columns'
        kT/C noise."""
        chip = self.sample_instance(max(tile.array_index for tile in tiles) + 1, rng, variation)
        states = []
        for tile in tiles:
            rows, cols = tile.states.shape
            steps, noise = self.cell_steps(chip.capacitance_f[tile.array_index])
            conversion = self.adc.column_conversion([chip.adcs[tile.array_index]], cols,
                                                    full_scale=tile.adc_full_scales * self.step_v)
            operands = tile_operands(tile, tile.states * steps[:rows, :cols], conversion)
            states.append(ChargeTileState(tile, operands, noise[:cols].astype(np.float32),
                                          chip.sense_offsets_v[tile.array_index, :cols]))
        return states

    def cell_steps(self, capacitance_f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One array's cells in nominal-step units, per logical row (logical rows, cols), and each
        column's kT/C noise std in those units (cols,).

        A driven cell moves its line by V_DD C_ij / C_total,j = (C_ij / C_c) (C_total / C_total,j)
        steps; the noise sqrt(kT / C_total,j) is that many volts over `step_v`. Under XNOR both
        logical rows of a cell (its two input lines) drive the same capacitor.
        """
        column_total = capacitance_f.sum(axis=0) + self.c_par_f
        steps = capacitance_f / self.device.c_c_f * (self.c_total_f / column_total)
        if self.operation == "xnor":
            steps = np.repeat(steps, 2, axis=0)
        return steps, self.device.line_noise_v(column_total) / self.step_v

    def accumulate(self, state: ChargeTileState, x: np.ndarray, out: np.ndarray,
                   rng: np.random.Generator | None = None, drives: tuple | None = None) -> None:
        """Per read: one GEMM of every array cycle's drives (stacked) with the folded cells of every column
        group, then one fused kernel converts the line voltages, decodes with each cycle's significance
        and accumulates (`ColumnADC.accumulate`); with ``rng`` (each column's kT/C noise) or latches
        (`latch_decisions`), per cycle and read, in that order of draws."""
        tile = state.tile
        stacked, significances = tile.encoding.drives(x) if drives is None else drives
        if rng is None and tile.latch is None:
            for read in state.reads:
                self.adc.accumulate(read.column_sums(stacked)[None], read.base, self.step_v, read.full_scale_counts,
                                    read.conversion, out[None], tile.outputs.start, read.groups, significances)
            return
        for plane, significance in cycle_planes(stacked, significances):
            for read in state.reads:
                signal = read.column_sums(plane)
                if rng is not None:
                    signal += state.noise_steps * read.standard_normal(rng, signal.shape[0])
                if tile.latch is not None:
                    passed = self.latch_decisions(signal + read.base, tile.latch.count_thresholds,
                                                  state.sense_offsets_v)
                    out[:, tile.outputs] += tile.latch.apply(passed)
                    continue
                self.adc.accumulate(signal[None], read.base, self.step_v, read.full_scale_counts, read.conversion,
                                    out[None], tile.outputs.start, read.groups, significance)

    def latch_decisions(self, steps: np.ndarray, count_thresholds: np.ndarray, offsets_v: np.ndarray) -> np.ndarray:
        """1-bit decisions ``count >= threshold`` (bool, (..., c)) of lines at ``steps`` (nominal-step
        units, (..., c)): each latch compares its line, steps x `step_v`, with the reference
        (threshold - 1/2) x `step_v` plus its input-referred offset (``offsets_v``, (c,))."""
        reference = (np.asarray(count_thresholds, dtype=np.float64) - 0.5) * self.step_v
        return self.sense_amp.decide(np.asarray(steps, dtype=np.float64) * self.step_v, reference, offsets_v) == 1

    def op_cost(self, tile, x: np.ndarray) -> OpCost:
        """`read_cost` of each read's raised input lines and driven capacitors, averaged over the
        inputs x, plus its row periphery (`imc.arrays.drivers.RowDrivers.op_cost`: one decode and
        input-register clock, a driver chain per raised input line), the reads one after another, once
        per array cycle (`Tile.cycles`)."""
        cost = OpCost({}, 0.0)
        c_wl_f = self.cols * self.device.c_wl_cell_f
        for read in tile.reads:
            word_lines = tile.encoding.word_lines(x[:, read])
            driven = word_lines @ tile.states[tile.read_rows(read)].astype(np.float32)
            active_rows = float(word_lines.sum(-1).mean())
            cost = (cost + self.read_cost(active_rows, driven.mean(0), tile.latch is not None)
                    + self.digital.drivers.op_cost(self.rows, 1, active_rows, c_wl_f))
        return tile.cycles * cost

    def read_cost(self, active_rows: float, driven_cells: np.ndarray, sense_amp: bool = False) -> OpCost:
        """Energy by component and latency of one operation.

        active_rows: input lines raised (mean); driven_cells: mean capacitors driven to V_DD per used
        column. ``cells``: C_c V_DD^2 per driven capacitor (`SRAM10TCap.drive_energy_j`; sharing and
        the reset to ground draw nothing from the supply); ``wordline``: C_WL V_DD^2 per raised input
        line (Rabaey et al., ch. 5); ``adc``: one conversion per used column (``sense_amp``: one latch
        decision instead). Latency: `latency_s` of the `phases_s`.
        """
        driven_cells = np.asarray(driven_cells, dtype=np.float64)
        c_wl_f = self.cols * self.device.c_wl_cell_f
        energy = {"cells": float(self.device.drive_energy_j(driven_cells.sum())),
                  "wordline": float(active_rows * c_wl_f * self.device.vdd_v ** 2)}
        if sense_amp:
            energy["sense_amp"] = float(driven_cells.size * self.sense_amp.energy_per_decision_j)
        else:
            energy["adc"] = float(driven_cells.size * self.adc.energy_per_conversion_j)
        return OpCost(energy, self.latency_s(driven_cells.size, sense_amp))

    @property
    def reset_resistance_ohm(self) -> float:
        """The input-line drivers' and reset switch's resistance at the cell's supply (Ohm):
        r_driver_ohm x `SRAM10TCap.supply_delay_ratio`."""
        return self.r_driver_ohm * self.device.supply_delay_ratio()

    @property
    def adc_delay_ratio(self) -> float:
        """The SAR's clock period at its supply ``adc.vdd_v`` over that at its reference ``adc.fom_vdd_v``
        (`alpha_power_delay_ratio` with the node's transistor, ``device.vth0_v`` and ``device.alpha``):
        ``adc.f_clk_hz`` is taken as the clock at the converter's reference supply (assumption: the
        converter names no supply for its clock)."""
        return alpha_power_delay_ratio(self.adc.vdd_v, self.adc.fom_vdd_v, self.device.vth0_v, self.device.alpha,
                                       ("adc.vdd_v", "adc.fom_vdd_v"))

    def phases_s(self, columns: int, sense_amp: bool = False) -> dict[str, float]:
        """Duration (s) of each phase of one operation converting ``columns`` columns.

        * ``load``: the input register takes the cycle's bit plane, one period of `DigitalCosts.clock_hz`;
        * ``inputs``: the input lines, 5 R_drv C_WL (R_drv = `reset_resistance_ohm`, C_WL = cols C_WL,cell);
        * ``plates``: every cell drives its plate, `SRAM10TCap.settle_time_s` (N R_on C_c);
        * ``reset``: the compute line to ground through its reset switch, N R_drv C_total;
        * ``share``: the charge sharing, `SRAM10TCap.settle_time_s` (the star's slowest mode, R_on C_c);
        * ``convert``: the column ADCs, (bits + 1) SAR cycles per converter's columns
          (`ColumnADC.array_conversion_time_s`) x `adc_delay_ratio` -- or one latch decision
          (`SenseAmp.latency_s`) with ``sense_amp``.

        N = ln(2^(bits + 1)) of ``adc.bits`` (a latch resolves the same counts).
        """
        int_in_range("columns", columns, 1)
        settle = self.device.settle_time_s(self.adc.bits)
        c_wl_f = self.cols * self.device.c_wl_cell_f
        convert = (self.sense_amp.latency_s if sense_amp
                   else self.adc.array_conversion_time_s(columns) * self.adc_delay_ratio)
        return {"load": 1.0 / self.digital.clock_hz,
                "inputs": SETTLE_TIME_CONSTANTS * self.reset_resistance_ohm * c_wl_f,
                "plates": settle,
                "reset": settle_time_constants(self.adc.bits) * self.reset_resistance_ohm * self.c_total_f,
                "share": settle,
                "convert": convert}

    def latency_s(self, columns: int, sense_amp: bool = False) -> float:
        """One operation (s): the reset alongside the load, input lines and plates, then the sharing,
        then the conversion, max(reset, load + inputs + plates) + share + convert (`phases_s`)."""
        t = self.phases_s(columns, sense_amp)
        return max(t["reset"], t["load"] + t["inputs"] + t["plates"]) + t["share"] + t["convert"]

    def area_m2(self) -> float:
        """Cells (their capacitors above them), column ADCs and the near-memory datapath
        (``datapath_area_m2``) (m^2); drivers are not modelled apart from the cells (a measured
        bit-cell area per bit may include them)."""
        return (self.rows * self.cols * self.device.cell_area_m2 + self.adc.array_cost(self.cols).area_m2
                + self.datapath_area_m2)

    def leakage_power_w(self) -> float:
        """rows x cols x I_leak x V_DD of the cells' 6T cores (`SRAMBitCell.leakage_current_a` at the
        nominal threshold; the compute transistors' leakage is left out: a lower bound), plus the row
        periphery's standby power (`imc.arrays.drivers.RowDrivers.leakage_power_w`) and the column
        ADCs' (`ColumnADC.array_leakage_power_w` at the periphery's off current per width)."""
        drivers = self.digital.drivers
        cells_w = self.rows * self.cols * self.device.leakage_current_a(np.zeros(1))[0] * self.device.vdd_v
        return float(cells_w + drivers.leakage_power_w(self.rows, self.cols * self.device.c_wl_cell_f)
                     + self.adc.array_leakage_power_w(self.cols, drivers.i_off_a_per_m))

    def design_summary(self) -> str:
        attenuation = self.rows * self.device.c_c_f / self.c_total_f
        return (f"charge-domain {self.operation.upper()}, C_c {self.device.c_c_f * 1e15:.2f} fF, "
                f"sharing gain {attenuation:.2f}, {self.adc.bits}-bit column ADCs"
                f"{', latches on single-tile sign layers' if self.sensing == 'sense_amp' else ''}")
