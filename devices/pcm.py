"""Phase-change memory (PCM) cells: multi-level conductance with the IBM statistical inference model.

A PCM cell stores a conductance set by the amorphous fraction of its phase-change volume;
iterative program-and-verify places it near a target conductance G_T in [0, g_max]. The
statistical model of Nandakumar et al. ("Phase-change memory models for deep learning
training and inference", IEEE ICECS 2019) and Joshi et al. ("Accurate deep neural network
inference using computational phase-change memory", Nature Communications 11, 2473, 2020,
its PCM model of the Methods), fitted on a million-device doped-Ge2Sb2Te5 array and
implemented as aihwkit's ``PCMLikeNoiseModel`` (IBM aihwkit, ``inference/noise/pcm.py``; the
equations and coefficients below are those of its "Inference and PCM statistical model"
documentation page), has three parts; g_T = G_T / g_max:

* programming noise (static, `sample_instance`): G_prog = G_T + N(0, sigma_prog),
  sigma_prog = max(c0 + c1 g_T + c2 g_T^2, 0) uS at g_max = 25 uS, (c0, c1, c2) =
  (0.26348, 1.9650, -1.1731), scaled by g_max / 25 uS; G_prog clipped at 0;
* drift (time, `age`): G(t) = G_prog (t / t0)^-nu with nu ~ |N(mu_nu, sigma_nu)| per cell,
  mu_nu = clip(-0.0155 ln g_T + 0.0244, 0.049, 0.1), sigma_nu = clip(-0.0125 ln g_T - 0.0059,
  0.008, 0.045): the amorphous phase's structural relaxation (Le Gallo, Krebs, Zipoli, Salinga
  & Sebastian, Advanced Electronic Materials 4, 1700627, 2018), stronger at low conductance;
* 1/f read noise (dynamic, `read`): S_G / G^2 = Q / f integrated from 1/t to 1/(2 t_read),
  sigma_nG(t) = G(t) Q_s sqrt(ln((t + t_read) / (2 t_read))), Q_s = min(0.0088 / g_T^0.65,
  0.2): the noise a read sees grows with the log of the time since programming. aihwkit draws
  it once per evaluation at time t; here every read draws its own (successive reads treated as
  independent, which neglects the correlation of the low-frequency part between close reads).

Time t counts from the end of programming; the drift fit starts at t0 = 20 s, so a freshly
programmed chip is read at t = t0 (``RRAM`` likewise).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from imc.devices.base import CellCost, Device, check_states, register
from imc.errors import int_in_range, non_negative, plausible, positive, require

PROG_POLY_US = (0.26348, 1.9650, -1.1731)  # sigma_prog (uS) = sum c_i g_T^i at g_max = 25 uS (Joshi et al. 2020)
PROG_FIT_G_MAX_S = 25e-6  # the g_max the programming-noise fit is expressed at
NU_MEAN_FIT = (-0.0155, 0.0244, 0.049, 0.1)  # mu_nu = clip(a ln g_T + b, low, high)
NU_STD_FIT = (-0.0125, -0.0059, 0.008, 0.045)  # sigma_nu = clip(a ln g_T + b, low, high)
Q_S_FIT = (0.0088, 0.65, 0.2)  # Q_s = min(a / g_T^b, high)
G_REL_FLOOR = 1e-7  # g_T floor before its logarithm (aihwkit's clip of the drift fit at G_T = 0)
G_POWER_FLOOR = 1e-3  # floor of g_T^0.65 in Q_s (aihwkit), so Q_s stays at its 0.2 cap near G_T = 0


def programming_sigma_rel(g_rel: np.ndarray) -> np.ndarray:
    """sigma_prog / g_max (-) at relative targets g_T: the fitted polynomial (uS at 25 uS) over 25 uS."""
    c0, c1, c2 = PROG_POLY_US
    return np.maximum(c0 + c1 * g_rel + c2 * g_rel ** 2, 0.0) * 1e-6 / PROG_FIT_G_MAX_S


def drift_exponent_moments(g_rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the drift exponent nu at relative targets g_T (Joshi et al. 2020 fit)."""
    log_g = np.log(np.maximum(g_rel, G_REL_FLOOR))
    (a_mu, b_mu, lo_mu, hi_mu), (a_s, b_s, lo_s, hi_s) = NU_MEAN_FIT, NU_STD_FIT
    return np.clip(a_mu * log_g + b_mu, lo_mu, hi_mu), np.clip(a_s * log_g + b_s, lo_s, hi_s)


