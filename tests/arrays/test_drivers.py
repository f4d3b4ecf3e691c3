"""Row periphery (decoder, word-line drivers, control) of `imc.arrays.drivers`: closed forms, limits and
its place in every array's op_cost and leakage."""

import math

import numpy as np
import pytest

from imc.arrays import ChargeSRAMArray, DigitalCosts, DRAMBitwiseArray, ResistiveArray, SRAMArray
from imc.arrays.drivers import (CELL_HEIGHT_F, DIFFUSION_HEIGHT_F, EPSILON_OX_F_PER_M, NODES, POLY_PITCH_F, RowDrivers,
                                off_current_per_width_a_m)
from imc.devices import ParameterError
from imc.devices.sram import SRAM6T
from imc.mapping import LayerSpec, map_layers


def test_unit_inverter_capacitance_is_the_oxide_closed_form():
    drivers = RowDrivers()
    assert drivers.c_inv_f == pytest.approx(EPSILON_OX_F_PER_M / 1.85e-9 * 65e-9 * 6 * 65e-9, rel=1e-12)
    assert drivers.c_inv_f == pytest.approx(0.473e-15, rel=1e-3)


def test_decoder_energy_grows_with_log2_rows():
    drivers = RowDrivers()
    per_bit = (drivers.stage_effort + drivers.parasitic_ratio) * drivers.c_inv_f * drivers.vdd_v ** 2
    for rows in (2, 16, 256, 4096):
        assert drivers.decode_energy_j(rows) == pytest.approx(math.log2(rows) * per_bit, rel=1e-12)
    assert drivers.decode_energy_j(257) == pytest.approx(9 * per_bit, rel=1e-12)   # ceil(log2)
    assert drivers.decode_energy_j(1) == 0.0


def test_driver_chain_energy_is_a_geometric_series_of_its_stages():
    drivers = RowDrivers(stage_effort=4.0, parasitic_ratio=1.0)
    c_wl = 40e-15
    stages = 30   # C_WL / f^i summed over the chain (gates), times 1 + gamma (drains)
    series = sum(c_wl / 4.0 ** i for i in range(1, stages)) * (1 + 1.0) * drivers.vdd_v ** 2
    assert drivers.driver_energy_j(c_wl) == pytest.approx(series, rel=1e-9)
    assert RowDrivers(stage_effort=2.0).driver_energy_j(c_wl) > drivers.driver_energy_j(c_wl)


def test_clock_energy_counts_flip_flops_and_op_cost_adds_the_parts():
    drivers = RowDrivers()
    assert drivers.clock_energy_j(256) == pytest.approx(256 * 4 * drivers.c_inv_f * drivers.vdd_v ** 2, rel=1e-12)
    cost = drivers.op_cost(256, 3, 40.0, 32e-15)
    assert cost.latency_s == 0.0
    assert cost.energy_j == pytest.approx({"decoder": 3 * drivers.decode_energy_j(256),
                                           "control": 3 * drivers.clock_energy_j(256),
                                           "wl_driver": 40 * drivers.driver_energy_j(32e-15)})
    assert set(drivers.op_cost(256, 1, 0.0, None, registers=0).energy_j) == {"decoder", "control"}


def test_leakage_is_half_the_periphery_width_at_the_off_current():
    drivers = RowDrivers()
    c_wl = 32e-15
    chain_m = c_wl / (3.0 * EPSILON_OX_F_PER_M * 65e-9 / 1.85e-9)
    expected = 256 * (chain_m + 6 * 65e-9) / 2 * drivers.i_off_a_per_m * 1.1
    assert drivers.leakage_power_w(256, c_wl) == pytest.approx(expected, rel=1e-12)
    assert drivers.leakage_power_w(256, None) < drivers.leakage_power_w(256, c_wl)


def test_default_off_current_is_the_65nm_sram_transistors():
    cell = SRAM6T()
    assert RowDrivers().i_off_a_per_m == pytest.approx(cell.leakage_current_a(np.zeros(1))[0] / cell.w_stack_m,
                                                       rel=1e-3)
    assert off_current_per_width_a_m("65nm") == pytest.approx(RowDrivers().i_off_a_per_m, rel=1e-3)


@pytest.mark.parametrize("node", sorted(NODES))
def test_nodes_scale_the_periphery(node):
    drivers = RowDrivers.at_node(node)
    assert drivers.vdd_v == SRAM6T.at_node(node).vdd_v
    assert drivers.i_off_a_per_m == pytest.approx(off_current_per_width_a_m(node))
    smaller = [n for n in NODES if int(n[:-2]) < int(node[:-2])]
    for other in smaller:
        assert RowDrivers.at_node(other).decode_energy_j(256) < drivers.decode_energy_j(256)


