"""The system's invariants for every array kind and every cell it can hold (ARCHITECTURE.md):
a new array kind or cell is tested by adding its design to DESIGNS."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

import imc
from imc import engine
from imc.arrays import ARRAYS, ChargeSRAMArray, ColumnADC, Conditions, ResistiveArray, SRAMArray
from imc.cli import main
from imc.devices import PCM, RRAM, FeFET, SkyrmionRacetrack, STTMRAM
from imc.mapping import LayerSpec, map_layers
from imc.nn import zoo
from imc.nn.data import load_digits

EXAMPLES = Path(__file__).parents[2] / "examples"
N_TEST = 60  # test images per check: DRAM read noise runs every XNOR through the device model

DESIGNS = {  # (array kind, cell kind) -> the config table of a small design of it
    ("sram", "sram6t"): {},
    ("sram", "sram8t"): {"device": {"kind": "sram8t"}},
    ("sram", "sram_xnor"): {"device": {"kind": "sram_xnor"}},
    ("resistive", "rram"): {"kind": "resistive"},
    ("resistive", "skyrmion"): {"kind": "resistive", "device": {"kind": "skyrmion"}},
    ("resistive", "pcm"): {"kind": "resistive", "device": {"kind": "pcm"}},
    ("resistive", "fefet"): {"kind": "resistive", "device": {"kind": "fefet"}},
    ("resistive", "stt_mram"): {"kind": "resistive", "device": {"kind": "stt_mram"}},
    ("dram", "dram"): {"kind": "dram"},
    ("sram_charge", "sram10t_cap"): {"kind": "sram_charge"},
}


@pytest.fixture(scope="module")
def network():
    model, _ = zoo.load("bnn_mlp_digits")
    data = load_digits()
    x, y = model.encode(data.x_test[:N_TEST]), data.y_test[:N_TEST]
    return model, x, y, model.logits(data.x_test[:N_TEST])


def design(key, **conditions):
    """The design's array as the conditions have it, and its plan of the zoo BNN."""
    config = imc.load_config({"array": DESIGNS[key], "conditions": conditions})
    array = config.chip_array
    model, _ = zoo.load("bnn_mlp_digits")
    return array, map_layers(model.ops, array.geometry(), config.mapping.encoding)


def exact_adcs(array, plan):
    """The array with column ADCs that resolve every count of the plan (arrays without ADCs as they are)."""
    if not hasattr(array, "adc"):
        return array
    bits = math.ceil(math.log2(max(p.full_scale_count for p in plan.layers) + 1))
    return dataclasses.replace(array, adc=ColumnADC(bits=max(bits, array.adc.bits)))


