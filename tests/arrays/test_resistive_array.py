import dataclasses

import numpy as np
import pytest

from imc.arrays import ColumnADC, CrossbarWires
from imc.arrays.ir_drop import solve_exact
from imc.arrays.resistive_array import ResistiveArray
from imc.devices import RRAM, ParameterError, SkyrmionRacetrack

PASSIVE = RRAM(r_access_ohm=0.0, level_spacing="conductance")  # Ohm's-law tests: conductance levels
FLIP_FRACTION = 0.01  # outputs a float32 GEMM may round across an ADC threshold vs float64: measured <= 0.002


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


def test_ideal_bit_serial_cycles_collapse_to_one_product_and_others_do_not():
    rng = np.random.default_rng(4)
    array = ResistiveArray(rows=64, cols=16, input_bits=4, ohmic=True, device=PASSIVE, adc=ColumnADC(bits=10))
    states, x = problem(rng, 64, 16, 4)
    ideal = array.sample_instance(states, rng, variation=False)
    weights = array._weights(np.concatenate([PASSIVE.read(ideal.cells), PASSIVE.read(ideal.reference)], 1),
                             array.v_read_v, array.v_read_v)
    assert array._cycles_collapse(weights, ideal.adcs, array.full_scale_count())
    # the same integers cycle by cycle: an ADC offset far below one LSB keeps every count
    nudged = dataclasses.replace(ideal.adcs, offset_lsb=ideal.adcs.offset_lsb + 1e-6)
    tiny_offset = dataclasses.replace(ideal, adcs=nudged)
    assert not array._cycles_collapse(weights, tiny_offset.adcs, array.full_scale_count())
    assert np.array_equal(array.matvec(ideal, x), array.matvec(tiny_offset, x))
    # too few ADC bits: each cycle saturates or rounds, so the cycles stay separate
    coarse = dataclasses.replace(array, adc=ColumnADC(bits=5))
    assert not coarse._cycles_collapse(weights, ideal.adcs, coarse.full_scale_count())
    assert not np.array_equal(coarse.matvec(coarse.sample_instance(states, rng, variation=False), x), x @ states)
    # variation: cells are not whole level steps
    varied = array.sample_instance(states, rng)
    varied_weights = array._weights(np.concatenate([PASSIVE.read(varied.cells), PASSIVE.read(varied.reference)], 1),
                                    array.v_read_v, array.v_read_v)
    assert not array._cycles_collapse(varied_weights, ideal.adcs, array.full_scale_count())


def test_largest_ideal_array_stays_exact_through_the_float32_gemm():
    rng = np.random.default_rng(0)
    array = ResistiveArray(rows=4096, cols=8, input_bits=4, ohmic=True, device=PASSIVE, adc=ColumnADC(bits=16))
    states = np.full((4096, 8), 15)
    states[:, 1:] = rng.integers(0, 16, (4096, 7))
    x = np.full((6, 4096), 15)
    x[1:] = rng.integers(0, 16, (5, 4096))
    assert array.full_scale_count() == 61440 <= array.adc.top_code
    assert np.array_equal(array.matvec(array.sample_instance(states, rng, variation=False), x), x @ states)


def cell_current(array, g, volts):
    return g * volts if array.linear_cells else array.device.current_a(g, volts)


def reference_signals(array, g, codes, unit_v, durations):
    """Column currents in float64 (a GEMM per code, or an exact IR-drop solve), less the reference
    column's, in nominal level steps: the direct computation of every cycle."""
    if array.wires is not None:  # each cell the resistor carrying its no-wire current at one unit drive
        currents = solve_exact(cell_current(array, g, unit_v) / unit_v, codes * unit_v, array.wires)
    else:
        currents = sum(((codes == c) * durations) @ cell_current(array, g, c * unit_v)
                       for c in range(1, codes.max() + 1))
    step = np.diff(cell_current(array, array.level_conductances_s[:2], unit_v))[0]
    return (currents[:, :-1] - currents[:, -1:]) / step


