"""Digital periphery around an array: partial-sum adders, comparators and buffers, with their costs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from imc.arrays.drivers import RowDrivers
from imc.devices.sram import NODES as CELL_NODES
from imc.devices.sram import SRAMBitCell, alpha_power_delay_ratio
from imc.errors import int_in_range, plausible, positive, require


def accumulator_bits(bound: int) -> int:
    """Bits of a signed accumulator holding every |z| <= bound (bound = n_in for n_in binary terms)."""
    return math.ceil(math.log2(2 * bound + 1))


@dataclass(frozen=True)
class DigitalCosts:
    """Energy and delay of the digital periphery (partial-sum adders, comparators, buffers).

    * ``e_add_bit_j`` = 3.1 fJ/bit: a 32-bit integer add costs 0.1 pJ, and ``e_buffer_bit_j`` =
      0.16 pJ/bit: a 64-bit read of an 8 kB SRAM costs 10 pJ, both in 45 nm at ``vdd_ref_v`` = 0.9 V
      (Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9).
    * ``vdd_v`` = 0.9 V: the digital supply of the design. Both energies are the C V^2 of switched
      CMOS capacitance (Rabaey, Chandrakasan & Nikolic, Digital Integrated Circuits, 2nd ed., 2003,
      Sec. 5.4), so they scale as (vdd_v / vdd_ref_v)^2 (`add_energy_per_bit_j`,
      `buffer_energy_per_bit_j`); the default supply is the source's, where the scale is 1.
    * ``f_clk_hz`` = 1 GHz at ``vdd_ref_v``: one adder-tree level per cycle, a 16-bit adder being ~20
      FO4 delays of ~15 ps at 45-65 nm (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 11; the
      supply it holds at is an assumption: the energies' 0.9 V). At ``vdd_v`` every gate delay
      follows the alpha-power law, t_d ~ C V_DD / (V_DD - V_th)^alpha (Sakurai & Newton, IEEE JSSC
      25(2), 1990: `imc.devices.sram.alpha_power_delay_ratio`), and the clock with it
      (`clock_hz`). ``vth_v`` and ``alpha``: the threshold and velocity-saturation index of the
      transistors, by default the 65 nm node's (`imc.devices.sram.NODES` ``vth0_v`` = 0.429 V, the
      PTM 65 nm card, and `SRAMBitCell` ``alpha`` = 1.3), the node of the default arrays.
    * ``drivers``: the array's row decoder, word-line drivers and input register
      (`imc.arrays.drivers.RowDrivers`, 65 nm), on their own supply (``drivers.vdd_v``).

    The fields hold the values at the reference supply; the arrays and the performance model read the
    scaled ones (`add_energy_per_bit_j`, `buffer_energy_per_bit_j`, `clock_hz`) through the methods below.
    """

    e_add_bit_j: float = 3.1e-15
    e_buffer_bit_j: float = 0.16e-12
    f_clk_hz: float = 1e9
    vdd_v: float = 0.9
    vdd_ref_v: float = 0.9
    vth_v: float = CELL_NODES["65nm"]["vth0_v"]
    alpha: float = SRAMBitCell.alpha
    drivers: RowDrivers = field(default_factory=RowDrivers)

    def __post_init__(self) -> None:
        plausible(self)
        positive("e_add_bit_j", self.e_add_bit_j)
        positive("e_buffer_bit_j", self.e_buffer_bit_j)
        positive("f_clk_hz", self.f_clk_hz)
        positive("vth_v", self.vth_v)
        self.delay_ratio  # noqa: B018 -- a supply at or below the threshold fails at load, naming its field
        require("drivers", type(self.drivers).__name__, isinstance(self.drivers, RowDrivers), "must be a RowDrivers")

    @property
    def delay_ratio(self) -> float:
        """Gate delay at ``vdd_v`` over that at ``vdd_ref_v`` (`alpha_power_delay_ratio`)."""
        return alpha_power_delay_ratio(self.vdd_v, self.vdd_ref_v, self.vth_v, self.alpha)

    @property
    def energy_scale(self) -> float:
        """(vdd_v / vdd_ref_v)^2: the C V^2 scaling of the reference energies."""
        return (self.vdd_v / self.vdd_ref_v) ** 2

    @property
    def add_energy_per_bit_j(self) -> float:
        """One bit of an add at ``vdd_v`` (J): e_add_bit_j (vdd_v / vdd_ref_v)^2."""
        return self.e_add_bit_j * self.energy_scale

    @property
    def buffer_energy_per_bit_j(self) -> float:
        """One bit of buffer traffic at ``vdd_v`` (J): e_buffer_bit_j (vdd_v / vdd_ref_v)^2."""
        return self.e_buffer_bit_j * self.energy_scale

    @property
    def clock_hz(self) -> float:
        """The periphery's clock at ``vdd_v`` (Hz): f_clk_hz / `delay_ratio`."""
        return self.f_clk_hz / self.delay_ratio

    def accumulate_energy_j(self, n_out: int, partial_sums: int, bits: int) -> float:
        """Adding a layer's partial sums (J per input): (partial_sums + 1) adds of a ``bits``-bit
        word per output (the shift-and-add of every row tile, input cycle and weight slice, and the
        output stage's comparison), `add_energy_per_bit_j` per bit."""
        int_in_range("partial_sums", partial_sums, 1)
        return n_out * (partial_sums + 1) * bits * self.add_energy_per_bit_j

    def buffer_energy_j(self, bits: float) -> float:
        """Moving ``bits`` through the layer buffers (J): `buffer_energy_per_bit_j` per bit."""
        return bits * self.buffer_energy_per_bit_j

    def adder_tree_latency_s(self, partial_sums: int) -> float:
        """Latency (s) of the adder tree over ``partial_sums`` partial sums of one cycle plus the output
        stage: ceil(log2(partial_sums)) + 1 levels, one per period of `clock_hz`."""
        int_in_range("partial_sums", partial_sums, 1)
        return (math.ceil(math.log2(partial_sums)) + 1) / self.clock_hz
