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
* Timing: an analog node settled through a resistance R onto a capacitance C has an error
  e^(-t / RC) of its step; converted by a b-bit ADC it must be within half an LSB of a full-scale
  step, e^(-N) < 2^-(b+1), so it takes N = ln(2^(b+1)) = (b + 1) ln 2 time constants
  (`settle_time_constants`: 6.2 for 8 bits). A switch's on-resistance follows the supply as the
  alpha-power law's gate delay does (`alpha_power_delay_ratio`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import ClassVar

import numpy as np

from imc.devices.base import CellCost, check_states, register
from imc.devices.sram import BOLTZMANN_J_PER_K, NODES, SRAMBitCell, alpha_power_delay_ratio
from imc.errors import finite, int_in_range, non_negative, positive, require

MIN_C_C_F, MAX_C_C_F = 1e-17, 1e-13  # 10 aF to 100 fF: what fits over one bit-cell, with margin
MAX_SIGMA_C_REL = 0.1  # 10 sigma below zero capacitance: a draw never goes non-positive in practice
SETTLE_TIME_CONSTANTS = 5.0  # exp(-5) < 1 %: a digital node settled to within 1 % of its final value


def settle_time_constants(bits: int) -> float:
    """Time constants N for an RC node to settle within half an LSB of a ``bits``-bit converter:
    e^(-N) = 2^-(bits+1), N = (bits + 1) ln 2 (module docstring)."""
    int_in_range("bits", bits, 1, 16)
    return (bits + 1) * math.log(2.0)


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
    * ``vdd_ref_v`` = 1.1 V: the node's nominal supply (``NODES``; ``at_node`` sets it), at which
      the transistor drives of the node are calibrated (``i_read_a``: ~0.5 mA/um at the nominal
      supply). The cell's ``vdd_v`` may differ (an operating point of a paper); its switch then
      follows the alpha-power law from there (`switch_resistance_ohm`).
    * Compute switch: the transistors that drive a plate and share its charge are taken of the
      core's storage-gated (pull-down) size, ``w_stack_m`` x ``l_stack_m`` (engineering
      assumption; a transmission gate's parallel PMOS would lower the resistance). Its
      on-resistance is V_ref / I_D0 at the nominal supply, I_D0 the saturation drive of that
      transistor at V_GS = V_DS = V_ref of the calibrated alpha-power model (`SRAMBitCell`;
      13.2 kOhm at 65 nm), scaled to ``vdd_v`` by `alpha_power_delay_ratio`.
    * ``cell_area_m2``: ``area_vs_6t`` = 1.8 times the node's 6T cell (1.03 um^2 at 65 nm): the
      compute transistors beside the 6T core, the capacitor above it in metal; Valavi et al. 2019
      report their multiplying bit-cell at about 1.8x a 6T cell (recalled, not in the stored
      material: an assumption). A measured bit-cell area replaces it (the Jia et al. 2020 preset
      sets its CIMA's area per bit, Fig. 11).

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
    vdd_ref_v: float = NODES["65nm"]["vdd_v"]
    cell_area_m2: float = area_vs_6t * NODES["65nm"]["cell_area_m2"]

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
        require("vdd_ref_v", self.vdd_ref_v, finite(self.vdd_ref_v) and self.vth0_v < self.vdd_ref_v < 10.0,
                f"must be above vth0_v = {self.vth0_v} V (and below 10 V): the nominal supply of the node")

    @classmethod
    def at_node(cls, node: str, **overrides) -> SRAM10TCap:
        """The cell of technology node ``node`` (`SRAMBitCell.at_node`), its ``vdd_ref_v`` the node's
        nominal supply."""
        nominal = {"vdd_ref_v": NODES[node]["vdd_v"]} if node in NODES else {}
        return super().at_node(node, **{**nominal, **overrides})

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

    def supply_delay_ratio(self) -> float:
        """`alpha_power_delay_ratio` of a transistor of this node at the cell's ``vdd_v`` against the
        nominal ``vdd_ref_v``, with the node's ``vth0_v`` and ``alpha``."""
        return alpha_power_delay_ratio(self.vdd_v, self.vdd_ref_v, self.vth0_v, self.alpha)

    @cached_property
    def switch_resistance_ohm(self) -> float:
        """On-resistance (Ohm) of the cell's compute switch at its supply: V_ref / I_D0(V_ref) of the
        storage-gated-size transistor at the nominal supply (the calibrated drive), times
        `supply_delay_ratio` (class docstring)."""
        nominal = self if self.vdd_v == self.vdd_ref_v else replace(self, vdd_v=self.vdd_ref_v)
        return self.vdd_ref_v / nominal._drives_a[1] * self.supply_delay_ratio()

    def settle_time_s(self, bits: int) -> float:
        """Time (s) to drive a plate, or to share its charge, within half an LSB of a ``bits``-bit
        conversion: N R_on C_c, N = `settle_time_constants` (bits).

        Sharing: every capacitor joins the compute line through its own switch, a star of n branches
        R_on - C_c around the line's C_par. Its modes are the capacitors' differences, each decaying
        with R_on C_c while the line holds, and the line against their mean, with R_on C_c C_par /
        (n C_c + C_par) < R_on C_c (the node equations of the star): the slowest is R_on C_c, whatever
        the column's length (the line's own wire resistance is left out)."""
        return settle_time_constants(bits) * self.switch_resistance_ohm * self.c_c_f

    def cost(self, rows: int = 256, swing_v: float = 0.1) -> CellCost:
        """One compute read (the cell's capacitor driven to V_DD, C_c V_DD^2, plus its share of the
        input line, C_WL,cell V_DD^2, in one `settle_time_s` to half a count of a ``rows``-cell column,
        ceil(log2(rows + 1)) bits) and one write (the 6T core's, `SRAMBitCell.cost`)."""
        write = super().cost(rows, swing_v)
        bits = min(max(math.ceil(math.log2(rows + 1)), 1), 16)
        return CellCost(read_energy_j=float(self.drive_energy_j(1)) + self.c_wl_cell_f * self.vdd_v ** 2,
                        read_latency_s=self.settle_time_s(bits), write_energy_j=write.write_energy_j,
                        write_latency_s=write.write_latency_s)