def reference_matvec(array, chip, x, rng):
    """Products the direct way: each cycle's signals through `ColumnADC.convert`, rescaled, shifted and added."""
    g = np.concatenate([array.device.read(chip.cells, rng), array.device.read(chip.reference, rng)], axis=1)
    full_scale = array.full_scale_count(x.shape[1])

    def counts(signal):
        codes = array.adc.convert(signal, chip.adcs, full_scale=float(full_scale))
        return np.rint(codes * (full_scale / array.adc.top_code)).astype(np.int64)

    ones = np.ones(x.shape)
    if array.input_scheme == "bit_serial":
        return sum(counts(reference_signals(array, g, (x >> b) & 1, array.v_read_v, ones)) << b
                   for b in range(array.input_bits))
    if array.input_scheme == "amplitude":
        unit_v = array.v_read_v / (2 ** array.input_bits - 1)
        return counts(reference_signals(array, g, x, unit_v, ones))
    return counts(reference_signals(array, g, np.minimum(x, 1), array.v_read_v, x))


NOISY_ADC = ColumnADC(bits=6, sigma_offset_lsb=0.5, sigma_gain_rel=0.02, inl_lsb=0.5, sigma_dnl_lsb=0.3,
                      columns_per_adc=2)


@pytest.mark.parametrize("scheme, wires", [("bit_serial", None), ("amplitude", None), ("pulse_width", None),
                                           ("bit_serial", CrossbarWires.passive_65nm()),
                                           ("amplitude", CrossbarWires())])
@pytest.mark.parametrize("device, ohmic", [(PASSIVE, True), (PASSIVE, False), (RRAM(), False)],
                         ids=["ohmic", "sinh", "sinh-1T1R"])
@pytest.mark.parametrize("adc", [ColumnADC(bits=12), NOISY_ADC], ids=["ideal-adc", "noisy-adc"])
def test_products_match_the_direct_float64_computation_of_every_cycle(scheme, wires, device, ohmic, adc):
    rng = np.random.default_rng(8)
    array = ResistiveArray(rows=64, cols=24, input_scheme=scheme, input_bits=3, device=device, ohmic=ohmic,
                           adc=adc, wires=wires)
    states = rng.integers(0, 16, (64, 24))
    chip = array.sample_instance(states, rng)
    flip = int(np.ceil(array.full_scale_count() / adc.top_code)) * (2 ** 3 - 1)
    for batch in (5, 70):  # with wires: fewer drives than rows are solved each, more go through the transfer matrix
        x = rng.integers(0, 8, (batch, 64))
        result = array.matvec(chip, x, np.random.default_rng(batch))
        expected = reference_matvec(array, chip, x, np.random.default_rng(batch))
        assert np.mean(result != expected) <= FLIP_FRACTION
        assert np.max(np.abs(result - expected)) <= flip


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
                               device=RRAM(r_access_ohm=r_access, level_spacing="conductance"))
        result = array.matvec(array.sample_instance(states, rng, variation=False), x)
        errors.append(np.abs(result - x @ states).mean() / (x @ states).mean())
    assert errors[0] == 0 and 0 < errors[1] < errors[2]
    # levels written to evenly spaced read currents undo it for bit-serial reads at V_read
    array = ResistiveArray(rows=64, cols=16, input_bits=2, adc=ColumnADC(bits=14), device=RRAM(r_access_ohm=15e3))
    assert np.array_equal(array.matvec(array.sample_instance(states, rng, variation=False), x), x @ states)


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


