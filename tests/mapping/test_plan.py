import numpy as np
import pytest

from imc.arrays import ArrayGeometry
from imc.errors import ParameterError
from imc.mapping import (ENCODINGS, ConvGeometry, FlattenSpec, LayerSpec, MappingError, PoolSpec, map_layers,
                         run_layers)


def geometry(rows, cols, encodings=("xnor", "offset"), sensing=("adc",)):
    return ArrayGeometry(rows, cols, 2, ("bit_serial",), sensing, encodings)


def binary(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


def spec(n_in, n_out, seed=0, name="layer"):
    rng = np.random.default_rng(seed)
    return LayerSpec(name, binary(rng, (n_in, n_out)), thresholds=np.zeros(n_out, np.int32))


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("rows, cols", [(256, 128), (64, 32), (37, 5)])
def test_tiles_cover_every_weight_exactly_once(encoding, rows, cols):
    layers = [spec(300, 70, 1, "a"), spec(70, 10, 2, "b")]
    plan = map_layers(layers, geometry(rows, cols), encoding)
    for layer, placement in zip(layers, plan.layers):
        covered = np.zeros(layer.weights.shape, dtype=int)
        for tile in placement.tiles:
            covered[tile.inputs, tile.outputs] += 1
            assert np.array_equal(tile.weights, layer.weights[tile.inputs, tile.outputs])
            assert tile.states.shape[0] <= rows and tile.states.shape[1] <= cols
        assert np.all(covered == 1)
    assert sorted(t.array_index for p in plan.layers for t in p.tiles) == list(range(plan.n_arrays))


def test_array_count_and_utilisation_closed_form():
    plan = map_layers([spec(300, 70)], geometry(256, 128), "xnor")
    placement = plan.layers[0]
    # 128 inputs and 128 outputs per array: ceil(300/128) = 3 row tiles, 1 column tile
    assert (placement.row_tiles, placement.col_tiles, placement.n_arrays) == (3, 1, 3)
    assert placement.utilisation == pytest.approx(2 * 300 * 70 / (3 * 256 * 128))
    offset = map_layers([spec(300, 70)], geometry(256, 128), "offset").layers[0]
    # 256 inputs and 127 outputs (+1 reference column) per array: 2 x 1 tiles
    assert (offset.row_tiles, offset.col_tiles) == (2, 1)
    assert offset.utilisation == pytest.approx(300 * 71 / (2 * 256 * 128))
    summary = plan.summary()
    assert summary.loc[0, "arrays"] == 3 and list(summary["layer"]) == ["layer"]


def test_run_layers_applies_thresholds_and_affine_output():
    w = np.array([[1, -1], [1, 1], [-1, 1]], dtype=np.int8)
    hidden = LayerSpec("h", w, thresholds=np.array([1, -1]))
    last = LayerSpec("o", np.array([[1], [-1]], dtype=np.int8), scale=np.array([0.5]), offset=np.array([1.0]))
    x = np.array([[1, 1, 1], [-1, 1, -1]], dtype=np.int8)
    # z = x @ w = [[1, 1], [1, 1]] -> sign layer [[+1, +1], [+1, +1]] -> z2 = 0 -> 0.5*0 + 1
    assert run_layers([hidden, last], x).tolist() == [[1.0], [1.0]]


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": np.ones((3, 2), dtype=np.int8) * 2, "thresholds": np.zeros(2)}, "-1 or \\+1"),
    ({"weights": np.ones((3,), dtype=np.int8), "thresholds": np.zeros(1)}, "2-D"),
    ({"weights": np.ones((3, 2)), "thresholds": np.zeros(2)}, "integers"),
    ({"weights": np.ones((3, 2), dtype=np.int8), "thresholds": np.zeros(3)}, "shape"),
    ({"weights": np.ones((3, 2), dtype=np.int8)}, "output stage"),
    ({"weights": np.arange(6).reshape(3, 2), "thresholds": np.zeros(2), "weight_bits": 2}, "do not fit"),
    ({"weights": np.ones((3, 2), dtype=np.int8), "thresholds": np.zeros((2, 2))}, "2 output levels need 1"),
])
def test_bad_layer_specs_raise_naming_the_layer(kwargs, message):
    with pytest.raises(MappingError, match=message) as info:
        LayerSpec("bad", **kwargs)
    assert "'bad'" in str(info.value)


@pytest.mark.parametrize("rows, cols, field", [(0, 8, "word_lines"), (8, -2, "bit_lines")])
def test_bad_geometry_raises_naming_the_field(rows, cols, field):
    with pytest.raises(ParameterError) as info:
        geometry(rows, cols)
    assert info.value.field == field


@pytest.mark.parametrize("rows, cols, encoding, field", [
    (8, 8, "nope", "encoding"), (1, 8, "xnor", "rows x cols"), (8, 1, "offset", "rows x cols"),
])
def test_bad_mapping_raises_naming_the_field(rows, cols, encoding, field):
    with pytest.raises(ParameterError) as info:
        map_layers([spec(4, 4)], geometry(rows, cols), encoding)
    assert info.value.field == field


def test_an_encoding_the_cells_do_not_support_is_refused_naming_what_they_do():
    with pytest.raises(ParameterError, match=r"support the encodings \['xnor'\]") as info:
        map_layers([spec(4, 4)], geometry(8, 8, encodings=("xnor",)), "offset")
    assert info.value.field == "encoding"


