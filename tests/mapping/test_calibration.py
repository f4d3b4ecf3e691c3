import numpy as np
import pytest

from imc.arrays import ArrayGeometry
from imc.errors import ParameterError
from imc.mapping import LayerSpec, map_layers
from imc.mapping.calibration import calibrate, layer_counts, set_adc_range

GEOMETRY = ArrayGeometry(64, 64, 16, ("bit_serial",), ("adc",), ("xnor",), ("offset", "differential", "balanced"))


def layer(seed=0, n_in=64, n_out=8):
    rng = np.random.default_rng(seed)
    return LayerSpec("q", rng.integers(-8, 8, (n_in, n_out)), weight_bits=4, input_bits=4,
                     scale=np.ones(n_out), offset=np.zeros(n_out))


def test_calibrated_full_scale_is_the_quantile_of_the_exact_column_counts():
    plan = map_layers([layer()], GEOMETRY)
    x = np.random.default_rng(1).integers(0, 16, (200, 64))
    counts = layer_counts(plan, 0, x)
    # 200 inputs x 4 cycles x (8 columns of 4-bit codes on 4-bit cells + 1 reference) per read
    assert counts.size == 200 * 4 * 9 and counts.max() <= plan.layers[0].full_scale_count == 64 * 15
    for coverage in (1.0, 0.9):
        calibrated = calibrate(plan, x, coverage)
        expected = int(np.ceil(np.quantile(counts, coverage, method="inverted_cdf")))
        assert calibrated.layers[0].full_scale_count == calibrated.tiles[0].full_scale_count == expected
    assert calibrate(plan, x, 1.0).layers[0].full_scale_count < 64 * 15 / 2  # sums concentrate below the worst case


def test_fixed_and_worst_case_ranges():
    plan = map_layers([layer()], GEOMETRY)
    assert set_adc_range(plan, "worst_case") is plan
    assert set_adc_range(plan, "fixed", full_scale_count=300).tiles[0].full_scale_count == 300
    with pytest.raises(ParameterError, match="adc_range = 'auto': allowed"):
        set_adc_range(plan, "auto")
    with pytest.raises(ParameterError, match="adc_full_scale_count"):
        set_adc_range(plan, "fixed")


def test_rows_per_read_splits_a_tile_into_reads_with_their_own_full_scale():
    plan = map_layers([layer()], GEOMETRY, rows_per_read=16)
    (tile,) = plan.tiles
    assert tile.reads == (slice(0, 16), slice(16, 32), slice(32, 48), slice(48, 64))
    assert tile.full_scale_count == 16 * 15
    with pytest.raises(ParameterError, match="rows_per_read = 65: must be an integer in \\[1, 64\\]"):
        map_layers([layer()], GEOMETRY, rows_per_read=65)


def test_per_column_ranges_are_each_columns_own_quantile_and_the_tile_keeps_the_largest():
    plan = map_layers([layer()], GEOMETRY)
    x = np.random.default_rng(1).integers(0, 16, (200, 64))
    tile = calibrate(plan, x, 1.0, scope="column").tiles[0]
    per_column = np.concatenate([((x >> b) & 1) @ plan.tiles[0].states for b in range(4)]).max(axis=0)
    assert np.array_equal(tile.column_full_scales, np.maximum(per_column, 1))
    assert tile.full_scale_count == per_column.max()
    assert np.array_equal(calibrate(plan, x, 1.0, scope="layer").tiles[0].adc_full_scales,
                          np.full(9, per_column.max()))
    with pytest.raises(ParameterError, match=r"calibration_scope = 'row': allowed: \['layer', 'column'\]"):
        calibrate(plan, x, 1.0, scope="row")


def test_per_column_ranges_resolve_small_columns_beside_large_ones():
    """Half the outputs hold weights near the code offset (small column counts), half large ones: one
    range per layer quantises the small columns with the large ones' LSB; per-column ranges do not."""
    from imc import engine
    from imc.arrays import ColumnADC, ResistiveArray
    rng = np.random.default_rng(3)
    weights = np.concatenate([rng.integers(-8, -6, (64, 8)), rng.integers(4, 8, (64, 8))], axis=1)
    spec = LayerSpec("q", weights, weight_bits=4, input_bits=4, scale=np.ones(16), offset=np.zeros(16))
    array = ResistiveArray(rows=64, cols=32, adc=ColumnADC(bits=5))
    x, x_calibration = rng.integers(0, 16, (400, 64)), rng.integers(0, 16, (400, 64))
    errors = {}
    for scope in ("layer", "column"):
        plan = calibrate(map_layers([spec], array.geometry()), x_calibration, 1.0, scope)
        chip = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
        errors[scope] = np.sqrt(np.mean((engine.hardware_logits(plan, array, x, chip)[0] - x @ weights) ** 2.0))
    assert errors["column"] < 0.6 * errors["layer"]


def test_balanced_pairs_calibrate_on_the_magnitude_of_their_signed_difference():
    """Per-column ranges of a balanced tile: one per pair, the largest |positive - negative| count."""
    plan = map_layers([layer()], GEOMETRY, weights="balanced")
    x = np.random.default_rng(1).integers(0, 16, (200, 64))
    tile = calibrate(plan, x, 1.0, scope="column").tiles[0]
    states = plan.tiles[0].states.astype(np.int64)
    difference = np.concatenate([((x >> b) & 1) @ (states[:, 0::2] - states[:, 1::2]) for b in range(4)])
    assert difference.min() < 0 and tile.converted_columns == 8 and tile.paired
    assert np.array_equal(tile.column_full_scales, np.maximum(np.abs(difference).max(axis=0), 1))