@pytest.mark.parametrize("scheme", ["bit_serial", "amplitude"])
def test_vanishing_wires_give_back_the_no_wire_cells_of_non_linear_1t1r_cells(scheme):
    """The 1T1R cell's sinh I-V and access transistor enter the wire network as its chord conductance
    I(G, V) / V: with wires of no resistance a programmed tile's signals equal the no-wire ones (a cell
    linearised as G in series with the access resistance instead was 2-3 % low at the 0.1 V read,
    and the 8-bit BNN on RRAM with IR drop fell from 97 % to 48 %); with the default 65 nm wires each
    cell loses a little on average (its signal is less the reference column's, which loses too)."""
    from imc.arrays.base import Conditions
    from imc.mapping import LayerSpec, map_layers
    rng = np.random.default_rng(6)
    spec = LayerSpec("q", rng.integers(-7, 8, (64, 20)), weight_bits=4, input_bits=2, scale=np.ones(20),
                     offset=np.zeros(20))
    array = ResistiveArray(rows=64, cols=48, input_scheme=scheme, input_bits=2, adc=ColumnADC(bits=12))
    plan = map_layers([spec], array.geometry(), inputs=scheme)
    ideal, wired = (dataclasses.replace(array, wires=CrossbarWires.ideal()),
                    array.under(Conditions(read_noise=False, ir_drop=True)))
    assert wired.wires.r_access_ohm == 0 and wired.wires.r_wire_row_ohm > 0
    cells = [a.program(plan.tiles, np.random.default_rng(1), variation=False)[0].reads[0].weights
             for a in (array, ideal, wired)]
    np.testing.assert_allclose(cells[1], cells[0], rtol=1e-6, atol=1e-6)
    loss = 1 - cells[2][np.abs(cells[0]) > 0.5] / cells[0][np.abs(cells[0]) > 0.5]
    assert 0 < loss.mean() and np.abs(loss).max() < 0.02  # signals less the reference column's: some gain


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


def test_noiseless_conditions_program_the_same_cells_without_folding_a_read_noise_variance():
    """Read noise off: the array under those conditions holds a noiseless device, so programming folds no
    variance (on the 1T1R cell each costs two I-V solves per cell) and the chip it programs from the same
    generator has the same cells and gives the same products as one whose noise is simply not drawn."""
    from imc.arrays.base import Conditions
    from imc.mapping import LayerSpec, map_layers
    rng = np.random.default_rng(5)
    spec = LayerSpec("q", rng.integers(-7, 8, (64, 12)), weight_bits=4, input_bits=2, scale=np.ones(12),
                     offset=np.zeros(12))
    array = ResistiveArray(rows=64, cols=32, input_bits=2, adc=ColumnADC(bits=10))
    quiet = array.under(Conditions(read_noise=False))
    assert quiet.device.sigma_read_rel == 0 and array.device.sigma_read_rel > 0
    assert array.under(Conditions()) == array
    plan = map_layers([spec], array.geometry(), inputs="bit_serial")
    noisy_state, quiet_state = (a.program(plan.tiles, np.random.default_rng(3))[0] for a in (array, quiet))
    assert noisy_state.reads[0].variance is not None and quiet_state.reads[0].variance is None
    assert np.array_equal(noisy_state.reads[0].weights, quiet_state.reads[0].weights)
    x = rng.integers(0, 4, (50, 64))
    outputs = []
    for a, state in ((array, noisy_state), (quiet, quiet_state)):
        out = np.zeros((50, 12), np.int32)
        a.accumulate(state, x, out)
        outputs.append(out)
    assert np.array_equal(*outputs)


def test_drift_lowers_the_products_over_time():
    rng = np.random.default_rng(5)
    states, x = problem(rng, 64, 16, 2)
    device = dataclasses.replace(PASSIVE, sigma_d2d_rel=0.0, sigma_pulse_rel=0.0, p_stuck_hrs=0.0, p_stuck_lrs=0.0,
                                 sigma_read_rel=0.0, nu_mean=0.05, nu_sigma=0.0)
    array = ResistiveArray(rows=64, cols=16, input_bits=2, ohmic=True, device=device, adc=ColumnADC(bits=14))
    chip = array.sample_instance(states, rng)
    fresh = array.matvec(chip, x)
    aged = array.matvec(array.age_instance(chip, 1e6), x)
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
    cost = array.read_cost(x, 5e-6, used_cols=16)
    ones = sum(((x >> b) & 1).sum(1).mean() for b in range(3))
    assert cost.energy_j["cells"] == pytest.approx(17 * 5e-6 * ones * 0.1 ** 2 * array.t_read_s)
    assert cost.energy_j["adc"] == pytest.approx(3 * 17 * array.adc.energy_per_conversion_j)
    assert cost.latency_s == pytest.approx(3 * array.t_read_s + 3 * array.adc.conversion_time_s)
    assert array.area_m2() > 64 * 17 * array.cell_area_m2


