import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from imc.devices import DEVICES, ParameterError
from imc.devices import _kernels_dram
from imc.devices.dram import DRAM1T1C, N_OPERANDS, PROGRAMS, ideal_result

IDEAL = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.0, sigma_sa_offset_v=0.0)
NOISY = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.08, sigma_sa_offset_v=0.05)


def operand_rows(bits, cols):
    """States (operands, cols) holding operand bit i in every column of row i."""
    return np.repeat(np.array(bits, dtype=np.int64)[:, None], cols, axis=1)


def assert_rate_within_binomial_interval(failures, trials, p, confidence=0.999):
    interval = stats.binomtest(failures, trials).proportion_ci(confidence_level=confidence)
    assert interval.low <= p <= interval.high, (failures / trials, p, interval)


def assert_variance_within_chi_square_interval(sample, sigma):
    dof = sample.size - 1
    low, high = (dof * sigma ** 2 / stats.chi2.ppf(q, dof) for q in (0.9995, 0.0005))
    assert low < sample.var(ddof=1) < high


def test_single_cell_signal_equals_charge_sharing_formula():
    d = IDEAL
    states = np.array([[1, 0, 1, 0]])
    inst = d.sample_instance(states, np.random.default_rng(0))
    expected = (states * d.vdd_v - d.vdd_v / 2) * d.c_s_f / (d.c_s_f + d.c_bl_f)
    np.testing.assert_allclose(d.read(inst), expected, rtol=1e-12)
    assert d.read(inst)[0, 0] == pytest.approx(0.75 * 30 / 210, rel=1e-12)  # 107 mV with the defaults


def test_triple_row_signal_equals_ambit_equation():
    d = IDEAL
    for k in range(4):  # k of the three cells fully charged
        v = np.array([d.vdd_v] * k + [0.0] * (3 - k))[:, None]
        signal = d.charge_share_v(v, np.full((3, 1), d.c_s_f))[0]
        assert signal == pytest.approx(d.c_s_f * (v.sum() - 3 * d.v_pre_v) / (3 * d.c_s_f + d.c_bl_f), rel=1e-12)
        ambit_eq1 = (2 * k - 3) * d.c_s_f * d.vdd_v / (6 * d.c_s_f + 2 * d.c_bl_f)
        assert signal == pytest.approx(ambit_eq1, rel=1e-12)


def test_charge_sharing_conserves_charge_for_unequal_cells():
    d = DRAM1T1C()
    rng = np.random.default_rng(4)
    v = rng.uniform(0, d.vdd_v, (3, 500))
    c = d.c_s_f * rng.uniform(0.5, 1.5, (3, 500))
    final_v = d.v_pre_v + d.charge_share_v(v, c)
    charge_before = (c * v).sum(axis=0) + d.c_bl_f * d.v_pre_v
    np.testing.assert_allclose((c.sum(axis=0) + d.c_bl_f) * final_v, charge_before, rtol=1e-12)


@pytest.mark.parametrize("op", sorted(N_OPERANDS))
def test_every_op_is_exact_at_zero_variation_for_every_input(op):
    n = N_OPERANDS[op]
    for bits in itertools.product((0, 1), repeat=n):
        inst = IDEAL.sample_instance(operand_rows(bits, 8), np.random.default_rng(1))
        assert (IDEAL.run(inst, op, tuple(range(n))) == ideal_result(op, bits)).all()
        assert (IDEAL.run(inst, op, tuple(range(n)), np.random.default_rng(2)) == ideal_result(op, bits)).all()


def test_maj3_truth_table_on_whole_rows_of_many_chips():
    bits = np.array(list(itertools.product((0, 1), repeat=3))).T  # (3 rows, 8 columns)
    states = np.broadcast_to(bits, (5, 3, 8)).copy()              # 5 chips
    inst = IDEAL.sample_instance(states, np.random.default_rng(3))
    out = IDEAL.maj3(inst, (0, 1, 2))
    assert out.shape == (5, 8)
    assert (out == (bits.sum(axis=0) >= 2)).all()
    assert (IDEAL.and_(inst, (0, 1)) == (bits[0] & bits[1])).all()
    assert (IDEAL.or_(inst, (1, 2)) == (bits[1] | bits[2])).all()
    assert (IDEAL.not_(inst, (2,)) == 1 - bits[2]).all()
    assert (IDEAL.xnor(inst, (0, 2)) == 1 - (bits[0] ^ bits[2])).all()