def test_every_registered_array_and_cell_has_a_design():
    assert set(DESIGNS) == {(kind, cell) for kind, array in ARRAYS.items() for cell in array.cell_kinds}


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_nominal_chips_reproduce_the_software_network_bit_for_bit(network, key):
    _, x, _, logits = network
    array, plan = design(key)
    array = exact_adcs(array, plan)
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], logits)


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_same_seed_same_chips_whatever_the_workers_or_chunking(network, key):
    _, x, y, _ = network
    array, plan = design(key)
    one = engine.chip_accuracies(plan, array, x, y, seed=4, chips=3, chunk=3, workers=1)
    split = engine.chip_accuracies(plan, array, x, y, seed=4, chips=3, chunk=1, workers=2)
    assert np.array_equal(one, split)
    assert np.array_equal(one[:2], engine.chip_accuracies(plan, array, x, y, seed=4, chips=2, workers=2))


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_static_variation_is_drawn_once_per_chip_and_reused_for_every_input(network, key):
    _, x, _, logits = network
    array, plan = design(key, read_noise=False)
    chips = engine.sample_chips(array, plan, engine.chip_seeds(1, 2), variation=True, conditions=Conditions(read_noise=False))
    full = engine.hardware_logits(plan, array, x, chips)
    assert np.array_equal(full[:, :N_TEST // 2], engine.hardware_logits(plan, array, x[:N_TEST // 2], chips))
    assert np.array_equal(full[0], engine.hardware_logits(plan, array, x, chips[:1])[0])


@pytest.mark.parametrize("key, louder", [(("resistive", "rram"), 4), (("resistive", "skyrmion"), 1),
                                         (("resistive", "pcm"), 1), (("resistive", "stt_mram"), 1)])
def test_read_noise_is_drawn_for_every_read(network, key, louder):
    """The same inputs read twice in one batch see the same cells but their own noise (``louder`` times the
    device's: the default RRAM's 1 % is ~0.06 counts on these 64-input columns and flips a count about once
    in 10^5 reads)."""
    _, x, _, _ = network
    array, plan = design(key)
    device = array.device
    array = dataclasses.replace(array, device=dataclasses.replace(
        device, **{name: louder * getattr(device, name) for name in device.read_noise_fields}))
    twice = np.concatenate([x, x])
    seeds = engine.chip_seeds(2, 1)
    noisy = engine.hardware_logits(plan, array, twice, engine.sample_chips(array, plan, seeds, True, Conditions()))[0]
    quiet_conditions = Conditions(read_noise=False)
    quiet = engine.hardware_logits(plan, array, twice, engine.sample_chips(array, plan, seeds, True, quiet_conditions))[0]
    assert np.array_equal(quiet[:N_TEST], quiet[N_TEST:])
    assert not np.array_equal(noisy[:N_TEST], noisy[N_TEST:])
    assert np.abs(noisy - quiet).mean() < 0.2 * np.abs(quiet).mean()  # noise, not a different chip


def test_sram_reads_have_no_dynamic_noise(network):
    _, x, _, _ = network
    array, plan = design(("sram", "sram6t"))
    chip = engine.sample_chips(array, plan, engine.chip_seeds(2, 1), True, Conditions())[0]
    assert chip.read_rng is None  # none needed
    given = engine.Chip(chip.states, np.random.default_rng(0))
    out = engine.hardware_logits(plan, array, np.concatenate([x, x]), [given])[0]
    assert np.array_equal(out[:N_TEST], out[N_TEST:])


@pytest.mark.parametrize("key", sorted(DESIGNS))
def test_a_chip_whose_reads_draw_no_noise_reads_alike_with_and_without_a_generator(network, key):
    _, x, _, _ = network
    array, plan = design(key)
    chip = engine.sample_chips(array, plan, engine.chip_seeds(3, 1), True, Conditions())[0]
    if chip.read_rng is not None:  # a kind whose reads draw noise: they use the generator
        assert array.reads_draw_noise(chip.states)
        return
    assert not array.reads_draw_noise(chip.states)
    given = engine.Chip(chip.states, np.random.default_rng(0))
    assert np.array_equal(engine.hardware_logits(plan, array, x, [given]), engine.hardware_logits(plan, array, x, [chip]))


def test_rram_drift_scales_every_tile_by_the_power_law(network):
    """Nominal Ohmic cells all drift with nu = nu_mean: every cell and the reference column lose the
    same factor ((t0 + t) / t0)^-nu, so every folded weight of every tile scales by it."""
    model, _, _, _ = network
    array = ResistiveArray(device=RRAM(nu_mean=0.02, level_spacing="conductance"), ohmic=True)
    plan = map_layers(model.ops, array.geometry(), "xnor")
    fresh = array.program(plan.tiles, np.random.default_rng(0), variation=False)
    elapsed = 1e6
    aged = array.age(fresh, elapsed, np.random.default_rng(1))
    factor = ((array.device.t0_s + elapsed) / array.device.t0_s) ** -0.02
    for before, after in zip(fresh, aged):
        for read_before, read_after in zip(before.reads, after.reads):
            np.testing.assert_allclose(read_after.weights, factor * read_before.weights, rtol=1e-5, atol=1e-6)


def test_rram_mean_conductance_loss_matches_the_truncated_normal_closed_form():
    """E[(t/t0)^-nu] for nu ~ N(mu, s^2) truncated at 0, L = ln(t/t0):
    exp(-mu L + s^2 L^2 / 2) Phi(mu/s - s L) / Phi(mu/s)."""
    array = ResistiveArray(rows=512, cols=512, device=RRAM(p_stuck_hrs=0, p_stuck_lrs=0))
    device = array.device
    states = np.full((512, 512), device.levels - 1)  # the mean of 262,144 cells: std error 6e-5
    chip = array.sample_instance(states, np.random.default_rng(3))
    elapsed = 3.15e8
    aged = array.age_instance(chip, elapsed).cells
    ratio = (aged.conductance_s / aged.programmed_s).mean()
    mu, s, L = device.nu_mean, device.nu_sigma, math.log((device.t0_s + elapsed) / device.t0_s)
    closed = math.exp(-mu * L + s ** 2 * L ** 2 / 2) * ndtr(mu / s - s * L) / ndtr(mu / s)
    assert ratio == pytest.approx(closed, abs=3e-4)


def test_accuracy_falls_with_time_since_programming_on_rram():
    base = {"chips": 6, "array": {"kind": "resistive", "device": {"nu_mean": 0.01}}}
    accuracy = [imc.simulate({**base, "conditions": {"time_s": t}}).chip_accuracy.mean() for t in (0.0, 1e4, 3.15e8)]
    assert accuracy[0] > 0.95
    assert accuracy[0] >= accuracy[1] >= accuracy[2] and accuracy[2] < accuracy[0] - 0.1


@pytest.mark.parametrize("kind", ["pcm", "fefet"])
def test_global_drift_compensation_keeps_the_accuracy_that_the_raw_drift_destroys(kind):
    """PCM drift (nu >= 0.049) and the closing FeFET window shrink every count of a BNN column (-34 % and
    -10 % after a day): the sign thresholds fail. One gain per array from its summed currents undoes it."""
    def accuracy(compensation, time_s):
        config = {"chips": 3, "array": {"kind": "resistive", "device": {"kind": kind, "drift_compensation": compensation}},
                  "conditions": {"time_s": time_s}}
        return imc.simulate(config).chip_accuracy.mean()
    assert accuracy(False, 86400.0) < 0.7
    assert accuracy(True, 3.15e7) > 0.95


def test_dram_cells_leak_since_their_last_refresh(network):
    _, x, _, logits = network
    array, plan = design(("dram", "dram"))
    chip = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), False, Conditions(read_noise=False))
    aged = array.age(chip[0].states, 100 * array.refresh_interval_s + 0.03, np.random.default_rng(0))
    within = engine.hardware_logits(plan, array, x, [dataclasses.replace(chip[0], states=aged)])[0]
    assert np.array_equal(within, logits)  # 30 ms after a refresh: every cell still holds its charge
    unrefreshed = dataclasses.replace(array, refresh_interval_s=0.0)
    lost = unrefreshed.age(chip[0].states, 60.0, np.random.default_rng(0))  # 30 median retention times
    assert not np.array_equal(engine.hardware_logits(plan, array, x, [dataclasses.replace(chip[0], states=lost)])[0],
                              logits)


