"""The charge-domain 10T SRAM array: exact nominal dot products, column reads against the
charge-sharing closed form on mismatched chips, kT/C noise per read, attenuation, cost per op in
closed form, multi-bit weights in AND mode, and its parameter errors."""

import itertools
import math

import numpy as np
import pytest

import imc
from imc import engine
from imc.arrays import ARRAYS, ChargeSRAMArray, ColumnADC, Conditions, DigitalCosts, OpCost
from imc.devices import SRAM6T, ParameterError, SRAM10TCap
from imc.devices.sram import BOLTZMANN_J_PER_K
from imc.mapping import LayerSpec, map_layers
from imc.nn import zoo
from imc.nn.data import load_digits


def dense_layer(rng, n_in, n_out):
    """A final binary layer: the hardware logits are the integer dot products x @ w themselves."""
    weights = rng.choice(np.array([-1, 1], dtype=np.int8), (n_in, n_out))
    return LayerSpec("d", weights, scale=np.ones(n_out), offset=np.zeros(n_out))


def run(array, layer, x, encoding="xnor", variation=False, seed=0, read_noise=False):
    plan = map_layers([layer], array.geometry(), encoding)
    chips = engine.sample_chips(array, plan, engine.chip_seeds(seed, 1), variation,
                                Conditions(read_noise=read_noise))
    return engine.hardware_logits(plan, array, x, chips)[0]


def signs(rng, shape):
    return rng.choice(np.array([-1, 1], dtype=np.int8), shape)


def test_registered_with_its_cell():
    assert ARRAYS.get("sram_charge") is ChargeSRAMArray and ChargeSRAMArray.cell_kinds == ("sram10t_cap",)


@pytest.mark.parametrize("operation, encoding", [("xnor", "xnor"), ("and", "xnor"), ("and", "offset")])
def test_nominal_chips_compute_binary_dot_products_exactly(operation, encoding):
    """63 inputs on 64-row arrays: the full scale is 63 counts (64 with the offset encoding's reference),
    which a 7-bit ADC resolves."""
    rng = np.random.default_rng(0)
    layer, x = dense_layer(rng, 63, 40), signs(rng, (200, 63))
    array = ChargeSRAMArray(rows=64, cols=48, operation=operation, adc=ColumnADC(bits=7))
    assert np.array_equal(run(array, layer, x, encoding), x.astype(np.int64) @ layer.weights)


def test_xnor_cells_hold_both_complementary_rows():
    xnor, and_ = ChargeSRAMArray(operation="xnor").geometry(), ChargeSRAMArray(operation="and").geometry()
    assert (xnor.word_lines, xnor.encodings, xnor.weight_encodings) == (512, ("xnor",), ())
    assert (and_.word_lines, and_.encodings) == (256, ("xnor", "offset"))
    assert set(and_.weight_encodings) == {"offset", "differential", "twos_complement"}


def test_mismatched_column_reads_follow_the_charge_sharing_closed_form():
    """On a chip with 5 % capacitor spread, every column reads round(V_j / step) counts of its line
    voltage V_j = V_DD sum_i C_ij b_ij / (sum_i C_ij + C_par) over all 64 cells of the column (the
    one unused row undriven), b_ij = XNOR(x_i, w_ij); its ADC's LSB is one step (63 codes, 63 counts)."""
    rng = np.random.default_rng(1)
    layer, x = dense_layer(rng, 63, 40), signs(rng, (300, 63))
    array = ChargeSRAMArray(rows=64, cols=40, adc=ColumnADC(bits=6), device=SRAM10TCap(sigma_c_ref_rel=0.05))
    hardware = run(array, layer, x, variation=True, seed=3)
    capacitance = array.sample_instance(1, np.random.default_rng(engine.chip_seeds(3, 1)[0])).capacitance_f[0]
    driven = np.zeros((x.shape[0], 64, 40))
    driven[:, :63] = array.device.xnor_bits(layer.weights[None] > 0, x[:, :, None])
    volts = array.device.line_voltage_v(capacitance[None], driven, array.c_par_f)
    counts = np.floor(volts / array.step_v + 0.5)
    assert np.array_equal(hardware, 2 * counts - 63)
    assert not np.array_equal(hardware, x.astype(np.int64) @ layer.weights)  # the mismatch shows


def test_parasitic_line_capacitance_attenuates_the_step_and_the_full_scale():
    cell = SRAM10TCap()
    ideal = ChargeSRAMArray(rows=128, device=SRAM10TCap(c_line_cell_f=0.0))
    assert ideal.step_v == pytest.approx(cell.vdd_v / 128)
    steps = [ChargeSRAMArray(rows=128, device=SRAM10TCap(c_line_cell_f=c)).step_v for c in (0.1e-15, 0.5e-15, 2e-15)]
    assert all(a > b for a, b in itertools.pairwise(steps))
    array = ChargeSRAMArray(rows=128)
    assert array.step_v == pytest.approx(cell.vdd_v * cell.c_c_f / (128 * (cell.c_c_f + cell.c_line_cell_f)))
    assert array.full_scale_v(100) == pytest.approx(100 * array.step_v)


