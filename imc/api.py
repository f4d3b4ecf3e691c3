"""The public entry point: ``simulate(config) -> Report``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from imc import engine, performance
from imc.config import SimConfig, load_config, to_dict
from imc.mapping import map_layers
from imc.mapping.calibration import set_adc_range
from imc.nn import zoo
from imc.nn.data import load_dataset
from imc.report import Report


def simulate(config: SimConfig | dict | str | Path | None = None, progress: bool = False,
             workers: int | None = None) -> Report:
    """Simulate a design: accuracy over Monte-Carlo chips, energy, latency, throughput.

    ``config`` is a `SimConfig`, a dict or TOML path loaded by `load_config`, or None for
    the built-in default design. ``workers``: threads simulating chips (default: one per CPU);
    the results do not depend on it.
    """
    started = time.perf_counter()
    if not isinstance(config, SimConfig):
        config = load_config(config)
    model, _ = zoo.load(config.model)
    data = load_dataset(config.dataset, config.dataset_path)
    x = model.encode(data.x_test)
    array = config.chip_array
    mapping = config.mapping
    plan = map_layers(model.ops, array.geometry(), mapping.encoding, mapping.weights, mapping.rows_per_read,
                      mapping.replicas, mapping.max_arrays)
    plan = set_adc_range(plan, mapping.adc_range, model.encode(data.x_train[:mapping.calibration_inputs]),
                         mapping.calibration_coverage, mapping.adc_full_scale_count)
    software = float(np.mean(model.predict(data.x_test) == data.y_test))
    accuracy = engine.chip_accuracies(plan, array, x, data.y_test, config.seed, config.chips, config.variation,
                                      config.conditions, progress=progress, workers=workers)
    perf = performance.estimate(plan, array, x)
    return Report(
        config=to_dict(config),
        n_test=len(data.y_test),
        software_accuracy=software,
        chip_accuracy=accuracy,
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
        runtime_s=time.perf_counter() - started,
    )
