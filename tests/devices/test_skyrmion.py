import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, ParameterError
from imc.devices import _kernels_skyrmion as kernels
from imc.devices.skyrmion import BOLTZMANN_J_PER_K, SkyrmionInstance, SkyrmionRacetrack

IDEAL_WRITE = dict(p_nucleation_fail=0.0, p_nucleation_extra=0.0, p_shift_loss=0.0, p_delete_fail=0.0)
NO_SPREAD = dict(sigma_ra_rel=0.0, sigma_tmr_rel=0.0)
THREE_PER_SEGMENT = dict(max_skyrmions=3, segment_length_m=300e-9)  # room for three 80 nm skyrmions


def assert_rate_within_binomial_bounds(hits: int, trials: int, p: float) -> None:
    assert stats.binomtest(int(hits), trials, p).pvalue > 1e-3, (hits, trials, p)


def test_registry_lists_the_racetrack_and_levels_are_count_plus_one():
    assert DEVICES["skyrmion"] is SkyrmionRacetrack
    assert SkyrmionRacetrack().levels == 2
    assert SkyrmionRacetrack(**THREE_PER_SEGMENT).levels == 4


def test_zero_error_probabilities_write_every_count_exactly():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, **IDEAL_WRITE, **NO_SPREAD)
    rng = np.random.default_rng(0)
    states = rng.integers(0, 4, (50, 200))
    inst = d.sample_instance(states, rng, previous=rng.integers(0, 4, (50, 200)))
    assert np.array_equal(inst.counts, states)
    assert np.array_equal(d.sense(inst), states)


def test_cells_along_the_last_axis_travel_their_segment_index_plus_one_steps():
    d = SkyrmionRacetrack(segments_per_track=4)
    assert np.array_equal(d.shift_steps((2, 6)), [[1, 2, 3, 4, 1, 2]] * 2)


def test_nucleation_failure_rate_within_binomial_bounds():
    d = SkyrmionRacetrack(**{**IDEAL_WRITE, "p_nucleation_fail": 0.02})
    inst = d.sample_instance(np.ones((100, 1000), dtype=np.int64), np.random.default_rng(1))
    assert_rate_within_binomial_bounds((inst.counts == 0).sum(), inst.counts.size, 0.02)
    assert inst.counts.max() == 1


def test_shift_loss_compounds_over_the_steps_to_each_segment():
    d = SkyrmionRacetrack(**{**IDEAL_WRITE, "p_shift_loss": 1e-3}, segments_per_track=64)
    inst = d.sample_instance(np.ones((3000, 64), dtype=np.int64), np.random.default_rng(2))
    for segment in (0, 15, 63):
        lost = (inst.counts[:, segment] == 0).sum()
        assert_rate_within_binomial_bounds(lost, 3000, 1 - (1 - 1e-3) ** (segment + 1))
    far, near = (inst.counts[:, 48:] == 0).mean(), (inst.counts[:, :16] == 0).mean()
    assert far > 3 * near  # losses grow with the distance to the write head


def test_deletion_failure_leaves_old_skyrmions_at_the_configured_rate():
    d = SkyrmionRacetrack(**{**IDEAL_WRITE, "p_delete_fail": 0.03})
    shape = (200, 500)
    inst = d.sample_instance(np.zeros(shape, dtype=np.int64), np.random.default_rng(3),
                             previous=np.ones(shape, dtype=np.int64))
    assert_rate_within_binomial_bounds((inst.counts == 1).sum(), inst.counts.size, 0.03)


def test_spurious_extra_nucleation_rate_within_binomial_bounds():
    d = SkyrmionRacetrack(**{**IDEAL_WRITE, "p_nucleation_extra": 0.02})
    inst = d.sample_instance(np.ones((100, 1000), dtype=np.int64), np.random.default_rng(4))
    assert_rate_within_binomial_bounds((inst.counts == 2).sum(), inst.counts.size, 0.02)


