import dataclasses

import numpy as np
import pytest

from imc.arrays import ColumnADC, SRAMArray
from imc.devices import SRAM6T, SRAM8T
from imc.devices import ParameterError


def ideal_adc(array):
    """The array's column ADCs of a nominal chip (no random offset, gain or DNL)."""
    return array.sample_instance(1, np.random.default_rng(0), variation=False).adcs[0]


def random_pattern(rng, batch, rows, cols, p=0.5):
    word_lines = (rng.random((batch, rows)) < p).astype(np.float32)
    states = (rng.random((rows, cols)) < p).astype(np.float32)
    return word_lines, states


@pytest.mark.parametrize("rows, bits", [(64, 7), (256, 9), (255, 8)])
def test_nominal_array_counts_exactly_with_enough_adc_bits(rows, bits):
    array = SRAMArray(rows=rows, cols=32, adc=ColumnADC(bits=bits))
    word_lines, states = random_pattern(np.random.default_rng(0), 50, rows, 32, p=0.9)
    counts = array.column_counts(word_lines, states, rows, ideal_adc(array))
    assert np.array_equal(counts, (word_lines @ states).astype(np.int32))


def test_coarse_adc_errs_by_at_most_half_an_lsb():
    rows, bits = 256, 4
    array = SRAMArray(rows=rows, cols=64, adc=ColumnADC(bits=bits))
    word_lines, states = random_pattern(np.random.default_rng(1), 100, rows, 64)
    exact = word_lines @ states
    counts = array.column_counts(word_lines, states, rows, ideal_adc(array))
    lsb = rows / (2 ** bits - 1)
    assert np.max(np.abs(counts - exact)) <= lsb / 2 + 0.5  # + 0.5: rounding back to a count
    assert np.any(counts != exact)


def test_swing_beyond_the_knee_compresses_large_counts():
    knee = SRAMArray().device.knee_v(0.7)
    array = SRAMArray(v_swing_v=1.05, adc=ColumnADC(bits=10))  # full scale far below the knee
    assert 1.1 - 1.05 < knee
    cells = np.ones((256, 1), dtype=np.float32)
    word_lines = np.tril(np.ones((257, 256), dtype=np.float32), -1)  # counts 0..256
    counts = array.column_counts(word_lines, cells, 256, ideal_adc(array))[:, 0]
    linear_limit = int((1.1 - knee) / (1.05 / 256))
    assert np.array_equal(counts[:linear_limit], np.arange(linear_limit))
    assert counts[-1] < 256 - 10
    assert np.all(np.diff(counts) >= 0)


def test_cell_current_variation_perturbs_counts_with_expected_spread():
    array = SRAMArray()
    rng = np.random.default_rng(4)
    rel = array.sample_instance(1, rng).cells[0]
    word_lines = np.ones((1, 256), dtype=np.float32)
    states = np.ones((256, 128), dtype=np.float32)
    sums = (word_lines @ (states * rel))[0]
    # std of a sum of 256 cells: sqrt(256) * std(I/I_nom); the alpha-power law linearised:
    # std(I/I_nom) ~ alpha * sigma_vth / overdrive
    d = array.device
    expected = np.sqrt(256) * d.alpha * d.sigma_vth_v / (0.7 - d.vth0_v)
    assert np.std(sums) == pytest.approx(expected, rel=0.25)


def test_pulse_width_closed_form():
    array = SRAMArray()
    i_cell = array.device.read_current_a(array.v_wl_v)
    assert array.pulse_width_s(128) == pytest.approx(0.5 * 256e-15 / (128 * i_cell), rel=1e-12)


def test_op_cost_components_closed_form():
    array = SRAMArray()
    counts = np.array([0.0, 64.0, 128.0])
    cost = array.read_cost(active_rows=128, column_counts=counts, full_scale_count=128)
    dv = counts * 0.5 / 128
    assert cost.energy_j["bitline"] == pytest.approx(256e-15 * 1.1 * dv.sum(), rel=1e-12)
    assert cost.energy_j["wordline"] == pytest.approx(128 * 128 * 0.25e-15 * 0.7 ** 2, rel=1e-12)
    assert cost.energy_j["adc"] == pytest.approx(3 * 4.4e-15 * 2 ** 8, rel=1e-12)
    t_adc = 9 / array.adc.f_clk_hz  # an 8-bit SAR: sampling + 8 bit cycles
    assert cost.latency_s == pytest.approx(5 * 1e3 * 256e-15 + array.pulse_width_s(128) + t_adc, rel=1e-12)
    assert cost.total_energy_j == pytest.approx(sum(cost.energy_j.values()))


