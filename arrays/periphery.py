"""Periphery around an array: ADCs, digital accumulation and buffers, with their costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imc.devices.validation import int_in_range, positive


@dataclass(frozen=True)
class ADC:
    """Uniform column ADC with ``bits`` of resolution over [0, full scale].

    Energy per conversion from the Walden figure of merit, E = FOM * 2^ENOB, with
    ENOB = bits for an ideal converter (Walden, "Analog-to-digital converter survey and
    analysis", IEEE JSAC 17(4), 1999). ``fom_j_per_step`` = 4.4 fJ/conversion-step: the
    65 nm SAR ADC of van Elzakker et al., "A 10-bit charge-redistribution ADC consuming
    1.9 uW at 1 MS/s", IEEE JSSC 45(5), 2010, long the best Walden FOM in Murmann's ADC
    performance survey. ``sample_rate_hz`` = 50 MS/s: below the ~100 MS/s corner under which
    SAR energy per conversion is roughly rate-independent in that survey
    (Murmann, "ADC Performance Survey 1997-2024"). Latency: one sample period.
    """

    bits: int = 8
    fom_j_per_step: float = 4.4e-15
    sample_rate_hz: float = 50e6

    def __post_init__(self) -> None:
        int_in_range("bits", self.bits, 1, 16)
        positive("fom_j_per_step", self.fom_j_per_step)
        positive("sample_rate_hz", self.sample_rate_hz)

    @property
    def levels(self) -> int:
        return 2 ** self.bits

    @property
    def energy_per_conversion_j(self) -> float:
        return self.fom_j_per_step * 2.0 ** self.bits

    @property
    def latency_s(self) -> float:
        return 1.0 / self.sample_rate_hz

    def quantize(self, v: np.ndarray, full_scale_v: float) -> np.ndarray:
        """Output codes 0..2^bits-1 of inputs ``v`` (V) over [0, full_scale_v]; saturates at both ends."""
        codes = np.rint(np.asarray(v) / full_scale_v * (self.levels - 1))
        return np.clip(codes, 0, self.levels - 1).astype(np.int32)


@dataclass(frozen=True)
class DigitalCosts:
    """Energy and delay of the digital periphery (partial-sum adders, comparators, buffers).

    ``e_add_bit_j`` = 3.1 fJ/bit: a 32-bit integer add costs 0.1 pJ and ``e_buffer_bit_j`` =
    0.16 pJ/bit: a 64-bit read of an 8 kB SRAM costs 10 pJ, both in 45 nm at 0.9 V
    (Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9). ``f_clk_hz`` = 1 GHz:
    one adder-tree level per cycle, a 16-bit adder being ~20 FO4 delays of ~15 ps at
    45-65 nm (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 11).
    """

    e_add_bit_j: float = 3.1e-15
    e_buffer_bit_j: float = 0.16e-12
    f_clk_hz: float = 1e9

    def __post_init__(self) -> None:
        positive("e_add_bit_j", self.e_add_bit_j)
        positive("e_buffer_bit_j", self.e_buffer_bit_j)
        positive("f_clk_hz", self.f_clk_hz)
