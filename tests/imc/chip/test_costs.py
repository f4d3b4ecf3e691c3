import numpy as np
import pytest
from imc.arrays import OpCost, ResistiveArray, accumulator_bits

from imc.chip.costs import code_bits, stage_costs
from imc.performance import layer_cost


def test_stage_costs_split_the_closed_form_layer_cost_into_tile_ops_and_the_digital_stage(sram):
    array, plan, x = sram
    stages = stage_costs(plan, array, x)
    flat = x.reshape(len(x), -1)
    first = plan.layers[0]
    assert [t.total_energy_j for t in stages[0].tiles] == pytest.approx(
        [array.op_cost(tile, flat[:, tile.inputs]).total_energy_j for tile in first.tiles])
    # dense0: 2 row tiles -> one adder level plus the output stage, one clock each
    assert stages[0].digital.latency_s == pytest.approx(2 / array.digital.f_clk_hz)
    assert set(stages[0].digital.energy_j) == {"digital", "buffer"}
    whole = layer_cost(plan, array, 0, flat)
    side_by_side = OpCost({}, 0.0)
    for t in stages[0].tiles:
        side_by_side = side_by_side.alongside(t)
    rebuilt = side_by_side + stages[0].digital
    assert rebuilt.latency_s == pytest.approx(whole.latency_s)
    assert rebuilt.energy_j == pytest.approx(whole.energy_j)


def test_data_sizes_of_the_digits_mlp(sram):
    array, plan, x = sram
    stages = stage_costs(plan, array, x)
    assert [s.input_bits for s in stages] == [256, 256, 128]
    assert [s.output_bits for s in stages] == [256, 128, 10 * accumulator_bits(128)]
    assert code_bits(plan.layers[0].spec) == 1 and stages[2].positions == 1
    # a tile of 128 inputs (256 XNOR word lines) and 128 outputs: 128 partial sums of 9 bits
    assert stages[0].slice_bits == (128,) * 4 and stages[0].partial_sum_bits == (128 * 9,) * 4


def test_array_leakage_is_its_cells_model_plus_its_row_periphery_and_adcs(sram, digits):
    array, _, _ = sram
    cell, drivers = array.device, array.digital.drivers
    periphery_w = drivers.leakage_power_w(256, array.c_wl_f)
    adcs_w = array.adc.array_leakage_power_w(128, drivers.i_off_a_per_m)
    assert array.leakage_power_w() == pytest.approx(
        256 * 128 * float(cell.leakage_current_a(np.zeros(1))[0]) * cell.vdd_v + periphery_w + adcs_w)
    assert 0 < periphery_w < 0.5 * array.leakage_power_w() and adcs_w > 0
    resistive = ResistiveArray()   # non-volatile cells: only the CMOS periphery leaks
    drivers = resistive.digital.drivers
    assert resistive.leakage_power_w() == pytest.approx(
        drivers.leakage_power_w(128, 128 * resistive.c_wl_cell_f)
        + resistive.adc.array_leakage_power_w(129, drivers.i_off_a_per_m))
