"""The public entry point: ``simulate(config) -> Report``, and the two pieces it is made of
(`load_design`, `design_report`), which the sweep runs chip range by chip range."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imc import engine, performance
from imc.chip import run_chip
from imc.config import MAX_ARRAYS, SimConfig, load_config, to_dict
from imc.errors import Interrupted, require
from imc.mapping import MappingPlan, map_layers
from imc.mapping.calibration import set_adc_range
from imc.nn import zoo
from imc.nn.data import Dataset, load_dataset
from imc.progress import stage
from imc.report import Report


@dataclass(frozen=True, eq=False)
class Design:
    """A loaded design: its config, integer model, data set, first-op test inputs ``x``, the array
    as the conditions have it, and the mapping plan (ADC ranges set)."""

    config: SimConfig
    model: object
    data: Dataset
    x: np.ndarray
    array: object
    plan: MappingPlan


def load_design(config: SimConfig) -> Design:
    """Load the model and data of ``config`` and map it on its array."""
    data = load_dataset(config.dataset, config.dataset_path)
    model, _ = zoo.load(config.model, data.image_shape, data.max_level)
    classes = model.layers[-1].n_out
    require("model", config.model, classes == data.n_classes,
            f"outputs {classes} classes, but dataset {config.dataset!r} has {data.n_classes}")
    plan = map_design(config, model.ops, model.encode(data.x_train[:config.mapping.calibration_inputs]))
    return Design(config, model, data, model.encode(data.x_test), config.chip_array, plan)


def tile_design(config: SimConfig, ops: list) -> MappingPlan:
    """Integer ``ops`` tiled on ``config``'s array as its ``[mapping]`` says (ADC ranges worst case)."""
    array, mapping = config.chip_array, config.mapping
    return map_layers(ops, array.geometry(), mapping.encoding, mapping.weights, mapping.rows_per_read,
                      mapping.replicas, mapping.max_arrays or MAX_ARRAYS, mapping.inputs)


def map_design(config: SimConfig, ops: list, calibration_codes: np.ndarray) -> MappingPlan:
    """`tile_design` with the ADC ranges of ``config``'s ``[mapping]`` set from ``calibration_codes``
    (first-op codes of training images; the first ``calibration_inputs`` are used)."""
    mapping = config.mapping
    return set_adc_range(tile_design(config, ops), mapping.adc_range, calibration_codes[:mapping.calibration_inputs],
                         mapping.calibration_coverage, mapping.adc_full_scale_count, mapping.calibration_scope)


def design_report(design: Design, chip_accuracy: np.ndarray, runtime_s: float, chip: dict | None = None) -> Report:
    """The report of a design over the given per-chip accuracies: software baseline, the closed-form
    energy, latency and throughput, mapping and area, and the chip engine's ``chip`` summary."""
    data, plan, array = design.data, design.plan, design.array
    perf = performance.estimate(plan, array, design.x)
    return Report(
        config=to_dict(design.config),
        n_test=len(data.y_test),
        software_accuracy=float(np.mean(design.model.predict(data.x_test) == data.y_test)),
        chip_accuracy=chip_accuracy,
        energy_j=perf.energy,
        latency_s=perf.latency_s,
        throughput_inf_per_s=perf.throughput_inf_per_s,
        tops_per_w=perf.tops_per_w,
        macs_per_inference=perf.macs,
        mapping=plan.summary(),
        n_arrays=plan.n_arrays,
        array_area_m2=plan.n_arrays * array.area_m2(),
        design=array.design_summary(),
        reliability=array.reliability(),
        runtime_s=runtime_s,
        chip=chip,
    )


def simulate(config: SimConfig | dict | str | Path | None = None, progress: bool = False,
             workers: int | None = None) -> Report:
    """Simulate a design: accuracy over Monte-Carlo chips, energy, latency, throughput.

    ``config`` is a `SimConfig`, a dict or TOML path loaded by `load_config`, or None for
    the built-in default design. ``workers``: threads simulating chips (default: one per CPU);
    the results do not depend on it. ``progress``: report each stage and the chips on stderr.
    """
    started = time.perf_counter()
    if not isinstance(config, SimConfig):
        config = load_config(config)
    stage(f"loading and mapping {config.model}", progress)
    design = load_design(config)
    accuracy = engine.chip_accuracies(design.plan, design.array, design.x, design.data.y_test, config.seed,
                                      config.chips, config.variation, config.conditions, progress=progress,
                                      workers=workers)
    chip = None
    if config.inferences:
        stage(f"chip engine: {config.inferences} inferences through {design.plan.n_arrays} arrays", progress)
        try:
            result = run_chip(design.plan, design.array, design.x, config.chip, config.inferences)
        except KeyboardInterrupt:
            raise Interrupted(config.chips, config.chips, "chips (in the chip engine)") from None
        chip = {**result.summary(), "energy_by_component_j": result.energy_by_component_j}
    stage("cost model", progress)
    return design_report(design, accuracy, time.perf_counter() - started, chip)
