"""A crossbar of conductance cells (RRAM, or skyrmion MTJs) summing currents on its columns.

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

from dataclasses import dataclass, field

import numpy as np

from imc.arrays.converters import ADCInstance, ColumnADC, InputScheme, array_cycles, input_cost
from imc.arrays.ir_drop import CrossbarWires, solve_fast
from imc.arrays.periphery import DigitalCosts
from imc.arrays.sram_array import OpCost
from imc.devices.rram import RRAM
from imc.devices.validation import int_in_range, positive, require

SCHEMES = tuple(s.value for s in InputScheme if s is not InputScheme.BINARY)


@dataclass(frozen=True, eq=False)
class ResistiveInstance:
    """Static state of one chip's array: the device instance of the data cells and the
    reference column, and the column ADCs."""

    cells: object
    reference: object
    adcs: ADCInstance


@dataclass(frozen=True)
class ResistiveArray:
    """``rows`` x ``cols`` conductance cells plus one reference column, drivers and column ADCs.

    ``device``: any conductance device with ``level_conductances_s`` and ``read`` in siemens
    and, for the non-linear I-V, ``current_a(G, V)`` (RRAM; a skyrmion racetrack read through
    its MTJ also fits). ``wires``: None for ideal wires, else the IR-drop network solved per
    cycle by `imc.arrays.solve_fast` (linear cells). ``c_wl_cell_f`` = 0.2 fF word-line
    capacitance per 1T1R cell (gate of the access transistor plus a 12F-wide wire segment at
    65 nm: engineering assumption), ``t_read_s``: one evaluation cycle (default the device's
    read pulse), ``cell_area_m2`` = 48 F^2 at F = 65 nm for a 1T1R cell (12F x 4F, the
    NeuroSim 1T1R layout: Chen, Peng & Yu, IEEE TCAD 2018).
    """

    rows: int = 128
    cols: int = 128
    device: RRAM = field(default_factory=RRAM)
    input_scheme: str = "bit_serial"
    input_bits: int = 4
    adc: ColumnADC = field(default_factory=ColumnADC)
    wires: CrossbarWires | None = None
    ohmic: bool = False
    c_wl_cell_f: float = 0.2e-15
    cell_area_m2: float = 48 * 65e-9 ** 2
    digital: DigitalCosts = field(default_factory=DigitalCosts)

    def __post_init__(self) -> None:
        int_in_range("rows", self.rows, 1, 4096)
        int_in_range("cols", self.cols, 1, 4096)
        require("input_scheme", self.input_scheme, self.input_scheme in SCHEMES, f"allowed: {SCHEMES}")
        int_in_range("input_bits", self.input_bits, 1, 16)
        positive("c_wl_cell_f", self.c_wl_cell_f)
        positive("cell_area_m2", self.cell_area_m2)
        levels = self.level_conductances_s
        steps = np.diff(levels)
        require("device", "level_conductances_s", levels.size >= 2 and np.allclose(steps, steps[0], rtol=1e-9),
                "levels must be evenly spaced conductances")

    @property
    def level_conductances_s(self) -> np.ndarray:
        """The device's nominal conductance of each stored state (S)."""
        levels = self.device.level_conductances_s
        return np.asarray(levels() if callable(levels) else levels, dtype=np.float64)

    @property
    def v_read_v(self) -> float:
        return float(self.device.v_read_v)

    @property
    def t_read_s(self) -> float:
        return float(self.device.t_read_s)

    def full_scale_count(self, rows: int | None = None) -> int:
        """Largest column count of one conversion: every row at its largest input step and state."""
        per_cycle = 1 if self.input_scheme == "bit_serial" else 2 ** self.input_bits - 1
        return (rows or self.rows) * (self.device.levels - 1) * per_cycle

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator, variation: bool = True) -> ResistiveInstance:
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
        noise of every cycle (None: noiseless reads).
        """
        x = np.asarray(x)
        rows = instance.cells.states.shape[0]
        require("x", x.shape, x.ndim == 2 and x.shape[1] == rows, f"must be (batch, {rows})")
        require("x", (int(x.min(initial=0)), int(x.max(initial=0))), np.issubdtype(x.dtype, np.integer)
                and x.min(initial=0) >= 0 and x.max(initial=0) < 2 ** self.input_bits,
                f"input codes must be integers in [0, {2 ** self.input_bits - 1}] for input_bits = {self.input_bits}")
        conductance = np.concatenate([self.device.read(instance.cells, rng),
                                      self.device.read(instance.reference, rng)], axis=1)
        full_scale = self.full_scale_count(rows)
        if self.input_scheme == "bit_serial":
            total = np.zeros((x.shape[0], conductance.shape[1] - 1), dtype=np.int64)
            for bit in range(self.input_bits):
                plane = (x >> bit) & 1
                total += self._convert(self._column_currents(conductance, plane, self.v_read_v),
                                       instance.adcs, full_scale) << bit
            return total
        if self.input_scheme == "amplitude":
            unit_v = self.v_read_v / (2 ** self.input_bits - 1)
            return self._convert(self._column_currents(conductance, x, unit_v), instance.adcs, full_scale, unit_v)
        require("wires", self.wires, self.wires is None,
                "pulse-width inputs are simulated with ideal wires only (the IR drop changes as pulses end)")
        return self._convert(self._column_currents(conductance, np.minimum(x, 1), self.v_read_v,
                                                   durations=x.astype(np.float64)),
                             instance.adcs, full_scale)

    def age(self, instance: ResistiveInstance, elapsed_s: float, rng: np.random.Generator | None = None):
        """The chip after ``elapsed_s`` seconds of the device's time effects (e.g. RRAM drift)."""
        return ResistiveInstance(self.device.age(instance.cells, elapsed_s, rng),
                                 self.device.age(instance.reference, elapsed_s, rng), instance.adcs)

    def _cell_current(self, conductance: np.ndarray, volts: float) -> np.ndarray:
        """Cell currents (A) at row voltage ``volts``: Ohm's law, or the device's non-linear I-V."""
        if self.ohmic or not hasattr(self.device, "current_a"):
            return conductance * volts
        return self.device.current_a(conductance, volts)

    def _column_currents(self, conductance: np.ndarray, codes: np.ndarray, unit_v: float,
                         durations: np.ndarray | None = None) -> np.ndarray:
        """Column currents (batch, c + 1) for row voltages ``codes * unit_v`` (codes (batch, r) >= 0).

        Ohmic cells: one GEMM. Non-linear cells: one GEMM per non-zero code, with the cells'
        current at that code's voltage (level decomposition). With ``durations`` (batch, r) in unit
        pulses the result is the charge in units of (A x one pulse). With wires, the IR-drop
        network is solved instead (linear cells).
        """
        if self.wires is not None:
            return solve_fast(conductance, codes * unit_v, self.wires)
        weights = np.ones(codes.shape) if durations is None else durations
        if self.ohmic or not hasattr(self.device, "current_a"):
            return (codes * weights * unit_v) @ conductance
        currents = np.zeros((codes.shape[0], conductance.shape[1]))
        for code in range(1, int(codes.max(initial=0)) + 1):
            on = codes == code
            if on.any():
                currents += (on * weights) @ self._cell_current(conductance, code * unit_v)
        return currents

    def _convert(self, currents: np.ndarray, adcs: ADCInstance, full_scale_count: int,
                 unit_v: float | None = None) -> np.ndarray:
        """Reference-subtracted column currents -> ADC codes -> counts (in nominal level steps)."""
        g0, g1 = self.level_conductances_s[:2]
        step = self._cell_current(np.array([g0, g1]), self.v_read_v if unit_v is None else unit_v)
        signal = (currents[:, :-1] - currents[:, -1:]) / float(step[1] - step[0])
        codes = self.adc.convert(np.ascontiguousarray(signal), adcs, full_scale=float(full_scale_count))
        return np.rint(codes * (full_scale_count / self.adc.top_code)).astype(np.int64)

    def op_cost(self, x: np.ndarray, mean_conductance_s: float, used_cols: int) -> OpCost:
        """Energy by component and latency of one input vector, averaged over the inputs ``x`` (batch, r).

        Components: ``cells`` V^2 G t of every conducting cell-cycle (Joule heating of the cells
        at the mean conductance, the data and reference columns); ``drivers`` from
        `imc.arrays.input_cost` (word lines, DACs or pulses, bit-serial shift-and-add); ``adc``
        one conversion per used column and the reference per cycle. Latency: applying the
        inputs plus converting the columns each cycle.
        """
        x = np.asarray(x, dtype=np.int64)
        rows, bits, cycles = x.shape[1], self.input_bits, array_cycles(self.input_scheme, self.input_bits)
        ones = sum(((x >> b) & 1).sum(1).mean() for b in range(bits))
        v_unit = self.v_read_v / (2 ** bits - 1)
        cell_time_v2 = {"bit_serial": ones * self.v_read_v ** 2 * self.t_read_s,
                        "pulse_width": x.sum(1).mean() * self.v_read_v ** 2 * self.t_read_s,
                        "amplitude": ((x * v_unit) ** 2).sum(1).mean() * self.t_read_s}[self.input_scheme]
        width = int(np.ceil(np.log2(self.full_scale_count(rows) * 2 ** bits + 1)))
        shift_add = used_cols * width * self.digital.e_add_bit_j if self.input_scheme == "bit_serial" else None
        drivers, t_inputs = input_cost(self.input_scheme, bits, rows, self.cols * self.c_wl_cell_f, self.v_read_v,
                                       self.t_read_s, p_one=float(ones / (rows * bits)), e_shift_add_j=shift_add)
        energy = {"cells": float((used_cols + 1) * mean_conductance_s * cell_time_v2),
                  "drivers": float(drivers),
                  "adc": cycles * (used_cols + 1) * self.adc.energy_per_conversion_j}
        return OpCost(energy, t_inputs + cycles * self.adc.array_conversion_time_s(used_cols + 1))

    @property
    def area_m2(self) -> float:
        """Cells (with the reference column) plus column ADCs (m^2)."""
        return self.rows * (self.cols + 1) * self.cell_area_m2 + self.adc.array_cost(self.cols + 1).area_m2

