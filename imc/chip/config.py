"""The chip architecture the SimPy engine runs: nested frozen dataclasses, the ``[chip]`` table.

A chip is ``pes`` processing elements (PEs) on an interconnect beside a global buffer and an
off-chip link. A PE holds ``arrays`` arrays (each mapped tile of a plan takes one), ADC banks
each shared by ``arrays_per_adc_bank`` of them, ``digital_units`` (partial-sum adder tree and
output stage) and an input and an output buffer. The interconnect is a shared bus or a 2-D mesh;
its node 0 is the global buffer with the off-chip port, the PEs follow in ``placement`` order.

Units are SI with bits for data: capacities in bits, bandwidths in bits/s, times in s, energies
in J, powers in W. A capacity or bandwidth of ``inf`` (TOML ``inf``) is unlimited: the ideal
chip of the closed-form estimate (`imc.performance`), against which the engine is checked.

The digital units and buffers run at the array's periphery clock (`imc.arrays.DigitalCosts`
``f_clk_hz``, 1 GHz); the interconnect and the off-chip link have their own rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

from imc.errors import int_in_range, non_negative, plausible, require

TOPOLOGIES = ("mesh", "bus")
PLACEMENTS = ("snake", "row_major")
ALLOCATIONS = ("packed", "layer_per_pe")
BUFFER_POLICIES = ("partitioned", "shared")


def unlimited_or_positive(name: str, value) -> None:
    """A capacity or bandwidth: a number > 0, ``inf`` meaning unlimited."""
    require(name, value, isinstance(value, Real) and not isinstance(value, bool) and value > 0,
            "must be a number > 0 (inf: unlimited)")


@dataclass(frozen=True)
class ProcessingElement:
    """One processing element: arrays, their ADC banks, digital units and two buffers.

    * ``arrays`` = 8: the eight 128 x 128 crossbars of one ISAAC in-situ multiply-accumulate
      unit (IMA) (Shafiee et al., "ISAAC: a convolutional neural network accelerator with in-situ
      analog arithmetic in crossbars", ISCA 2016, Table I).
    * ``arrays_per_adc_bank`` = 1: ISAAC gives every crossbar its own ADC (8 ADCs per IMA,
      Table I). A bank converts one array op at a time, so k > 1 arrays of a bank take turns.
      The bank stands for the arrays' column read-out whatever it is (ADCs, latches, popcount);
      the columns an ADC serves inside one array are the array's own (``adc.columns_per_adc``),
      already in its op latency.
    * ``digital_units`` = 1: adder trees with output stage (shift-and-add, comparators) per PE,
      each serving one layer's partial sums of one output position at a time for the latency
      `imc.arrays.DigitalCosts.adder_tree_latency_s` (engineering assumption: one per PE, shared
      by the layers packed on it).
    * ``input_buffer_bits`` = 16384 (2 KB) and ``output_buffer_bits`` = 2048 (256 B): ISAAC's
      IMA input and output registers (Table I; also Accelergy's hwcomponents-library
      ``isaac.py``, which sizes them 16384 and 2048 bits).
    * ``buffer_bandwidth_bits_per_s`` = 256 Gb/s: each buffer's port, 256 bits a cycle (the
      bus width of ISAAC's eDRAM buffer, Table I) at the periphery's 1 GHz clock (engineering
      assumption on the clock).
    """

    arrays: int = 8
    arrays_per_adc_bank: int = 1
    digital_units: int = 1
    input_buffer_bits: float = 16384.0
    output_buffer_bits: float = 2048.0
    buffer_bandwidth_bits_per_s: float = 256e9

    def __post_init__(self) -> None:
        int_in_range("arrays", self.arrays, 1)
        int_in_range("arrays_per_adc_bank", self.arrays_per_adc_bank, 1, self.arrays)
        int_in_range("digital_units", self.digital_units, 1)
        for name in ("input_buffer_bits", "output_buffer_bits", "buffer_bandwidth_bits_per_s"):
            unlimited_or_positive(name, getattr(self, name))
        plausible(self, unlimited=("input_buffer_bits", "output_buffer_bits", "buffer_bandwidth_bits_per_s"))

    def adc_bank(self, slot: int) -> int:
        """The ADC bank of the array in PE slot ``slot``."""
        return slot // self.arrays_per_adc_bank


@dataclass(frozen=True)
class Interconnect:
    """The on-chip network between the global buffer (node 0) and the PEs (nodes 1..pes).

    * ``topology``: "mesh", a 2-D mesh with dimension-order (XY) routing, one link per direction
      between neighbours, a packet holding every link of its route for hops x
      ``hop_latency_s`` + bits / ``link_bandwidth_bits_per_s`` (cut-through; acquiring links in
      route order under XY routing cannot deadlock: Dally & Seitz, "Deadlock-free message
      routing in multiprocessor interconnection networks", IEEE Trans. Computers 36(5), 1987);
      or "bus", one channel with the same link parameters that every transfer holds for one hop
      (engineering assumption: a bus as wide and fast as a mesh link).
    * ``link_bandwidth_bits_per_s`` = 160 Gb/s and ``hop_latency_s`` = 1 ns: the 65 nm 8 x 10
      mesh of Intel's Teraflops processor, 2.56 Tb/s across the eight links bisecting it in both
      directions (32 bits a cycle at 5 GHz per link and direction) with a per-hop fall-through
      latency of 1 ns (Hoskote et al., "A 5-GHz mesh interconnect for a Teraflops processor",
      IEEE Micro 27(5), 2007).
    * ``energy_per_bit_hop_j`` = 0.081 pJ: ISAAC's router (42 mW, shared by four tiles: Shafiee
      et al., ISCA 2016, Table I) as Accelergy's hwcomponents-library ``isaac.py`` prices it,
      20.74 pJ per 256-bit transfer, at 32 nm (optimistic for 65 nm).
    * ``mesh_columns``: columns of the mesh (None: ceil(sqrt(pes + 1)), a near-square mesh).
    * ``placement``: the order in which nodes fill the mesh, "snake" (boustrophedon rows, so
      consecutive nodes are neighbours) or "row_major".
    """

    topology: str = "mesh"
    link_bandwidth_bits_per_s: float = 160e9
    hop_latency_s: float = 1e-9
    energy_per_bit_hop_j: float = 20.74e-12 / 256
    mesh_columns: int | None = None
    placement: str = "snake"

    def __post_init__(self) -> None:
        require("topology", self.topology, self.topology in TOPOLOGIES, f"allowed: {list(TOPOLOGIES)}")
        unlimited_or_positive("link_bandwidth_bits_per_s", self.link_bandwidth_bits_per_s)
        non_negative("hop_latency_s", self.hop_latency_s)
        non_negative("energy_per_bit_hop_j", self.energy_per_bit_hop_j)
        if self.mesh_columns is not None:
            int_in_range("mesh_columns", self.mesh_columns, 1)
        require("placement", self.placement, self.placement in PLACEMENTS, f"allowed: {list(PLACEMENTS)}")
        plausible(self, unlimited=("link_bandwidth_bits_per_s",))

    def transfer_time_s(self, hops: int, bits: float) -> float:
        """Time (s) of an uncontended transfer of ``bits`` over ``hops`` hops (0 hops: none)."""
        return hops * self.hop_latency_s + bits / self.link_bandwidth_bits_per_s if hops else 0.0


@dataclass(frozen=True)
class Leakage:
    """Static power of the chip, drawn for the whole simulated time.

    * ``array_w``: one array's standby power (W). None: the array's own `Array.leakage_power_w`:
      its cells (SRAM: ``device.leakage_current_a`` at the nominal threshold, the off-state
      read-stack current of the bit-cells, x ``device.vdd_v`` x rows x cols, one leaking path per
      cell -- a lower bound: a 6T cell has more; none for non-volatile RRAM and skyrmion cells,
      which hold their state without current; DRAM refresh is not modelled) plus its row
      periphery, the decoder and word-line driver chains (`imc.arrays.drivers.RowDrivers.leakage_power_w`,
      the array's ``digital.drivers``). Every array of the chip leaks, used or not (no power gating).
    * ``buffer_w_per_bit`` = 20.6 pW: one bit of the PE and global buffers as a 65 nm 6T SRAM
      cell of `imc.devices.SRAM6T`: I_off = 18.7 pA of its off pull-down at the PTM 65 nm
      threshold (V_GS = 0) x V_DD = 1.1 V, again one leaking path per cell. An unlimited buffer
      leaks as much as its peak occupancy in the run (the smallest buffer that would have held
      it). ADCs (dynamic comparators and SAR logic) and the digital units draw no static power in
      this model.
    """

    array_w: float | None = None
    buffer_w_per_bit: float = 2.06e-11

    def __post_init__(self) -> None:
        if self.array_w is not None:
            non_negative("array_w", self.array_w)
        non_negative("buffer_w_per_bit", self.buffer_w_per_bit)
        plausible(self)


@dataclass(frozen=True)
class ChipConfig:
    """The chip: PEs, interconnect, global buffer, off-chip link and leakage (see the module docstring).

    * ``pes``: processing elements on the chip (None: as many as the plan needs). A chip with
      fewer arrays than the plan's tiles is refused.
    * ``allocation``: how the plan's tiles fill PEs, in plan order: "packed" (the next free
      array, so small layers share a PE, its buffers and digital units) or "layer_per_pe" (every
      layer starts on a fresh PE, ISAAC's crossbars dedicated to one layer each).
    * ``buffers``: how the streams through one buffer (the layers placed on a PE; the global
      buffer's inputs and outputs) share it. "partitioned": a fixed region per stream, in
      proportion to the size of its datum, as a compiler allocates buffer space; each region then
      has one writer and one reader, and a pipeline of such queues cannot deadlock. "shared": every stream claims room from the
      whole buffer, first come first served; it uses the capacity better, but a buffer full of one
      stream's data can wait on a stream that needs room in it: the run stops with a
      `imc.chip.DeadlockError` naming who waits for what.
    * ``global_buffer_bits`` = 524288 (64 KB): ISAAC's per-tile eDRAM buffer (Table I), holding
      the chip's inputs on their way in and its outputs on their way out.
    * ``offchip_bandwidth_bits_per_s`` = 51.2 Gb/s: one ISAAC HyperTransport link, 6.4 GB/s
      (Table I), one per direction (full duplex); its energy is the system's, not the chip's.
    """

    pes: int | None = None
    allocation: str = "packed"
    buffers: str = "partitioned"
    pe: ProcessingElement = field(default_factory=ProcessingElement)
    interconnect: Interconnect = field(default_factory=Interconnect)
    global_buffer_bits: float = 524288.0
    offchip_bandwidth_bits_per_s: float = 6.4e9 * 8
    leakage: Leakage = field(default_factory=Leakage)

    def __post_init__(self) -> None:
        if self.pes is not None:
            int_in_range("pes", self.pes, 1)
        require("allocation", self.allocation, self.allocation in ALLOCATIONS, f"allowed: {list(ALLOCATIONS)}")
        require("buffers", self.buffers, self.buffers in BUFFER_POLICIES, f"allowed: {list(BUFFER_POLICIES)}")
        for name, kind in (("pe", ProcessingElement), ("interconnect", Interconnect), ("leakage", Leakage)):
            require(name, type(getattr(self, name)).__name__, isinstance(getattr(self, name), kind),
                    f"must be a {kind.__name__}")
        unlimited_or_positive("global_buffer_bits", self.global_buffer_bits)
        unlimited_or_positive("offchip_bandwidth_bits_per_s", self.offchip_bandwidth_bits_per_s)
        plausible(self, unlimited=("global_buffer_bits", "offchip_bandwidth_bits_per_s"))

    @classmethod
    def ideal(cls, **changes) -> ChipConfig:
        """The chip of the closed-form estimate: one layer per PE, unlimited buffers and
        bandwidths, a free interconnect (``changes``: other top-level fields)."""
        free = ProcessingElement(input_buffer_bits=math.inf, output_buffer_bits=math.inf,
                                 buffer_bandwidth_bits_per_s=math.inf)
        return cls(**{"allocation": "layer_per_pe", "pe": free,
                      "interconnect": Interconnect(link_bandwidth_bits_per_s=math.inf, hop_latency_s=0.0),
                      "global_buffer_bits": math.inf, "offchip_bandwidth_bits_per_s": math.inf, **changes})