def test_28nm_periphery_is_the_ptm_32nm_hp_transistor_at_28nm():
    drivers = RowDrivers.at_node("28nm")
    assert (drivers.vdd_v, drivers.t_ox_m, drivers.l_gate_m) == pytest.approx((0.9, 1.15e-9, 28e-9))
    assert drivers.c_inv_f == pytest.approx(EPSILON_OX_F_PER_M / 1.15e-9 * 28e-9 * 6 * 28e-9, rel=1e-12)
    assert drivers.i_off_a_per_m == pytest.approx(off_current_per_width_a_m("28nm"))
    assert 0 < drivers.leakage_power_w(256, 32e-15) and 0 < drivers.area_m2(256, 32e-15)


def test_gate_area_is_the_neurosim_standard_cell_closed_form():
    """H (1 + ceil(W / 20.9 F)) CPP with H = 28 F, CPP = 3.8 F: the unit gate at 65 nm is 28 x 3.8 x 2 F^2."""
    assert (CELL_HEIGHT_F, POLY_PITCH_F, DIFFUSION_HEIGHT_F) == pytest.approx((28.0, 3.8, 20.9))
    drivers = RowDrivers()
    f = 65e-9
    assert drivers.gate_area_m2(drivers.unit_width_m) == pytest.approx(28 * 3.8 * 2 * f ** 2, rel=1e-12)
    assert drivers.gate_area_m2(20.9 * f) == pytest.approx(28 * 3.8 * 2 * f ** 2, rel=1e-12)        # one finger
    assert drivers.gate_area_m2(20.91 * f) == pytest.approx(28 * 3.8 * 3 * f ** 2, rel=1e-12)       # folded in two
    assert drivers.gate_area_m2(100 * f) == pytest.approx(28 * 3.8 * 6 * f ** 2, rel=1e-12)         # five fingers


def test_chain_stages_are_the_geometric_widths_down_to_the_unit_inverter():
    drivers = RowDrivers()
    c_wl = 32e-15
    widths = drivers.chain_widths_m(c_wl)
    first = c_wl / (4.0 * drivers.c_gate_per_width_f_m)
    assert widths == pytest.approx([first / 4.0 ** k for k in range(len(widths))], rel=1e-12)
    assert widths[-1] >= drivers.unit_width_m > widths[-1] / 4.0
    assert sum(widths) == pytest.approx(c_wl / (3.0 * drivers.c_gate_per_width_f_m), rel=0.02)   # the energy's series
    assert len(drivers.chain_widths_m(1e-18)) == 1   # the last stage always
    per_row = sum(drivers.gate_area_m2(w) for w in [drivers.unit_width_m, *widths])
    assert drivers.area_m2(256, c_wl) == pytest.approx(256 * per_row, rel=1e-12)
    assert drivers.area_m2(256, None) == pytest.approx(256 * drivers.gate_area_m2(drivers.unit_width_m))


def test_periphery_area_scales_as_f_squared_between_nodes():
    """Same sizes in units of F (W/L, C_WL in units of C_inv): the area goes as F^2."""
    small = RowDrivers(l_gate_m=65e-9, t_ox_m=1.85e-9)
    large = RowDrivers(l_gate_m=130e-9, t_ox_m=3.7e-9)   # t_ox doubled too: C per width and C_inv double
    assert large.c_inv_f == pytest.approx(2 * small.c_inv_f, rel=1e-12)
    c_wl = 40 * small.c_inv_f
    assert large.area_m2(128, 2 * c_wl) == pytest.approx(4 * small.area_m2(128, c_wl), rel=1e-12)
    assert RowDrivers.at_node("130nm").area_m2(256, 50e-15) > RowDrivers.at_node("22nm").area_m2(256, 50e-15)


def _binary_tile(array, n_in=64, n_out=16, seed=0):
    weights = np.where(np.random.default_rng(seed).random((n_in, n_out)) < 0.5, -1, 1).astype(np.int8)
    layer = LayerSpec("d", weights, scale=np.ones(n_out), offset=np.zeros(n_out))
    return map_layers([layer], array.geometry(), "xnor").tiles[0]


@pytest.mark.parametrize("array", [SRAMArray(rows=64, cols=32), ChargeSRAMArray(rows=64, cols=32),
                                   ResistiveArray(rows=128, cols=32)], ids=["sram", "sram_charge", "resistive"])
