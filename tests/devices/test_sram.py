import dataclasses

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, SRAM6T, ParameterError
from imc.devices import _kernels


def test_pelgrom_sigma_halves_when_area_quadruples():
    small = SRAM6T()
    large = dataclasses.replace(small, w_access_m=2 * small.w_access_m, l_access_m=2 * small.l_access_m)
    assert large.sigma_vth_v == pytest.approx(small.sigma_vth_v / 2, rel=1e-12)


def test_pelgrom_sigma_closed_form_for_default_cell():
    d = SRAM6T()
    assert d.sigma_vth_v == pytest.approx(3.0e-9 / np.sqrt(100e-9 * 65e-9), rel=1e-12)
    assert 0.030 < d.sigma_vth_v < 0.045  # 37 mV: the range 65 nm SRAM access devices show


def test_sampled_threshold_std_within_chi_square_interval():
    d = SRAM6T()
    n = 200_000
    sample = d.sample_instance((n,), np.random.default_rng(1)).astype(np.float64)
    s2 = sample.var(ddof=1)
    low = (n - 1) * d.sigma_vth_v ** 2 / stats.chi2.ppf(0.9995, n - 1)
    high = (n - 1) * d.sigma_vth_v ** 2 / stats.chi2.ppf(0.0005, n - 1)
    assert low < s2 < high
    assert abs(sample.mean()) < 4 * d.sigma_vth_v / np.sqrt(n)


def test_same_seed_gives_same_instance_and_other_seed_another():
    d = SRAM6T()
    a = d.sample_instance((64, 64), np.random.default_rng(7))
    b = d.sample_instance((64, 64), np.random.default_rng(7))
    c = d.sample_instance((64, 64), np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_zero_mismatch_gives_nominal_current_everywhere():
    d = dataclasses.replace(SRAM6T(), a_vt_v_m=0.0)
    rel = d.relative_current(d.sample_instance((32, 32), np.random.default_rng(0)), 0.7)
    assert np.array_equal(rel, np.ones((32, 32), dtype=np.float32))


def test_read_current_follows_alpha_power_law():
    d = SRAM6T()
    assert d.read_current_a(d.vdd_v) == pytest.approx(d.i_read_a, rel=1e-12)
    ratio = d.read_current_a(0.8) / d.read_current_a(0.6)
    assert ratio == pytest.approx(((0.8 - d.vth0_v) / (0.6 - d.vth0_v)) ** d.alpha, rel=1e-12)


def test_threshold_shift_equal_to_overdrive_cuts_the_current():
    d = SRAM6T()
    overdrive = 0.7 - d.vth0_v
    rel = d.relative_current(np.array([0.0, overdrive / 2, overdrive, overdrive + 0.1]), 0.7)
    assert rel == pytest.approx([1.0, 0.5 ** d.alpha, 0.0, 0.0], rel=1e-6)


def test_relative_current_kernel_matches_numpy_reference():
    d = SRAM6T()
    dvth = d.sample_instance((257, 129), np.random.default_rng(3)) * 4  # include cut-off cells
    kernel = d.relative_current(dvth, 0.7)
    reference = _kernels.relative_read_current_reference(dvth.astype(np.float64), 0.7 - d.vth0_v, d.alpha)
    np.testing.assert_allclose(kernel, reference, rtol=2e-6, atol=1e-7)


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
    swings = np.linspace(0, 3, 1001)
    kernel = np.array([_kernels.discharge_v(s, 1.1, 0.2) for s in swings])
    np.testing.assert_allclose(kernel, _kernels.discharge_reference(swings, 1.1, 0.2), rtol=1e-12)


def test_read_energy_is_c_vdd_dv():
    d = SRAM6T()
    assert d.read_energy_j(0.3, 200e-15) == pytest.approx(200e-15 * d.vdd_v * 0.3, rel=1e-12)


@pytest.mark.parametrize("field, value", [
    ("c_bl_cell_f", -1e-15), ("i_read_a", 0.0), ("alpha", 2.5), ("alpha", 0.5),
    ("a_vt_v_m", -1e-9), ("vth0_v", 1.2), ("w_access_m", float("nan")),
])
def test_non_physical_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        SRAM6T(**{field: value})
    assert info.value.field == field and field in str(info.value)


def test_word_line_below_threshold_is_rejected():
    with pytest.raises(ParameterError, match="v_wl_v"):
        SRAM6T().read_current_a(0.3)


def test_registry_lists_the_6t_cell():
    assert DEVICES["sram6t"] is SRAM6T
