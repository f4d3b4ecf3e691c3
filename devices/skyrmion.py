"""Skyrmion racetrack cell: weights stored as the number of skyrmions in a track segment.

A cell is one segment of a magnetic racetrack (Fert, Cros & Sampaio, "Skyrmions on the
track", Nature Nanotechnology 8, 152, 2013; the racetrack concept of Parkin, Hayashi & Thomas,
Science 320, 190, 2008). Its state k is the number of skyrmions written into the segment
(k = 0 or 1 for presence/absence, as in the binary weights of SIMBA: Miriyala, Vishwanath &
Fong, "SIMBA: a skyrmionic in-memory binary neural network accelerator", arXiv:2003.05132,
2020; several skyrmions per cell for multi-level weights, as in the skyrmion synapses of
Huang, Kang, Zhang, Zhou & Zhao, Nanotechnology 28, 08LT02, 2017, and Song et al.,
"Skyrmion-based artificial synapses for neuromorphic computing", Nature Electronics 3, 148,
2020, whose read signal grows with the number of skyrmions).

Life of a cell, and where each non-ideality enters:

* programming (static, `sample_instance`): the track is written as a shift register. A write
  head at one end nucleates the cell's k skyrmions with spin-polarized current pulses, then
  a spin-orbit-torque current in the heavy-metal underlayer shifts the whole track by one
  segment; the cell at segment index p (0 next to the write head) therefore holds skyrmions
  that travelled p + 1 shift steps. A pulse fails to nucleate with probability
  ``p_nucleation_fail`` or nucleates a second, spurious skyrmion with ``p_nucleation_extra``;
  every skyrmion is lost (pinned behind or expelled at the track edge) with probability
  ``p_shift_loss`` per step; each skyrmion of the previous content survives its deletion
  with probability ``p_delete_fail`` and stays in the segment.
* retention (`age`): each skyrmion annihilates as a thermally activated (Arrhenius) process.
* readout (dynamic, `read`): an MTJ over the segment, whose free layer is the track, reads a
  conductance that grows with the area the skyrmion cores cover; device-to-device RA and
  TMR spread is static, shot/thermal noise is per read.

Tracks run along the LAST axis of the state array: cell i of that axis is segment
``i % segments_per_track`` of its track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy.stats import binom

from imc.devices import _kernels_skyrmion as kernels
from imc.devices.base import CellCost, Device, check_states, register
from imc.devices.mram import tunnel_noise_scale
from imc.errors import int_in_range, non_negative, plausible, positive, probability, require

BOLTZMANN_J_PER_K = 1.380649e-23
ELECTRON_CHARGE_C = 1.602176634e-19


@dataclass(frozen=True)
class SkyrmionInstance:
    """Static per-chip realisation of skyrmion cells.

    ``states``: programmed (intended) counts; ``counts``: skyrmions actually in each segment
    (int32) after programming and any aging; ``g_p_s``: parallel-state conductance (S) and
    ``tmr``: TMR ratio of each cell's read MTJ (float32).
    """

    states: np.ndarray
    counts: np.ndarray
    g_p_s: np.ndarray
    tmr: np.ndarray



@register("skyrmion")
@dataclass(frozen=True)
class SkyrmionRacetrack(Device):
    """Skyrmion racetrack segment read by an MTJ. Defaults: binary cell (SIMBA), Pt/Co-class track.

    Storage and geometry:

    * ``max_skyrmions`` = 1: skyrmions one segment holds; ``levels`` = max_skyrmions + 1.
      Presence/absence, the binary weight of SIMBA (Miriyala et al. 2020).
    * ``segments_per_track`` = 64: segments between the write head and the track end
      (engineering assumption: sets the longest shift path, 64 steps, and the heavy-metal
      length a shift current heats).
    * ``track_width_m`` = ``segment_length_m`` = 100 nm and ``skyrmion_diameter_m`` = 80 nm:
      sub-100 nm skyrmions are stable at room temperature in Pt/Co-based multilayers (Legrand
      et al., "Room-temperature current-induced generation and motion of sub-100 nm
      skyrmions", Nano Letters 17, 2703, 2017); the segment pitch leaves room for one 80 nm
      skyrmion and its skyrmion-skyrmion repulsion (engineering assumption). The read MTJ
      covers the segment (area track_width x segment_length); one skyrmion covers the
      fraction a = pi d^2 / 4 / area = 0.50 of it, and max_skyrmions * a must not exceed 1.

    Write errors (static, per programming; engineering assumptions, see below):

    * ``p_nucleation_fail`` = 1e-3 per nucleation pulse, ``p_delete_fail`` = 1e-3 per old
      skyrmion. Creation and deletion of single skyrmions by current pulses are reported as
      deterministic over the repeated pulses imaged (Büttner et al., "Field-free
      deterministic ultrafast creation of magnetic skyrmions by spin-orbit torques", Nature
      Nanotechnology 12, 1040, 2017; Woo et al., "Deterministic creation and deletion of a
      single magnetic skyrmion observed by direct time-resolved X-ray microscopy", Nature
      Electronics 1, 288, 2018), which bounds the error rate only to below ~1e-2; 1e-3 is an
      assumption inside that bound. SIMBA reports its accuracy robust to this stochasticity.
    * ``p_nucleation_extra`` = 0: probability that a pulse nucleates a second skyrmion. The
      number of skyrmions a spin-polarized pulse creates in an MTJ free layer depends on the
      pulse and stray field (Zhang et al., "Skyrmions in magnetic tunnel junctions", ACS
      Applied Materials & Interfaces 10, 16887, 2018), so the error exists; no per-pulse
      rate is published that we could verify, so it is off by default.
    * ``p_shift_loss`` = 1e-5 per skyrmion per shift step: loss at a pinning site or at the
      track edge through the skyrmion Hall effect (engineering assumption; notch pinning
      barriers of up to ~45 k_B T keep skyrmions in place between shifts, Morshed, Vakili &
      Ghosh, "Positional stability of skyrmions in a racetrack memory with notched
      geometry", arXiv:2110.13445, 2021).

    Thermal stability (Arrhenius, `age`):

    * ``attempt_frequency_hz`` = 1e9: the Néel-Brown attempt frequency used for magnetic bits
      (Brown, "Thermal fluctuations of a single-domain particle", Physical Review 130, 1677,
      1963). For skyrmions the prefactor depends on the material and field and can shift by
      orders of magnitude (von Malottki, Bessarab, Haldar, Delin & Heinze, "Skyrmion
      lifetime in ultrathin films", Physical Review B 99, 060409(R), 2019); set it for your
      material.
    * ``energy_barrier_j`` = 50 k_B x 300 K = 2.07e-19 J (1.29 eV): the usual criterion of a
      barrier of about 50 k_B T at room temperature for reliable magnetic bits, which the same
      authors take as their reference point for skyrmions.
      Lifetime 1/(f0 exp(-E_b / k_B T)) = 1.6e5 years at 300 K.
    * ``temperature_k`` = 300 K.

    Readout MTJ (CoFeB/MgO class):

    * ``tmr`` = 1.2: TMR ratio (R_AP - R_P) / R_P of a perpendicular CoFeB-MgO MTJ ("over
      120 %", Ikeda et al., "A perpendicular-anisotropy CoFeB-MgO magnetic tunnel
      junction", Nature Materials 9, 721, 2010). With a = 0.50 one skyrmion raises the
      conductance by a * TMR = 60 %, inside the 20-70 % single-skyrmion readout signal of
      Chen et al., "All-electrical skyrmionic magnetic tunnel junction", Nature 627, 522, 2024.
    * ``ra_p_ohm_m2`` = 10 Ohm um^2: parallel-state resistance-area product (engineering
      assumption, a read-oriented MgO barrier; R_P = 1 kOhm for the 100 x 100 nm^2 MTJ).
    * ``sigma_ra_rel`` = ``sigma_tmr_rel`` = 0.05: device-to-device spread, lognormal (std of
      ln RA and ln TMR). RA depends exponentially on the barrier thickness, so a Gaussian
      thickness spread gives a lognormal RA. 5 % is an engineering assumption (few-percent
      spreads are the usual MTJ array figure).
    * ``v_read_v`` = 0.1 V, ``t_read_s`` = 1 ns: read bias and sensing time (engineering
      assumption: a low bias keeps the TMR near its zero-bias value and the read current
      density, V / RA = 1e10 A/m^2, ten times below the nucleation density).

    Write and shift costs:

    * ``j_nucleate_a_m2`` = 1e11 A/m^2 for ``t_nucleate_s`` = 100 ps through the write-head
      MTJ (same stack and area as the read MTJ): the critical current density ~1e7 A/cm^2
      and creation within 100 ps of vertical spin-polarized-current nucleation (Yin et al.,
      "Topological charge analysis of ultrafast single skyrmion creation", Physical Review B
      93, 174403, 2016). Energy J^2 RA A t.
    * ``j_shift_a_m2`` = 5e11 A/m^2 in the heavy metal moving skyrmions at
      ``skyrmion_velocity_m_s`` = 100 m/s: Woo et al. drove skyrmion trains at over 100 m/s
      in Pt/Co/Ta racetracks ("Observation of room-temperature magnetic skyrmions and their
      current-driven dynamics in ultrathin metallic ferromagnets", Nature Materials 15, 501,
      2016) and Juge et al. reached 100 m/s in Pt/Co/MgO (Physical Review Applied 12, 044007,
      2019); the density is an assumption in the 1e11-1e12 A/m^2 range these experiments use.
      One step lasts segment_length / velocity = 1 ns.
    * ``hm_thickness_m`` = 3 nm and ``hm_resistivity_ohm_m`` = 2e-7 Ohm m (20 uOhm cm):
      Pt underlayer, the thin-film Pt resistivity range (engineering assumption). A step
      dissipates J^2 rho (w t_HM L_track) t_step in the heavy metal under the whole track.
    """

    response_unit = "S"
    variation_fields = ("p_nucleation_fail", "p_nucleation_extra", "p_shift_loss",
                        "p_delete_fail", "sigma_ra_rel", "sigma_tmr_rel")
    fault_fields = ("p_nucleation_fail", "p_nucleation_extra", "p_shift_loss", "p_delete_fail")

    max_skyrmions: int = 1
    segments_per_track: int = 64
    track_width_m: float = 100e-9
    segment_length_m: float = 100e-9
    skyrmion_diameter_m: float = 80e-9
    p_nucleation_fail: float = 1e-3
    p_nucleation_extra: float = 0.0
    p_shift_loss: float = 1e-5
    p_delete_fail: float = 1e-3
    attempt_frequency_hz: float = 1e9
    energy_barrier_j: float = 50 * BOLTZMANN_J_PER_K * 300.0
    temperature_k: float = 300.0
    tmr: float = 1.2
    ra_p_ohm_m2: float = 10e-12
    sigma_ra_rel: float = 0.05
    sigma_tmr_rel: float = 0.05
    v_read_v: float = 0.1
    t_read_s: float = 1e-9
    j_nucleate_a_m2: float = 1e11
    t_nucleate_s: float = 100e-12
    j_shift_a_m2: float = 5e11
    skyrmion_velocity_m_s: float = 100.0
    hm_thickness_m: float = 3e-9
    hm_resistivity_ohm_m: float = 2e-7

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("max_skyrmions", self.max_skyrmions, 1)
        int_in_range("segments_per_track", self.segments_per_track, 1)
        for name in ("track_width_m", "segment_length_m", "skyrmion_diameter_m", "attempt_frequency_hz",
                     "energy_barrier_j", "temperature_k", "ra_p_ohm_m2", "v_read_v", "t_read_s",
                     "j_nucleate_a_m2", "t_nucleate_s", "j_shift_a_m2", "skyrmion_velocity_m_s",
                     "hm_thickness_m", "hm_resistivity_ohm_m"):
            positive(name, getattr(self, name))
        for name in ("tmr", "sigma_ra_rel", "sigma_tmr_rel"):
            non_negative(name, getattr(self, name))
        for name in ("p_nucleation_fail", "p_nucleation_extra", "p_shift_loss", "p_delete_fail"):
            probability(name, getattr(self, name))
        require("p_nucleation_extra", self.p_nucleation_extra,
                self.p_nucleation_fail + self.p_nucleation_extra <= 1.0,
                f"p_nucleation_fail + p_nucleation_extra must be <= 1 (p_nucleation_fail = {self.p_nucleation_fail})")
        require("skyrmion_diameter_m", self.skyrmion_diameter_m, self.skyrmion_diameter_m <= self.track_width_m,
                f"must fit in the track: <= track_width_m = {self.track_width_m} m")
        capacity = int(1.0 / self.area_fraction + 1e-9)
        require("max_skyrmions", self.max_skyrmions, self.max_skyrmions <= capacity,
                f"{self.max_skyrmions} skyrmions of {self.skyrmion_diameter_m} m cover more than the segment's "
                f"read MTJ ({self.track_width_m} x {self.segment_length_m} m): at most {capacity}")

    # ----- geometry and nominal readout -------------------------------------------------------

    @property
    def levels(self) -> int:
        return self.max_skyrmions + 1

    @property
    def mtj_area_m2(self) -> float:
        """Area (m^2) of the read (and write) MTJ over one segment."""
        return self.track_width_m * self.segment_length_m

    @property
    def area_fraction(self) -> float:
        """Fraction a of the read MTJ's free layer one skyrmion core covers: pi d^2 / 4 / area."""
        return math.pi * self.skyrmion_diameter_m ** 2 / 4 / self.mtj_area_m2

    @property
    def g_p_s(self) -> float:
        """Nominal parallel-state conductance (S): area / RA_P."""
        return self.mtj_area_m2 / self.ra_p_ohm_m2

    @property
    def g_ap_s(self) -> float:
        """Nominal antiparallel-state conductance (S): G_P / (1 + TMR), from TMR = (R_AP - R_P) / R_P."""
        return self.g_p_s / (1.0 + self.tmr)

    def level_conductances_s(self) -> np.ndarray:
        """Nominal conductance (S) of each level k = 0..max_skyrmions (the sense references).

        G(k) = G_AP + (G_P - G_AP) k a. The reference layer is aligned with the skyrmion cores,
        so the uniform background tunnels in the antiparallel state and each core in the
        parallel one, as in the skyrmion-MTJ readout of Mankalale, Zhao, Wang & Sapatnekar
        ("SkyLogic -- a proposal for a skyrmion-based logic device", IEEE Trans. Electron
        Devices 66, 2019: low resistance with a skyrmion present). The areas conduct in
        parallel, so conductance is linear in the covered area (engineering model; Chen et al.
        2024 find the readout signal set by the skyrmion size, Zhang et al. 2018 propose
        multi-level TMR from the number of skyrmions).
        """
        k = np.arange(self.levels)
        return self.g_ap_s + (self.g_p_s - self.g_ap_s) * k * self.area_fraction

    # ----- programming (static) ---------------------------------------------------------------

    def shift_steps(self, shape: tuple[int, ...]) -> np.ndarray:
        """Shift steps (p + 1) the skyrmions of each cell travelled; tracks run along the last axis."""
        track_len = shape[-1] if len(shape) else 1
        steps = np.arange(track_len) % self.segments_per_track + 1
        return np.broadcast_to(steps, shape)

    def count_distribution(self, state: int, shift_steps: int, previous: int = 0) -> np.ndarray:
        """P(count = c) for c = 0..2*state + previous after programming ``state`` over ``shift_steps``.

        Each of the ``state`` nucleation pulses creates 0, 1 or 2 skyrmions with probabilities
        p_fail, 1 - p_fail - p_extra, p_extra; each created skyrmion survives the shift path
        with s = (1 - p_shift_loss)^steps; each of the ``previous`` skyrmions stays with
        p_delete_fail. The count is the sum of these independent parts (a convolution).
        Without extra nucleations and old content it is Binomial(state, (1 - p_fail) s).
        """
        for name, value in (("state", state), ("shift_steps", shift_steps), ("previous", previous)):
            int_in_range(name, value, 0)
        survive = (1.0 - self.p_shift_loss) ** shift_steps
        one_pulse = (1.0 - self.p_nucleation_fail - self.p_nucleation_extra) * binom.pmf([0, 1, 2], 1, survive)
        one_pulse += self.p_nucleation_extra * binom.pmf([0, 1, 2], 2, survive)
        one_pulse[0] += self.p_nucleation_fail
        pmf = binom.pmf(np.arange(previous + 1), previous, self.p_delete_fail)
        for _ in range(state):
            pmf = np.convolve(pmf, one_pulse)
        return pmf

    @cached_property
    def _write_cdf(self) -> np.ndarray:
        """CDF table [state, segment, count] of the written count (old content excluded)."""
        width = 2 * self.max_skyrmions + 1
        table = np.ones((self.levels, self.segments_per_track, width))
        for state in range(self.levels):
            for segment in range(self.segments_per_track):
                cdf = np.cumsum(self.count_distribution(state, segment + 1))
                cdf[-1] = 1.0  # the top count takes the rounding remainder
                table[state, segment, :cdf.size] = cdf
        return table

    @cached_property
    def _delete_cdf(self) -> np.ndarray:
        """CDF table [previous, count] of old skyrmions that survive deletion."""
        k = np.arange(self.levels)
        return binom.cdf(k[None, :], k[:, None], self.p_delete_fail)

    def sample_instance(self, states: np.ndarray, rng: np.random.Generator,
                        previous: np.ndarray | None = None) -> SkyrmionInstance:
        """Program ``states`` (skyrmion counts) into a chip instance, with write errors and MTJ spread.

        ``previous``: the states the tracks held before (same shape); None is a fresh, empty
        track (nothing to delete). The actual count per segment is drawn from the closed-form
        distribution of `count_distribution` by inverse-transform sampling in a Numba kernel
        (one uniform per cell, two with ``previous``). RA and TMR of each read MTJ are
        lognormal around their nominal values (std of the log: sigma_ra_rel, sigma_tmr_rel).
        """
        states = check_states(states, self.levels)
        flat = np.ascontiguousarray(states, dtype=np.int64).ravel()
        if previous is None:
            old = np.empty(0, dtype=np.int64)
        else:
            previous = check_states(previous, self.levels)
            require("previous", previous.shape, previous.shape == states.shape,
                    f"must have the shape of states {states.shape}")
            old = np.ascontiguousarray(previous, dtype=np.int64).ravel()
        u_write = rng.random(flat.size)
        u_delete = rng.random(old.size)
        counts = kernels.sample_counts(flat, old, u_write, u_delete, self._write_cdf, self._delete_cdf,
                                       states.shape[-1] if states.ndim else 1, self.segments_per_track,
                                       np.empty(flat.size, dtype=np.int32))
        ra = self.ra_p_ohm_m2 * np.exp(self.sigma_ra_rel * rng.standard_normal(states.shape))
        tmr = self.tmr * np.exp(self.sigma_tmr_rel * rng.standard_normal(states.shape))
        return SkyrmionInstance(states, counts.reshape(states.shape),
                                (self.mtj_area_m2 / ra).astype(np.float32), tmr.astype(np.float32))

    # ----- retention ----------------------------------------------------------------------------

    @property
    def annihilation_rate_hz(self) -> float:
        """Thermal annihilation rate (1/s) of one skyrmion: f0 exp(-E_b / (k_B T)) (Arrhenius-Néel-Brown)."""
        return self.attempt_frequency_hz * math.exp(-self.energy_barrier_j / (BOLTZMANN_J_PER_K * self.temperature_k))

    def survival_probability(self, elapsed_s: float) -> float:
        """Probability that one skyrmion survives ``elapsed_s`` seconds: exp(-rate * t)."""
        non_negative("elapsed_s", elapsed_s)
        return math.exp(-self.annihilation_rate_hz * elapsed_s)

    def age(self, instance: SkyrmionInstance, elapsed_s: float,
            rng: np.random.Generator | None = None) -> SkyrmionInstance:
        """The instance after ``elapsed_s`` s: each skyrmion independently annihilated with 1 - exp(-rate t)."""
        survive = self.survival_probability(elapsed_s)
        require("rng", rng, isinstance(rng, np.random.Generator),
                "thermal annihilation is random: pass a numpy.random.Generator")
        counts = rng.binomial(instance.counts, survive).astype(np.int32)
        return replace(instance, counts=counts)

    # ----- readout (dynamic) --------------------------------------------------------------------

    @property
    def read_noise_scale(self) -> float:
        """sigma_G / sqrt(G) (S^0.5) of one read of the segment's MTJ: the tunnel-junction shot/thermal
        noise of `imc.devices.mram.tunnel_noise_scale` at v_read_v, t_read_s and temperature_k."""
        return tunnel_noise_scale(self.v_read_v, self.t_read_s, self.temperature_k)

    def read(self, instance: SkyrmionInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Read-MTJ conductance (S, float64) of every cell; ``rng=None`` gives the noiseless one.

        G = G_AP + (G_P - G_AP) min(k a, 1) with each cell's own G_P and TMR (see
        `level_conductances_s`), plus Gaussian read noise of std read_noise_scale * sqrt(G).
        """
        counts = np.ascontiguousarray(instance.counts).ravel()
        normals = rng.standard_normal(counts.size) if rng is not None else np.empty(0)
        g = kernels.read_conductance(counts, np.ascontiguousarray(instance.g_p_s).ravel(),
                                     np.ascontiguousarray(instance.tmr).ravel(), self.area_fraction, normals,
                                     self.read_noise_scale if rng is not None else 0.0,
                                     np.empty(counts.size, dtype=np.float64))
        return g.reshape(instance.counts.shape)

    def read_std(self, instance: SkyrmionInstance) -> np.ndarray:
        """Std (S) of the conductance one read sees: read_noise_scale sqrt(G) at the noiseless G (`read`)."""
        return self.read_noise_scale * np.sqrt(self.read(instance))

    def sense(self, instance: SkyrmionInstance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Sensed skyrmion count (int): the nominal level nearest to the read conductance."""
        g = self.read(instance, rng)
        step = (self.g_p_s - self.g_ap_s) * self.area_fraction
        return np.clip(np.rint((g - self.g_ap_s) / step), 0, self.max_skyrmions).astype(np.int32)

    # ----- costs -------------------------------------------------------------------------------

    @property
    def nucleation_energy_j(self) -> float:
        """Energy (J) of one nucleation pulse through the write MTJ: J^2 RA A t (I = J A, R = RA / A)."""
        return self.j_nucleate_a_m2 ** 2 * self.ra_p_ohm_m2 * self.mtj_area_m2 * self.t_nucleate_s

    @property
    def shift_step_time_s(self) -> float:
        """Duration (s) of one shift step: segment_length / velocity."""
        return self.segment_length_m / self.skyrmion_velocity_m_s

    @property
    def shift_step_energy_j(self) -> float:
        """Joule heat (J) of shifting the whole track one step: J^2 rho (w t_HM L_track) t_step."""
        track_volume_m3 = self.track_width_m * self.hm_thickness_m * self.segment_length_m * self.segments_per_track
        return self.j_shift_a_m2 ** 2 * self.hm_resistivity_ohm_m * track_volume_m3 * self.shift_step_time_s

    def write_energy_j(self, state: int, shift_steps: int) -> float:
        """Energy (J) to nucleate ``state`` skyrmions and shift the track ``shift_steps`` steps."""
        return state * self.nucleation_energy_j + shift_steps * self.shift_step_energy_j

    def write_latency_s(self, state: int, shift_steps: int) -> float:
        """Latency (s) of the same write: the pulses run one after another."""
        return state * self.t_nucleate_s + shift_steps * self.shift_step_time_s

    def cost(self) -> CellCost:
        """One read and one write of one cell.

        Read: E = V_read^2 G t_read at the mean nominal level conductance (levels equally
        likely), in t_read. Write: the cell's share of a sequential shift-register write of
        its track -- max_skyrmions nucleations (worst-case state) and one whole-track shift
        step; writing a whole track of N cells costs N times this. Old content leaves the
        track through the same shifts, so deletion adds no energy here.
        """
        g_mean = float(self.level_conductances_s().mean())
        return CellCost(read_energy_j=self.v_read_v ** 2 * g_mean * self.t_read_s, read_latency_s=self.t_read_s,
                        write_energy_j=self.write_energy_j(self.max_skyrmions, 1),
                        write_latency_s=self.write_latency_s(self.max_skyrmions, 1))