def test_latches_read_single_tile_sign_layers_when_the_array_has_them():
    layers = [spec(300, 70, 1, "wide"), spec(70, 10, 2, "narrow")]
    latched = map_layers(layers, geometry(256, 128, sensing=("adc", "sense_amp")), "xnor")
    wide, narrow = latched.layers
    assert {t.sensing for t in wide.tiles} == {"adc"} and wide.row_tiles == 3  # partial sums need ADCs
    (tile,) = narrow.tiles
    assert tile.sensing == "sense_amp"
    # XNOR: z = 2 count - n >= t  <=>  count >= ceil((t + n) / 2); here t = 0, n = 70
    assert np.array_equal(tile.latch.count_thresholds, np.full(10, 35))
    assert np.array_equal(tile.latch.apply(np.array([True, False] * 5)), [0, -1] * 5)
    no_latches = map_layers(layers, geometry(256, 128), "xnor")
    assert {t.sensing for t in no_latches.tiles} == {"adc"}
    offset = map_layers(layers, geometry(256, 128, sensing=("adc", "sense_amp")), "offset")
    assert {t.sensing for t in offset.tiles} == {"adc"}  # its reference column needs a conversion


def test_multi_bit_and_convolution_layers_are_sliced_and_binary_cells_that_cannot_slice_refuse_them():
    four_bit = LayerSpec("q4", np.arange(-4, 4).reshape(4, 2), weight_bits=4, input_bits=4,
                         scale=np.ones(2), offset=np.zeros(2))
    plan = map_layers([four_bit], ArrayGeometry(64, 16, 4, ("bit_serial",), ("adc",), ("xnor",), ("offset",)), "xnor")
    (tile,) = plan.tiles
    # weights -4..3 = 1 u - 4, u < 8: 3 bits on 2-bit cells -> 2 slices + 1 reference column
    assert tile.sliced and tile.cycles == 4 and tile.states.shape == (4, 2 * 2 + 1)
    with pytest.raises(ParameterError, match="these arrays slice them with none") as info:
        map_layers([four_bit], geometry(64, 16, encodings=("xnor",)), "xnor")
    assert info.value.field == "weights"
    conv = LayerSpec("c", np.ones((9, 2), dtype=np.int8), scale=np.ones(2), offset=np.zeros(2),
                     conv=ConvGeometry((3, 3), 1, 1, (4, 4, 1)))
    assert map_layers([conv], ArrayGeometry(64, 16, 2, ("bit_serial",), ("adc",), ("xnor",), ("offset",)),
                      "xnor").tiles[0].cycles == 2  # +-1 and zero-padded patches: planes [x > 0] and [x < 0]


def test_multi_bit_inputs_take_one_cycle_by_amplitude_or_pulse_width_where_the_drivers_offer_it():
    four_bit = LayerSpec("q4", np.arange(-4, 4).reshape(4, 2), weight_bits=4, input_bits=4,
                         scale=np.ones(2), offset=np.zeros(2))
    dac = ArrayGeometry(64, 16, 4, ("bit_serial", "amplitude"), ("adc",), ("xnor",), ("offset",), input_bits=6)
    serial, (amplitude,) = map_layers([four_bit], dac).tiles[0], map_layers([four_bit], dac, inputs="amplitude").tiles
    assert (serial.cycles, amplitude.cycles) == (4, 1)
    assert amplitude.encoding.scheme == "amplitude"
    assert amplitude.full_scale_count == 15 * serial.full_scale_count  # 4 rows x 3 levels x 15 steps
    with pytest.raises(ParameterError, match=r"inputs = 'pulse_width': these arrays' word-line drivers offer "
                                             r"\['bit_serial', 'amplitude'\]"):
        map_layers([four_bit], dac, inputs="pulse_width")
    with pytest.raises(ParameterError, match=r"inputs = 'analog'.*allowed"):
        map_layers([four_bit], dac, inputs="analog")
    narrow = ArrayGeometry(64, 16, 4, ("bit_serial", "amplitude"), ("adc",), ("xnor",), ("offset",), input_bits=3)
    with pytest.raises(MappingError, match=r"layer 'q4': 4-bit inputs by 'amplitude' need a drive of at least 4 "
                                           r"bits; the arrays' drivers take 3 \(array.input_bits\)"):
        map_layers([four_bit], narrow, inputs="amplitude")


def test_multi_level_output_stage_counts_thresholds_passed():
    layer = LayerSpec("q", np.array([[1, -1]], dtype=np.int8), weight_bits=1,
                      thresholds=np.array([[-1, 0], [0, 1], [1, 2]]), levels=np.array([0, 1, 2, 3]))
    z = np.array([[-1, -2], [0, 0], [1, 1], [5, 5]])
    assert layer.output(z).tolist() == [[1, 0], [2, 1], [3, 2], [3, 3]]


def test_convolution_spec_runs_im2col_like_a_direct_convolution():
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, size=(2, 5, 5, 2))
    w = np.where(rng.random((3, 3, 2, 4)) < 0.5, 1, -1)
    geometry = ConvGeometry((3, 3), 2, 1, (5, 5, 2))
    layer = LayerSpec("c", w.reshape(18, 4), scale=np.ones(4), offset=np.zeros(4), conv=geometry)
    out = run_layers([layer], x)
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    direct = np.zeros((2, 3, 3, 4))
    for i in range(3):
        for j in range(3):
            patch = padded[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3, :]
            direct[:, i, j] = np.einsum("nhwc,hwco->no", patch, w)
    assert geometry.out_shape == (3, 3)
    assert np.array_equal(out, direct)


def test_pool_and_flatten_ops():
    x = np.arange(2 * 4 * 4 * 3).reshape(2, 4, 4, 3)
    pooled = PoolSpec("p", 2, 2).apply(x)
    assert pooled.shape == (2, 2, 2, 3)
    assert pooled[0, 0, 0].tolist() == x[0, 1, 1].tolist()
    assert FlattenSpec().apply(pooled).shape == (2, 12)