def test_faults_off_removes_the_stuck_cells():
    config = imc.load_config({"array": {"kind": "resistive"}, "conditions": {"faults": False}})
    assert config.chip_array.device.p_stuck_hrs == 0 and config.chip_array.device.p_stuck_lrs == 0
    assert imc.load_config({"array": {"kind": "resistive"}}).chip_array.device.p_stuck_hrs == 1e-3


def test_ir_drop_condition_puts_wires_on_resistive_arrays_and_costs_accuracy(network):
    _, x, _, logits = network
    array, plan = design(("resistive", "rram"), ir_drop=True)
    assert array.wires is not None and design(("resistive", "rram"))[0].wires is None
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), False)
    assert not np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], logits)


@pytest.mark.parametrize("example", ["sram6t_65nm", "rram_1t1r", "skyrmion_mtj", "sram_xnor_22nm", "pcm", "fefet",
                                     "stt_mram", "sram10t_charge"])
def test_example_designs_run_from_the_cli(example, capsys):
    assert main(["simulate", str(EXAMPLES / f"{example}.toml"), "--chips", "2", "--json", "-q"]) == 0
    assert "per_chip" in capsys.readouterr().out


def test_example_dram_design_runs_without_read_noise():
    config = imc.load_config(EXAMPLES / "dram_ambit.toml")
    report = imc.simulate(dataclasses.replace(config, chips=2, conditions=Conditions(time_s=0.03, read_noise=False)))
    assert report.chip_accuracy.min() > 0.9 and report.energy_j["xnor"].sum() > 0


