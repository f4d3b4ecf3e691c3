import dataclasses

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, SRAM6T, SRAM8T, XNORSRAM, ParameterError
from imc.devices import _kernels
from imc.devices.sram import NODES


def ones(shape):
    return np.ones(shape, dtype=np.int8)


def test_pelgrom_sigma_halves_when_area_quadruples():
    small = SRAM6T()
    large = dataclasses.replace(small, w_read_m=2 * small.w_read_m, l_read_m=2 * small.l_read_m)
    assert large.sigma_vth_v == pytest.approx(small.sigma_vth_v / 2, rel=1e-12)


def test_pelgrom_sigma_closed_form_for_both_read_transistors():
    d = SRAM6T()
    assert d.sigma_vth_v == pytest.approx(3.0e-9 / np.sqrt(100e-9 * 65e-9), rel=1e-12)
    assert d.sigma_vth_stack_v == pytest.approx(3.0e-9 / np.sqrt(200e-9 * 65e-9), rel=1e-12)


@pytest.mark.parametrize("field, sigma", [("dvth_read", "sigma_vth_v"), ("dvth_stack", "sigma_vth_stack_v")])
def test_sampled_threshold_std_within_chi_square_interval(field, sigma):
    d = SRAM6T()
    n = 200_000
    sample = getattr(d.sample_instance(ones(n), np.random.default_rng(1)), field).astype(np.float64)
    target = getattr(d, sigma) ** 2
    s2 = sample.var(ddof=1)
    assert (n - 1) * target / stats.chi2.ppf(0.9995, n - 1) < s2 < (n - 1) * target / stats.chi2.ppf(0.0005, n - 1)
    assert abs(sample.mean()) < 4 * np.sqrt(target / n)


def test_same_seed_gives_same_instance_and_other_seed_another():
    d = SRAM6T()
    a, b, c = (d.sample_instance(ones((64, 64)), np.random.default_rng(s)) for s in (7, 7, 8))
    assert np.array_equal(a.dvth_read, b.dvth_read) and np.array_equal(a.dvth_stack, b.dvth_stack)
    assert not np.array_equal(a.dvth_read, c.dvth_read)


def test_zero_mismatch_gives_nominal_current_everywhere():
    d = dataclasses.replace(SRAM6T(), a_vt_v_m=0.0)
    rel = d.relative_current(d.sample_instance(ones((32, 32)), np.random.default_rng(0)), 0.7)
    assert np.array_equal(rel, np.ones((32, 32), dtype=np.float32))


def test_nominal_read_current_is_the_calibration_point():
    for node in NODES:
        d = SRAM6T.at_node(node)
        assert d.read_current_a(d.vdd_v) == pytest.approx(d.i_read_a, rel=1e-9)


def effective_overdrive(cell, v_ov):
    scale = cell.alpha * cell.n_sub * cell.thermal_voltage_v
    return scale * np.logaddexp(0.0, v_ov / scale)


def test_read_current_approaches_alpha_power_law_when_the_stack_is_strong():
    strong = dataclasses.replace(SRAM6T(), w_stack_m=1e-3)  # pull-down resistance -> 0
    i_sat, _ = strong._drives_a
    for v_wl in (0.8, 0.9, 1.0):  # overdrive >> alpha n V_T = 47 mV
        law = i_sat * ((v_wl - strong.vth0_v) / (strong.vdd_v - strong.vth0_v)) ** strong.alpha
        assert strong.read_current_a(v_wl) == pytest.approx(law, rel=2e-3)  # V_eff -> V_ov above threshold


def test_series_pull_down_degenerates_the_current():
    d = SRAM6T()
    stronger = dataclasses.replace(d, w_stack_m=4 * d.w_stack_m, i_read_a=d.i_read_a)
    # same calibration at V_DD, but with a weaker pull-down the current falls faster with V_WL
    assert d.read_current_a(0.8) / d.read_current_a(1.1) > stronger.read_current_a(0.8) / stronger.read_current_a(1.1)


def test_sub_threshold_current_falls_one_decade_per_slope():
    d = SRAM6T()
    slope_v = d.n_sub * d.thermal_voltage_v * np.log(10)
    assert 0.075 < slope_v < 0.09
    ratio = d.read_current_a(0.2) / d.read_current_a(0.2 - slope_v)
    assert ratio == pytest.approx(10.0, rel=0.01)  # deep sub-threshold; degeneration negligible at pA


def test_current_is_continuous_and_increasing_across_threshold():
    d = SRAM6T()
    v = np.linspace(0.2, 1.1, 901)
    current = np.array([d.read_current_a(x) for x in v])
    assert np.all(np.diff(current) > 0)
    assert np.max(current[1:] / current[:-1]) < 1.1
    assert np.all(np.diff(np.log(current), 2) < 1e-3)  # smooth: no kink at threshold


