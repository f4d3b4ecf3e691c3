import dataclasses

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, ParameterError
from imc.devices import _kernels_rram as kernels
from imc.devices.rram import RRAM, STUCK_HRS, STUCK_LRS

IDEAL = RRAM(sigma_d2d_rel=0.0, sigma_pulse_rel=0.0, p_stuck_hrs=0.0, p_stuck_lrs=0.0,
             nu_mean=0.0, nu_sigma=0.0, sigma_read_rel=0.0)
Z = stats.norm.ppf(0.9995)  # two-sided 99.9 % normal quantile


def sample(device, n, seed=0):
    return device.sample_instance(np.arange(n) % device.levels, np.random.default_rng(seed))


def assert_variance_in_chi2_interval(x, sigma):
    dof = x.size - 1
    low, high = (dof * sigma ** 2 / stats.chi2.ppf(q, dof) for q in (0.9995, 0.0005))
    assert low < x.var(ddof=1) < high


def test_levels_are_evenly_spaced_from_hrs_to_lrs():
    d = RRAM(levels=4, g_off_s=1e-6, g_on_s=7e-6, level_spacing="conductance")
    np.testing.assert_allclose(d.level_conductances_s, [1e-6, 3e-6, 5e-6, 7e-6], rtol=1e-15)
    assert d.on_off_ratio == pytest.approx(7.0)


def test_default_levels_are_evenly_spaced_in_read_current_through_the_access_transistor():
    d = RRAM()
    g = d.level_conductances_s
    current = d.current_a(g, d.v_read_v)
    assert g[0] == d.g_off_s and g[-1] == d.g_on_s and np.all(np.diff(g) > 0)
    np.testing.assert_allclose(np.diff(current), (current[-1] - current[0]) / (d.levels - 1), rtol=1e-9)
    # the series access resistance compresses the top: conductance steps there are wider than at the bottom
    assert np.diff(g)[-1] > 1.2 * np.diff(g)[0]
    passive = RRAM(r_access_ohm=0.0, v0_v=100.0)  # an Ohmic cell (sinh(V/V0) within 2e-7 of linear): both agree
    np.testing.assert_allclose(passive.level_conductances_s, np.linspace(1e-6, 1e-5, 16), rtol=1e-6)


def test_zero_variation_programs_exact_target_levels_in_one_pulse():
    inst = sample(IDEAL, 4096)
    assert np.array_equal(inst.conductance_s, IDEAL.level_conductances_s[inst.states])
    assert np.array_equal(IDEAL.read(inst, np.random.default_rng(1)), inst.conductance_s)
    assert np.all(inst.iterations == 1) and np.all(inst.converged)


def test_programming_energy_is_one_write_pulse_and_verify_read_when_first_pulse_hits():
    inst = sample(IDEAL, 64)
    pulse = IDEAL.v_write_v ** 2 * IDEAL.t_write_s + IDEAL.v_read_v ** 2 * IDEAL.t_read_s
    np.testing.assert_allclose(inst.programming_energy_j, pulse * inst.conductance_s, rtol=1e-14)


@pytest.mark.parametrize("distribution", ["lognormal", "gaussian"])
def test_open_loop_d2d_spread_has_mean_one_and_relative_sigma(distribution):
    sigma, n = 0.1, 100_000
    d = dataclasses.replace(IDEAL, d2d_distribution=distribution, sigma_d2d_rel=sigma, max_iterations=1)
    inst = sample(d, n)
    ratio = inst.conductance_s / d.level_conductances_s[inst.states]
    assert abs(ratio.mean() - 1.0) < Z * sigma / np.sqrt(n)
    if distribution == "gaussian":
        assert_variance_in_chi2_interval(ratio, sigma)
    else:  # log of a lognormal is normal: exact chi-square interval on its variance, and its mean
        sigma_ln = np.sqrt(np.log1p(sigma ** 2))
        assert_variance_in_chi2_interval(np.log(ratio), sigma_ln)
        assert abs(np.log(ratio).mean() + sigma_ln ** 2 / 2) < Z * sigma_ln / np.sqrt(n)
        assert stats.skew(ratio) > 0.2  # lognormal skew 3s + s^3 = 0.30; a gaussian has 0


def test_stuck_at_rates_within_binomial_bounds_and_stuck_values_exact():
    n, p_hrs, p_lrs = 200_000, 0.01, 0.02
    d = dataclasses.replace(IDEAL, p_stuck_hrs=p_hrs, p_stuck_lrs=p_lrs)
    inst = sample(d, n)
    for code, p, g in ((STUCK_HRS, p_hrs, d.g_off_s), (STUCK_LRS, p_lrs, d.g_on_s)):
        stuck = inst.stuck == code
        low, high = stats.binom.interval(0.999, n, p)
        assert low <= stuck.sum() <= high
        assert np.all(inst.conductance_s[stuck] == g)


