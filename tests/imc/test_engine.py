import dataclasses

import numpy as np
import pytest

from imc import engine
from imc.arrays import ColumnADC, ResistiveArray, SRAMArray
from imc.arrays.base import Conditions
from imc.devices import XNORSRAM
from imc.errors import ParameterError
from imc.mapping import map_layers
from imc.nn import zoo
from imc.nn.data import load_digits


@pytest.fixture(scope="module")
def setup():
    model, _ = zoo.load("bnn_mlp_digits")
    data = load_digits()
    return model, data, model.encode(data.x_test)


@pytest.mark.parametrize("encoding, rows, cols, bits", [
    ("xnor", 256, 128, 8), ("xnor", 64, 48, 6), ("xnor", 1024, 256, 10),
    ("offset", 256, 128, 9), ("offset", 100, 30, 7),
])
def test_hardware_equals_software_bit_for_bit_without_variation(setup, encoding, rows, cols, bits):
    model, data, x = setup
    array = SRAMArray(rows=rows, cols=cols, adc=ColumnADC(bits=bits))
    plan = map_layers(model.ops, array.geometry(), encoding)
    assert 2 ** bits - 1 >= max(p.full_scale_count for p in plan.layers)
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    hardware = engine.hardware_logits(plan, array, x, nominal)[0]
    assert np.array_equal(hardware, model.logits(data.x_test))


def test_zero_mismatch_chips_match_software_even_with_variation_sampling_on(setup):
    model, data, x = setup
    ideal_cell = dataclasses.replace(SRAMArray().device, a_vt_v_m=0.0)
    array = SRAMArray(device=ideal_cell)
    plan = map_layers(model.ops, SRAMArray().geometry(), "xnor")
    accuracy = engine.chip_accuracies(plan, array, x, data.y_test, seed=5, chips=3)
    assert np.all(accuracy == np.mean(model.predict(data.x_test) == data.y_test))


def test_too_few_adc_bits_break_exactness(setup):
    model, data, x = setup
    array = SRAMArray(adc=ColumnADC(bits=3))
    plan = map_layers(model.ops, SRAMArray().geometry(), "xnor")
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert not np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], model.logits(data.x_test))


