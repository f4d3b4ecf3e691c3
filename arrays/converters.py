"""Sensing and input periphery of an array: column ADCs, 1-bit sense amplifiers, word-line DACs
and the costs of the input schemes.

* `ColumnADC`: a SAR or flash converter with a fixed or calibrated full scale, static offset,
  gain error, INL and DNL per chip (`sample_instance`), columns shared through a mux, and its
  energy, latency and area;
* `SenseAmp`: a latch comparator for binary columns, offset from Pelgrom mismatch;
* `WordLineDAC` and `input_cost`: what binary, bit-serial, word-line-amplitude and pulse-width
  inputs cost per array operation;
* `PeripheryCost`: energy, latency and area of one component, for the chip simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from numbers import Real

import numpy as np

from imc.arrays import _kernels_converters as kernels
from imc.arrays import _kernels_sensing
from imc.devices._kernels_random import draw_key, standard_normal
from imc.errors import (ParameterError, in_range, int_in_range, non_negative, plausible, positive, probability,
                                    require)

ARCHITECTURES = ("sar", "flash")
ADC_AREA_NODE_EXPONENT = 0.797  # SAR area ~ node^0.797: the Accelergy ADC plug-in's survey regression (ColumnADC)
SAR_TRANSISTORS = {"nmos": (269, 109), "pmos": (209, 73)}  # DNN+NeuroSim SarADC.cpp: a + b (bits - 1) of each
STRONGARM_TRANSISTORS = 11  # one StrongARM latch comparator (Razavi 2015; `SenseAmp`)
MAX_SIGMA_GAIN_REL = 0.1  # 10 sigma below zero gain: a draw never inverts the transfer in practice


def _finite_real(field_name: str, value) -> None:
    require(field_name, value, isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value),
            "must be a finite number")


def _normal(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Zero-mean Gaussian draws of std ``sigma`` (no draw at all when sigma is 0)."""
    if sigma == 0:
        return np.zeros(shape)
    return rng.standard_normal(shape) * sigma


@dataclass(frozen=True)
class PeripheryCost:
    """Energy (J), latency (s) and area (m^2) of one periphery component for one array operation.

    ``a + b`` is the two as consecutive stages: energies, latencies and areas add.
    """

    energy_j: float
    latency_s: float
    area_m2: float

    def __post_init__(self) -> None:
        for name in ("energy_j", "latency_s", "area_m2"):
            non_negative(name, getattr(self, name))

    def __add__(self, other: "PeripheryCost") -> "PeripheryCost":
        return PeripheryCost(self.energy_j + other.energy_j, self.latency_s + other.latency_s,
                             self.area_m2 + other.area_m2)


