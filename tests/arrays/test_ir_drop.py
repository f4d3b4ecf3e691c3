import numpy as np
import pytest

from imc.arrays import _kernels_ir as kernels
from imc.arrays.ir_drop import (ConvergenceError, CrossbarWires, cell_conductance_s, ideal_currents, read_cell,
                                relative_error, solve_exact, solve_fast, transfer_matrix)
from imc.devices import ParameterError

FAST_TOLERANCE = 1e-6  # solve_fast at its default tol agrees with solve_exact to this relative error
TRANSFER_TOLERANCE = 1e-8  # v @ transfer_matrix against solve_fast / solve_exact of v: measured <= 2e-9
G_LRS_S, G_HRS_S = 100e-6, 1e-6
PERIPHERY = CrossbarWires(r_wire_row_ohm=5.0, r_wire_col_ohm=3.0, r_driver_ohm=100.0, r_sense_ohm=50.0,
                          r_access_ohm=1e3)


def random_case(rng, rows, cols, batch=6, driven=None):
    g = rng.uniform(1e-6, 1e-4, (rows, cols))
    v = rng.uniform(0.0, 0.2, (batch, rows))
    if driven is not None:
        v = v * driven
    return g, v


@pytest.mark.parametrize("solve", [solve_exact, solve_fast])
def test_no_parasitics_gives_v_times_g_exactly(solve):
    g, v = random_case(np.random.default_rng(0), 24, 17)
    currents = solve(g, v, CrossbarWires.ideal())
    assert relative_error(currents, ideal_currents(g, v)) < 1e-12


@pytest.mark.parametrize("solve", [solve_exact, solve_fast])
def test_single_cell_current_is_v_over_the_series_resistances(solve):
    g, v = 20e-6, 0.3
    current = solve(np.array([[g]]), np.array([[v]]), PERIPHERY)[0, 0]
    expected = v / (PERIPHERY.r_driver_ohm + PERIPHERY.r_access_ohm + 1 / g + PERIPHERY.r_sense_ohm)
    assert current == pytest.approx(expected, rel=1e-12)


def ladder_parameters(r_wire, h, n):
    """cosh(theta) = 1 + r h / 2 of the uniform shunt ladder, and cosh((n - 1/2) theta)."""
    theta = np.arccosh(1 + r_wire * h / 2)
    return theta, np.cosh((n - 0.5) * theta)


@pytest.mark.parametrize("solve", [solve_exact, solve_fast])
def test_one_row_is_a_ladder_with_cosh_profile(solve):
    # Row voltages obey V[k-1] + V[k+1] = (2 + r h) V[k], V[n-2] = (1 + r h) V[n-1], V[0] = V:
    # V[k] = V cosh((n - k - 1/2) theta) / cosh((n - 1/2) theta); column k carries h V[k].
    n, g, v = 40, 50e-6, 0.2
    wires = CrossbarWires(r_wire_row_ohm=20.0, r_wire_col_ohm=7.0, r_driver_ohm=0.0, r_sense_ohm=300.0,
                          r_access_ohm=2e3)
    h = 1 / (1 / g + wires.r_access_ohm + wires.r_sense_ohm)
    theta, norm = ladder_parameters(wires.r_wire_row_ohm, h, n)
    expected = h * v * np.cosh((n - np.arange(n) - 0.5) * theta) / norm
    currents = solve(np.full((1, n), g), np.array([[v]]), wires)[0]
    np.testing.assert_allclose(currents, expected, rtol=1e-9)
    assert currents[-1] < 0.9 * currents[0]  # the far end sees a visibly lower voltage


@pytest.mark.parametrize("solve", [solve_exact, solve_fast])
def test_one_column_is_a_ladder_summing_every_cell(solve):
    # U[i] = V - C[i] obeys the same recurrence from the top (U[1] = (1 + r h) U[0]) to the
    # sense end (U[n-1] = V): U[i] = V cosh((i + 1/2) theta) / cosh((n - 1/2) theta).
    n, g, v = 30, 80e-6, 0.15
    wires = CrossbarWires(r_wire_row_ohm=9.0, r_wire_col_ohm=25.0, r_driver_ohm=400.0, r_sense_ohm=0.0,
                          r_access_ohm=1e3)
    h = 1 / (wires.r_driver_ohm + 1 / g + wires.r_access_ohm)
    theta, norm = ladder_parameters(wires.r_wire_col_ohm, h, n)
    expected = h * v * np.sum(np.cosh((np.arange(n) + 0.5) * theta)) / norm
    current = solve(np.full((n, 1), g), np.full((1, n), v), wires)[0, 0]
    assert current == pytest.approx(expected, rel=1e-9)
    assert current < 0.95 * n * h * v