@pytest.mark.slow
def test_example_dram_design_runs_with_read_noise(capsys):
    assert main(["simulate", str(EXAMPLES / "dram_ambit.toml"), "--chips", "1", "--json", "-q"]) == 0


ZOO = ["bnn_mlp_digits", "xnor_cnn_digits", "ternary_mlp_digits", "ttq_mlp_digits", "dorefa2_cnn_digits",
       "dorefa4_cnn_digits", "mixed_cnn_digits"]
EXACT_ARRAYS = {  # (array, input scheme) whose nominal chips are ideal: ADCs resolving every count (RRAM:
    # the default non-linear 1T1R cell, whose levels are evenly spaced in read current, except at word-line
    # amplitudes, which need Ohmic cells; SRAM amplitudes: current-linear DAC levels)
    "sram": (SRAMArray(adc=ColumnADC(bits=9)), "bit_serial"),
    "sram_64x48": (SRAMArray(rows=64, cols=48, adc=ColumnADC(bits=7)), "bit_serial"),
    "sram_amplitude": (SRAMArray(input_bits=4, adc=ColumnADC(bits=12)), "amplitude"),
    "rram_4bit": (ResistiveArray(adc=ColumnADC(bits=11)), "bit_serial"),
    "rram_2bit": (ResistiveArray(rows=100, cols=70, device=RRAM(levels=4, r_access_ohm=0.0), adc=ColumnADC(bits=9)),
                  "bit_serial"),
    "rram_pulse_width": (ResistiveArray(input_scheme="pulse_width", adc=ColumnADC(bits=15)), "pulse_width"),
    "rram_amplitude": (ResistiveArray(input_scheme="amplitude", ohmic=True, device=RRAM(level_spacing="conductance"),
                                      adc=ColumnADC(bits=15)), "amplitude"),
    "skyrmion": (ResistiveArray(device=SkyrmionRacetrack(), adc=ColumnADC(bits=8)), "bit_serial"),
    "pcm_2bit": (ResistiveArray(device=PCM(), adc=ColumnADC(bits=9)), "bit_serial"),
    "fefet_2bit": (ResistiveArray(device=FeFET(), adc=ColumnADC(bits=9)), "bit_serial"),
    "stt_mram": (ResistiveArray(device=STTMRAM(), adc=ColumnADC(bits=8)), "bit_serial"),
    "sram_charge_and": (ChargeSRAMArray(operation="and", adc=ColumnADC(bits=9)), "bit_serial"),
}


def zoo_exactness(model_name, array_key, weights):
    model, _ = zoo.load(model_name)
    data = load_digits()
    array, inputs = EXACT_ARRAYS[array_key]
    if weights == "balanced":  # a bipolar converter resolves the same counts either side of zero with one more bit
        array = dataclasses.replace(array, adc=dataclasses.replace(array.adc, bits=array.adc.bits + 1))
    plan = map_layers(model.ops, array.geometry(), "xnor", weights, inputs=inputs)
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    hardware = engine.hardware_logits(plan, array, model.encode(data.x_test[:N_TEST]), nominal)[0]
    assert np.array_equal(hardware, model.logits(data.x_test[:N_TEST]))


@pytest.mark.parametrize("model_name, array_key, weights", [
    ("dorefa4_cnn_digits", "sram", "offset"), ("mixed_cnn_digits", "rram_4bit", "differential"),
    ("ternary_mlp_digits", "rram_2bit", "offset"), ("xnor_cnn_digits", "skyrmion", "differential"),
    ("dorefa4_cnn_digits", "pcm_2bit", "offset"), ("ternary_mlp_digits", "fefet_2bit", "differential"),
    ("dorefa2_cnn_digits", "stt_mram", "twos_complement"),
    ("dorefa2_cnn_digits", "sram_64x48", "twos_complement"), ("dorefa4_cnn_digits", "sram_amplitude", "offset"),
    ("mixed_cnn_digits", "rram_pulse_width", "twos_complement"), ("ternary_mlp_digits", "rram_amplitude", "differential"),
    ("ttq_mlp_digits", "sram", "offset"), ("dorefa4_cnn_digits", "rram_4bit", "balanced"),
    ("ternary_mlp_digits", "rram_pulse_width", "balanced"), ("mixed_cnn_digits", "rram_amplitude", "balanced"),
])
def test_every_zoo_model_maps_exactly_a_fast_subset(model_name, array_key, weights):
    zoo_exactness(model_name, array_key, weights)


