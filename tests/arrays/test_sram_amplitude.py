import dataclasses
import math

import numpy as np
import pytest

from imc.arrays import (ColumnADC, SRAMArray, WordLineDAC, amplitude_counts, amplitude_op_cost, bit_serial_op_cost,
                        input_cost, level_column_sums, sample_amplitude_instance, word_line_levels)
from imc.devices import SRAM6T, SRAM8T, XNORSRAM, ParameterError


def random_product(rng, batch, rows, cols, bits):
    codes = rng.integers(0, 2 ** bits, (batch, rows))
    states = (rng.random((rows, cols)) < 0.5).astype(np.int8)
    return codes, states


def nominal_counts(array, codes, states):
    chip = sample_amplitude_instance(array, 1, np.random.default_rng(0), variation=False)
    return amplitude_counts(array, codes, chip.programmed(states), chip.adcs[0])


def test_current_linear_levels_give_equal_nominal_current_steps():
    array = SRAMArray(input_bits=4)
    levels = word_line_levels(array)
    i_full = array.device.read_current_a(array.v_wl_v)
    currents = [array.device.read_current_a(float(v)) for v in levels.voltages_v[1:]]
    assert levels.voltages_v[0] == 0 and levels.voltages_v[-1] == array.v_wl_v
    assert np.all(np.diff(levels.voltages_v) > 0)
    assert np.allclose(np.array(currents) / (i_full / 15), np.arange(1, 16), rtol=1e-12, atol=0)
    assert np.array_equal(levels.steps.astype(np.float32), np.arange(16, dtype=np.float32))


def test_linear_levels_are_the_uniform_dac_taps():
    array = SRAMArray(input_bits=3, dac_levels="linear")
    codes = np.arange(8)
    assert np.array_equal(word_line_levels(array).voltages_v, WordLineDAC(bits=3).voltages_v(codes, 0.7))


@pytest.mark.parametrize("device, rows, input_bits, adc_bits", [
    (SRAM6T(), 64, 4, 10), (SRAM6T(), 17, 4, 8), (SRAM8T(), 32, 3, 8), (SRAM6T.at_node("22nm"), 16, 6, 10),
])
def test_nominal_chip_with_current_linear_levels_reads_the_exact_product(device, rows, input_bits, adc_bits):
    array = SRAMArray(rows=rows, cols=24, device=device, v_wl_v=0.7 if device.vdd_v > 1 else 0.65,
                      input_bits=input_bits, adc=ColumnADC(bits=adc_bits))
    assert 2 ** adc_bits - 1 >= rows * (2 ** input_bits - 1)
    codes, states = random_product(np.random.default_rng(1), 100, rows, 24, input_bits)
    codes[0] = 2 ** input_bits - 1  # one full-scale input vector
    states[:, 0] = 1
    assert np.array_equal(nominal_counts(array, codes, states), codes @ states)


def test_linear_levels_read_low_by_the_nominal_current_curve():
    """Uniform taps on the 65 nm cell at V_WL = 0.7 V: the error is the level gains N I(V(c)) / I(V_WL) - c,
    all negative (worst -8.1 steps at code 9); random 4-bit codes on random bits read 59 % low."""
    array = SRAMArray(rows=64, cols=32, input_bits=4, dac_levels="linear", adc=ColumnADC(bits=10))
    gain_error = word_line_levels(array).steps - np.arange(16)
    assert np.all(gain_error[1:-1] < 0) and gain_error[0] == 0 and gain_error[-1] == 0
    assert gain_error.min() == pytest.approx(-8.12, abs=0.01) and np.argmin(gain_error) == 9
    codes, states = random_product(np.random.default_rng(2), 200, 64, 32, 4)
    exact = codes @ states
    error = nominal_counts(array, codes, states) - exact
    predicted = gain_error[codes] @ states
    assert np.max(np.abs(error - predicted)) <= 960 / 1023 / 2 + 0.5  # systematic; on top: ADC and count rounding
    assert error.sum() / exact.sum() == pytest.approx(-0.59, abs=0.02)


