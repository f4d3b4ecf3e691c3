import math

import numpy as np
import pytest
from scipy import stats
from scipy.constants import Boltzmann as BOLTZMANN_J_PER_K
from scipy.constants import elementary_charge as ELECTRON_CHARGE_C

from imc.arrays import ResistiveArray
from imc.devices import DEVICES, STTMRAM, ParameterError
from imc.devices.mram import AP, P, tunnel_noise_scale

Z = stats.norm.ppf(0.99995)  # two-sided 99.99 % normal quantile


def assert_std_in_chi2_interval(x, sigma):
    dof = x.size - 1
    low, high = (dof * sigma ** 2 / stats.chi2.ppf(q, dof) for q in (0.9995, 0.0005))
    assert low < x.var(ddof=1) < high


def assert_binomial(flips, n, p):
    assert abs(flips - n * p) < Z * math.sqrt(n * p * (1 - p))


def test_registered_binary_cell_with_series_access_resistance():
    d = STTMRAM()
    assert DEVICES.get("stt_mram") is STTMRAM and d.levels == 2
    r_p = 10e-12 / (math.pi * (20e-9) ** 2)
    tmr_v = 1.2 / (1 + (0.1 / 0.5) ** 2)
    np.testing.assert_allclose(d.level_conductances_s, [1 / (r_p * (1 + tmr_v) + 2e3), 1 / (r_p + 2e3)], rtol=1e-12)
    assert 1.5 < d.on_off_ratio < 1 + 1.2  # the access transistor and the read bias cut the MTJ's ratio


def test_nominal_cells_read_exactly_their_levels():
    d = STTMRAM().nominal()
    inst = d.sample_instance(np.arange(12).reshape(3, 4) % 2, np.random.default_rng(0))
    np.testing.assert_array_equal(d.read(inst), d.level_conductances_s[inst.states])


def test_ra_and_tmr_spread_are_lognormal_with_the_given_log_std():
    d = STTMRAM(sigma_ra_rel=0.08, sigma_tmr_rel=0.03)
    inst = d.sample_instance(np.ones(40_000, dtype=int), np.random.default_rng(0))
    assert_std_in_chi2_interval(np.log(inst.r_p_ohm), 0.08)
    assert_std_in_chi2_interval(np.log(inst.tmr), 0.03)


def test_tunnel_noise_has_the_shot_and_johnson_limits():
    t_read, temperature = 1e-9, 300.0
    df = 1 / (2 * t_read)
    high_bias = tunnel_noise_scale(1.0, t_read, temperature)  # qV / 2kT = 19: shot noise 2 q I df
    assert high_bias ** 2 == pytest.approx(2 * ELECTRON_CHARGE_C * df / 1.0, rel=1e-6)
    low_bias = tunnel_noise_scale(1e-5, t_read, temperature)  # Johnson-Nyquist 4 k T G df
    assert low_bias ** 2 == pytest.approx(4 * BOLTZMANN_J_PER_K * temperature * df / 1e-5 ** 2, rel=1e-6)


def test_read_noise_std_matches_read_std():
    d = STTMRAM()
    inst = d.sample_instance(np.ones(30_000, dtype=int), np.random.default_rng(0))
    noise = d.read(inst, np.random.default_rng(1)) - d.read(inst)
    assert_std_in_chi2_interval(noise / d.read_std(inst), 1.0)


def test_read_disturb_per_read_is_the_thermally_activated_spin_torque_closed_form():
    d = STTMRAM(delta=30.0, v_read_v=0.35)
    ratio = d.read_current_a(AP) / d.ic0_a
    per_read = 1 - math.exp(-d.t_read_s / d.tau0_s * math.exp(-d.delta * (1 - ratio)))
    assert d.read_disturb_probability() == pytest.approx(per_read, rel=1e-12)
    assert d.read_disturb_probability(1e6) == pytest.approx(1 - (1 - per_read) ** 1e6, rel=1e-9)
    # back-to-back reads for t: the chain's AP -> P probability is that of t / t_read reads (P -> AP ~ 0)
    t = 1e6 * d.t_read_s
    assert d.flip_probabilities(t)[0] == pytest.approx(d.read_disturb_probability(1e6), rel=1e-3)