def balanced_and_differential(array, rng, n_in=64, n_out=12):
    """One 8-bit layer mapped both ways on ``array``'s 4-bit cells: {weights: plan}, and the spec."""
    from imc.mapping import LayerSpec, map_layers
    spec = LayerSpec("q", rng.integers(-127, 128, (n_in, n_out)), weight_bits=8, input_bits=3,
                     scale=np.ones(n_out), offset=np.zeros(n_out))
    return {weights: map_layers([spec], array.geometry(), weights=weights) for weights in ("differential", "balanced")}


def test_balanced_pairs_convert_half_the_columns_at_the_same_cell_energy():
    """8-bit weights on 4-bit cells: a differential tile converts 4 columns per output and the reference,
    a balanced one 2 pairs per output; the cells and drivers cost the same, and so does the time (each
    ADC converts its own column or pair)."""
    rng = np.random.default_rng(8)
    array = ResistiveArray(rows=64, cols=48, input_bits=3)
    plans = balanced_and_differential(array, rng)
    x = rng.integers(0, 8, (20, 64))
    costs = {weights: array.op_cost(plan.tiles[0], x) for weights, plan in plans.items()}
    tiles = {weights: plan.tiles[0] for weights, plan in plans.items()}
    assert tiles["balanced"].converted_columns == 24 and tiles["differential"].converted_columns == 48
    assert costs["balanced"].energy_j["adc"] == pytest.approx(costs["differential"].energy_j["adc"] * 24 / 49)
    assert costs["balanced"].energy_j["cells"] == pytest.approx(costs["differential"].energy_j["cells"])
    assert costs["balanced"].latency_s == pytest.approx(costs["differential"].latency_s)


def test_balanced_pair_noise_is_both_columns_without_the_reference():
    """Nominal cells with read noise: a pair's folded variance is its two cells' variances summed, the
    differential tile's per-column variances less the reference column's they each hold."""
    rng = np.random.default_rng(9)
    array = ResistiveArray(rows=64, cols=48, input_bits=3, ohmic=True, device=PASSIVE)
    plans = balanced_and_differential(array, rng)
    reads = {weights: array.program(plan.tiles, np.random.default_rng(1), variation=False)[0].reads[0]
             for weights, plan in plans.items()}
    reference = PASSIVE.read_std(array.sample_instance(np.zeros((64, 1), int), rng, variation=False).cells)
    reference_variance = (reference[:, 0] * array.v_read_v / array._level_step_current(array.v_read_v)) ** 2
    per_column = reads["differential"].variance - reference_variance[:, None]
    m = 12  # outputs: the differential tile's columns are [slice 0 +, slice 1 +, slice 0 -, slice 1 -] x 12
    expected = np.concatenate([per_column[:, :m] + per_column[:, 2 * m:3 * m],
                               per_column[:, m:2 * m] + per_column[:, 3 * m:]], axis=1)
    np.testing.assert_allclose(reads["balanced"].variance, expected, rtol=1e-5, atol=1e-9)
    cells = reads["differential"].weights
    np.testing.assert_allclose(reads["balanced"].weights, np.concatenate(
        [cells[:, :m] - cells[:, 2 * m:3 * m], cells[:, m:2 * m] - cells[:, 3 * m:]], axis=1), atol=1e-5)