def test_kt_over_c_noise_is_drawn_for_every_read_with_the_closed_form_std():
    """10 aF cells at 900 K on a 1024-row line without wire parasitic: sqrt(kT C_total) / (V_DD C_c)
    = 1.02 counts of noise. The same input read 4000 times gives counts of variance sigma^2 + 1/12
    (the ADC's unit LSB rounds it), within 4 standard errors; without a read generator every read
    is the same."""
    cell = SRAM10TCap(c_c_f=1e-17, c_line_cell_f=0.0, temperature_k=900.0, sigma_c_ref_rel=0.0)
    array = ChargeSRAMArray(rows=1024, cols=1, adc=ColumnADC(bits=10), device=cell)
    layer = dense_layer(np.random.default_rng(2), 1023, 1)
    sigma = math.sqrt(BOLTZMANN_J_PER_K * 900.0 * 1024 * 1e-17) / (cell.vdd_v * 1e-17)
    x = np.repeat(signs(np.random.default_rng(3), (1, 1023)), 4000, axis=0)
    plan = map_layers([layer], array.geometry(), "xnor")
    state = array.program(plan.tiles, np.random.default_rng(0), variation=True)[0]
    assert state.noise_steps[0] == pytest.approx(sigma, rel=1e-6)
    counts = (run(array, layer, x, variation=True, read_noise=True)[:, 0] + 1023) / 2
    assert counts.var() == pytest.approx(sigma ** 2 + 1 / 12, rel=4 * math.sqrt(2 / 4000))
    assert np.unique(run(array, layer, x, variation=True, read_noise=False)).size == 1


def test_op_cost_is_the_switched_capacitance_closed_form():
    """All inputs +1: column j drives the capacitors of its +1 weights, C_c V_DD^2 each; every input
    raises one input line, C_WL V_DD^2; one conversion per column. Latency: the line reset alongside
    the input lines and the plate drive, then the sharing, then the conversions."""
    rng = np.random.default_rng(4)
    layer = dense_layer(rng, 100, 30)
    array = ChargeSRAMArray(rows=128, cols=32)
    tile = map_layers([layer], array.geometry(), "xnor").tiles[0]
    cost = array.op_cost(tile, np.ones((5, 100), dtype=np.int8))
    cell, vdd = array.device, array.device.vdd_v
    c_wl = 32 * cell.c_wl_cell_f
    assert cost.energy_j["cells"] == pytest.approx((layer.weights > 0).sum() * cell.c_c_f * vdd ** 2)
    assert cost.energy_j["wordline"] == pytest.approx(100 * c_wl * vdd ** 2)
    assert cost.energy_j["adc"] == pytest.approx(30 * array.adc.energy_per_conversion_j)
    n = 9 * math.log(2)  # the 8-bit ADC's half LSB
    settle = n * cell.switch_resistance_ohm * cell.c_c_f
    expected = (max(n * 1e3 * array.c_total_f, 1e-9 + 5 * 1e3 * c_wl + settle) + settle
                + array.adc.array_conversion_time_s(30))
    assert cost.latency_s == pytest.approx(expected)
    assert isinstance(cost, OpCost) and array.area_m2() > 128 * 32 * cell.cell_area_m2


def test_line_reset_settles_to_half_an_lsb_of_the_adc():
    """The compute line resets through one switch onto the column's whole capacitance: (bits + 1) ln 2
    R_drv C_total, so each ADC bit adds ln 2 R_drv C_total."""
    resets = {bits: ChargeSRAMArray(rows=1024, adc=ColumnADC(bits=bits)).phases_s(128)["reset"] for bits in (4, 8, 12)}
    array = ChargeSRAMArray(rows=1024)
    assert resets[8] == pytest.approx(9 * math.log(2) * 1e3 * array.c_total_f, rel=1e-12)
    assert resets[12] - resets[8] == pytest.approx(4 * math.log(2) * 1e3 * array.c_total_f, rel=1e-9)
    assert resets[4] < resets[8] < resets[12]


