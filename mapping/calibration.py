"""ADC ranges a designer would set: the full scale of every layer's column conversions.

* ``worst_case``: the largest count a column can reach in one read (every input at a top-level
  cell): never saturates, but wastes codes when the counts concentrate far below it, as they
  do for many rows, sparse inputs or weights (a 128-row tile of 4-bit cells reads 0..1920);
* ``calibrated``: the ``coverage`` quantile of the column counts that calibration inputs produce
  on each layer's tiles (the exact counts the nominal cells would report), so that fraction of
  the conversions does not saturate -- percentile calibration of a quantizer's range (Wu, Judd,
  Zhang, Isaev & Micikevicius, "Integer quantization for deep learning inference: principles and
  empirical evaluation", arXiv:2004.09602, 2020, Sec. 4.2) applied to each layer's partial sums;
* ``fixed``: one full scale in counts for every layer.

Latched tiles keep their worst-case scale: a latch compares against a threshold count.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from imc.errors import int_in_range, require
from imc.mapping.plan import MappingPlan
from imc.mapping.spec import exact_integer_matmul, run_layers

ADC_RANGES = ("worst_case", "calibrated", "fixed")


def layer_counts(plan: MappingPlan, index: int, x_layer: np.ndarray) -> np.ndarray:
    """Every column count (one value per input, cycle, read and column) the tiles of matrix layer
    ``index`` produce for its matrix inputs ``x_layer`` (..., n_in) on nominal cells, float64."""
    layer = plan.layers[index]
    flat = x_layer.reshape(-1, layer.spec.n_in)
    counts = []
    for tile in layer.tiles:
        if tile.latch is not None:
            continue
        x_tile = flat[:, tile.inputs]
        for read in tile.reads:
            word_lines = tile.encoding.word_lines(x_tile[:, read]).astype(np.float64)
            counts.append((word_lines @ tile.states[tile.read_rows(read)].astype(np.float64)).ravel())
    return np.concatenate(counts) if counts else np.zeros(0)


def with_full_scales(plan: MappingPlan, full_scales: list[int | None]) -> MappingPlan:
    """The plan with layer i's ADC tiles converting over ``full_scales[i]`` counts (None: unchanged)."""
    layers = []
    for placement, full_scale in zip(plan.layers, full_scales):
        if full_scale is not None:
            tiles = [tile if tile.latch is not None else dataclasses.replace(tile, full_scale_count=full_scale)
                     for tile in placement.tiles]
            placement = dataclasses.replace(placement, tiles=tiles, full_scale_count=full_scale)
        layers.append(placement)
    return dataclasses.replace(plan, layers=layers)


def calibrate(plan: MappingPlan, x: np.ndarray, coverage: float = 1.0) -> MappingPlan:
    """Each layer's full scale from calibration inputs ``x`` (first-op codes): the inverted-CDF
    ``coverage`` quantile of its column counts (`layer_counts`), rounded up to a whole count, at
    least 1 and at most the worst case."""
    require("calibration_coverage", coverage, isinstance(coverage, (int, float)) and 0 < coverage <= 1,
            "must be in (0, 1]")
    full_scales = []

    def matvec(index, layer, x_layer):
        counts = layer_counts(plan, index, x_layer)
        worst = plan.layers[index].full_scale_count
        quantile = float(np.quantile(counts, coverage, method="inverted_cdf")) if counts.size else worst
        full_scales.append(min(worst, max(1, math.ceil(quantile))))
        return exact_integer_matmul(x_layer, layer.weights)

    run_layers(plan.ops, x, matvec)
    return with_full_scales(plan, full_scales)


def set_adc_range(plan: MappingPlan, adc_range: str, x_calibration: np.ndarray | None = None,
                  coverage: float = 1.0, full_scale_count: int | None = None) -> MappingPlan:
    """The plan with the ADC range of ``adc_range`` (`ADC_RANGES`, module docstring)."""
    require("adc_range", adc_range, adc_range in ADC_RANGES, f"allowed: {list(ADC_RANGES)}")
    if adc_range == "worst_case":
        return plan
    if adc_range == "fixed":
        int_in_range("adc_full_scale_count", full_scale_count, 1)
        return with_full_scales(plan, [full_scale_count] * len(plan.layers))
    require("x_calibration", None, x_calibration is not None, "calibrated ranges need calibration inputs")
    return calibrate(plan, x_calibration, coverage)
