"""Two engines, one truth: the SimPy chip against the closed-form estimate, then contention,
stalls, determinism, bad input and deadlock."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from imc.arrays import ColumnADC, DRAMBitwiseArray, ResistiveArray, SRAMArray
from imc.mapping import map_layers

from imc.chip import ChipConfig, DeadlockError, Interconnect, Leakage, ProcessingElement, run_chip
from imc.chip.costs import stage_costs
from imc.errors import ParameterError
from imc.nn import zoo
from imc.performance import estimate

IDEAL = ChipConfig.ideal()


def with_pe(chip, **changes):
    return dataclasses.replace(chip, pe=dataclasses.replace(chip.pe, **changes))


@pytest.mark.parametrize("array", [SRAMArray(), ResistiveArray(), DRAMBitwiseArray()], ids=lambda a: a.key)
def test_uncontended_chip_matches_the_closed_form(digits, array):
    model, x = digits
    plan = map_layers(model.ops, array.geometry(), "xnor")
    perf = estimate(plan, array, x)
    result = run_chip(plan, array, x, IDEAL, 12)
    assert result.latencies_s[0] == pytest.approx(perf.latency_s, rel=1e-9)
    assert result.throughput_inf_per_s == pytest.approx(perf.throughput_inf_per_s, rel=1e-9)
    assert result.layers["busy"].to_dict() == pytest.approx({k: 12 * v for k, v in perf.layer_latency_s.items()})
    chip = result.energy_j.drop(columns="interconnect").drop(index="input") / 12
    pd.testing.assert_frame_equal(chip, perf.energy.loc[chip.index, chip.columns], rtol=1e-9, check_names=False)


def test_interconnect_energy_is_bits_times_hops_times_energy_per_bit_hop(digits, sram):
    array, plan, x = sram
    result = run_chip(plan, array, x, IDEAL, 5)
    # one layer per PE: global buffer at node 0, PEs at nodes 1..3 of a 2 x 2 snake mesh -> every hop is 1
    bits = [256, 256, 128, 10 * 9]   # inputs of dense0, dense1, dense2, and dense2's 10 logits of 9 bits
    per_bit_hop = IDEAL.interconnect.energy_per_bit_hop_j
    assert result.energy_j["interconnect"].to_dict() == pytest.approx(
        {"input": 5 * bits[0] * per_bit_hop, "dense0": 5 * bits[1] * per_bit_hop,
         "dense1": 5 * bits[2] * per_bit_hop, "dense2": 5 * bits[3] * per_bit_hop})


def test_tiles_on_another_pe_send_inputs_and_partial_sums_over_the_mesh(sram):
    array, plan, x = sram
    chip = with_pe(IDEAL, arrays=2)   # dense0's tiles 2 and 3 land on PE 1, one hop from PE 0
    result = run_chip(plan, array, x, chip, 6)
    assert result.latencies_s[0] == pytest.approx(estimate(plan, array, x).latency_s, rel=1e-9)
    moves = result.trace[(result.trace["kind"] == "link") & (result.trace["tile"] >= 0)]
    assert sorted(moves["tile"].unique()) == [2, 3] and len(moves) == 6 * 2 * 2
    per_bit_hop = chip.interconnect.energy_per_bit_hop_j
    assert moves["energy_j"].sum() == pytest.approx(6 * 2 * (128 + 128 * 9) * per_bit_hop)


def test_first_latency_adds_buffer_link_and_offchip_times_of_the_default_chip(sram):
    array, plan, x = sram
    chip = ChipConfig()
    perf = estimate(plan, array, x)
    result = run_chip(plan, array, x, chip, 3, arrival_rate_hz=1e6)   # one inference at a time on the chip
    data = [256, 256, 128, 90]
    port, link, off = chip.pe.buffer_bandwidth_bits_per_s, chip.interconnect, chip.offchip_bandwidth_bits_per_s
    # packed: every layer on PE 0 (mesh node 1), one hop from the global buffer; buffer reads and writes
    # of each layer around its compute, transfers inside the PE free
    expected = (data[0] / off + link.transfer_time_s(1, data[0])
                + sum(data[k] / port + perf.layer_latency_s[name] + data[k + 1] / port
                      for k, name in enumerate(perf.layer_latency_s))
                + link.transfer_time_s(1, data[3]) + data[3] / off)
    assert result.latencies_s == pytest.approx(np.full(3, expected), rel=1e-9)


def test_arrivals_slower_than_the_bottleneck_see_only_the_pipeline_latency(sram):
    array, plan, x = sram
    perf = estimate(plan, array, x)
    result = run_chip(plan, array, x, IDEAL, 20, arrival_rate_hz=0.9 * perf.throughput_inf_per_s)
    assert result.latencies_s == pytest.approx(np.full(20, perf.latency_s), rel=1e-9)
    assert result.throughput_inf_per_s == pytest.approx(0.9 * perf.throughput_inf_per_s, rel=1e-9)


def test_convolution_positions_run_as_separate_ops(digits):
    model, _ = zoo.load("xnor_cnn_digits")
    x = model.encode(np.zeros((4, 8, 8, 1)) + np.arange(64).reshape(1, 8, 8, 1) / 64)
    array = SRAMArray()
    plan = map_layers(model.ops, array.geometry(), "xnor")
    perf = estimate(plan, array, x)
    result = run_chip(plan, array, x, IDEAL, 3)
    assert result.latencies_s[0] == pytest.approx(perf.latency_s, rel=1e-9)
    ops = result.trace[result.trace["kind"] == "array"].groupby("layer").size()
    assert ops.to_dict() == {p.spec.name: 3 * p.spec.output_positions * len(p.tiles) for p in plan.layers}


def test_one_adc_bank_shared_by_two_layers_halves_their_rate(digits):
    model, x = digits
    array = SRAMArray(rows=512, cols=256)   # every layer on one array: 3 tiles
    plan = map_layers(model.ops, array.geometry(), "xnor")
    alone = run_chip(plan, array, x, IDEAL, 40)
    shared = run_chip(plan, array, x, dataclasses.replace(
        with_pe(IDEAL, arrays_per_adc_bank=2, digital_units=3), allocation="packed"), 40)
    ops = [stage.tiles[0].latency_s for stage in stage_costs(plan, array, x)]
    # dense0 and dense1 take turns on one bank: one inference per op0 + op1 instead of per op + adds
    assert shared.throughput_inf_per_s == pytest.approx(1 / (ops[0] + ops[1]), rel=1e-9)
    assert shared.throughput_inf_per_s / alone.throughput_inf_per_s == pytest.approx(0.5, abs=0.03)
    assert shared.utilisation["pe0.adc_bank0"] > 0.9 and shared.layers.loc["dense1", "resources"] > 0


def test_more_columns_per_adc_lowers_throughput_as_the_closed_form_says(digits):
    model, x = digits
    rates = []
    for columns in (1, 8):
        array = SRAMArray(adc=ColumnADC(columns_per_adc=columns))
        plan = map_layers(model.ops, array.geometry(), "xnor")
        result = run_chip(plan, array, x, IDEAL, 10)
        assert result.throughput_inf_per_s == pytest.approx(estimate(plan, array, x).throughput_inf_per_s, rel=1e-9)
        rates.append(result.throughput_inf_per_s)
    assert rates[1] < rates[0] / 4


def test_arrays_sharing_an_adc_bank_take_turns(sram):
    array, plan, x = sram
    result = run_chip(plan, array, x, with_pe(IDEAL, arrays_per_adc_bank=2), 16)
    stages = stage_costs(plan, array, x)
    # dense0's 4 tiles on 2 banks and dense1's 2 on one: two ops per bank, then the adds
    period = max(2 * s.tiles[0].latency_s + s.digital.latency_s if len(s.tiles) > 1
                 else s.tiles[0].latency_s + s.digital.latency_s for s in stages)
    assert result.throughput_inf_per_s == pytest.approx(1 / period, rel=1e-9)


def test_a_too_small_buffer_shows_as_stalls_before_the_bottleneck(digits):
    model, x = digits
    array = SRAMArray(rows=512, sensing="sense_amp")   # latched dense0, dense1 (fast); ADC dense2 (slow)
    plan = map_layers(model.ops, array.geometry(), "xnor")
    roomy = run_chip(plan, array, x, IDEAL, 40)
    tight = run_chip(plan, array, x, with_pe(IDEAL, input_buffer_bits=256, output_buffer_bits=256), 40)
    assert roomy.layers["space"].sum() == 0
    assert tight.layers.loc["dense0", "space"] > 0 and tight.layers.loc["dense1", "space"] > 0
    assert tight.layers.loc["dense2", "space"] == 0
    assert tight.bottleneck == roomy.bottleneck == "dense2"
    assert tight.throughput_inf_per_s == pytest.approx(roomy.throughput_inf_per_s, rel=1e-9)
    assert tight.buffers.loc["pe2.input_buffer[dense2]", "peak_bits"] == 256 < roomy.buffers.loc[
        "pe2.input_buffer[dense2]", "peak_bits"]


def test_the_same_config_gives_the_same_trace(sram):
    array, plan, x = sram
    chip = ChipConfig(interconnect=Interconnect(topology="bus"), pe=ProcessingElement(arrays=2))
    first, second = (run_chip(plan, array, x, chip, 30) for _ in range(2))
    pd.testing.assert_frame_equal(first.trace, second.trace)
    assert np.array_equal(first.completions_s, second.completions_s)


def test_events_are_per_tile_op_never_per_cell(sram):
    array, plan, x = sram
    small, large = (run_chip(plan, array, x, ChipConfig(), n) for n in (20, 40))
    assert (large.trace["kind"] == "array").sum() == 40 * plan.n_arrays
    # a fixed number of SimPy events per tile op and per layer, whatever the 256 x 128 cells
    assert large.events / 40 == pytest.approx(small.events / 20, rel=0.02)
    assert large.events / 40 < 12 * (plan.n_arrays + 2 * len(plan.layers))


def test_energy_is_events_plus_leakage_and_power_integrates_to_it(sram):
    array, plan, x = sram
    result = run_chip(plan, array, x, ChipConfig(pes=2), 25)
    cell = array.device
    cells_w = array.rows * array.cols * float(cell.leakage_current_a(np.zeros(1))[0]) * cell.vdd_v
    drivers = array.digital.drivers
    periphery_w = (drivers.leakage_power_w(array.rows, array.c_wl_f)
                   + array.adc.array_leakage_power_w(array.cols, drivers.i_off_a_per_m))
    assert result.leakage_w["arrays"] == pytest.approx(2 * 8 * (cells_w + periphery_w))
    assert result.leakage_w["buffers"] == pytest.approx((524288 + 2 * (16384 + 2048)) * 2.06e-11)
    assert result.energy_per_inference_j == pytest.approx(
        (result.trace["energy_j"].sum() + sum(result.leakage_w.values()) * result.makespan_s) / 25)
    assert sum(result.energy_by_component_j.values()) == pytest.approx(result.energy_per_inference_j)
    power = result.power_w(50)
    assert (power.to_numpy().sum() * result.makespan_s / 50) == pytest.approx(25 * result.energy_per_inference_j)


def test_non_volatile_arrays_leak_only_their_periphery_unless_told(digits):
    model, x = digits
    array = ResistiveArray()
    plan = map_layers(model.ops, array.geometry(), "xnor")
    drivers = array.digital.drivers
    periphery_w = (drivers.leakage_power_w(array.rows, array.cols * array.c_wl_cell_f)
                   + array.adc.array_leakage_power_w(array.cols + 1, drivers.i_off_a_per_m))
    result = run_chip(plan, array, x, IDEAL, 2)
    assert result.leakage_w["arrays"] == pytest.approx(3 * 8 * periphery_w)
    assert result.leakage_energy_j == pytest.approx(sum(result.leakage_w.values()) * result.makespan_s)
    told = dataclasses.replace(IDEAL, leakage=Leakage(array_w=1e-6))
    assert run_chip(plan, array, x, told, 2).leakage_w["arrays"] == pytest.approx(1e-6 * 3 * 8)


@pytest.mark.parametrize("chip, kwargs, field, allowed", [
    (ChipConfig(pes=1, pe=ProcessingElement(arrays=4)), {}, "chip.pes", "need 2 PEs of 4 arrays"),
    (ChipConfig(pe=ProcessingElement(input_buffer_bits=639)), {}, "chip.pe.input_buffer_bits",
     ("one input of each layer on PE 0 (dense0: 256, dense1: 256, dense2: 128 bits) at once, in its partitions: "
      ">= 640 bits")),
    (ChipConfig(buffers="shared", pe=ProcessingElement(output_buffer_bits=100)), {}, "chip.pe.output_buffer_bits",
     "one output of each layer on PE 0 (dense0: 256, dense1: 128, dense2: 90 bits): >= 256 bits"),
    (ChipConfig(global_buffer_bits=345), {}, "chip.global_buffer_bits",
     "(input: 256, output: 90 bits) at once, in its partitions: >= 346 bits"),
    (ChipConfig(), {"inferences": 1}, "inferences", ">= 2"),
    (ChipConfig(), {"arrival_rate_hz": 0.0}, "arrival_rate_hz", "> 0"),
    ("mesh", {}, "chip", "ChipConfig"),
])
def test_a_chip_that_cannot_run_the_plan_names_the_field_and_what_is_allowed(sram, chip, kwargs, field, allowed):
    array, plan, x = sram
    with pytest.raises(ParameterError) as info:
        run_chip(plan, array, x, chip, **{"inferences": 4, **kwargs})
    assert info.value.field == field and allowed in info.value.allowed


def test_a_deadlock_is_detected_and_reported(sram):
    array, plan, x = sram
    # one PE holds every layer; a shared global buffer full of inputs has no room left for an output
    chip = ChipConfig(buffers="shared", global_buffer_bits=256,
                      pe=ProcessingElement(arrays_per_adc_bank=2, input_buffer_bits=256, output_buffer_bits=256))
    with pytest.raises(DeadlockError, match=r"deadlocked at t = .* with 0 of 30 inferences done: .*"
                                            r"room for inference 0 in global_buffer holds 256 of 256 bits"):
        run_chip(plan, array, x, chip, 30)
    # the same capacity as regions of its own for every stream cannot deadlock
    partitioned = dataclasses.replace(chip, buffers="partitioned", global_buffer_bits=256 + 90,
                                      pe=dataclasses.replace(chip.pe, input_buffer_bits=640, output_buffer_bits=474))
    assert run_chip(plan, array, x, partitioned, 30).inferences == 30


def test_replicated_convolutions_match_the_closed_form_on_the_uncontended_chip():
    from imc.nn.data import load_digits
    model, _ = zoo.load("dorefa2_cnn_digits")
    x = model.encode(load_digits().x_test[:40])
    array = SRAMArray()
    plan = map_layers(model.ops, array.geometry(), replicas=4)
    perf = estimate(plan, array, x)
    result = run_chip(plan, array, x, IDEAL, 6)
    assert result.latencies_s[0] == pytest.approx(perf.latency_s, rel=1e-9)
    assert result.throughput_inf_per_s == pytest.approx(perf.throughput_inf_per_s, rel=1e-9)
    energy = result.energy_j.drop(columns="interconnect").drop(index="input") / 6
    pd.testing.assert_frame_equal(energy, perf.energy.loc[energy.index, energy.columns], rtol=1e-9, check_names=False)
