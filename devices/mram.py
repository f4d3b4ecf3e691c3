"""STT-MRAM 1T1MTJ cells: a binary magnetic tunnel junction in series with its access transistor.

The free layer of a CoFeB/MgO perpendicular MTJ is parallel (P, low resistance R_P = RA / A,
state 1) or antiparallel (AP, R_AP = R_P (1 + TMR), state 0) to the reference layer. The cell
is the MTJ in series with an access nFET (``r_access_ohm``); its conductance in a crossbar is
1 / (R_MTJ + R_access), so the series resistance and the low TMR give an on/off ratio of about
2: the level step G_P - G_AP is small next to G_AP, and RA/TMR spread and read noise of every
cell, P or AP, land on the column sum after the crossbar's reference-column subtraction in
units of that small step (`tests/devices/test_mram.py` shows the column error falling with TMR).

Non-idealities:

* static (`sample_instance`): device-to-device RA and TMR spread, lognormal (RA grows
  exponentially with the MgO thickness);
* dynamic (`read`): tunnel-junction shot/thermal noise per read (`tunnel_noise_scale`);
* time (`age`): the free layer flips by thermal activation over the barrier Delta k_B T
  (Néel-Brown, rate exp(-Delta) / tau0), with the barrier lowered to Delta (1 - I/I_c0) while
  a read current I flows in the direction that switches AP to P and raised to
  Delta (1 + I/I_c0) in the opposite one (thermally activated spin-torque switching: Koch,
  Katine & Sun, "Time-resolved reversal of spin-transfer switching in a nanomagnet", PRL 92,
  088302, 2004; read disturb P = 1 - exp(-(t_read / tau0) exp(-Delta (1 - I / I_c0))) per read,
  Khvalkovskiy et al., "Basic principles of STT-MRAM cell operation in memory arrays",
  J. Phys. D 46, 074001, 2013). A cell is then a two-state Markov chain whose flip
  probabilities after time t are closed forms (`flip_probabilities`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.constants import Boltzmann as BOLTZMANN_J_PER_K
from scipy.constants import elementary_charge as ELECTRON_CHARGE_C

from imc.devices.base import CellCost, Device, check_states, register
from imc.errors import non_negative, plausible, positive, probability, require

AP, P = 0, 1  # cell states: antiparallel (high resistance) and parallel (low resistance)


def tunnel_noise_scale(v_read_v: float, t_read_s: float, temperature_k: float) -> float:
    """sigma_G / sqrt(G) (S^0.5) of one tunnel-junction read: sqrt(2 q coth(qV / 2k_BT) df / V), df = 1/(2 t_read).

    Current noise S_I = 2 q I coth(qV / 2k_BT) (Fano factor 1): shot noise at qV >> k_BT,
    Johnson-Nyquist 4 k_B T G at V -> 0 (Blanter & Büttiker, "Shot noise in mesoscopic
    conductors", Physics Reports 336, 1, 2000), over the bandwidth of a t_read-long
    integration, referred to conductance by sigma_G = sigma_I / V.
    """
    x = ELECTRON_CHARGE_C * v_read_v / (2 * BOLTZMANN_J_PER_K * temperature_k)
    return math.sqrt(2 * ELECTRON_CHARGE_C / math.tanh(x) / (2.0 * t_read_s) / v_read_v)


@dataclass(frozen=True)
class MTJInstance:
    """Static per-chip realisation of 1T1MTJ cells: ``states`` as programmed, ``magnetization``
    as the free layers are now (0 AP, 1 P; differs after flips), each MTJ's ``r_p_ohm`` and
    ``tmr`` (at zero bias), and the time since programming."""

    states: np.ndarray
    magnetization: np.ndarray
    r_p_ohm: np.ndarray
    tmr: np.ndarray
    time_s: float = 0.0


@register("stt_mram")
@dataclass(frozen=True)
class STTMRAM(Device):
    """Binary STT-MRAM 1T1MTJ cell (CoFeB/MgO perpendicular MTJ, 40 nm).

    * ``diameter_m`` = 40 nm, ``tmr`` = 1.2, ``ic0_a`` = 49 uA: the perpendicular CoFeB-MgO
      MTJ of Ikeda et al., "A perpendicular-anisotropy CoFeB-MgO magnetic tunnel junction",
      Nature Materials 9, 721, 2010 (TMR over 120 %, 49 uA switching current at 40 nm).
    * ``ra_p_ohm_m2`` = 10 Ohm um^2: parallel RA of a read/write-oriented MgO barrier
      (engineering assumption, as `SkyrmionRacetrack`): R_P = 8.0 kOhm at 40 nm.
    * ``v_half_v`` = 0.5 V: bias at which the TMR halves, TMR(V) = TMR / (1 + (V / V_h)^2), the
      empirical bias dependence of MTJ compact models (Zhang, Zhao, Lakys et al., "Compact
      modeling of perpendicular-anisotropy CoFeB/MgO magnetic tunnel junctions", IEEE TED 59(3),
      819, 2012); evaluated at the full read bias (an upper bound on the MTJ's share of it).
    * ``r_access_ohm`` = 2 kOhm: on-resistance of the access nFET in series. Engineering
      assumption (a few kOhm for a minimum-width nFET in its linear region).
    * ``sigma_ra_rel`` = ``sigma_tmr_rel`` = 0.05: lognormal device-to-device spread (std of ln
      RA and ln TMR). Engineering assumption, the few-percent spreads of MTJ arrays.
    * ``v_read_v`` = 0.1 V, ``t_read_s`` = 5 ns: read bias (I_read / I_c0 about 0.1-0.2) and
      sensing time. Engineering assumptions.
    * ``delta`` = 60, ``tau0_s`` = 1 ns: thermal stability factor for ten-year retention of
      large arrays and the attempt time of the Néel-Brown law (Khvalkovskiy et al. 2013).
    * ``read_duty_cycle`` = 1: fraction of the time since programming that a cell carries read
      current, in the AP -> P direction (engineering assumption: the worst case, an array read
      back to back; the opposite read polarity would disturb P cells instead).
    * ``temperature_k`` = 300 K.
    * ``write_current_ratio`` = 1.5, ``t_write_s`` = 10 ns: write with 1.5 I_c0 for 10 ns
      (engineering assumption: overdrive for a low write-error rate at ns pulses); energy
      I^2 (R + R_access) t at the mean of R_P and R_AP.
    """

    response_unit = "S"
    variation_fields = ("sigma_ra_rel", "sigma_tmr_rel")

    diameter_m: float = 40e-9
    ra_p_ohm_m2: float = 10e-12
    tmr: float = 1.2
    v_half_v: float = 0.5
    r_access_ohm: float = 2e3
    sigma_ra_rel: float = 0.05
    sigma_tmr_rel: float = 0.05
    v_read_v: float = 0.1
    t_read_s: float = 5e-9
    delta: float = 60.0
    tau0_s: float = 1e-9
    ic0_a: float = 49e-6
    read_duty_cycle: float = 1.0
    temperature_k: float = 300.0
    write_current_ratio: float = 1.5
    t_write_s: float = 10e-9

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("diameter_m", "ra_p_ohm_m2", "tmr", "v_half_v", "v_read_v", "t_read_s", "tau0_s", "ic0_a",
                     "temperature_k", "t_write_s"):
            positive(name, getattr(self, name))
        for name in ("r_access_ohm", "sigma_ra_rel", "sigma_tmr_rel"):
            non_negative(name, getattr(self, name))
        require("delta", self.delta, isinstance(self.delta, (int, float)) and 1.0 <= self.delta <= 200.0,
                "must be in [1, 200]: below 1 the free layer is superparamagnetic, above 200 no MTJ is writable")
        probability("read_duty_cycle", self.read_duty_cycle)
        require("write_current_ratio", self.write_current_ratio,
                isinstance(self.write_current_ratio, (int, float)) and 1.0 < self.write_current_ratio <= 10.0,
                "must be in (1, 10]: a write needs more than the critical current I_c0")
        ratio = self.read_current_a(P) / self.ic0_a
        require("v_read_v", self.v_read_v, ratio < 1.0,
                f"the read current of a P cell is {ratio:.2f} I_c0: reads must stay below the critical current")

    @property
    def levels(self) -> int:
        return 2

    @property
    def area_m2(self) -> float:
        return math.pi * self.diameter_m ** 2 / 4

    @property
    def r_p_ohm(self) -> float:
        """Nominal parallel resistance RA / A (Ohm)."""
        return self.ra_p_ohm_m2 / self.area_m2

    def bias_tmr(self, tmr):
        """TMR at the read bias: TMR / (1 + (V_read / V_h)^2)."""
        return tmr / (1.0 + (self.v_read_v / self.v_half_v) ** 2)

    def cell_conductance_s(self, state, r_p_ohm, tmr):
        """Conductance (S) of MTJ plus access transistor: 1 / (R_P (1 + TMR(V) [AP]) + R_access)."""
        r_mtj = r_p_ohm * np.where(np.asarray(state) == AP, 1.0 + self.bias_tmr(tmr), 1.0)
        return 1.0 / (r_mtj + self.r_access_ohm)

    @property
    def level_conductances_s(self) -> np.ndarray:
        """Nominal cell conductance (S) of AP (level 0) and P (level 1)."""
        return self.cell_conductance_s(np.array([AP, P]), self.r_p_ohm, self.tmr)

    @property
    def on_off_ratio(self) -> float:
        g_ap, g_p = self.level_conductances_s
        return float(g_p / g_ap)

    def read_current_a(self, state: int) -> float:
        """Nominal read current (A) of a cell in ``state`` at v_read_v."""
        return self.v_read_v * float(self.level_conductances_s[state])

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> MTJInstance:
        """Cells written to ``states`` (0 AP, 1 P), with lognormal RA then TMR per MTJ (medians the
        nominal values, std of the logs sigma_ra_rel and sigma_tmr_rel)."""
        states = check_states(states, self.levels)
        r_p = self.r_p_ohm * np.exp(self.sigma_ra_rel * rng.standard_normal(states.shape))
        tmr = self.tmr * np.exp(self.sigma_tmr_rel * rng.standard_normal(states.shape))
        return MTJInstance(states, states.astype(np.int8), r_p, tmr)

    # ----- retention and read disturb -------------------------------------------------------------

    def flip_rates_hz(self) -> tuple[float, float]:
        """Mean flip rates (1/s) AP -> P and P -> AP: the Néel-Brown rate exp(-Delta') / tau0 with
        Delta' = Delta (1 -+ I/I_c0) for the fraction ``read_duty_cycle`` of the time under read
        current (AP -> P assisted at the AP read current, P -> AP opposed at the P one), Delta
        otherwise."""
        idle = (1.0 - self.read_duty_cycle) * math.exp(-self.delta)
        to_p = idle + self.read_duty_cycle * math.exp(-self.delta * (1 - self.read_current_a(AP) / self.ic0_a))
        to_ap = idle + self.read_duty_cycle * math.exp(-self.delta * (1 + self.read_current_a(P) / self.ic0_a))
        return to_p / self.tau0_s, to_ap / self.tau0_s

    def read_disturb_probability(self, reads: float = 1.0) -> float:
        """Probability that an AP cell switches to P during ``reads`` reads:
        1 - exp(-reads (t_read / tau0) exp(-Delta (1 - I_read / I_c0))) (Khvalkovskiy et al. 2013)."""
        non_negative("reads", reads)
        exponent = -self.delta * (1 - self.read_current_a(AP) / self.ic0_a)
        return -math.expm1(-reads * self.t_read_s / self.tau0_s * math.exp(exponent))

    def flip_probabilities(self, elapsed_s: float) -> tuple[float, float]:
        """P(an AP cell is P) and P(a P cell is AP) ``elapsed_s`` after the cells were set: the two-state
        Markov chain with rates a (AP -> P), b (P -> AP): a / (a + b) (1 - e^{-(a+b) t}) and
        b / (a + b) (1 - e^{-(a+b) t})."""
        non_negative("elapsed_s", elapsed_s)
        a, b = self.flip_rates_hz()
        relax = -math.expm1(-(a + b) * elapsed_s)
        return a / (a + b) * relax, b / (a + b) * relax

    def age(self, instance: MTJInstance, elapsed_s: float, rng: np.random.Generator | None = None) -> MTJInstance:
        """The instance ``elapsed_s`` later: each free layer is flipped with its `flip_probabilities`."""
        to_p, to_ap = self.flip_probabilities(elapsed_s)
        if to_p == 0.0 and to_ap == 0.0:
            return dataclasses.replace(instance, time_s=instance.time_s + float(elapsed_s))
        require("rng", rng, isinstance(rng, np.random.Generator),
                "thermal and read-disturb flips are random: pass a numpy.random.Generator")
        flip = rng.random(instance.magnetization.shape) < np.where(instance.magnetization == AP, to_p, to_ap)
        magnetization = np.where(flip, 1 - instance.magnetization, instance.magnetization).astype(np.int8)
        return dataclasses.replace(instance, magnetization=magnetization, time_s=instance.time_s + float(elapsed_s))

    # ----- readout --------------------------------------------------------------------------------

    def read(self, instance: MTJInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Cell conductance (S) of every cell with its own R_P and TMR, plus Gaussian tunnel noise of
        std `read_std` per read (``rng=None``: the noiseless conductance)."""
        g = self.cell_conductance_s(instance.magnetization, instance.r_p_ohm, instance.tmr)
        if rng is None:
            return g
        return g + self.read_std(instance) * rng.standard_normal(g.shape)

    def read_std(self, instance: MTJInstance) -> np.ndarray:
        """Std (S) of one read: tunnel_noise_scale sqrt(G) at the noiseless cell conductance."""
        g = self.cell_conductance_s(instance.magnetization, instance.r_p_ohm, instance.tmr)
        return tunnel_noise_scale(self.v_read_v, self.t_read_s, self.temperature_k) * np.sqrt(g)

    def cost(self) -> CellCost:
        """Read: V_read^2 G t_read at the mean of the two levels, in t_read. Write: (k I_c0)^2 (R + R_access)
        t_write at the mean MTJ resistance, in t_write."""
        g_mean = float(self.level_conductances_s.mean())
        r_mean = self.r_p_ohm * (1 + self.tmr / 2) + self.r_access_ohm
        i_write = self.write_current_ratio * self.ic0_a
        return CellCost(read_energy_j=self.v_read_v ** 2 * g_mean * self.t_read_s, read_latency_s=self.t_read_s,
                        write_energy_j=i_write ** 2 * r_mean * self.t_write_s, write_latency_s=self.t_write_s)
