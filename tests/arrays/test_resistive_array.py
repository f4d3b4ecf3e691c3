import dataclasses

import numpy as np
import pytest

from imc.arrays import ColumnADC, CrossbarWires
from imc.arrays.resistive_array import ResistiveArray
from imc.devices import RRAM, ParameterError, SkyrmionRacetrack

PASSIVE = RRAM(r_access_ohm=0.0)


def problem(rng, rows, cols, bits, levels=16):
    return rng.integers(0, levels, (rows, cols)), rng.integers(0, 2 ** bits, (12, rows))


@pytest.mark.parametrize("scheme", ["bit_serial", "amplitude", "pulse_width"])
@pytest.mark.parametrize("rows, cols, bits", [(64, 16, 3), (17, 5, 1), (128, 33, 4)])
def test_ideal_array_gives_the_exact_integer_product(scheme, rows, cols, bits):
    rng = np.random.default_rng(rows + cols + bits)
    array = ResistiveArray(rows=rows, cols=cols, input_scheme=scheme, input_bits=bits, ohmic=True, device=PASSIVE,
                           adc=ColumnADC(bits=16))
    states, x = problem(rng, rows, cols, bits)
    assert array.adc.top_code >= array.full_scale_count()
    instance = array.sample_instance(states, rng, variation=False)
    assert np.array_equal(array.matvec(instance, x), x @ states)


def test_sinh_cells_stay_exact_with_binary_row_voltages_but_not_with_dac_amplitudes():
    rng = np.random.default_rng(1)
    states, x = problem(rng, 64, 16, 4)
    exact = x @ states
    serial = ResistiveArray(rows=64, cols=16, device=PASSIVE, adc=ColumnADC(bits=14))
    assert np.array_equal(serial.matvec(serial.sample_instance(states, rng, variation=False), x), exact)
    errors = []
    for v0 in (1.0, 0.25, 0.1):
        amplitude = ResistiveArray(rows=64, cols=16, input_scheme="amplitude", adc=ColumnADC(bits=14),
                                   device=dataclasses.replace(PASSIVE, v0_v=v0))
        result = amplitude.matvec(amplitude.sample_instance(states, rng, variation=False), x)
        errors.append(np.abs(result - exact).mean() / exact.mean())
    assert errors[0] < errors[1] < errors[2] and errors[2] > 0.01


def test_access_resistance_makes_the_cell_current_non_linear_in_g():
    rng = np.random.default_rng(2)
    states, x = problem(rng, 64, 16, 2)
    errors = []
    for r_access in (0.0, 5e3, 15e3):
        array = ResistiveArray(rows=64, cols=16, input_bits=2, adc=ColumnADC(bits=14),
                               device=RRAM(r_access_ohm=r_access))
        result = array.matvec(array.sample_instance(states, rng, variation=False), x)
        errors.append(np.abs(result - x @ states).mean() / (x @ states).mean())
    assert errors[0] == 0 and 0 < errors[1] < errors[2]


def test_ir_drop_error_grows_with_wire_resistance():
    rng = np.random.default_rng(3)
    states, x = problem(rng, 64, 32, 2)
    errors = []
    for r_wire in (0.0, 1.0, 5.0):
        wires = CrossbarWires(r_wire_row_ohm=r_wire, r_wire_col_ohm=r_wire, r_driver_ohm=0.0, r_sense_ohm=0.0,
                              r_access_ohm=0.0)
        array = ResistiveArray(rows=64, cols=32, input_bits=2, ohmic=True, device=PASSIVE, wires=wires,
                               adc=ColumnADC(bits=14))
        result = array.matvec(array.sample_instance(states, rng, variation=False), x)
        errors.append(np.abs(result - x @ states).mean() / (x @ states).mean())
    assert errors[0] == 0 and 0 < errors[1] < errors[2]


