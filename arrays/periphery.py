"""Digital periphery around an array: partial-sum adders, comparators and buffers, with their costs."""

from __future__ import annotations

from dataclasses import dataclass

from imc.devices.validation import positive


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