def test_stack_kernel_matches_numpy_reference():
    d = SRAM6T()
    inst = d.sample_instance(ones((97, 61)), np.random.default_rng(3))
    i_read, i_stack = d._drives_a
    for v_wl in (0.35, 0.7, 1.1):
        kernel = d.cell_current_a(inst.dvth_read * 4, inst.dvth_stack * 4, v_wl)
        reference = _kernels.stack_read_current_reference(
            inst.dvth_read * 4, inst.dvth_stack * 4, v_wl, d.vdd_v, d.vth0_v, d.alpha,
            d.n_sub * d.thermal_voltage_v, i_read, i_stack, d.v_d0_v)
        np.testing.assert_allclose(kernel, reference, rtol=1e-12)


def test_stack_solution_satisfies_its_equation():
    d = SRAM6T()
    i_read, i_stack = d._drives_a
    current = d.read_current_a(0.7)
    r_stack = d.v_d0_v / (2 * i_stack)
    v_eff = effective_overdrive(d, 0.7 - current * r_stack - d.vth0_v)
    drive = i_read * (v_eff / (d.vdd_v - d.vth0_v)) ** d.alpha
    assert current == pytest.approx(drive, rel=1e-12)


def test_mismatch_spreads_current_as_linearised_alpha_power_law():
    d = dataclasses.replace(SRAM6T(), w_stack_m=1e-3)  # isolate the access transistor
    rel = d.relative_current(d.sample_instance(ones(100_000), np.random.default_rng(5)), 0.9)
    expected = d.alpha * d.sigma_vth_v / (0.9 - d.vth0_v)
    assert rel.std() == pytest.approx(expected, rel=0.05)


def test_cells_storing_zero_only_leak():
    d = SRAM6T()
    inst = d.sample_instance(np.array([0, 1]), np.random.default_rng(0))
    current = d.read(inst, v_wl_v=0.7)
    assert current[0] < 1e-5 * current[1]  # I_on / I_off > 1e5
    nominal_leak = d.leakage_current_a(np.zeros(1))[0]
    _, i_stack = d._drives_a
    expected = i_stack * (effective_overdrive(d, -d.vth0_v) / (d.vdd_v - d.vth0_v)) ** d.alpha
    assert nominal_leak == pytest.approx(expected, rel=1e-12)
    # deep sub-threshold: one decade per n V_T ln 10 of threshold
    shifted = d.leakage_current_a(np.array([d.n_sub * d.thermal_voltage_v * np.log(10)]))[0]
    assert nominal_leak / shifted == pytest.approx(10.0, rel=1e-3)


def test_bitline_discharge_equals_linear_closed_form_below_knee():
    d = SRAM6T()
    c_bl, i_col, t = 256e-15, 50 * d.read_current_a(0.7), 100e-12
    swing = i_col * t / c_bl
    assert swing < d.vdd_v - d.knee_v(0.7)
    assert d.bitline_discharge_v(swing, 0.7) == pytest.approx(i_col * t / c_bl, rel=1e-12)


def test_bitline_discharge_saturates_smoothly_above_knee():
    d = SRAM6T()
    knee = d.knee_v(0.7)
    corner = d.vdd_v - knee
    eps = 1e-7
    below, above = d.bitline_discharge_v(np.array([corner - eps, corner + eps]), 0.7)
    assert above - below == pytest.approx(2 * eps, rel=1e-3)  # slope 1 on both sides
    deep = d.bitline_discharge_v(np.array([corner + knee, corner + 10 * knee]), 0.7)
    assert deep[0] == pytest.approx(d.vdd_v - knee * np.exp(-1), rel=1e-12)
    assert deep[1] < d.vdd_v and deep[1] == pytest.approx(d.vdd_v, abs=knee * 1e-4)


def test_discharge_kernel_matches_numpy_reference():
    swings = np.linspace(0, 3, 1001).reshape(7, 143)
    kernel = _kernels.discharge_array(swings, 1.1, 0.2, np.empty_like(swings))
    np.testing.assert_allclose(kernel, _kernels.discharge_reference(swings, 1.1, 0.2), rtol=1e-12)