def test_stuck_cells_fail_unless_their_target_is_their_stuck_value():
    d = dataclasses.replace(RRAM(), p_stuck_hrs=0.5, p_stuck_lrs=0.0)
    inst = sample(d, 4096)
    stuck = inst.stuck == STUCK_HRS
    at_hrs_target = inst.states == 0
    assert np.all(inst.converged[stuck & at_hrs_target]) and np.all(inst.iterations[stuck & at_hrs_target] == 1)
    assert not inst.converged[stuck & ~at_hrs_target].any()
    assert np.all(inst.iterations[stuck & ~at_hrs_target] == d.max_iterations)


def test_write_verify_leaves_converged_cells_within_tolerance_and_failed_at_budget():
    d = dataclasses.replace(RRAM(), sigma_d2d_rel=0.3, tolerance_rel=0.01, max_iterations=8)
    inst = sample(d, 20_000)
    error = np.abs(inst.conductance_s / d.level_conductances_s[inst.states] - 1)
    assert np.all(error[inst.converged] <= d.tolerance_rel)
    assert np.all(error[inst.failed] > d.tolerance_rel) and inst.failed.any()
    assert np.all(inst.iterations[inst.failed] == d.max_iterations)
    assert inst.iterations.max() <= d.max_iterations


def test_looser_tolerance_needs_fewer_pulses():
    means = [sample(RRAM(levels=8, tolerance_rel=tol), 20_000).iterations.mean()
             for tol in (0.01, 0.02, 0.05)]
    assert means[0] > means[1] > means[2] >= 1


def test_sinh_iv_reduces_to_ohms_law_for_small_voltage():
    d = RRAM(r_access_ohm=0.0)
    g = d.level_conductances_s
    v = 1e-4  # (V/V0)^2 / 6 = 2.7e-8
    np.testing.assert_allclose(d.current_a(g, v), g * v, rtol=1e-7)
    np.testing.assert_allclose(d.current_a(g, 0.5), g * d.v0_v * np.sinh(0.5 / d.v0_v), rtol=1e-14)


def test_1t1r_current_solves_the_series_equation():
    d = RRAM()
    g = np.logspace(-8, -1, 50)
    for v in (-2.0, -0.1, 0.05, 0.3, 1.0, 2.5):
        i = d.current_a(g, v)
        v_cell = v - i * d.r_access_ohm
        np.testing.assert_allclose(i, g * d.v0_v * np.sinh(v_cell / d.v0_v), rtol=1e-12)
        assert np.all(np.sign(i) == np.sign(v)) and np.all(np.abs(i) < abs(v) / d.r_access_ohm)


@pytest.mark.parametrize("r_access_ohm", [15e3, 0.0])
def test_current_slope_is_the_derivative_of_the_iv_in_g(r_access_ohm):
    """dI/dG in closed form against a central difference of the solved current (error O(h^2) ~ 1e-8),
    odd in V, with its limits: V0 sinh(V/V0) for the passive cell, V / (1 + G R)^2 at small V."""
    d = RRAM(r_access_ohm=r_access_ohm)
    g = np.logspace(-7, -4, 40)
    for v in (-0.8, 0.05, 0.2, 1.0):
        step = 1e-4 * g
        numeric = (d.current_a(g + step, v) - d.current_a(g - step, v)) / (2 * step)
        np.testing.assert_allclose(d.current_slope_v(g, v), numeric, rtol=1e-6)
        np.testing.assert_array_equal(d.current_slope_v(g, -v), -d.current_slope_v(g, v))
    if r_access_ohm == 0:
        np.testing.assert_allclose(d.current_slope_v(g, 0.2), d.v0_v * np.sinh(0.2 / d.v0_v), rtol=1e-12)
    np.testing.assert_allclose(d.current_slope_v(g, 1e-6), 1e-6 / (1 + g * r_access_ohm) ** 2, rtol=1e-6)


def test_1t1r_current_tends_to_passive_as_access_resistance_vanishes():
    g = RRAM().level_conductances_s
    passive = RRAM(r_access_ohm=0.0).current_a(g, 0.2)
    nearly = RRAM(r_access_ohm=1e-3).current_a(g, 0.2)
    np.testing.assert_allclose(nearly, passive, rtol=1e-7)


def test_1t1r_current_tends_to_v_over_r_when_conductance_is_huge():
    d = RRAM()
    i = d.current_a(np.array([1e3, 1e6]), 0.2)
    np.testing.assert_allclose(i, 0.2 / d.r_access_ohm, rtol=1e-6)