def test_single_read_error_equals_gaussian_tail():
    d = NOISY
    mean, sigma = d.signal_statistics_v([d.vdd_v], [1.0])
    c_s, c_bl, u = d.c_s_f, d.c_bl_f, d.v_pre_v
    sigma_c = d.sigma_c_s_rel * c_s * u * c_bl / (c_s + c_bl) ** 2  # linearised d(dV)/d(eps)
    sigma_kt = math.sqrt(1.380649e-23 * d.temperature_k / (c_s + c_bl))
    assert sigma == pytest.approx(math.hypot(sigma_c, sigma_kt), rel=1e-12)
    expected = stats.norm.cdf(-mean / math.hypot(sigma, d.sigma_sa_offset_v))
    assert d.error_probability("read", (1,)) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("op, bits", [("read", (1,)), ("read", (0,)), ("not", (1,)), ("and", (1, 0)),
                                      ("or", (0, 1))] + [("maj3", b) for b in itertools.product((0, 1), repeat=3)])
def test_closed_form_error_matches_monte_carlo(op, bits):
    trials = 100_000
    inst = NOISY.sample_instance(operand_rows(bits, trials), np.random.default_rng(10))
    out = NOISY.run(inst, op, tuple(range(len(bits))), np.random.default_rng(11))
    failures = int(np.count_nonzero(out != ideal_result(op, bits)))
    p = NOISY.error_probability(op, bits)
    assert 1e-3 < p < 0.2  # a regime where the comparison has power
    assert_rate_within_binomial_interval(failures, trials, p)


@pytest.mark.parametrize("bits", list(itertools.product((0, 1), repeat=2)))
def test_xnor_closed_form_matches_monte_carlo_with_shared_sense_amplifier(bits):
    d = dataclasses.replace(NOISY, sigma_c_s_rel=0.0)  # closed form is exact without C_s variation
    trials = 100_000
    inst = d.sample_instance(operand_rows(bits, trials), np.random.default_rng(20))
    out = d.xnor(inst, (0, 1), np.random.default_rng(21))
    failures = int(np.count_nonzero(out != ideal_result("xnor", bits)))
    p = d.error_probability("xnor", bits)
    assert 1e-3 < p < 0.3
    assert_rate_within_binomial_interval(failures, trials, p)


def test_tra_with_two_ones_fails_more_often_than_with_three():
    assert NOISY.error_probability("maj3", (1, 1, 0)) > NOISY.error_probability("maj3", (1, 1, 1))
    assert IDEAL.error_probability("maj3", (1, 1, 0)) < 1e-12


def test_retention_failures_follow_lognormal_cdf():
    d = dataclasses.replace(DRAM1T1C(), sigma_sa_offset_v=0.0)
    cells = 100_000
    inst = d.sample_instance(np.ones((1, cells), dtype=np.int64), np.random.default_rng(30))
    for fraction in (0.3, 1.0, 2.5):
        elapsed = fraction * d.retention_median_s
        failures = int(np.count_nonzero(d.sense(d.age(inst, elapsed)) == 0))
        p = stats.norm.cdf(math.log(fraction) / d.sigma_ln_retention)
        assert_rate_within_binomial_interval(failures, cells, p)


def test_leakage_is_exponential_and_spares_stored_zeros():
    d = DRAM1T1C()
    inst = d.sample_instance(np.array([[1, 0], [1, 1]]), np.random.default_rng(5))
    aged = d.age(inst, 0.4)
    np.testing.assert_allclose(aged.v_cell_v, inst.v_cell_v * np.exp(-0.4 / inst.tau_s), rtol=1e-12)
    assert aged.v_cell_v[0, 1] == 0.0
    assert np.array_equal(d.age(inst, 0.0).v_cell_v, inst.v_cell_v)
    # retention time t_R = tau ln 2: the '1' sits exactly at V_pre, zero signal
    at_retention = d.age(inst, float(inst.tau_s[0, 0] * math.log(2)))
    assert at_retention.v_cell_v[0, 0] == pytest.approx(d.v_pre_v, rel=1e-12)