def test_count_distribution_is_binomial_survival_of_the_written_skyrmions():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, p_nucleation_fail=0.05, p_shift_loss=2e-3, segments_per_track=32)
    survive = (1 - 0.05) * (1 - 2e-3) ** 32
    np.testing.assert_allclose(d.count_distribution(3, 32)[:4], stats.binom.pmf(range(4), 3, survive), rtol=1e-12)
    inst = d.sample_instance(np.full((4000, 32), 3), np.random.default_rng(5))
    observed = np.bincount(inst.counts[:, 31], minlength=4)
    expected = 4000 * stats.binom.pmf(range(4), 3, survive)
    pooled_obs = [observed[:2].sum(), observed[2], observed[3]]  # pool the rare bins (expected < 5)
    pooled_exp = [expected[:2].sum(), expected[2], expected[3]]
    assert stats.chisquare(pooled_obs, pooled_exp).pvalue > 1e-3


def test_count_distribution_with_every_error_has_the_closed_form_mean():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, p_nucleation_fail=0.1, p_nucleation_extra=0.05,
                          p_shift_loss=0.01, p_delete_fail=0.2)
    pmf = d.count_distribution(3, 10, previous=2)
    survive = 0.99 ** 10
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert pmf @ np.arange(pmf.size) == pytest.approx(3 * (1 - 0.1 + 0.05) * survive + 2 * 0.2, rel=1e-12)


def test_count_sampling_kernel_matches_numpy_reference():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, p_nucleation_fail=0.2, p_nucleation_extra=0.1,
                          p_shift_loss=0.01, p_delete_fail=0.3, segments_per_track=16)
    rng = np.random.default_rng(6)
    states, previous = rng.integers(0, 4, 37 * 129), rng.integers(0, 4, 37 * 129)
    u_write, u_delete = rng.random(states.size), rng.random(states.size)
    args = (states, previous, u_write, u_delete, d._write_cdf, d._delete_cdf, 129, 16)
    kernel = kernels.sample_counts(*args, np.empty(states.size, dtype=np.int32))
    assert np.array_equal(kernel, kernels.sample_counts_reference(*args))
    assert kernel.max() > 3  # extra nucleations and leftovers exercised


@pytest.mark.parametrize("noisy", [False, True])
def test_read_kernel_matches_numpy_reference(noisy):
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 5, 5000).astype(np.int32)
    g_p = rng.uniform(5e-4, 2e-3, 5000).astype(np.float32)
    tmr = rng.uniform(0.5, 2.0, 5000).astype(np.float32)
    normals = rng.standard_normal(5000) if noisy else np.empty(0)
    scale = 4e-5 if noisy else 0.0
    kernel = kernels.read_conductance(counts, g_p, tmr, 0.3, normals, scale, np.empty(5000))
    np.testing.assert_allclose(kernel, kernels.read_conductance_reference(counts, g_p, tmr, 0.3, normals, scale),
                               rtol=1e-13)


def test_annihilation_rate_follows_arrhenius_law():
    d = SkyrmionRacetrack()
    assert d.annihilation_rate_hz == pytest.approx(1e9 * math.exp(-50.0), rel=1e-12)
    hot = dataclasses.replace(d, temperature_k=400.0)
    assert hot.annihilation_rate_hz / d.annihilation_rate_hz == pytest.approx(math.exp(50.0 - 37.5), rel=1e-9)
    assert 1 / d.annihilation_rate_hz > 10 * 365 * 86400  # the 50 k_B T criterion: > 10 years


def test_aged_loss_fraction_matches_one_minus_exp_rate_time():
    d = SkyrmionRacetrack(**IDEAL_WRITE, energy_barrier_j=20 * BOLTZMANN_J_PER_K * 300.0)
    rng = np.random.default_rng(8)
    inst = d.sample_instance(np.ones((200, 500), dtype=np.int64), rng)
    elapsed = 0.7 / d.annihilation_rate_hz
    aged = d.age(inst, elapsed, rng)
    assert_rate_within_binomial_bounds((aged.counts == 0).sum(), aged.counts.size, 1 - math.exp(-0.7))
    assert np.all(aged.counts <= inst.counts) and aged.states is inst.states


