"""Row periphery of an array: the address decoder, the word-line drivers and the control
registers with their clock, priced per array evaluation, and their standby power.

One `RowDrivers` (carried by every array's `DigitalCosts`, ``array.digital.drivers``) prices
the row periphery of every array kind through `RowDrivers.op_cost`, so that each array's
`op_cost` adds the same three components:

* ``decoder``: one address decode per array evaluation (a row activation);
* ``wl_driver``: the tapered buffer chain of every raised word line;
* ``control``: clocking the input register, one flip-flop per row, per evaluation.

Capacitances come from the node's gate oxide (PTM cards) and the logical-effort sizing of
Weste & Harris, "CMOS VLSI Design", 4th ed., Addison-Wesley 2011 (ch. 4 delay and logical
effort, ch. 5 power, ch. 10 sequencing, ch. 12 array subsystems).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imc.arrays.base import OpCost
from imc.devices.sram import NODES as CELL_NODES
from imc.devices.sram import SRAM6T
from imc.errors import in_range, int_in_range, non_negative, plausible, positive, require

EPSILON_OX_F_PER_M = 3.9 * 8.8541878128e-12  # SiO2-equivalent permittivity (epsrox = 3.9 of the PTM cards)

T_OX_M = {
    # The NMOS electrical oxide thickness toxe of the PTM bulk cards (Zhao & Cao, "New generation of
    # predictive technology model for sub-45 nm early design exploration", IEEE TED 53(11), 2006;
    # ptm.asu.edu): 130 nm 2.25 nm, 65 nm 1.85 nm, 45 nm HP (metal gate / high-k) 1.25 nm, 22 nm HP 1.05 nm;
    # 28 nm: the 1.15 nm of the PTM 32 nm HP card, the transistor of the 28 nm node (`imc.devices.sram.NODES`).
    "130nm": 2.25e-9, "65nm": 1.85e-9, "45nm": 1.25e-9, "28nm": 1.15e-9, "22nm": 1.05e-9,
}
# Per node: the supply and gate length of that node's SRAM cell (`imc.devices.sram.NODES`) and its oxide
NODES = {node: dict(vdd_v=CELL_NODES[node]["vdd_v"], t_ox_m=t_ox, l_gate_m=CELL_NODES[node]["l_read_m"])
         for node, t_ox in T_OX_M.items()}

# Bulk standard-cell layout rules of DNN+NeuroSim (constant.h, used by CalculateGateArea in formula.cpp; Peng,
# Huang, Luo, Sun & Yu, "DNN+NeuroSim", IEDM 2019), in units of the feature size F (the gate length):
CELL_HEIGHT_F = 28.0                     # MAX_TRANSISTOR_HEIGHT: height of a gate's transistor region
POLY_PITCH_F = 1.0 + 2.8                 # POLY_WIDTH + MIN_GAP_BET_GATE_POLY: the contacted gate pitch
DIFFUSION_HEIGHT_F = CELL_HEIGHT_F - 3.5 - 2 * (1.0 + 1.6 / 2)  # less the p-n gap and the poly extensions: 20.9


def off_current_per_width_a_m(node: str) -> float:
    """Off current per metre of gate width (A/m) at ``node``: the sub-threshold current at V_GS = 0
    of the storage transistor of that node's `SRAM6T` cell (`imc.devices.sram.NODES`, its PTM
    threshold and alpha-power calibration), divided by its width."""
    cell = SRAM6T.at_node(node)
    return float(cell.leakage_current_a(np.zeros(1))[0]) / cell.w_stack_m


@dataclass(frozen=True)
class RowDrivers:
    """Decoder, word-line drivers and control registers of one array. 65 nm defaults (``NODES``).

    * Unit inverter: nMOS 2 L and pMOS 4 L wide (the 4 lambda / 8 lambda unit inverter of
      Weste & Harris ch. 4, lambda = L / 2), ``unit_width_l`` = 6 gate lengths of gate width;
      its input capacitance C_inv = eps_ox L (6 L) / t_ox, the intrinsic gate capacitance of
      ``t_ox_m`` and ``l_gate_m`` (overlap and fringe left out: a lower bound). 65 nm: 0.47 fF.
    * ``stage_effort`` f = 4: the fan-out per stage of an optimally sized path (Weste & Harris
      sec. 4.5.3, best stage effort about 4 for an inverter parasitic delay of 1);
      ``parasitic_ratio`` gamma = 1: diffusion capacitance equal to gate capacitance, the
      p_inv = 1 of logical effort (sec. 4.4.2).
    * Decoder: one of ``rows`` rows is selected by n = ceil(log2 rows) address bits; along the
      decode path each bit switches one unit gate loaded by f of its kind (the logical-effort
      sized decoder, Weste & Harris sec. 12.2.2), E_dec = n (f + gamma) C_inv V_DD^2 per decode.
      The predecode wires' branching load is left out (a lower bound), so the energy grows with
      log2(rows).
    * Word-line driver: a tapered chain of inverters, each f times the previous, driving C_WL.
      Its gates sum to C_WL / (f - 1) and its drains to gamma C_WL / (f - 1) (the geometric
      series of stage sizes; Rabaey, Chandrakasan & Nikolic, Digital Integrated Circuits, 2nd
      ed., sec. 5.4.3), all swinging V_DD: E_drv = (1 + gamma) C_WL V_DD^2 / (f - 1) per raised
      word line, on top of the word line's own C_WL V_WL^2 (the arrays' ``wordline``).
    * Control: the input register, one flip-flop per row, clocked once per evaluation. A
      transmission-gate master-slave flip-flop loads its clock and clock complement with four
      transmission gates (Weste & Harris sec. 10.3.2), ``ff_clock_inverters`` = 4 unit-inverter
      loads: E_ctl = rows x 4 C_inv V_DD^2 per evaluation (one charge and discharge per cycle).
    * Standby power: every gate of the chains and one unit gate of the decoder per row leak with
      half their width off in any state (one of the two networks of a CMOS gate is off, Weste &
      Harris sec. 5.3): P = rows (W_chain + W_unit) / 2 I_off V_DD, W_chain = C_WL / ((f - 1)
      eps_ox L / t_ox). ``i_off_a_per_m`` = 9.36e-5 A/m (93.6 pA/um): the off current per width of
      the 65 nm `SRAM6T` storage transistor (`off_current_per_width_a_m`), the same device
      physics as the cells' leakage.
    * Area: each gate laid out as a bulk standard cell of DNN+NeuroSim's rules (``CELL_HEIGHT_F``,
      ``POLY_PITCH_F``, ``DIFFUSION_HEIGHT_F``; CalculateGateArea of its formula.cpp): a gate of total
      width W (nMOS + pMOS) is folded into k = ceil(W / (20.9 F)) fingers and takes H x (k + 1) CPP,
      H = 28 F, CPP = 3.8 F, F = ``l_gate_m`` (so areas scale as F^2 at widths in proportion to F). Per
      row: one unit gate of the decoder and the stages of the word-line chain, widths C_WL / (f^k eps_ox
      L / t_ox), k = 1, 2, ... down to the unit inverter (the series whose sum the energy and leakage
      use). The input register's flip-flops and the predecoder are left out (a lower bound, as for the
      leakage). 65 nm: 0.90 um^2 per unit gate.

    The periphery's delay overlaps the bit-line precharge and is not added to the latency.
    """

    vdd_v: float = 1.1
    t_ox_m: float = 1.85e-9
    l_gate_m: float = 65e-9
    unit_width_l: float = 6.0
    stage_effort: float = 4.0
    parasitic_ratio: float = 1.0
    ff_clock_inverters: float = 4.0
    i_off_a_per_m: float = 9.36e-5

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("vdd_v", "t_ox_m", "l_gate_m", "unit_width_l", "ff_clock_inverters"):
            positive(name, getattr(self, name))
        in_range("stage_effort", self.stage_effort, 1.5, 20.0, "sized buffer chains use a fan-out of 2-10 per stage")
        in_range("parasitic_ratio", self.parasitic_ratio, 0.0, 5.0, "diffusion / gate capacitance of CMOS is 0.5-2")
        non_negative("i_off_a_per_m", self.i_off_a_per_m)

    @classmethod
    def at_node(cls, node: str, **overrides) -> "RowDrivers":
        """The row periphery of technology node ``node`` (``NODES``, the off current of its SRAM
        transistor: `off_current_per_width_a_m`)."""
        require("node", node, node in NODES, f"allowed: {sorted(NODES)}")
        return cls(**{**NODES[node], "i_off_a_per_m": off_current_per_width_a_m(node), **overrides})

    @property
    def c_gate_per_width_f_m(self) -> float:
        """Gate capacitance per metre of width (F/m): eps_ox L / t_ox."""
        return EPSILON_OX_F_PER_M * self.l_gate_m / self.t_ox_m

    @property
    def c_inv_f(self) -> float:
        """Input capacitance of the unit inverter (F): eps_ox L / t_ox x unit_width_l L."""
        return self.c_gate_per_width_f_m * self.unit_width_l * self.l_gate_m

    def decode_energy_j(self, rows: int) -> float:
        """One decode of one of ``rows`` rows (J): ceil(log2 rows) (f + gamma) C_inv V_DD^2."""
        int_in_range("rows", rows, 1)
        stages = math.ceil(math.log2(rows))
        return stages * (self.stage_effort + self.parasitic_ratio) * self.c_inv_f * self.vdd_v ** 2

    def driver_energy_j(self, c_wl_f: float) -> float:
        """The buffer chain of one raised word line of ``c_wl_f`` (J): (1 + gamma) C_WL V_DD^2 / (f - 1)."""
        positive("c_wl_f", c_wl_f)
        return (1.0 + self.parasitic_ratio) * c_wl_f * self.vdd_v ** 2 / (self.stage_effort - 1.0)

    def clock_energy_j(self, registers: int) -> float:
        """Clocking ``registers`` flip-flops once (J): registers x ff_clock_inverters C_inv V_DD^2."""
        int_in_range("registers", registers, 0)
        return registers * self.ff_clock_inverters * self.c_inv_f * self.vdd_v ** 2

    def op_cost(self, rows: int, evaluations: float, pulses: float, c_wl_f: float | None,
                registers: int | None = None) -> OpCost:
        """Row periphery of one array operation (no latency): ``evaluations`` decodes and clockings of
        ``registers`` input flip-flops (default one per row) of an array of ``rows`` rows, and
        ``pulses`` raised word lines of ``c_wl_f`` each (None: no word-line chain is modelled)."""
        non_negative("evaluations", evaluations)
        non_negative("pulses", pulses)
        energy = {"decoder": evaluations * self.decode_energy_j(rows),
                  "control": evaluations * self.clock_energy_j(rows if registers is None else registers)}
        if c_wl_f is not None:
            energy["wl_driver"] = pulses * self.driver_energy_j(c_wl_f)
        return OpCost(energy, 0.0)

    @property
    def unit_width_m(self) -> float:
        """Gate width of the unit inverter, nMOS plus pMOS (m): unit_width_l L."""
        return self.unit_width_l * self.l_gate_m

    def gate_area_m2(self, width_m: float) -> float:
        """Layout area (m^2) of one gate of total width ``width_m``: H (1 + ceil(W / (20.9 F))) CPP, F = L."""
        positive("width_m", width_m)
        fingers = max(1, math.ceil(width_m / (DIFFUSION_HEIGHT_F * self.l_gate_m) - 1e-9))
        return CELL_HEIGHT_F * self.l_gate_m * (1 + fingers) * POLY_PITCH_F * self.l_gate_m

    def chain_widths_m(self, c_wl_f: float) -> list[float]:
        """Gate widths (m) of the stages of one word-line buffer chain, the last first: C_WL / (f^k eps_ox L /
        t_ox) for k = 1, 2, ... while at least the unit inverter's (the last stage always)."""
        positive("c_wl_f", c_wl_f)
        widths = [c_wl_f / (self.stage_effort * self.c_gate_per_width_f_m)]
        while widths[-1] / self.stage_effort >= self.unit_width_m:
            widths.append(widths[-1] / self.stage_effort)
        return widths

    def area_m2(self, rows: int, c_wl_f: float | None) -> float:
        """Area of the row periphery of ``rows`` word lines (m^2): per row, one unit decoder gate plus the
        stages of its chain (`chain_widths_m`; none when ``c_wl_f`` is None), each `gate_area_m2`."""
        int_in_range("rows", rows, 1)
        chain = [] if c_wl_f is None else self.chain_widths_m(c_wl_f)
        return rows * sum(self.gate_area_m2(width) for width in [self.unit_width_m, *chain])

    def leakage_power_w(self, rows: int, c_wl_f: float | None) -> float:
        """Standby power of the row periphery of ``rows`` rows (W): rows (W_chain + W_unit) / 2 I_off V_DD,
        without a chain when ``c_wl_f`` is None."""
        int_in_range("rows", rows, 1)
        chain_m = 0.0 if c_wl_f is None else c_wl_f / ((self.stage_effort - 1.0) * self.c_gate_per_width_f_m)
        width_m = chain_m + self.unit_width_l * self.l_gate_m
        return rows * width_m / 2.0 * self.i_off_a_per_m * self.vdd_v