def test_adc_offsets_of_a_chip_shift_the_counts():
    array = SRAMArray(rows=64, cols=8, adc=ColumnADC(bits=7, sigma_offset_lsb=2.0))
    chip = array.sample_instance(1, np.random.default_rng(3))
    word_lines = np.tril(np.ones((65, 64), dtype=np.float32), -1)
    ideal_cells = np.ones((64, 8), dtype=np.float32)
    counts = array.column_counts(word_lines, ideal_cells, 64, chip.adcs[0])
    # 2^7 - 1 = 127 codes over 64 counts: the offset (in LSB) moves a count by offset / (127 / 64)
    shift = np.median(counts - np.arange(65)[:, None], axis=0)
    expected = np.rint(chip.adcs[0].offset_lsb * 64 / 127)
    assert np.all(np.abs(shift - expected) <= 1)
    assert np.any(shift != 0)


def test_shared_adcs_lengthen_the_op():
    shared = SRAMArray(adc=ColumnADC(columns_per_adc=8))
    alone = SRAMArray()
    counts = np.zeros(128)
    extra = shared.read_cost(128, counts, 128).latency_s - alone.read_cost(128, counts, 128).latency_s
    assert extra == pytest.approx(7 * alone.adc.conversion_time_s, rel=1e-9)
    assert shared.area_m2() < alone.area_m2()


def test_area_takes_the_adcs_at_their_node_and_the_drivers_of_every_word_line():
    from imc.arrays import DigitalCosts
    from imc.arrays.drivers import RowDrivers
    from imc.devices import XNORSRAM
    default, at_32nm = SRAMArray(), SRAMArray(adc=ColumnADC(node_m=32e-9))
    assert default.area_m2() - at_32nm.area_m2() == pytest.approx(
        128 * (ColumnADC().area_per_adc_m2 - ColumnADC(node_m=32e-9).area_per_adc_m2), rel=1e-9)
    assert at_32nm.adc.array_cost(128).area_m2 == pytest.approx(128 * 1200e-12)
    xnor = SRAMArray(device=XNORSRAM())   # two word lines per row, each with its chain
    drivers = xnor.digital.drivers
    assert xnor.area_m2() == pytest.approx(256 * 128 * xnor.device.cell_area_m2 + xnor.adc.array_cost(128).area_m2
                                           + drivers.area_m2(512, xnor.c_wl_f), rel=1e-12)
    node = SRAMArray(device=SRAM6T.at_node("22nm"), adc=ColumnADC(node_m=22e-9),
                     digital=DigitalCosts(drivers=RowDrivers.at_node("22nm")))
    assert node.area_m2() < default.area_m2()


def test_leakage_adds_the_adcs_at_the_periphery_off_current():
    array = SRAMArray(rows=64, cols=32)
    i_off = array.digital.drivers.i_off_a_per_m
    without = SRAMArray(rows=64, cols=32, adc=ColumnADC(columns_per_adc=32))
    assert array.leakage_power_w() - without.leakage_power_w() == pytest.approx(
        31 * array.adc.leakage_power_w(i_off), rel=1e-9)


def test_zero_variation_instance_is_exactly_nominal():
    array = SRAMArray(device=dataclasses.replace(SRAMArray().device, a_vt_v_m=0.0))
    assert np.all(array.sample_instance(2, np.random.default_rng(0)).cells == 1.0)
    nominal = SRAMArray(adc=ColumnADC(sigma_offset_lsb=1.0)).sample_instance(2, np.random.default_rng(0), False)
    assert np.all(nominal.cells == 1.0) and np.all(nominal.adcs[0].offset_lsb == 0.0)


