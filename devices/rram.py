"""RRAM / memristor cells: multi-level conductance programmed by write-verify, 1T1R or passive.

A metal-oxide RRAM cell stores a conductance between its high-resistance state (HRS,
``g_off_s``) and its low-resistance state (LRS, ``g_on_s``). A weight level is one of
``levels`` target conductances evenly spaced between them; an iterative program-and-verify
loop tunes each cell to within a relative tolerance of its target (the write-verify
scheme of the NeuRRAM chip: Wan et al., "A compute-in-memory chip based on resistive
random-access memory", Nature 608, 2022, Extended Data Fig. 3). Static per chip: the
first-pulse scatter (device-to-device variation), the pulses write-verify needed, stuck-at
faults and each cell's drift exponent. Dynamic: relative read noise per read. Time: the
programmed conductance relaxes as a power law of the time since programming.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

from imc.devices import _kernels_rram as kernels
from imc.devices.base import CellCost, Device, check_states, register
from imc.errors import in_range, int_in_range, non_negative, plausible, positive, probability, require

D2D_DISTRIBUTIONS = ("lognormal", "gaussian")
LEVEL_SPACINGS = ("read_current", "conductance")
GAUSSIAN_D2D_SIGMA_MAX = 0.25  # 4 sigma below the mean stays positive for all but 3.2e-5 of cells
NOT_STUCK, STUCK_HRS, STUCK_LRS = 0, 1, 2
COST_CALIBRATION_CELLS = 16384  # cells programmed by `cost()` to estimate the mean write-verify cost


@dataclass(frozen=True)
class RRAMInstance:
    """Static per-chip realisation of RRAM cells (arrays share the shape of ``states``).

    * ``programmed_s``: conductance (S) write-verify left, as read at ``t0_s`` after programming;
    * ``conductance_s``: conductance (S) now, ``time_s`` seconds after programming (drifted);
    * ``nu``: drift exponent of each cell (-);
    * ``stuck``: 0 healthy, 1 stuck at HRS, 2 stuck at LRS;
    * ``iterations``: programming pulses write-verify applied (the first pulse included);
    * ``converged``: whether the cell ended within tolerance of its target;
    * ``programming_energy_j``: energy (J) of the cell's write pulses and verify reads.
    """

    states: np.ndarray
    programmed_s: np.ndarray
    conductance_s: np.ndarray
    nu: np.ndarray
    stuck: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    programming_energy_j: np.ndarray
    time_s: float

    @property
    def failed(self) -> np.ndarray:
        """Cells write-verify could not bring within tolerance (stuck ones included)."""
        return ~self.converged



@register("rram")
@dataclass(frozen=True)
class RRAM(Device):
    """Multi-level metal-oxide RRAM cell, 1T1R (``r_access_ohm`` > 0) or passive (0T1R, 0 ohm).

    Defaults: the interface-engineered TaOx/HfOx analog RRAM of Tsinghua University (W. Wu et
    al., VLSI 2018) as benchmarked in Peng, Huang,
    Luo, Sun & Yu, "DNN+NeuroSim: an end-to-end benchmarking framework for compute-in-memory
    accelerators with versatile device technologies", IEDM 2019, Table 1.

    * ``g_on_s`` = 10 uS, ``g_off_s`` = 1 uS: R_on = 100 kOhm and on/off ratio 10 (Peng et al.
      2019, Table 1, TaOx/HfOx column).
    * ``levels`` = 16: the 4 bits/cell that table assumes for this device.
    * ``level_spacing`` = "read_current": the level targets are evenly spaced in the read current
      I(G, V_read) (through the sinh law and the access resistance) from I(g_off_s) to I(g_on_s),
      because write-verify compares the verify read's current at V_read with its target (Alibart,
      Gao, Hoskins & Strukov, "High precision tuning of state for memristive devices by adaptable
      variation-tolerant algorithm", Nanotechnology 23, 075201, 2012), so a column's summed current
      counts levels linearly; "conductance": evenly spaced small-signal conductances (the levels
      NeuroSim assumes), which a saturating 1T1R read compresses at the top.
    * ``v0_v`` = 0.25 V: voltage scale of the sinh conduction law I = I0 exp(-gap/g0)
      sinh(V/V0), default of the Stanford RRAM Verilog-A model v1.0.0 (Jiang & Wong,
      nanoHUB 2014, doi:10.4231/D37H1DN48; Jiang et al., IEEE TED 63(5), 2016).
    * ``v_read_v`` = 0.1 V: the read voltage at which the Stanford/ASU Verilog-A RRAM model
      reports a cell's resistance (parameter Vread); V/V0 = 0.4 keeps the read 2.7 % above Ohmic.
    * ``t_read_s`` = 10 ns: read pulse width of DNN+NeuroSim V1.3 (Param.cpp, readPulseWidth).
    * ``v_write_v`` = 2 V: write voltage of DNN+NeuroSim V1.3 (Param.cpp, writeVoltage).
    * ``t_write_s`` = 10 ns: write pulse width of NeuroSim's IdealDevice (MLP+NeuroSim V3.0,
      Cell.cpp; Chen, Peng & Yu, "NeuroSim: a circuit-level macro model for benchmarking
      neuro-inspired architectures in online learning", IEEE TCAD 37(12), 2018).
    * ``r_access_ohm`` = 15 kOhm: on-resistance of the 1T1R access transistor in NeuroSim
      (Cell.cpp, resistanceAccess).
    * ``d2d_distribution`` = "lognormal", ``sigma_d2d_rel`` = 0.10: relative spread of the
      conductance a device reaches on its first (open-loop) programming pulse. Engineering
      assumption, of the order of the ~2 uS spread at a 20 uS target one second after
      write-verify in Wan et al. 2022 (the 1-s polynomial fit of aihwkit's
      ``ReRamWan2022NoiseModel``, IBM aihwkit).
    * ``sigma_read_rel`` = 0.01: relative read noise, the "about 1 %" short-term read noise
      aihwkit's ``ReRamWan2022NoiseModel`` documents for the Wan et al. 2022 devices.
    * ``tolerance_rel`` = 0.02: write-verify acceptance range of +-2 % of the target, the wider
      of the two acceptance ranges (0.2 % and 2 %) of aihwkit's ``ReRamCMONoiseModel``
      (CMO/HfOx RRAM of IBM Research Zurich).
    * ``write_gain`` = 0.5, ``sigma_pulse_rel`` = 0.035, ``max_iterations`` = 20: each verify
      pulse corrects half of the log-error and adds a relative step noise of 3.5 %, NeuroSim's
      cycle-to-cycle weight-update sigma (3.5 % of the conductance range, RealDevice) taken
      per pulse; 20 pulses is the controller's budget. Engineering assumptions.
    * ``p_stuck_hrs`` = ``p_stuck_lrs`` = 1e-3: stuck-at rates. Engineering assumption (0.1 %
      each); replace with wafer-map data where available.
    * ``nu_mean`` = 0.003, ``nu_sigma`` = 0.0015, ``t0_s`` = 1 s: drift G(t) = G0 (t/t0)^-nu.
      nu_mean gives the 6 % conductance loss over 10 years (t/t0 = 3.2e8) of the middle drift
      scenario of Peng et al. 2019 (Fig. 3: 2 %, 6 %, 10 % in 10 years):
      -ln(0.94)/ln(3.2e8) = 0.0032. nu_sigma = nu_mean/2 is an engineering assumption: the
      ratio of the spread to the mean of the log-time conductance decay in aihwkit's
      ``ReRamCMONoiseModel`` (0.042 vs 0.089 uS per e-fold of time). t0 = 1 s is the first
      post-programming time of the Wan et al. 2022 relaxation data in aihwkit.
    """

    response_unit = "S"
    variation_fields = ("sigma_d2d_rel", "sigma_read_rel", "sigma_pulse_rel",
                        "nu_sigma", "p_stuck_hrs", "p_stuck_lrs")
    fault_fields = ("p_stuck_hrs", "p_stuck_lrs")
    read_noise_fields = ("sigma_read_rel",)

    g_on_s: float = 10e-6
    g_off_s: float = 1e-6
    levels: int = 16
    level_spacing: str = "read_current"
    v0_v: float = 0.25
    v_read_v: float = 0.1
    t_read_s: float = 10e-9
    v_write_v: float = 2.0
    t_write_s: float = 10e-9
    r_access_ohm: float = 15e3
    d2d_distribution: str = "lognormal"
    sigma_d2d_rel: float = 0.10
    sigma_read_rel: float = 0.01
    tolerance_rel: float = 0.02
    write_gain: float = 0.5
    sigma_pulse_rel: float = 0.035
    max_iterations: int = 20
    p_stuck_hrs: float = 1e-3
    p_stuck_lrs: float = 1e-3
    nu_mean: float = 0.003
    nu_sigma: float = 0.0015
    t0_s: float = 1.0

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("g_on_s", "g_off_s", "v0_v", "v_read_v", "t_read_s", "v_write_v", "t_write_s", "t0_s"):
            positive(name, getattr(self, name))
        for name in ("r_access_ohm", "sigma_d2d_rel", "sigma_read_rel", "sigma_pulse_rel", "nu_mean", "nu_sigma"):
            non_negative(name, getattr(self, name))
        require("g_on_s", self.g_on_s, self.g_on_s >= self.g_off_s,
                f"on/off ratio g_on_s/g_off_s must be >= 1 (g_off_s = {self.g_off_s} S)")
        in_range("v0_v", self.v0_v, 0.01, 100.0, "published sinh-law fits of oxide RRAM have V0 = 0.1-0.5 V "
                 "(100 V: an Ohmic cell at any read voltage)")
        require("v_read_v", self.v_read_v, self.v_read_v <= 50 * self.v0_v,
                f"must be <= 50 v0_v = {50 * self.v0_v:g} V: a read far up the sinh law is a write, and "
                "sinh(V / V0) overflows")
        require("d2d_distribution", self.d2d_distribution, self.d2d_distribution in D2D_DISTRIBUTIONS,
                f"allowed: {list(D2D_DISTRIBUTIONS)}")
        if self.d2d_distribution == "gaussian":
            require("sigma_d2d_rel", self.sigma_d2d_rel, self.sigma_d2d_rel <= GAUSSIAN_D2D_SIGMA_MAX,
                    f"must be <= {GAUSSIAN_D2D_SIGMA_MAX} for a gaussian spread (conductance stays > 0); "
                    "use 'lognormal' for wider spreads")
        require("tolerance_rel", self.tolerance_rel,
                isinstance(self.tolerance_rel, (int, float)) and 0.0 < self.tolerance_rel < 1.0, "must be in (0, 1)")
        require("write_gain", self.write_gain,
                isinstance(self.write_gain, (int, float)) and 0.0 < self.write_gain <= 1.0, "must be in (0, 1]")
        int_in_range("max_iterations", self.max_iterations, 1)
        probability("p_stuck_hrs", self.p_stuck_hrs)
        probability("p_stuck_lrs", self.p_stuck_lrs)
        require("p_stuck_lrs", self.p_stuck_lrs, self.p_stuck_hrs + self.p_stuck_lrs <= 1.0,
                f"p_stuck_hrs + p_stuck_lrs must be <= 1 (p_stuck_hrs = {self.p_stuck_hrs})")
        int_in_range("levels", self.levels, 2)
        require("level_spacing", self.level_spacing, self.level_spacing in LEVEL_SPACINGS,
                f"allowed: {list(LEVEL_SPACINGS)}")
        step = (self.g_on_s - self.g_off_s) / (self.levels - 1)
        require("levels", self.levels, step * (1 + self.tolerance_rel) > 2 * self.tolerance_rel * self.g_on_s,
                f"the +-{self.tolerance_rel:.1%} write-verify bands of adjacent levels overlap: at most "
                f"{self.max_levels} levels fit between g_off_s = {self.g_off_s} S and g_on_s = {self.g_on_s} S")

    @property
    def max_levels(self) -> int:
        """Most levels whose +-tolerance bands do not overlap: spacing (1 + tol) > 2 tol G_on."""
        window = (self.g_on_s - self.g_off_s) * (1 + self.tolerance_rel)
        return max(1, math.ceil(window / (2 * self.tolerance_rel * self.g_on_s)))

    @property
    def on_off_ratio(self) -> float:
        return self.g_on_s / self.g_off_s

    @property
    def level_conductances_s(self) -> np.ndarray:
        """Target conductance (S) of each level, from g_off_s (level 0) to g_on_s, spaced by
        ``level_spacing``: evenly in conductance, or so that the read currents I(G_l, v_read_v) are
        evenly spaced (each target solved on the monotone I(G) by Brent's method, cached)."""
        return _level_targets(self).copy()

    @property
    def pulse_energy_per_siemens_j(self) -> float:
        """Energy (J/S) of one write pulse and its verify read per siemens of cell conductance.

        E = (V_write^2 t_write + V_read^2 t_read) G: Ohmic estimate at the small-signal
        conductance, as NeuroSim's write energy V_w^2 G t_w (Chen, Peng & Yu 2018); the sinh
        non-linearity and the access transistor's current limit are not applied to the write.
        """
        return self.v_write_v ** 2 * self.t_write_s + self.v_read_v ** 2 * self.t_read_s

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator) -> RRAMInstance:
        """Program cells to integer ``states`` with write-verify: one static chip instance.

        Draws, in order: the first-pulse conductance of every cell (target times a
        device-to-device factor of mean 1 and relative std ``sigma_d2d_rel``), the stuck-at
        faults (stuck cells sit at g_off_s / g_on_s and do not respond to pulses), the drift
        exponents, and the seed of the write-verify pulse noise (`_kernels_rram.write_verify`).
        """
        states = check_states(states, self.levels)
        target = _level_targets(self)[states.ravel()]
        first = target * self.d2d_factors(target.size, rng)
        stuck = self.stuck_codes(target.size, rng)
        if self.p_stuck_hrs or self.p_stuck_lrs:
            first = np.where(stuck == STUCK_HRS, self.g_off_s, np.where(stuck == STUCK_LRS, self.g_on_s, first))
        nu = self.drift_exponents(target.size, rng)
        seed = rng.integers(0, 2 ** 64, dtype=np.uint64)
        programmed = np.empty_like(target)
        iterations = np.empty(target.size, dtype=np.int32)
        converged = np.empty(target.size, dtype=np.bool_)
        energy = np.empty_like(target)
        kernels.write_verify(target, first, stuck != NOT_STUCK, seed, float(self.tolerance_rel),
                             float(self.write_gain), float(self.sigma_pulse_rel), self.max_iterations,
                             self.pulse_energy_per_siemens_j, programmed, iterations, converged, energy)
        shape = states.shape
        programmed = programmed.reshape(shape)
        return RRAMInstance(states=states, programmed_s=programmed, conductance_s=programmed,
                            nu=nu.reshape(shape), stuck=stuck.reshape(shape),
                            iterations=iterations.reshape(shape), converged=converged.reshape(shape),
                            programming_energy_j=energy.reshape(shape), time_s=float(self.t0_s))

    def d2d_factors(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Device-to-device factors of mean 1 and relative std ``sigma_d2d_rel``.

        Lognormal: exp(N(-s_ln^2/2, s_ln^2)) with s_ln^2 = ln(1 + sigma^2), which has exactly
        that mean and std. Gaussian: 1 + sigma N(0, 1), with the (< 3.2e-5) non-positive draws
        redrawn, a truncation that shifts mean and std by < 1e-4 relative for sigma <= 0.25.
        """
        sigma = self.sigma_d2d_rel
        if self.d2d_distribution == "lognormal":
            sigma_ln = math.sqrt(math.log1p(sigma ** 2))
            return np.exp(rng.normal(-sigma_ln ** 2 / 2, sigma_ln, size))
        factor = rng.standard_normal(size)
        factor *= sigma
        factor += 1.0  # 1 + sigma N in place
        while (bad := np.flatnonzero(factor <= 0)).size:
            factor[bad] = 1.0 + sigma * rng.standard_normal(bad.size)
        return factor

    def stuck_codes(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Independent stuck-at faults: HRS with p_stuck_hrs, LRS with p_stuck_lrs (int8 codes)."""
        u = rng.random(size)  # drawn whatever the probabilities: the draws after it stay where they are
        codes = np.zeros(size, dtype=np.int8)
        if not (self.p_stuck_hrs or self.p_stuck_lrs):
            return codes
        codes[u < self.p_stuck_hrs] = STUCK_HRS
        codes[(u >= self.p_stuck_hrs) & (u < self.p_stuck_hrs + self.p_stuck_lrs)] = STUCK_LRS
        return codes

    def drift_exponents(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Per-cell drift exponents: N(nu_mean, nu_sigma) truncated to nu >= 0.

        A negative exponent would make the conductance grow without bound as a power of time,
        which relaxation of a programmed filament does not do; the tail below 0 is removed by
        inverse-CDF sampling of the truncated normal, nu = mu + sigma Phi^-1(Phi(a) + U (1 -
        Phi(a))), a = -mu/sigma, so nu >= 0 exactly and the shape above 0 is kept.
        """
        if self.nu_sigma == 0:
            return np.full(size, float(self.nu_mean))
        below = ndtr(-self.nu_mean / self.nu_sigma)
        nu = self.nu_mean + self.nu_sigma * ndtri(below + rng.random(size) * (1.0 - below))
        return np.maximum(nu, 0.0)  # rounding guard: at U = 0, mu + sigma a can come out as -1e-19

    def read(self, instance: RRAMInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Conductance (S) of every cell seen in one read: G (1 + sigma_read_rel z), z ~ N(0, 1).

        Relative Gaussian cycle-to-cycle read noise, one draw per cell and read, as NeuroSim's
        RealDevice read, I = V G (1 + N(0, sigma)) (Chen, Peng & Yu 2018). ``rng=None`` gives
        the noiseless conductance of the instance at its present age.
        """
        if rng is None or self.sigma_read_rel == 0:
            return instance.conductance_s.copy()
        noise = rng.standard_normal(instance.conductance_s.shape)
        return instance.conductance_s * (1.0 + self.sigma_read_rel * noise)

    def read_std(self, instance: RRAMInstance) -> np.ndarray | None:
        """Std (S) of the conductance one read sees: sigma_read_rel G (`read`)."""
        return self.sigma_read_rel * instance.conductance_s if self.sigma_read_rel > 0 else None

    def current_a(self, conductance_s: np.ndarray, v_v: float) -> np.ndarray:
        """Current (A) of cells of small-signal conductance ``conductance_s`` at cell voltage ``v_v``.

        The switching layer conducts I = G V0 sinh(V_cell / V0) (the Stanford RRAM model's
        I0 exp(-gap/g0) sinh(V/V0) with G = I0 exp(-gap/g0) / V0 its slope at 0 V; Jiang et al.
        2016), so I -> G V for |V| << V0. In 1T1R the access transistor in its linear region
        is a series resistance R (NeuroSim's resistanceAccess), V_cell = V - I R, and
        I = G V0 sinh((V - I R)/V0) is solved per cell by Newton's method
        (`_kernels_rram.series_current`); r_access_ohm = 0 is the passive 0T1R cell.
        """
        require("v_v", v_v, isinstance(v_v, (int, float)) and math.isfinite(v_v), "must be a finite voltage")
        conductance = np.ascontiguousarray(conductance_s, dtype=np.float64)
        out = np.empty_like(conductance)
        kernels.series_current(conductance.ravel(), float(v_v), float(self.v0_v), float(self.r_access_ohm),
                               out.ravel())
        return out

    def current_slope_v(self, conductance_s: np.ndarray, v_v: float) -> np.ndarray:
        """dI/dG (A/S = V) of cells of conductance ``conductance_s`` at cell voltage ``v_v``: the first-order
        response of `current_a` to a conductance fluctuation (what read noise in G does to the current).

        Implicit differentiation of I = G V0 sinh(x), x = (|V| - I R)/V0, at the solved current:
        dI/dG = V0 sinh(x) / (1 + G R cosh(x)), odd in V; V0 sinh(V/V0) for the passive cell and
        V / (1 + G R)^2 in the Ohmic limit |V| << V0.
        """
        conductance = np.asarray(conductance_s, dtype=np.float64)
        x = (abs(v_v) - self.current_a(conductance, abs(v_v)) * self.r_access_ohm) / self.v0_v
        return math.copysign(1.0, v_v) * self.v0_v * np.sinh(x) / (1.0 + conductance * self.r_access_ohm * np.cosh(x))

    def read_current_a(self, instance: RRAMInstance, rng: np.random.Generator | None = None,
                       v_v: float | None = None) -> np.ndarray:
        """Current (A) of every cell of ``instance`` in one read at ``v_v`` (default ``v_read_v``).

        The conductance seen in the read (`read`, with read noise when ``rng`` is given)
        through the sinh I-V and the access resistance (`current_a`).
        """
        return self.current_a(self.read(instance, rng), self.v_read_v if v_v is None else v_v)

    def age(self, instance: RRAMInstance, elapsed_s: float, rng: np.random.Generator | None = None) -> RRAMInstance:
        """The instance ``elapsed_s`` seconds later: G(t) = G0 (t / t0)^-nu for t >= t0.

        Power-law conductance relaxation after programming, the drift law of aihwkit's
        statistical model of resistive (PCM) memories (IBM aihwkit, "Inference and PCM
        statistical model"), here with a per-cell RRAM exponent (G0 = ``programmed_s`` at t0;
        t counts from programming and starts at ``t0_s``). Stuck cells keep their value.
        Deterministic given the static exponents: ``rng`` is not used.
        """
        non_negative("elapsed_s", elapsed_s)
        time_s = instance.time_s + float(elapsed_s)
        programmed = np.ascontiguousarray(instance.programmed_s)
        out = np.empty_like(programmed)
        kernels.drift(programmed.ravel(), np.ascontiguousarray(instance.nu).ravel(),
                      np.ascontiguousarray(instance.stuck != NOT_STUCK).ravel(),
                      math.log(time_s / self.t0_s), out.ravel())
        return dataclasses.replace(instance, conductance_s=out, time_s=time_s)

    def cost(self, instance: RRAMInstance | None = None) -> CellCost:
        """Energy and latency of one cell read and one write-verify programming.

        Read at the mean conductance of the levels, G_mean = (g_off + g_on)/2:
        E = V_read I(V_read, G_mean) t_read, which is V_read^2 G_mean t_read for an Ohmic cell
        without access resistance; latency t_read. Write: the mean over cells of the
        programming energy (pulses x (V_w^2 t_w + V_r^2 t_r) G) and mean pulses x (t_write +
        t_read). The mean is that of ``instance`` when given; otherwise of a calibration
        programming of 16384 cells spread evenly over the levels, drawn from the fixed
        ``numpy.random.default_rng(0)`` so that the cost is a deterministic property of the
        parameters.
        """
        g_mean = 0.5 * (self.g_off_s + self.g_on_s)
        i_read = float(self.current_a(np.array([g_mean]), self.v_read_v)[0])
        if instance is None:
            states = np.arange(COST_CALIBRATION_CELLS) % self.levels
            instance = self.sample_instance(states, np.random.default_rng(0))
        return CellCost(read_energy_j=self.v_read_v * i_read * self.t_read_s, read_latency_s=self.t_read_s,
                        write_energy_j=float(instance.programming_energy_j.mean()),
                        write_latency_s=float(instance.iterations.mean()) * (self.t_write_s + self.t_read_s))


@lru_cache(maxsize=64)
def _level_targets(device: RRAM) -> np.ndarray:
    """`RRAM.level_conductances_s`, computed once per device (read-only)."""
    targets = (np.linspace(device.g_off_s, device.g_on_s, device.levels) if device.level_spacing == "conductance"
               else _current_spaced_levels(device))
    targets.flags.writeable = False
    return targets


def _current_spaced_levels(device: RRAM) -> np.ndarray:
    """Conductances whose read currents at v_read_v are evenly spaced from I(g_off_s) to I(g_on_s)."""
    def current(g: float) -> float:
        return float(device.current_a(np.array([g]), device.v_read_v)[0])

    low, high = current(device.g_off_s), current(device.g_on_s)
    targets = [device.g_off_s]
    for level in range(1, device.levels - 1):
        wanted = low + (high - low) * level / (device.levels - 1)
        targets.append(brentq(lambda g: current(g) - wanted, device.g_off_s, device.g_on_s, xtol=1e-18, rtol=1e-14))
    return np.array([*targets, device.g_on_s])