def test_same_seed_same_chips_other_seed_other_chips(setup):
    model, data, x = setup
    array, plan = SRAMArray(), map_layers(model.ops, SRAMArray().geometry(), "xnor")
    a = engine.chip_accuracies(plan, array, x, data.y_test, seed=11, chips=6)
    b = engine.chip_accuracies(plan, array, x, data.y_test, seed=11, chips=6)
    c = engine.chip_accuracies(plan, array, x, data.y_test, seed=12, chips=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_results_do_not_depend_on_chunking_workers_or_chip_count(setup):
    model, data, x = setup
    array, plan = SRAMArray(), map_layers(model.ops, SRAMArray().geometry(), "xnor")
    whole = engine.chip_accuracies(plan, array, x, data.y_test, seed=3, chips=7, chunk=7, workers=1)
    pieces = engine.chip_accuracies(plan, array, x, data.y_test, seed=3, chips=7, chunk=2, workers=3)
    first = engine.chip_accuracies(plan, array, x, data.y_test, seed=3, chips=4, workers=2)
    assert np.array_equal(whole, pieces) and np.array_equal(whole[:4], first)


def test_one_chip_shares_its_inputs_among_workers_with_the_same_numbers(setup, monkeypatch):
    model, data, x = setup
    monkeypatch.setattr(engine, "MIN_SHARE", 64)  # shares of the 360 test images
    sram, sram_plan = SRAMArray(), map_layers(model.ops, SRAMArray().geometry(), "xnor")
    rram = ResistiveArray()
    rram_plan = map_layers(model.ops, rram.geometry(), "xnor")
    quiet = Conditions(read_noise=False)
    for array, plan in ((sram, sram_plan), (rram, rram_plan)):
        chip = engine.sample_chips(array, plan, engine.chip_seeds(4, 1), True, quiet)[0]
        assert chip.read_rng is None
        whole = engine.hardware_logits(plan, array, x, [chip])[0]
        assert np.array_equal(engine.chip_logits(plan, array, x, chip, workers=3), whole)
        one = engine.chip_accuracies(plan, array, x, data.y_test, seed=4, chips=1, conditions=quiet, workers=2)
        assert one[0] == np.mean(whole.argmax(-1) == data.y_test)
    for variation in (False, True):  # the single-chip path gives what the chunked path gives its first chip
        one = engine.chip_accuracies(rram_plan, rram, x, data.y_test, seed=4, chips=1, variation=variation,
                                     workers=2)
        three = engine.chip_accuracies(rram_plan, rram, x, data.y_test, seed=4, chips=3, variation=variation,
                                       workers=2)
        assert one[0] == three[0]
    noisy, twin = engine.sample_chips(rram, rram_plan, engine.chip_seeds(4, 1) * 2, True)
    assert noisy.read_rng is not None  # read noise: one pass, its draws in the inputs' order
    assert np.array_equal(engine.chip_logits(rram_plan, rram, x, noisy, workers=2),
                          engine.hardware_logits(rram_plan, rram, x, [twin])[0])


def test_input_blocks_do_not_change_the_outputs(setup):
    model, _, x = setup
    array, plan = SRAMArray(), map_layers(model.ops, SRAMArray().geometry(), "xnor")
    chips = engine.sample_chips(array, plan, engine.chip_seeds(0, 2), variation=True)
    assert np.array_equal(engine.hardware_logits(plan, array, x, chips, block=37),
                          engine.hardware_logits(plan, array, x, chips))


def test_bad_worker_count_is_named():
    with pytest.raises(ParameterError, match="workers"):
        engine.chip_accuracies(None, SRAMArray(), np.zeros((1, 4)), np.zeros(1), seed=0, chips=2, workers=0)


def test_static_variation_is_reused_across_the_test_set(setup):
    model, _, x = setup
    array, plan = SRAMArray(), map_layers(model.ops, SRAMArray().geometry(), "xnor")
    chips = engine.sample_chips(array, plan, engine.chip_seeds(0, 2), variation=True)
    full = engine.hardware_logits(plan, array, x, chips)
    half = engine.hardware_logits(plan, array, x[:100], chips)
    assert np.array_equal(full[:, :100], half)


def test_larger_mismatch_lowers_mean_accuracy(setup):
    model, data, x = setup
    plan = map_layers(model.ops, SRAMArray().geometry(), "xnor")
    software = np.mean(model.predict(data.x_test) == data.y_test)
    means = []
    for a_vt in (0.5e-9, 9e-9):
        array = SRAMArray(device=dataclasses.replace(SRAMArray().device, a_vt_v_m=a_vt))
        means.append(engine.chip_accuracies(plan, array, x, data.y_test, seed=0, chips=12).mean())
    assert abs(means[0] - software) < 0.005  # sigma(Vth) = 6 mV: close to the software network
    assert means[1] < software - 0.02          # sigma(Vth) = 112 mV: clearly degraded


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["xnor", "offset"])
@pytest.mark.parametrize("rows", [16, 33, 128, 512, 1024])
@pytest.mark.parametrize("cols", [8, 50, 300])
def test_exactness_over_array_geometries(setup, encoding, rows, cols):
    """Bit-exact hardware for every geometry, with the fewest ADC bits that resolve a column."""
    model, data, x = setup
    plan = map_layers(model.ops, SRAMArray(rows=rows, cols=cols).geometry(), encoding)
    bits = int(np.ceil(np.log2(max(p.full_scale_count for p in plan.layers) + 1)))
    array = SRAMArray(rows=rows, cols=cols, adc=ColumnADC(bits=bits))
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], model.logits(data.x_test))


def test_xnor_cells_hold_both_complementary_rows_in_one_physical_row(setup):
    model, data, x = setup
    xnor = SRAMArray(rows=128, cols=128, v_wl_v=0.7, device=XNORSRAM())
    six_t = SRAMArray(rows=128, cols=128, v_wl_v=0.7)
    assert xnor.logical_rows == 256 and six_t.logical_rows == 128
    plan = map_layers(model.ops, xnor.geometry(), "xnor")
    assert plan.n_arrays < map_layers(model.ops, six_t.geometry(), "xnor").n_arrays
    nominal = engine.sample_chips(xnor, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, xnor, x, nominal)[0], model.logits(data.x_test))
    chip = xnor.sample_instance(plan.n_arrays, np.random.default_rng(engine.chip_seeds(0, 1)[0]))
    assert chip.cells.shape == (plan.n_arrays, 256, 128)
    # the two ports of a physical row have independent mismatch
    assert abs(np.corrcoef(chip.cells[0, 0::2].ravel(), chip.cells[0, 1::2].ravel())[0, 1]) < 0.05
    accuracy = engine.chip_accuracies(plan, xnor, x, data.y_test, seed=0, chips=4)
    assert np.all(accuracy > 0.9)


