import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, PCM, ParameterError
from imc.devices.pcm import drift_exponent_moments, noise_q_s, programming_sigma_rel

N = 100_000


def assert_std_in_chi2_interval(x, sigma):
    dof = x.size - 1
    low, high = (dof * sigma ** 2 / stats.chi2.ppf(q, dof) for q in (0.9995, 0.0005))
    assert low < x.var(ddof=1) < high


def cells(device, level, n=N, seed=0):
    return device.sample_instance(np.full(n, level), np.random.default_rng(seed))


def test_registered_and_levels_evenly_spaced_from_g_min_to_g_max():
    assert DEVICES.get("pcm") is PCM
    np.testing.assert_allclose(PCM(levels=4, g_min_s=1e-6).level_conductances_s, [1e-6, 9e-6, 17e-6, 25e-6])


def test_fitted_coefficients_give_the_published_values():
    """sigma_prog = -1.1731 g^2 + 1.9650 g + 0.2635 (uS at 25 uS); mu_nu, sigma_nu clipped log fits;
    Q_s = min(0.0088 / g^0.65, 0.2) (Joshi et al. 2020, aihwkit PCMLikeNoiseModel)."""
    g = np.array([0.0, 0.01, 0.5, 1.0])
    np.testing.assert_allclose(programming_sigma_rel(g) * 25.0,
                               [0.26348, 0.26348 + 0.019650 - 1.1731e-4, 0.26348 + 0.9825 - 0.293275, 1.05538],
                               rtol=1e-12)
    mu, sigma = drift_exponent_moments(g)
    np.testing.assert_allclose(mu, [0.1, -0.0155 * math.log(0.01) + 0.0244, 0.049, 0.049], rtol=1e-12)
    np.testing.assert_allclose(sigma, [0.045, 0.045, 0.008, 0.008], rtol=1e-12)
    np.testing.assert_allclose(noise_q_s(np.array([1e-9, 0.01, 1.0])), [0.2, 0.0088 / 0.01 ** 0.65, 0.0088])


def test_nominal_cells_sit_exactly_on_their_levels_and_read_without_noise():
    device = PCM().nominal()
    inst = device.sample_instance(np.arange(64).reshape(8, 8) % 4, np.random.default_rng(0))
    assert np.array_equal(inst.programmed_s, device.level_conductances_s[inst.states])
    assert device.read_std(inst) is None
    assert np.array_equal(device.read(inst, np.random.default_rng(1)), inst.conductance_s)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_programming_noise_std_follows_the_polynomial_of_the_target(level):
    device = PCM(drift_sigma_scale=0.0)
    inst = cells(device, level)
    g_rel = level / 3
    assert_std_in_chi2_interval(inst.programmed_s, float(programming_sigma_rel(g_rel)) * device.g_max_s)


def test_drift_is_a_power_law_with_the_state_dependent_mean_exponent_on_log_log_axes():
    device = PCM(levels=16, prog_noise_scale=0.0, drift_sigma_scale=0.0, read_noise_scale=0.0)
    inst = device.sample_instance(np.arange(1, 16), np.random.default_rng(0))
    times = device.t0_s * np.logspace(0, 7, 8)
    log_g = np.log([device.age(inst, t - device.t0_s).conductance_s for t in times])
    slopes = np.polyfit(np.log(times), log_g, 1)[0]
    mu, _ = drift_exponent_moments(device.level_conductances_s[1:] / device.g_max_s)
    np.testing.assert_allclose(slopes, -mu, rtol=1e-9)
    assert mu[0] > 0.065 and mu[-1] == 0.049  # low conductances drift faster (1/15 of g_max: 0.066)


def test_drift_exponents_are_the_folded_normal_of_the_fit():
    """nu = |N(mu, s)|: mean s sqrt(2/pi) exp(-mu^2 / 2s^2) + mu (1 - 2 Phi(-mu/s))."""
    inst = cells(PCM(), 0)  # G_T = 0: mu = 0.1, s = 0.045
    mu, s = 0.1, 0.045
    mean = s * math.sqrt(2 / math.pi) * math.exp(-mu ** 2 / (2 * s ** 2)) + mu * (1 - 2 * stats.norm.cdf(-mu / s))
    assert inst.nu.min() >= 0
    assert inst.nu.mean() == pytest.approx(mean, abs=4 * s / math.sqrt(N))


def test_read_noise_std_grows_with_log_time_as_the_1_over_f_integral():
    device = PCM(prog_noise_scale=0.0, drift_sigma_scale=0.0)
    inst = cells(device, 2, n=20_000)
    rng = np.random.default_rng(3)
    for elapsed in (0.0, 3.15e7):
        aged = device.age(inst, elapsed)
        t = device.t0_s + elapsed
        sigma = aged.conductance_s[0] * noise_q_s(2 / 3) * math.sqrt(math.log((t + device.t_read_s) / (2 * device.t_read_s)))
        np.testing.assert_allclose(device.read_std(aged), sigma, rtol=1e-12)
        assert_std_in_chi2_interval(device.read(aged, rng) - aged.conductance_s, float(sigma))


def test_zero_elapsed_time_keeps_the_programmed_conductances():
    device = PCM()
    inst = cells(device, 3, n=100)
    assert np.array_equal(device.age(inst, 0.0).conductance_s, inst.programmed_s)


def test_global_drift_compensation_restores_the_summed_conductance():
    device = PCM(drift_compensation=True, read_noise_scale=0.0)
    inst = device.sample_instance(np.arange(4000) % 4, np.random.default_rng(0))
    aged = device.age(inst, 3.15e7)
    assert aged.conductance_s.sum() < 0.5 * inst.programmed_s.sum()  # one year: mu >= 0.049 loses > half
    assert device.read(aged).sum() == pytest.approx(inst.programmed_s.sum(), rel=1e-12)
    raw = dataclasses.replace(device, drift_compensation=False)
    assert np.array_equal(raw.read(raw.age(inst, 3.15e7)), aged.conductance_s)


def test_cost_is_ohmic_read_and_verified_pulses():
    d = PCM()
    cost = d.cost()
    assert cost.read_energy_j == pytest.approx(0.2 ** 2 * 12.5e-6 * 250e-9)
    assert cost.write_energy_j == pytest.approx(10 * (1.5 * 100e-6 * 50e-9 + cost.read_energy_j))
    assert cost.write_latency_s == pytest.approx(10 * (50e-9 + 250e-9))


@pytest.mark.parametrize("field, value", [
    ("g_max_s", float("nan")), ("g_max_s", 0.0), ("g_min_s", 25e-6), ("g_min_s", -1e-6), ("levels", 1),
    ("levels", 40), ("prog_noise_scale", float("inf")), ("drift_scale", -1.0), ("t0_s", 1e-7),
    ("drift_compensation", 1), ("program_pulses", 0), ("v_read_v", float("nan")),
])
def test_out_of_range_parameters_are_refused_naming_the_field(field, value):
    with pytest.raises(ParameterError, match=field):
        PCM(**{field: value})


def test_many_levels_are_allowed_without_programming_noise():
    assert PCM(levels=40, prog_noise_scale=0.0).levels == 40
