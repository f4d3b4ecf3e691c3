"""The 10T capacitor-coupled SRAM cell: charge sharing, capacitor mismatch, kT/C noise and energy in
closed form, and its parameter ranges."""

import itertools
import math

import numpy as np
import pytest

from imc.devices import DEVICES, ParameterError, SRAM10TCap
from imc.devices.sram import BOLTZMANN_J_PER_K, NODES


def test_registered_with_its_node_parameters():
    assert DEVICES.get("sram10t_cap") is SRAM10TCap
    cell = SRAM10TCap.at_node("22nm")
    assert cell.vdd_v == NODES["22nm"]["vdd_v"]
    assert cell.cell_area_m2 == pytest.approx(1.8 * NODES["22nm"]["cell_area_m2"])
    assert cell.ports == 2 and cell.levels == 2


def test_line_voltage_is_the_charge_sharing_formula():
    """k of N nominal capacitors driven to V_DD on a line of parasitic C_par:
    V = V_DD k C / (N C + C_par); with C_par = 0 the unattenuated V_DD k / N."""
    cell = SRAM10TCap()
    n, k, c_par = 64, 23, 30e-15
    driven = (np.arange(n) < k).astype(float)[:, None]
    capacitance = np.full((n, 1), cell.c_c_f)
    closed = cell.vdd_v * k * cell.c_c_f / (n * cell.c_c_f + c_par)
    assert cell.line_voltage_v(capacitance, driven, c_par)[0] == pytest.approx(closed, rel=1e-12)
    assert cell.line_voltage_v(capacitance, driven, 0.0)[0] == pytest.approx(cell.vdd_v * k / n, rel=1e-12)


def test_parasitic_capacitance_attenuates_the_swing_monotonically():
    cell = SRAM10TCap()
    capacitance, driven = np.full((32, 1), cell.c_c_f), np.ones((32, 1))
    swings = [cell.line_voltage_v(capacitance, driven, c_par)[0] for c_par in (0.0, 10e-15, 40e-15, 1e-12)]
    assert swings[0] == pytest.approx(cell.vdd_v) and all(a > b for a, b in itertools.pairwise(swings))
    assert swings[-1] == pytest.approx(cell.vdd_v * 32 * 1.2 / (32 * 1.2 + 1000), rel=1e-12)


def test_mismatched_capacitors_weigh_their_charge():
    """Two driven cells of 1 and 3 fF and an undriven 2 fF one share 4 fF of charge over 6 fF."""
    cell = SRAM10TCap()
    capacitance = np.array([[1e-15], [3e-15], [2e-15]])
    driven = np.array([[1.0], [1.0], [0.0]])
    assert cell.line_voltage_v(capacitance, driven, 0.0)[0] == pytest.approx(cell.vdd_v * 4 / 6)


def test_sampled_capacitor_spread_matches_the_area_law():
    """sigma(C)/C = A_C / sqrt(C): the sample std of 200,000 capacitors within 4 of its standard
    errors (1 / sqrt(2 n) relative), and a 4x larger capacitor matching 2x better."""
    cell = SRAM10TCap()
    n = 200_000
    caps = cell.sample_instance(np.ones(n, dtype=np.int8), np.random.default_rng(0)).capacitance_f
    sigma = cell.sigma_c_ref_rel * math.sqrt(cell.c_ref_f / cell.c_c_f)
    assert cell.sigma_c_rel == pytest.approx(sigma)
    assert np.std(caps / cell.c_c_f) == pytest.approx(sigma, rel=4 / math.sqrt(2 * n))
    assert abs(np.mean(caps / cell.c_c_f) - 1) < 4 * sigma / math.sqrt(n)
    assert SRAM10TCap(c_c_f=4 * cell.c_c_f).sigma_c_rel == pytest.approx(sigma / 2)


def test_nominal_cells_have_exactly_the_designed_capacitance():
    cell = SRAM10TCap().nominal()
    assert cell.sigma_c_ref_rel == 0
    instance = cell.sample_instance(np.array([[0, 1], [1, 1]]), np.random.default_rng(0))
    assert np.all(instance.capacitance_f == cell.c_c_f)
    np.testing.assert_array_equal(cell.read(instance), cell.c_c_f * cell.vdd_v * np.array([[0, 1], [1, 1]]))


def test_xnor_truth_table():
    cell = SRAM10TCap()
    states, inputs = np.array([1, 1, 0, 0]), np.array([1, -1, 1, -1])
    np.testing.assert_array_equal(cell.xnor_bits(states, inputs), [True, False, False, True])
    with pytest.raises(ParameterError, match="inputs"):
        cell.xnor_bits(states, np.array([1, 0, 1, -1]))


def test_kt_over_c_noise_closed_form():
    """sqrt(kT / C): 64.4 uV on 1 pF at 300 K; four times the capacitance, half the noise."""
    cell = SRAM10TCap()
    assert cell.line_noise_v(1e-12) == pytest.approx(math.sqrt(BOLTZMANN_J_PER_K * 300 / 1e-12))
    assert cell.line_noise_v(1e-12) == pytest.approx(64.4e-6, rel=1e-3)
    assert cell.line_noise_v(4e-12) == pytest.approx(cell.line_noise_v(1e-12) / 2)
    with pytest.raises(ParameterError, match="c_total_f"):
        cell.line_noise_v(0.0)


def test_drive_energy_and_cost_closed_forms():
    cell = SRAM10TCap()
    assert cell.drive_energy_j(10) == pytest.approx(10 * 1.2e-15 * 1.1 ** 2)
    cost = cell.cost()
    assert cost.read_energy_j == pytest.approx(1.2e-15 * 1.1 ** 2 + cell.c_wl_cell_f * 1.1 ** 2)
    assert cost.read_latency_s == pytest.approx(5 * cell.r_switch_ohm * cell.c_c_f)


@pytest.mark.parametrize("field, value, message", [
    ("c_c_f", 0.0, "> 0"), ("c_c_f", float("nan"), "1 nF"), ("c_c_f", float("inf"), "1 nF"),
    ("c_c_f", 1e-6, "1 nF"),
    ("sigma_c_ref_rel", -0.01, ">= 0"), ("sigma_c_ref_rel", 0.2, "non-positive capacitance"),
    ("sigma_c_ref_rel", float("nan"), ""), ("c_ref_f", 0.0, "> 0"), ("c_line_cell_f", -1e-16, ">= 0"),
    ("r_switch_ohm", 0.0, "> 0"),
])
def test_bad_parameters_are_refused_with_the_field_and_the_range(field, value, message):
    with pytest.raises(ParameterError, match=field) as info:
        SRAM10TCap(**{field: value})
    assert message in str(info.value)