@dataclass(frozen=True)
class SenseAmp:
    """1-bit latch comparator (StrongARM) that decides v_signal > v_ref for binary columns.

    * Input-referred offset: the threshold mismatch of the input pair, each transistor with
      sigma(V_th) = A_VT / sqrt(W L), so sigma_os = sqrt(2) A_VT / sqrt(W L) (Pelgrom,
      Duinmaijer & Welbers, "Matching properties of MOS transistors", IEEE JSSC 24(5), 1989).
      ``a_vt_v_m`` = 3.0 mV*um: the 65 nm bulk NMOS value in Kuhn et al., IEEE TED 58(8), 2011
      (as in `imc.devices.sram`). ``w_in_m`` x ``l_in_m`` = 0.6 um x 0.3 um = 0.18 um^2 gives
      sigma_os = 10 mV, the same engineering assumption as the DRAM sense amplifier in
      `imc.devices.dram` (an input pair upsized above minimum for matching).
    * Energy per decision: every internal node of the latch is precharged to V_DD in reset and
      discharged while it regenerates (Razavi, "The StrongARM latch", IEEE Solid-State Circuits
      Magazine 7(2), 2015), so the supply delivers C_sw V_DD^2 per decision with C_sw the
      switched capacitance of those nodes. ``c_switched_f`` = 12 fF: engineering estimate, four
      nodes of about 3 fF each, the gate capacitance of a 0.18 um^2 device at the 65 nm oxide
      (1.85 nm, PTM 65 nm card) plus junctions and wiring. ``vdd_v`` = 1.1 V: PTM 65 nm supply.
    * Latency: the latch amplifies an initial imbalance dV as dV exp(t / tau) (Razavi 2015), so
      an input of ``v_resolve_v`` reaches V_DD / 2 after tau ln(V_DD / (2 v_resolve)).
      ``tau_regen_s`` = 15 ps: engineering estimate, tau = C / g_m with about 5 fF per output
      node and g_m about 0.33 mS. ``v_resolve_v`` = 1 mV: the smallest input the timing is
      designed for; smaller inputs still decide (metastability is not modelled). The input
      amplification of the integration phase is left out, which overestimates the latency.
    * ``area_m2`` = 5 um^2: engineering estimate for the eleven transistors of a StrongARM
      latch with the upsized input pair and routing in 65 nm.
    """

    vdd_v: float = 1.1
    a_vt_v_m: float = 3.0e-9
    w_in_m: float = 0.6e-6
    l_in_m: float = 0.3e-6
    c_switched_f: float = 12e-15
    tau_regen_s: float = 15e-12
    v_resolve_v: float = 1e-3
    area_m2: float = 5e-12

    def __post_init__(self) -> None:
        plausible(self)
        for name in ("vdd_v", "w_in_m", "l_in_m", "c_switched_f", "tau_regen_s", "v_resolve_v", "area_m2"):
            positive(name, getattr(self, name))
        non_negative("a_vt_v_m", self.a_vt_v_m)
        require("v_resolve_v", self.v_resolve_v, self.v_resolve_v < self.vdd_v / 2,
                f"must be below vdd_v / 2 = {self.vdd_v / 2} V")

    @property
    def sigma_offset_v(self) -> float:
        """Std of the input-referred offset (V): sqrt(2) A_VT / sqrt(W L) (Pelgrom 1989)."""
        return math.sqrt(2.0) * self.a_vt_v_m / math.sqrt(self.w_in_m * self.l_in_m)

    @property
    def energy_per_decision_j(self) -> float:
        """C_sw V_DD^2 (J)."""
        return self.c_switched_f * self.vdd_v ** 2

    @property
    def latency_s(self) -> float:
        """Regeneration time of an input of v_resolve_v (s): tau ln(V_DD / (2 v_resolve))."""
        return self.tau_regen_s * math.log(self.vdd_v / (2.0 * self.v_resolve_v))

    def sample_instance(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Static input-referred offsets (V) of ``n`` sense amplifiers of one chip, shape (n,)."""
        int_in_range("n", n, 1)
        return _normal(rng, n, self.sigma_offset_v)

    def decide(self, v_signal, v_ref, offsets_v: np.ndarray) -> np.ndarray:
        """Decisions (uint8, 1 where v_signal > v_ref + offset) of the sense amplifiers.

        v_signal: (..., n) input voltages (V), amplifier j on the last axis; v_ref: reference
        (V), broadcastable to v_signal; offsets_v: (n,) from `sample_instance`. An input exactly
        at the threshold decides 0.
        """
        v_signal = np.asarray(v_signal, dtype=np.float64)
        offsets_v = np.asarray(offsets_v, dtype=np.float64)
        if v_signal.ndim == 0 or offsets_v.shape != (v_signal.shape[-1],):
            raise ParameterError("v_signal", v_signal.shape,
                                 f"last axis must equal the number of sense amplifiers {offsets_v.shape}")
        return (v_signal > np.asarray(v_ref, dtype=np.float64) + offsets_v).astype(np.uint8)

    def array_cost(self, cols: int) -> PeripheryCost:
        """One sense amplifier per column, all deciding in parallel."""
        int_in_range("cols", cols, 1)
        return PeripheryCost(cols * self.energy_per_decision_j, self.latency_s, cols * self.area_m2)


@dataclass(frozen=True)
class ADCInstance:
    """Static per-chip realisation of ``n_adcs`` column ADCs.

    * ``offset_lsb``: (n_adcs,) input-referred offset (LSB), added to the input;
    * ``gain_rel``: (n_adcs,) relative gain error g, the input is scaled by 1 + g;
    * ``thresholds_lsb``: (n_adcs, 2^bits - 1) decision thresholds (LSB), ascending; None for
      the ideal converter's k - 1/2, k = 1..2^bits - 1 (no INL or DNL), which converts in
      closed form without a table.
    """

    offset_lsb: np.ndarray
    gain_rel: np.ndarray
    thresholds_lsb: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("offset_lsb", "gain_rel") + (("thresholds_lsb",) if self.thresholds_lsb is not None else ()):
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), dtype=np.float64))
        n = self.offset_lsb.shape[0] if self.offset_lsb.ndim == 1 else -1
        require("offset_lsb", self.offset_lsb.shape, self.offset_lsb.ndim == 1 and n >= 1,
                "must be a non-empty 1-D array (one offset per ADC)")
        require("gain_rel", self.gain_rel.shape, self.gain_rel.shape == (n,), f"must have shape ({n},)")
        require("gain_rel", float(np.min(self.gain_rel)), bool(np.all(self.gain_rel > -1.0)),
                "must be > -1 (a positive gain 1 + g)")
        if self.thresholds_lsb is None:
            return
        require("thresholds_lsb", self.thresholds_lsb.shape,
                self.thresholds_lsb.ndim == 2 and self.thresholds_lsb.shape[0] == n,
                f"must have shape ({n}, 2^bits - 1)")
        require("thresholds_lsb", "not ascending", bool(np.all(np.diff(self.thresholds_lsb, axis=1) >= 0)),
                "each ADC's thresholds must be ascending")

    @property
    def n_adcs(self) -> int:
        return self.offset_lsb.shape[0]


@dataclass(frozen=True, eq=False)
class ColumnConversion:
    """What every column's converter does, per chip: the arrays a sensing kernel reads.

    ``inv_lsb``: (chips, cols) 1 / effective LSB (1 / input unit), (1 + gain error) / LSB;
    ``offset_lsb``: (chips, cols) input-referred offset (LSB);
    ``thresholds_lsb``: (chips, cols, 2^bits - 1) decision thresholds (LSB), or a last axis of
    length 0 when every converter has the ideal thresholds k - 1/2 (closed form);
    ``lookup``: (chips, cols, 2^bits, 4) their `_kernels_converters.threshold_lookup` (32 bytes a bin:
    8 kB per 8-bit column, four times its thresholds; (chips, cols, 1, 4), unused, without them);
    ``zero_code``: the code of a zero input, 0 for unipolar converters over [0, full scale], 2^(bits-1)
    for bipolar ones over [-full scale, +full scale] (`ColumnADC.column_conversion`).
    """

    inv_lsb: np.ndarray
    offset_lsb: np.ndarray
    thresholds_lsb: np.ndarray
    lookup: np.ndarray
    zero_code: int = 0

    def _tables(self) -> tuple[np.ndarray, ...]:
        return self.inv_lsb, self.offset_lsb, self.thresholds_lsb, self.lookup

    def columns(self, columns: slice) -> "ColumnConversion":
        """The conversion of some of the columns (contiguous copies)."""
        tables = (np.ascontiguousarray(table[:, columns]) for table in self._tables())
        return ColumnConversion(*tables, self.zero_code)

    def chip(self, index: int) -> "ColumnConversion":
        """The conversion of one chip, as a one-chip table (views)."""
        return ColumnConversion(*(table[index:index + 1] for table in self._tables()), self.zero_code)


@dataclass(frozen=True, eq=False)
class ColumnGroups:
    """How the columns of one read decode into a tile's outputs, ``n_out`` of them.

    Group g holds columns starts[g] .. stops[g] - 1 (int64 (G,)); when reference_gains[g] != 0 the
    last of them is a reference column. Its k-th data column adds gains[g] count + reference_gains[g]
    count_ref + column_offset (int32, one per column) to output k: z = gain * count + offset +
    reference_gain * count_ref (`imc.mapping.encodings.CountDecoding`) for each group, so that the
    slices of sliced weights and the parts of differential pairs read in one GEMM and one kernel call.
    """

    starts: np.ndarray
    stops: np.ndarray
    gains: np.ndarray
    reference_gains: np.ndarray
    column_offset: np.ndarray
    n_out: int = field(init=False)  # outputs every group decodes
    columns: int = field(init=False)  # columns of the read

    def __post_init__(self) -> None:
        outputs = self.stops - self.starts - (self.reference_gains != 0)
        require("groups", outputs.tolist(), outputs.size >= 1 and np.all(outputs == outputs[0]) and outputs[0] >= 1,
                "every column group must decode the same outputs (at least one)")
        object.__setattr__(self, "n_out", int(outputs[0]))
        object.__setattr__(self, "columns", int(self.stops[-1]))

    @classmethod
    def of(cls, groups) -> "ColumnGroups":
        """From (columns slice, gain, column_offset (n_out,), reference_gain) per group, in column order."""
        starts, stops, gains, reference_gains, offsets = [], [], [], [], []
        for columns, gain, column_offset, reference_gain in groups:
            starts.append(columns.start)
            stops.append(columns.stop)
            gains.append(gain)
            reference_gains.append(reference_gain)
            offsets.append(np.asarray(column_offset, np.int32))
            if reference_gain:
                offsets.append(np.zeros(1, np.int32))
        return cls(np.asarray(starts, np.int64), np.asarray(stops, np.int64), np.asarray(gains, np.float64),
                   np.asarray(reference_gains, np.float64), np.concatenate(offsets))

    @classmethod
    def single(cls, cols: int, gain: int = 1, column_offset: np.ndarray | None = None,
               reference_gain: int = 0) -> "ColumnGroups":
        """One group of ``cols`` columns (the last a reference when ``reference_gain`` != 0)."""
        n_out = cols - (reference_gain != 0)
        offset = np.zeros(n_out, np.int32) if column_offset is None else column_offset
        return cls.of([(slice(0, cols), gain, offset, reference_gain)])

    def apply(self, counts: np.ndarray) -> np.ndarray:
        """Whole counts (..., columns) -> int64 decoded partial sums (..., n_out), every group added."""
        counts = np.asarray(counts, dtype=np.int64)
        z = np.zeros((*counts.shape[:-1], self.n_out), dtype=np.int64)
        for first, stop, gain, reference_gain in zip(self.starts, self.stops, self.gains, self.reference_gains):
            data = slice(first, first + self.n_out)
            z += int(gain) * counts[..., data] + self.column_offset[data]
            if reference_gain:
                z += int(reference_gain) * counts[..., stop - 1:stop]
        return z


@dataclass(frozen=True)
class ColumnADC:
    """Column ADC: ``bits`` of resolution over [0, full scale], SAR or flash, shared by
    ``columns_per_adc`` columns through an analog mux.

    Transfer (IEEE Std 1241-2010 terms): an input x is scaled to u = x (1 + g) / LSB + offset
    with LSB = full_scale / (2^bits - 1); the code is the number of decision thresholds T_k
    (k = 1..2^bits - 1) at or below u. Ideal thresholds T_k = k - 1/2 give
    code = clip(floor(x / LSB + 1/2), 0, 2^bits - 1): round to the nearest level, and
    **saturation at both rails** -- inputs below the first threshold read 0, inputs above the
    last read 2^bits - 1, as a real converter does. Non-idealities, static per chip:

    * ``sigma_offset_lsb``: std of the per-ADC input-referred offset (LSB);
    * ``sigma_gain_rel``: std of the per-ADC relative gain error g (at most 0.1);
    * ``inl_lsb``: peak of a smooth bow-shaped INL shared by all ADCs (a systematic error,
      e.g. capacitor-array gradients): T_k moves by inl_lsb * 4 t (1 - t),
      t = (k - 1/2) / (2^bits - 1), zero at the ends and inl_lsb at mid-scale (positive
      raises the thresholds, i.e. reads low);
    * ``sigma_dnl_lsb``: std of a random per-ADC, per-code threshold deviation (LSB).
      Thresholds are kept sorted: one pushed past its neighbour is a missing code.
      Uniformly spread inputs then see a quantisation MSE of LSB^2 (1/12 + sigma_dnl^2).

    The defaults are an ideal converter (all non-idealities 0); set them per design.

    Full scale: ``full_scale`` fixed in the converter's input unit, or None to pass the
    value of `calibrate` (or any other) to `convert`.

    Energy per conversion. SAR: the three-term trend of the energy plot of Murmann's "ADC
    Performance Survey 1997-2024" (github.com/bmurmann/ADC-survey, ``plots/energy_plot.ipynb``:
    a constant floor at low resolution and a thermal-noise 4^ENOB asymptote at high), with the
    Walden per-level term between them that medium-resolution SARs follow (their binary
    capacitor DAC switches 2^ENOB unit capacitors):

        E(ENOB) = e_fixed + c_W 2^ENOB + k_th 4^ENOB,   ENOB = bits,

    * ``e_fixed_j`` = 0.307 pJ: the resolution-independent part (comparator clocking, SAR logic,
      reference) per conversion, the survey's horizontal asymptote as its energy notebook defines
      it (``p_fs_min``, the mean of the three lowest P/f_snyq) over the survey's converters as
      packaged in the Accelergy ADC plug-in (github.com/Accelergy-Project/accelergy-adc-plug-in,
      ``adc_data/adc_list.csv``: the 215 converters of Murmann's survey with a reported area,
      refreshed 2021-11-16): 0.19 pJ (65 nm, 200 kS/s, 56.4 dB), 0.312 pJ (90 nm, 600 kS/s,
      58.7 dB) and 0.42 pJ (40 nm, 200 kS/s, 55.6 dB). A floor moves energy from the 2^ENOB term
      to the constant one and leaves the fit point unchanged: 8 bits cost 1.24 pJ instead of
      Walden's 1.10 pJ, 6 bits 0.54 pJ instead of 0.28 pJ, and E -> e_fixed + c_W at ENOB -> 0.
    * ``fom_schreier_db`` = 185 dB: the Schreier figure of merit FOM_S = SNDR + 10 log10(f_s /
      2 / P) of the survey's best converters (its FOM_S,hf envelope). With SNDR = 6.02 ENOB +
      1.76 dB and E = P / f_s, E = 10^((1.76 - FOM_S) / 10) / 2 * 4^ENOB, so k_th =
      10^((1.76 - FOM_S) / 10) / 2 = 2.4e-19 J (0.016 pJ at 8 bits, 64 pJ at 14).
    * ``fom_j_per_step`` = 4.4 fJ/conversion-step at ``fom_enob`` = 8.75: the Walden FOM
      FOM = P / (2^ENOB f_s) (Walden, "Analog-to-digital converter survey and analysis", IEEE
      JSAC 17(4), 1999) and measured ENOB of the 65 nm SAR of van Elzakker et al., "A 10-bit
      charge-redistribution ADC consuming 1.9 uW at 1 MS/s", IEEE JSSC 45(5), 2010 (1.9 pJ per
      conversion), long the best Walden FOM in the survey. c_W is fitted through that point,
      c_W = FOM - (e_fixed + k_th 4^ENOB0) / 2^ENOB0, so the model reduces to Walden's
      FOM 2^ENOB0 at ENOB0 = ``fom_enob``; it must stay > 0.

    Supply. The floor and the Walden term are the C V^2 switching of the converter's capacitive DAC,
    comparator and logic (dynamic CMOS energy: Rabaey, Chandrakasan & Nikolic, Digital Integrated
    Circuits, 2nd ed., 2003, Sec. 5.4), so they scale as (``vdd_v`` / ``fom_vdd_v``)^2 from the supply
    the fit point was measured at, ``fom_vdd_v`` = 1.0 V (the 1 V supply of van Elzakker et al.'s
    converter); the thermal term does not: at a fixed SNR the sampling capacitance falls as the swing
    squared, C V^2 constant (Murmann's survey asymptote is supply-free). ``vdd_v`` = 1.0 V by default,
    the fit point's. (Jia et al., IEEE JSSC 55(9), 2020, Table I measure 1.79 and 3.56 pJ per
    conversion at 0.85 and 1.2 V: a ratio of 1.99 = (1.2 / 0.85)^2.)

    The ENOB is the quantisation-limited one, ENOB = bits (an ideal quantiser's SQNR is 6.02
    bits + 1.76 dB, from its LSB^2/12 noise: Bennett, "Spectra of quantized signals", Bell Syst.
    Tech. J. 27, 1948). Flash: 2^bits - 1 comparators decide at once (Razavi, Principles of
    Data Conversion System Design, IEEE Press 1995, ch. on flash converters), E = (2^bits - 1)
    E_comparator with ``comparator`` a `SenseAmp`; the reference ladder and the thermometer
    encoder are left out (a lower bound).

    Latency. SAR: one sampling cycle plus one comparator cycle per bit (McCreary & Gray,
    "All-MOS charge redistribution analog-to-digital conversion techniques -- Part I", IEEE
    JSSC 10(6), 1975), t_conv = (bits + 1) / f_clk. Flash: t_conv = 1 / f_clk. An ADC shared by
    ``columns_per_adc`` columns converts them one after the other: t_array = min(cols,
    columns_per_adc) * t_conv, with ceil(cols / columns_per_adc) ADCs. ``f_clk_hz`` = 450 MHz:
    an 8-bit SAR then converts at 50 MS/s, below the ~100 MS/s corner under which SAR energy
    per conversion is roughly rate-independent in Murmann's survey (engineering choice).

    Area. SAR: area_per_level * 2^bits * (node_m / area_node_m)^0.797, the binary-weighted
    capacitor DAC of 2^bits unit capacitors dominating (McCreary & Gray 1975; the same 2^bits
    scaling as Accelergy's ISAAC ADC model). ``area_per_level_m2`` = 1200 um^2 / 256 at
    ``area_node_m`` = 32 nm: the 8-bit, 1.2 GS/s SAR ADC of Kull et al. (ISSCC 2013, 32 nm SOI)
    that ISAAC budgets at 9600 um^2 for 8 ADCs (Shafiee et al., "ISAAC: a convolutional neural
    network accelerator with in-situ analog arithmetic in crossbars", ISCA 2016). The node
    exponent ``ADC_AREA_NODE_EXPONENT`` = 0.797 is the technology coefficient of the Accelergy ADC
    plug-in's regression of log area on log node, log rate, bits and log energy over the survey's
    converters (``adc_data/model.yaml``): at a given energy and rate the converters' area falls as
    node^0.8, not node^2 -- the capacitor DAC, sized by matching and kT/C, does not shrink with
    the logic. ``node_m`` = 65 nm: the converter's own node (imc's default, that of the energy
    fit point); 8 bits then take 2110 um^2. Flash: (2^bits - 1) comparator areas.

    Standby power (`leakage_power_w`): half the converter's transistor width off in any state
    (one of the two networks of a CMOS gate is off, Weste & Harris, CMOS VLSI Design, 4th ed.,
    sec. 5.3) at the off current per width of its process (the array's periphery, `imc.arrays.
    drivers.off_current_per_width_a_m`), P = W / 2 I_off V_DD. SAR: the transistor count of
    DNN+NeuroSim's SAR ADC (SarADC.cpp, CalculateUnitArea: 269 + 109 (bits - 1) nMOS and 209 +
    73 (bits - 1) pMOS of minimum size; Peng et al., IEDM 2019) at the unit inverter's 2 L nMOS and
    4 L pMOS widths (Weste & Harris sec. 4.2), L = ``node_m``: comparator, SAR logic and DAC
    switches. Flash: 2^bits - 1 StrongARM comparators of 11 transistors at the unit inverter's mean
    3 L (engineering assumption; encoder and ladder left out). 8-bit SAR at 65 nm and 1 V: 15 nW.
    """

    bits: int = 8
    architecture: str = "sar"
    full_scale: float | None = None
    sigma_offset_lsb: float = 0.0
    sigma_gain_rel: float = 0.0
    inl_lsb: float = 0.0
    sigma_dnl_lsb: float = 0.0
    columns_per_adc: int = 1
    fom_j_per_step: float = 4.4e-15
    fom_enob: float = 8.75
    fom_schreier_db: float = 185.0
    e_fixed_j: float = 0.307e-12
    vdd_v: float = 1.0
    fom_vdd_v: float = 1.0
    f_clk_hz: float = 450e6
    area_per_level_m2: float = 1200e-12 / 256
    area_node_m: float = 32e-9
    node_m: float = 65e-9
    comparator: SenseAmp = field(default_factory=SenseAmp)

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("bits", self.bits, 1, 16)
        require("architecture", self.architecture, self.architecture in ARCHITECTURES,
                f"allowed: {list(ARCHITECTURES)}")
        if self.full_scale is not None:
            positive("full_scale", self.full_scale)
        non_negative("sigma_offset_lsb", self.sigma_offset_lsb)
        non_negative("sigma_dnl_lsb", self.sigma_dnl_lsb)
        non_negative("sigma_gain_rel", self.sigma_gain_rel)
        require("sigma_gain_rel", self.sigma_gain_rel, self.sigma_gain_rel <= MAX_SIGMA_GAIN_REL,
                f"must be <= {MAX_SIGMA_GAIN_REL} (a larger spread could draw a non-positive gain)")
        _finite_real("inl_lsb", self.inl_lsb)
        int_in_range("columns_per_adc", self.columns_per_adc, 1)
        for name in ("fom_j_per_step", "f_clk_hz", "area_per_level_m2"):
            positive(name, getattr(self, name))
        in_range("fom_enob", self.fom_enob, 1.0, 16.0, "the ENOB of a measured converter")
        in_range("fom_schreier_db", self.fom_schreier_db, 120.0, 200.0,
                 "published Schreier FOMs are 120-190 dB")
        non_negative("e_fixed_j", self.e_fixed_j)
        positive("vdd_v", self.vdd_v)
        positive("fom_vdd_v", self.fom_vdd_v)
        for name in ("area_node_m", "node_m"):
            in_range(name, getattr(self, name), 2e-9, 10e-6, "CMOS process nodes are 2 nm to 10 um")
        require("e_fixed_j", self.e_fixed_j, self.walden_coefficient_j > 0,
                f"e_fixed_j + k_th 4^fom_enob must stay below fom_j_per_step 2^fom_enob = "
                f"{self.fom_j_per_step * 2.0 ** self.fom_enob:g} J (the energy of the fit point)")
        require("comparator", type(self.comparator).__name__, isinstance(self.comparator, SenseAmp),
                "must be a SenseAmp")

    def ignored_fields(self) -> dict[str, str]:
        """Fields without effect in this design (field -> why), which a loaded config warns about."""
        if self.architecture == "sar":
            return {"comparator": "only a flash ADC is costed by its comparators"}
        return dict.fromkeys(("fom_j_per_step", "fom_enob", "fom_schreier_db", "e_fixed_j", "vdd_v", "fom_vdd_v",
                              "area_per_level_m2", "area_node_m"), "a flash ADC is costed by its comparators")

    @property
    def levels(self) -> int:
        return 2 ** self.bits

    @property
    def top_code(self) -> int:
        """Largest code, 2^bits - 1 (also the number of decision thresholds)."""
        return self.levels - 1

    def lsb(self, full_scale: float | None = None) -> float:
        """Input step of one code: full_scale / (2^bits - 1)."""
        return self._full_scale(full_scale) / self.top_code

    def ideal_thresholds_lsb(self) -> np.ndarray:
        """Decision thresholds k - 1/2 (LSB), k = 1..2^bits - 1."""
        return np.arange(1, self.levels) - 0.5

    def thresholds_table(self, instance: ADCInstance) -> np.ndarray:
        """(n_adcs, 2^bits - 1) decision thresholds (LSB) of an instance, the ideal ones tiled when
        it has no table."""
        if instance.thresholds_lsb is not None:
            return instance.thresholds_lsb
        return np.tile(self.ideal_thresholds_lsb(), (instance.n_adcs, 1))

    def inl_at_thresholds_lsb(self) -> np.ndarray:
        """Bow-shaped INL at each threshold (LSB), shape (2^bits - 1,)."""
        t = (np.arange(1, self.levels) - 0.5) / self.top_code
        return self.inl_lsb * 4.0 * t * (1.0 - t)

    def nominal(self) -> "ColumnADC":
        """The same converter without random offset, gain or DNL (its systematic INL stays):
        what every chip gets when process variation is off."""
        return replace(self, sigma_offset_lsb=0.0, sigma_gain_rel=0.0, sigma_dnl_lsb=0.0)

    def sample_instance(self, n_adcs: int, rng: np.random.Generator) -> ADCInstance:
        """Static offsets, gains and thresholds of ``n_adcs`` ADCs of one chip: the offsets and gains from
        ``rng``; the 2^bits - 1 DNL draws of each ADC from the counter-based generator
        (`imc.devices._kernels_random`) under one key drawn from ``rng`` (~1 ns a draw against NumPy's ~10).
        A zero sigma draws nothing."""
        int_in_range("n_adcs", n_adcs, 1)
        offset = _normal(rng, n_adcs, self.sigma_offset_lsb)
        gain = _normal(rng, n_adcs, self.sigma_gain_rel)
        if self.inl_lsb == 0 and self.sigma_dnl_lsb == 0:
            return ADCInstance(offset_lsb=offset, gain_rel=gain)
        bow = self.ideal_thresholds_lsb() + self.inl_at_thresholds_lsb()
        if self.sigma_dnl_lsb == 0:
            return ADCInstance(offset_lsb=offset, gain_rel=gain, thresholds_lsb=np.tile(bow, (n_adcs, 1)))
        thresholds = standard_normal(draw_key(rng), (n_adcs, self.top_code), np.float64)
        thresholds *= self.sigma_dnl_lsb  # in place: one table of 2^bits - 1 per ADC
        thresholds += bow
        kernels.sort_rows(thresholds)
        return ADCInstance(offset_lsb=offset, gain_rel=gain, thresholds_lsb=thresholds)

    def convert(self, x, instance: ADCInstance, full_scale: float | None = None,
                adc_index: np.ndarray | None = None) -> np.ndarray:
        """Codes (int32, 0..2^bits - 1, same shape as x) of column values ``x`` (..., cols).

        Column j goes through ADC ``adc_index[j]`` of ``instance``; by default
        j // columns_per_adc. ``full_scale`` (input unit) defaults to the fixed one.
        """
        full_scale = self._full_scale(full_scale)
        x = np.asarray(x)
        if x.dtype not in (np.float32, np.float64):
            x = x.astype(np.float64)
        require("x", x.shape, x.ndim >= 1 and x.shape[-1] >= 1, "must have a last (column) axis of length >= 1")
        cols = x.shape[-1]
        adc_of_col = self._adc_of_columns(cols, instance.n_adcs, adc_index)
        flat = np.ascontiguousarray(x.reshape(-1, cols))
        codes = np.empty(flat.shape, dtype=np.int32)
        lsb_eff = (full_scale / self.top_code) / (1.0 + instance.gain_rel)
        if instance.thresholds_lsb is None:
            not_finite = kernels.convert_codes_uniform(flat, adc_of_col, lsb_eff, instance.offset_lsb,
                                                       self.top_code, codes)
        else:
            require("instance", instance.thresholds_lsb.shape, instance.thresholds_lsb.shape[1] == self.top_code,
                    f"must hold {self.top_code} thresholds per ADC for {self.bits} bits")
            not_finite = kernels.convert_codes(flat, adc_of_col, lsb_eff, instance.offset_lsb, instance.thresholds_lsb,
                                               kernels.threshold_lookup(instance.thresholds_lsb), codes)
        require("x", f"{not_finite} NaN/inf values", not_finite == 0, "column values must be finite")
        return codes.reshape(x.shape)

    def decode(self, codes, full_scale: float | None = None) -> np.ndarray:
        """Column values (input unit, float64) the digital side reads from ``codes``: code * LSB."""
        return np.asarray(codes, dtype=np.float64) * self.lsb(full_scale)

    def calibrate(self, samples, coverage: float = 0.999) -> float:
        """Full scale from observed column values: their ``coverage`` quantile.

        The smallest observed value that at least a fraction ``coverage`` of the samples do
        not exceed (inverted-CDF quantile), so that fraction converts without saturating.
        It beats the worst-case range (the largest value a column can reach, e.g. rows x the
        largest cell response) when the column values concentrate well below it -- many rows,
        sparse inputs or weights, sums that grow like sqrt(rows) around their mean -- because
        the LSB shrinks by worst / quantile, log2(worst / quantile) bits, while only
        1 - coverage of the values saturate. It loses when values spread over the whole
        range or when exact integer outputs are required (then full_scale = the largest count
        with 2^bits - 1 >= that count).
        """
        samples = np.asarray(samples, dtype=np.float64)
        require("samples", samples.shape, samples.size > 0, "must hold at least one value")
        require("samples", "NaN/inf", bool(np.all(np.isfinite(samples))), "must be finite")
        require("coverage", coverage, isinstance(coverage, Real) and 0.0 < coverage <= 1.0,
                "must be in (0, 1]")
        full_scale = float(np.quantile(samples, coverage, method="inverted_cdf"))
        require("samples", full_scale, full_scale > 0,
                f"the {coverage} quantile must be > 0 to set a full scale")
        return full_scale

    @property
    def enob(self) -> float:
        """Quantisation-limited effective number of bits: equal to ``bits``."""
        return float(self.bits)

    @property
    def thermal_coefficient_j(self) -> float:
        """k_th = 10^((1.76 - FOM_S) / 10) / 2 (J), the 4^ENOB coefficient of ``fom_schreier_db``."""
        return 0.5 * 10.0 ** ((1.76 - self.fom_schreier_db) / 10.0)

    @property
    def walden_coefficient_j(self) -> float:
        """c_W = FOM - (e_fixed + k_th 4^ENOB0) / 2^ENOB0 (J), the 2^ENOB coefficient through the fit point."""
        enob0 = self.fom_enob
        return self.fom_j_per_step - (self.e_fixed_j + self.thermal_coefficient_j * 4.0 ** enob0) / 2.0 ** enob0

    def sar_energy_j(self, enob: float) -> float:
        """(e_fixed + c_W 2^ENOB) (vdd_v / fom_vdd_v)^2 + k_th 4^ENOB (J): the SAR energy per conversion at
        ``enob`` and the converter's supply."""
        switching = (self.e_fixed_j + self.walden_coefficient_j * 2.0 ** enob) * (self.vdd_v / self.fom_vdd_v) ** 2
        return switching + self.thermal_coefficient_j * 4.0 ** enob

    @property
    def energy_per_conversion_j(self) -> float:
        """SAR: `sar_energy_j` at ENOB = bits; flash: (2^bits - 1) comparator decisions (J)."""
        if self.architecture == "sar":
            return self.sar_energy_j(self.enob)
        return self.top_code * self.comparator.energy_per_decision_j

    @property
    def conversion_time_s(self) -> float:
        """SAR: (bits + 1) / f_clk; flash: 1 / f_clk (s)."""
        cycles = self.bits + 1 if self.architecture == "sar" else 1
        return cycles / self.f_clk_hz

    @property
    def area_per_adc_m2(self) -> float:
        """SAR: area_per_level * 2^bits * (node_m / area_node_m)^0.797; flash: (2^bits - 1) comparators (m^2)."""
        if self.architecture == "sar":
            return self.area_per_level_m2 * self.levels * (self.node_m / self.area_node_m) ** ADC_AREA_NODE_EXPONENT
        return self.top_code * self.comparator.area_m2

    @property
    def transistor_width_m(self) -> float:
        """Total gate width of one converter's transistors (m), L = node_m. SAR: (269 + 109 (bits - 1)) x 2 L
        nMOS plus (209 + 73 (bits - 1)) x 4 L pMOS; flash: (2^bits - 1) x 11 x 3 L."""
        if self.architecture == "sar":
            nmos, pmos = SAR_TRANSISTORS["nmos"], SAR_TRANSISTORS["pmos"]
            return (2 * (nmos[0] + nmos[1] * (self.bits - 1)) + 4 * (pmos[0] + pmos[1] * (self.bits - 1))) * self.node_m
        return self.top_code * STRONGARM_TRANSISTORS * 3 * self.node_m

    def leakage_power_w(self, i_off_a_per_m: float) -> float:
        """Standby power of one converter (W) at an off current of ``i_off_a_per_m`` per metre of width:
        transistor_width / 2 x I_off x V_DD (a SAR's ``vdd_v``, a flash converter's comparator supply)."""
        non_negative("i_off_a_per_m", i_off_a_per_m)
        supply_v = self.vdd_v if self.architecture == "sar" else self.comparator.vdd_v
        return self.transistor_width_m / 2 * i_off_a_per_m * supply_v

    def array_leakage_power_w(self, cols: int, i_off_a_per_m: float) -> float:
        """Standby power of the converters of ``cols`` columns (W): n_adcs(cols) `leakage_power_w`."""
        return self.n_adcs(cols) * self.leakage_power_w(i_off_a_per_m)

    def n_adcs(self, cols: int) -> int:
        """ADCs an array of ``cols`` columns needs: ceil(cols / columns_per_adc)."""
        int_in_range("cols", cols, 1)
        return -(-cols // self.columns_per_adc)

    def array_conversion_time_s(self, cols: int) -> float:
        """Time to convert all ``cols`` columns (s): min(cols, columns_per_adc) * t_conv."""
        int_in_range("cols", cols, 1)
        return min(cols, self.columns_per_adc) * self.conversion_time_s

    def array_cost(self, cols: int) -> PeripheryCost:
        """One conversion per column; the array's ADCs, shared through the mux."""
        return PeripheryCost(cols * self.energy_per_conversion_j, self.array_conversion_time_s(cols),
                             self.n_adcs(cols) * self.area_per_adc_m2)

    def _full_scale(self, full_scale: float | None) -> float:
        if full_scale is None:
            require("full_scale", None, self.full_scale is not None,
                    "set ColumnADC.full_scale or pass one (e.g. from calibrate())")
            return self.full_scale
        positive("full_scale", full_scale)
        return float(full_scale)

    def zero_code(self, bipolar: bool) -> int:
        """Code of a zero input: 0 (unipolar), or mid-scale 2^(bits-1) for a bipolar converter."""
        return self.levels // 2 if bipolar else 0

    def column_conversion(self, instances: list[ADCInstance], cols: int, full_scale: float | None = None,
                          bipolar: bool = False) -> ColumnConversion:
        """Per-column conversion table of ``cols`` columns on each chip's ADC ``instances`` (column j
        through ADC j // columns_per_adc), for inputs in the unit of ``full_scale`` (one value, or one
        per column: each column's converter referenced to its own range).

        ``bipolar``: a differential-input converter of signed inputs, the input shifted by its zero code
        Z = 2^(bits-1) (`zero_code`) with LSB = full scale / (2^bits - 1 - Z): codes 0..2^bits - 1 read
        (code - Z) LSB, so zero is a code, +full scale the top one and -full scale - 1 LSB the bottom one --
        offset-binary bipolar coding, zero at 10...0 (Kester (ed.), Data Conversion Handbook, Analog
        Devices / Newnes 2005, Sec. 2.1, bipolar codes: -FS at 00...0, +FS - 1 LSB at 11...1), its range
        set by the largest positive input rather than by the negative rail. Bits >= 2.
        """
        require("instances", len(instances), len(instances) >= 1, "must hold one ADC instance per chip")
        require("bits", self.bits, not bipolar or self.bits >= 2, "a bipolar converter needs at least 2 bits")
        for instance in instances:
            adc_of_col = self._adc_of_columns(cols, instance.n_adcs, None)
        zero = self.zero_code(bipolar)
        if np.ndim(full_scale):  # one full scale per column
            require("full_scale", full_scale, np.shape(full_scale) == (cols,) and bool(np.all(np.asarray(full_scale) > 0)),
                    f"per-column full scales must be {cols} positive values")
            lsb = np.asarray(full_scale, dtype=np.float64) / (self.top_code - zero)
        else:
            lsb = self.lsb(full_scale) * self.top_code / (self.top_code - zero)
        inv_lsb = np.stack([(1.0 + instance.gain_rel[adc_of_col]) / lsb for instance in instances])
        offsets = np.stack([instance.offset_lsb[adc_of_col] for instance in instances])
        if all(instance.thresholds_lsb is None for instance in instances):
            thresholds = np.zeros((*offsets.shape, 0))
        else:
            thresholds = np.empty((len(instances), cols, self.top_code))  # filled in place: one copy
            for chip, instance in enumerate(instances):
                np.take(self.thresholds_table(instance), adc_of_col, axis=0, out=thresholds[chip])
        return ColumnConversion(inv_lsb, offsets, thresholds, kernels.threshold_lookup(thresholds), zero)

    def accumulate(self, signal: np.ndarray, column_base: np.ndarray | None, unit: float,
                   full_scale_count: int | np.ndarray, conversion: ColumnConversion, out: np.ndarray,
                   out_start: int = 0, groups: "ColumnGroups | None" = None,
                   significance: int | tuple[int, ...] = 1, v_pre_v: float = 0.0, v_knee_v: float = -np.inf) -> None:
        """Convert column signals of several chips, decode and add them to ``out``: the engines' hot path.

        signal: (chips, cycles x m, c) column values of ``cycles`` = len(significance) stacked array
        cycles (cycle p in rows p m .. (p + 1) m - 1, worth significance[p]; one cycle for a single
        significance) plus column_base (chips, c) (None: 0), each worth ``unit`` of the converter's
        input (e.g. V per nominal cell); with a finite ``v_knee_v``
        the input is a bit line precharged to ``v_pre_v`` whose drop saturates below the knee
        (`imc.devices._kernels.discharge_v`), else it is linear. conversion: the chips'
        `column_conversion` in that input unit; codes are rescaled to counts by
        full_scale_count / (2^bits - 1 - zero code) (one full scale, or one per column (c,)) from the
        conversion's zero code. ``groups``
        (`ColumnGroups`; None: every column an output of gain 1) decode the counts, times
        each cycle's significance (an input plane's), into out[..., out_start + j] (out: C-contiguous int32
        (chips, m, >= out_start + outputs)), the cycles' terms summed per output before one addition. One
        fused kernel, `_kernels_sensing.sense_accumulate`.
        """
        chips, stacked, cols = signal.shape
        signal = np.ascontiguousarray(signal)
        significances = np.atleast_1d(np.asarray(significance, dtype=np.float64))
        rows = stacked // significances.size
        require("signal", signal.shape, rows * significances.size == stacked,
                f"must stack {significances.size} cycles of equal rows (one per significance)")
        groups = ColumnGroups.single(cols) if groups is None else groups
        require("groups", groups.columns, groups.columns == cols, f"must decode the {cols} columns of the signal")
        require("out", out.shape, out.flags.c_contiguous and out.dtype == np.int32
                and out.shape[:2] == (chips, rows) and out.shape[2] >= out_start + groups.n_out,
                f"must be C-contiguous int32 ({chips}, {rows}, >= {out_start} + {groups.n_out})")
        require("conversion", conversion.inv_lsb.shape, conversion.inv_lsb.shape == (chips, cols),
                f"must cover {chips} chips x {cols} columns")
        column_base = np.zeros((chips, cols)) if column_base is None else column_base
        counts_per_code = np.asarray(full_scale_count, np.float64) / (self.top_code - conversion.zero_code)
        counts_per_code = np.full(cols, counts_per_code) if counts_per_code.ndim == 0 else counts_per_code
        require("full_scale_count", counts_per_code.shape, counts_per_code.shape == (cols,),
                f"must be one count or one per column ({cols},)")
        not_finite = _kernels_sensing.sense_accumulate(
            signal, column_base, unit, v_pre_v, v_knee_v, conversion.inv_lsb, conversion.offset_lsb,
            conversion.thresholds_lsb, conversion.lookup, float(self.top_code), float(conversion.zero_code),
            counts_per_code, significances,
            groups.starts, groups.stops, groups.gains, groups.reference_gains, groups.column_offset, out, out_start)
        require("signal", f"NaN/inf in {not_finite} rows", not_finite == 0, "column values must be finite")

    def _adc_of_columns(self, cols: int, n_adcs: int, adc_index) -> np.ndarray:
        if adc_index is None:
            needed = self.n_adcs(cols)
            require("instance", f"{n_adcs} ADCs", n_adcs >= needed,
                    f"needs >= {needed} ADCs for {cols} columns at {self.columns_per_adc} columns per ADC")
            return np.arange(cols, dtype=np.int64) // self.columns_per_adc
        adc_index = np.asarray(adc_index)
        require("adc_index", adc_index.shape, adc_index.shape == (cols,), f"must have shape ({cols},)")
        require("adc_index", adc_index.dtype, np.issubdtype(adc_index.dtype, np.integer), "must be integers")
        require("adc_index", (int(adc_index.min()), int(adc_index.max())),
                bool(np.all((adc_index >= 0) & (adc_index < n_adcs))), f"must be in [0, {n_adcs - 1}]")
        return adc_index.astype(np.int64)


@dataclass(frozen=True)
class WordLineDAC:
    """k-bit word-line DAC: input code c drives its word line to V(c) = c / (2^k - 1) * V_WL.

    Word-line amplitude inputs as in IMAC (Ali, Jaiswal, Kodge, Agrawal, Chakraborty & Roy,
    "IMAC: in-memory multi-bit multiplication and accumulation in 6T SRAM array", IEEE TCAS-I
    67(8), 2020), where a DAC sets each word line's voltage from a multi-bit input; a cell's
    non-linear response to these levels is the array model's business. Modelled as one
    resistor-string DAC per word line (a string of 2^k equal resistors between V_WL and
    ground, the tap of code c selected; Razavi, Principles of Data Conversion System Design,
    1995, resistor-ladder DACs), loading the word-line capacitance C_WL:

    * settling: a tap's output resistance is R (c/N)(1 - c/N) for N = 2^k - 1, at most R/4
      mid-string; settling a full step to within half an LSB takes
      t_settle = (R/4) C_WL ln(2^(k+1)) = (k + 1) ln 2 (R/4) C_WL;
    * energy per conversion: the word line's charge C_WL V(c) is drawn from the V_WL
      reference, C_WL V(c) V_WL, plus the string's static draw V_WL^2 / R for as long as the
      level is held, t_settle + t_hold.

    ``r_string_ohm`` = 100 kOhm: engineering assumption; it keeps the static draw (7 uA at
    0.7 V) comparable to the word-line charge for ns-scale holds while settling a ~30 fF word
    line within a few ns.
    """

    bits: int = 4
    r_string_ohm: float = 100e3

    def __post_init__(self) -> None:
        plausible(self)
        int_in_range("bits", self.bits, 1, 16)
        positive("r_string_ohm", self.r_string_ohm)

    @property
    def top_code(self) -> int:
        return 2 ** self.bits - 1

    def voltages_v(self, codes, v_wl_v: float) -> np.ndarray:
        """Word-line voltages (V, float64) of integer input ``codes`` in 0..2^bits - 1."""
        positive("v_wl_v", v_wl_v)
        codes = np.asarray(codes)
        require("codes", codes.dtype, np.issubdtype(codes.dtype, np.integer), "must be integers")
        require("codes", (int(codes.min()), int(codes.max())) if codes.size else (),
                bool(np.all((codes >= 0) & (codes <= self.top_code))),
                f"must be in [0, {self.top_code}] for a {self.bits}-bit DAC")
        return codes * (v_wl_v / self.top_code)

    def settling_time_s(self, c_wl_f: float) -> float:
        """(k + 1) ln 2 (R/4) C_WL (s)."""
        positive("c_wl_f", c_wl_f)
        return (self.bits + 1) * math.log(2.0) * (self.r_string_ohm / 4.0) * c_wl_f

    def energy_per_conversion_j(self, code, c_wl_f: float, v_wl_v: float, t_hold_s: float):
        """C_WL V(c) V_WL + V_WL^2 / R (t_settle + t_hold) (J).

        ``code`` may be a mean code (linear in the code, so it gives the mean energy).
        """
        positive("v_wl_v", v_wl_v)
        non_negative("t_hold_s", t_hold_s)
        code = np.asarray(code, dtype=np.float64)
        require("code", code.tolist() if code.ndim == 0 else code.shape,
                bool(np.all((code >= 0) & (code <= self.top_code))), f"must be in [0, {self.top_code}]")
        static_w = v_wl_v ** 2 / self.r_string_ohm
        return c_wl_f * code / self.top_code * v_wl_v ** 2 + static_w * (self.settling_time_s(c_wl_f) + t_hold_s)


class InputScheme(str, Enum):
    """How a k-bit input reaches the word lines."""

    BINARY = "binary"            # 1-bit inputs: the word line is pulsed or not
    BIT_SERIAL = "bit_serial"    # one bit plane per cycle, partial sums shifted and added (ISAAC)
    AMPLITUDE = "amplitude"      # one cycle, the word-line voltage set by a DAC (IMAC)
    PULSE_WIDTH = "pulse_width"  # one cycle, the word line held for c unit times


def _scheme(scheme) -> InputScheme:
    try:
        return InputScheme(scheme)
    except ValueError:
        raise ParameterError("scheme", scheme, f"allowed: {[s.value for s in InputScheme]}") from None


def array_cycles(scheme, bits: int) -> int:
    """Array evaluations (and sensing/conversion rounds) per input vector: k if bit-serial, else 1."""
    int_in_range("bits", bits, 1, 16)
    return bits if _scheme(scheme) is InputScheme.BIT_SERIAL else 1


def input_cost(scheme, bits: int, rows: int, c_wl_f: float, v_wl_v: float, t_unit_s: float, *,
               p_one: float = 0.5, e_shift_add_j: float | None = None,
               dac: WordLineDAC | None = None) -> tuple[float, float]:
    """Energy (J) and latency (s) of applying one k-bit input vector to ``rows`` word lines.

    Each input bit is 1 with probability ``p_one`` independently (0.5: uniformly distributed
    codes), so a code is non-zero with probability 1 - (1 - p)^k and its mean is p (2^k - 1).
    Pulsing a word line of capacitance C_WL to V_WL and back draws E_WL = C_WL V_WL^2 from the
    supply (Rabaey, Chandrakasan & Nikolic, Digital Integrated Circuits, 2nd ed., ch. 5).
    ``t_unit_s`` is one evaluation of the array (one bit-plane cycle, or one unit pulse).

    * binary (k = 1):  E = rows p E_WL;                           T = t_unit
    * bit_serial:      E = k (rows p E_WL + e_shift_add);         T = k t_unit
      (bit plane i drives the word lines in cycle i; each cycle the column partial sums are
      shifted and added digitally, ``e_shift_add_j`` per cycle for the whole array, as in
      ISAAC's 1-bit inputs over 16 cycles: Shafiee et al., ISCA 2016)
    * amplitude:       E = rows E_DAC(p (2^k - 1), t_hold = t_unit)
                         = rows [p E_WL + V_WL^2 / R (t_settle + t_unit)];  T = t_settle + t_unit
      (one `WordLineDAC` per word line, ``dac`` or a default one of k bits)
    * pulse_width:     E = rows (1 - (1 - p)^k) E_WL;             T = (2^k - 1) t_unit
      (code c holds the word line for c unit times in one pulse, so the charge a cell moves is
      proportional to c; the window fits the largest code. The per-row pulse generators --
      a shared counter compared with each row's code -- are left out.)

    Sensing is not included: the array converts ``array_cycles(scheme, bits)`` times per input.
    """
    scheme = _scheme(scheme)
    int_in_range("bits", bits, 1, 16)
    int_in_range("rows", rows, 1)
    for name, value in (("c_wl_f", c_wl_f), ("v_wl_v", v_wl_v), ("t_unit_s", t_unit_s)):
        positive(name, value)
    probability("p_one", p_one)
    e_wl = c_wl_f * v_wl_v ** 2
    if scheme is InputScheme.BINARY:
        require("bits", bits, bits == 1, "binary word lines carry 1-bit inputs; use bit_serial, amplitude "
                "or pulse_width for more")
        return rows * p_one * e_wl, t_unit_s
    if scheme is InputScheme.BIT_SERIAL:
        require("e_shift_add_j", e_shift_add_j, isinstance(e_shift_add_j, Real)
                and math.isfinite(e_shift_add_j) and e_shift_add_j >= 0,
                "bit_serial needs the shift-and-add energy per cycle (J, >= 0)")
        return bits * (rows * p_one * e_wl + e_shift_add_j), bits * t_unit_s
    if scheme is InputScheme.AMPLITUDE:
        dac = WordLineDAC(bits=bits) if dac is None else dac
        require("dac", dac.bits if isinstance(dac, WordLineDAC) else type(dac).__name__,
                isinstance(dac, WordLineDAC) and dac.bits == bits, f"must be a WordLineDAC of {bits} bits")
        energy = rows * float(dac.energy_per_conversion_j(p_one * dac.top_code, c_wl_f, v_wl_v, t_unit_s))
        return energy, dac.settling_time_s(c_wl_f) + t_unit_s
    p_pulse = 1.0 - (1.0 - p_one) ** bits
    return rows * p_pulse * e_wl, (2 ** bits - 1) * t_unit_s