def test_write_restores_full_levels():
    d = DRAM1T1C()
    inst = d.age(d.sample_instance(np.ones((2, 4), dtype=np.int64), np.random.default_rng(6)), 3.0)
    rewritten = d.write(inst, 1, np.array([1, 0, 1, 0]))
    assert np.array_equal(rewritten.v_cell_v[1], np.array([1, 0, 1, 0]) * d.vdd_v)
    assert np.array_equal(rewritten.v_cell_v[0], inst.v_cell_v[0])


def test_sense_noise_std_is_kt_over_c():
    d = dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.0)
    n = 50_000
    inst = d.sample_instance(np.ones((1, n), dtype=np.int64), np.random.default_rng(7))
    noise = (d.read(inst, np.random.default_rng(8)) - d.read(inst)).ravel()
    sigma = math.sqrt(1.380649e-23 * d.temperature_k / (d.c_s_f + d.c_bl_f))
    assert_variance_within_chi_square_interval(noise, sigma)
    assert abs(noise.mean()) < 4 * sigma / math.sqrt(n)


def test_sampled_variations_have_the_set_std():
    d = DRAM1T1C()
    n = 100_000
    inst = d.sample_instance(np.zeros((2, n), dtype=np.int64), np.random.default_rng(9))
    for sample, sigma in ((inst.c_s_f.ravel() / d.c_s_f - 1, d.sigma_c_s_rel),
                          (inst.sa_offset_v.ravel(), d.sa_offset_sigma_v),
                          (np.log(inst.tau_s.ravel() * math.log(2) / d.retention_median_s), d.sigma_ln_retention)):
        assert_variance_within_chi_square_interval(sample, sigma)
        assert abs(sample.mean()) < 4 * sigma / math.sqrt(sample.size)
    assert inst.sa_offset_v.shape == (n,) and inst.c_designated_f.shape == (8, n)


def test_same_seed_gives_same_instance_and_other_seed_another():
    d = DRAM1T1C()
    states = np.ones((4, 16), dtype=np.int64)
    a = d.sample_instance(states, np.random.default_rng(7))
    b = d.sample_instance(states, np.random.default_rng(7))
    c = d.sample_instance(states, np.random.default_rng(8))
    for field in dataclasses.fields(a):
        assert np.array_equal(getattr(a, field.name), getattr(b, field.name))
    assert not np.array_equal(a.c_s_f, c.c_s_f) and not np.array_equal(a.sa_offset_v, c.sa_offset_v)


def test_charge_share_kernel_matches_numpy_reference():
    rng = np.random.default_rng(12)
    v = rng.uniform(0, 1.5, (3, 1001))
    c = rng.uniform(20e-15, 40e-15, (3, 1001))
    signs = np.array([1.0, -1.0, 1.0])
    c_bl = rng.uniform(150e-15, 210e-15, 1001)
    kernel = _kernels_dram.charge_share_signal(v, c, signs, c_bl, 0.75, np.empty(1001))
    reference = _kernels_dram.charge_share_signal_reference(v, c, signs, c_bl, 0.75)
    np.testing.assert_allclose(kernel, reference, rtol=1e-12, atol=1e-15)


def test_leak_kernel_matches_numpy_reference():
    rng = np.random.default_rng(13)
    v = rng.uniform(0, 1.5, 1001)
    tau = rng.lognormal(1.0, 0.6, 1001)
    kernel = _kernels_dram.leak(v, tau, 0.7, np.empty(1001))
    np.testing.assert_allclose(kernel, _kernels_dram.leak_reference(v, tau, 0.7), rtol=1e-12)


