"""The digital periphery's costs: Horowitz's energies and the clock at their 0.9 V reference, C V^2
energies and an alpha-power clock at another supply, the limit at the threshold, and bad input."""

import itertools
import math

import pytest

from imc.arrays import DigitalCosts, accumulator_bits
from imc.devices import ParameterError
from imc.devices.sram import NODES, SRAMBitCell


def gate_delay(v, vth=0.429, alpha=1.3):
    """The alpha-power gate delay up to its constant, C V / (V - V_th)^alpha (Sakurai & Newton 1990)."""
    return v / (v - vth) ** alpha


def test_the_default_supply_is_the_source_s_so_the_default_costs_are_the_fields():
    """Horowitz's 45 nm numbers hold at 0.9 V: at that supply nothing is scaled, bit for bit."""
    d = DigitalCosts()
    assert (d.vdd_v, d.vdd_ref_v) == (0.9, 0.9)
    assert d.add_energy_per_bit_j == d.e_add_bit_j == 3.1e-15
    assert d.buffer_energy_per_bit_j == d.e_buffer_bit_j == 0.16e-12
    assert d.clock_hz == d.f_clk_hz == 1e9
    assert d.accumulate_energy_j(10, 3, 8) == 10 * 4 * 8 * 3.1e-15
    assert d.adder_tree_latency_s(5) == pytest.approx(4e-9)


def test_the_transistor_is_the_65nm_node_s():
    d = DigitalCosts()
    assert d.vth_v == NODES["65nm"]["vth0_v"] and d.alpha == SRAMBitCell.alpha == 1.3


@pytest.mark.parametrize("vdd", [0.6, 0.85, 1.2])
def test_energies_scale_as_the_square_of_the_supply(vdd):
    """C V^2: E(V) = E(0.9 V) (V / 0.9)^2 for the adders and the buffers."""
    ref, d = DigitalCosts(), DigitalCosts(vdd_v=vdd)
    scale = (vdd / 0.9) ** 2
    assert d.accumulate_energy_j(64, 7, 12) == pytest.approx(ref.accumulate_energy_j(64, 7, 12) * scale, rel=1e-12)
    assert d.buffer_energy_j(1000) == pytest.approx(1000 * 0.16e-12 * scale, rel=1e-12)
    assert d.add_energy_per_bit_j == pytest.approx(3.1e-15 * scale, rel=1e-12)


def test_energy_at_twice_the_supply_is_four_times():
    assert DigitalCosts(vdd_v=1.2, vdd_ref_v=0.6).buffer_energy_j(1) == pytest.approx(4 * 0.16e-12, rel=1e-12)


def test_clock_ratio_between_two_supplies_is_the_alpha_power_delay_ratio():
    low, high = DigitalCosts(vdd_v=0.85), DigitalCosts(vdd_v=1.2)
    assert high.clock_hz / low.clock_hz == pytest.approx(gate_delay(0.85) / gate_delay(1.2), rel=1e-12)
    assert low.clock_hz == pytest.approx(1e9 * gate_delay(0.9) / gate_delay(0.85), rel=1e-12)
    assert low.adder_tree_latency_s(8) == pytest.approx(4 / low.clock_hz, rel=1e-12)
    custom = DigitalCosts(vdd_v=0.7, vth_v=0.3, alpha=2.0)
    assert custom.clock_hz == pytest.approx(1e9 * gate_delay(0.9, 0.3, 2.0) / gate_delay(0.7, 0.3, 2.0), rel=1e-12)
    clocks = [DigitalCosts(vdd_v=v).clock_hz for v in (0.5, 0.7, 0.9, 1.1, 1.3)]
    assert all(a < b for a, b in itertools.pairwise(clocks))  # a higher supply is faster


def test_the_clock_falls_without_bound_as_the_supply_nears_the_threshold():
    clocks = [DigitalCosts(vdd_v=0.429 + dv).clock_hz for dv in (1e-1, 1e-2, 1e-3, 1e-4)]
    assert all(b < a / 10 for a, b in itertools.pairwise(clocks)) and clocks[-1] < 1e5
    assert DigitalCosts(vdd_v=0.4291).adder_tree_latency_s(2) > 1e-5


@pytest.mark.parametrize("kwargs, field, message", [
    ({"vdd_v": 0.429}, "vdd_v", "grows without bound"), ({"vdd_v": 0.3}, "vdd_v", "above the transistor threshold"),
    ({"vdd_ref_v": 0.4}, "vdd_ref_v", "above the transistor threshold"),
    ({"vdd_v": 0.8, "vth_v": 0.85}, "vdd_v", "V_th = 0.85"),
    ({"vdd_v": float("nan")}, "vdd_v", "finite"), ({"vdd_v": -1.0}, "vdd_v", "above the transistor threshold"),
    ({"vth_v": 0.0}, "vth_v", "> 0"), ({"alpha": 0.5}, "alpha", "[1, 2]"), ({"alpha": 3.0}, "alpha", "[1, 2]"),
    ({"e_add_bit_j": 0.0}, "e_add_bit_j", "> 0"), ({"e_buffer_bit_j": -1e-12}, "e_buffer_bit_j", ""),
    ({"f_clk_hz": 0.0}, "f_clk_hz", "> 0"), ({"drivers": 1.0}, "drivers", "RowDrivers"),
])
def test_bad_parameters_are_refused_naming_the_field(kwargs, field, message):
    with pytest.raises(ParameterError, match=field) as info:
        DigitalCosts(**kwargs)
    assert message in str(info.value)


def test_accumulator_holds_every_sum_of_the_bound():
    """ceil(log2(2 n + 1)) bits hold -n..n: 256 binary terms need 10 bits, 255 need 9."""
    assert accumulator_bits(256) == 10 and accumulator_bits(255) == 9
    for bound in (1, 7, 100, 4096):
        bits = accumulator_bits(bound)
        assert 2 ** bits >= 2 * bound + 1 > 2 ** (bits - 1)
    with pytest.raises(ParameterError, match="partial_sums"):
        DigitalCosts().adder_tree_latency_s(0)
    assert math.isfinite(DigitalCosts().accumulate_energy_j(1, 1, 1))