def test_read_energy_is_c_vdd_dv_and_cost_closed_form():
    d = SRAM6T()
    assert d.read_energy_j(0.3, 200e-15) == pytest.approx(200e-15 * d.vdd_v * 0.3, rel=1e-12)
    cost = d.cost(rows=128, swing_v=0.1)
    c_bl = 128 * d.c_bl_cell_f
    assert cost.read_energy_j == pytest.approx(c_bl * d.vdd_v * 0.1 + d.c_wl_cell_f * d.vdd_v ** 2)
    assert cost.read_latency_s == pytest.approx(c_bl * 0.1 / d.i_read_a, rel=1e-9)
    assert cost.write_energy_j == pytest.approx(c_bl * d.vdd_v ** 2 + d.c_wl_cell_f * d.vdd_v ** 2)


def test_read_disturb_closed_form_and_limits():
    d = SRAM6T()
    spread = np.sqrt(2) * d.sigma_vth_v
    assert d.read_disturb_probability(0.25, 1.1) == pytest.approx(0.5)
    assert d.read_disturb_probability(0.25 + spread, 1.1) == pytest.approx(stats.norm.cdf(-1), rel=1e-9)
    assert d.read_disturb_probability(1.0, 1.1) < 1e-40
    # word-line under-drive lowers the trip voltage one for one
    assert d.read_disturb_probability(0.05, 0.9) == pytest.approx(0.5)
    ideal = dataclasses.replace(d, a_vt_v_m=0.0)
    assert ideal.read_disturb_probability(0.24, 1.1) == 1.0 and ideal.read_disturb_probability(0.26, 1.1) == 0.0


def test_decoupled_read_cells_cannot_be_disturbed():
    assert SRAM8T().read_disturb_probability(0.0, 1.1) == 0.0
    assert XNORSRAM().read_disturb_probability(0.0, 1.1) == 0.0
    assert SRAM8T().cell_area_m2 > SRAM6T().cell_area_m2


def test_xnor_cell_conducts_iff_input_matches_weight():
    d = dataclasses.replace(XNORSRAM(), a_vt_v_m=0.0)
    weights = np.array([[0, 1], [0, 1]])
    inputs = np.array([[1], [-1]])
    inst = d.sample_instance(weights, np.random.default_rng(0))
    current = d.xnor_current_a(inst, inputs, 0.9)
    on = d.read_current_a(0.9)
    conducting = current > 1e-3 * on
    assert conducting.tolist() == [[False, True], [True, False]]
    assert current[conducting] == pytest.approx(on, rel=1e-9)


def test_xnor_ports_have_independent_mismatch():
    d = XNORSRAM()
    inst = d.sample_instance(ones(50_000), np.random.default_rng(2))
    assert inst.dvth_read.shape == (2, 50_000)
    assert abs(np.corrcoef(inst.dvth_read[0], inst.dvth_read[1])[0, 1]) < 0.03


def test_second_node_has_smaller_cells_and_larger_mismatch():
    old, new = SRAM6T.at_node("65nm"), SRAM6T.at_node("22nm")
    assert new.cell_area_m2 < old.cell_area_m2
    assert new.sigma_vth_v > old.sigma_vth_v
    assert new.vdd_v < old.vdd_v


@pytest.mark.parametrize("field, value", [
    ("c_bl_cell_f", -1e-15), ("i_read_a", 0.0), ("alpha", 2.5), ("alpha", 0.5),
    ("a_vt_v_m", -1e-9), ("vth0_v", 1.2), ("w_read_m", float("nan")), ("n_sub", 0.5),
    ("temperature_k", -3.0), ("v_write_trip_v", 2.0),
])
def test_non_physical_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        SRAM6T(**{field: value})
    assert info.value.field == field and field in str(info.value)


@pytest.mark.parametrize("v_wl", [0.0, -0.1, 1.2])
def test_word_line_outside_supply_is_rejected(v_wl):
    with pytest.raises(ParameterError, match="v_wl_v"):
        SRAM6T().read_current_a(v_wl)


def test_states_the_cell_cannot_hold_are_rejected():
    with pytest.raises(ParameterError, match="states"):
        SRAM6T().sample_instance(np.array([0, 2]), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="node"):
        SRAM6T.at_node("3nm")


def test_registry_lists_the_sram_cells():
    assert DEVICES["sram6t"] is SRAM6T and DEVICES["sram8t"] is SRAM8T and DEVICES["sram_xnor"] is XNORSRAM


@pytest.mark.parametrize("v_wl", [0.35, 0.45, 0.7, 1.1])
def test_tabulated_current_matches_the_exact_solver(v_wl):
    d = SRAM6T()
    inst = d.sample_instance(ones(200_000), np.random.default_rng(8))
    fast = d.relative_current_tabulated(inst, v_wl)
    exact = d.relative_current(inst, v_wl)
    assert np.max(np.abs(fast - exact) / exact) < 2e-4