def test_aging_needs_a_generator_and_non_negative_time():
    d = SkyrmionRacetrack()
    inst = d.sample_instance(np.ones(8, dtype=np.int64), np.random.default_rng(0))
    with pytest.raises(ParameterError) as info:
        d.age(inst, 1.0)
    assert info.value.field == "rng"
    with pytest.raises(ParameterError) as info:
        d.age(inst, -1.0, np.random.default_rng(0))
    assert info.value.field == "elapsed_s"


def test_readout_follows_tmr_area_fraction_closed_form():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, **IDEAL_WRITE, **NO_SPREAD)
    g_p = d.mtj_area_m2 / d.ra_p_ohm_m2
    g_ap = g_p / (1 + d.tmr)
    assert (1 / g_ap - 1 / g_p) / (1 / g_p) == pytest.approx(d.tmr, rel=1e-12)
    a = math.pi * (80e-9) ** 2 / 4 / (100e-9 * 300e-9)
    expected = g_ap + (g_p - g_ap) * np.arange(4) * a
    np.testing.assert_allclose(d.level_conductances_s(), expected, rtol=1e-12)
    inst = d.sample_instance(np.arange(4), np.random.default_rng(0))
    np.testing.assert_allclose(d.read(inst), expected, rtol=1e-6)  # float32 per-cell G_P
    full = dataclasses.replace(inst, counts=np.array([0, 1, 6, 40], dtype=np.int32))
    assert d.read(full)[3] == pytest.approx(g_p, rel=1e-6)  # fully covered free layer: parallel state


def test_read_noise_std_within_chi_square_interval():
    d = SkyrmionRacetrack(**IDEAL_WRITE, **NO_SPREAD)
    n = 100_000
    inst = d.sample_instance(np.ones(n, dtype=np.int64), np.random.default_rng(9))
    noiseless = d.read(inst)
    reads = d.read(inst, np.random.default_rng(10)) - noiseless
    sigma = d.read_noise_scale * math.sqrt(noiseless[0])
    q = 1.602176634e-19
    x = q * d.v_read_v / (2 * BOLTZMANN_J_PER_K * d.temperature_k)
    current_psd = 2 * q * d.v_read_v * noiseless[0] / math.tanh(x)  # S_I = 2 q I coth(qV / 2kT)
    assert sigma == pytest.approx(math.sqrt(current_psd / (2 * d.t_read_s)) / d.v_read_v, rel=1e-9)
    low = (n - 1) * sigma ** 2 / stats.chi2.ppf(0.9995, n - 1)
    high = (n - 1) * sigma ** 2 / stats.chi2.ppf(0.0005, n - 1)
    assert low < reads.var(ddof=1) < high
    assert abs(reads.mean()) < 4 * sigma / math.sqrt(n)
    assert np.array_equal(d.read(inst), noiseless)


def test_mtj_spread_is_lognormal_with_the_configured_sigma():
    d = SkyrmionRacetrack(sigma_ra_rel=0.08, sigma_tmr_rel=0.04)
    n = 100_000
    inst = d.sample_instance(np.zeros(n, dtype=np.int64), np.random.default_rng(11))
    for sample, sigma in ((np.log(inst.g_p_s.astype(np.float64)), 0.08), (np.log(inst.tmr.astype(np.float64)), 0.04)):
        low = (n - 1) * sigma ** 2 / stats.chi2.ppf(0.9995, n - 1)
        high = (n - 1) * sigma ** 2 / stats.chi2.ppf(0.0005, n - 1)
        assert low < sample.var(ddof=1) < high
    assert abs(np.log(inst.g_p_s).mean() - math.log(d.g_p_s)) < 4 * 0.08 / math.sqrt(n)