@pytest.mark.parametrize("kwargs, field", [
    ({"rows": -1}, "rows"), ({"cols": 0}, "cols"), ({"v_wl_v": 1.5}, "v_wl_v"),
    ({"v_swing_v": 1.5}, "v_swing_v"), ({"r_precharge_ohm": -5.0}, "r_precharge_ohm"),
])
def test_bad_array_parameters_raise_naming_the_field(kwargs, field):
    with pytest.raises(ParameterError) as info:
        SRAMArray(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize("bits", [0, 17, 2.5])
def test_adc_bits_out_of_range_are_rejected(bits):  # the converter's own tests cover the rest
    with pytest.raises(ParameterError, match="bits"):
        ColumnADC(bits=bits)


def test_mismatched_shapes_are_rejected():
    array = SRAMArray(rows=64, cols=8)
    with pytest.raises(ParameterError, match="word_lines"):
        array.column_counts(np.ones((2, 10), np.float32), np.ones((12, 8), np.float32), 12, ideal_adc(array))
    with pytest.raises(ParameterError, match="cells"):
        array.column_counts(np.ones((2, 80), np.float32), np.ones((80, 8), np.float32), 80, ideal_adc(array))


def test_read_disturb_flag_grows_with_swing_and_word_line():
    safe = SRAMArray(v_wl_v=0.7, v_swing_v=0.5)
    risky = SRAMArray(v_wl_v=1.1, v_swing_v=0.9)
    assert safe.read_disturb_probability() < 1e-30
    cell = risky.device
    lowest = cell.vdd_v - float(cell.bitline_discharge_v(0.9, 1.1))
    assert risky.read_disturb_probability() == pytest.approx(cell.read_disturb_probability(lowest, 1.1))
    assert risky.read_disturb_probability() > 1e-3


@pytest.mark.parametrize("cell", [SRAM8T(), SRAM6T.at_node("22nm")])
def test_other_cells_and_nodes_run_the_same_array(cell):
    array = SRAMArray(rows=64, cols=16, v_wl_v=0.5 * (cell.vdd_v + cell.vth0_v) + 0.05, v_swing_v=0.3,
                      device=cell, adc=ColumnADC(bits=7))
    word_lines, states = random_pattern(np.random.default_rng(8), 20, 64, 16)
    exact = (word_lines @ states).astype(np.int32)
    assert np.array_equal(array.column_counts(word_lines, states, 64, ideal_adc(array)), exact)
    chip = array.sample_instance(1, np.random.default_rng(9))
    noisy = array.column_counts(word_lines, states * chip.cells[0, :64, :16], 64, chip.adcs[0])
    assert 0 < np.abs(noisy - exact).mean() < 3


def test_sense_amp_decides_count_against_threshold_midpoint():
    array = SRAMArray(rows=64, cols=4, sensing="sense_amp")
    cells = np.ones((64, 4), dtype=np.float32)
    word_lines = np.tril(np.ones((65, 64), dtype=np.float32), -1)  # counts 0..64
    thresholds = np.array([0, 10, 64, 65])
    decisions = array.column_decisions(word_lines, cells, 64, thresholds, np.zeros(4))
    counts = np.arange(65)[:, None]
    assert np.array_equal(decisions, counts >= thresholds[None, :])
    # an offset of one count's worth of bit-line swing moves the decision by one count
    unit = array.v_swing_v / 64
    shifted = array.column_decisions(word_lines, cells, 64, thresholds, np.full(4, 1.0 * unit))
    assert np.array_equal(shifted[:, 1], counts[:, 0] >= 11)


def test_bad_sensing_mode_is_rejected():
    with pytest.raises(ParameterError, match="sensing"):
        SRAMArray(sensing="comparator")


@pytest.mark.parametrize("significances", [(-2,), (1, 2, -4)])
@pytest.mark.parametrize("zero_code", [0, 128])
@pytest.mark.parametrize("table", [False, True])
@pytest.mark.parametrize("layout", ["one group", "one group + reference", "three groups + reference"])
def test_fused_sense_kernel_matches_its_numpy_reference(table, layout, zero_code, significances):
    """Unipolar converters (zero code 0) and bipolar ones (zero at mid-scale, 128 of 255); one array
    cycle, or three stacked ones of bit-serial significances (the two's-complement top bit negative)."""
    from imc.arrays import _kernels_sensing
    from imc.arrays._kernels_converters import threshold_lookup
    from imc.arrays.converters import ColumnGroups
    rng = np.random.default_rng(10)
    chips, cols = 3, 13
    cell_sum = rng.uniform(-20, 300, (chips, len(significances) * 50, cols)).astype(np.float32)
    base = rng.uniform(0, 20, (chips, cols))
    inv_lsb, offset = 1 / rng.uniform(1.8e-3, 2.2e-3, (chips, cols)), rng.normal(0, 1, (chips, cols))
    thresholds = (np.sort(np.arange(1, 256) - 0.5 + rng.normal(0, 0.3, (chips, cols, 255)), axis=-1) if table
                  else np.zeros((chips, cols, 0)))
    offsets = lambda n: rng.integers(-50, 50, n).astype(np.int32)
    groups = {"one group": ColumnGroups.single(cols, 4, offsets(cols)),
              "one group + reference": ColumnGroups.single(cols, 4, offsets(cols - 1), reference_gain=-2),
              "three groups + reference": ColumnGroups.of([(slice(0, 4), 1, offsets(4), 0), (slice(4, 8), 16, offsets(4), 0),
                                                           (slice(8, 13), -256, offsets(4), -3)])}[layout]
    counts_per_code = rng.uniform(0.5, 2.0, cols)  # each column's own full scale
    conversion = (0.5 / 256, 1.1, 0.22, inv_lsb, offset, thresholds)
    decoding = (255.0, float(zero_code), counts_per_code, np.array(significances, float), groups.starts, groups.stops,
                groups.gains, groups.reference_gains, groups.column_offset)
    z = np.full((chips, 50, groups.n_out), 7, np.int32)
    assert _kernels_sensing.sense_accumulate(cell_sum, base, *conversion, threshold_lookup(thresholds), *decoding,
                                             z, 0) == 0
    assert np.array_equal(z - 7, _kernels_sensing.sense_accumulate_reference(cell_sum, base, *conversion, *decoding))


@pytest.mark.parametrize("v_knee_v", [-np.inf, 50.0])
def test_fused_sense_kernel_converts_inputs_on_the_thresholds_and_past_the_rails(v_knee_v):
    """Thresholds spread at random on a 1/8-LSB grid, so that whole-LSB bins hold from none to five or more of
    them, and sums that are the ADC inputs in LSB exactly (unit swing, LSB and gain, no offset): every threshold,
    one float32 ulp either side of it, the bin edges and both rails; with a knee that ends the linear swing at
    30 LSB, the sums past it convert their discharge instead."""
    from imc.arrays import _kernels_sensing
    from imc.arrays._kernels_converters import threshold_lookup
    from imc.arrays.converters import ColumnGroups
    rng = np.random.default_rng(12)
    chips, cols, m = 2, 8, 400
    thresholds = np.sort(rng.integers(-16, 66 * 8, (chips, cols, 63)) / 8, axis=-1)
    occupancy = np.diff(threshold_lookup(thresholds)[..., 0], axis=-1, append=63)
    assert {0, 1, 2, 3} <= set(occupancy.ravel()) and occupancy.max() >= 5
    cell_sum = np.empty((chips, m, cols), np.float32)
    for c, j in np.ndindex(chips, cols):
        on = thresholds[c, j].astype(np.float32)
        cell_sum[c, :, j] = np.resize(np.concatenate([on, np.nextafter(on, np.float32(-np.inf)),
                                                      np.nextafter(on, np.float32(np.inf)), np.arange(-3, 68),
                                                      [-1e30, -0.0, 1e30]]), m)
    groups = ColumnGroups.single(cols)
    conversion = (1.0, 80.0, v_knee_v, np.ones((chips, cols)), np.zeros((chips, cols)), thresholds)
    decoding = (63.0, 0.0, np.ones(cols), np.ones(1), groups.starts, groups.stops, groups.gains,
                groups.reference_gains, groups.column_offset)
    base, z = np.zeros((chips, cols)), np.zeros((chips, m, cols), np.int32)
    assert _kernels_sensing.sense_accumulate(cell_sum, base, *conversion, threshold_lookup(thresholds), *decoding,
                                             z, 0) == 0
    with np.errstate(invalid="ignore", over="ignore"):  # the reference's discarded knee tails: inf / inf, exp(1e29)
        reference = _kernels_sensing.sense_accumulate_reference(cell_sum, base, *conversion, *decoding)
    assert np.array_equal(z, reference)
    assert {0, 63} <= set(z.ravel())


def test_sense_through_an_ideal_threshold_table_equals_the_closed_form():
    rng = np.random.default_rng(10)
    array = SRAMArray(adc=ColumnADC(sigma_offset_lsb=1.0, sigma_gain_rel=0.02))
    chip = array.sample_instance(1, np.random.default_rng(11))
    table = dataclasses.replace(chip.adcs[0], thresholds_lsb=np.tile(np.arange(1, 256) - 0.5, (128, 1)))
    sums = rng.uniform(0, 130, (40, 128)).astype(np.float32)
    assert np.array_equal(array.sense(sums, 128, chip.adcs[0]), array.sense(sums, 128, table))


def test_sense_rejects_non_finite_column_sums():
    array = SRAMArray(cols=8)
    with pytest.raises(ParameterError, match="signal = .NaN.inf in 2 rows.: column values must be finite"):
        array.sense(np.full((2, 8), np.nan, np.float32), 64, ideal_adc(array))