def test_charge_sharing_s_slowest_mode_is_one_switch_on_one_capacitor():
    """The star of N switches R onto capacitors C around a line of C_par: the eigenvalues of its
    node equations are 1 / (R C) (N - 1 times: the capacitors' differences) and (1 / R)(1 / C + N /
    C_par) (the line against their mean), so the slowest time constant, the one `settle_time_s`
    uses, is R C whatever C_par and N."""
    r, c = 13e3, 1.2e-15
    for n, c_par in ((8, 1e-15), (64, 50e-15), (256, 2e-12)):
        g = np.zeros((n + 1, n + 1))  # node 0: the line; nodes 1..n: the capacitors
        g[0, 0] = n / r
        g[0, 1:] = g[1:, 0] = -1 / r
        g[1:, 1:] = np.eye(n) / r
        caps = np.r_[c_par, np.full(n, c)]
        rates = np.sort(np.linalg.eigvals(g / caps[:, None]).real)
        assert rates[0] == pytest.approx(0.0, abs=1e-6 / (r * c))  # charge is conserved
        assert 1 / rates[1] == pytest.approx(r * c, rel=1e-9)
        assert rates[-1] == pytest.approx((1 / c + n / c_par) / r, rel=1e-9)


def test_every_phase_follows_its_supply_by_the_alpha_power_law():
    """Cell at 0.85 V against its nominal 1.1 V: switch, drivers and reset slow by the alpha-power
    delay ratio; the ADC at 0.85 V against its 1 V reference and the periphery clock at 0.85 V against
    0.9 V each by theirs (V_th = 0.429 V, alpha = 1.3 of the 65 nm node)."""
    def ratio(v, v_ref):
        return (v / (v - 0.429) ** 1.3) / (v_ref / (v_ref - 0.429) ** 1.3)

    nominal = ChargeSRAMArray(rows=512)
    low = ChargeSRAMArray(rows=512, device=SRAM10TCap.at_node("65nm", vdd_v=0.85), adc=ColumnADC(vdd_v=0.85),
                          digital=DigitalCosts(vdd_v=0.85))
    fast, slow = nominal.phases_s(128), low.phases_s(128)
    for phase in ("inputs", "plates", "reset", "share"):
        assert slow[phase] / fast[phase] == pytest.approx(ratio(0.85, 1.1), rel=1e-9), phase
    assert slow["convert"] / fast["convert"] == pytest.approx(ratio(0.85, 1.0), rel=1e-9)
    assert fast["convert"] == pytest.approx(9 / 450e6)
    assert slow["load"] / fast["load"] == pytest.approx(ratio(0.85, 0.9), rel=1e-9)
    assert low.latency_s(128) > nominal.latency_s(128)


def test_a_cell_near_its_threshold_makes_the_op_arbitrarily_slow():
    nominal = ChargeSRAMArray()
    near = ChargeSRAMArray(device=SRAM10TCap(vdd_v=0.431))
    assert near.phases_s(128)["share"] > 100 * nominal.phases_s(128)["share"]
    assert near.latency_s(128) > 10 * nominal.latency_s(128)


def test_area_is_cells_adcs_and_the_near_memory_datapath():
    """A measured bit-cell area (Jia et al. 2020, Fig. 11: 2.91 mm2 over 2304 x 256 bits) and a
    datapath beside the array add as they are."""
    cell = SRAM10TCap(cell_area_m2=2.91e-6 / (2304 * 256))
    bare = ChargeSRAMArray(rows=2304, cols=256, device=cell)
    assert bare.area_m2() == pytest.approx(2.91e-6 + bare.adc.array_cost(256).area_m2, rel=1e-12)
    with_datapath = ChargeSRAMArray(rows=2304, cols=256, device=cell, datapath_area_m2=0.497e-6)
    assert with_datapath.area_m2() - bare.area_m2() == pytest.approx(0.497e-6, rel=1e-9)


def test_multi_bit_zoo_model_is_exact_on_bit_sliced_and_cells():
    """Jia et al.'s bit-parallel / bit-serial mode: 4-bit weights sliced over 1-bit AND cells, inputs
    one bit per cycle, reproduce the software network on a nominal chip."""
    model, _ = zoo.load("dorefa4_cnn_digits")
    data = load_digits()
    array = ChargeSRAMArray(operation="and", adc=ColumnADC(bits=9))
    plan = map_layers(model.ops, array.geometry(), "xnor", "offset")
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    hardware = engine.hardware_logits(plan, array, model.encode(data.x_test[:40]), nominal)[0]
    assert np.array_equal(hardware, model.logits(data.x_test[:40]))


def test_xnor_cells_cannot_hold_sliced_layers():
    model, _ = zoo.load("dorefa2_cnn_digits")
    with pytest.raises(ParameterError, match="weights"):
        map_layers(model.ops, ChargeSRAMArray().geometry(), "xnor", "offset")


