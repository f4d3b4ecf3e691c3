"""The 10T capacitor-coupled SRAM cell: charge sharing, capacitor mismatch, kT/C noise and energy in
closed form, and its parameter ranges."""

import itertools
import math

import numpy as np
import pytest

from imc.devices import DEVICES, ParameterError, SRAM10TCap
from imc.devices.sram import BOLTZMANN_J_PER_K, NODES, alpha_power_delay_ratio
from imc.devices.sram_charge import settle_time_constants


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
    """A read settles the plate to half a count of a 256-row column (9 bits): 10 ln 2 R_on C_c."""
    cell = SRAM10TCap()
    assert cell.drive_energy_j(10) == pytest.approx(10 * 1.2e-15 * 1.1 ** 2)
    cost = cell.cost()
    assert cost.read_energy_j == pytest.approx(1.2e-15 * 1.1 ** 2 + cell.c_wl_cell_f * 1.1 ** 2)
    assert cost.read_latency_s == pytest.approx(10 * math.log(2) * cell.switch_resistance_ohm * cell.c_c_f)


@pytest.mark.parametrize("bits", [1, 4, 8, 12, 16])
def test_settling_to_half_an_lsb_takes_bits_plus_one_ln2_time_constants(bits):
    """e^-N of a full-scale step is half an LSB, 2^-(bits+1): N = (bits + 1) ln 2 (6.24 for 8 bits)."""
    n = settle_time_constants(bits)
    assert n == pytest.approx((bits + 1) * math.log(2))
    assert math.exp(-n) == pytest.approx(0.5 / 2 ** bits)
    assert settle_time_constants(8) == pytest.approx(6.238, abs=1e-3)


@pytest.mark.parametrize("bits", [0, 17, 2.5])
def test_settling_of_an_impossible_resolution_is_refused(bits):
    with pytest.raises(ParameterError, match="bits"):
        settle_time_constants(bits)


def test_delay_ratio_is_the_alpha_power_expression():
    """t_d(V) / t_d(V_ref) = [V / (V - V_th)^a] / [V_ref / (V_ref - V_th)^a], written out here."""
    for v, v_ref, vth, alpha in [(0.85, 1.2, 0.429, 1.3), (0.6, 1.0, 0.3, 2.0), (1.5, 0.9, 0.45, 1.0)]:
        expected = (v / (v - vth) ** alpha) / (v_ref / (v_ref - vth) ** alpha)
        assert alpha_power_delay_ratio(v, v_ref, vth, alpha) == pytest.approx(expected, rel=1e-12)
    assert alpha_power_delay_ratio(0.9, 0.9, 0.429, 1.3) == 1.0
    ratios = [alpha_power_delay_ratio(v, 1.1, 0.429, 1.3) for v in (0.5, 0.7, 0.9, 1.1, 1.3)]
    assert all(a > b for a, b in itertools.pairwise(ratios))  # a lower supply is slower


def test_delay_grows_without_bound_as_the_supply_falls_to_the_threshold_and_is_refused_at_it():
    near = [alpha_power_delay_ratio(0.429 + dv, 1.1, 0.429, 1.3) for dv in (1e-1, 1e-2, 1e-3, 1e-4)]
    assert all(b > 10 * a for a, b in itertools.pairwise(near)) and near[-1] > 1e4
    for v in (0.429, 0.3, float("nan")):
        with pytest.raises(ParameterError, match="vdd_v") as info:
            alpha_power_delay_ratio(v, 1.1, 0.429, 1.3)
        assert "grows without bound" in str(info.value)
    with pytest.raises(ParameterError, match="vdd_ref_v"):
        alpha_power_delay_ratio(1.0, 0.4, 0.429, 1.3)
    with pytest.raises(ParameterError, match="alpha"):
        alpha_power_delay_ratio(1.0, 1.1, 0.429, 2.5)


def test_switch_resistance_is_the_nominal_drive_scaled_by_the_alpha_power_law():
    """At the node's nominal supply R_on = V_DD / I_D0 of the storage-gated transistor (13.2 kOhm at
    65 nm); an under-volted cell keeps that transistor and its resistance grows by the delay ratio."""
    nominal = SRAM10TCap()
    assert nominal.vdd_ref_v == nominal.vdd_v == 1.1
    assert nominal.switch_resistance_ohm == pytest.approx(1.1 / nominal._drives_a[1], rel=1e-12)
    assert nominal.switch_resistance_ohm == pytest.approx(13.2e3, rel=0.01)
    low = SRAM10TCap.at_node("65nm", vdd_v=0.85)
    assert low.vdd_ref_v == 1.1
    ratio = (0.85 / (0.85 - 0.429) ** 1.3) / (1.1 / (1.1 - 0.429) ** 1.3)
    assert low.switch_resistance_ohm == pytest.approx(nominal.switch_resistance_ohm * ratio, rel=1e-9)
    assert low.settle_time_s(8) / nominal.settle_time_s(8) == pytest.approx(ratio, rel=1e-9)
    near = SRAM10TCap(vdd_v=0.43)
    assert near.switch_resistance_ohm > 1e3 * nominal.switch_resistance_ohm


def test_at_node_takes_the_node_s_nominal_supply_as_the_reference():
    for node in ("130nm", "45nm", "22nm"):
        assert SRAM10TCap.at_node(node).vdd_ref_v == NODES[node]["vdd_v"]
    assert SRAM10TCap.at_node("45nm", vdd_ref_v=1.05).vdd_ref_v == 1.05
    with pytest.raises(ParameterError, match="node"):
        SRAM10TCap.at_node("7nm")


@pytest.mark.parametrize("field, value, message", [
    ("c_c_f", 0.0, "> 0"), ("c_c_f", float("nan"), "1 nF"), ("c_c_f", float("inf"), "1 nF"),
    ("c_c_f", 1e-6, "1 nF"),
    ("sigma_c_ref_rel", -0.01, ">= 0"), ("sigma_c_ref_rel", 0.2, "non-positive capacitance"),
    ("sigma_c_ref_rel", float("nan"), ""), ("c_ref_f", 0.0, "> 0"), ("c_line_cell_f", -1e-16, ">= 0"),
    ("vdd_ref_v", 0.4, "above vth0_v"), ("vdd_ref_v", float("nan"), "finite"),
])
def test_bad_parameters_are_refused_with_the_field_and_the_range(field, value, message):
    with pytest.raises(ParameterError, match=field) as info:
        SRAM10TCap(**{field: value})
    assert message in str(info.value)
