"""Ferroelectric FET (FeFET) cells: multi-level threshold-voltage states read as a channel conductance.

The remanent polarization of a doped-HfO2 gate ferroelectric shifts the threshold voltage of
the transistor beneath it; partial polarization switching gives intermediate states between
the low-Vt (LVT) and high-Vt (HVT) ends of the memory window, the multi-level analog FeFET
synapse of Jerry et al., "Ferroelectric FET analog synapse for acceleration of deep neural
network training", IEDM 2017. A cell in a crossbar is read with its gate at ``v_gate_read_v``
and its drain at ``v_read_v``; its drain current follows the EKV all-region interpolation
(Enz, Krummenacher & Vittoz, "An analytical MOS transistor model valid in all regions of
operation and dedicated to low-voltage and low-current applications", Analog Integrated
Circuits and Signal Processing 8, 83, 1995):

    I_D = I_S [F((V_G - Vt) / (2 n phi_t)) - F((V_G - Vt - n V_D) / (2 n phi_t))],
    F(x) = ln^2(1 + e^x),  I_S = 2 n beta phi_t^2,  phi_t = k_B T / q,

exponential in V_G - Vt below threshold, quadratic above it, triode at small V_D. The array
sees the chord conductance G = I_D / V_D at the read bias (`read`); its row drives are
V_read or 0, so the cell current is exactly G V for them.

Static per chip: a device-to-device Vt offset (transistor mismatch, the same for every state
of a device) and a cycle-to-cycle Vt deviation of each programming (stochastic domain
switching; `reprogram` draws a new one on the same devices). Time: retention loss closes the
memory window linearly in log time, every state relaxing towards the window centre.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.constants import Boltzmann as BOLTZMANN_J_PER_K
from scipy.constants import elementary_charge as ELECTRON_CHARGE_C
from scipy.optimize import brentq

from imc.devices.base import CellCost, Device, check_states, register
from imc.devices.pcm import compensation_gain
from imc.errors import int_in_range, non_negative, plausible, positive, require



@dataclass(frozen=True)
class FeFETInstance:
    """Static per-chip realisation of FeFET cells (arrays share the shape of ``states``).

    ``offset_v``: each device's Vt offset (V, device-to-device); ``programmed_vt_v``: Vt after
    programming (V, offset and cycle-to-cycle deviation included); ``vt_v``: Vt now, ``time_s``
    after programming (window closed by retention loss); ``compensation``: the global gain applied
    to reads (1 when off).
    """

    states: np.ndarray
    offset_v: np.ndarray
    programmed_vt_v: np.ndarray
    vt_v: np.ndarray
    time_s: float
    compensation: float = 1.0


@register("fefet")
@dataclass(frozen=True)
class FeFET(Device):
    """Multi-level HfO2 FeFET read at a fixed gate and drain bias (EKV drain current).

    * ``levels`` = 4: 2 bits per cell, the multi-level FeFET sample cell of NVMExplorer's NVSim
      (MLCFeFET, CellLevels 4; Pentecost et al., "NVMExplorer: a framework for cross-stack
      comparisons of embedded non-volatile memories", HPCA 2022); Jerry et al. 2017 tuned 32
      analog states.
    * ``vt_low_v`` = 0.3 V, ``vt_high_v`` = 1.3 V: a 1 V memory window. Engineering assumption,
      of the order of the ~1 V window of HfO2 FeFETs in 28 nm HKMG (Trentzsch et al., "A 28nm
      HKMG super low power embedded NVM technology based on ferroelectric FETs", IEDM 2016).
    * ``v_gate_read_v`` = 0.9 V, ``v_read_v`` = 50 mV: read gate at the window centre + 0.1 V
      (the LVT state 0.6 V above threshold, the HVT one 0.4 V below: off by ~6 decades) and a
      small drain bias in the triode region (50 mV, the ReadVoltage of the same NVMExplorer cell). Level targets
      are evenly spaced in read current from the HVT to the LVT current, their Vt solved on the
      monotone I_D(Vt) (Brent's method), so a column counts levels linearly.
    * ``beta_a_v2`` = 100 uA/V^2 (mu C_ox W / L) and ``slope_factor`` = 1.5 (90 mV/decade
      subthreshold swing at 300 K): engineering assumptions for a ~100 nm HKMG FeFET.
    * ``sigma_vt_d2d_v`` = 25 mV: Pelgrom mismatch A_VT / sqrt(W L) with A_VT = 2.5 mV um and
      W = L = 100 nm (Pelgrom, Duinmaijer & Welbers, IEEE JSSC 24(5), 1989; the coefficient is
      an engineering assumption). ``sigma_vt_c2c_v`` = 30 mV per programming: engineering
      assumption for the stochastic nucleation-limited switching of the few ferroelectric
      grains of a nanoscale FeFET (Mulaosmanovic et al., "Switching kinetics in nanoscale
      hafnium oxide based ferroelectric field-effect transistors", ACS Applied Materials &
      Interfaces 9, 3792, 2017).
    * ``window_loss_per_decade`` = 0.02, ``t0_s`` = 1 s: the window closes by 2 % of its width
      per decade of time after the first read at t0 (17 % after ten years). Engineering
      assumption: retention of HfO2 FeFETs is reported as a window shrinking linearly in log
      time, by a few percent per decade at room temperature.
    * ``drift_compensation`` = False: when True, reads are rescaled by the global gain of each
      array, sum I(programmed Vt) / sum I(Vt now) (`imc.devices.pcm.compensation_gain`, the
      global drift compensation of PCM arrays), which undoes the on-current loss of the closing
      window.
    * ``temperature_k`` = 300 K.
    * ``t_read_s`` = 10 ns: read pulse (DNN+NeuroSim readPulseWidth, as `RRAM`).
    * ``v_write_v`` = 4 V, ``t_write_s`` = 100 ns, ``program_pulses`` = 5,
      ``remanent_polarization_c_m2`` = 0.2 (20 uC/cm^2), ``gate_area_m2`` = 1e-14 (100 x 100
      nm), ``c_gate_f`` = 0.27 fF (10 nm HZO, eps_r 30): write pulse energy (2 P_r A + C_g V) V
      -- the switched polarization charge and the gate charge through V. Engineering
      assumptions of the order of HZO FeFET write conditions, for the cost only.
    """

    response_unit = "S"
    variation_fields = ("sigma_vt_d2d_v", "sigma_vt_c2c_v")

    levels: int = 4
    vt_low_v: float = 0.3
    vt_high_v: float = 1.3
    v_gate_read_v: float = 0.9
    v_read_v: float = 0.05
    beta_a_v2: float = 100e-6
    slope_factor: float = 1.5
    temperature_k: float = 300.0
    sigma_vt_d2d_v: float = 0.025
    sigma_vt_c2c_v: float = 0.03
    window_loss_per_decade: float = 0.02
    drift_compensation: bool = False
    t0_s: float = 1.0
    t_read_s: float = 10e-9
    v_write_v: float = 4.0
    t_write_s: float = 100e-9
    program_pulses: int = 5
    remanent_polarization_c_m2: float = 0.2
    gate_area_m2: float = 1e-14
    c_gate_f: float = 0.27e-15

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("v_read_v", "beta_a_v2", "temperature_k", "t0_s", "t_read_s", "v_write_v", "t_write_s",
                     "remanent_polarization_c_m2", "gate_area_m2", "c_gate_f"):
            positive(name, getattr(self, name))
        for name in ("sigma_vt_d2d_v", "sigma_vt_c2c_v"):
            non_negative(name, getattr(self, name))
        require("vt_high_v", self.vt_high_v, self.vt_high_v > self.vt_low_v,
                f"the memory window needs vt_high_v > vt_low_v = {self.vt_low_v} V")
        require("v_gate_read_v", self.v_gate_read_v, self.v_gate_read_v > self.vt_low_v,
                f"must exceed vt_low_v = {self.vt_low_v} V: the low-Vt state must conduct above threshold")
        require("slope_factor", self.slope_factor, isinstance(self.slope_factor, (int, float))
                and 1.0 <= self.slope_factor <= 10.0,
                "must be in [1, 10]: n >= 1 (subthreshold swing >= ln(10) k_B T / q) and below a physical bound")
        require("window_loss_per_decade", self.window_loss_per_decade,
                isinstance(self.window_loss_per_decade, (int, float)) and 0.0 <= self.window_loss_per_decade < 1.0,
                "must be in [0, 1): the fraction of the window lost per decade of time")
        require("drift_compensation", self.drift_compensation, isinstance(self.drift_compensation, bool),
                "must be true or false")
        int_in_range("program_pulses", self.program_pulses, 1)
        int_in_range("levels", self.levels, 2)
        sigma = math.hypot(self.sigma_vt_d2d_v, self.sigma_vt_c2c_v)
        step = float(-np.diff(self.level_vt_v).max())
        require("levels", self.levels, step >= sigma,
                f"adjacent levels {step * 1e3:.3g} mV apart in Vt are closer than the Vt spread "
                f"({sigma * 1e3:.3g} mV): use fewer levels or a wider window")

    @property
    def thermal_voltage_v(self) -> float:
        """phi_t = k_B T / q (V)."""
        return BOLTZMANN_J_PER_K * self.temperature_k / ELECTRON_CHARGE_C

    def drain_current_a(self, vt_v: np.ndarray, v_drain_v: float | None = None) -> np.ndarray:
        """EKV drain current (A) of devices of threshold ``vt_v`` at the read gate and drain ``v_drain_v``
        (default ``v_read_v``), source grounded (module docstring)."""
        v_d = self.v_read_v if v_drain_v is None else v_drain_v
        n, phi = self.slope_factor, self.thermal_voltage_v
        forward = (self.v_gate_read_v - np.asarray(vt_v, dtype=np.float64)) / (2 * n * phi)
        reverse = forward - v_d / (2 * phi)
        return 2 * n * self.beta_a_v2 * phi ** 2 * (np.logaddexp(0, forward) ** 2 - np.logaddexp(0, reverse) ** 2)

    @property
    def level_vt_v(self) -> np.ndarray:
        """Target Vt (V) of each level, from vt_high_v (level 0) down to vt_low_v, spaced so that the
        read currents are evenly spaced (cached)."""
        return _level_thresholds(self).copy()

    @property
    def level_conductances_s(self) -> np.ndarray:
        """Chord conductance I_D / V_read (S) of each level's target Vt: evenly spaced."""
        return self.drain_current_a(self.level_vt_v) / self.v_read_v

    @property
    def on_off_ratio(self) -> float:
        g = self.level_conductances_s
        return float(g[-1] / g[0])

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> FeFETInstance:
        """Fresh devices programmed to ``states``: a device-to-device Vt offset N(0, sigma_d2d) per
        device, then the programming's cycle-to-cycle deviation (`reprogram`)."""
        states = check_states(states, self.levels)
        offset = self.sigma_vt_d2d_v * rng.standard_normal(states.shape)
        blank = FeFETInstance(states, offset, offset, offset, float(self.t0_s))
        return self.reprogram(blank, states, rng)

    def reprogram(self, instance: FeFETInstance, states: np.ndarray, rng: np.random.Generator) -> FeFETInstance:
        """The same devices (same offsets) programmed anew to ``states``: Vt = target + offset +
        N(0, sigma_c2c), read at t0."""
        states = check_states(states, self.levels)
        require("states", states.shape, states.shape == instance.states.shape,
                f"must have the devices' shape {instance.states.shape}")
        vt = self.level_vt_v[states] + instance.offset_v + self.sigma_vt_c2c_v * rng.standard_normal(states.shape)
        return FeFETInstance(states, instance.offset_v, vt, vt, float(self.t0_s))

    def window_fraction(self, time_s: float) -> float:
        """Fraction of the memory window left ``time_s`` after programming: max(0, 1 - loss log10(t / t0))."""
        return max(0.0, 1.0 - self.window_loss_per_decade * math.log10(time_s / self.t0_s))

    def age(self, instance: FeFETInstance, elapsed_s: float, rng: np.random.Generator | None = None) -> FeFETInstance:
        """The instance ``elapsed_s`` later: each Vt relaxes towards its device's window centre
        (vt_low + vt_high)/2 + offset by `window_fraction`; with ``drift_compensation`` the new global
        gain. Deterministic: ``rng`` is not used."""
        non_negative("elapsed_s", elapsed_s)
        time_s = instance.time_s + float(elapsed_s)
        centre = 0.5 * (self.vt_low_v + self.vt_high_v) + instance.offset_v
        vt = instance.programmed_vt_v - (instance.programmed_vt_v - centre) * (1.0 - self.window_fraction(time_s))
        gain = 1.0
        if self.drift_compensation:
            gain = compensation_gain(self.drain_current_a(instance.programmed_vt_v), self.drain_current_a(vt))
        return dataclasses.replace(instance, vt_v=vt, time_s=time_s, compensation=gain)

    def read(self, instance: FeFETInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Chord conductance I_D(Vt) / V_read (S) of every cell, times the compensation gain. Reads are
        noiseless (the channel's read noise is not modelled); ``rng`` is not used."""
        return instance.compensation * self.drain_current_a(instance.vt_v) / self.v_read_v

    @property
    def write_pulse_energy_j(self) -> float:
        """Energy (J) of one gate write pulse: (2 P_r A + C_g V_write) V_write."""
        return (2 * self.remanent_polarization_c_m2 * self.gate_area_m2 + self.c_gate_f * self.v_write_v) * self.v_write_v

    def cost(self) -> CellCost:
        """Read: V_read I_D t_read at the mean level current, in t_read. Write: ``program_pulses`` gate
        pulses, each followed by a verify read."""
        read_energy = self.v_read_v * float(self.drain_current_a(self.level_vt_v).mean()) * self.t_read_s
        return CellCost(read_energy_j=read_energy, read_latency_s=self.t_read_s,
                        write_energy_j=self.program_pulses * (self.write_pulse_energy_j + read_energy),
                        write_latency_s=self.program_pulses * (self.t_write_s + self.t_read_s))


@lru_cache(maxsize=64)
def _level_thresholds(device: FeFET) -> np.ndarray:
    """Vt (V) whose read currents are evenly spaced from I(vt_high_v) to I(vt_low_v), level 0 at vt_high_v."""
    low, high = (float(device.drain_current_a(v)) for v in (device.vt_high_v, device.vt_low_v))
    vts = [device.vt_high_v]
    for level in range(1, device.levels - 1):
        wanted = low + (high - low) * level / (device.levels - 1)
        vts.append(brentq(lambda v: float(device.drain_current_a(v)) - wanted, device.vt_low_v, device.vt_high_v,
                          xtol=1e-15, rtol=1e-15))
    return np.array([*vts, device.vt_low_v])
