import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

import imc
from imc.arrays import DigitalCosts
from imc.arrays import dram_array
from imc.arrays.dram_array import DRAMBitwiseArray
from imc.devices import DRAM1T1C, ParameterError

IDEAL = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.0, sigma_sa_offset_v=0.0)


def random_layer(rng, n_out, n, batch):
    return rng.choice([-1, 1], (n_out, n)), rng.choice([-1, 1], (batch, n))


def test_layout_packs_short_vectors_and_splits_long_ones():
    short = DRAMBitwiseArray().layout(256, 256)
    assert (short.segments, short.segment_bits, short.slots_per_row) == (1, 256, 32)
    assert (short.weight_rows, short.rows_per_subarray, short.subarrays) == (8, 8, 1)
    assert short.row_utilisation == 1.0
    assert short.cell_utilisation == pytest.approx(256 * 256 / (512 * 8192), rel=1e-12)

    long = DRAMBitwiseArray().layout(20000, 10)
    assert (long.segments, long.segment_bits, long.slots_per_row, long.weight_rows) == (3, 8192, 1, 30)
    assert list(long.segment_lengths()) == [8192, 8192, 20000 - 2 * 8192]
    assert long.row_utilisation == pytest.approx(20000 * 10 / (30 * 8192), rel=1e-12)

    spread = DRAMBitwiseArray(rows=8, cols=16).layout(37, 5)  # 3 segments: 5 weight rows + 3 input rows
    assert (spread.weight_rows, spread.rows_per_subarray, spread.subarrays) == (15, 5, 3)
    assert list(spread.input_segment()[:4]) == [0, 1, 2, 0]
    assert list(spread.row_columns()[:3]) == [16, 16, 5]


@pytest.mark.parametrize("rows, cols, n, n_out, batch", [
    (512, 64, 64, 9, 5),     # n == cols
    (512, 64, 20, 31, 4),    # 3 vectors a row, the last row partly used, 4 columns idle
    (8, 16, 37, 5, 3),       # n not a multiple of the row: 3 segments, 3 subarrays
    (4, 10, 25, 7, 6),       # one weight row per subarray: 21 subarrays
    (512, 8192, 256, 256, 2),
])
def test_dot_products_are_exact_at_zero_variation(rows, cols, n, n_out, batch):
    array = DRAMBitwiseArray(rows=rows, cols=cols, device=IDEAL, burst_bits=8)
    weights, x = random_layer(np.random.default_rng(n), n_out, n, batch)
    instance = array.sample_instance(weights, np.random.default_rng(1))
    expected = x @ weights.T
    assert np.array_equal(array.dot(instance, x), expected)
    assert np.array_equal(array.simulate_dot(instance, x), expected)
    assert np.array_equal(array.dot(instance, x, np.random.default_rng(2)), expected)  # kT/C noise alone


@pytest.mark.parametrize("rows, cols, n, n_out, batch", [(8, 16, 37, 5, 3), (16, 64, 20, 31, 4), (4, 10, 25, 7, 2)])
def test_table_gemm_equals_running_every_xnor_under_static_variation(monkeypatch, rows, cols, n, n_out, batch):
    device = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.08, sigma_sa_offset_v=0.05)
    array = DRAMBitwiseArray(rows=rows, cols=cols, device=device)
    weights, x = random_layer(np.random.default_rng(3), n_out, n, batch)
    instance = array.sample_instance(weights, np.random.default_rng(4))
    fast = array.dot(instance, x)
    assert not np.array_equal(fast, x @ weights.T)  # static variation does make errors here
    assert np.array_equal(array.simulate_dot(instance, x), fast)
    monkeypatch.setattr(dram_array, "CHUNK_BIT_LINES", 3 * cols)  # 3 (input, weight row) pairs a device call
    assert np.array_equal(array.simulate_dot(instance, x), fast)