def test_current_is_odd_in_voltage():
    d = RRAM()
    g = d.level_conductances_s
    np.testing.assert_array_equal(d.current_a(g, -0.7), -d.current_a(g, 0.7))


def test_drift_follows_power_law_with_fixed_exponent():
    nu = 0.05
    d = dataclasses.replace(IDEAL, nu_mean=nu, nu_sigma=0.0)
    inst = sample(d, 256)
    aged = d.age(inst, 999.0)  # t = t0 + 999 s = 1000 s
    assert aged.time_s == pytest.approx(1000.0)
    np.testing.assert_allclose(aged.conductance_s, inst.programmed_s * 1000.0 ** -nu, rtol=1e-13)
    twice = d.age(d.age(inst, 499.0), 500.0)
    np.testing.assert_allclose(twice.conductance_s, aged.conductance_s, rtol=1e-13)
    np.testing.assert_array_equal(d.age(inst, 0.0).conductance_s, inst.conductance_s)


def test_stuck_cells_do_not_drift():
    d = dataclasses.replace(RRAM(), p_stuck_hrs=0.3, p_stuck_lrs=0.3, nu_mean=0.1)
    inst = sample(d, 2048)
    aged = d.age(inst, 1e6)
    stuck = inst.stuck != 0
    assert np.array_equal(aged.conductance_s[stuck], inst.conductance_s[stuck])
    assert np.all(aged.conductance_s[~stuck] < inst.conductance_s[~stuck])


def test_drift_exponents_are_a_normal_truncated_at_zero():
    mean, sigma, n = 0.002, 0.004, 100_000
    d = dataclasses.replace(IDEAL, nu_mean=mean, nu_sigma=sigma)
    nu = sample(d, n).nu
    assert nu.min() >= 0.0
    truncated = stats.truncnorm(-mean / sigma, np.inf, loc=mean, scale=sigma)
    assert abs(nu.mean() - truncated.mean()) < Z * truncated.std() / np.sqrt(n)
    assert stats.kstest(nu, truncated.cdf).pvalue > 1e-3


def test_read_noise_has_relative_sigma_and_is_fresh_each_read():
    sigma, n = 0.02, 100_000
    d = dataclasses.replace(IDEAL, sigma_read_rel=sigma)
    inst = sample(d, n)
    rng = np.random.default_rng(5)
    first, second = d.read(inst, rng), d.read(inst, rng)
    rel = first / inst.conductance_s - 1
    assert abs(rel.mean()) < Z * sigma / np.sqrt(n)
    assert_variance_in_chi2_interval(rel, sigma)
    assert not np.array_equal(first, second)
    assert np.array_equal(d.read(inst), inst.conductance_s)


def test_read_current_is_the_iv_of_the_read_conductance():
    d = RRAM()
    inst = sample(d, 512)
    np.testing.assert_array_equal(d.read_current_a(inst), d.current_a(inst.conductance_s, d.v_read_v))
    noisy = d.read_current_a(inst, np.random.default_rng(3), v_v=0.2)
    np.testing.assert_array_equal(noisy, d.current_a(d.read(inst, np.random.default_rng(3)), 0.2))