def noise_q_s(g_rel: np.ndarray) -> np.ndarray:
    """1/f noise amplitude Q_s (-) at relative targets g_T: min(0.0088 / g_T^0.65, 0.2)."""
    a, b, high = Q_S_FIT
    return np.minimum(a / np.maximum(np.asarray(g_rel, dtype=np.float64) ** b, G_POWER_FLOOR), high)


def compensation_gain(programmed: np.ndarray, now: np.ndarray) -> float:
    """Global drift compensation gain sum(programmed) / sum(now) of one array's cell signals (1 when they
    sum to 0): the periphery reads the summed column currents once after programming and again at
    inference and rescales the array's digital output by their ratio (the global drift compensation
    of Joshi et al. 2020; aihwkit ``GlobalDriftCompensation``). Here the noiseless ratio."""
    total = float(np.sum(now))
    return float(np.sum(programmed)) / total if total > 0 else 1.0


@dataclass(frozen=True)
class PCMInstance:
    """Static per-chip realisation of PCM cells (arrays share the shape of ``states``).

    ``target_s``: the level's target G_T (S); ``programmed_s``: G_prog after programming (S, at
    t0); ``conductance_s``: G(t) now (S), ``time_s`` after programming; ``nu``: each cell's drift
    exponent; ``compensation``: the global drift-compensation gain applied to reads (1 when off).
    """

    states: np.ndarray
    target_s: np.ndarray
    programmed_s: np.ndarray
    conductance_s: np.ndarray
    nu: np.ndarray
    time_s: float
    compensation: float = 1.0