def test_costs_follow_jedec_timings_and_command_counts():
    d = DRAM1T1C()
    assert d.t_ap_s == pytest.approx(35e-9 + 13.75e-9, rel=1e-12)
    assert d.t_aap_s == pytest.approx(2 * 35e-9 + 13.75e-9, rel=1e-12)
    assert d.op_cost("and").read_latency_s == pytest.approx(4 * d.t_aap_s, rel=1e-12)
    assert d.op_cost("not").read_latency_s == pytest.approx(2 * d.t_aap_s, rel=1e-12)
    assert d.op_cost("xnor").read_latency_s == pytest.approx(6 * d.t_aap_s + 2 * d.t_ap_s, rel=1e-12)
    read = d.cost()
    assert read.read_latency_s == d.t_ap_s
    assert read.write_latency_s == pytest.approx(13.75e-9 + 15e-9 + 13.75e-9, rel=1e-12)


def test_bit_line_energy_model_prices_the_charge_upper_bound():
    d = DRAM1T1C(energy_model="bit_line")
    assert d.cost().read_energy_j == pytest.approx((d.c_bl_f + d.c_s_f) * d.vdd_v ** 2 / 2, rel=1e-12)
    assert d.cost().write_energy_j == pytest.approx(
        (d.c_bl_f + d.c_s_f) * d.vdd_v ** 2 / 2 + (d.c_bl_f + d.c_s_f) * d.vdd_v ** 2, rel=1e-12)
    assert d.bit_line_energy_j(3, 1) == pytest.approx(
        (d.c_bl_f + 3 * d.c_s_f) * d.vdd_v ** 2 / 2 + d.c_s_f * d.vdd_v ** 2, rel=1e-12)
    xnor = sum(d.bit_line_energy_j(len(a), len(w)) for a, w in PROGRAMS["xnor"])
    assert d.op_cost("xnor").read_energy_j == pytest.approx(xnor, rel=1e-12)
    assert d.op_cost("xnor").read_energy_j * 8192 == pytest.approx(22.1184e-9, rel=1e-6)  # the former 22.1 nJ/KB
    assert d.row_write_energy_j(16, 5, 1e-6) == pytest.approx(
        16 * d.bit_line_energy_j(1) + 5 * (d.c_bl_f + d.c_s_f) * d.vdd_v ** 2, rel=1e-12)  # no burst term


# ---- power model: per-command energy from datasheet currents (Micron TN-41-01) -------------------

def test_activate_precharge_energy_is_the_tn_41_01_closed_form():
    d = DRAM1T1C()  # MT41J512M8: IDD0 55, IDD2N 32, IDD3N 38 mA, tRAS 35 ns, tRP 13.75 ns, 1.5 V
    t_rc_ns = 35 + 13.75
    by_hand_pj = (55 * t_rc_ns - (38 * 35 + 32 * (t_rc_ns - 35))) * 1.5  # mA ns V = pJ
    assert by_hand_pj == pytest.approx(1366.875)
    assert d.row_cycle_energy_j == pytest.approx(by_hand_pj * 1e-12, rel=1e-12)
    assert d.act_energy_j == pytest.approx((55 - 38) * 35 * 1.5e-12, rel=1e-12)       # 892.5 pJ
    assert d.pre_energy_j == pytest.approx((55 - 32) * 13.75 * 1.5e-12, rel=1e-12)    # 474.4 pJ
    assert d.cost().read_energy_j == pytest.approx(d.row_cycle_energy_j / 8192, rel=1e-12)


def test_activate_power_reproduces_micron_ddr3_power_calculator():
    # energydram's check against Micron's DDR3_Power_Calc.xlsm: 2 Gb x8 DDR3-1600 (-125E), IDD0 95,
    # IDD2N 42, IDD3N 45 mA, tRAS 35 ns, tRC 47.5 ns: P(ACT) = E_ACT / tRC = 76.2 mW.
    d = DRAM1T1C(idd0_a=95e-3, idd2n_a=42e-3, idd3n_a=45e-3, t_ras_s=35e-9, t_rp_s=12.5e-9)
    assert d.row_cycle_energy_j / 47.5e-9 == pytest.approx(76.2e-3, abs=0.1e-3)