@pytest.mark.slow
@pytest.mark.parametrize("array_key, weights", [(key, weights) for key in sorted(EXACT_ARRAYS) for weights in
                                                 EXACT_ARRAYS[key][0].geometry().weight_encodings])
@pytest.mark.parametrize("model_name", ZOO)
def test_every_zoo_model_maps_exactly_on_every_array_and_weight_encoding(model_name, array_key, weights):
    zoo_exactness(model_name, array_key, weights)


def test_one_layer_error_matches_the_closed_form_of_its_partial_sum_quantisation():
    """21 rows of 4-bit cells reach 315 counts per cycle; a 6-bit ADC has an LSB of 315 / 63 = 5 counts
    and reports 5 round(c / 5): a rounding error uniform on {-2, ..., 2}, variance (5^2 - 1) / 12 = 2,
    per conversion. Each output adds 4 input cycles x 1 slice (4-bit codes on 4-bit cells), each error
    times its significance (a 2^b for cycle b, a = 1) plus the reference column's (b 2^b): variance
    2 sum_b 4^b (a^2 + b^2) -- the closed form the simulated error must follow."""
    rng = np.random.default_rng(0)
    weights = rng.integers(-8, 8, (21, 40))
    layer = LayerSpec("q", weights, weight_bits=4, input_bits=4, scale=np.ones(40), offset=np.zeros(40))
    array = ResistiveArray(rows=21, cols=64, adc=ColumnADC(bits=6))
    plan = map_layers([layer], array.geometry(), "xnor", "offset")
    assert plan.tiles[0].full_scale_count == 315 and len(plan.tiles[0].groups) == 1
    x = rng.integers(0, 16, (4000, 21))
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    error = engine.hardware_logits(plan, array, x, nominal)[0] - x @ weights
    b = -8
    closed = 2 * sum(4 ** bit for bit in range(4)) * (1 + b ** 2)
    assert error.var() == pytest.approx(closed, rel=0.05)
    assert abs(error.mean()) < 0.05 * np.sqrt(closed)


def test_fewer_rows_per_read_cost_conversions_and_energy_and_buy_precision():
    """NeuroSim's partial-sum knob on a 4-bit layer over 128-row 4-bit RRAM tiles with 6-bit ADCs:
    reading 16 rows at a time makes 8 conversions per column and cycle instead of 1 (more ADC
    energy and latency) at an 8x finer ADC step (less quantisation error, here -35 % rms)."""
    from imc.performance import estimate
    rng = np.random.default_rng(0)
    weights = rng.integers(-8, 8, (128, 32))
    spec = LayerSpec("q", weights, weight_bits=4, input_bits=4, scale=np.ones(32), offset=np.zeros(32))
    array = ResistiveArray(adc=ColumnADC(bits=6))
    x = rng.integers(0, 16, (500, 128))
    results = {}
    for rows in (16, 128):
        plan = map_layers([spec], array.geometry(), rows_per_read=rows)
        nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
        error = engine.hardware_logits(plan, array, x, nominal)[0] - x @ weights
        perf = estimate(plan, array, x)
        results[rows] = (np.sqrt(np.mean(error ** 2.0)), perf.energy.loc["q", "adc"], perf.latency_s)
    assert results[16][1] == pytest.approx(8 * results[128][1])
    assert results[16][2] > 4 * results[128][2]
    assert results[16][0] < 0.75 * results[128][0]


def test_calibrated_adc_ranges_recover_multi_bit_accuracy_on_rram():
    base = {"model": "ternary_mlp_digits", "chips": 3, "array": {"kind": "resistive"}}
    worst = imc.simulate(base).chip_accuracy.mean()
    calibrated = imc.simulate({**base, "mapping": {"adc_range": "calibrated"}}).chip_accuracy.mean()
    assert calibrated > worst + 0.02