def test_logit_error_grows_with_the_capacitor_spread():
    """The digits BNN on chips of 0, 0.9 % (default), 3 % and 10 % (the largest allowed at 1.2 fF)
    capacitor spread: the default's column errors (~0.1 count rms over ~128 driven cells) stay below
    half an LSB on every read, so its logits are the software's; beyond, the mean absolute error of
    the logits grows."""
    model, _ = zoo.load("bnn_mlp_digits")
    data = load_digits()
    x, logits = model.encode(data.x_test[:100]), model.logits(data.x_test[:100])
    errors = []
    for spread in (0.0, SRAM10TCap.sigma_c_ref_rel, 0.03, 0.1 * math.sqrt(1.2)):
        array = ChargeSRAMArray(adc=ColumnADC(bits=9), device=SRAM10TCap(sigma_c_ref_rel=spread))
        plan = map_layers(model.ops, array.geometry(), "xnor")
        chips = engine.sample_chips(array, plan, engine.chip_seeds(5, 2), variation=True)
        errors.append(np.abs(engine.hardware_logits(plan, array, x, chips) - logits).mean())
    assert errors[0] == errors[1] == 0 and 0 < errors[2] < errors[3]


def test_latches_read_single_tile_sign_layers_exactly_on_nominal_chips():
    """XNOR cells put the BNN's 256-input hidden layers in one tile each, so their columns go to
    latches (one decision instead of a 9-bit conversion) and the nominal chip is still the software network."""
    model, _ = zoo.load("bnn_mlp_digits")
    data = load_digits()
    array = ChargeSRAMArray(sensing="sense_amp", adc=ColumnADC(bits=9))
    plan = map_layers(model.ops, array.geometry(), "xnor")
    assert [p.tiles[0].sensing for p in plan.layers] == ["sense_amp", "sense_amp", "adc"]
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    x = model.encode(data.x_test[:60])
    assert np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], model.logits(data.x_test[:60]))
    cost = array.op_cost(plan.layers[0].tiles[0], signs(np.random.default_rng(0), (10, 256)))
    assert "adc" not in cost.energy_j
    assert cost.energy_j["sense_amp"] == pytest.approx(128 * array.sense_amp.energy_per_decision_j)


def test_latch_decisions_compare_the_line_with_the_threshold_reference_plus_the_offset():
    """A latch passes when V_line > (t - 1/2) V_step + offset: a 10 mV offset (2.7 steps of 3.7 mV on a
    256-row line) moves the decision by ceil(offset / V_step - 1/2) counts."""
    array = ChargeSRAMArray(sensing="sense_amp")
    counts = np.arange(0, 20, dtype=np.float64)[:, None] * np.ones((1, 3))
    thresholds, offsets = np.array([5, 5, 5]), np.array([0.0, 10e-3, -10e-3])
    passed = array.latch_decisions(counts, thresholds, offsets)
    shift = offsets / array.step_v
    np.testing.assert_array_equal(passed, counts > thresholds - 0.5 + shift)
    assert passed[:, 0].argmax() == 5 and passed[:, 1].argmax() == 5 + math.ceil(shift[1] - 0.5)


@pytest.mark.parametrize("kwargs, field", [
    ({"operation": "or"}, "operation"), ({"device": SRAM6T()}, "device"),
    ({"r_driver_ohm": float("nan")}, "r_driver_ohm"), ({"rows": 1}, "rows"), ({"cols": 0}, "cols"),
    ({"sensing": "popcount"}, "sensing"), ({"datapath_area_m2": -1e-9}, "datapath_area_m2"),
    ({"adc": ColumnADC(vdd_v=0.4)}, "adc.vdd_v"), ({"adc": ColumnADC(fom_vdd_v=0.3)}, "adc.fom_vdd_v"),
])
def test_bad_parameters_are_refused(kwargs, field):
    with pytest.raises(ParameterError, match=field):
        ChargeSRAMArray(**kwargs)


def test_config_refuses_current_domain_cells_and_the_offset_encoding_on_xnor_cells():
    with pytest.raises(ParameterError, match="sram10t_cap"):
        imc.load_config({"array": {"kind": "sram_charge", "device": {"kind": "sram6t"}}})
    with pytest.raises(ParameterError, match="encoding"):
        imc.load_config({"array": {"kind": "sram_charge"}, "mapping": {"encoding": "offset"}})
    assert imc.load_config({"array": {"kind": "sram_charge", "operation": "and"},
                            "mapping": {"encoding": "offset"}}).chip_array.operation == "and"


def test_fields_without_effect_warn():
    with pytest.warns(imc.config.IgnoredFieldWarning, match="a_vt_v_m"):
        imc.load_config({"array": {"kind": "sram_charge", "device": {"a_vt_v_m": 2e-9}}})
    with pytest.warns(imc.config.IgnoredFieldWarning, match="sense_amp"):
        imc.load_config({"array": {"kind": "sram_charge", "sense_amp": {"w_in_m": 1e-6}}})