def test_read_noise_is_dynamic_and_variation_static():
    rng = np.random.default_rng(4)
    states, x = problem(rng, 64, 16, 2)
    array = ResistiveArray(rows=64, cols=16, input_bits=2, ohmic=True, device=PASSIVE, adc=ColumnADC(bits=14))
    chip = array.sample_instance(states, np.random.default_rng(9))
    quiet = array.matvec(chip, x)
    assert np.array_equal(quiet, array.matvec(chip, x))            # static: same chip, same answer
    assert not np.array_equal(quiet, x @ states)                   # device-to-device variation shows
    noisy = [array.matvec(chip, x, np.random.default_rng(s)) for s in (1, 2)]
    assert not np.array_equal(noisy[0], noisy[1])                  # read noise drawn per read


def test_drift_lowers_the_products_over_time():
    rng = np.random.default_rng(5)
    states, x = problem(rng, 64, 16, 2)
    device = dataclasses.replace(PASSIVE, sigma_d2d_rel=0.0, sigma_pulse_rel=0.0, p_stuck_hrs=0.0, p_stuck_lrs=0.0,
                                 sigma_read_rel=0.0, nu_mean=0.05, nu_sigma=0.0)
    array = ResistiveArray(rows=64, cols=16, input_bits=2, ohmic=True, device=device, adc=ColumnADC(bits=14))
    chip = array.sample_instance(states, rng)
    fresh = array.matvec(chip, x)
    aged = array.matvec(array.age(chip, 1e6), x)
    assert np.array_equal(fresh, x @ states) and aged.sum() < fresh.sum()


def test_skyrmion_tracks_read_through_mtjs_fit_the_same_array():
    rng = np.random.default_rng(6)
    ideal = dataclasses.replace(SkyrmionRacetrack(), p_nucleation_fail=0.0, p_shift_loss=0.0, p_delete_fail=0.0,
                                sigma_ra_rel=0.0, sigma_tmr_rel=0.0)
    array = ResistiveArray(rows=32, cols=8, input_bits=2, device=ideal, adc=ColumnADC(bits=10))
    states, x = problem(rng, 32, 8, 2, levels=ideal.levels)
    assert np.array_equal(array.matvec(array.sample_instance(states, rng), x), x @ states)


def test_op_cost_closed_forms():
    rng = np.random.default_rng(7)
    array = ResistiveArray(rows=64, cols=16, input_bits=3, ohmic=True, device=PASSIVE)
    x = rng.integers(0, 8, (10, 64))
    cost = array.op_cost(x, 5e-6, used_cols=16)
    ones = sum(((x >> b) & 1).sum(1).mean() for b in range(3))
    assert cost.energy_j["cells"] == pytest.approx(17 * 5e-6 * ones * 0.1 ** 2 * array.t_read_s)
    assert cost.energy_j["adc"] == pytest.approx(3 * 17 * array.adc.energy_per_conversion_j)
    assert cost.latency_s == pytest.approx(3 * array.t_read_s + 3 * array.adc.conversion_time_s)
    assert array.area_m2 > 64 * 17 * array.cell_area_m2


@pytest.mark.parametrize("x, message", [
    (np.full((2, 8), 8), "input codes"), (np.full((2, 8), -1), "input codes"), (np.zeros((2, 7), int), "x"),
])
def test_bad_inputs_name_the_problem(x, message):
    array = ResistiveArray(rows=8, cols=4, input_bits=3, ohmic=True, device=PASSIVE)
    chip = array.sample_instance(np.zeros((8, 4), int), np.random.default_rng(0))
    with pytest.raises(ParameterError, match=message):
        array.matvec(chip, x)


def test_bad_configuration_is_rejected():
    with pytest.raises(ParameterError, match="input_scheme"):
        ResistiveArray(input_scheme="analog")
    with pytest.raises(ParameterError, match="states"):
        ResistiveArray(rows=4, cols=4).sample_instance(np.zeros((5, 4), int), np.random.default_rng(0))
    pulses = ResistiveArray(rows=4, cols=4, input_scheme="pulse_width", wires=CrossbarWires.ideal(), device=PASSIVE)
    chip = pulses.sample_instance(np.zeros((4, 4), int), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="wires"):
        pulses.matvec(chip, np.ones((1, 4), int))