def test_replicated_convolutions_serve_output_positions_in_parallel():
    """Copies of a convolution's arrays: output position p on copy p mod r -- r times the arrays of
    the layer, latency / r for its positions, the same energy, still exact on nominal chips, and
    each copy with its own silicon."""
    from imc.performance import estimate
    model, _ = zoo.load("dorefa2_cnn_digits")
    data = load_digits()
    x = model.encode(data.x_test[:N_TEST])
    array = SRAMArray(adc=ColumnADC(bits=9))
    one, four = (map_layers(model.ops, array.geometry(), replicas=r) for r in (1, 4))
    assert [p.replicas for p in four.layers] == [4, 4, 1]  # the dense classifier has one output position
    assert [p.n_arrays for p in four.layers] == [4 * p.n_arrays for p in one.layers[:2]] + [one.layers[2].n_arrays]
    slow, fast = estimate(one, array, x), estimate(four, array, x)
    for layer in ("conv0", "conv1"):
        assert fast.layer_latency_s[layer] == pytest.approx(slow.layer_latency_s[layer] / 4)
    assert fast.energy_per_inference_j == pytest.approx(slow.energy_per_inference_j)
    nominal = engine.sample_chips(array, four, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(four, array, x, nominal)[0], model.logits(data.x_test[:N_TEST]))
    chip = engine.sample_chips(array, four, engine.chip_seeds(0, 1), variation=True)[0]
    first, second = (chip.states[i * one.layers[0].n_arrays].reads[0].weights for i in (0, 1))
    assert not np.array_equal(first, second)  # copies of the same weights on different cells


def test_word_line_amplitudes_are_exact_only_where_the_cell_current_is_linear_in_the_drive():
    """One cycle of k-bit amplitudes: Ohmic RRAM cells and SRAM cells behind current-linear DAC levels
    reproduce x @ w on nominal chips; the 1T1R cell's saturating I-V (levels spaced in read current at
    V_read, not at the lower DAC levels) and uniform SRAM DAC taps (the sub-linear I(V_WL)) do not."""
    rng = np.random.default_rng(1)
    weights = rng.integers(-8, 8, (64, 16))
    spec = LayerSpec("q", weights, weight_bits=4, input_bits=4, scale=np.ones(16), offset=np.zeros(16))
    x = rng.integers(0, 16, (300, 64))
    arrays = {"ohmic": ResistiveArray(input_scheme="amplitude", ohmic=True, device=RRAM(level_spacing="conductance"),
                                      adc=ColumnADC(bits=14)),
              "1t1r": ResistiveArray(input_scheme="amplitude", adc=ColumnADC(bits=14)),
              "sram_current_linear": SRAMArray(input_bits=4, adc=ColumnADC(bits=12)),
              "sram_linear_taps": SRAMArray(input_bits=4, dac_levels="linear", adc=ColumnADC(bits=12))}
    rms = {}
    for name, array in arrays.items():
        plan = map_layers([spec], array.geometry(), inputs="amplitude")
        nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
        rms[name] = np.sqrt(np.mean((engine.hardware_logits(plan, array, x, nominal)[0] - x @ weights) ** 2.0))
    assert rms["ohmic"] == 0 and rms["sram_current_linear"] == 0
    assert rms["1t1r"] > 1 and rms["sram_linear_taps"] > 10 * rms["1t1r"]


def test_one_cycle_inputs_trade_bit_serial_conversions_for_a_wider_adc_range():
    """4-bit inputs on RRAM: bit-serial runs 4 cycles of 128-row conversions; pulse widths one window of
    15 unit pulses and one conversion over a 15x full scale -- a quarter of the ADC energy."""
    from imc.performance import estimate
    rng = np.random.default_rng(2)
    spec = LayerSpec("q", rng.integers(-8, 8, (128, 32)), weight_bits=4, input_bits=4, scale=np.ones(32),
                     offset=np.zeros(32))
    x = rng.integers(0, 16, (200, 128))
    costs = {}
    for inputs in ("bit_serial", "pulse_width"):
        array = ResistiveArray(input_scheme=inputs)
        plan = map_layers([spec], array.geometry(), inputs=inputs)
        costs[inputs] = estimate(plan, array, x).energy.loc["q", "adc"], plan.tiles[0].full_scale_count
    assert costs["bit_serial"][0] == pytest.approx(4 * costs["pulse_width"][0])
    assert costs["pulse_width"][1] == 15 * costs["bit_serial"][1]