@pytest.mark.parametrize("solve", [solve_exact, solve_fast])
def test_column_currents_sum_to_driver_currents(solve):
    rng = np.random.default_rng(1)
    driven = rng.random(20) < 0.7
    g, v = random_case(rng, 20, 15, driven=driven)
    sensed = np.arange(15) % 3 != 0
    solution = solve(g, v, PERIPHERY, driven=driven, sensed=sensed, return_nodes=True)
    np.testing.assert_allclose(solution.column_currents_a.sum(axis=1), solution.driver_currents_a.sum(axis=1),
                               rtol=1e-9)
    assert np.all(solution.column_currents_a[:, ~sensed] == 0)
    assert np.all(solution.driver_currents_a[:, ~driven] == 0)


@pytest.mark.parametrize("rows, cols", [(1, 7), (9, 1), (16, 16), (33, 20), (48, 64)])
@pytest.mark.parametrize("wires", [CrossbarWires(), CrossbarWires.passive_65nm(), PERIPHERY,
                                   CrossbarWires(r_wire_row_ohm=0.0, r_sense_ohm=20.0),
                                   CrossbarWires(r_wire_col_ohm=0.0, r_driver_ohm=30.0)],
                         ids=["1T1R", "passive", "periphery", "lumped-rows", "lumped-columns"])
def test_fast_solver_matches_exact_solver(rows, cols, wires):
    rng = np.random.default_rng(rows * 100 + cols)
    driven = rng.random(rows) < 0.75
    driven[0] = True
    for mask in (None, driven):
        g, v = random_case(rng, rows, cols, driven=mask)
        exact = solve_exact(g, v, wires, driven=mask, return_nodes=True)
        fast = solve_fast(g, v, wires, driven=mask, return_nodes=True)
        assert relative_error(fast.column_currents_a, exact.column_currents_a) < FAST_TOLERANCE
        assert np.max(np.abs(fast.v_row_v - exact.v_row_v)) < FAST_TOLERANCE * np.max(v)
        assert np.max(np.abs(fast.v_col_v - exact.v_col_v)) < FAST_TOLERANCE * np.max(v)


@pytest.mark.parametrize("rows, cols", [(1, 7), (9, 1), (16, 16), (33, 20), (96, 64)])
@pytest.mark.parametrize("wires", [CrossbarWires(), CrossbarWires.passive_65nm(), PERIPHERY,
                                   CrossbarWires(r_wire_row_ohm=0.0, r_sense_ohm=20.0),
                                   CrossbarWires(r_wire_col_ohm=0.0, r_driver_ohm=30.0),
                                   CrossbarWires.passive_65nm(r_wire_row_ohm=4.0, r_wire_col_ohm=4.0)],
                         ids=["1T1R", "passive", "periphery", "lumped-rows", "lumped-columns", "resistive-wires"])
def test_transfer_matrix_superposes_to_the_solve_of_each_input(rows, cols, wires):
    rng = np.random.default_rng(rows * 100 + cols)
    g, v = random_case(rng, rows, cols)
    v[0] = rng.integers(0, 2, rows) * 0.1  # a bit plane, as bit-serial inputs drive the rows
    transfer = transfer_matrix(g, wires)
    assert transfer.shape == (rows, cols)
    assert relative_error(v @ transfer, solve_fast(g, v, wires)) < TRANSFER_TOLERANCE
    assert relative_error(v @ transfer, solve_exact(g, v, wires)) < TRANSFER_TOLERANCE


def test_transfer_matrix_without_parasitics_is_the_conductance_matrix():
    g, _ = random_case(np.random.default_rng(3), 12, 9)
    assert relative_error(transfer_matrix(g, CrossbarWires.ideal()), g) < 1e-12


def test_fast_solver_gives_the_same_currents_with_or_without_node_voltages():
    g, v = random_case(np.random.default_rng(4), 20, 30)
    nodes = solve_fast(g, v, PERIPHERY, return_nodes=True)
    assert np.array_equal(solve_fast(g, v, PERIPHERY), nodes.column_currents_a)


def ir_drop_error(rows, cols, wires, seed=2):
    g, v = random_case(np.random.default_rng(seed), rows, cols, batch=8)
    ideal = ideal_currents(cell_conductance_s(g, wires.r_access_ohm), v)
    return relative_error(solve_fast(g, v, wires), ideal)