def test_sense_amplifiers_replace_adcs_on_single_tile_sign_layers(setup):
    model, data, x = setup
    array = SRAMArray(rows=512, cols=128, sensing="sense_amp", adc=ColumnADC(bits=9))
    plan = map_layers(model.ops, array.geometry(), "xnor")
    assert [p.tiles[0].sensing for p in plan.layers] == ["sense_amp", "sense_amp", "adc"]
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], model.logits(data.x_test))
    from imc.performance import estimate
    adc_array = dataclasses.replace(array, sensing="adc")
    latch, adc = estimate(plan, array, x), estimate(map_layers(model.ops, adc_array.geometry(), "xnor"), adc_array, x)
    assert latch.energy.loc["dense0", "adc"] == 0 and latch.energy.loc["dense0", "sense_amp"] > 0
    assert latch.energy_per_inference_j < adc.energy_per_inference_j
    assert latch.latency_s < adc.latency_s


def test_sense_amplifier_offsets_cost_accuracy(setup):
    model, data, x = setup
    array = SRAMArray(rows=512, cols=128, sensing="sense_amp", adc=ColumnADC(bits=9))
    plan = map_layers(model.ops, array.geometry(), "xnor")
    ideal_latch = dataclasses.replace(array.sense_amp, a_vt_v_m=0.0)
    exact = engine.chip_accuracies(plan, dataclasses.replace(array, sense_amp=ideal_latch), x, data.y_test, 0, 4)
    offset = engine.chip_accuracies(plan, array, x, data.y_test, 0, 4)
    assert offset.mean() < exact.mean()


@pytest.mark.parametrize("encoding", ["xnor", "offset"])
def test_fused_engine_agrees_with_the_plain_word_line_path_under_variation(setup, encoding):
    """The engine's folded GEMM + fused sensing kernel against the textbook path (word lines @ cells
    per chip, `SRAMArray.column_counts`, `decode`) on the first layer, with mismatch, ADC offset,
    gain, INL and DNL: the only difference allowed is float32 summation order, which can move a
    value across a decision threshold (one count) in rare elements (1e-5 of them here)."""
    from imc.mapping import ENCODINGS
    model, _, x = setup
    array = SRAMArray(adc=ColumnADC(sigma_offset_lsb=0.5, sigma_gain_rel=0.01, inl_lsb=0.5, sigma_dnl_lsb=0.2))
    plan = map_layers(model.ops, array.geometry(), encoding)
    seeds = engine.chip_seeds(3, 2)
    chips = engine.sample_chips(array, plan, seeds, variation=True)
    layer = plan.layers[0].spec
    linear = dataclasses.replace(layer, thresholds=None, levels=(0,), scale=np.ones(layer.n_out),
                                 offset=np.zeros(layer.n_out))  # the engine then returns z itself
    first = dataclasses.replace(plan, ops=[plan.ops[0], linear], layers=plan.layers[:1])
    first_tiles = len(plan.layers[0].tiles)
    engine_z = engine.hardware_logits(first, array, x, [dataclasses.replace(chip, states=chip.states[:first_tiles])
                                                        for chip in chips])
    enc = ENCODINGS[encoding]()
    signs = x.reshape(len(x), -1)
    z = np.zeros((2, len(x), layer.n_out), np.int64)
    for c, seed in enumerate(seeds):
        chip = array.sample_instance(plan.n_arrays, np.random.default_rng(seed))  # the same draws as `program`
        for tile in first.layers[0].tiles:
            rows, cols = tile.states.shape
            counts = array.column_counts(enc.word_lines(signs[:, tile.inputs]),
                                         tile.states * chip.cells[tile.array_index, :rows, :cols],
                                         first.layers[0].full_scale_count, chip.adcs[tile.array_index])
            z[c, :, tile.outputs] += enc.decode(counts, tile.weights)
    differ = engine_z != z
    one_count = ENCODINGS[encoding]().decoding(layer.weights).gain
    assert np.mean(differ) < 1e-3 and np.all(np.abs(engine_z - z)[differ] <= one_count)
    exact = signs.astype(np.int64) @ layer.weights.astype(np.int64)
    assert np.mean(z != exact) > 0.05  # the variation is visible, so the agreement is not trivial


def test_tiles_reading_the_same_inputs_share_one_computation_of_their_drives(setup, monkeypatch):
    model, data, x = setup
    array = SRAMArray()
    plan = map_layers(model.ops, array.geometry(), "xnor")
    chip = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), True)[0]
    expected = engine.hardware_logits(plan, array, x, [chip])
    encodings = {id(tile.encoding): tile.encoding for tile in plan.tiles}
    calls = []
    for encoding in encodings.values():
        drives = encoding.drives
        monkeypatch.setattr(encoding, "drives", lambda codes, drives=drives: calls.append(1) or drives(codes),
                            raising=False)
    assert np.array_equal(engine.hardware_logits(plan, array, x, [chip]), expected)
    rows_of_tiles = {(layer, tile.inputs.start) for layer, placement in enumerate(plan.layers)
                     for tile in placement.tiles}
    assert len(calls) == len(rows_of_tiles) < len(plan.tiles)
