import pytest

from imc.arrays.base import ArrayGeometry, OpCost
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