def test_every_array_prices_its_row_periphery_through_its_drivers(array):
    tile = _binary_tile(array)
    x = np.random.default_rng(1).integers(0, 2, (50, 64)) * 2 - 1
    cost = array.op_cost(tile, x.astype(np.int8))
    assert {"decoder", "wl_driver", "control"} <= set(cost.energy_j)
    assert cost.energy_j["decoder"] == pytest.approx(tile.cycles * len(tile.reads)
                                                     * array.digital.drivers.decode_energy_j(array.rows), rel=1e-12)
    costly = type(array)(**{**array.__dict__, "digital": DigitalCosts(drivers=RowDrivers(stage_effort=2.0))})
    assert costly.op_cost(tile, x.astype(np.int8)).energy_j["wl_driver"] == pytest.approx(
        3 * cost.energy_j["wl_driver"], rel=1e-9)   # (1 + gamma) / (f - 1): 2 / 1 against 2 / 3


def test_dram_decodes_once_per_activation():
    array = DRAMBitwiseArray(rows=16, cols=64)
    tile = _binary_tile(array, 64, 4, seed=2)
    cost = array.op_cost(tile, np.ones((1, 64), dtype=np.int8))
    layout = array.layout(64, 4)
    activations = layout.weight_rows * 14 + layout.subarrays * layout.segments   # XNOR: 6 AAP + 2 AP
    assert cost.energy_j["decoder"] == pytest.approx(activations * array.digital.drivers.decode_energy_j(16 + 8))
    assert "wl_driver" not in cost.energy_j and cost.energy_j["control"] == 0.0


@pytest.mark.parametrize("array", [SRAMArray(), ChargeSRAMArray(), ResistiveArray(), DRAMBitwiseArray()],
                         ids=["sram", "sram_charge", "resistive", "dram"])
def test_array_leakage_includes_the_row_periphery(array):
    silent = DigitalCosts(drivers=RowDrivers(i_off_a_per_m=0.0))
    without = type(array)(**{**array.__dict__, "digital": silent}).leakage_power_w()
    assert array.leakage_power_w() > without
    assert without >= 0.0


@pytest.mark.parametrize("array", [SRAMArray(rows=64, cols=32), ResistiveArray(rows=128, cols=32)],
                         ids=["sram", "resistive"])
def test_array_area_includes_the_row_periphery_and_leakage_the_adcs(array):
    """area = cells + ADCs + RowDrivers.area_m2; leakage = cells + RowDrivers.leakage_power_w + the ADCs' at
    the periphery's off current (resistive cells: none)."""
    drivers = array.digital.drivers
    if isinstance(array, SRAMArray):
        rows, c_wl, adc_cols = array.logical_rows, array.c_wl_f, array.cols
        cells_m2 = array.rows * array.cols * array.device.cell_area_m2
    else:
        rows, c_wl, adc_cols = array.rows, array.cols * array.c_wl_cell_f, array.cols + 1
        cells_m2 = array.rows * (array.cols + 1) * array.cell_area_m2
    assert array.area_m2() == pytest.approx(cells_m2 + array.adc.array_cost(adc_cols).area_m2
                                            + drivers.area_m2(rows, c_wl), rel=1e-12)
    assert drivers.area_m2(rows, c_wl) > 0
    silent = type(array)(**{**array.__dict__, "digital": DigitalCosts(drivers=RowDrivers(i_off_a_per_m=0.0))})
    adc_w = array.adc.array_leakage_power_w(adc_cols, drivers.i_off_a_per_m)
    assert adc_w > 0
    assert array.leakage_power_w() == pytest.approx(silent.leakage_power_w() + adc_w
                                                    + drivers.leakage_power_w(rows, c_wl), rel=1e-9)
    if isinstance(array, ResistiveArray):
        assert silent.leakage_power_w() == 0.0


@pytest.mark.parametrize("make, field", [
    (lambda: RowDrivers(stage_effort=1.0), "stage_effort"),
    (lambda: RowDrivers(t_ox_m=0.0), "t_ox_m"),
    (lambda: RowDrivers(i_off_a_per_m=-1.0), "i_off_a_per_m"),
    (lambda: RowDrivers(i_off_a_per_m=1e9), "i_off_a_per_m"),
    (lambda: RowDrivers.at_node("7nm"), "node"),
    (lambda: RowDrivers().area_m2(0, 1e-15), "rows"),
    (lambda: RowDrivers().gate_area_m2(0.0), "width_m"),
    (lambda: RowDrivers().chain_widths_m(-1e-15), "c_wl_f"),
    (lambda: RowDrivers().decode_energy_j(0), "rows"),
    (lambda: DigitalCosts(drivers=1.0), "drivers"),
])
def test_bad_driver_parameters_name_the_field(make, field):
    with pytest.raises(ParameterError) as error:
        make()
    assert error.value.field == field