def test_tabulated_current_is_exact_at_zero_mismatch_and_outside_the_table():
    d = SRAM6T()
    zero = d.sample_instance(ones(4), np.random.default_rng(0))
    zero = type(zero)(zero.states, np.zeros(4, np.float32), np.zeros(4, np.float32))
    assert np.array_equal(d.relative_current_tabulated(zero, 0.7), np.ones(4, np.float32))
    far = type(zero)(zero.states, np.array([0, 12 * d.sigma_vth_v, -10 * d.sigma_vth_v, 0], np.float32),
                     np.zeros(4, np.float32))
    np.testing.assert_allclose(d.relative_current_tabulated(far, 0.7), d.relative_current(far, 0.7), rtol=1e-6)


def test_lookup_kernel_matches_numpy_reference():
    rng = np.random.default_rng(4)
    table = rng.random((9, 7))
    x, y = rng.uniform(-0.5, 9, 5000), rng.uniform(-0.5, 7, 5000)  # several of the kernel's blocks
    x[:4], y[:4] = [8.0, 0.0, np.nan, 3.0], [6.0, 0.0, 2.0, np.inf]  # the grid's far and near corners; NaN, inf
    out = np.empty(5000)
    kernel = _kernels.bilinear_lookup(x, y, 0.0, 1.0, 0.0, 1.0, table, out)
    reference = _kernels.bilinear_lookup_reference(x, y, 0.0, 1.0, 0.0, 1.0, table)
    np.testing.assert_allclose(kernel, reference, rtol=1e-12, equal_nan=True)
    assert np.isnan(kernel[(x < 0) | (x > 8) | (y < 0) | (y > 6)]).all()
    assert kernel[0] == table[8, 6] and kernel[1] == table[0, 0] and np.isnan(kernel[2:4]).all()


@pytest.mark.parametrize("cls, factor", [(SRAM6T, 1.0), (SRAM8T, 1.3), (XNORSRAM, 2.0)])
@pytest.mark.parametrize("node", ["65nm", "22nm"])
def test_cells_at_a_node_keep_their_area_relative_to_the_6t_cell(cls, factor, node):
    assert cls.at_node(node).cell_area_m2 == pytest.approx(factor * SRAM6T.at_node(node).cell_area_m2)
    assert cls.at_node("65nm").cell_area_m2 == pytest.approx(cls().cell_area_m2)


def logical_rows(block: np.ndarray) -> np.ndarray:
    """(ports, arrays, rows, cols) per-port values -> (arrays, rows x ports, cols), row r x ports + port."""
    ports, arrays, rows, cols = block.shape
    return np.moveaxis(block, 0, 2).reshape(arrays, rows * ports, cols)


@pytest.mark.parametrize("cell", [SRAM6T(), XNORSRAM()], ids=["6T", "XNOR two-port"])
def test_a_tile_s_cells_drawn_alone_equal_those_cells_of_the_whole_block(cell):
    silicon = cell.sample_silicon((3, 16, 8), np.random.default_rng(6))
    block = cell.relative_current_tabulated(silicon.instance(ones((3, 16, 8))), 0.8)
    block = logical_rows(block if cell.ports > 1 else block[None])
    states = (np.random.default_rng(7).random((16 * cell.ports - 3, 5)) > 0.5).astype(np.int8)
    alone = silicon.relative_currents(1, states, 0.8)
    np.testing.assert_array_equal(alone, states * block[1, :states.shape[0], :5])
    assert alone.dtype == np.float32 and np.all(alone[states == 0] == 0)


def test_a_window_s_threshold_shifts_are_those_of_the_whole_block():
    cell = SRAM6T()
    silicon = cell.sample_silicon((2, 16, 8), np.random.default_rng(1))
    whole, window = silicon.instance(ones((2, 16, 8))), silicon.window(1, 10, 6)
    np.testing.assert_array_equal(window.dvth_read, whole.dvth_read[1, :10, :6])
    np.testing.assert_array_equal(window.dvth_stack, whole.dvth_stack[1, :10, :6])


def test_cells_drawn_outside_the_current_table_are_solved_exactly(monkeypatch):
    from imc.devices import sram

    monkeypatch.setattr(sram, "TABLE_SPAN_SIGMAS", 0.5)  # most cells fall outside a +-0.5 sigma table
    cell = dataclasses.replace(SRAM6T(), a_vt_v_m=3.1e-9)  # a cell whose table is not cached yet
    silicon = cell.sample_silicon((1, 32, 16), np.random.default_rng(2))
    alone = silicon.relative_currents(0, ones((32, 16)), 0.8)
    exact = cell.relative_current(silicon.instance(ones((1, 32, 16))), 0.8)[0]
    np.testing.assert_allclose(alone, exact, rtol=1e-6)
    sram._current_table.cache_clear()