def test_relative_spread_of_cell_current_grows_as_the_code_decreases():
    array = SRAMArray(input_bits=4)
    chip = sample_amplitude_instance(array, 1, np.random.default_rng(3))
    relative = chip.level_cells[0] / word_line_levels(array).steps[1:, None, None].astype(np.float32)
    spread = relative.reshape(15, -1).std(axis=1)
    assert np.all(np.diff(spread) < 0)
    d = array.device
    above_threshold = d.alpha * d.sigma_vth_v / (array.v_wl_v - d.vth0_v)  # alpha-power law, linearised
    assert spread[-1] == pytest.approx(above_threshold, rel=0.25)
    assert spread[0] > 4 * spread[-1]  # code 1 sits at threshold: exponential in the V_th shift


def test_top_level_is_the_binary_chip_of_the_same_seed():
    array = SRAMArray(rows=32, cols=16, input_bits=3, adc=ColumnADC(bits=8, sigma_offset_lsb=0.5))
    amplitude = sample_amplitude_instance(array, 2, np.random.default_rng(4))
    binary = array.sample_instance(2, np.random.default_rng(4))
    assert np.array_equal(amplitude.level_cells[:, -1], 7 * binary.cells)
    assert all(np.array_equal(a.offset_lsb, b.offset_lsb) for a, b in zip(amplitude.adcs, binary.adcs))


def test_level_decomposition_equals_the_per_cell_sum():
    rng = np.random.default_rng(5)
    cells = rng.random((2, 7, 12, 5)).astype(np.float32)  # two tiles, 3-bit codes, 12 x 5 cells
    codes = rng.integers(0, 8, (2, 9, 12))
    # every row i of input n contributes its cells' weights at its own code (none at code 0)
    per_cell = cells[np.arange(2)[:, None, None], np.maximum(codes - 1, 0), np.arange(12)]  # (2, 9, 12, 5)
    reference = np.sum((codes > 0)[..., None] * per_cell, axis=2, dtype=np.float64)
    assert np.allclose(level_column_sums(codes, cells), reference, rtol=1e-5)


def test_variation_perturbs_counts_around_the_product():
    array = SRAMArray(rows=64, cols=64, input_bits=4, adc=ColumnADC(bits=10))
    rng = np.random.default_rng(6)
    chip = sample_amplitude_instance(array, 1, rng)
    codes, states = random_product(rng, 50, 64, 64, 4)
    counts = amplitude_counts(array, codes, chip.programmed(states), chip.adcs[0])
    sums = level_column_sums(codes, chip.programmed(states))
    assert np.max(np.abs(counts - sums)) <= 960 / 1023 / 2 + 0.5  # half an ADC LSB and the rounding to a count
    assert np.any(counts != codes @ states)


def test_amplitude_op_cost_closed_form():
    array = SRAMArray(rows=64, cols=32, input_bits=4, adc=ColumnADC(bits=10))
    codes, states = random_product(np.random.default_rng(7), 40, 64, 32, 4)
    levels = word_line_levels(array)
    cost = amplitude_op_cost(array, codes, states)
    pulse = 0.5 * array.c_bl_f / (64 * array.device.read_current_a(0.7))  # r N steps of I(V_WL) / N
    assert 15 * array.pulse_width_s(64 * 15) == pytest.approx(pulse, rel=1e-12)
    dac = array.dac
    mean_v = levels.voltages_v[codes].mean()
    static_w = 0.7 ** 2 / dac.r_string_ohm
    wordline = 64 * (array.c_wl_f * mean_v * 0.7 + static_w * (dac.settling_time_s(array.c_wl_f) + pulse))
    assert cost.energy_j["wordline"] == pytest.approx(wordline, rel=1e-9)
    swing = (codes @ states).mean(axis=0) * 0.5 / (64 * 15)
    assert cost.energy_j["bitline"] == pytest.approx(array.c_bl_f * 1.1 * swing.sum(), rel=1e-9)
    assert cost.energy_j["adc"] == pytest.approx(32 * array.adc.energy_per_conversion_j, rel=1e-12)
    latency = array.precharge_time_s() + dac.settling_time_s(array.c_wl_f) + pulse + array.adc.conversion_time_s
    assert cost.latency_s == pytest.approx(latency, rel=1e-12)
    _, t_inputs = input_cost("amplitude", 4, 64, array.c_wl_f, 0.7, pulse, dac=dac)
    assert t_inputs == pytest.approx(dac.settling_time_s(array.c_wl_f) + pulse, rel=1e-12)