@register("pcm")
@dataclass(frozen=True)
class PCM(Device):
    """Multi-level PCM cell with the Joshi et al. (Nat. Commun. 2020) programming, drift and 1/f noise model.

    * ``g_max_s`` = 25 uS, ``g_min_s`` = 0: the conductance range [0, g_max] of the statistical
      model and aihwkit's default g_max (``PCMLikeNoiseModel``), the range its fits cover.
    * ``levels`` = 4: 2 bits per cell, the multi-level PCM of Papandreou et al., "Programming
      algorithms for multilevel phase-change memory", ISCAS 2011. Levels are evenly spaced in
      conductance (the read is Ohmic at ``v_read_v``); they must be at least one programming
      sigma apart (``__post_init__``).
    * ``prog_noise_scale``, ``read_noise_scale``, ``drift_sigma_scale`` = 1: scales of the
      fitted programming noise, 1/f read noise and spread of nu (1: the fit; 0: off, as
      ``nominal()`` sets them); ``drift_scale`` = 1 scales nu itself (aihwkit's drift_scale).
    * ``drift_compensation`` = False: when True, every array's read-out is multiplied by the
      global factor sum G_prog / sum G(t) of its cells (`compensation_gain`), computed per
      device instance, i.e. per tile and per reference column.
    * ``t0_s`` = 20 s: first read time of the drift fit (aihwkit t_0).
    * ``t_read_s`` = 250 ns: read pulse width, the t_read of the 1/f noise fit (aihwkit, Joshi
      et al. 2020).
    * ``v_read_v`` = 0.2 V: read bias. Engineering assumption: well below the ~1 V threshold-
      switching voltage of the amorphous phase, where the read is Ohmic.
    * ``v_write_v`` = 1.5 V, ``i_write_a`` = 100 uA, ``t_write_s`` = 50 ns, ``program_pulses`` =
      10: programming pulses of tens of ns at ~100 uA RESET-class currents (the ranges of Burr et
      al., "Phase change memory technology", J. Vac. Sci. Technol. B 28, 223, 2010) and the
      iterations of program-and-verify: engineering assumptions for the cost only.
    """

    response_unit = "S"
    variation_fields = ("prog_noise_scale", "read_noise_scale", "drift_sigma_scale")
    read_noise_fields = ("read_noise_scale",)

    g_max_s: float = 25e-6
    g_min_s: float = 0.0
    levels: int = 4
    prog_noise_scale: float = 1.0
    read_noise_scale: float = 1.0
    drift_sigma_scale: float = 1.0
    drift_scale: float = 1.0
    drift_compensation: bool = False
    t0_s: float = 20.0
    t_read_s: float = 250e-9
    v_read_v: float = 0.2
    v_write_v: float = 1.5
    i_write_a: float = 100e-6
    t_write_s: float = 50e-9
    program_pulses: int = 10

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("g_max_s", "t0_s", "t_read_s", "v_read_v", "v_write_v", "i_write_a", "t_write_s"):
            positive(name, getattr(self, name))
        for name in ("g_min_s", "prog_noise_scale", "read_noise_scale", "drift_sigma_scale", "drift_scale"):
            non_negative(name, getattr(self, name))
        require("g_min_s", self.g_min_s, self.g_min_s < self.g_max_s,
                f"must be below g_max_s = {self.g_max_s} S (the levels span [g_min_s, g_max_s])")
        require("drift_compensation", self.drift_compensation, isinstance(self.drift_compensation, bool),
                "must be true or false")
        require("t0_s", self.t0_s, self.t0_s > self.t_read_s,
                f"the first read must come after one read pulse (t_read_s = {self.t_read_s} s): the 1/f noise "
                "integrates from 1/t to 1/(2 t_read)")
        int_in_range("program_pulses", self.program_pulses, 1)
        int_in_range("levels", self.levels, 2)
        sigma = self.prog_noise_scale * float(programming_sigma_rel(np.linspace(0, 1, 101)).max()) * self.g_max_s
        spacing = (self.g_max_s - self.g_min_s) / (self.levels - 1)
        require("levels", self.levels, spacing >= sigma,
                f"adjacent levels {spacing:.3g} S apart are closer than one programming sigma ({sigma:.3g} S): "
                f"at most {1 + int((self.g_max_s - self.g_min_s) / sigma) if sigma else 'any'} levels")

    @property
    def level_conductances_s(self) -> np.ndarray:
        """Target conductance G_T (S) of each level, evenly spaced from g_min_s to g_max_s."""
        return np.linspace(self.g_min_s, self.g_max_s, self.levels)

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> PCMInstance:
        """Program ``states``: G_prog = max(G_T + s_prog sigma_prog(g_T) z, 0) and each cell's drift
        exponent nu = s_drift |mu_nu + s_sigma sigma_nu z'| (draws in that order; module docstring)."""
        states = check_states(states, self.levels)
        target = self.level_conductances_s[states]
        g_rel = target / self.g_max_s
        sigma = self.prog_noise_scale * programming_sigma_rel(g_rel) * self.g_max_s
        programmed = np.maximum(target + sigma * rng.standard_normal(states.shape), 0.0)
        mu, spread = drift_exponent_moments(g_rel)
        nu = self.drift_scale * np.abs(mu + self.drift_sigma_scale * spread * rng.standard_normal(states.shape))
        return PCMInstance(states, target, programmed, programmed, nu, float(self.t0_s))

    def age(self, instance: PCMInstance, elapsed_s: float, rng: np.random.Generator | None = None) -> PCMInstance:
        """The instance ``elapsed_s`` later: G(t) = G_prog (t / t0)^-nu, t = t0 + time since programming
        so far; with ``drift_compensation`` the new global gain sum G_prog / sum G(t). Deterministic."""
        non_negative("elapsed_s", elapsed_s)
        time_s = instance.time_s + float(elapsed_s)
        conductance = instance.programmed_s * np.exp(-instance.nu * math.log(time_s / self.t0_s))
        gain = compensation_gain(instance.programmed_s, conductance) if self.drift_compensation else 1.0
        return dataclasses.replace(instance, conductance_s=conductance, time_s=time_s, compensation=gain)

    def read_std(self, instance: PCMInstance) -> np.ndarray | None:
        """Std (S) of one read: gain G(t) Q_s(g_T) sqrt(ln((t + t_read) / (2 t_read))) s_read."""
        if self.read_noise_scale == 0:
            return None
        log_window = math.log((instance.time_s + self.t_read_s) / (2 * self.t_read_s))
        q_s = noise_q_s(instance.target_s / self.g_max_s)
        return (self.read_noise_scale * instance.compensation * math.sqrt(log_window)) * q_s * instance.conductance_s

    def read(self, instance: PCMInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Conductance (S) one read sees: the compensated G(t) plus Gaussian 1/f noise of std `read_std`
        (one draw per cell and read; ``rng=None``: the noiseless conductance)."""
        conductance = instance.compensation * instance.conductance_s
        sigma = self.read_std(instance)
        if rng is None or sigma is None:
            return conductance
        return conductance + sigma * rng.standard_normal(conductance.shape)

    def cost(self) -> CellCost:
        """Read: V_read^2 G t_read at the mean level conductance, in t_read. Write: ``program_pulses``
        pulses of V_write I_write t_write, each followed by a verify read."""
        g_mean = float(self.level_conductances_s.mean())
        read_energy = self.v_read_v ** 2 * g_mean * self.t_read_s
        pulse = self.v_write_v * self.i_write_a * self.t_write_s
        return CellCost(read_energy_j=read_energy, read_latency_s=self.t_read_s,
                        write_energy_j=self.program_pulses * (pulse + read_energy),
                        write_latency_s=self.program_pulses * (self.t_write_s + self.t_read_s))
