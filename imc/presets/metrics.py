"""How imc obtains its side of a published number: the metrics a ``[[preset.published]]`` row names.

Each metric reads a simulation `Run` (the `imc.Report` and the array as the conditions have it)
in SI units, says how to print it (``unit``, ``scale``: printed = SI value x scale) and whether its
tolerance is a factor (imc / published within [1/t, t]) or, for accuracies, an absolute difference
(``absolute``: |imc - published| <= t, t a fraction: 0.01 is one percentage point). A metric whose
``value`` is None is a number imc cannot produce (e.g. a speed-up over a baseline chip imc does
not model); its rows are listed as missing with their reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imc.errors import ParameterError
from imc.registry import Registry

BITS_PER_KB = 8 * 1024  # Ambit's energy unit, nJ per kilobyte of bitwise result


@dataclass(frozen=True)
class Run:
    """One simulated preset: its ``report`` (`imc.Report`) and the chip's ``array``."""

    report: object
    array: object


@dataclass(frozen=True)
class Metric:
    """A number a paper publishes and how imc computes it from a `Run` (``value``, SI units; None:
    imc cannot), printed in ``unit`` as SI value x ``scale``; ``absolute``: the tolerance is a
    difference (accuracies) rather than a factor."""

    doc: str
    unit: str
    scale: float
    value: Callable[[Run], float] | None
    absolute: bool = False


METRICS = Registry("metric")


def _register(key: str, doc: str, unit: str, scale: float, value, absolute: bool = False) -> None:
    METRICS.register(key)(Metric(doc, unit, scale, value, absolute))


def _ops_per_s(run: Run) -> float:
    """Operations (2 per MAC) per second of the pipelined chip (op/s)."""
    return 2 * run.report.macs_per_inference * run.report.throughput_inf_per_s


def _adc(run: Run):
    adc = getattr(run.array, "adc", None)
    if adc is None:
        raise ParameterError("metric", type(run.array).__name__, "this array has no column ADC")
    return adc


def _component_j(run: Run, component: str) -> float:
    """Energy per inference of one component (J), 0 where the design has none."""
    energy = run.report.energy_j
    return float(energy[component].sum()) if component in energy.columns else 0.0


def _xnor_energy_j(run: Run) -> float:
    """One Ambit XNOR on one bit line (J): the device's ``op_cost("xnor")``."""
    device = run.array.device
    if not hasattr(device, "op_cost"):
        raise ParameterError("metric", type(device).__name__, "this cell computes no bulk XNOR")
    return device.op_cost("xnor").read_energy_j


_register("tops_per_w", "2 x MACs per inference / energy per inference (Report.tops_per_w)", "TOPS/W", 1.0,
          lambda run: run.report.tops_per_w)
_register("energy_per_mac_j", "energy per inference / MACs per inference", "fJ/MAC", 1e15,
          lambda run: run.report.energy_per_inference_j / run.report.macs_per_inference)
_register("energy_per_inference_j", "Report.energy_per_inference_j (closed form)", "uJ", 1e6,
          lambda run: run.report.energy_per_inference_j)
_register("latency_s", "Report.latency_s: one inference through every layer (closed form)", "us", 1e6,
          lambda run: run.report.latency_s)
_register("throughput_inf_per_s", "Report.throughput_inf_per_s: 1 / slowest pipeline stage", "inf/s", 1.0,
          lambda run: run.report.throughput_inf_per_s)
_register("throughput_ops_per_s", "2 x MACs x inferences per second of the chip", "TOPS", 1e-12, _ops_per_s)
_register("throughput_ops_per_s_per_array", "2 x MACs x inferences per second / arrays used", "GOPS", 1e-9,
          lambda run: _ops_per_s(run) / run.report.n_arrays)
_register("compute_density_ops_per_s_m2", "2 x MACs x inferences per second / area of the arrays used",
          "GOPS/mm2", 1e-15, lambda run: _ops_per_s(run) / run.report.array_area_m2)
_register("area_per_array_m2", "Report.array_area_m2 / arrays: cells and periphery of one array", "mm2", 1e6,
          lambda run: run.report.array_area_m2 / run.report.n_arrays)
_register("accuracy", "mean test accuracy over the Monte-Carlo chips", "%", 100.0,
          lambda run: run.report.accuracy_stats()["mean"], absolute=True)
_register("accuracy_loss", "software accuracy - mean chip accuracy", "pt", 100.0,
          lambda run: run.report.software_accuracy - run.report.accuracy_stats()["mean"], absolute=True)
_register("accuracy_std", "standard deviation of the chip accuracies", "pt", 100.0,
          lambda run: run.report.accuracy_stats()["std"], absolute=True)
_register("adc_energy_per_conversion_j", "the array's ColumnADC.energy_per_conversion_j", "pJ", 1e12,
          lambda run: _adc(run).energy_per_conversion_j)
_register("adc_area_m2", "the array's ColumnADC.area_per_adc_m2", "um2", 1e12, lambda run: _adc(run).area_per_adc_m2)
_register("adc_energy_fraction", "ADC energy / energy per inference (Report.energy_j['adc'])", "%", 100.0,
          lambda run: _component_j(run, "adc") / run.report.energy_per_inference_j)
_register("xnor_energy_per_kb_j", "one Ambit XNOR per bit line (DRAM1T1C.op_cost('xnor')) x 8192 bits", "nJ/KB",
          1e9, lambda run: _xnor_energy_j(run) * BITS_PER_KB)
_register("relative_to_baseline", "a speed-up or energy saving over another chip, which imc does not model",
          "x", 1.0, None)
_register("chip_power_w", "power of the whole published chip (imc simulates the arrays a network uses)", "W", 1.0,
          None)
_register("chip_area_m2", "area of the whole published chip (imc simulates the arrays a network uses)", "mm2",
          1e6, None)
