"""A 10T SRAM bit-cell with a coupling capacitor: XNOR (or AND) of input and stored bit in the charge domain.

The multiplying bit-cell of charge-domain in-memory computing (Valavi, Ramadge, Nestler & Verma,
"A 64-tile 2.4-Mb in-memory-computing CNN accelerator employing charge-domain compute", IEEE JSSC
54(6), 2019; Jia, Valavi, Tang, Zhang & Verma, "A programmable heterogeneous microprocessor based on
bit-scalable in-memory computing", IEEE JSSC 55(9), 2020): a 6T storage core plus four transistors
that drive one plate of a per-cell metal-fringe (MOM) capacitor C_i, laid out above the cell, to
V_DD when XNOR(x, w) = 1 (or, with one input line held low, when x AND w = 1) and to ground
otherwise. A column's capacitors are then shorted onto its compute line, whose parasitic
capacitance C_par shares the charge:

    V_line = V_DD * sum_i C_i b_i / (sum_i C_i + C_par)                       (charge conservation)

over every cell of the column (cells whose rows are not driven hold their plate at ground and
still share). The result depends on capacitor ratios, not on transistor currents: the transistor
threshold mismatch that spreads a current-domain SRAM column does not enter, the capacitors'
mismatch does.

* Capacitor mismatch: independent Gaussian per capacitor, sigma(C)/C = A_C / sqrt(C), the
  area law of matched capacitors (random edge and dielectric fluctuations averaging over the
  area, sigma^2 ~ 1/area ~ 1/C at a fixed density: Shyu, Temes & Krummenacher, "Random error
  effects in matched MOS capacitors and current sources", IEEE JSSC 19(6), 1984), the
  capacitor counterpart of Pelgrom's law.
* kT/C noise: opening the switch that resets the compute line samples thermal noise of variance
  kT / C_total on it, C_total = sum_i C_i + C_par, drawn once per read and column (Johns &
  Martin, Analog Integrated Circuit Design, Wiley 1997, the noise chapter's sampled kT/C noise).
* Energy: a capacitor whose plate is driven from 0 to V_DD draws C V_DD^2 from the supply
  (half stored, half dissipated in the driver; Rabaey, Chandrakasan & Nikolic, Digital
  Integrated Circuits, 2nd ed., ch. 5); resetting the line and plates to ground draws nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from imc.devices.base import CellCost, check_states, register
from imc.devices.sram import BOLTZMANN_J_PER_K, SRAMBitCell
from imc.errors import non_negative, positive, require

MIN_C_C_F, MAX_C_C_F = 1e-17, 1e-13  # 10 aF to 100 fF: what fits over one bit-cell, with margin
MAX_SIGMA_C_REL = 0.1  # 10 sigma below zero capacitance: a draw never goes non-positive in practice
SETTLE_TIME_CONSTANTS = 5.0  # exp(-5) < 1 %: a node settled to within 1 % of its final value


@dataclass(frozen=True, eq=False)
class CapacitorInstance:
    """Static per-chip realisation of charge-domain cells: stored bits and each cell's coupling
    capacitance (F, float64, shaped like the states)."""

    states: np.ndarray
    capacitance_f: np.ndarray


@register("sram10t_cap")
@dataclass(frozen=True)
class SRAM10TCap(SRAMBitCell):
    """10T SRAM bit-cell with a coupling capacitor (charge-domain XNOR / AND). 65 nm defaults.

    The storage core and its node parameters are the 6T cell's (`SRAMBitCell`, ``at_node``: V_DD,
    word-line capacitance, leakage); the compute path adds (SI units in the names):

    * ``c_c_f`` = 1.2 fF: the per-cell MOM capacitor above the bit-cell of Valavi et al. 2019
      (their multiplying bit-cell, 65 nm).
    * ``sigma_c_ref_rel`` = 1 % at ``c_ref_f`` = 1 fF: sigma(C)/C = A_C / sqrt(C) with
      A_C = sigma_c_ref_rel sqrt(c_ref_f) (the area law of Shyu et al. 1984), 0.91 % at 1.2 fF.
      Engineering assumption in the range measured for ~1 fF metal-fringe capacitors (Tripathi &
      Murmann, "Mismatch characterization of small metal fringe capacitors", IEEE TCAS-I 61(8),
      2014, report mismatch of about 1 % at that size).
    * ``c_line_cell_f`` = 0.2 fF: compute-line parasitic per cell (one ~1 um cell pitch of
      intermediate-level wire at ~0.2 fF/um plus the line's switch junctions; engineering
      assumption), so a 256-row column shares its charge with C_par = 51 fF.
    * ``r_switch_ohm`` = 10 kOhm: on-resistance of the cell's plate driver and sharing switch,
      V_DD / I_on of a minimum-width 65 nm device (~0.1 mA; engineering assumption); it sets the
      drive and share settling times, 5 R C_c each.
    * ``cell_area_m2``: ``area_vs_6t`` = 1.8 times the node's 6T cell: the four compute
      transistors beside the 6T core (the capacitor sits above it in metal); Valavi et al. 2019
      report their multiplying bit-cell about 1.8x a 6T cell (engineering reading of that figure).

    Reads never touch the storage nodes (the compute transistors are gated by them), so there is
    no read disturb. `read` returns charge (C).
    """

    response_unit = "C"
    variation_fields = ("sigma_c_ref_rel",)
    _ports = 2  # XNOR of +-1 input and stored bit: both complementary rows of the xnor encoding in one row
    area_vs_6t: ClassVar[float] = 1.8

    c_c_f: float = 1.2e-15
    sigma_c_ref_rel: float = 0.01
    c_ref_f: float = 1e-15
    c_line_cell_f: float = 0.2e-15
    r_switch_ohm: float = 10e3
    cell_area_m2: float = area_vs_6t * 0.57e-12

    def __post_init__(self) -> None:
        super().__post_init__()
        positive("c_c_f", self.c_c_f)
        require("c_c_f", self.c_c_f, MIN_C_C_F <= self.c_c_f <= MAX_C_C_F,
                f"must be in [{MIN_C_C_F:g}, {MAX_C_C_F:g}] F: a capacitor over one bit-cell (published ones "
                "are ~0.5-5 fF)")
        positive("c_ref_f", self.c_ref_f)
        non_negative("sigma_c_ref_rel", self.sigma_c_ref_rel)
        limit = MAX_SIGMA_C_REL * math.sqrt(self.c_c_f / self.c_ref_f)
        require("sigma_c_ref_rel", self.sigma_c_ref_rel, self.sigma_c_ref_rel <= limit,
                f"must be <= {limit:.3g}: the spread at c_c_f, sigma_c_ref_rel sqrt(c_ref_f / c_c_f), at most "
                f"{MAX_SIGMA_C_REL} (a larger spread could draw a non-positive capacitance)")
        non_negative("c_line_cell_f", self.c_line_cell_f)
        positive("r_switch_ohm", self.r_switch_ohm)

    def ignored_fields(self) -> dict[str, str]:
        """Fields without effect in this design (field -> why), which a loaded config warns about."""
        return {"a_vt_v_m": "capacitor ratios set the column sum; the transistors' threshold mismatch does not "
                            "enter (the capacitors' is sigma_c_ref_rel)"}

    @property
    def sigma_c_rel(self) -> float:
        """sigma(C)/C of one coupling capacitor: A_C / sqrt(C_c) = sigma_ref sqrt(C_ref / C_c) (Shyu et al. 1984)."""
        return self.sigma_c_ref_rel * math.sqrt(self.c_ref_f / self.c_c_f)

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> CapacitorInstance:
        """Static (per chip) capacitance of every cell: C_c (1 + sigma_c_rel N(0, 1)), independent."""
        states = check_states(states, self.levels)
        if self.sigma_c_rel == 0:
            return CapacitorInstance(states, np.full(states.shape, self.c_c_f))
        relative = 1.0 + self.sigma_c_rel * rng.standard_normal(states.shape)
        return CapacitorInstance(states, self.c_c_f * relative)

    def xnor_bits(self, states: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """Whether each cell drives its capacitor to V_DD for binary ``inputs`` in {-1, +1}
        (broadcast to the cells): XNOR(x, w), with w = +1 stored as 1."""
        inputs = np.asarray(inputs)
        require("inputs", inputs.dtype, bool(np.all(np.abs(inputs) == 1)), "must be -1 or +1")
        return (np.asarray(states) == 1) == (inputs > 0)

    def read(self, instance: CapacitorInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Charge (C) each cell puts on its capacitor for input +1: C_i V_DD [w = +1]. The read is
        noiseless per cell; the kT/C noise of the shared line belongs to the column (`line_noise_v`)."""
        return instance.capacitance_f * self.vdd_v * (instance.states == 1)

    def line_voltage_v(self, capacitance_f: np.ndarray, driven: np.ndarray, c_par_f: float) -> np.ndarray:
        """Compute-line voltage (V) of columns after charge sharing, V_DD sum_i C_i b_i / (sum_i C_i +
        C_par): ``capacitance_f`` (..., rows, cols) every cell of the columns, ``driven`` (..., rows,
        cols) 0/1 whether its plate was driven to V_DD, ``c_par_f`` the line's parasitic (F)."""
        non_negative("c_par_f", c_par_f)
        capacitance_f = np.asarray(capacitance_f, dtype=np.float64)
        charge = self.vdd_v * (capacitance_f * driven).sum(axis=-2)
        return charge / (capacitance_f.sum(axis=-2) + c_par_f)

    def line_noise_v(self, c_total_f) -> np.ndarray:
        """Std (V) of the kT/C noise sampled on a line of total capacitance ``c_total_f``: sqrt(kT / C)."""
        c_total_f = np.asarray(c_total_f, dtype=np.float64)
        require("c_total_f", "non-positive", bool(np.all(c_total_f > 0)), "must be > 0")
        return np.sqrt(BOLTZMANN_J_PER_K * self.temperature_k / c_total_f)

    def drive_energy_j(self, charged_cells) -> np.ndarray:
        """Supply energy (J) of driving ``charged_cells`` capacitor plates from 0 to V_DD: n C_c V_DD^2."""
        return np.asarray(charged_cells, dtype=np.float64) * self.c_c_f * self.vdd_v ** 2

    @property
    def settle_time_s(self) -> float:
        """Time (s) to drive a plate, or to share its charge, through the cell's switch: 5 R C_c."""
        return SETTLE_TIME_CONSTANTS * self.r_switch_ohm * self.c_c_f

    def cost(self, rows: int = 256, swing_v: float = 0.1) -> CellCost:
        """One compute read (the cell's capacitor driven to V_DD, C_c V_DD^2, plus its share of the
        input line, C_WL,cell V_DD^2, in one `settle_time_s`) and one write (the 6T core's, `SRAMBitCell.cost`)."""
        write = super().cost(rows, swing_v)
        return CellCost(read_energy_j=float(self.drive_energy_j(1)) + self.c_wl_cell_f * self.vdd_v ** 2,
                        read_latency_s=self.settle_time_s, write_energy_j=write.write_energy_j,
                        write_latency_s=write.write_latency_s)