def test_triple_row_activation_costs_the_published_ratio_of_a_regular_one():
    d = DRAM1T1C()
    single = d.activate_energy_j(1)
    assert single == pytest.approx(d.act_energy_j / 8192, rel=1e-12)
    assert d.activate_energy_j(3) / single == pytest.approx(1.22, rel=1e-12)   # Ambit Sec. 7
    assert d.activate_energy_j(2) / single == pytest.approx(1.11, rel=1e-12)   # interpolated
    flat = DRAM1T1C(tra_energy_ratio=1.0)
    assert flat.activate_energy_j(3) == pytest.approx(flat.activate_energy_j(1), rel=1e-12)


# (single-row, double-row, triple-row ACTIVATEs, PRECHARGEs) of each command sequence, counted by hand
COMMANDS = {"read": (1, 0, 0, 1), "not": (4, 0, 0, 2), "and": (7, 0, 1, 4), "or": (7, 0, 1, 4),
            "maj3": (7, 0, 1, 4), "xnor": (8, 3, 3, 8)}


@pytest.mark.parametrize("op", sorted(COMMANDS))
def test_op_energy_is_the_sum_of_its_commands(op):
    d = DRAM1T1C()
    singles, doubles, triples, precharges = COMMANDS[op]
    page_j = (singles + 1.11 * doubles + 1.22 * triples) * d.act_energy_j + precharges * d.pre_energy_j
    assert d.op_cost(op).read_energy_j == pytest.approx(page_j / 8192, rel=1e-12)
    assert sum(1 + bool(w) for _, w in PROGRAMS[op]) == singles + doubles + triples  # ACTIVATEs
    assert len(PROGRAMS[op]) == precharges


def test_ambit_xnor_energy_per_kilobyte_by_hand():
    # 6 AAP + 2 AP: 8 single, 3 double and 3 triple-row ACTIVATEs at 892.5 pJ x (1, 1.11, 1.22), 8 PRECHARGEs
    by_hand_j = ((8 + 3 * 1.11 + 3 * 1.22) * 892.5 + 8 * 474.375) * 1e-12
    assert DRAM1T1C().op_cost("xnor").read_energy_j * 8192 == pytest.approx(by_hand_j, rel=1e-12)
    assert by_hand_j == pytest.approx(17.17e-9, rel=1e-3)


def test_command_energy_is_per_page_whatever_its_width():
    wide, narrow = DRAM1T1C(), DRAM1T1C(page_bits=2048)
    for op in COMMANDS:
        assert narrow.op_cost(op).read_energy_j * 2048 == pytest.approx(wide.op_cost(op).read_energy_j * 8192)
    assert narrow.activate_energy_j(1) == pytest.approx(4 * wide.activate_energy_j(1), rel=1e-12)


def test_power_model_is_linear_in_the_supply_and_the_currents():
    d = DRAM1T1C()
    assert DRAM1T1C(vdd_v=1.2).row_cycle_energy_j == pytest.approx(0.8 * d.row_cycle_energy_j, rel=1e-12)
    doubled = DRAM1T1C(idd0_a=0.110, idd2n_a=0.064, idd3n_a=0.076, idd4w_a=0.250)
    assert doubled.op_cost("xnor").read_energy_j == pytest.approx(2 * d.op_cost("xnor").read_energy_j, rel=1e-12)
    assert d.write_burst_energy_j(0.0) == 0.0
    assert d.write_burst_energy_j(5e-9) == pytest.approx((125 - 38) * 1.5 * 5 * 1e-12, rel=1e-12)  # 652.5 pJ


def test_row_write_prices_the_row_cycle_and_its_write_bursts():
    d = DRAM1T1C()
    assert d.row_write_energy_j(8192, 8192, 128 * 5e-9) == pytest.approx(
        d.row_cycle_energy_j + 128 * d.write_burst_energy_j(5e-9), rel=1e-12)
    assert d.row_write_energy_j(16, 5, 0.0) == pytest.approx(16 * d.cost().read_energy_j, rel=1e-12)
    assert d.cost().write_energy_j == d.cost().read_energy_j   # bursts are priced per burst


