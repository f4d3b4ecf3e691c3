import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, FeFET, ParameterError

N = 50_000


def assert_std_in_chi2_interval(x, sigma):
    dof = x.size - 1
    low, high = (dof * sigma ** 2 / stats.chi2.ppf(q, dof) for q in (0.9995, 0.0005))
    assert low < x.var(ddof=1) < high


def test_registered_with_levels_evenly_spaced_in_read_current_from_hvt_to_lvt():
    d = FeFET()
    assert DEVICES.get("fefet") is FeFET
    vt, g = d.level_vt_v, d.level_conductances_s
    assert vt[0] == d.vt_high_v and vt[-1] == d.vt_low_v and np.all(np.diff(vt) < 0)
    np.testing.assert_allclose(np.diff(g), (g[-1] - g[0]) / (d.levels - 1), rtol=1e-9)
    assert d.on_off_ratio > 1e5  # the HVT state sits 0.4 V below threshold at the read gate


def test_ekv_current_is_triode_above_threshold_and_exponential_below():
    """Strong inversion: I = beta (V_ov - n V_D / 2) V_D. Weak inversion: I ~ exp((V_G - Vt) / (n phi_t))."""
    d = FeFET()
    v_ov = 2.0
    strong = d.drain_current_a(d.v_gate_read_v - v_ov)
    assert strong == pytest.approx(d.beta_a_v2 * (v_ov - d.slope_factor * d.v_read_v / 2) * d.v_read_v, rel=1e-6)
    deep = d.drain_current_a(np.array([d.v_gate_read_v + 1.0, d.v_gate_read_v + 1.1]))
    assert deep[0] / deep[1] == pytest.approx(math.exp(0.1 / (d.slope_factor * d.thermal_voltage_v)), rel=1e-5)
    assert d.drain_current_a(0.5, v_drain_v=0.0) == 0.0


def test_nominal_cells_read_exactly_their_level_conductances():
    d = FeFET().nominal()
    inst = d.sample_instance(np.arange(40).reshape(5, 8) % 4, np.random.default_rng(0))
    np.testing.assert_allclose(d.read(inst), d.level_conductances_s[inst.states], rtol=1e-12)
    assert d.read_std(inst) is None


def test_device_offsets_survive_reprogramming_and_cycle_to_cycle_spread_does_not():
    """Vt - target = offset + c2c: one programming spreads with sqrt(d2d^2 + c2c^2); the difference of
    two programmings of the same devices with sqrt(2) c2c (offsets cancel)."""
    d = FeFET()
    states = np.full(N, 2)
    first = d.sample_instance(states, np.random.default_rng(0))
    second = d.reprogram(first, states, np.random.default_rng(1))
    assert np.array_equal(first.offset_v, second.offset_v)
    assert_std_in_chi2_interval(first.vt_v - d.level_vt_v[2], math.hypot(d.sigma_vt_d2d_v, d.sigma_vt_c2c_v))
    assert_std_in_chi2_interval(second.vt_v - first.vt_v, math.sqrt(2) * d.sigma_vt_c2c_v)
    assert_std_in_chi2_interval(first.offset_v, d.sigma_vt_d2d_v)


def test_retention_closes_the_window_linearly_in_log_time_towards_its_centre():
    d = FeFET().nominal()
    inst = d.sample_instance(np.array([0, 3]), np.random.default_rng(0))
    assert np.array_equal(d.age(inst, 0.0).vt_v, inst.vt_v)  # at t0: as programmed
    for decades in (1, 4, 8.5):
        aged = d.age(inst, d.t0_s * (10 ** decades - 1))
        window = aged.vt_v[0] - aged.vt_v[1]
        assert window == pytest.approx((d.vt_high_v - d.vt_low_v) * (1 - d.window_loss_per_decade * decades))
        assert aged.vt_v.mean() == pytest.approx(0.5 * (d.vt_low_v + d.vt_high_v))
    closed = d.age(inst, d.t0_s * 1e60)  # beyond 1 / loss decades the window is gone, never inverted
    assert closed.vt_v[0] == pytest.approx(closed.vt_v[1])


def test_retention_loss_lowers_the_on_current_and_raises_the_off_current():
    d = FeFET().nominal()
    inst = d.sample_instance(np.array([0, 3]), np.random.default_rng(0))
    g0, g1 = d.read(inst), d.read(d.age(inst, 3.15e8))
    assert g1[0] > g0[0] and g1[1] < g0[1]


def test_cost_counts_polarization_and_gate_charge_per_pulse():
    d = FeFET()
    assert d.write_pulse_energy_j == pytest.approx((2 * 0.2 * 1e-14 + 0.27e-15 * 4.0) * 4.0)
    cost = d.cost()
    assert cost.read_energy_j == pytest.approx(d.v_read_v ** 2 * d.level_conductances_s.mean() * d.t_read_s)
    assert cost.write_latency_s == pytest.approx(5 * (100e-9 + 10e-9))


@pytest.mark.parametrize("field, value", [
    ("vt_high_v", 0.3), ("vt_low_v", float("nan")), ("v_gate_read_v", 0.2), ("slope_factor", 0.9),
    ("window_loss_per_decade", 1.0), ("sigma_vt_d2d_v", -0.01), ("levels", 32), ("v_read_v", 0.0),
    ("beta_a_v2", float("inf")), ("program_pulses", 0),
])
def test_out_of_range_parameters_are_refused_naming_the_field(field, value):
    with pytest.raises(ParameterError, match=field):
        FeFET(**{field: value})


def test_more_levels_fit_a_tighter_vt_spread():
    assert dataclasses.replace(FeFET(), sigma_vt_d2d_v=0.003, sigma_vt_c2c_v=0.003, levels=32).levels == 32


def test_global_compensation_restores_the_summed_read_current_after_retention_loss():
    d = FeFET(drift_compensation=True)
    inst = d.sample_instance(np.arange(4000) % 4, np.random.default_rng(0))
    aged = d.age(inst, 3.15e7)
    raw = d.drain_current_a(aged.vt_v)
    assert raw.sum() < 0.9 * d.drain_current_a(inst.vt_v).sum()
    assert d.read(aged).sum() == pytest.approx(d.read(inst).sum(), rel=1e-12)
    assert d.age(inst, 0.0).compensation == 1.0