@pytest.mark.parametrize("duty", [1.0, 0.3])
def test_sampled_flips_follow_the_two_state_closed_form_within_the_binomial_interval(duty):
    d = STTMRAM(delta=30.0, v_read_v=0.35, read_duty_cycle=duty)
    n = 200_000
    inst = d.sample_instance(np.arange(n) % 2, np.random.default_rng(0))
    elapsed = 0.5 / sum(d.flip_rates_hz())
    aged = d.age(inst, elapsed, np.random.default_rng(1))
    to_p, to_ap = d.flip_probabilities(elapsed)
    assert to_p > 0.05 and to_ap < to_p  # the read current assists AP -> P and opposes P -> AP
    assert_binomial(int((aged.magnetization[inst.states == AP] == P).sum()), n // 2, to_p)
    assert_binomial(int((aged.magnetization[inst.states == P] == AP).sum()), n // 2, to_ap)
    twice = d.age(d.age(inst, elapsed / 2, np.random.default_rng(2)), elapsed / 2, np.random.default_rng(3))
    assert_binomial(int((twice.magnetization[inst.states == AP] == P).sum()), n // 2, to_p)  # Markov: halves compose


def test_default_cell_retains_its_data_for_ten_years_of_back_to_back_reads():
    d = STTMRAM()
    assert max(d.flip_probabilities(3.15e8)) < 1e-5
    inst = d.sample_instance(np.arange(1000) % 2, np.random.default_rng(0))
    assert np.array_equal(d.age(inst, 0.0, np.random.default_rng(1)).magnetization, inst.states)


def column_sum_errors(tmr, rows=128, cols=2000, sigma=0.05, seed=0):
    """Column sums (in level steps, reference column subtracted) of the crossbar, all rows driven, half the
    cells P, less their exact count."""
    device = STTMRAM(tmr=tmr, r_access_ohm=0.0, sigma_ra_rel=sigma, sigma_tmr_rel=0.0)
    array = ResistiveArray(rows=rows, cols=cols, device=device)
    states = (np.arange(rows)[:, None] < rows // 2).repeat(cols, axis=1).astype(np.int64)
    chip = array.sample_instance(states, np.random.default_rng(seed))
    conductance = np.concatenate([device.read(chip.cells), device.read(chip.reference)], axis=1)
    signal = array._weights(conductance, device.v_read_v, device.v_read_v).astype(np.float64)
    return signal.sum(axis=0) - states.sum(axis=0), device


def test_column_sum_error_after_reference_subtraction_falls_with_tmr_as_the_closed_form():
    """G = G_nom exp(-s z) per cell; in units of the level step dG = G_AP T (T the TMR at the read bias) a
    P cell deviates by (1 + T)/T exp(-s z), an AP cell by 1/T exp(-s z): across the columns of a chip, a
    column of k P cells in n rows varies with v (k (1 + T)^2 + n - k) / T^2, v = (e^{s^2} - 1) e^{s^2}.
    The reference column's own error, n v / T^2 in variance, is common to every column of the chip."""
    stds = []
    for tmr in (0.5, 1.2, 3.0):
        error, device = column_sum_errors(tmr)
        t, v, n, k = device.bias_tmr(tmr), (math.exp(0.05 ** 2) - 1) * math.exp(0.05 ** 2), 128, 64
        assert_std_in_chi2_interval(error, math.sqrt(v * (k * (1 + t) ** 2 + n - k) / t ** 2))
        stds.append(error.std())
    assert stds[0] > 1.5 * stds[1] > 1.5 * 1.2 * stds[2]  # 1.5, 0.84, 0.57 counts rms


@pytest.mark.parametrize("field, value", [
    ("tmr", 0.0), ("diameter_m", float("nan")), ("delta", 0.5), ("delta", 1e3), ("read_duty_cycle", 1.5),
    ("write_current_ratio", 1.0), ("v_read_v", 1.0), ("sigma_ra_rel", -0.1), ("r_access_ohm", float("inf")),
])
def test_out_of_range_parameters_are_refused_naming_the_field(field, value):
    with pytest.raises(ParameterError, match=field):
        STTMRAM(**{field: value})


def test_cost_is_the_ohmic_read_and_the_overdriven_write():
    d = STTMRAM()
    cost = d.cost()
    assert cost.read_energy_j == pytest.approx(0.1 ** 2 * d.level_conductances_s.mean() * 5e-9)
    assert cost.write_energy_j == pytest.approx((1.5 * 49e-6) ** 2 * (d.r_p_ohm * 1.6 + 2e3) * 10e-9)