def test_counter_normals_are_standard_normal():
    z = kernels.counter_normals(np.uint64(12345), np.arange(200_000, dtype=np.uint64), np.empty(200_000))
    assert abs(z.mean()) < Z / np.sqrt(z.size)
    assert_variance_in_chi2_interval(z, 1.0)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_counter_normal_kernel_matches_numpy_reference():
    counters = np.arange(0, 2 ** 40, 2 ** 40 // 4099, dtype=np.uint64)
    seed = np.uint64(2 ** 63 + 17)
    np.testing.assert_allclose(kernels.counter_normals(seed, counters, np.empty(counters.size)),
                               kernels.counter_normal_reference(seed, counters), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("max_pulses", [12, 1])
def test_write_verify_kernel_matches_numpy_reference(max_pulses):
    rng = np.random.default_rng(4)
    n = 5000
    target = rng.uniform(1e-6, 1e-5, n)
    first = target * rng.lognormal(0, 0.2, n)
    edges = np.outer([1 - 0.01, 1 + 0.01], 1 + 1e-15 * np.arange(-40, 41)).ravel()  # ratios at the band's edges
    first[:edges.size] = target[:edges.size] * edges
    frozen = rng.random(n) < 0.05
    args = (target, first, frozen, np.uint64(99), 0.01, 0.6, 0.03, max_pulses, 4.1e-8)
    outs = (np.empty(n), np.empty(n, np.int32), np.empty(n, np.bool_), np.empty(n))
    kernels.write_verify(*args, *outs)
    g, pulses, converged, energy = kernels.write_verify_reference(*args)
    np.testing.assert_allclose(outs[0], g, rtol=1e-12)
    np.testing.assert_array_equal(outs[1], pulses)
    np.testing.assert_array_equal(outs[2], converged)
    np.testing.assert_allclose(outs[3], energy, rtol=1e-12)
    assert not converged[frozen].all() and 0 < converged[:edges.size].sum() < edges.size
    assert 1 < pulses.mean() < 12 if max_pulses > 1 else np.all(pulses == 1)


@pytest.mark.parametrize("r_ohm", [0.0, 15e3])
def test_series_current_kernel_matches_numpy_reference(r_ohm):
    g = np.logspace(-8, 2, 1001)
    for v in (-1.5, 0.1, 2.0):
        kernel = kernels.series_current(g, v, 0.25, r_ohm, np.empty_like(g))
        np.testing.assert_allclose(kernel, kernels.series_current_reference(g, v, 0.25, r_ohm), rtol=1e-12)


def test_drift_kernel_matches_numpy_reference():
    rng = np.random.default_rng(6)
    g, nu, frozen = rng.uniform(1e-6, 1e-5, 4097), rng.uniform(0, 0.1, 4097), rng.random(4097) < 0.1
    kernel = kernels.drift(g, nu, frozen, np.log(1e5), np.empty_like(g))
    np.testing.assert_allclose(kernel, kernels.drift_reference(g, nu, frozen, np.log(1e5)), rtol=1e-14)


def test_same_seed_gives_same_instance_and_other_seed_another():
    d = RRAM()
    states = np.random.default_rng(0).integers(0, d.levels, (64, 64))
    a, b, c = (d.sample_instance(states, np.random.default_rng(s)) for s in (7, 7, 8))
    for field in ("conductance_s", "nu", "stuck", "iterations", "programming_energy_j"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.conductance_s, c.conductance_s)
    assert a.conductance_s.shape == states.shape


def test_cost_reads_at_mean_conductance_and_writes_one_pulse_without_variation():
    d = dataclasses.replace(IDEAL, r_access_ohm=0.0, v_read_v=1e-3)
    g_mean = 0.5 * (d.g_on_s + d.g_off_s)
    cost = d.cost()
    assert cost.read_energy_j == pytest.approx(d.v_read_v ** 2 * g_mean * d.t_read_s, rel=1e-6)
    assert cost.read_latency_s == d.t_read_s
    assert cost.write_energy_j == pytest.approx(d.pulse_energy_per_siemens_j * g_mean, rel=1e-12)
    assert cost.write_latency_s == pytest.approx(d.t_write_s + d.t_read_s, rel=1e-12)


def test_cost_of_an_instance_uses_its_mean_pulses():
    d = RRAM()
    inst = sample(d, 2048)
    cost = d.cost(inst)
    assert cost.write_latency_s == pytest.approx(inst.iterations.mean() * (d.t_write_s + d.t_read_s))
    assert cost.write_energy_j == pytest.approx(inst.programming_energy_j.mean())
    assert cost.write_latency_s > d.t_write_s + d.t_read_s


@pytest.mark.parametrize("field, value", [
    ("g_on_s", 0.5e-6), ("g_off_s", -1e-6), ("g_on_s", float("nan")), ("sigma_d2d_rel", -0.1),
    ("d2d_distribution", "uniform"), ("p_stuck_hrs", 1.5), ("p_stuck_lrs", -0.1), ("levels", 1),
    ("levels", 64), ("levels", 4.0), ("tolerance_rel", 0.0), ("max_iterations", 0), ("r_access_ohm", -1.0),
    ("nu_mean", -0.01), ("nu_sigma", -0.01), ("v0_v", 0.0), ("t_read_s", float("inf")), ("write_gain", 1.5),
    ("sigma_read_rel", -0.01), ("t0_s", 0.0),
])
def test_non_physical_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        RRAM(**{field: value})
    assert info.value.field == field and field in str(info.value)


def test_combined_stuck_rates_above_one_and_wide_gaussian_spread_raise():
    with pytest.raises(ParameterError, match="p_stuck_lrs"):
        RRAM(p_stuck_hrs=0.6, p_stuck_lrs=0.6)
    with pytest.raises(ParameterError, match="sigma_d2d_rel"):
        RRAM(d2d_distribution="gaussian", sigma_d2d_rel=0.5)
    RRAM(d2d_distribution="lognormal", sigma_d2d_rel=0.5)


def test_states_outside_the_levels_and_negative_elapsed_time_raise():
    d = RRAM()
    with pytest.raises(ParameterError, match="states"):
        d.sample_instance(np.array([0, d.levels]), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="elapsed_s"):
        d.age(sample(d, 4), -1.0)


def test_registry_lists_the_rram_cell():
    assert DEVICES["rram"] is RRAM and RRAM.response_unit == "S"