def test_column_error_grows_with_wire_resistance():
    errors = [ir_drop_error(64, 64, CrossbarWires.passive_65nm(r_wire_row_ohm=r, r_wire_col_ohm=r))
              for r in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)]
    assert errors[0] < 1e-12
    assert np.all(np.diff(errors) > 0)
    assert errors[-1] > 0.1  # 4 ohm per pitch against 10-100 kOhm cells: a >10 % error at 64 x 64


def test_column_error_grows_with_array_size():
    errors = [ir_drop_error(n, n, CrossbarWires()) for n in (8, 16, 32, 64, 128)]
    assert np.all(np.diff(errors) > 0)


@pytest.mark.parametrize("rows, cols", [(2, 2), (5, 7), (12, 3)])
def test_floating_read_sneak_current_matches_uniform_array_closed_form(rows, cols):
    # Without wires and with uniform neighbours g, the unselected columns sit at
    # V cols / (rows + cols - 1) and the unselected rows at V (cols - 1) / (rows + cols - 1),
    # so the sneak current is g V (rows - 1)(cols - 1) / (rows + cols - 1) (2 x 2: three cells in series).
    v = 0.2
    g = np.full((rows, cols), G_LRS_S)
    g[0, 0] = G_HRS_S
    read = read_cell(g, 0, 0, v, CrossbarWires.ideal())
    assert read.cell_current_a == pytest.approx(v * G_HRS_S, rel=1e-12)
    assert read.sneak_current_a == pytest.approx(G_LRS_S * v * (rows - 1) * (cols - 1) / (rows + cols - 1),
                                                 rel=1e-9)