def test_read_noise_of_a_pulse_width_drive_grows_with_the_pulse_count():
    """One conductance fluctuation held over x unit pulses: a column's noise is x times one pulse's,
    so the error std of repeated reads grows in proportion to the input code (4x from code 3 to 12)."""
    spec = LayerSpec("q", np.full((128, 1), 15), weight_bits=4, input_bits=4, scale=np.ones(1), offset=np.zeros(1))
    array = ResistiveArray(input_scheme="pulse_width", ohmic=True, device=RRAM(level_spacing="conductance"),
                           adc=ColumnADC(bits=16))
    plan = map_layers([spec], array.geometry(), weights="differential", inputs="pulse_width")
    chip = engine.sample_chips(array.under(Conditions(faults=False)), plan, engine.chip_seeds(3, 1), True)
    stds = [engine.hardware_logits(plan, array, np.full((4000, 128), code), chip)[0].std() for code in (3, 12)]
    assert stds[0] > 1
    assert stds[1] / stds[0] == pytest.approx(4, rel=0.1)


@pytest.mark.parametrize("array, inputs", [
    (ResistiveArray(adc=ColumnADC(bits=12)), "bit_serial"),
    (ResistiveArray(input_scheme="pulse_width", adc=ColumnADC(bits=14)), "pulse_width"),
    (ResistiveArray(input_scheme="amplitude", ohmic=True, device=RRAM(level_spacing="conductance"),
                    adc=ColumnADC(bits=14)), "amplitude"),
    (SRAMArray(input_bits=4, adc=ColumnADC(bits=12)), "amplitude"),
], ids=["rram_bit_serial", "rram_pulse_width", "rram_amplitude", "sram_amplitude"])
def test_signed_multi_bit_inputs_are_exact_on_nominal_chips(array, inputs):
    """Two's-complement 4-bit inputs: bit-serial planes with the top one worth -8, or one-cycle drives
    of their positive and negative parts."""
    rng = np.random.default_rng(5)
    weights = rng.integers(-8, 8, (100, 12))
    spec = LayerSpec("q", weights, weight_bits=4, input_bits=4, input_signed=True, scale=np.ones(12),
                     offset=np.zeros(12))
    x = rng.integers(-8, 8, (200, 100))
    plan = map_layers([spec], array.geometry(), weights="differential", inputs=inputs)
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, array, x, nominal)[0], x @ weights)


@pytest.mark.parametrize("array", [SRAMArray(adc=ColumnADC(bits=9)), ResistiveArray(adc=ColumnADC(bits=12))],
                         ids=["sram", "rram"])
def test_linear_cycles_collapse_into_one_product_and_only_then(array):
    """Nominal cells and ADCs that return every count unchanged: the tile's cycles become one integer
    product, equal to the cycle-by-cycle read-out; with variation or an ADC that rounds, they do not."""
    model, _ = zoo.load("dorefa4_cnn_digits")
    x = model.encode(load_digits().x_test[:N_TEST])
    plan = map_layers(model.ops, array.geometry())
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert all(read.linear for state in nominal[0].states for read in state.reads)
    cycle_by_cycle = [engine.Chip([dataclasses.replace(state, reads=tuple(dataclasses.replace(read, linear=False)
                                                                         for read in state.reads))
                                   for state in nominal[0].states], None)]
    collapsed = engine.hardware_logits(plan, array, x, nominal)
    assert np.array_equal(collapsed, engine.hardware_logits(plan, array, x, cycle_by_cycle))
    assert np.array_equal(collapsed[0], model.logits(load_digits().x_test[:N_TEST]))
    varied = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=True)
    coarse = dataclasses.replace(array, adc=ColumnADC(bits=6))
    rounding = engine.sample_chips(coarse, map_layers(model.ops, coarse.geometry()), engine.chip_seeds(0, 1), False)
    assert not any(read.linear for state in varied[0].states for read in state.reads)
    assert [read.linear for state in rounding[0].states for read in state.reads] == [
        state.tile.full_scale_count <= 63 for state in rounding[0].states]  # 6 bits resolve a 9-row tile only
