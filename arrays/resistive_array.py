"""A crossbar of conductance cells (RRAM, PCM, FeFET, STT-MRAM or skyrmion MTJs) summing currents on its columns.

Row i is driven with an input-dependent voltage, every cell sources I = f(G_ij, V_i) into its
column held at virtual ground, and a transimpedance stage plus column ADC digitises the column
current (Ohm's and Kirchhoff's laws computing a matrix-vector product: Hu et al., "Dot-product
engine for neuromorphic computing", DAC 2016; Shafiee et al., "ISAAC", ISCA 2016). Cells store
integer states 0..L-1 as evenly spaced conductances G_l = G_min + l dG; a reference column of
level-0 cells is subtracted in the analog domain, so a column reports sum_i x_i s_ij in units of
the nominal level step (the reference-column scheme of ISAAC and PRIME).

Input schemes (k-bit unsigned input codes x):
* ``bit_serial``: k cycles, cycle b drives the rows whose bit b is 1 at V_read; the digital
  periphery shifts and adds the k converted partial sums (ISAAC, Sec. IV);
* ``amplitude``: one cycle, row voltage x V_read / (2^k - 1) from a word-line DAC; the cell
  current follows the device's I-V, so a non-linear cell makes the product inexact (summed over
  the input levels: one GEMM per level, the level decomposition of ARCHITECTURE.md);
* ``pulse_width``: one window of 2^k - 1 unit pulses, row i on for x_i units at V_read; the
  integrated charge is linear in x.
With every non-ideality off (no variation or read noise, linear cells, no wire resistance,
an ADC with 2^bits - 1 >= the largest column count) the array returns the exact integer product.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from imc.arrays import _kernels_resistive as kernels
from imc.arrays._kernels_levels import level_drives
from imc.arrays._kernels_converters import threshold_lookup
from imc.arrays.converters import ADCInstance, ColumnADC, InputScheme, array_cycles, input_cost
from imc.arrays.ir_drop import CrossbarWires, solve_fast, transfer_matrix
from imc.arrays.periphery import DigitalCosts
from imc.arrays.base import (ARRAYS, Array, ArrayGeometry, Conditions, OpCost, ReadOperands, cycle_planes,
                             level_basis, linear_partial_sums, tile_operands)
from imc.devices import Device
from imc.devices.rram import RRAM
from imc.errors import in_range, int_in_range, plausible, positive, require

SCHEMES = tuple(s.value for s in InputScheme if s is not InputScheme.BINARY)
# The wires' transfer matrix of a programmed tile is solved to 1e-7 V per driven volt, below the rounding of
# the float32 weights it becomes (6e-8 relative; its error is ~2e-9 of the largest current): 3 line-relaxation
# sweeps per row where the solver's default 1e-10 takes 4.
TRANSFER_TOL = 1e-7
BLOCK_VALUES = 2 ** 17  # drive values per GEMM block (512 KiB of float32): small buffers, reused and cache-resident


@dataclass(frozen=True, eq=False)
class ResistiveInstance:
    """Static state of one chip's array: the device instance of the data cells and the
    reference column, and the column ADCs."""

    cells: object
    reference: object
    adcs: ADCInstance


@dataclass(frozen=True, eq=False)
class ResistiveTileState:
    """One tile on one chip: the programmed cells and reference column (``instance``) and the
    operands of its reads and column groups (`ReadOperands`, signals in counts; with read noise,
    each column's read-noise variance in counts^2 folded the same way, None for noiseless reads)."""

    tile: object
    instance: ResistiveInstance
    reads: tuple[ReadOperands, ...]


@ARRAYS.register("resistive")
@dataclass(frozen=True)
class ResistiveArray(Array):
    """``rows`` x ``cols`` conductance cells plus one reference column, drivers and column ADCs.

    ``device``: any conductance device with ``level_conductances_s`` and ``read`` in siemens
    and, for the non-linear I-V, ``current_a(G, V)`` (RRAM; a skyrmion racetrack read through
    its MTJ also fits). ``wires``: None for ideal wires, else the IR-drop network, solved once per
    `matvec` call or programmed tile for every row (`imc.arrays.ir_drop.transfer_matrix`), each cell in
    it the resistor that carries its no-wire current at its drive voltage (its chord conductance: the
    device's I-V and access transistor; a programmed amplitude tile's levels each at their own voltage,
    `matvec`'s amplitude codes all at one DAC step), in series with the wires' ``r_access_ohm`` (0 in the wires
    that `under` sets for ``ir_drop``: `CrossbarWires` at 65 nm without an access resistance of their own).
    ``c_wl_cell_f`` = 0.2 fF word-line capacitance per 1T1R cell (gate of the access transistor
    plus a 12F-wide wire segment at 65 nm: engineering assumption), ``t_read_s``: one evaluation
    cycle (default the device's read pulse). Cell area ``cell_area_m2`` = ``cell_area_f2`` F^2 with F =
    ``feature_m``, the array's node: 48 F^2 for a 1T1R cell (12F x 4F, the NeuroSim 1T1R layout: Chen,
    Peng & Yu, IEEE TCAD 2018) at 65 nm by default; the ADCs and the row periphery take their node from
    ``adc.node_m`` and ``digital.drivers`` (set them together).
    """

    rows: int = 128
    cols: int = 128
    device: Device = field(default_factory=RRAM)
    input_scheme: str = "bit_serial"
    input_bits: int = 4
    adc: ColumnADC = field(default_factory=ColumnADC)
    wires: CrossbarWires | None = None
    ohmic: bool = False
    c_wl_cell_f: float = 0.2e-15
    cell_area_f2: float = 48.0
    feature_m: float = 65e-9
    digital: DigitalCosts = field(default_factory=DigitalCosts)

    cell_kinds = ("rram", "skyrmion", "pcm", "fefet", "stt_mram")
    has_wires = True

    def __post_init__(self) -> None:
        plausible(self)
        require("device", type(self.device).__name__, getattr(self.device, "key", None) in self.cell_kinds,
                f"a resistive crossbar holds conductance cells: {list(self.cell_kinds)}")
        int_in_range("rows", self.rows, 1, 4096)
        int_in_range("cols", self.cols, 1, 4096)
        require("input_scheme", self.input_scheme, self.input_scheme in SCHEMES, f"allowed: {SCHEMES}")
        int_in_range("input_bits", self.input_bits, 1, 16)
        positive("c_wl_cell_f", self.c_wl_cell_f)
        positive("cell_area_f2", self.cell_area_f2)
        in_range("feature_m", self.feature_m, 2e-9, 10e-6, "CMOS process nodes are 2 nm to 10 um")
        require("ohmic", self.ohmic, not self.ohmic or getattr(self.device, "level_spacing", "conductance") == "conductance",
                "Ohm's-law cells (ohmic = true) need levels evenly spaced in conductance: set "
                "device.level_spacing = 'conductance' (the device spaces them in its non-linear read current)")
        levels = self.level_conductances_s
        require("device", "level_conductances_s", levels.size >= 2 and bool(np.all(np.diff(levels) > 0)),
                "levels must be at least two ascending conductances")

    def ignored_fields(self) -> dict[str, str]:
        """Fields without effect in this design (field -> why), which a loaded config warns about."""
        return {"adc.full_scale": "the array sets its ADCs' full scale to the layer's full-scale count "
                                  "([mapping] adc_range)"}

    @property
    def level_conductances_s(self) -> np.ndarray:
        """The device's nominal conductance of each stored state (S)."""
        levels = self.device.level_conductances_s
        return np.asarray(levels() if callable(levels) else levels, dtype=np.float64)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell (m^2): cell_area_f2 x feature_m^2."""
        return self.cell_area_f2 * self.feature_m ** 2

    @property
    def v_read_v(self) -> float:
        return float(self.device.v_read_v)

    @property
    def t_read_s(self) -> float:
        return float(self.device.t_read_s)

    def geometry(self) -> ArrayGeometry:
        """``rows`` word lines, ``cols`` bit lines (the analog reference column comes on top), cells
        of the device's levels; bit-serial inputs (1-bit drives at V_read: every driver gives them)
        and the configured ``input_scheme`` of up to ``input_bits`` bits; column ADCs; both sign
        encodings and every multi-bit weight encoding over the device's levels, balanced pairs included
        (their column currents subtracted before a bipolar ADC)."""
        schemes = tuple(dict.fromkeys(("bit_serial", self.input_scheme)))
        return ArrayGeometry(self.rows, self.cols, self.device.levels, schemes, ("adc",), ("xnor", "offset"),
                             ("offset", "differential", "balanced", "twos_complement"), self.input_bits)

    @property
    def binary_level(self) -> int:
        """The cell state of a stored 1 in a 1-bit tile: the top level (largest read margin over the
        level-0 reference)."""
        return self.device.levels - 1

    def binary_unit_steps(self) -> float:
        """Signal (level steps at V_read) of one nominal stored 1 over the reference: the count unit of
        1-bit tiles. Levels - 1 for Ohmic cells; less through a saturating I-V (e.g. 13.26 for the
        default 1T1R RRAM, whose access transistor costs its top level 11.6 % of its current), which
        the read-out is calibrated for, so a nominal column reports whole counts."""
        g = self.level_conductances_s[[0, self.binary_level]]
        current = self._cell_current(g, self.v_read_v)
        return float(current[1] - current[0]) / self._level_step_current(self.v_read_v)

    def under(self, conditions: Conditions) -> "ResistiveArray":
        """Faults as the conditions have them; wires only when ``ir_drop`` is on: the array's own, else
        `CrossbarWires` of a 1T1R array at 65 nm with no access resistance of their own (the cells'
        chord conductance holds the device's access transistor: `_network_conductance`)."""
        array = super().under(conditions)
        wires = (array.wires or CrossbarWires(r_access_ohm=0.0)) if conditions.ir_drop else None
        return replace(array, wires=wires)

    def program(self, tiles: list, rng: np.random.Generator, variation: bool = True) -> list[ResistiveTileState]:
        """Each tile written with write-verify into its own array plus reference column
        (`sample_instance`), in tile order: a binary tile's 1-bit states as levels 0 / `binary_level`,
        a sliced tile's codes as their levels."""
        return [self._tile_state(tile, self.sample_instance(self._levels_of(tile), rng, variation)) for tile in tiles]

    def _levels_of(self, tile) -> np.ndarray:
        levels = tile.states.astype(np.int64)
        return levels if tile.sliced else levels * self.binary_level

    def age(self, states: list[ResistiveTileState], elapsed_s: float,
            rng: np.random.Generator) -> list[ResistiveTileState]:
        """Every tile's cells after ``elapsed_s`` of the device's time effects (`age_instance`)."""
        if elapsed_s == 0:
            return states
        return [self._tile_state(state.tile, self.age_instance(state.instance, elapsed_s, rng)) for state in states]

    def _tile_state(self, tile, instance: ResistiveInstance) -> ResistiveTileState:
        """The folded operands of a programmed tile: each cell's noiseless signal in counts per unit
        drive (level steps of a sliced tile; level steps / `binary_unit_steps` of a binary one;
        through the wires when set) at each of its `_drive_volts`, and the read-noise variance; a paired
        tile's per converted column, each pair's positive less its negative column (the level-0 reference
        cancels) with the variances of both and no reference noise, converted by bipolar ADCs."""
        conductance = np.concatenate([self.device.read(instance.cells), self.device.read(instance.reference)], axis=1)
        scale = 1.0 if tile.sliced else 1.0 / self.binary_unit_steps()
        step_v, volts = self._drive_volts(tile)
        cells = np.stack([self._weights(conductance, v, step_v) for v in volts]) * np.float32(scale)
        cells = tile.pair_difference(cells)
        variance = None
        sigma_cells, sigma_reference = self.device.read_std(instance.cells), self.device.read_std(instance.reference)
        if sigma_cells is not None and (sigma_cells.any() or sigma_reference.any()):  # noiseless reads: none
            sigma = np.concatenate([sigma_cells, sigma_reference], axis=1) * scale / self._level_step_current(step_v)
            slopes = np.stack([self._current_slope(conductance, v) * sigma for v in volts])
            cell_variance = slopes[..., :-1] ** 2
            variance = (cell_variance[..., 0::2] + cell_variance[..., 1::2] if tile.paired  # both columns of a pair
                        else cell_variance + slopes[..., -1:] ** 2).astype(np.float32)  # each column less the reference
        if len(volts) == 1:
            cells, variance = cells[0], None if variance is None else variance[0]
        conversion = self.adc.column_conversion([instance.adcs], tile.converted_columns,
                                                full_scale=tile.adc_full_scales, bipolar=tile.paired)
        return ResistiveTileState(tile, instance, tile_operands(tile, cells, conversion, variance,
                                                                (1.0, self.adc.top_code)))

    def _drive_volts(self, tile) -> tuple[float, list[float]]:
        """(V of one unit drive, the row voltages whose cell responses the tile's reads need).

        Binary and bit-serial drives and pulse widths (x unit pulses at V_read, the charge linear in
        x) raise rows to V_read; amplitude codes c sit at c V_read / (2^K - 1) (K = ``input_bits``,
        the DAC's): Ohmic cells respond in proportion, one voltage; non-linear cells need each code's
        own response, level-decomposed (`imc.arrays.base.ReadOperands.levels`).
        """
        scheme = tile.encoding.scheme if tile.sliced else "bit_serial"
        if scheme == "pulse_width":
            require("wires", self.wires, self.wires is None,
                    "pulse-width inputs are simulated with ideal wires only (the IR drop changes as pulses end)")
        if scheme != "amplitude":
            return self.v_read_v, [self.v_read_v]
        step_v = self.v_read_v / (2 ** self.input_bits - 1)
        if self.linear_cells:
            return step_v, [step_v]
        return step_v, [code * step_v for code in range(1, tile.encoding.steps + 1)]

    def _current_slope(self, conductance: np.ndarray, volts: float) -> np.ndarray:
        """dI/dG (A/S = V) of every cell at ``volts``: the voltage for Ohmic cells, else the device's
        closed form (`imc.devices.RRAM.current_slope_v`: the first-order response of the current to a
        conductance fluctuation)."""
        if self.linear_cells:
            return np.full(conductance.shape, volts)
        return self.device.current_slope_v(conductance, volts)

    def accumulate(self, state: ResistiveTileState, x: np.ndarray, out: np.ndarray,
                   rng: np.random.Generator | None = None, drives: tuple | None = None) -> None:
        """One GEMM of the drives with the folded cells; with ``rng``, each read's noise: every input
        is its own read, and a column's noise, a sum of independent per-cell Gaussians, is drawn as one
        Gaussian of the summed variance (a second GEMM) -- exact in distribution for Gaussian cell
        noise on linear cells, first order through a non-linear I-V (the wires' effect on the noise is
        neglected); a drive of x unit steps (pulse widths, Ohmic amplitudes) scales a cell's noise by x,
        one conductance fluctuation held for the read, so its variance weighs x^2. Then one fused
        kernel converts, decodes with each array cycle's significance and accumulates
        (`ColumnADC.accumulate`): per read, every cycle (input plane) and column group in one GEMM of the
        stacked drives and one kernel call; with noise, per cycle and read, in that order of draws -- or,
        when every read's counts pass the read-out unchanged (`ReadOperands.linear`: nominal cells,
        transparent ADCs), the cycles collapsed into one integer product (`linear_partial_sums`)."""
        tile = state.tile
        noisy = rng is not None and any(read.variance is not None for read in state.reads)
        if not noisy and all(read.linear for read in state.reads):
            linear_partial_sums(state.reads, tile, x, out)
            return
        stacked, significances = tile.encoding.drives(x) if drives is None else drives
        if not noisy:
            for read in state.reads:
                self.adc.accumulate(read.column_sums(stacked)[None], read.base, 1.0, read.full_scale_counts,
                                    read.conversion, out[None], tile.outputs.start, read.groups, significances)
            return
        for plane, significance in cycle_planes(stacked, significances):
            for read in state.reads:
                signal = read.column_sums(plane)
                if read.variance is not None:
                    read.add_noise(rng, signal, read.noise_power(plane, squared=tile.encoding.steps > 1))
                self.adc.accumulate(signal[None], read.base, 1.0, read.full_scale_counts, read.conversion,
                                    out[None], tile.outputs.start, read.groups, significance)

    def reads_draw_noise(self, states: list) -> bool:
        """Whether any read of the tiles folded a read-noise variance (`accumulate` draws only for those)."""
        return any(read.variance is not None for state in states for read in state.reads)

    def design_summary(self) -> str:
        wires = "IR drop" if self.wires is not None else "ideal wires"
        return f"V_read {self.v_read_v:.2f} V, {self.adc.bits}-bit column ADCs, {wires}"

    def op_cost(self, tile, x: np.ndarray) -> OpCost:
        """`read_cost` of each read's drives at the mean nominal conductance of the tile's cells, the
        reads one after another, once per array cycle (`Tile.cycles`): 1-bit word-line drives of
        binary and bit-serial tiles, the codes themselves through the array's DAC (its K-bit steps) or
        pulse generator (a window of 2^k - 1 unit pulses for the layer's k-bit codes) for amplitude
        and pulse-width tiles. Plus the row periphery (`imc.arrays.drivers.RowDrivers.op_cost`): a
        decode and input-register clock per evaluation, a driver chain per word-line pulse (each set
        bit of a bit-serial code, each non-zero code otherwise)."""
        conductance = float(self.level_conductances_s[self._levels_of(tile)].mean())
        scheme = tile.encoding.scheme if tile.sliced else "bit_serial"
        bits = 1 if scheme == "bit_serial" else tile.encoding.input_bits if scheme == "pulse_width" else self.input_bits
        driver = replace(self, input_scheme=scheme if tile.sliced else self.input_scheme, input_bits=bits)
        evaluations = array_cycles(driver.input_scheme, bits)
        cost = OpCost({}, 0.0)
        for read in tile.reads:
            codes = tile.encoding.word_lines(x[:, read]).astype(np.int64)
            pulses = (sum(((codes >> b) & 1).sum(1).mean() for b in range(bits)) if evaluations > 1
                      else (codes != 0).sum(1).mean())
            cost = (cost + driver.read_cost(codes, conductance, tile.states.shape[1], tile.paired)
                    + self.digital.drivers.op_cost(self.rows, evaluations, float(pulses), self.cols * self.c_wl_cell_f))
        return tile.cycles * cost

    def full_scale_count(self, rows: int | None = None) -> int:
        """Largest column count of one conversion: every row at its largest input step and state."""
        per_cycle = 1 if self.input_scheme == "bit_serial" else 2 ** self.input_bits - 1
        return (rows or self.rows) * (self.device.levels - 1) * per_cycle

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator,
                        variation: bool = True) -> ResistiveInstance:
        """Program ``states`` (r <= rows, c <= cols) into one chip's array (static: the device's
        device-to-device variation and faults, and the ADCs' offsets), plus a reference column."""
        states = np.asarray(states)
        require("states", states.shape, states.ndim == 2 and states.shape[0] <= self.rows
                and states.shape[1] <= self.cols, f"must be a matrix of at most {self.rows} x {self.cols}")
        device = self.device if variation else self.device.nominal()
        adc = self.adc if variation else self.adc.nominal()
        cells = device.sample_instance(states, rng)
        reference = device.sample_instance(np.zeros((states.shape[0], 1), dtype=states.dtype), rng)
        return ResistiveInstance(cells, reference, adc.sample_instance(adc.n_adcs(states.shape[1] + 1), rng))

    def matvec(self, instance: ResistiveInstance, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Integer products sum_i x_i s_ij (batch, c) as the array reports them.

        x: (batch, r) unsigned input codes below 2^input_bits. ``rng`` draws the dynamic read
        noise (None: noiseless reads): one read of every cell per call, seen by all its cycles.
        Every cycle's column signals come from float32 GEMMs of the stacked cycles' drives
        (`_drive`) with the cells' signals in nominal level steps (`_stacked_weights`), a block of
        inputs at a time (`BLOCK_VALUES`); each cycle is converted by the column ADCs and the
        counts shifted and added (`_convert`).
        """
        x = np.asarray(x)
        rows = instance.cells.states.shape[0]
        require("x", x.shape, x.ndim == 2 and x.shape[1] == rows, f"must be (batch, {rows})")
        low, high = x.min(initial=0), x.max(initial=0)
        require("x", (int(low), int(high)), np.issubdtype(x.dtype, np.integer) and low >= 0
                and high < 2 ** self.input_bits,
                f"input codes must be integers in [0, {2 ** self.input_bits - 1}] for input_bits = {self.input_bits}")
        conductance = np.concatenate([self.device.read(instance.cells, rng),
                                      self.device.read(instance.reference, rng)], axis=1)
        if self.input_scheme == "pulse_width":
            require("wires", self.wires, self.wires is None,
                    "pulse-width inputs are simulated with ideal wires only (the IR drop changes as pulses end)")
        cycles = array_cycles(self.input_scheme, self.input_bits)
        volts = self.v_read_v / (2 ** self.input_bits - 1) if self.input_scheme == "amplitude" else self.v_read_v
        full_scale = self.full_scale_count(rows)
        batch, cols = x.shape[0], conductance.shape[1] - 1
        total = np.zeros((batch, cols), dtype=np.int64)
        if self.wires is not None and cycles * batch < rows:  # fewer drives than rows: solve each drive's network
            drive = self._drive(x, None, np.empty((cycles * batch, rows)))
            signal = self._in_level_steps(solve_fast(self._network_conductance(conductance, volts), drive * volts,
                                                     self.wires), volts)
            self._convert(signal, cycles, instance.adcs, full_scale, total)
            return total
        codes = None
        if self.input_scheme == "amplitude" and self.wires is None and not self.linear_cells:
            codes = np.flatnonzero(np.bincount(x.ravel().astype(np.int64), minlength=1)[1:]) + 1  # present codes > 0
        weights, table = self._stacked_weights(conductance, volts, codes)
        if self._cycles_collapse(weights, instance.adcs, full_scale):
            dtype = np.float32 if rows * (2 ** self.input_bits - 1) * (self.device.levels - 1) < 2 ** 24 else np.float64
            return np.rint(x.astype(dtype) @ weights.astype(dtype)).astype(np.int64)
        block = max(1, BLOCK_VALUES // (cycles * max(1, weights.shape[0])))
        drive = np.empty((cycles * min(block, batch), weights.shape[0]), dtype=np.float32)
        signal = np.empty((drive.shape[0], cols), dtype=np.float32)
        for start in range(0, batch, block):
            x_block = x[start:start + block]
            n = cycles * x_block.shape[0]
            np.matmul(self._drive(x_block, table, drive[:n]), weights, out=signal[:n])
            self._convert(signal[:n], cycles, instance.adcs, full_scale, total[start:start + x_block.shape[0]])
        return total

    def age_instance(self, instance: ResistiveInstance, elapsed_s: float, rng: np.random.Generator | None = None):
        """The chip after ``elapsed_s`` seconds of the device's time effects (e.g. RRAM drift)."""
        return ResistiveInstance(self.device.age(instance.cells, elapsed_s, rng),
                                 self.device.age(instance.reference, elapsed_s, rng), instance.adcs)

    def _cycles_collapse(self, weights: np.ndarray, adcs: ADCInstance, full_scale: int) -> bool:
        """Whether the bit-serial cycles are mathematically one product, x @ weights: every cell adds
        a whole number of level steps in [0, levels - 1] (so each cycle's column value is a whole
        count within full scale) and the ADCs return whole counts unchanged (no offset, gain error
        or threshold table, 2^bits - 1 >= full scale). Then the shift-and-add of the k converted
        cycles equals one GEMM (ARCHITECTURE.md, performance design)."""
        return (self.input_scheme == "bit_serial" and adcs.thresholds_lsb is None and not adcs.offset_lsb.any()
                and not adcs.gain_rel.any() and self.adc.top_code >= full_scale
                and weights.min(initial=0) >= 0 and weights.max(initial=0) <= self.device.levels - 1
                and np.array_equal(weights, np.rint(weights)))

    @property
    def linear_cells(self) -> bool:
        """Whether the cell current is G V (Ohm's law) rather than the device's non-linear I-V."""
        return self.ohmic or not hasattr(self.device, "current_a")

    def _cell_current(self, conductance: np.ndarray, volts: float) -> np.ndarray:
        """Cell currents (A) at row voltage ``volts``: Ohm's law, or the device's non-linear I-V."""
        if self.linear_cells:
            return conductance * volts
        return self.device.current_a(conductance, volts)

    def _level_step_current(self, step_v: float) -> float:
        """Current (A) of one nominal level step at ``step_v``: I(G_1) - I(G_0)."""
        g0, g1 = self.level_conductances_s[:2]
        step = self._cell_current(np.array([g0, g1]), step_v)
        return float(step[1] - step[0])

    def _in_level_steps(self, currents: np.ndarray, step_v: float) -> np.ndarray:
        """Column currents (..., c + 1) less the reference column's, over the nominal level step's
        current at ``step_v``: (..., c) in level steps."""
        return (currents[..., :-1] - currents[..., -1:]) / self._level_step_current(step_v)

    def _weights(self, conductance: np.ndarray, volts: float, step_v: float) -> np.ndarray:
        """Signal (level steps at ``step_v``) each cell adds to its column when its row sits at
        ``volts``, reference subtracted: float32 (r, c), so a batch of drives is one GEMM.

        With wires, a column's current is linear in the row voltages and row i's column is row i
        of `imc.arrays.ir_drop.transfer_matrix` (superposition) of the cells' `_network_conductance`.
        """
        if self.wires is not None:
            network = self._network_conductance(conductance, volts)
            response = transfer_matrix(network, self.wires, tol=TRANSFER_TOL) * volts
        else:
            response = self._cell_current(conductance, volts)
        return self._in_level_steps(response, step_v).astype(np.float32)

    def _network_conductance(self, conductance: np.ndarray, volts: float) -> np.ndarray:
        """Each cell as a resistor of the wire network (S): its chord conductance I(G, volts) / volts, the
        current the cell carries at ``volts`` without wires (the device's non-linear I-V with its access
        transistor; G for Ohmic cells), so that wires of vanishing resistance give back exactly the
        no-wire currents; the network is linearised about that voltage, off by the I-V's curvature over
        the few mV the wires drop (superposition needs linear elements). The wires' ``r_access_ohm`` adds
        in series (0 in the wires `under` gives: the device's access transistor is already in its I-V)."""
        return self._cell_current(conductance, volts) / volts

    def _stacked_weights(self, conductance: np.ndarray, volts: float,
                         codes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """(Right-hand GEMM operand, float32; the level table of its drives or None): `_weights` at
        ``volts`` (r, c), or with ``codes`` (a non-linear cell at amplitude codes) the cells' responses
        at each code's voltage code * volts as drive functions of the code times per-cell coefficients
        (`imc.arrays.base.level_basis`): coefficients (k * r, c) and the functions' values at every
        code, (2^input_bits, k) (zero at code 0 and at codes not present)."""
        if codes is None:
            return self._weights(conductance, volts, volts), None
        cols = conductance.shape[1] - 1
        if not codes.size:  # every input at code 0: no cell current
            return np.empty((0, cols), dtype=np.float32), np.zeros((2 ** self.input_bits, 0), dtype=np.float32)
        responses = np.stack([self._weights(conductance, code * volts, volts) for code in codes])
        present, coefficients = level_basis(responses)
        table = np.zeros((2 ** self.input_bits, present.shape[1]), dtype=np.float32)
        table[codes] = present[1:]
        return coefficients.reshape(-1, cols), table

    def _drive(self, x: np.ndarray, table: np.ndarray | None, out: np.ndarray) -> np.ndarray:
        """Left-hand GEMM operand of inputs x (n, r), written into ``out``: bit-serial, the bit
        planes (bits * n, r), each row at V_read or 0; else the codes themselves (n, r), pulse
        widths in unit pulses or amplitudes in DAC steps; with a level ``table`` (a non-linear cell
        at amplitude codes), the drive functions of each code, (n, k * r) (`_kernels_levels.level_drives`).

        The column signals are linear in this drive (linear cells, or wires: the network is
        linear; drive functions: the level decomposition, within `level_basis`'s bound), so one GEMM
        gives them, exact in float32 for integer signals below 2^24.
        """
        if self.input_scheme == "bit_serial":
            return kernels.bit_planes(x, self.input_bits, out)
        if table is None:
            out[:] = x
            return out
        level_drives(x, 0, x.shape[1], table, out)  # x: codes in range, checked by matvec
        return out

    def _convert(self, signal: np.ndarray, cycles: int, adcs: ADCInstance, full_scale_count: int,
                 out: np.ndarray) -> None:
        """Column signals (cycles * batch, c) in level steps -> ADC codes -> counts in level steps,
        cycle b shifted by b bits, added to ``out`` (batch, c) int64. The transfer of
        `ColumnADC.convert` with full scale ``full_scale_count`` (`_kernels_resistive.convert_shift_add`)."""
        cols = signal.shape[1]
        if adcs.thresholds_lsb is None:
            thresholds = np.empty((adcs.n_adcs, 0))
        else:
            thresholds = adcs.thresholds_lsb
            require("instance", thresholds.shape, thresholds.shape[1] == self.adc.top_code,
                    f"must hold {self.adc.top_code} thresholds per ADC for {self.adc.bits} bits")
        not_finite = kernels.convert_shift_add(
            np.ascontiguousarray(signal), cycles, self.adc._adc_of_columns(cols, adcs.n_adcs, None),
            self.adc.lsb(full_scale_count) / (1.0 + adcs.gain_rel), adcs.offset_lsb, thresholds,
            threshold_lookup(thresholds),
            float(self.adc.top_code), full_scale_count / self.adc.top_code, out)
        require("x", f"{not_finite} NaN/inf values", not_finite == 0, "column values must be finite")

    def read_cost(self, x: np.ndarray, mean_conductance_s: float, used_cols: int, paired: bool = False) -> OpCost:
        """Energy by component and latency of one input vector, averaged over the inputs ``x`` (batch, r).

        Components: ``cells`` V^2 G t of every conducting cell-cycle (Joule heating of the cells
        at the mean conductance, the data and reference columns); ``drivers`` from
        `imc.arrays.input_cost` (word lines, DACs or pulses, bit-serial shift-and-add of every converted
        column); ``adc`` one conversion per used column and the reference per cycle -- or, ``paired``
        (balanced pairs subtracted before the converter), one per pair: a differential-input SAR costs
        what the survey's converters, differential SARs among them, cost per conversion (`ColumnADC`).
        Latency: applying the inputs plus converting the columns each cycle.
        """
        x = np.asarray(x, dtype=np.int64)
        rows, bits, cycles = x.shape[1], self.input_bits, array_cycles(self.input_scheme, self.input_bits)
        scheme = InputScheme.BINARY.value if bits == 1 else self.input_scheme  # 1 bit: one pulse at V_read
        ones = sum(((x >> b) & 1).sum(1).mean() for b in range(bits))
        v_unit = self.v_read_v / (2 ** bits - 1)
        cell_time_v2 = {"pulse_width": x.sum(1).mean() * self.v_read_v ** 2 * self.t_read_s,
                        "amplitude": ((x * v_unit) ** 2).sum(1).mean() * self.t_read_s,
                        }.get(scheme, ones * self.v_read_v ** 2 * self.t_read_s)
        width = int(np.ceil(np.log2(self.full_scale_count(rows) * 2 ** bits + 1)))
        converted = used_cols // 2 if paired else used_cols
        conversions = converted if paired else used_cols + 1
        shift_add = converted * width * self.digital.add_energy_per_bit_j if scheme == "bit_serial" else None
        drivers, t_inputs = input_cost(scheme, bits, rows, self.cols * self.c_wl_cell_f, self.v_read_v,
                                       self.t_read_s, p_one=float(ones / (rows * bits)), e_shift_add_j=shift_add)
        energy = {"cells": float((used_cols + 1) * mean_conductance_s * cell_time_v2),
                  "drivers": float(drivers),
                  "adc": cycles * conversions * self.adc.energy_per_conversion_j}
        return OpCost(energy, t_inputs + cycles * self.adc.array_conversion_time_s(conversions))

    def leakage_power_w(self) -> float:
        """Standby power of the row periphery (`imc.arrays.drivers.RowDrivers.leakage_power_w`) and of the
        column ADCs, reference column's included (`ColumnADC.array_leakage_power_w` at the periphery's off
        current per width); the non-volatile cells hold their state unpowered."""
        drivers = self.digital.drivers
        return (drivers.leakage_power_w(self.rows, self.cols * self.c_wl_cell_f)
                + self.adc.array_leakage_power_w(self.cols + 1, drivers.i_off_a_per_m))

    def area_m2(self) -> float:
        """Cells with the reference column (`cell_area_m2`), their column ADCs (`ColumnADC.area_per_adc_m2`
        at the converter's node) and the row periphery (`imc.arrays.drivers.RowDrivers.area_m2`) (m^2)."""
        return (self.rows * (self.cols + 1) * self.cell_area_m2 + self.adc.array_cost(self.cols + 1).area_m2
                + self.digital.drivers.area_m2(self.rows, self.cols * self.c_wl_cell_f))