@pytest.mark.parametrize("weights, error", [("differential", -16), ("balanced", -30)])
def test_stuck_on_cells_cost_a_balanced_pair_up_to_twice_the_full_scale(weights, error):
    """w = +1 on 16 rows, every input 1, ADCs over 16 counts; two cells of the negative part stuck at the top
    level add 2 x 15 = 30 counts to it: a differential pair's negative column saturates at its full scale
    (error -16), a balanced pair's difference 16 - 30 = -14 stays within +-16 and the error is the whole 30."""
    from imc.mapping import LayerSpec, map_layers
    from imc.mapping.calibration import set_adc_range
    array = ResistiveArray(rows=16, cols=8, input_bits=2, ohmic=True, device=PASSIVE, adc=ColumnADC(bits=8))
    spec = LayerSpec("q", np.ones((16, 1), np.int64), weight_bits=2, input_bits=2, scale=np.ones(1),
                     offset=np.zeros(1))
    plan = set_adc_range(map_layers([spec], array.geometry(), weights=weights), "fixed", full_scale_count=16)
    tile = plan.tiles[0]
    assert tile.states[:, 1].max() == 0  # column 1 holds the negative part in both layouts
    nominal = array.sample_instance(array._levels_of(tile), np.random.default_rng(0), variation=False)
    conductance = nominal.cells.conductance_s.copy()
    conductance[:2, 1] = PASSIVE.level_conductances_s[-1]
    stuck = dataclasses.replace(nominal, cells=dataclasses.replace(nominal.cells, conductance_s=conductance))
    out = np.zeros((1, 1), np.int32)
    array.accumulate(array._tile_state(tile, stuck), np.ones((1, 16), np.int64), out)
    assert out[0, 0] - 16 == error


@pytest.mark.parametrize("x, message", [
    (np.full((2, 8), 8), "input codes"), (np.full((2, 8), -1), "input codes"), (np.zeros((2, 7), int), "x"),
])
def test_bad_inputs_name_the_problem(x, message):
    array = ResistiveArray(rows=8, cols=4, input_bits=3, ohmic=True, device=PASSIVE)
    chip = array.sample_instance(np.zeros((8, 4), int), np.random.default_rng(0))
    with pytest.raises(ParameterError, match=message):
        array.matvec(chip, x)


def test_cell_area_is_its_f_squared_count_at_the_array_node():
    """cell_area_f2 F^2: 48 F^2 at 65 nm by default; the cell matrix scales as F^2 between two nodes."""
    assert ResistiveArray().cell_area_m2 == pytest.approx(48 * 65e-9 ** 2, rel=1e-12)
    small, large = ResistiveArray(rows=64, cols=16), ResistiveArray(rows=64, cols=16, feature_m=130e-9)
    assert large.cell_area_m2 / small.cell_area_m2 == pytest.approx(4.0, rel=1e-12)
    periphery = small.area_m2() - 64 * 17 * small.cell_area_m2
    assert large.area_m2() - small.area_m2() == pytest.approx(64 * 17 * 3 * small.cell_area_m2, rel=1e-9)
    assert periphery > 0   # the ADCs and drivers follow their own nodes (adc.node_m, digital.drivers)
    assert ResistiveArray(cell_area_f2=125.74, feature_m=130e-9).cell_area_m2 == pytest.approx(2.125e-12, rel=1e-3)


def test_bad_configuration_is_rejected():
    with pytest.raises(ParameterError, match="input_scheme"):
        ResistiveArray(input_scheme="analog")
    for bad in ({"feature_m": 0.065}, {"feature_m": 0.0}, {"cell_area_f2": 0.0}):
        with pytest.raises(ParameterError) as error:
            ResistiveArray(**bad)
        assert error.value.field == next(iter(bad))
    with pytest.raises(ParameterError, match="states"):
        ResistiveArray(rows=4, cols=4).sample_instance(np.zeros((5, 4), int), np.random.default_rng(0))
    pulses = ResistiveArray(rows=4, cols=4, input_scheme="pulse_width", wires=CrossbarWires.ideal(), device=PASSIVE)
    chip = pulses.sample_instance(np.zeros((4, 4), int), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="wires"):
        pulses.matvec(chip, np.ones((1, 4), int))
