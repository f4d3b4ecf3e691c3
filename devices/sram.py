"""SRAM bit-cells for in-memory computing: 6T, read-decoupled 8T and an XNOR cell.

A cell is read by raising its (read) word line: if the stored value turns on the
storage-gated transistor, current flows from the precharged bit line through the
word-line-gated transistor and the storage-gated one in series. Many cells on one bit
line discharge it together, so the bit-line drop measures how many conducting cells were
activated (a popcount). The three cells share this physics and differ in which
transistors form the read stack, whether a read can disturb the stored value, and area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import threading
from functools import cached_property, lru_cache
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from imc.devices import _kernels
from imc.devices._kernels_random import draw_key, standard_normal
from imc.devices.base import CellCost, Device, check_states, register
from imc.errors import finite, in_range, int_in_range, non_negative, plausible, positive, require

BOLTZMANN_J_PER_K = 1.380649e-23
ELECTRON_CHARGE_C = 1.602176634e-19

NODES = {
    # 130 nm bulk: V_DD = 1.3 V (PTM 130 nm nominal) and vth0 = 0.3782 V, toxe = 2.25 nm of the
    # PTM 130 nm NMOS card (Zhao & Cao 2006); A_VT scaled with oxide thickness from 65 nm (A_VT ~
    # t_ox: Pelgrom, Tuinhout & Vertregt, IEDM 1998), 3.0 * 2.25 / 1.85 = 3.65 mV*um; 2.09 um^2
    # cell of Tyagi et al., "A 130 nm generation logic technology featuring 70 nm transistors,
    # dual Vt transistors and 6 layers of Cu interconnects", IEDM 2000. Transistors at 2 x the
    # 65 nm sizes, read current scaled with the access width and capacitances with the cell
    # pitch sqrt(2.09 / 0.57) = 1.9 (engineering assumption, as for 22 nm).
    "130nm": dict(vdd_v=1.3, vth0_v=0.3782, a_vt_v_m=3.65e-9, w_read_m=200e-9, l_read_m=130e-9,
                  w_stack_m=400e-9, l_stack_m=130e-9, i_read_a=70e-6, c_bl_cell_f=1.9e-15,
                  c_wl_cell_f=0.48e-15, cell_area_m2=2.09e-12),
    # 65 nm bulk: V_DD, V_th0 from the PTM 65 nm NMOS card (Zhao & Cao, IEEE TED 53(11), 2006;
    # vth0 = 0.429 V, toxe = 1.85 nm); 0.57 um^2 cell of Bai et al., IEDM 2004; A_VT = 3.0 mV*um,
    # the 65 nm bulk NMOS value of the Pelgrom plots in Kuhn et al., IEEE TED 58(8), 2011.
    "65nm": dict(vdd_v=1.1, vth0_v=0.429, a_vt_v_m=3.0e-9, w_read_m=100e-9, l_read_m=65e-9,
                 w_stack_m=200e-9, l_stack_m=65e-9, i_read_a=35e-6, c_bl_cell_f=1.0e-15,
                 c_wl_cell_f=0.25e-15, cell_area_m2=0.57e-12),
    # 45 nm high-k metal gate: V_DD = 1.0 V and vth0 = 0.469 V of the PTM 45 nm HP card
    # (toxe = 1.25 nm); A_VT = 3.0 * 1.25 / 1.85 = 2.0 mV*um (t_ox scaling as above); 0.346 um^2
    # cell of Mistry et al., "A 45nm logic technology with high-k + metal gate transistors,
    # strained silicon, 9 Cu interconnect layers, 193nm dry patterning, and 100% Pb-free
    # packaging", IEDM 2007. Sizes, read current and capacitances scaled from 65 nm with the
    # gate length and the cell pitch sqrt(0.346 / 0.57) = 0.78 (engineering assumption).
    "45nm": dict(vdd_v=1.0, vth0_v=0.469, a_vt_v_m=2.0e-9, w_read_m=70e-9, l_read_m=45e-9,
                 w_stack_m=140e-9, l_stack_m=45e-9, i_read_a=24.5e-6, c_bl_cell_f=0.78e-15,
                 c_wl_cell_f=0.19e-15, cell_area_m2=0.346e-12),
    # 28 nm high-k metal gate: no PTM card is published at 28 nm, so the transistor is the nearest one
    # above it, the PTM 32 nm HP metal-gate / high-k card (nominal V_DD = 0.9 V, NMOS vth0 = 0.49396 V,
    # toxe = 1.15 nm; ptm.asu.edu, Zhao & Cao 2006), at a drawn gate length of 28 nm; A_VT scaled with
    # oxide thickness from 65 nm (Pelgrom, Tuinhout & Vertregt, IEDM 1998), 3.0 * 1.15 / 1.85 =
    # 1.86 mV*um; 0.120 um^2 high-density cell of Arnaud et al., "Competitive and cost effective
    # high-k based 28nm CMOS technology for low power applications", IEDM 2009. Sizes scaled from
    # 65 nm with the gate length (28 / 65), read current with the access width (0.35 mA/um, as at
    # 65 and 45 nm) and capacitances with the cell pitch sqrt(0.120 / 0.57) = 0.46 (engineering
    # assumption, as for 45 and 22 nm).
    "28nm": dict(vdd_v=0.9, vth0_v=0.49396, a_vt_v_m=1.86e-9, w_read_m=43e-9, l_read_m=28e-9,
                 w_stack_m=86e-9, l_stack_m=28e-9, i_read_a=15e-6, c_bl_cell_f=0.46e-15,
                 c_wl_cell_f=0.115e-15, cell_area_m2=0.120e-12),
    # 22 nm high-k metal gate: V_DD = 0.8 V and vth0 = 0.503 V of the PTM 22 nm HP card
    # (toxe = 1.05 nm); A_VT scaled with oxide thickness from 65 nm (A_VT ~ t_ox: Pelgrom,
    # Tuinhout & Vertregt, IEDM 1998), 3.0 * 1.05 / 1.85 = 1.7 mV*um; 0.092 um^2 high-density
    # cell of Jan et al., "A 22nm SoC platform technology featuring 3-D tri-gate and high-k/
    # metal gate...", IEDM 2012. Read current and capacitances scaled from 65 nm with the
    # device width and the cell pitch (engineering assumption).
    "22nm": dict(vdd_v=0.8, vth0_v=0.503, a_vt_v_m=1.7e-9, w_read_m=45e-9, l_read_m=22e-9,
                 w_stack_m=90e-9, l_stack_m=22e-9, i_read_a=15e-6, c_bl_cell_f=0.4e-15,
                 c_wl_cell_f=0.1e-15, cell_area_m2=0.092e-12),
}


def alpha_power_delay_ratio(vdd_v: float, vdd_ref_v: float, vth_v: float, alpha: float,
                            fields: tuple[str, str] = ("vdd_v", "vdd_ref_v")) -> float:
    """t_d(V_DD) / t_d(V_ref) of a CMOS gate or switch at supply ``vdd_v`` against ``vdd_ref_v``.

    The alpha-power law's saturation current I_D0 ~ (V_DD - V_th)^alpha makes a gate's delay
    t_d ~ C_L V_DD / I_D0 ~ C_L V_DD / (V_DD - V_th)^alpha (Sakurai & Newton, "Alpha-power law
    MOSFET model and its applications to CMOS inverter delay and other formulas", IEEE JSSC 25(2),
    1990, their inverter delay formula), and a switch's on-resistance V_DD / I_D0 the same, so

        ratio = [V_DD / (V_DD - V_th)^alpha] / [V_ref / (V_ref - V_th)^alpha].

    It grows without bound as V_DD falls to V_th, where the law no longer holds (sub-threshold
    conduction takes over): a supply at or below ``vth_v`` is refused, naming its field (``fields``:
    the names of the supply and of the reference in the caller's parameters).
    """
    for name, value in zip(fields, (vdd_v, vdd_ref_v)):
        require(name, value, finite(value) and finite(vth_v) and value > vth_v,
                f"must be above the transistor threshold V_th = {vth_v} V: the alpha-power gate delay "
                "C V_DD / (V_DD - V_th)^alpha grows without bound as V_DD falls to V_th")
    require("alpha", alpha, finite(alpha) and 1.0 <= alpha <= 2.0,
            "must be in [1, 2] (1: fully velocity-saturated, 2: long-channel square law)")
    return (vdd_v / (vdd_v - vth_v) ** alpha) / (vdd_ref_v / (vdd_ref_v - vth_v) ** alpha)


@dataclass(frozen=True)
class SRAMInstance:
    """Static per-chip realisation of SRAM cells: stored bits and threshold shifts (V).

    ``dvth_read`` / ``dvth_stack``: word-line-gated and storage-gated read transistors;
    for the XNOR cell the arrays have a leading axis of 2 (the two read ports).
    """

    states: np.ndarray
    dvth_read: np.ndarray
    dvth_stack: np.ndarray


@dataclass(frozen=True, eq=False)
class SRAMSilicon:
    """The threshold shifts of a block of ``shape`` cells (a leading axis of ``ports`` for the XNOR
    cell), drawn on demand: shift = sigma x `imc.devices._kernels_random.standard_normal` under
    ``key_read`` / ``key_stack`` at the cell's C-order index in the block. Any window of cells is
    drawn alone (`relative_currents`) with the values it has in the whole block (`instance`), so a
    chip draws only the cells its tiles use and stays the same chip whatever it maps."""

    cell: "SRAMBitCell"
    shape: tuple[int, ...]
    key_read: np.uint64
    key_stack: np.uint64

    @property
    def block(self) -> tuple[int, ...]:
        """Shape of the threshold-shift arrays: ``shape``, behind the port axis of a 2-port cell."""
        return self.shape if self.cell.ports == 1 else (self.cell.ports, *self.shape)

    def instance(self, states: np.ndarray) -> SRAMInstance:
        """Every cell of the block, storing ``states`` (shaped ``shape``)."""
        return SRAMInstance(states, self._shifts(self.key_read, self.cell.sigma_vth_v),
                            self._shifts(self.key_stack, self.cell.sigma_vth_stack_v))

    def window(self, array_index: int, rows: int, cols: int) -> SRAMInstance:
        """The logical rows (row r x ports + port) 0 .. rows - 1 and columns 0 .. cols - 1 of array
        ``array_index`` (``shape`` = (arrays, rows, cols)), storing 1s."""
        arrays, array_rows, array_cols = self.shape
        ports = self.cell.ports

        def shifts(key, sigma_v):
            blocks = [standard_normal(key, (array_rows, array_cols), first=(port * arrays + array_index) *
                                      array_rows * array_cols) for port in range(ports)]
            logical = np.stack(blocks, axis=1).reshape(ports * array_rows, array_cols)
            return np.ascontiguousarray(logical[:rows, :cols]) * np.float32(sigma_v)

        return SRAMInstance(np.ones((rows, cols), dtype=np.int8), shifts(self.key_read, self.cell.sigma_vth_v),
                            shifts(self.key_stack, self.cell.sigma_vth_stack_v))

    def _shifts(self, key: np.uint64, sigma_v: float) -> np.ndarray:
        return standard_normal(key, self.block) * np.float32(sigma_v)

    def relative_currents(self, array_index: int, states: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Read current relative to nominal (float32, like ``states``) of the cells of array
        ``array_index`` (``shape`` = (arrays, rows, cols)) in its logical rows (row r x ports + port)
        0 .. and columns 0 .. of ``states`` that store a 1, 0 for those storing 0, by
        `SRAMBitCell.relative_current_tabulated`'s table at ``v_wl_v``: drawn and looked up in one
        pass (`imc.devices._kernels.mismatch_currents`)."""
        arrays, rows, cols = self.shape
        table = self.cell.current_table(v_wl_v)
        out = np.empty(states.shape, dtype=np.float32)
        off_grid = _kernels.mismatch_currents(self.key_read, self.key_stack, self.cell.sigma_vth_v,
                                              self.cell.sigma_vth_stack_v, self.cell.ports, arrays, array_index, rows,
                                              cols, np.ascontiguousarray(states), table.read_start_v,
                                              table.read_step_v, table.stack_start_v, table.stack_step_v,
                                              table.values, out)
        if off_grid:
            outside = np.isnan(out)
            logical, col = np.nonzero(outside)
            ports = self.cell.ports
            index = (((logical % ports) * arrays + array_index) * rows + logical // ports) * cols + col
            shifts = [np.array([standard_normal(key, (), first=int(k)) for k in index]) * np.float32(sigma)
                      for key, sigma in ((self.key_read, self.cell.sigma_vth_v),
                                         (self.key_stack, self.cell.sigma_vth_stack_v))]
            out[outside] = self.cell.exact_relative_current(*shifts, v_wl_v)
        return out


@dataclass(frozen=True)
class SRAMBitCell(Device):
    """Shared physics of SRAM bit-cells read through a two-transistor stack. 65 nm defaults.

    Parameters (SI units in the names) and their sources (see also ``NODES``):

    * ``vdd_v``, ``vth0_v``: supply and NMOS threshold (PTM 65 nm card).
    * ``alpha`` = 1.3: velocity-saturation index of the alpha-power law (Sakurai & Newton,
      "Alpha-power law MOSFET model and its applications to CMOS inverter delay and other
      formulas", IEEE JSSC 25(2), 1990: alpha ~ 1.3 for short-channel devices).
    * ``v_d0_v`` = 0.4 V: drain saturation voltage at V_GS = V_DD in the same model; sets the
      linear-region resistance of the storage-gated transistor (R = V_D0 / 2 I_D0) and the
      bit-line knee V_DSAT.
    * ``n_sub`` = 1.4: sub-threshold slope factor, S = n kT/q ln 10 = 83 mV/decade at 300 K,
      within the 1.2-1.5 range of bulk CMOS (Taur & Ning, Fundamentals of Modern VLSI
      Devices, 2nd ed., ch. 3).
    * ``a_vt_v_m``: Pelgrom coefficient, sigma(V_th) = A_VT / sqrt(W L) for each transistor
      (Pelgrom, Duinmaijer & Welbers, "Matching properties of MOS transistors", IEEE JSSC
      24(5), 1989).
    * ``w_read_m`` x ``l_read_m``: word-line-gated transistor (the 6T access transistor);
      ``w_stack_m`` x ``l_stack_m``: storage-gated transistor (the 6T pull-down), twice as
      wide: a cell ratio of 2 for read stability (Seevinck, List & Lohstroh, "Static-noise
      margin analysis of MOS SRAM cells", IEEE JSSC 22(5), 1987).
    * ``i_read_a`` = 35 uA: read current of the nominal cell at V_WL = V_DD, the calibration
      point of the stack model (engineering assumption: ~0.5 mA/um drive of the 100 nm access
      transistor, reduced by the series pull-down).
    * ``drive_a_per_square``: None (default) calibrates the drives to ``i_read_a`` as above, so
      the transistor sizes set the stack's W/L ratio and the Pelgrom sigmas but not the current.
      A value (A) is the saturation current at V_GS = V_DS = V_DD of a transistor of W/L = 1; each
      read transistor then drives I_D0 = drive (W/L), the alpha-power law's W/L scaling (Sakurai &
      Newton 1990, Eq. (4)), and the cell's read current follows from the sizes (``i_read_a`` is
      then unused). `drive_per_square_a` gives the value that reproduces ``i_read_a``.
    * ``c_bl_cell_f`` = 1.0 fF and ``c_wl_cell_f`` = 0.25 fF: bit-line and word-line
      capacitance per cell (junction + one cell pitch of wire; engineering assumption).
    * ``cell_area_m2`` = 0.57 um^2 (Bai et al., "A 65nm logic technology featuring 35nm gate
      lengths ... and 0.57 um^2 SRAM cell", IEDM 2004).
    * ``temperature_k`` = 300 K.
    """

    response_unit = "A"
    variation_fields = ("a_vt_v_m",)
    _ports = 1  # read ports per cell
    area_vs_6t: ClassVar[float] = 1.0  # cell area relative to the 6T cell of the same node

    vdd_v: float = 1.1
    vth0_v: float = 0.429
    alpha: float = 1.3
    v_d0_v: float = 0.4
    n_sub: float = 1.4
    a_vt_v_m: float = 3.0e-9
    w_read_m: float = 100e-9
    l_read_m: float = 65e-9
    w_stack_m: float = 200e-9
    l_stack_m: float = 65e-9
    i_read_a: float = 35e-6
    drive_a_per_square: float | None = None
    c_bl_cell_f: float = 1.0e-15
    c_wl_cell_f: float = 0.25e-15
    cell_area_m2: float = 0.57e-12
    temperature_k: float = 300.0

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("vdd_v", "vth0_v", "v_d0_v", "w_read_m", "l_read_m", "w_stack_m", "l_stack_m",
                     "i_read_a", "c_bl_cell_f", "c_wl_cell_f", "cell_area_m2", "temperature_k"):
            positive(name, getattr(self, name))
        require("alpha", self.alpha, isinstance(self.alpha, (int, float)) and 1.0 <= self.alpha <= 2.0,
                "must be in [1, 2] (1: fully velocity-saturated, 2: long-channel square law)")
        require("n_sub", self.n_sub, isinstance(self.n_sub, (int, float)) and 1.0 <= self.n_sub <= 3.0,
                "must be in [1, 3] (sub-threshold slope factor)")
        non_negative("a_vt_v_m", self.a_vt_v_m)
        require("vth0_v", self.vth0_v, self.vth0_v < self.vdd_v, f"must be below vdd_v = {self.vdd_v} V")
        require("v_d0_v", self.v_d0_v, self.v_d0_v < self.vdd_v, f"must be below vdd_v = {self.vdd_v} V")
        if self.drive_a_per_square is not None:
            in_range("drive_a_per_square", self.drive_a_per_square, 1e-9, 1e-2,
                     "saturation currents of a W/L = 1 MOSFET are nA to mA")
        self._drives_a  # noqa: B018 -- solved now, so that a cell that cannot carry i_read_a fails at load

    @classmethod
    def at_node(cls, node: str, **overrides):
        """The cell with the parameters of technology node ``node`` (see ``NODES``); its area is
        the node's 6T cell area times the class's ``area_vs_6t``."""
        require("node", node, node in NODES, f"allowed: {sorted(NODES)}")
        params = {**NODES[node], "cell_area_m2": NODES[node]["cell_area_m2"] * cls.area_vs_6t}
        return cls(**{**params, **overrides})

    @property
    def levels(self) -> int:
        return 2

    @property
    def ports(self) -> int:
        """Read ports per cell: word lines (and conducting paths) each cell offers a column."""
        return self._ports

    @property
    def thermal_voltage_v(self) -> float:
        return BOLTZMANN_J_PER_K * self.temperature_k / ELECTRON_CHARGE_C

    @property
    def sigma_vth_v(self) -> float:
        """Std of the word-line-gated transistor's V_th (V): A_VT / sqrt(W*L) (Pelgrom 1989)."""
        return self.a_vt_v_m / math.sqrt(self.w_read_m * self.l_read_m)

    @property
    def sigma_vth_stack_v(self) -> float:
        """Std of the storage-gated transistor's V_th (V) (Pelgrom 1989)."""
        return self.a_vt_v_m / math.sqrt(self.w_stack_m * self.l_stack_m)

    @property
    def drive_per_square_a(self) -> float:
        """Saturation current (A) of a W/L = 1 transistor implied by the calibrated drives: the read
        transistor's drive / (W/L)_read (the ``drive_a_per_square`` that reproduces this cell)."""
        return self._drives_a[0] / (self.w_read_m / self.l_read_m)

    @cached_property
    def _drives_a(self) -> tuple[float, float]:
        """Saturation drive at V_GS = V_DD of the read and stack transistors: ``drive_a_per_square``
        times each one's W/L, or, without it, calibrated so that the nominal stack carries
        ``i_read_a`` at V_WL = V_DD; the stack transistor's drive is the read transistor's scaled by
        their W/L ratio."""
        ratio = (self.w_stack_m / self.l_stack_m) / (self.w_read_m / self.l_read_m)
        if self.drive_a_per_square is not None:
            i_sat_read = self.drive_a_per_square * self.w_read_m / self.l_read_m
            return i_sat_read, ratio * i_sat_read

        def mismatch(i_sat_read):
            nominal = self._stack_current(np.zeros(1), np.zeros(1), self.vdd_v, i_sat_read, ratio * i_sat_read)
            return nominal[0] - self.i_read_a
        low, high = 0.5 * self.i_read_a, 100 * self.i_read_a
        require("w_stack_m", self.w_stack_m, mismatch(low) <= 0 <= mismatch(high),
                f"the stack transistor's W/L is {ratio:.3g} x the read transistor's: no read drive within "
                f"[0.5, 100] x i_read_a = {self.i_read_a:g} A then carries i_read_a at V_WL = V_DD (keep the "
                "ratio of W/L near the 1-4 of published cells)")
        i_sat_read = brentq(mismatch, low, high, xtol=1e-15, rtol=1e-13)
        return i_sat_read, ratio * i_sat_read

    def _stack_current(self, dvth_read, dvth_stack, v_wl_v, i_sat_read, i_sat_stack) -> np.ndarray:
        dvth_read = np.ascontiguousarray(dvth_read, dtype=np.float64)
        out = np.empty_like(dvth_read)
        return _kernels.stack_read_current(dvth_read, np.ascontiguousarray(dvth_stack, dtype=np.float64),
                                           v_wl_v, self.vdd_v, self.vth0_v, self.alpha,
                                           self.n_sub * self.thermal_voltage_v, i_sat_read,
                                           i_sat_stack, self.v_d0_v, out)

    def check_word_line(self, v_wl_v: float) -> float:
        require("v_wl_v", v_wl_v, isinstance(v_wl_v, (int, float)) and 0 < v_wl_v <= self.vdd_v,
                f"must be in (0, vdd_v = {self.vdd_v}] V")
        return v_wl_v

    def overdrive_v(self, v_wl_v: float) -> float:
        """Nominal gate overdrive V_WL - V_th0 (V) of the word-line-gated transistor."""
        return self.check_word_line(v_wl_v) - self.vth0_v

    def cell_current_a(self, dvth_read: np.ndarray, dvth_stack: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Read current (A) of conducting cells with the given threshold shifts.

        The word-line-gated transistor carries I = I_sat (V_eff / (V_DD - V_th0))^alpha with the
        smooth effective overdrive V_eff = alpha n V_T ln(1 + exp((V_GS - V_th) / (alpha n V_T))):
        the alpha-power law above threshold (Sakurai & Newton 1990) and the sub-threshold
        exponential I ~ exp((V_GS - V_th) / (n V_T)) below it (Taur & Ning ch. 3), joined smoothly
        as BSIM joins them with its effective gate overdrive V_gsteff (Cheng & Hu, MOSFET Modeling
        & BSIM3 User's Guide, Kluwer 1999, ch. 4). Its source is degenerated by the storage-gated
        transistor in its linear region, R = V_D0 / (2 I_D0) from the alpha-power linear-region
        law at small V_DS.
        """
        i_sat_read, i_sat_stack = self._drives_a
        return self._stack_current(dvth_read, dvth_stack, self.check_word_line(v_wl_v), i_sat_read, i_sat_stack)

    def read_current_a(self, v_wl_v: float) -> float:
        """Nominal cell read current (A) at word-line voltage ``v_wl_v``."""
        return float(self.cell_current_a(np.zeros(1), np.zeros(1), v_wl_v)[0])

    def knee_v(self, v_wl_v: float) -> float:
        """Bit-line voltage (V) below which the word-line-gated transistor leaves saturation.

        V_DSAT = V_D0 * ((V_WL - V_th0) / (V_DD - V_th0))^(alpha/2) (Sakurai & Newton 1990);
        in sub-threshold, saturation needs only V_DS > ~3 kT/q, which floors the knee.
        """
        overdrive = max(self.overdrive_v(v_wl_v), 0.0)
        return max(self.v_d0_v * (overdrive / (self.vdd_v - self.vth0_v)) ** (self.alpha / 2),
                   3 * self.thermal_voltage_v)

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> SRAMInstance:
        """Static (per chip) threshold shifts of both read transistors of every cell.

        Independent Gaussian mismatch, sigma from Pelgrom's law per transistor. float32.
        """
        states = check_states(states, self.levels)
        return self.sample_silicon(states.shape, rng).instance(states)

    def sample_silicon(self, shape: tuple[int, ...], rng: np.random.Generator) -> SRAMSilicon:
        """The threshold shifts of ``shape`` cells as counter-based draws (`SRAMSilicon`): two keys
        from ``rng``, for the read and the storage-gated transistors."""
        return SRAMSilicon(self, tuple(shape), draw_key(rng), draw_key(rng))

    def read(self, instance: SRAMInstance, rng: np.random.Generator | None = None,
             v_wl_v: float | None = None) -> np.ndarray:
        """Bit-line current (A) of every cell when its word line is raised to ``v_wl_v`` (default V_DD).

        Cells storing 1 conduct through the read stack; cells storing 0 leak through the
        storage-gated transistor, which is off (V_GS = 0: sub-threshold current of the stack
        with that transistor's threshold shift). SRAM reads have no cycle-to-cycle variation
        in this model (``rng`` is accepted for the common interface and not used); bit-line
        noise belongs to the array.
        """
        v_wl = self.vdd_v if v_wl_v is None else v_wl_v
        on = self.cell_current_a(instance.dvth_read, instance.dvth_stack, v_wl)
        return np.where(instance.states == 1, on, self.leakage_current_a(instance.dvth_stack))

    def leakage_current_a(self, dvth_stack: np.ndarray) -> np.ndarray:
        """Sub-threshold current (A) of the off storage-gated transistor (V_GS = 0), the same
        smooth drain-current law as `cell_current_a` at overdrive -V_th."""
        _, i_sat_stack = self._drives_a
        scale = self.alpha * self.n_sub * self.thermal_voltage_v
        v_eff = scale * np.logaddexp(0.0, -(self.vth0_v + np.asarray(dvth_stack, dtype=np.float64)) / scale)
        return i_sat_stack * (v_eff / (self.vdd_v - self.vth0_v)) ** self.alpha

    def relative_current(self, instance: SRAMInstance, v_wl_v: float) -> np.ndarray:
        """Read current of conducting cells (or read ports) relative to the nominal cell (-),
        float32, shaped like the threshold shifts (a leading port axis for the XNOR cell)."""
        return (self.cell_current_a(instance.dvth_read, instance.dvth_stack, v_wl_v)
                / self.read_current_a(v_wl_v)).astype(np.float32)

    def current_table(self, v_wl_v: float) -> "CurrentTable":
        """`relative_current` tabulated over +-TABLE_SPAN_SIGMAS of both threshold shifts (cached)."""
        return _current_table(self, float(self.check_word_line(v_wl_v)))

    def relative_current_tabulated(self, instance: SRAMInstance, v_wl_v: float) -> np.ndarray:
        """`relative_current` by bilinear interpolation of `current_table`: the Monte-Carlo fast path.

        The table is exact at its nodes (so zero mismatch gives exactly 1) and the interpolation
        error is below 2e-4 of the current (tested against the exact solver); cells outside the
        table (beyond 8 sigma, ~1e-15 of them) are computed exactly.
        """
        table = self.current_table(v_wl_v)
        dvth_read = np.ascontiguousarray(instance.dvth_read)
        dvth_stack = np.ascontiguousarray(instance.dvth_stack)
        out = np.empty(dvth_read.shape, dtype=np.float32)
        _kernels.bilinear_lookup(dvth_read, dvth_stack, table.read_start_v, table.read_step_v,
                                 table.stack_start_v, table.stack_step_v, table.values, out)
        outside = np.isnan(out)
        if outside.any():
            out[outside] = self.exact_relative_current(dvth_read[outside], dvth_stack[outside], v_wl_v)
        return out

    def exact_relative_current(self, dvth_read: np.ndarray, dvth_stack: np.ndarray, v_wl_v: float) -> np.ndarray:
        """`relative_current` of cells outside `current_table` (threshold shifts in V), by the exact solver."""
        with _EXACT_SOLVER_LOCK:  # its kernel is parallel; one caller at a time across chip threads
            return self.relative_current(SRAMInstance(np.ones(dvth_read.shape, np.int8), dvth_read, dvth_stack),
                                         v_wl_v)

    def bitline_discharge_v(self, swing_v: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Bit-line voltage drop (V) for a linear swing ``swing_v = sum(I) * t / C_BL`` (V).

        The precharged bit line (V_pre = V_DD) falls linearly, dV = sum(I)*t/C_BL, while
        the read transistors stay saturated (V_BL above the knee V_DSAT). Below the knee
        they are in triode and act as a resistor R = V_DSAT / sum(I), so the remaining
        voltage decays exponentially with time constant R*C_BL:
        dV = V_DD - V_DSAT * exp(-(s - (V_DD - V_DSAT)) / V_DSAT) for s > V_DD - V_DSAT.
        The two pieces meet with equal value and slope; dV never exceeds V_DD.
        """
        return _kernels.discharge_reference(np.asarray(swing_v, dtype=np.float64),
                                            self.vdd_v, self.knee_v(v_wl_v))

    def read_energy_j(self, delta_v_v: np.ndarray, c_bl_f: float) -> np.ndarray:
        """Energy (J) drawn from V_DD to restore a bit line of ``c_bl_f`` after a drop ``delta_v_v``.

        E = C_BL * V_DD * dV: the precharge replaces charge C_BL*dV from the V_DD supply
        (Rabaey, Chandrakasan & Nikolic, Digital Integrated Circuits, 2nd ed., ch. 5).
        """
        return c_bl_f * self.vdd_v * np.asarray(delta_v_v)

    def read_disturb_probability(self, v_bl_v: float, v_wl_v: float) -> float:
        """Probability that a cell storing the opposite value flips while its bit line is at ``v_bl_v``.

        Read-decoupled cells cannot be disturbed: 0. See `SRAM6T` for the 6T model.
        """
        return 0.0

    def cost(self, rows: int = 256, swing_v: float = 0.1) -> CellCost:
        """One conventional read and write of one cell on a bit line of ``rows`` cells.

        Read: the cell discharges the bit line by ``swing_v`` (the sense margin) in
        t = C_BL * swing / I_read and the precharge restores it, E = C_BL * V_DD * swing, plus
        the cell's share of the word line, C_WL,cell * V_DD^2. Write: the write driver swings
        the bit line fully, E = C_BL * V_DD^2 (Rabaey et al. 2003, ch. 12), within one
        word-line pulse of the read's duration (assumption: a cell with a sound pull-up ratio
        flips faster than it develops a read margin).
        """
        int_in_range("rows", rows, 1)
        positive("swing_v", swing_v)
        c_bl = rows * self.c_bl_cell_f
        t_read = c_bl * swing_v / self.read_current_a(self.vdd_v)
        e_wl = self.c_wl_cell_f * self.vdd_v ** 2
        return CellCost(read_energy_j=c_bl * self.vdd_v * swing_v + e_wl, read_latency_s=t_read,
                        write_energy_j=c_bl * self.vdd_v ** 2 + e_wl, write_latency_s=t_read)


TABLE_POINTS = 513
TABLE_SPAN_SIGMAS = 8.0
_EXACT_SOLVER_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class CurrentTable:
    """Relative read current on a grid of (read, stack) threshold shifts (V)."""

    read_start_v: float
    read_step_v: float
    stack_start_v: float
    stack_step_v: float
    values: np.ndarray


@lru_cache(maxsize=64)  # 2 MB each: the binary read plus the levels of up to 6-bit amplitude inputs
def _current_table(cell: SRAMBitCell, v_wl_v: float) -> CurrentTable:
    read_span = TABLE_SPAN_SIGMAS * max(cell.sigma_vth_v, 1e-6)
    stack_span = TABLE_SPAN_SIGMAS * max(cell.sigma_vth_stack_v, 1e-6)
    read = np.linspace(-read_span, read_span, TABLE_POINTS)
    stack = np.linspace(-stack_span, stack_span, TABLE_POINTS)
    grid_read, grid_stack = np.meshgrid(read, stack, indexing="ij")
    values = cell.cell_current_a(grid_read, grid_stack, v_wl_v) / cell.read_current_a(v_wl_v)
    return CurrentTable(-read_span, read[1] - read[0], -stack_span, stack[1] - stack[0], values)


@register("sram6t")
@dataclass(frozen=True)
class SRAM6T(SRAMBitCell):
    """6T SRAM bit-cell read through its access and pull-down transistors. 65 nm defaults.

    Read disturb: the access transistor connects the bit line to the cell node that holds
    '1' in cells storing the opposite value; if the bit line falls below the cell's write-trip
    voltage, the cell flips -- the multi-row-activation hazard of 6T compute SRAMs (Si et al.,
    "A twin-8T SRAM computation-in-memory macro...", ISSCC 2019, motivate their decoupled
    cell with it). The write trip at full word line is ``v_write_trip_v`` = 0.25 V (~V_DD/4,
    an engineering assumption in the range of published 65 nm bit-line write margins), and it
    falls one for one with word-line under-drive (a weaker access transistor needs a lower
    bit line to overpower the pull-up). Per-cell spread sqrt(2) sigma(V_th) from the access
    and pull-up mismatch (linearised).
    """

    v_write_trip_v: float = 0.25

    def __post_init__(self) -> None:
        super().__post_init__()
        non_negative("v_write_trip_v", self.v_write_trip_v)
        require("v_write_trip_v", self.v_write_trip_v, self.v_write_trip_v < self.vdd_v,
                f"must be below vdd_v = {self.vdd_v} V")

    def write_trip_v(self, v_wl_v: float) -> float:
        """Mean bit-line voltage (V) at which a cell flips during a read at ``v_wl_v``."""
        return self.v_write_trip_v - (self.vdd_v - self.check_word_line(v_wl_v))

    def read_disturb_probability(self, v_bl_v: float, v_wl_v: float) -> float:
        """P(flip) = Phi((V_trip(V_WL) - V_BL) / (sqrt(2) sigma_Vth)) for a bit line at ``v_bl_v``."""
        spread = math.sqrt(2) * self.sigma_vth_v
        margin = v_bl_v - self.write_trip_v(v_wl_v)
        if spread == 0:
            return float(margin < 0)
        return float(norm.cdf(-margin / spread))


@register("sram8t")
@dataclass(frozen=True)
class SRAM8T(SRAMBitCell):
    """8T SRAM bit-cell with a decoupled read port (read word-line transistor + read buffer).

    The read stack is two extra NMOS whose gate is the storage node, so reads never touch
    the storage nodes and cannot disturb them (Chang et al., "Stable SRAM cell design for the
    32 nm node and beyond", VLSI Symp. 2005). Read transistors of the 6T access size; area
    1.3x the 6T cell (the ~30 % overhead reported by Chang et al.).
    """

    area_vs_6t: ClassVar[float] = 1.3
    cell_area_m2: float = area_vs_6t * 0.57e-12


@register("sram_xnor")
@dataclass(frozen=True)
class XNORSRAM(SRAMBitCell):
    """XNOR bit-cell for binary nets: complementary storage with two decoupled read ports.

    Port 0 is gated by Q (stores w) and driven by the word line of input +1, port 1 by QB and
    the word line of input -1, so the cell sinks current iff XNOR(x, w) = 1 in one row per
    weight, as in the complementary-storage SRAM BNN cells of Xcel-RAM (Agrawal, Jaiswal, Lee &
    Roy, "Xcel-RAM: accelerating binary neural networks in high-throughput SRAM compute
    arrays", IEEE TCAS-I 66(8), 2019) and XNOR-SRAM (Yin, Jiang, Seo & Seok, IEEE JSSC 55(6),
    2020). Each port has its own mismatch; area 12T-like, 2x the 6T cell (assumption from
    the two extra read stacks).
    """

    area_vs_6t: ClassVar[float] = 2.0
    cell_area_m2: float = area_vs_6t * 0.57e-12
    _ports = 2

    def xnor_current_a(self, instance: SRAMInstance, inputs: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Current (A) each cell sinks for binary ``inputs`` in {-1, +1} (broadcast to the cells).

        The selected port conducts when XNOR(x, w) = 1; otherwise its storage-gated
        transistor is off and only leaks.
        """
        inputs = np.asarray(inputs)
        require("inputs", inputs.dtype, np.all(np.abs(inputs) == 1), "must be -1 or +1")
        port = (inputs < 0).astype(np.intp)
        port = np.broadcast_to(port, instance.states.shape)
        on = self.cell_current_a(instance.dvth_read, instance.dvth_stack, v_wl_v)
        leak = self.leakage_current_a(instance.dvth_stack)
        on_sel = np.take_along_axis(on, port[None], axis=0)[0]
        leak_sel = np.take_along_axis(leak, port[None], axis=0)[0]
        match = (instance.states == 1) == (port == 0)
        return np.where(match, on_sel, leak_sel)

    def read(self, instance: SRAMInstance, rng: np.random.Generator | None = None,
             v_wl_v: float | None = None) -> np.ndarray:
        """Current (A) of each cell with the +1 input's word line raised (port 0)."""
        v_wl = self.vdd_v if v_wl_v is None else v_wl_v
        return self.xnor_current_a(instance, np.ones(instance.states.shape, dtype=np.int8), v_wl)