def test_aged_chip_loses_stored_ones_and_both_paths_agree():
    array = DRAMBitwiseArray(rows=8, cols=64, device=dataclasses.replace(DRAM1T1C(), sigma_sa_offset_v=0.0))
    weights, x = random_layer(np.random.default_rng(14), 6, 40, 5)
    instance = array.sample_instance(weights, np.random.default_rng(15))
    assert np.array_equal(array.dot(array.age_instance(instance, 0.01), x), x @ weights.T)  # within refresh
    aged = array.age_instance(instance, 60.0)  # 30 median retention times: every stored 1 reads as 0
    assert np.array_equal(array.dot(aged, x), array.simulate_dot(aged, x))
    assert np.array_equal(array.dot(aged, x), x @ -np.ones_like(weights).T)


def assert_rate_within_binomial_interval(failures, trials, p, confidence=0.999):
    interval = stats.binomtest(failures, trials).proportion_ci(confidence_level=confidence)
    assert interval.low <= p <= interval.high, (failures / trials, p, interval)


@pytest.mark.parametrize("w, x", [(1, 1), (1, -1), (-1, 1), (-1, -1)])
def test_match_error_rate_equals_the_device_closed_form(w, x):
    # Without C_s variation the device's XNOR closed form is exact (SA offset averaged over bit
    # lines); one row over 65536 bit lines gives independent trials.
    device = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.0, sigma_sa_offset_v=0.05)
    trials = 65536
    array = DRAMBitwiseArray(rows=2, cols=trials, device=device)
    instance = array.sample_instance(np.full((1, trials), w), np.random.default_rng(5))
    z = int(array.dot(instance, np.full((1, trials), x), np.random.default_rng(6))[0, 0])
    matches = (z + trials) // 2
    failures = trials - matches if w == x else matches
    bits = ((w + 1) // 2, (x + 1) // 2)
    p = device.error_probability("xnor", bits)
    assert 1e-3 < p < 0.3
    assert_rate_within_binomial_interval(failures, trials, p)


def test_noiseless_path_is_exact_and_sense_noise_follows_the_seed():
    # A 0.05 fF cell gives a ~0.2 mV signal, comparable to the kT/C noise: only noise errs here.
    device = dataclasses.replace(IDEAL, c_s_f=0.05e-15)
    array = DRAMBitwiseArray(rows=16, cols=256, device=device)
    weights, x = random_layer(np.random.default_rng(7), 12, 300, 4)
    instance = array.sample_instance(weights, np.random.default_rng(8))
    assert np.array_equal(array.dot(instance, x), x @ weights.T)
    noisy = [array.dot(instance, x, np.random.default_rng(seed)) for seed in (9, 9, 10)]
    assert np.array_equal(noisy[0], noisy[1])
    assert not np.array_equal(noisy[0], noisy[2]) and not np.array_equal(noisy[0], x @ weights.T)


def test_same_seed_gives_the_same_instance():
    array = DRAMBitwiseArray(rows=8, cols=16)
    weights, _ = random_layer(np.random.default_rng(11), 5, 37, 1)
    first, second, other = (array.sample_instance(weights, np.random.default_rng(seed)) for seed in (12, 12, 13))
    for name in ("v_cell_v", "c_s_f", "tau_s", "c_designated_f", "sa_offset_v"):
        assert np.array_equal(getattr(first.cells, name), getattr(second.cells, name))
    assert not np.array_equal(first.cells.c_s_f, other.cells.c_s_f)
    assert first.cells.v_cell_v.shape == (3, 5 + 3, 16)  # subarrays, weight + input rows, cols


def test_costs_of_a_packed_layer_equal_the_closed_form():
    array = DRAMBitwiseArray()
    d, batch = array.device, 10
    cost = array.dot_cost(batch, 256, 256)  # 8 weight rows of 32 vectors, one input row of 32 copies
    assert cost.energy_j["xnor"] == pytest.approx(batch * 8 * 8192 * d.op_cost("xnor").read_energy_j, rel=1e-12)
    # the input row: one ACTIVATE-PRECHARGE of the 1 KB page (1366.875 pJ, TN-41-01) and 8192 bits in
    # 128 write bursts of 5 ns at (IDD4W - IDD3N) VDD = 87 mA x 1.5 V
    input_row_j = 1366.875e-12 + 128 * 87e-3 * 1.5 * 5e-9
    assert cost.energy_j["input_write"] == pytest.approx(batch * input_row_j, rel=1e-12)
    assert cost.energy_j["popcount"] == pytest.approx(batch * 256 * 256 * 3.1e-15, rel=1e-12)
    t_xnor = 6 * d.t_aap_s + 2 * d.t_ap_s
    t_write = d.t_rcd_s + d.t_wr_s + d.t_rp_s
    per_input = t_write + 128 * 5e-9 + 8 * (t_xnor + 128 * 5e-9)  # 8192 bits in 64-bit bursts
    assert cost.latency_s == pytest.approx(batch * per_input + (6 + 1) * 1e-9, rel=1e-12)
    assert cost.total_energy_j == pytest.approx(sum(cost.energy_j.values()), rel=1e-12)


@pytest.mark.parametrize("banks, energy_model", [(1, "power_model"), (2, "power_model"), (3, "bit_line")])
def test_costs_of_a_split_layer_over_banks_equal_the_closed_form(banks, energy_model):
    array = DRAMBitwiseArray(rows=8, cols=16, burst_bits=8, banks=banks, device=DRAM1T1C(energy_model=energy_model),
                             digital=DigitalCosts(f_clk_hz=2e9))
    d, batch = array.device, 3
    cost = array.dot_cost(batch, 37, 5)  # segments of 16, 16, 5 bits; 3 subarrays of 5 weight rows
    e_xnor = d.op_cost("xnor").read_energy_j
    assert cost.energy_j["xnor"] == pytest.approx(batch * 15 * 16 * e_xnor, rel=1e-12)
    if energy_model == "power_model":  # 16 bit lines of a row cycle, plus 2, 2, 1 write bursts of 5 ns
        input_rows_j = sum(16 * d.row_cycle_energy_j / 8192 + bursts * d.write_burst_energy_j(5e-9)
                           for bursts in (2, 2, 1))
    else:  # every bit line activated, the written ones driven across the full swing with their cell
        input_rows_j = sum(16 * d.bit_line_energy_j(1) + bits * (d.c_bl_f + d.c_s_f) * d.vdd_v ** 2
                           for bits in (16, 16, 5))
    assert cost.energy_j["input_write"] == pytest.approx(batch * 3 * input_rows_j, rel=1e-12)
    assert cost.energy_j["popcount"] == pytest.approx(batch * 5 * (37 + 2 * 6) * 3.1e-15, rel=1e-12)
    t_xnor, t_write, t_ccd = d.op_cost("xnor").read_latency_s, d.cost().write_latency_s, 5e-9
    # bursts to read each weight row out: segments 0, 1 take 2, segment 2 one; rows cycle 0, 1, 2
    readout = [2 + 2 + 1 + 2 + 2, 1 + 2 + 2 + 1 + 2, 2 + 1 + 2 + 2 + 1]
    subarray = [3 * t_write + 5 * t_ccd + 5 * t_xnor + bursts * t_ccd for bursts in readout]
    per_input = max(sum(subarray[bank::banks]) for bank in range(banks))
    assert cost.latency_s == pytest.approx(batch * per_input + (3 + 1) / 2e9, rel=1e-12)


@pytest.mark.parametrize("cols", [1024, 4096, 8192])
def test_xnor_energy_scales_with_the_row_width_and_the_rows_activated(cols):
    d = DRAM1T1C()
    for rows in (1, 3):  # 1024-bit vectors packed cols / 1024 a row: ``rows`` weight rows, each one XNOR an input
        cost = DRAMBitwiseArray(cols=cols, device=d).dot_cost(2, 1024, rows * cols // 1024)
        assert cost.energy_j["xnor"] == pytest.approx(2 * rows * cols * d.op_cost("xnor").read_energy_j, rel=1e-12)
    per_kb = DRAMBitwiseArray(cols=cols, device=d).dot_cost(1, 1024, cols // 1024).energy_j["xnor"] * 8192 / cols
    assert per_kb == pytest.approx(17.17e-9, rel=1e-3)   # one XNOR of a 1 KB row, whatever the row width


def test_power_model_and_bit_line_model_share_the_latency_and_differ_in_energy():
    power, bit_line = DRAMBitwiseArray(), DRAMBitwiseArray(device=DRAM1T1C(energy_model="bit_line"))
    a, b = power.dot_cost(4, 256, 256), bit_line.dot_cost(4, 256, 256)
    assert a.latency_s == b.latency_s and a.energy_j["popcount"] == b.energy_j["popcount"]
    assert a.energy_j["xnor"] / b.energy_j["xnor"] == pytest.approx(17.1736 / 22.1184, rel=1e-4)


def test_a_bad_energy_model_in_a_design_names_the_field():
    with pytest.raises(ParameterError) as info:
        imc.load_config({"array": {"kind": "dram", "device": {"kind": "dram", "energy_model": "rambus"}}})
    assert info.value.field == "array.device.energy_model" and "power_model" in str(info.value)


def test_latency_is_parallel_over_banks_and_serial_over_inputs():
    array = DRAMBitwiseArray(rows=8, cols=16, burst_bits=8)
    one_bank = dataclasses.replace(array, banks=1)
    depth = array.popcount_depth_s()
    assert array.dot_cost(4, 37, 5).latency_s - depth == pytest.approx(4 * (array.dot_cost(1, 37, 5).latency_s - depth))
    assert one_bank.dot_cost(1, 37, 5).latency_s > 2.5 * (array.dot_cost(1, 37, 5).latency_s - depth)


@pytest.mark.parametrize("weights", [np.array([[1, 0, -1]]), np.array([1, -1]), np.array([[0.5, 1.0]]),
                                     np.array([[True, False]]), np.zeros((0, 4))])
def test_bad_weights_raise_naming_the_field(weights):
    with pytest.raises(ParameterError) as info:
        DRAMBitwiseArray(rows=8, cols=16).sample_instance(weights, np.random.default_rng(0))
    assert info.value.field == "weights"


@pytest.mark.parametrize("x", [np.ones((2, 5)), np.array([[1, -1, 2, 1]]), np.ones(4), np.array([[np.nan] * 4])])
def test_bad_inputs_raise_naming_the_field(x):
    array = DRAMBitwiseArray(rows=8, cols=16)
    instance = array.sample_instance(np.ones((3, 4)), np.random.default_rng(0))
    with pytest.raises(ParameterError) as info:
        array.dot(instance, x)
    assert info.value.field == "x"


def test_vectors_longer_than_the_subarray_holds_are_rejected():
    array = DRAMBitwiseArray(rows=4, cols=16)  # at most 3 input rows: n <= 48
    assert array.layout(48, 1).segments == 3
    with pytest.raises(ParameterError) as info:
        array.sample_instance(np.ones((1, 49)), np.random.default_rng(0))
    assert info.value.field == "n" and "48" in str(info.value)
    for field, args in (("batch", (0, 4, 4)), ("n_out", (1, 4, 0))):
        with pytest.raises(ParameterError) as info:
            array.dot_cost(*args)
        assert info.value.field == field


@pytest.mark.parametrize("field, value", [("rows", 1), ("cols", 0), ("cols", 1 << 17), ("burst_bits", 0),
                                          ("banks", 0), ("t_ccd_s", -5e-9), ("t_ccd_s", math.inf),
                                          ("device", "dram"), ("digital", None)])
def test_bad_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        DRAMBitwiseArray(**{field: value})
    assert info.value.field == field and field in str(info.value)