def hrs_among_lrs(n):
    g = np.full((n, n), G_LRS_S)
    g[n // 2, n // 2] = G_HRS_S
    return g


def test_sneak_paths_swamp_a_high_resistance_cell_and_grow_with_array_size():
    v = 0.2
    sensed = [read_cell(hrs_among_lrs(n), n // 2, n // 2, v, CrossbarWires.passive_65nm()).sensed_current_a
              for n in (4, 8, 16, 32)]
    assert sensed[0] > 10 * v * G_HRS_S
    assert np.all(np.diff(sensed) > 0)


def test_driving_every_line_or_blocking_access_transistors_removes_sneak_paths():
    n, v = 32, 0.2
    grounded = read_cell(hrs_among_lrs(n), n // 2, n // 2, v, CrossbarWires.passive_65nm(), scheme="grounded")
    # within 2 %: what remains is the IR drop of the selected row's 31 LRS cells on its wire
    assert grounded.sensed_current_a == pytest.approx(v * G_HRS_S, rel=2e-2)
    assert abs(grounded.sneak_current_a) < 1e-3 * grounded.sensed_current_a
    g = hrs_among_lrs(n)
    g[np.arange(n) != n // 2] = 1e-12  # 1T1R: unselected word lines off, cells nearly open
    wires = CrossbarWires()
    blocked = read_cell(g, n // 2, n // 2, v, wires)
    alone = v * cell_conductance_s(G_HRS_S, wires.r_access_ohm)
    assert blocked.sensed_current_a == pytest.approx(alone, rel=1e-2)


@pytest.mark.parametrize("r_wire", [0.0, 3.0])
@pytest.mark.parametrize("n", [1, 2, 9])
def test_line_kernel_matches_banded_reference(r_wire, n):
    rng = np.random.default_rng(n)
    terminal = np.array([kernels.FLOATING, kernels.RESISTIVE, kernels.FIXED, kernels.RESISTIVE])
    g = rng.uniform(1e-6, 1e-3, (n, terminal.size))
    v_other, v_term = rng.uniform(-0.2, 0.2, (n, terminal.size)), rng.uniform(-0.2, 0.2, terminal.size)
    c_prime, inv_pivot, out = np.empty_like(g), np.empty_like(g), np.zeros_like(g)
    kernels.factor_lines(g, r_wire, terminal, 5e-3, c_prime, inv_pivot)
    kernels.solve_lines(g, v_other, r_wire, terminal, 5e-3, v_term, c_prime, inv_pivot, out, np.empty_like(g))
    reference = kernels.solve_lines_reference(g, v_other, r_wire, terminal, 5e-3, v_term)
    np.testing.assert_allclose(out, reference, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("r_wire", [0.0, 3.0])
@pytest.mark.parametrize("n", [1, 2, 9])
def test_driven_lines_kernel_is_the_line_kernel_with_cells_at_zero_volts(r_wire, n):
    rng = np.random.default_rng(n)
    terminal = np.array([kernels.FLOATING, kernels.RESISTIVE, kernels.FIXED, kernels.RESISTIVE, kernels.FIXED])
    g = rng.uniform(1e-6, 1e-3, (n, terminal.size))
    v_term = rng.uniform(-0.2, 0.2, terminal.size) * np.array([1, 1, 1, 0, 0])  # two lines at 0 V: left at 0
    c_prime, inv_pivot = np.empty_like(g), np.empty_like(g)
    kernels.factor_lines(g, r_wire, terminal, 5e-3, c_prime, inv_pivot)
    full, driven = np.zeros_like(g), np.zeros_like(g)
    full_change = kernels.solve_lines(g, np.zeros_like(g), r_wire, terminal, 5e-3, v_term, c_prime, inv_pivot, full,
                                      np.empty_like(g))
    driven_change = kernels.solve_driven_lines(r_wire, terminal, 5e-3, v_term, c_prime, inv_pivot, driven,
                                               np.empty_like(g))
    np.testing.assert_allclose(driven, full, rtol=1e-14, atol=0.0)
    assert driven_change == pytest.approx(full_change, rel=1e-14)
    assert np.all(driven[:, 3:] == 0.0) and np.all(driven[:, 0] == 0.0)


def test_default_wires_are_neurosim_65nm_interconnect():
    ohm_per_um = 2.68e-8 / ((105e-9) ** 2 * 1.7) * 1e-6
    assert ohm_per_um == pytest.approx(1.43, abs=0.005)
    assert CrossbarWires().r_wire_row_ohm == pytest.approx(ohm_per_um * 1.26)
    assert CrossbarWires().r_wire_col_ohm == pytest.approx(ohm_per_um * 0.42)
    assert CrossbarWires.passive_65nm().r_wire_row_ohm == pytest.approx(ohm_per_um * 0.21)


def test_fast_solver_reports_non_convergence():
    g, v = random_case(np.random.default_rng(3), 32, 32)
    with pytest.raises(ConvergenceError, match="max_iter = 2"):
        solve_fast(g, v, CrossbarWires.passive_65nm(r_wire_row_ohm=50.0), max_iter=2)


@pytest.mark.parametrize("call, field", [
    (lambda g, v: CrossbarWires(r_wire_row_ohm=-1.0), "r_wire_row_ohm"),
    (lambda g, v: CrossbarWires(r_sense_ohm=float("nan")), "r_sense_ohm"),
    (lambda g, v: solve_exact(g[0], v, CrossbarWires()), "g_s"),
    (lambda g, v: solve_exact(np.where(g > 5e-5, 0.0, g), v, CrossbarWires()), "g_s"),
    (lambda g, v: solve_fast(g, v[:, :-1], CrossbarWires()), "v_in"),
    (lambda g, v: solve_fast(g, v[0], CrossbarWires()), "v_in"),
    (lambda g, v: solve_exact(g, v * np.nan, CrossbarWires()), "v_in"),
    (lambda g, v: solve_exact(g, v, CrossbarWires(), driven=np.ones(3, bool)), "driven"),
    (lambda g, v: solve_exact(g, v, CrossbarWires(), driven=np.ones(4)), "driven"),
    (lambda g, v: solve_exact(g, v, CrossbarWires(), driven=np.arange(4) > 0), "v_in"),
    (lambda g, v: solve_fast(g, v, CrossbarWires(), sensed=np.zeros(5, bool)), "sensed"),
    (lambda g, v: solve_fast(g, v, CrossbarWires(), tol=0.0), "tol"),
    (lambda g, v: solve_fast(g, v, CrossbarWires(), max_iter=0), "max_iter"),
    (lambda g, v: read_cell(g, 4, 0, 0.2, CrossbarWires()), "row"),
    (lambda g, v: read_cell(g, 0, 0, -0.2, CrossbarWires()), "v_read_v"),
    (lambda g, v: read_cell(g, 0, 0, 0.2, CrossbarWires(), scheme="v/3"), "scheme"),
    (lambda g, v: relative_error(v, v[:1]), "currents"),
    (lambda g, v: relative_error(v, 0 * v), "reference"),
])
def test_bad_input_raises_parameter_error_naming_the_field(call, field):
    g, v = random_case(np.random.default_rng(4), 4, 5, batch=2)
    with pytest.raises(ParameterError) as error:
        call(g, v)
    assert error.value.field == field