@pytest.mark.parametrize("field, value, allowed", [
    ("energy_model", "rambus", "['power_model', 'bit_line']"), ("energy_model", None, "allowed"),
    ("idd0_a", 0.03, "must exceed idd3n_a"), ("idd2n_a", 0.06, "must exceed idd3n_a"),
    ("idd4w_a", 0.02, "must exceed idd3n_a"), ("idd3n_a", -0.01, "> 0"), ("idd0_a", math.nan, "finite"),
    ("page_bits", 0, "integer"), ("page_bits", 1024.5, "integer"),
    ("tra_energy_ratio", 0.9, "[1, 3]"), ("tra_energy_ratio", 3.5, "[1, 3]"),
])
def test_bad_energy_parameters_raise_naming_the_field(field, value, allowed):
    with pytest.raises(ParameterError) as info:
        DRAM1T1C(**{field: value})
    expected = "idd0_a" if field == "idd2n_a" else field   # IDD2N above IDD0 is IDD0's error
    assert info.value.field == expected and allowed in str(info.value)


def test_bad_energy_arguments_are_rejected():
    d = DRAM1T1C()
    with pytest.raises(ParameterError) as info:
        d.activate_energy_j(4)
    assert info.value.field == "rows"
    with pytest.raises(ParameterError) as info:
        d.write_burst_energy_j(-1e-9)
    assert info.value.field == "duration_s"


@pytest.mark.parametrize("field, value", [
    ("c_s_f", -30e-15), ("c_bl_f", 0.0), ("vdd_v", float("nan")), ("sigma_c_s_rel", 0.3),
    ("sigma_c_bl_rel", 0.2), ("w_sa_m", 0.0), ("sigma_vth_access_v", -0.1), ("v_pp_v", 0.0),
    ("sigma_c_s_rel", -0.01), ("sigma_sa_offset_v", -1e-3), ("sigma_ln_retention", -0.1),
    ("retention_median_s", 0.0), ("temperature_k", -1.0), ("t_ras_s", 0.0),
])
def test_non_physical_parameters_raise_naming_the_field(field, value):
    with pytest.raises(ParameterError) as info:
        DRAM1T1C(**{field: value})
    assert info.value.field == field and field in str(info.value)


@pytest.mark.parametrize("states", [np.array([[0.5, 1.0]]), np.array([[0, 2]]), np.array([1, 0])])
def test_bad_states_are_rejected(states):
    with pytest.raises(ParameterError) as info:
        DRAM1T1C().sample_instance(states, np.random.default_rng(0))
    assert info.value.field == "states"


def test_bad_operations_are_rejected():
    d = DRAM1T1C()
    inst = d.sample_instance(np.ones((3, 4), dtype=np.int64), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="op"):
        d.run(inst, "nand", (0, 1))
    with pytest.raises(ParameterError) as info:
        d.run(inst, "maj3", (0, 1))
    assert info.value.field == "rows"
    with pytest.raises(ParameterError, match="elapsed_s"):
        d.age(inst, -1.0)


def test_registry_lists_the_dram_cell():
    assert DEVICES["dram"] is DRAM1T1C
    assert DRAM1T1C.response_unit == "V" and DRAM1T1C().levels == 2


# ---- bit-line capacitance, SA offset and access-transistor spread ------------------------------

def test_single_cell_signal_falls_with_bit_line_capacitance():
    d = DRAM1T1C()
    c_bl = np.array([60e-15, 180e-15, 540e-15, 1e-12])
    signal = d.charge_share_v(np.full((1, 4), d.vdd_v), np.full((1, 4), d.c_s_f), c_bl_f=c_bl)
    np.testing.assert_allclose(signal, d.v_pre_v * d.c_s_f / (d.c_s_f + c_bl), rtol=1e-12)
    assert np.all(np.diff(signal) < 0)
    assert signal[1] == pytest.approx(0.107, abs=5e-4)   # the 107 mV of the class docstring


