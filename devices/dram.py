"""DRAM 1T1C cell for processing-in-DRAM: charge sharing, Ambit triple-row activation, retention.

A DRAM cell stores a bit as charge on a capacitor C_s behind an access transistor. Reading a
row (ACTIVATE) connects every cell of the row to its bit line, precharged to V_pre = V_DD/2;
cell and bit line share charge and the sense amplifier (SA) resolves the sign of the small
bit-line deviation, then drives the bit line to a full rail and so restores the cells.

Ambit (Seshadri et al., "Ambit: In-Memory Accelerator for Bulk Bitwise Operations Using
Commodity DRAM Technology", MICRO 2017) computes with this analog step: activating three rows
at once (triple-row activation, TRA) makes the SA output the majority of the three cells;
with one of them a constant 0 or 1 row this is AND or OR; a dual-contact cell (DCC) reachable
from both the bit line and its complement gives NOT. Every bulk operation is a sequence of
AAP (ACTIVATE-ACTIVATE-PRECHARGE: copy the sensed value of the first activation into the rows
of the second) and AP (ACTIVATE-PRECHARGE) commands on designated rows T0-T3, DCC0, DCC1 and
the constant rows C0 (all 0) and C1 (all 1); `PROGRAMS` lists the sequences this model runs.

Array layout: cell arrays are (..., rows, cols): the last axis is the bit lines (columns),
axis -2 the rows of one subarray that share those bit lines and SAs, leading axes independent
subarrays or chips. Every operation works on whole rows, vectorised over all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.special import ndtr

from imc.devices import _kernels_dram
from imc.devices.base import CellCost, Device, check_states, register
from imc.errors import ParameterError, in_range, int_in_range, non_negative, plausible, positive, require

BOLTZMANN_J_K = 1.380649e-23

DESIGNATED_ROWS = ("T0", "T1", "T2", "T3", "DCC0", "DCC1", "C0", "C1")
"""Ambit's reserved rows of a subarray (Ambit Sec. 5): B-group T0-T3, DCC0, DCC1; C-group C0, C1."""

OPERANDS = ("A", "B", "C")
RESULT = "D"

PROGRAMS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "read": ((("A",), ()),),
    "maj3": ((("A",), ("T0",)), (("B",), ("T1",)), (("C",), ("T2",)), (("T0", "T1", "T2"), (RESULT,))),
    "and": ((("A",), ("T0",)), (("B",), ("T1",)), (("C0",), ("T2",)), (("T0", "T1", "T2"), (RESULT,))),
    "or": ((("A",), ("T0",)), (("B",), ("T1",)), (("C1",), ("T2",)), (("T0", "T1", "T2"), (RESULT,))),
    "not": ((("A",), ("DCC0",)), (("~DCC0",), (RESULT,))),
    "xnor": (
        (("A",), ("T0", "~DCC0")),          # AAP: T0 = A, DCC0 = !A
        (("B",), ("T1", "~DCC1")),          # AAP: T1 = B, DCC1 = !B
        (("C0",), ("T2", "T3")),            # AAP: T2 = T3 = 0
        (("DCC0", "T1", "T2"), ()),         # AP (TRA): DCC0 = T1 = T2 = !A & B
        (("DCC1", "T0", "T3"), ()),         # AP (TRA): DCC1 = T0 = T3 = A & !B
        (("C1",), ("T2",)),                 # AAP: T2 = 1
        (("T0", "T1", "T2"), ("DCC0",)),    # AAP (TRA): DCC0 = (A & !B) | (!A & B) = A xor B
        (("~DCC0",), (RESULT,)),            # AAP through the n-wordline: D = !(A xor B)
    ),
}
"""Command sequences, one step per AAP (activated rows, rows written by the second ACTIVATE) or
AP (no rows written). "A", "B", "C" are the operand data rows, "D" the result row, "~X" the
dual-contact cell X through its n-wordline (complement bit line). The last step's sensed value
is the result. AND/OR and NOT are Ambit's command sequences (Ambit Sec. 5:
AND = AAP(A,T0) AAP(B,T1) AAP(C0,T2) AAP(TRA(T0,T1,T2),D); NOT = AAP(A,DCC0) AAP(~DCC0,D)).
MAJ3 replaces the constant row by a third operand. XNOR is Ambit's XOR sequence (5 AAP + 2 AP)
whose result is written into DCC0 and read back through its n-wordline as in Ambit's NOT:
6 AAP + 2 AP in all."""

N_OPERANDS = {"read": 1, "not": 1, "and": 2, "or": 2, "xnor": 2, "maj3": 3}

ENERGY_MODELS = ("power_model", "bit_line")
"""How `DRAM1T1C` prices its commands (``energy_model``): per command from datasheet currents, or
the bit-line charge upper bound."""


def ideal_result(op: str, bits: tuple[int, ...]) -> int:
    """The Boolean value ``op`` computes on operand ``bits`` (0/1)."""
    if op == "read":
        return bits[0]
    if op == "not":
        return 1 - bits[0]
    if op == "and":
        return bits[0] & bits[1]
    if op == "or":
        return bits[0] | bits[1]
    if op == "xnor":
        return 1 - (bits[0] ^ bits[1])
    return int(sum(bits) >= 2)