def test_sense_returns_the_nearest_level_and_saturates_at_the_top():
    d = SkyrmionRacetrack(**THREE_PER_SEGMENT, **NO_SPREAD)
    inst = SkyrmionInstance(np.zeros(5, dtype=np.int64), np.array([0, 1, 2, 3, 5], dtype=np.int32),
                            np.full(5, d.g_p_s, dtype=np.float32), np.full(5, d.tmr, dtype=np.float32))
    assert np.array_equal(d.sense(inst), [0, 1, 2, 3, 3])


def test_default_chip_reads_back_almost_every_programmed_bit():
    d = SkyrmionRacetrack()
    rng = np.random.default_rng(12)
    states = rng.integers(0, 2, (256, 256))
    inst = d.sample_instance(states, rng)
    wrong = (d.sense(inst, rng) != states).sum()
    assert wrong / states.size < 5e-3  # write errors ~1e-3 dominate; 5 % MTJ spread is > 3 sigma from the threshold


def test_same_seed_gives_same_instance_and_other_seed_another():
    d = SkyrmionRacetrack(p_nucleation_fail=0.1)
    states = np.random.default_rng(0).integers(0, 2, (64, 64))
    a, b, c = (d.sample_instance(states, np.random.default_rng(seed)) for seed in (7, 7, 8))
    for field in ("counts", "g_p_s", "tmr"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
        assert not np.array_equal(getattr(a, field), getattr(c, field))


def test_costs_follow_their_closed_forms():
    d = SkyrmionRacetrack()
    area = 100e-9 * 100e-9
    e_nucleate = 1e11 ** 2 * 10e-12 * area * 100e-12
    e_step = 5e11 ** 2 * 2e-7 * (100e-9 * 3e-9 * 100e-9 * 64) * (100e-9 / 100.0)
    cost = d.cost()
    assert d.nucleation_energy_j == pytest.approx(e_nucleate, rel=1e-12)
    assert d.shift_step_energy_j == pytest.approx(e_step, rel=1e-12)
    assert cost.write_energy_j == pytest.approx(e_nucleate + e_step, rel=1e-12)
    assert cost.write_latency_s == pytest.approx(100e-12 + 1e-9, rel=1e-12)
    a = math.pi * (80e-9) ** 2 / 4 / area
    g_mean = np.mean([1e-3 / 2.2, 1e-3 / 2.2 + (1e-3 - 1e-3 / 2.2) * a])
    assert cost.read_energy_j == pytest.approx(0.1 ** 2 * g_mean * 1e-9, rel=1e-9)
    assert d.write_energy_j(0, 10) == pytest.approx(10 * e_step, rel=1e-12)


@pytest.mark.parametrize("field, value", [
    ("p_shift_loss", 1.5), ("p_nucleation_fail", -0.1), ("p_delete_fail", float("nan")), ("tmr", -0.5),
    ("sigma_ra_rel", -0.01), ("max_skyrmions", 0), ("max_skyrmions", 2), ("segments_per_track", 2.5),
    ("energy_barrier_j", 0.0), ("skyrmion_diameter_m", 200e-9), ("temperature_k", float("inf")),
    ("ra_p_ohm_m2", -1e-12), ("j_shift_a_m2", 0.0),
])
def test_non_physical_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        SkyrmionRacetrack(**{field: value})
    assert info.value.field == field and field in str(info.value)


def test_nucleation_outcome_probabilities_must_not_exceed_one():
    with pytest.raises(ParameterError) as info:
        SkyrmionRacetrack(p_nucleation_fail=0.6, p_nucleation_extra=0.5)
    assert info.value.field == "p_nucleation_extra"


def test_bad_states_and_previous_content_are_rejected():
    d = SkyrmionRacetrack()
    rng = np.random.default_rng(0)
    with pytest.raises(ParameterError) as info:
        d.sample_instance(np.array([0, 2]), rng)
    assert info.value.field == "states"
    with pytest.raises(ParameterError) as info:
        d.sample_instance(np.zeros(4, dtype=np.int64), rng, previous=np.zeros(3, dtype=np.int64))
    assert info.value.field == "previous"
