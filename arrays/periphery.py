"""Digital periphery around an array: partial-sum adders, comparators and buffers, with their costs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from imc.arrays.drivers import RowDrivers
from imc.errors import int_in_range, plausible, positive, require


def accumulator_bits(bound: int) -> int:
    """Bits of a signed accumulator holding every |z| <= bound (bound = n_in for n_in binary terms)."""
    return math.ceil(math.log2(2 * bound + 1))


@dataclass(frozen=True)
class DigitalCosts:
    """Energy and delay of the digital periphery (partial-sum adders, comparators, buffers).

    ``e_add_bit_j`` = 3.1 fJ/bit: a 32-bit integer add costs 0.1 pJ and ``e_buffer_bit_j`` =
    0.16 pJ/bit: a 64-bit read of an 8 kB SRAM costs 10 pJ, both in 45 nm at 0.9 V
    (Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9). ``f_clk_hz`` = 1 GHz:
    one adder-tree level per cycle, a 16-bit adder being ~20 FO4 delays of ~15 ps at
    45-65 nm (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 11). ``drivers``: the array's row
    decoder, word-line drivers and input register (`imc.arrays.drivers.RowDrivers`, 65 nm).
    """

    e_add_bit_j: float = 3.1e-15
    e_buffer_bit_j: float = 0.16e-12
    f_clk_hz: float = 1e9
    drivers: RowDrivers = field(default_factory=RowDrivers)

    def __post_init__(self) -> None:
        plausible(self)
        positive("e_add_bit_j", self.e_add_bit_j)
        positive("e_buffer_bit_j", self.e_buffer_bit_j)
        positive("f_clk_hz", self.f_clk_hz)
        require("drivers", type(self.drivers).__name__, isinstance(self.drivers, RowDrivers), "must be a RowDrivers")

    def accumulate_energy_j(self, n_out: int, partial_sums: int, bits: int) -> float:
        """Adding a layer's partial sums (J per input): (partial_sums + 1) adds of a ``bits``-bit
        word per output (the shift-and-add of every row tile, input cycle and weight slice, and the
        output stage's comparison), ``e_add_bit_j`` per bit."""
        int_in_range("partial_sums", partial_sums, 1)
        return n_out * (partial_sums + 1) * bits * self.e_add_bit_j

    def buffer_energy_j(self, bits: float) -> float:
        """Moving ``bits`` through the layer buffers (J): ``e_buffer_bit_j`` per bit."""
        return bits * self.e_buffer_bit_j

    def adder_tree_latency_s(self, partial_sums: int) -> float:
        """Latency (s) of the adder tree over ``partial_sums`` partial sums of one cycle plus the output
        stage: ceil(log2(partial_sums)) + 1 levels, one per clock."""
        int_in_range("partial_sums", partial_sums, 1)
        return (math.ceil(math.log2(partial_sums)) + 1) / self.f_clk_hz
