"""6T SRAM bit-cell: threshold mismatch, read current, bit-line discharge, read energy.

A 6T cell used for in-memory computing: when its word line (WL) is raised, a cell whose
stored value connects the access transistor to the '0' node sinks a read current from
the precharged bit line (BL). Many cells on one BL discharge it together, so the BL
voltage drop measures how many conducting cells were activated (a popcount).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imc.devices import _kernels
from imc.devices.base import register
from imc.devices.validation import ParameterError, positive, require


@register("sram6t")
@dataclass(frozen=True)
class SRAM6T:
    """6T SRAM bit-cell for in-memory binary MVM. Defaults: a 65 nm bulk CMOS node.

    Parameters (SI units in the names) and their sources:

    * ``vdd_v`` = 1.1 V, ``vth0_v`` = 0.429 V: nominal supply and NMOS threshold of the
      Predictive Technology Model 65 nm bulk card (Zhao & Cao, "New generation of predictive
      technology model for sub-45 nm early design exploration", IEEE TED 53(11), 2006;
      card parameter ``vth0``).
    * ``alpha`` = 1.3: velocity-saturation index of the alpha-power law (Sakurai & Newton,
      "Alpha-power law MOSFET model and its applications to CMOS inverter delay and other
      formulas", IEEE JSSC 25(2), 1990: alpha ~ 1.3 for short-channel devices).
    * ``v_d0_v`` = 0.4 V: drain saturation voltage at V_GS = V_DD in the same model,
      the bit-line knee below which the access transistor leaves saturation.
    * ``a_vt_v_m`` = 3.0 mV*um: Pelgrom mismatch coefficient, sigma(Vth) = A_VT/sqrt(W*L)
      (Pelgrom, Duinmaijer & Welbers, "Matching properties of MOS transistors", IEEE JSSC
      24(5), 1989, area law); 3 mV*um is the 65 nm bulk NMOS value in the Pelgrom plots of
      Kuhn et al., "Process Technology Variation", IEEE TED 58(8), 2011.
    * ``w_access_m`` = 100 nm, ``l_access_m`` = 65 nm: access transistor of a minimum-length
      high-density cell; with A_VT above, sigma(Vth) = 37 mV.
    * ``i_read_a`` = 35 uA: cell read current at V_WL = V_DD, the access transistor's
      drive (~1 mA/um x 0.1 um at 65 nm) limited by the pull-down in series (cell ratio ~2).
    * ``c_bl_cell_f`` = 1.0 fF: bit-line capacitance per cell (access drain junction plus
      one cell pitch of wire); ``c_wl_cell_f`` = 0.25 fF: word-line capacitance per cell
      (two access gates plus wire).
    * ``cell_area_m2`` = 0.57 um^2: Bai et al., "A 65nm logic technology featuring 35nm gate
      lengths, enhanced channel strain, 8 Cu interconnect layers, low-k ILD and 0.57 um^2
      SRAM cell", IEDM 2004.
    """

    vdd_v: float = 1.1
    vth0_v: float = 0.429
    alpha: float = 1.3
    v_d0_v: float = 0.4
    a_vt_v_m: float = 3.0e-9
    w_access_m: float = 100e-9
    l_access_m: float = 65e-9
    i_read_a: float = 35e-6
    c_bl_cell_f: float = 1.0e-15
    c_wl_cell_f: float = 0.25e-15
    cell_area_m2: float = 0.57e-12

    def __post_init__(self) -> None:
        for name in ("vdd_v", "vth0_v", "v_d0_v", "w_access_m", "l_access_m", "i_read_a",
                     "c_bl_cell_f", "c_wl_cell_f", "cell_area_m2"):
            positive(name, getattr(self, name))
        require("alpha", self.alpha, isinstance(self.alpha, (int, float)) and 1.0 <= self.alpha <= 2.0,
                "must be in [1, 2] (1: fully velocity-saturated, 2: long-channel square law)")
        require("a_vt_v_m", self.a_vt_v_m, isinstance(self.a_vt_v_m, (int, float)) and self.a_vt_v_m >= 0,
                "must be >= 0 V*m (0 disables mismatch)")
        require("vth0_v", self.vth0_v, self.vth0_v < self.vdd_v, f"must be below vdd_v = {self.vdd_v} V")
        require("v_d0_v", self.v_d0_v, self.v_d0_v < self.vdd_v, f"must be below vdd_v = {self.vdd_v} V")

    @property
    def states(self) -> int:
        """Number of states one cell stores."""
        return 2

    @property
    def sigma_vth_v(self) -> float:
        """Std of the access transistor's threshold voltage (V): A_VT / sqrt(W*L) (Pelgrom 1989)."""
        return self.a_vt_v_m / math.sqrt(self.w_access_m * self.l_access_m)

    def overdrive_v(self, v_wl_v: float) -> float:
        """Nominal gate overdrive V_WL - V_th0 (V); must be positive for an above-threshold read."""
        overdrive = v_wl_v - self.vth0_v
        if overdrive <= 0 or v_wl_v > self.vdd_v:
            raise ParameterError("v_wl_v", v_wl_v, f"must be in ({self.vth0_v}, {self.vdd_v}] V: "
                                 "above the threshold vth0_v and at most vdd_v")
        return overdrive

    def read_current_a(self, v_wl_v: float) -> float:
        """Nominal cell read current (A) at word-line voltage ``v_wl_v``.

        Alpha-power law normalised to the read current at V_WL = V_DD:
        I = I_read * ((V_WL - V_th0) / (V_DD - V_th0))^alpha (Sakurai & Newton 1990, Sec. II).
        """
        return self.i_read_a * (self.overdrive_v(v_wl_v) / (self.vdd_v - self.vth0_v)) ** self.alpha

    def knee_v(self, v_wl_v: float) -> float:
        """Bit-line voltage (V) below which the access transistor leaves saturation.

        V_DSAT = V_D0 * ((V_WL - V_th0) / (V_DD - V_th0))^(alpha/2) (Sakurai & Newton 1990, Sec. II).
        """
        return self.v_d0_v * (self.overdrive_v(v_wl_v) / (self.vdd_v - self.vth0_v)) ** (self.alpha / 2)

    def sample_instance(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Static (per chip) threshold shifts dVth (V) of every cell's access transistor.

        Independent Gaussian mismatch with sigma = `sigma_vth_v` (Pelgrom 1989). float32.
        """
        return rng.standard_normal(size=shape, dtype=np.float32) * np.float32(self.sigma_vth_v)

    def relative_current(self, delta_vth_v: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Read current of cells with threshold shifts ``delta_vth_v`` relative to nominal (-).

        I/I_nom = ((V_ov - dVth) / V_ov)^alpha, zero for cells pushed below threshold.
        """
        dvth = np.ascontiguousarray(delta_vth_v, dtype=np.float32)
        out = np.empty_like(dvth)
        return _kernels.relative_read_current(dvth, np.float32(self.overdrive_v(v_wl_v)),
                                              np.float32(self.alpha), out)

    def bitline_discharge_v(self, swing_v: np.ndarray, v_wl_v: float) -> np.ndarray:
        """Bit-line voltage drop (V) for a linear swing ``swing_v = sum(I) * t / C_BL`` (V).

        The precharged bit line (V_pre = V_DD) falls linearly, dV = sum(I)*t/C_BL, while
        the access transistors stay saturated (V_BL above the knee V_DSAT). Below the knee
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
        (Rabaey, Chandrakasan & Nikolic, Digital Integrated Circuits, 2nd ed., ch. 5,
        E = C*V_DD*V_swing for a reduced-swing node).
        """
        return c_bl_f * self.vdd_v * np.asarray(delta_v_v)