@pytest.mark.parametrize("amplitude_adc_bits, serial_adc_bits", [(10, 10), (10, 7)])
def test_amplitude_op_is_faster_than_bit_serial_reads(amplitude_adc_bits, serial_adc_bits):
    """One conversion instead of k. With the same ADC the amplitude op also spends less energy; with
    each mode's smallest exact ADC (10 bits for 64 x 15 steps, 7 bits for 64 cells) the bit-serial
    reads spend less on conversion, 4 conversions of 7 bits against one of 10."""
    codes, states = random_product(np.random.default_rng(8), 40, 64, 32, 4)
    amplitude = amplitude_op_cost(SRAMArray(rows=64, cols=32, input_bits=4, adc=ColumnADC(bits=amplitude_adc_bits)),
                                  codes, states)
    serial = bit_serial_op_cost(SRAMArray(rows=64, cols=32, input_bits=4, adc=ColumnADC(bits=serial_adc_bits)),
                                codes, states)
    assert amplitude.latency_s < serial.latency_s / 2
    assert set(serial.energy_j) == {"bitline", "wordline", "adc", "shift_add"}
    ratio = serial.energy_j["adc"] / amplitude.energy_j["adc"]
    per_conversion = {bits: ColumnADC(bits=bits).energy_per_conversion_j
                      for bits in (serial_adc_bits, amplitude_adc_bits)}
    assert ratio == pytest.approx(4 * per_conversion[serial_adc_bits] / per_conversion[amplitude_adc_bits], rel=1e-12)
    if amplitude_adc_bits == serial_adc_bits:
        assert amplitude.total_energy_j < serial.total_energy_j


def test_bit_serial_cost_is_k_binary_ops_plus_shift_add():
    array = SRAMArray(rows=64, cols=32, input_bits=3, adc=ColumnADC(bits=7))
    codes, states = random_product(np.random.default_rng(9), 20, 64, 32, 3)
    binary = dataclasses.replace(array, input_bits=1)
    planes = [binary.read_cost(float(((codes >> b) & 1).sum(1).mean()), (((codes >> b) & 1) @ states).mean(0), 64)
              for b in range(3)]
    cost = bit_serial_op_cost(array, codes, states)
    assert cost.energy_j["adc"] == pytest.approx(sum(p.energy_j["adc"] for p in planes), rel=1e-12)
    assert cost.energy_j["shift_add"] == pytest.approx(3 * 32 * math.ceil(math.log2(64 * 7 + 1)) * 3.1e-15, rel=1e-12)
    assert cost.latency_s == pytest.approx(sum(p.latency_s for p in planes) + 1e-9, rel=1e-12)


def test_op_cost_wants_the_mean_level_exactly_for_amplitude_inputs():
    with pytest.raises(ParameterError, match="mean_word_line_v"):
        SRAMArray().read_cost(10, np.ones(4), 256, mean_word_line_v=0.5)
    with pytest.raises(ParameterError, match=r"mean_word_line_v = 0\.8.*\[0, v_wl_v = 0\.7\]"):
        SRAMArray(input_bits=4).read_cost(10, np.ones(4), 256 * 15, mean_word_line_v=0.8)