@dataclass(frozen=True)
class DRAMInstance:
    """One chip's static realisation of a DRAM subarray (shapes: see the module docstring).

    * ``v_cell_v`` (..., rows, cols): voltage on each data cell's capacitor (V);
    * ``c_s_f`` (..., rows, cols): each data cell's storage capacitance (F);
    * ``tau_s`` (..., rows, cols): each cell's leakage time constant (s);
    * ``c_designated_f`` (..., 8, cols): capacitance of the cells of `DESIGNATED_ROWS` (F);
    * ``sa_offset_v`` (..., cols): input-referred offset of each bit line's sense amplifier (V);
    * ``c_bl_f`` (..., cols): each bit line's capacitance (F), or None for the device's ``c_bl_f``
      on every bit line.
    """

    v_cell_v: np.ndarray
    c_s_f: np.ndarray
    tau_s: np.ndarray
    c_designated_f: np.ndarray
    sa_offset_v: np.ndarray
    c_bl_f: np.ndarray | None = None


@register("dram")
@dataclass(frozen=True)
class DRAM1T1C(Device):
    """DRAM 1T1C cell with Ambit bulk bitwise operations. Defaults: a DDR3-1600 commodity part.

    Parameters (SI units in the names) and their sources:

    * ``vdd_v`` = 1.5 V: DDR3 supply (JEDEC JESD79-3, DDR3 SDRAM standard). The bit lines
      are taken to swing the full V_DD with V_pre = V_DD/2, as in Ambit's Eq. (1) for the
      TRA deviation, which is written in V_DD.
    * ``c_s_f`` = 30 fF: commodity-DRAM cell capacitance of CACTI (Thoziyoor, Ahn, Monchiero,
      Brockman & Jouppi, "A comprehensive memory modeling tool and its application to the
      design and analysis of future memory hierarchies", ISCA 2008; ``comm_dram`` cell of
      CACTI's technology file, 30 fF at every node).
    * ``c_bl_f`` = 180 fF: bit-line capacitance, an engineering assumption of C_BL = 6 C_s
      (about 0.35 fF per cell on a 512-cell bit line); it gives a single-cell signal of
      (V_DD/2) C_s/(C_s + C_BL) = 107 mV, inside the 100-200 mV that DRAM sensing is built for.
    * ``sigma_c_s_rel`` = 0.05: relative std of C_s across cells, an engineering assumption
      (Ambit Sec. 3.1 studies TRA under such component variation with SPICE). Limited to 0.15
      so that a Gaussian draw is never a negative capacitance in practice (6.7 sigma).
    * ``sigma_c_bl_rel`` = 0: relative std of the bit-line capacitance from bit line to bit line
      (line width and spacing), drawn once per bit line, C_BL (1 + sigma N(0,1)); it scales each
      line's signal C_s dV_cell / (C_s + C_BL) (Keeth & Baker, "DRAM Circuit Design: A
      Tutorial", IEEE Press 2001, ch. 1) and its kT/C noise. Off by default (no sourced spread);
      limited to 0.15 like ``sigma_c_s_rel``.
    * SA offset: the threshold mismatch of the SA's cross-coupled NMOS pair, sigma_os = sqrt(2)
      A_VT / sqrt(W L) (Pelgrom, Duinmaijer & Welbers, IEEE JSSC 24(5), 1989) with ``a_vt_v_m``
      = 3 mV*um (Kuhn et al., IEEE TED 58(8), 2011, as for `imc.devices.sram`) and ``w_sa_m`` x
      ``l_sa_m`` = 0.6 um x 0.3 um = 0.18 um^2 (engineering assumption for a DRAM SA): 10 mV.
      ``sigma_sa_offset_v`` sets it directly instead (None: the Pelgrom value, `sa_offset_sigma_v`).
    * Access transistor: a cell written to '1' through its NMOS access transistor charges only
      to V_PP - V_th when that is below V_DD (the reason the word line is boosted above V_DD + V_th:
      Keeth & Baker, ch. 1), V_cell = min(V_DD, V_PP - V_th). ``v_pp_v`` = 2.5 V: the word-line
      supply VPP of DDR4 (JEDEC JESD79-4; DDR3 pumps it on die); ``vth_access_v`` = 0.7 V:
      engineering assumption for a high-threshold array transistor, leaving 0.3 V of margin, so
      nominal cells store the full V_DD; ``sigma_vth_access_v`` = 0: per-cell threshold spread
      (off by default; Pelgrom's A_VT / sqrt(W L) of the access device when a preset sets it).
    * ``temperature_k`` = 358.15 K (85 C): top of the JEDEC DDR3 normal operating range, in
      which every cell must hold its data for the 64 ms refresh window. Sets the dynamic
      sense noise, the kT/C noise of the bit-line node: sigma = sqrt(k_B T / (sum C_i + C_BL)).
    * ``retention_median_s`` = 2 s, ``sigma_ln_retention`` = 0.6: lognormal retention time,
      ln t_R ~ N(ln median, sigma^2). Lognormal because the junction (Shockley-Read-Hall)
      leakage that empties a cell depends exponentially on trap levels that are spread across
      cells (Hiraiwa et al., "Statistical analysis of dynamic-random-access-memory
      data-retention characteristics", Proc. SPIE 3212, 1997; Hamamoto, Sugiura & Sawada,
      "On the retention time distribution of dynamic random access memory (DRAM)", IEEE TED
      45(6), 1998). The two numbers are engineering assumptions, not a fit to those papers:
      they put 5e-9 of the cells (a few tens per 8 Gb die, left to row/column redundancy)
      below JEDEC's 64 ms refresh window and the median cell at seconds, the scale of the
      retention times Liu et al. ("An Experimental Study of Data Retention Behavior in
      Modern DRAM Devices", ISCA 2013) test with refresh intervals of seconds.
    * ``t_rcd_s`` = ``t_rp_s`` = 13.75 ns, ``t_ras_s`` = 35 ns, ``t_wr_s`` = 15 ns: DDR3-1600K
      (11-11-11) speed bin of JEDEC JESD79-3.
    * ``t_second_activate_s`` = 35 ns: time the second ACTIVATE of an AAP holds the row open
      before the precharge. Conservative default tRAS, i.e. AAP = 2 tRAS + tRP = 83.75 ns, the
      RowClone-FPM copy (Seshadri et al., "RowClone", MICRO 2013) that Seshadri et al., "Fast
      Bulk Bitwise AND and OR in DRAM", IEEE CAL 2015, cost at 340 ns for four copies; their
      aggressive variant with a separate small decoder reaches about 50 ns per copy.

    Energy of the DRAM commands (`op_cost`, `cost`, `row_write_energy_j`); the accuracy model above
    does not depend on it:

    * ``energy_model`` = "power_model": how commands are priced (`ENERGY_MODELS`). "power_model":
      per command from the datasheet currents below, as a DRAM power model does it (`act_energy_j`,
      `pre_energy_j`, `write_burst_energy_j`); "bit_line": the bit-line charge upper bound of
      `bit_line_energy_j`, which misses the row decode, word-line, sense-amplifier control and
      data-path energy that the datasheet currents contain.
    * ``idd0_a`` = 55 mA (IDD0, one bank ACTIVATE-PRECHARGE at tRC), ``idd2n_a`` = 32 mA (IDD2N,
      precharge standby), ``idd3n_a`` = 38 mA (IDD3N, active standby), ``idd4w_a`` = 125 mA (IDD4W,
      burst write), all at VDD = 1.5 V: Micron's 4 Gb x8 DDR3-1600 MT41J512M8 (die rev. E, J), as
      transcribed in gem5's ``DDR3_1600_8x8`` (gem5/gem5, src/python/gem5/components/memory/
      dram_interfaces/ddr3.py: "Current values from datasheet Die Rev E,J"; the datasheet itself is
      not in the stored material). Its DDR3-1600 11-11-11 timings are this class's ``t_ras_s`` =
      35 ns and ``t_rp_s`` = 13.75 ns, at which IDD0 is specified (tRC = tRAS + tRP).
    * ``page_bits`` = 8192: the row (page) one ACTIVATE opens in that part, 1 K columns x 8 bits
      (gem5 ``device_rowbuffer_size = "1KiB"``); a command's energy is spread evenly over its bit
      lines (`activate_energy_j`). The standby currents themselves (IDD2N VDD, IDD3N VDD: 48 and 57 mW
      a chip) are the chip's background power, not a command's, and are not counted, nor is refresh.
    * ``tra_energy_ratio`` = 1.22: a triple-row activation costs 22 % more than a regular ACTIVATE
      (Ambit Sec. 7, from the Rambus DRAM power model; recalled, not found in the stored material).
      Limited to [1, 3]: three word lines cost at least one and at most three activations.
    """

    response_unit: ClassVar[str] = "V"
    variation_fields = ("sigma_c_s_rel", "sigma_sa_offset_v", "sigma_ln_retention", "sigma_c_bl_rel",
                        "sigma_vth_access_v")

    vdd_v: float = 1.5
    c_s_f: float = 30e-15
    c_bl_f: float = 180e-15
    sigma_c_s_rel: float = 0.05
    sigma_sa_offset_v: float | None = None
    a_vt_v_m: float = 3.0e-9
    w_sa_m: float = 0.6e-6
    l_sa_m: float = 0.3e-6
    sigma_c_bl_rel: float = 0.0
    v_pp_v: float = 2.5
    vth_access_v: float = 0.7
    sigma_vth_access_v: float = 0.0
    temperature_k: float = 358.15
    retention_median_s: float = 2.0
    sigma_ln_retention: float = 0.6
    t_rcd_s: float = 13.75e-9
    t_ras_s: float = 35e-9
    t_rp_s: float = 13.75e-9
    t_wr_s: float = 15e-9
    t_second_activate_s: float = 35e-9
    energy_model: str = "power_model"
    idd0_a: float = 55e-3
    idd2n_a: float = 32e-3
    idd3n_a: float = 38e-3
    idd4w_a: float = 125e-3
    page_bits: int = 8192
    tra_energy_ratio: float = 1.22

    def __post_init__(self) -> None:
        plausible(self)
        require("energy_model", self.energy_model, self.energy_model in ENERGY_MODELS,
                f"allowed: {list(ENERGY_MODELS)}")
        for name in ("idd0_a", "idd2n_a", "idd3n_a", "idd4w_a"):
            positive(name, getattr(self, name))
        require("idd0_a", self.idd0_a, self.idd0_a > max(self.idd3n_a, self.idd2n_a),
                f"must exceed idd3n_a = {self.idd3n_a:g} A and idd2n_a = {self.idd2n_a:g} A: the "
                "ACTIVATE-PRECHARGE current contains the standby currents")
        require("idd4w_a", self.idd4w_a, self.idd4w_a > self.idd3n_a,
                f"must exceed idd3n_a = {self.idd3n_a:g} A: the burst-write current contains the active standby")
        int_in_range("page_bits", self.page_bits, 1)
        in_range("tra_energy_ratio", self.tra_energy_ratio, 1.0, 3.0,
                 "three word lines cost at least one and at most three single activations")
        for name in ("vdd_v", "c_s_f", "c_bl_f", "temperature_k", "retention_median_s", "t_rcd_s",
                     "t_ras_s", "t_rp_s", "t_wr_s", "t_second_activate_s"):
            positive(name, getattr(self, name))
        for name in ("sigma_ln_retention", "a_vt_v_m", "sigma_vth_access_v"):
            non_negative(name, getattr(self, name))
        for name in ("w_sa_m", "l_sa_m", "v_pp_v", "vth_access_v"):
            positive(name, getattr(self, name))
        if self.sigma_sa_offset_v is not None:
            non_negative("sigma_sa_offset_v", self.sigma_sa_offset_v)
        for name in ("sigma_c_s_rel", "sigma_c_bl_rel"):
            require(name, getattr(self, name),
                    isinstance(getattr(self, name), (int, float)) and 0.0 <= getattr(self, name) <= 0.15,
                    "must be in [0, 0.15] (relative std; larger values would draw negative capacitances)")

    @property
    def levels(self) -> int:
        """A cell stores one bit."""
        return 2

    @property
    def v_pre_v(self) -> float:
        """Bit-line precharge voltage V_DD/2 (V)."""
        return self.vdd_v / 2

    @property
    def sa_offset_sigma_v(self) -> float:
        """Std of the SA offset (V): ``sigma_sa_offset_v``, or sqrt(2) A_VT / sqrt(W L) (Pelgrom 1989)."""
        if self.sigma_sa_offset_v is not None:
            return self.sigma_sa_offset_v
        return math.sqrt(2.0) * self.a_vt_v_m / math.sqrt(self.w_sa_m * self.l_sa_m)

    def one_level_v(self, dvth_v=0.0) -> np.ndarray:
        """Voltage (V) a written '1' holds behind an access transistor of threshold shift ``dvth_v``:
        min(V_DD, V_PP - (V_th + dV_th))."""
        return np.minimum(self.vdd_v, self.v_pp_v - (self.vth_access_v + np.asarray(dvth_v, dtype=np.float64)))

    # ----------------------------------------------------------------- static and time effects

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> DRAMInstance:
        """Static realisation of a subarray whose data cells were just written with ``states``.

        ``states`` (..., rows, cols) of 0/1. Draws C_s ~ C_s (1 + sigma_c_s_rel N(0,1)) for every
        data and designated cell, one SA offset ~ N(0, `sa_offset_sigma_v`^2) per bit line, and a
        retention time t_R per cell, lognormal (see the class docstring); then, only when their
        spreads are non-zero (so that the other draws stay the same), one C_BL per bit line and one
        access-transistor threshold shift per data cell. A written '1' holds `one_level_v` (V_DD
        for a nominal cell), a '0' 0 V.
        """
        states = check_states(states, self.levels)
        if states.ndim < 2:
            raise ParameterError("states", states.shape, "must have at least 2 axes: (..., rows, cols)")
        lead, cols = states.shape[:-2], states.shape[-1]
        retention_s = self.retention_median_s * np.exp(self.sigma_ln_retention * rng.standard_normal(states.shape))
        c_s_f = self._capacitances(states.shape, rng)
        c_designated_f = self._capacitances(lead + (len(DESIGNATED_ROWS), cols), rng)
        sa_offset_v = self.sa_offset_sigma_v * rng.standard_normal(lead + (cols,))
        c_bl_f = (self.c_bl_f * (1.0 + self.sigma_c_bl_rel * rng.standard_normal(lead + (cols,)))
                  if self.sigma_c_bl_rel > 0 else None)
        dvth_v = self.sigma_vth_access_v * rng.standard_normal(states.shape) if self.sigma_vth_access_v > 0 else 0.0
        return DRAMInstance(v_cell_v=states * self.one_level_v(dvth_v), c_s_f=c_s_f, tau_s=retention_s / math.log(2.0),
                            c_designated_f=c_designated_f, sa_offset_v=sa_offset_v, c_bl_f=c_bl_f)

    def _capacitances(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.c_s_f * (1.0 + self.sigma_c_s_rel * rng.standard_normal(shape))

    def age(self, instance: DRAMInstance, elapsed_s: float,
            rng: np.random.Generator | None = None) -> DRAMInstance:
        """The instance after ``elapsed_s`` s without refresh: V(t) = V(0) exp(-t / tau).

        A stored '1' leaks toward 0 V (a '0' stays at 0 V). tau = t_R / ln 2, where the
        retention time t_R is defined as the time at which the noiseless single-cell signal of
        a '1' falls to zero (V_cell = V_pre = V_DD/2); the SA offset then decides the bit. So
        with zero offset a '1' fails exactly when elapsed_s > t_R, and the failing fraction is
        the lognormal CDF. Deterministic given the instance (the retention times are static;
        variable retention time is not modelled), so ``rng`` is not used.
        """
        non_negative("elapsed_s", elapsed_s)
        v = np.ascontiguousarray(instance.v_cell_v, dtype=np.float64).ravel()
        tau = np.ascontiguousarray(instance.tau_s, dtype=np.float64).ravel()
        aged = _kernels_dram.leak(v, tau, float(elapsed_s), np.empty_like(v))
        return replace(instance, v_cell_v=aged.reshape(instance.v_cell_v.shape))

    def write(self, instance: DRAMInstance, row: int, bits: np.ndarray) -> DRAMInstance:
        """The instance with data row ``row`` rewritten to full levels ``bits`` (..., cols) of 0/1."""
        bits = check_states(np.asarray(bits), self.levels)
        v = instance.v_cell_v.copy()
        v[..., row, :] = bits * self.vdd_v
        return replace(instance, v_cell_v=v)

    # ----------------------------------------------------------------- charge sharing and reads

    def charge_share_v(self, v_cells_v: np.ndarray, c_cells_f: np.ndarray,
                       signs: np.ndarray | None = None, c_bl_f: np.ndarray | None = None) -> np.ndarray:
        """Bit-line signal (V) when the k cells along axis 0 share charge with one bit line.

        Charge conservation on the precharged bit line and the k cells:
        dV = sum_i s_i C_i (V_i - V_pre) / (sum_i C_i + C_BL), s_i = -1 for a cell on the
        complement bit line. k = 1 is the textbook read signal (Keeth & Baker, "DRAM Circuit
        Design: A Tutorial", IEEE Press 2001, ch. 1), k = 3 with equal C_s the TRA deviation
        dV = C_s (sum_i V_i - 3 V_pre) / (3 C_s + C_BL) (Ambit Sec. 3.1, Eq. (1)).
        Shapes: (k, ...) in, (...) out; ``c_bl_f``: each bit line's C_BL, broadcastable to (...)
        (None: the device's ``c_bl_f``).
        """
        v = np.asarray(v_cells_v, dtype=np.float64)
        k, tail = v.shape[0], v.shape[1:]
        signs = np.ones(k) if signs is None else np.asarray(signs, dtype=np.float64)
        flat_v = np.ascontiguousarray(v.reshape(k, -1))
        flat_c = np.ascontiguousarray(np.broadcast_to(c_cells_f, v.shape).reshape(k, -1), dtype=np.float64)
        out = np.empty(flat_v.shape[1])
        flat_bl = np.ascontiguousarray(np.broadcast_to(self.c_bl_f if c_bl_f is None else c_bl_f, tail).ravel(),
                                       dtype=np.float64)
        _kernels_dram.charge_share_signal(flat_v, flat_c, signs, flat_bl, self.v_pre_v, out)
        return out.reshape(tail)

    def thermal_noise_v(self, c_node_f: np.ndarray | float) -> np.ndarray | float:
        """Std (V) of the kT/C noise of a bit-line node of total capacitance ``c_node_f``."""
        return np.sqrt(BOLTZMANN_J_K * self.temperature_k / np.asarray(c_node_f, dtype=np.float64))

    def _activate(self, v_cells_v, c_cells_f, signs, sa_offset_v, rng, c_bl_f=None):
        """Sensed bit (0/1, uint8) of one activation of the cells along axis 0, per bit line (of
        capacitance ``c_bl_f``, None: the device's)."""
        signal = self.charge_share_v(v_cells_v, c_cells_f, signs, c_bl_f)
        if rng is not None:
            c_node = np.sum(c_cells_f, axis=0) + (self.c_bl_f if c_bl_f is None else c_bl_f)
            signal = signal + self.thermal_noise_v(c_node) * rng.standard_normal(signal.shape)
        return (signal > sa_offset_v).astype(np.uint8)

    def read(self, instance: DRAMInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Bit-line signal dV (V) of every data cell in a single-row activation, (..., rows, cols).

        dV = (V_cell - V_pre) C_s / (C_s + C_BL) (`charge_share_v`, k = 1, each bit line's C_BL),
        plus kT/C noise of the bit-line node drawn per activation when ``rng`` is given.
        """
        c_bl_f = self.c_bl_f if instance.c_bl_f is None else instance.c_bl_f[..., None, :]
        signal = self.charge_share_v(instance.v_cell_v[None], instance.c_s_f[None], c_bl_f=c_bl_f)
        if rng is not None:
            signal = signal + self.thermal_noise_v(instance.c_s_f + c_bl_f) * rng.standard_normal(signal.shape)
        return signal

    def sense(self, instance: DRAMInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Sensed bit (0/1, uint8) of every data cell: dV above its SA's offset, (..., rows, cols)."""
        return (self.read(instance, rng) > instance.sa_offset_v[..., None, :]).astype(np.uint8)

    # ----------------------------------------------------------------- Ambit bulk bitwise ops

    def run(self, instance: DRAMInstance, op: str, rows: tuple[int, ...],
            rng: np.random.Generator | None = None) -> np.ndarray:
        """Result row (..., cols) of 0/1 of Ambit operation ``op`` on data rows ``rows``.

        Executes `PROGRAMS[op]` step by step: each activation shares the charge of its cells
        (`charge_share_v`, with the instance's C_s of those cells), the bit line's SA resolves
        the sign against its offset (plus kT/C noise when ``rng`` is given), and the sensed
        value is restored into the activated cells and written at full level into the rows of
        the AAP's second ACTIVATE (complemented through an n-wordline). Copy errors therefore
        propagate as they would in the chip. The instance is not modified.
        """
        program = self._program(op, rows)
        cells = {name: (instance.v_cell_v[..., row, :], instance.c_s_f[..., row, :])
                 for name, row in zip(OPERANDS, rows)}
        for index, name in enumerate(DESIGNATED_ROWS):
            level = self.vdd_v if name == "C1" else 0.0
            cells[name] = (np.full(instance.sa_offset_v.shape, level), instance.c_designated_f[..., index, :])
        bit = None
        for activated, written in program:
            names = [ref.lstrip("~") for ref in activated]
            signs = np.array([-1.0 if ref.startswith("~") else 1.0 for ref in activated])
            bit = self._activate(np.stack([cells[n][0] for n in names]), np.stack([cells[n][1] for n in names]),
                                 signs, instance.sa_offset_v, rng, instance.c_bl_f)
            for ref in activated + written:
                name = ref.lstrip("~")
                if name != RESULT:
                    stored = 1 - bit if ref.startswith("~") else bit
                    cells[name] = (stored * self.vdd_v, cells[name][1])
        return bit

    def maj3(self, instance, rows, rng=None):
        """MAJ(A, B, C) of three data rows: copies into T0-T2, then one TRA (`run`)."""
        return self.run(instance, "maj3", rows, rng)

    def and_(self, instance, rows, rng=None):
        """A AND B = MAJ(A, B, 0) with the constant row C0 (`run`)."""
        return self.run(instance, "and", rows, rng)

    def or_(self, instance, rows, rng=None):
        """A OR B = MAJ(A, B, 1) with the constant row C1 (`run`)."""
        return self.run(instance, "or", rows, rng)

    def not_(self, instance, rows, rng=None):
        """NOT A through the dual-contact cell DCC0 (`run`)."""
        return self.run(instance, "not", rows, rng)

    def xnor(self, instance, rows, rng=None):
        """A XNOR B: Ambit's XOR sequence, then its NOT through DCC0 (`run`)."""
        return self.run(instance, "xnor", rows, rng)

    def _program(self, op: str, rows: tuple[int, ...]):
        require("op", op, op in PROGRAMS, f"must be one of {sorted(PROGRAMS)}")
        require("rows", rows, len(rows) == N_OPERANDS[op], f"{op} takes {N_OPERANDS[op]} operand rows")
        return PROGRAMS[op]

    # ----------------------------------------------------------------- closed-form error rates

    def error_probability(self, op: str, bits: tuple[int, ...], grid_points: int = 40001) -> float:
        """Probability that ``op`` on freshly written operand ``bits`` returns the wrong value.

        Gaussian model of each activation of `PROGRAMS[op]`: the sensed bit is 1 with
        probability Phi((dV0 - v_os) / sigma), where dV0 is the nominal charge-sharing signal
        and sigma^2 combines the C_s variation propagated to first order (linearised):
        d(dV)/d(eps_i) = C_s (u_i D - N) / D^2 with u_i = s_i (V_i - V_pre), N = C_s sum u_i,
        D = k C_s + C_BL, and the kT/C noise of the node. All activations of one operation go
        through the same SA, so their errors are correlated through its offset v_os ~
        N(0, sa_offset_sigma_v^2): the probability is the average over v_os (numerical
        integration on ``grid_points`` points over +-8.5 sigma) of the exact enumeration of the
        sensed-bit paths given v_os. For a single activation this is the Gaussian tail
        Phi(-|dV0| / sqrt(sigma^2 + sigma_os^2)). Exact up to the linearisation for every
        operation whose cells each take part in one activation (read, MAJ3, AND, OR, NOT);
        for XNOR, which re-activates T0-T2 and DCC0, it neglects the correlation of those
        reused cells' C_s (exact when sigma_c_s_rel = 0).
        """
        program = self._program(op, tuple(range(len(bits))))
        sigma_os = self.sa_offset_sigma_v
        if sigma_os == 0:
            offsets, weights = np.zeros(1), np.ones(1)
        else:
            offsets = np.linspace(-8.5, 8.5, grid_points) * sigma_os
            weights = np.exp(-0.5 * (offsets / sigma_os) ** 2)
            weights /= weights.sum()
        stored = {name: bit for name, bit in zip(OPERANDS, bits)}
        stored.update(C0=0, C1=1)
        wrong = self._wrong_paths(program, stored, ideal_result(op, tuple(bits)), offsets)
        return float(np.dot(weights, wrong))

    def _wrong_paths(self, program, stored: dict, expected: int, offsets: np.ndarray) -> np.ndarray:
        """Probability (per SA offset) that the remaining ``program`` ends in a wrong bit."""
        (activated, written), rest = program[0], program[1:]
        signs = [-1.0 if ref.startswith("~") else 1.0 for ref in activated]
        levels = [stored[ref.lstrip("~")] * self.vdd_v for ref in activated]
        mean, sigma = self.signal_statistics_v(levels, signs)
        p_one = ndtr((mean - offsets) / sigma) if sigma > 0 else (mean > offsets).astype(np.float64)
        total = np.zeros_like(offsets)
        for bit, p in ((1, p_one), (0, 1.0 - p_one)):
            if not rest:
                total += p * (bit != expected)
                continue
            following = dict(stored)
            for ref in activated + written:
                if ref.lstrip("~") != RESULT:
                    following[ref.lstrip("~")] = 1 - bit if ref.startswith("~") else bit
            total += p * self._wrong_paths(rest, following, expected, offsets)
        return total

    def signal_statistics_v(self, levels_v, signs) -> tuple[float, float]:
        """Nominal signal dV0 (V) and its std (V) from C_s variation (linearised) and kT/C noise.

        ``levels_v``: voltages of the k activated cells; ``signs``: +1 / -1 per cell (see
        `charge_share_v`). The SA offset is not included.
        """
        u = np.asarray(signs, dtype=np.float64) * (np.asarray(levels_v, dtype=np.float64) - self.v_pre_v)
        total = len(u) * self.c_s_f + self.c_bl_f
        moved = self.c_s_f * u.sum()
        sensitivity = self.c_s_f * (u * total - moved) / total ** 2
        variance = (self.sigma_c_s_rel ** 2) * np.sum(sensitivity ** 2) + BOLTZMANN_J_K * self.temperature_k / total
        return moved / total, math.sqrt(variance)

    # ----------------------------------------------------------------- costs

    @property
    def act_energy_j(self) -> float:
        """Energy (J) of one ACTIVATE of a page over the background: (IDD0 - IDD3N) tRAS VDD.

        The activate half of the datasheet ACTIVATE-PRECHARGE energy as DRAMPower splits it
        (tukl-msd/DRAMPower, src/MemoryPowerModel.cc, ``engy_act``): during tRAS of the IDD0 loop the
        bank would draw IDD3N in active standby anyway. 892.5 pJ with the defaults.
        """
        return (self.idd0_a - self.idd3n_a) * self.t_ras_s * self.vdd_v

    @property
    def pre_energy_j(self) -> float:
        """Energy (J) of one PRECHARGE of a page over the background: (IDD0 - IDD2N) (tRC - tRAS) VDD,
        tRC - tRAS = tRP (DRAMPower ``engy_pre``, as `act_energy_j`). 474.4 pJ with the defaults."""
        return (self.idd0_a - self.idd2n_a) * self.t_rp_s * self.vdd_v

    @property
    def row_cycle_energy_j(self) -> float:
        """Energy (J) of one ACTIVATE-PRECHARGE of a page, `act_energy_j` + `pre_energy_j`.

        E_ACT = (IDD0 tRC - (IDD3N tRAS + IDD2N (tRC - tRAS))) VDD, tRC = tRAS + tRP: Micron TN-41-01,
        "Calculating Memory System Power for DDR3", its activate power P(ACT) = (IDD0 - (IDD3N tRAS +
        IDD2N (tRC - tRAS)) / tRC) VDD times tRC (the note's equation is recalled: the stored copies
        hold its introduction only; gaomy3832/energydram, energydram/voltage_domain.py
        ``activate_energy``, implements it and its test reproduces Micron's DDR3 power calculator,
        76.2 mW for a 2 Gb x8 DDR3-1600 part). 1.367 nJ per 1 KB page with the defaults.
        """
        return self.act_energy_j + self.pre_energy_j

    def activate_energy_j(self, rows: int = 1) -> float:
        """Energy (J) per bit line of one ACTIVATE raising ``rows`` word lines at once (power model).

        `act_energy_j` / ``page_bits`` (a page's energy spread evenly over its bit lines, so a
        narrower row costs in proportion; its row-decode share does not shrink in fact), times
        1 + (tra_energy_ratio - 1)(rows - 1) / 2: 1 for a single row, ``tra_energy_ratio`` for a TRA
        (Ambit Sec. 7); the double-row activations that write T0 with DCC0 (Ambit's B8-B11
        addresses) are interpolated linearly in the word lines (an assumption).
        """
        int_in_range("rows", rows, 1, 3)
        return self.act_energy_j / self.page_bits * (1.0 + (self.tra_energy_ratio - 1.0) * (rows - 1) / 2)

    def write_burst_energy_j(self, duration_s: float) -> float:
        """Energy (J) of writing column bursts for ``duration_s`` over the active standby:
        (IDD4W - IDD3N) VDD duration (DRAMPower ``engy_write_cmd``; TN-41-01's write power, recalled)."""
        non_negative("duration_s", duration_s)
        return (self.idd4w_a - self.idd3n_a) * self.vdd_v * duration_s

    def bit_line_energy_j(self, activated: int, written: int = 0) -> float:
        """Energy (J) per bit line of one activation of ``activated`` cells writing ``written`` more,
        the ``energy_model = "bit_line"`` price.

        With V_DD/2 precharge one line of each bit-line pair swings from V_DD/2 to V_DD, drawing
        C V_DD (V_DD/2) from the supply, and precharge by equalisation draws none (the m C_D
        dV_D term of the array current, Itoh, Sasaki & Nakagome, "Trends in low-power RAM
        circuit technologies", Proc. IEEE 83(4), 1995). C is the bit line plus the activated
        cells (upper bound: the line carrying the cells is the rising one), and each cell written
        by a second ACTIVATE is charged over the full swing, C_s V_DD^2 (upper bound).
        """
        return ((self.c_bl_f + activated * self.c_s_f) * self.vdd_v * self.v_pre_v
                + written * self.c_s_f * self.vdd_v ** 2)

    def step_energy_j(self, activated: int, written: int = 0) -> float:
        """Energy (J) per bit line of one AAP (``written`` > 0 rows written by its second ACTIVATE)
        or AP of ``activated`` rows, in the device's ``energy_model``.

        "power_model": the commands the step issues, `activate_energy_j` (activated) +
        `activate_energy_j` (written) for an AAP + one PRECHARGE (`pre_energy_j` / ``page_bits``);
        the RowClone copy of an AAP (Seshadri et al., MICRO 2013) is its second ACTIVATE, priced as
        one. "bit_line": `bit_line_energy_j`.
        """
        if self.energy_model == "bit_line":
            return self.bit_line_energy_j(activated, written)
        second = self.activate_energy_j(written) if written else 0.0
        return self.activate_energy_j(activated) + second + self.pre_energy_j / self.page_bits

    def row_write_energy_j(self, bit_lines: int, written: int, burst_time_s: float) -> float:
        """Energy (J) of writing ``written`` of the ``bit_lines`` bit lines of a row (ACTIVATE, column
        write bursts lasting ``burst_time_s``, PRECHARGE).

        "power_model": ``bit_lines`` x `step_energy_j` (1) + `write_burst_energy_j` (burst_time_s).
        "bit_line": every bit line `bit_line_energy_j` (1), and each written one driven with its cell
        across the full swing, (C_BL + C_s) V_DD^2 (upper bound: the cell is flipped); the bursts'
        data path is not priced there.
        """
        if self.energy_model == "bit_line":
            return bit_lines * self.bit_line_energy_j(1) + written * (self.c_bl_f + self.c_s_f) * self.vdd_v ** 2
        return bit_lines * self.step_energy_j(1) + self.write_burst_energy_j(burst_time_s)

    @property
    def t_ap_s(self) -> float:
        """ACTIVATE-PRECHARGE latency (s): tRAS + tRP (JEDEC JESD79-3)."""
        return self.t_ras_s + self.t_rp_s

    @property
    def t_aap_s(self) -> float:
        """ACTIVATE-ACTIVATE-PRECHARGE latency (s): tRAS + t_second_activate + tRP."""
        return self.t_ras_s + self.t_second_activate_s + self.t_rp_s

    def op_cost(self, op: str) -> CellCost:
        """Energy per bit line (J) and latency (s) of Ambit operation ``op`` (`PROGRAMS`).

        Each step is an AAP if it writes rows, else an AP; energies from `step_energy_j`. The cost
        sits in the read fields; the write fields are zero (the result row is written by the last
        AAP, already counted).
        """
        program = self._program(op, tuple(range(N_OPERANDS[op])))
        energy = sum(self.step_energy_j(len(activated), len(written)) for activated, written in program)
        latency = sum(self.t_aap_s if written else self.t_ap_s for _, written in program)
        return CellCost(read_energy_j=energy, read_latency_s=latency, write_energy_j=0.0, write_latency_s=0.0)

    def cost(self) -> CellCost:
        """Per bit line: a single-row read (AP) and a write (ACTIVATE, write, PRECHARGE).

        Read: `step_energy_j` (1), tRAS + tRP. Write: `row_write_energy_j` of one written bit line
        without column bursts (in the power model those are priced per burst,
        `write_burst_energy_j`); latency tRCD + tWR + tRP (JEDEC JESD79-3).
        """
        return CellCost(read_energy_j=self.step_energy_j(1), read_latency_s=self.t_ap_s,
                        write_energy_j=self.row_write_energy_j(1, 1, 0.0),
                        write_latency_s=self.t_rcd_s + self.t_wr_s + self.t_rp_s)
