"""ADC ranges a designer would set: the full scale of every layer's column conversions.

* ``worst_case``: the largest count a column can reach in one read (every input at a top-level
  cell): never saturates, but wastes codes when the counts concentrate far below it, as they
  do for many rows, sparse inputs or weights (a 128-row tile of 4-bit cells reads 0..1920);
* ``calibrated``: the ``coverage`` quantile of the column counts (their magnitudes: a balanced pair's
  difference is signed and its converter's range symmetric) that calibration inputs produce
  on each layer's tiles (the exact counts the nominal cells would report), so that fraction of
  the conversions does not saturate -- percentile calibration of a quantizer's range (Wu, Judd,
  Zhang, Isaev & Micikevicius, "Integer quantization for deep learning inference: principles and
  empirical evaluation", arXiv:2004.09602, 2020, Sec. 4.2) applied to each layer's partial sums;
* ``fixed``: one full scale in counts for every layer.

Calibrated ranges are set per layer (one reference for all its column ADCs) or per column (each
column ADC referenced to the quantile of its own counts, as CrossSim's per-column ADC ranges; the
slices of a bit-sliced weight then each get a range that fits their counts). With per-column ranges a
tile's ``full_scale_count`` -- what an SRAM word-line pulse is sized for -- is the largest of its
layer's column ranges.

Latched tiles keep their worst-case scale: a latch compares against a threshold count.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from imc.errors import int_in_range, require
from imc.mapping.plan import MappingPlan
from imc.mapping.spec import exact_integer_matmul, run_layers

ADC_RANGES = ("worst_case", "calibrated", "fixed")
CALIBRATION_SCOPES = ("layer", "column")


def tile_counts(tile, x_tile: np.ndarray) -> np.ndarray:
    """Every converted column's count the tile's nominal cells produce for its inputs ``x_tile`` (batch,
    tile inputs): (batch x cycles x reads, converted columns) float64, a paired tile's signed."""
    counts = []
    for read in tile.reads:
        word_lines = tile.encoding.word_lines(x_tile[:, read]).astype(np.float64)
        counts.append(tile.pair_difference(word_lines @ tile.states[tile.read_rows(read)].astype(np.float64)))
    return np.concatenate(counts)


def layer_counts(plan: MappingPlan, index: int, x_layer: np.ndarray) -> np.ndarray:
    """Every column count (one value per input, cycle, read and column) the tiles of matrix layer
    ``index`` produce for its matrix inputs ``x_layer`` (..., n_in) on nominal cells, float64."""
    layer = plan.layers[index]
    flat = x_layer.reshape(-1, layer.spec.n_in)
    counts = [tile_counts(tile, flat[:, tile.inputs]).ravel() for tile in layer.tiles if tile.latch is None]
    return np.concatenate(counts) if counts else np.zeros(0)


def with_full_scales(plan: MappingPlan, full_scales: list[int | None]) -> MappingPlan:
    """The plan with layer i's ADC tiles converting over ``full_scales[i]`` counts (None: unchanged)."""
    return dataclasses.replace(plan, layers=[placement if full_scale is None else _with_full_scale(placement, full_scale)
                                             for placement, full_scale in zip(plan.layers, full_scales)])


def _with_full_scale(placement, full_scale: int):
    """The layer with every ADC tile converting over ``full_scale`` counts (one range per layer)."""
    tiles = [tile if tile.latch is not None else
             dataclasses.replace(tile, full_scale_count=full_scale, column_full_scales=None)
             for tile in placement.tiles]
    return dataclasses.replace(placement, tiles=tiles, full_scale_count=full_scale)


def calibrate(plan: MappingPlan, x: np.ndarray, coverage: float = 1.0, scope: str = "layer") -> MappingPlan:
    """Each layer's full scale -- or with ``scope`` "column" each column's -- from calibration inputs
    ``x`` (first-op codes): the inverted-CDF ``coverage`` quantile of its column counts (`layer_counts`,
    `tile_counts`), rounded up to a whole count, at least 1 and at most the worst case."""
    require("calibration_coverage", coverage, isinstance(coverage, (int, float)) and 0 < coverage <= 1,
            "must be in (0, 1]")
    require("calibration_scope", scope, scope in CALIBRATION_SCOPES, f"allowed: {list(CALIBRATION_SCOPES)}")
    placements = []

    def ranges(counts, worst):  # of the counts' magnitudes: a paired tile's bipolar range is symmetric
        quantile = np.quantile(np.abs(counts), coverage, axis=0, method="inverted_cdf") if len(counts) else worst
        return np.clip(np.ceil(quantile), 1, worst)

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        worst = placement.full_scale_count
        if scope == "layer":
            placements.append(_with_full_scale(placement, int(ranges(layer_counts(plan, index, x_layer), worst))))
        else:
            flat = x_layer.reshape(-1, layer.n_in)
            columns = {id(t): ranges(tile_counts(t, flat[:, t.inputs]), worst) for t in placement.tiles
                       if t.latch is None}
            placements.append(_with_column_full_scales(placement, columns))
        return exact_integer_matmul(x_layer, layer.weights)

    run_layers(plan.ops, x, matvec)
    return dataclasses.replace(plan, layers=placements)


def _with_column_full_scales(placement, columns: dict):
    """The layer with each ADC tile's columns converting over their own range (``columns``: tile id ->
    (cols,) counts) and its full scale the largest of them."""
    if not columns:
        return placement
    full_scale = int(max(ranges.max() for ranges in columns.values()))
    tiles = [tile if tile.latch is not None else
             dataclasses.replace(tile, full_scale_count=full_scale, column_full_scales=columns[id(tile)])
             for tile in placement.tiles]
    return dataclasses.replace(placement, tiles=tiles, full_scale_count=full_scale)


def set_adc_range(plan: MappingPlan, adc_range: str, x_calibration: np.ndarray | None = None,
                  coverage: float = 1.0, full_scale_count: int | None = None, scope: str = "layer") -> MappingPlan:
    """The plan with the ADC range of ``adc_range`` (`ADC_RANGES`, module docstring), calibrated per
    ``scope`` (`CALIBRATION_SCOPES`)."""
    require("adc_range", adc_range, adc_range in ADC_RANGES, f"allowed: {list(ADC_RANGES)}")
    if adc_range == "worst_case":
        return plan
    if adc_range == "fixed":
        int_in_range("adc_full_scale_count", full_scale_count, 1)
        return with_full_scales(plan, [full_scale_count] * len(plan.layers))
    require("x_calibration", None, x_calibration is not None, "calibrated ranges need calibration inputs")
    return calibrate(plan, x_calibration, coverage, scope)