def test_binary_word_lines_on_an_array_with_dacs_cost_what_a_binary_array_reads():
    binary, with_dacs = SRAMArray().read_cost(10, np.ones(4), 256), SRAMArray(input_bits=4).read_cost(10, np.ones(4), 256)
    assert with_dacs.energy_j == binary.energy_j
    assert with_dacs.latency_s == binary.latency_s


@pytest.mark.parametrize("codes, match", [
    (np.full((2, 8), 8), r"codes = \(8, 8\): must be in \[0, 7\] for input_bits = 3"),
    (np.full((2, 8), -1), r"codes = \(-1, -1\): must be in \[0, 7\]"),
    (np.full((2, 8), 1.5), r"codes = dtype\('float64'\): must be integers"),
    (np.ones((2, 9), dtype=int), r"codes = \(2, 9\): last axis must equal the cells' row count 8"),
    (np.ones(8, dtype=int), r"codes = \(8,\): must be \(\.\.\., batch, rows\)"),
])
def test_bad_codes_are_rejected_by_name(codes, match):
    array = SRAMArray(rows=16, cols=4, input_bits=3, adc=ColumnADC(bits=7))
    chip = sample_amplitude_instance(array, 1, np.random.default_rng(0), variation=False)
    with pytest.raises(ParameterError, match=match):
        amplitude_counts(array, codes, chip.programmed(np.ones((8, 4), dtype=np.int8)), chip.adcs[0])


@pytest.mark.parametrize("kwargs, match", [
    ({"input_bits": 0}, r"input_bits = 0: must be an integer in \[1, 8\]"),
    ({"input_bits": 9}, r"input_bits = 9: must be an integer in \[1, 8\]"),
    ({"input_bits": 2.0}, r"input_bits = 2\.0: must be an integer"),
    ({"input_bits": 4, "device": XNORSRAM()}, r"input_bits = 4: amplitude inputs .* single-port"),
    ({"input_bits": 4, "dac_levels": "log"}, r"dac_levels = 'log': allowed: \('linear', 'current_linear'\)"),
    ({"input_bits": 4, "dac_r_string_ohm": 0.0}, r"dac_r_string_ohm = 0\.0: must be a finite number > 0"),
])
def test_bad_array_configuration_is_rejected_by_name(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        SRAMArray(**kwargs)


def test_current_linear_levels_below_the_word_line_range_are_rejected():
    array = SRAMArray(v_wl_v=0.2, input_bits=8)  # I(0.2 V) / 255 is below the cell's current at 0+ V
    with pytest.raises(ParameterError, match=r"input_bits = 8: .*\(0, 1\.1\] V.*input_bits <= 7"):
        sample_amplitude_instance(array, 1, np.random.default_rng(0))
    assert word_line_levels(dataclasses.replace(array, input_bits=7)).voltages_v[1] > 0
    assert word_line_levels(dataclasses.replace(array, dac_levels="linear")).voltages_v[1] > 0


def test_binary_arrays_have_no_amplitude_reads():
    with pytest.raises(ParameterError, match=r"input_bits = 1: amplitude reads need input_bits >= 2"):
        sample_amplitude_instance(SRAMArray(), 1, np.random.default_rng(0))


@pytest.mark.parametrize("states, match", [
    (np.full((8, 4), 2, dtype=np.int8), r"states = \(2, 2\)"),
    (np.ones((20, 4), dtype=np.int8), r"states = \(20, 4\): must be a matrix of at most 16 x 4"),
])
def test_bad_states_are_rejected_by_name(states, match):
    array = SRAMArray(rows=16, cols=4, input_bits=3)
    chip = sample_amplitude_instance(array, 1, np.random.default_rng(0), variation=False)
    with pytest.raises(ParameterError, match=match):
        chip.programmed(states)
    with pytest.raises(ParameterError, match=match):
        amplitude_op_cost(array, np.ones((2, states.shape[0]), dtype=int), states)