def test_instance_bit_line_capacitances_spread_and_set_each_lines_signal():
    d = DRAM1T1C(sigma_c_s_rel=0.0, sigma_c_bl_rel=0.1)
    cells = d.sample_instance(np.ones((4, 20000), dtype=np.int8), np.random.default_rng(3))
    assert cells.c_bl_f.shape == (20000,)
    assert np.std(cells.c_bl_f) / d.c_bl_f == pytest.approx(0.1, rel=0.03)
    signal = d.read(cells)
    expected = (d.vdd_v - d.v_pre_v) * d.c_s_f / (d.c_s_f + cells.c_bl_f)
    np.testing.assert_allclose(signal, np.broadcast_to(expected, signal.shape), rtol=1e-12)
    bits = d.xnor(cells, (0, 1))
    assert bits.shape == (20000,) and np.all(bits == 1)   # 10 % C_BL spread leaves XNOR(1, 1) correct


def test_default_instance_draws_no_bit_line_or_access_spread_and_keeps_the_stream():
    d = DRAM1T1C()
    states = np.ones((3, 50), dtype=np.int8)
    cells = d.sample_instance(states, np.random.default_rng(4))
    assert cells.c_bl_f is None and np.all(cells.v_cell_v == d.vdd_v)
    spread = dataclasses.replace(d, sigma_c_bl_rel=0.05, sigma_vth_access_v=0.05)
    other = spread.sample_instance(states, np.random.default_rng(4))
    np.testing.assert_array_equal(cells.sa_offset_v, other.sa_offset_v)   # the new draws come last
    np.testing.assert_array_equal(cells.c_s_f, other.c_s_f)


@pytest.mark.parametrize("w_m, l_m", [(0.6e-6, 0.3e-6), (0.3e-6, 0.15e-6), (1.2e-6, 0.6e-6)])
def test_sense_amplifier_offset_follows_pelgrom_area_law(w_m, l_m):
    d = DRAM1T1C(w_sa_m=w_m, l_sa_m=l_m)
    assert d.sa_offset_sigma_v == pytest.approx(math.sqrt(2) * 3e-9 / math.sqrt(w_m * l_m), rel=1e-12)
    reference = DRAM1T1C().sa_offset_sigma_v * math.sqrt(0.18e-12)   # sigma x sqrt(area) is the same
    assert d.sa_offset_sigma_v * math.sqrt(w_m * l_m) == pytest.approx(reference)
    offsets = d.sample_instance(np.ones((1, 40000), dtype=np.int8), np.random.default_rng(5)).sa_offset_v
    assert_variance_within_chi_square_interval(offsets, d.sa_offset_sigma_v)


def test_default_sa_offset_is_the_10_mv_pelgrom_value_and_an_explicit_one_overrides_it():
    assert DRAM1T1C().sa_offset_sigma_v == pytest.approx(10e-3, rel=1e-12)
    assert DRAM1T1C(sigma_sa_offset_v=4e-3).sa_offset_sigma_v == 4e-3
    assert DRAM1T1C().nominal().sa_offset_sigma_v == 0.0


def test_written_one_is_limited_by_the_access_transistor_threshold():
    d = DRAM1T1C()
    assert d.one_level_v() == d.vdd_v                        # V_PP - V_th = 1.8 V > V_DD
    assert d.one_level_v(0.5) == pytest.approx(2.5 - 1.2)     # a +0.5 V shift: V_PP - V_th = 1.3 V
    weak = DRAM1T1C(sigma_vth_access_v=0.3)
    cells = weak.sample_instance(np.ones((2, 20000), dtype=np.int8), np.random.default_rng(6))
    expected_fraction = stats.norm.sf(0.3 / 0.3)               # shifts above the 0.3 V margin
    assert np.mean(cells.v_cell_v < weak.vdd_v) == pytest.approx(expected_fraction, abs=0.01)
    assert np.all(cells.v_cell_v <= weak.vdd_v)
