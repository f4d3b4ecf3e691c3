"""imc.chip: the SimPy chip engine -- a stream of inferences through arrays, ADC banks, buffers,
an interconnect and digital units, event by event (latency, throughput, contention, stalls,
energy and power over time).

>>> from imc.chip import ChipConfig, run_chip
>>> result = run_chip(plan, array, x, ChipConfig(), inferences=1000)
>>> result.latency_stats(), result.throughput_inf_per_s, result.bottleneck
"""

from imc.chip.config import ALLOCATIONS, PLACEMENTS, TOPOLOGIES, ChipConfig, Interconnect, Leakage, ProcessingElement
from imc.chip.result import ChipResult
from imc.chip.run import DeadlockError, run_chip

__all__ = [
           "ALLOCATIONS",
           "PLACEMENTS",
           "TOPOLOGIES",
           "ChipConfig",
           "ChipResult",
           "DeadlockError",
           "Interconnect",
           "Leakage",
           "ProcessingElement",
           "run_chip",
]
