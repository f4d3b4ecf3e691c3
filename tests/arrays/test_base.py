import numpy as np
import pytest

from imc.arrays import _kernels_levels
from imc.arrays.base import LEVEL_BASIS_TOLERANCE, ArrayGeometry, OpCost, level_basis
from imc.devices.rram import RRAM
from imc.errors import ParameterError

A = OpCost({"bitline": 1e-12, "adc": 2e-12}, 3e-9)
B = OpCost({"adc": 4e-12, "wordline": 5e-12}, 7e-9)


def geometry(**overrides):
    fields = dict(word_lines=64, bit_lines=32, cell_levels=2, input_schemes=("bit_serial",), sensing=("adc",),
                  encodings=("offset",))
    return ArrayGeometry(**{**fields, **overrides})


def test_sum_adds_energies_by_component_over_the_union_and_adds_latencies():
    total = A + B
    assert set(total.energy_j) == {"bitline", "adc", "wordline"}
    assert total.energy_j["bitline"] == pytest.approx(1e-12, rel=1e-12)
    assert total.energy_j["adc"] == pytest.approx(6e-12, rel=1e-12)
    assert total.energy_j["wordline"] == pytest.approx(5e-12, rel=1e-12)
    assert total.latency_s == pytest.approx(10e-9, rel=1e-12)
    assert total.total_energy_j == pytest.approx(A.total_energy_j + B.total_energy_j, rel=1e-12)


@pytest.mark.parametrize("scaled", [lambda cost: 3 * cost, lambda cost: cost * 3])
def test_scaling_multiplies_energies_and_latency(scaled):
    tripled = scaled(A)
    assert set(tripled.energy_j) == {"bitline", "adc"}
    assert tripled.energy_j["bitline"] == pytest.approx(3e-12, rel=1e-12)
    assert tripled.energy_j["adc"] == pytest.approx(6e-12, rel=1e-12)
    assert tripled.latency_s == pytest.approx(9e-9, rel=1e-12)


def test_alongside_adds_energies_and_takes_the_longer_latency():
    both = A.alongside(B)
    assert both.energy_j == pytest.approx((A + B).energy_j, rel=1e-12)
    assert both.latency_s == 7e-9
    assert B.alongside(A).latency_s == 7e-9


@pytest.mark.parametrize("energy_j, latency_s, field", [
    ({"adc": -1e-12}, 1e-9, "energy_j['adc']"),
    ({"adc": 1e-12, "bitline": -1e-15}, 1e-9, "energy_j['bitline']"),
    ({"adc": 1e-12}, -1e-9, "latency_s"),
])
def test_negative_energy_or_latency_raises_naming_the_field(energy_j, latency_s, field):
    with pytest.raises(ParameterError) as info:
        OpCost(energy_j, latency_s)
    assert info.value.field == field


@pytest.mark.parametrize("levels, bits", [(2, 1), (3, 1), (4, 2), (15, 3), (16, 4), (17, 4)])
def test_cell_bits_are_the_whole_bits_a_cell_holds(levels, bits):
    assert geometry(cell_levels=levels).cell_bits == bits


def test_geometry_rejects_no_word_lines_naming_the_field():
    with pytest.raises(ParameterError) as info:
        geometry(word_lines=0)
    assert info.value.field == "word_lines"


def indicator_sums(drive, responses):
    """The level decomposition by its definition: sum_l [drive == l] @ responses[l - 1]."""
    return sum((drive == level).astype(np.float64) @ responses[level - 1] for level in range(1, len(responses) + 1))


def column_sum_error(drive, responses):
    table, coefficients = level_basis(responses)
    basis_drives = _kernels_levels.level_drives_reference(drive, 0, drive.shape[1], table).astype(np.float64)
    sums = basis_drives @ coefficients.reshape(-1, coefficients.shape[-1]).astype(np.float64)
    return table.shape[1], np.abs(sums - indicator_sums(drive, responses)).max()


def test_level_basis_of_responses_proportional_to_the_level_is_one_function():
    rng = np.random.default_rng(0)
    cells = rng.uniform(0, 15, (40, 24))
    responses = np.arange(1, 16)[:, None, None] * cells  # an Ohmic cell: current ~ drive
    k, error = column_sum_error(rng.integers(0, 16, (50, 40)), responses)
    assert k == 1 and error < 1e-3  # float32 coefficients of sums up to 9,000


def test_level_basis_of_the_rram_sinh_iv_needs_few_functions_within_the_tolerance():
    device, rng = RRAM(), np.random.default_rng(1)
    conductance = rng.uniform(device.g_off_s, device.g_on_s, (128, 33))
    volts = device.v_read_v * np.arange(1, 16) / 15
    step = device.current_a(np.array([device.g_on_s]), volts[0])[0]
    responses = np.stack([device.current_a(conductance, v) for v in volts]) / step  # in steps of the top cell
    k, error = column_sum_error(rng.integers(0, 16, (200, 128)), responses)
    assert 2 <= k <= 4  # the sinh I-V is not proportional to the drive, yet smooth
    assert error < LEVEL_BASIS_TOLERANCE + 128 * 15 * 2.0 ** -23  # the bound plus float32 coefficients


def test_level_basis_of_large_counts_is_held_to_float32_resolution_of_the_column_sums():
    device, rng = RRAM(), np.random.default_rng(4)
    conductance = rng.uniform(device.g_off_s, device.g_on_s, (128, 17))
    volts = device.v_read_v * np.arange(1, 256) / 255  # 8-bit amplitude codes, in steps of one DAC code
    step = device.current_a(np.array([device.g_on_s]), volts[0])[0] / 15
    responses = np.stack([device.current_a(conductance, v) for v in volts]) / step  # up to ~4,000 per cell
    k, error = column_sum_error(rng.integers(0, 256, (100, 128)), responses)
    largest = np.abs(responses).max(axis=0).sum(axis=0).max()
    assert k <= 4  # 1e-4 of a count would need more than float32 holds at sums of ~500,000
    assert error < 3 * np.finfo(np.float32).eps * largest


def test_level_basis_of_responses_without_structure_is_the_exact_indicators():
    rng = np.random.default_rng(2)
    responses = rng.uniform(0, 1, (6, 30, 20))  # random per level: no smaller basis fits
    table, coefficients = level_basis(responses)
    assert np.array_equal(table, np.vstack([np.zeros(6), np.eye(6)]).astype(np.float32))
    assert np.array_equal(coefficients, responses.astype(np.float32))

