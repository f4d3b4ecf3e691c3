import math
import tomllib

import numpy as np
import pytest
from imc.devices import SRAM6T

from imc.chip import ChipConfig, Interconnect, Leakage, ProcessingElement
from imc.config import from_dict
from imc.errors import ParameterError


def test_default_buffer_leakage_is_the_65nm_6t_cell_model():
    cell = SRAM6T()
    assert Leakage().buffer_w_per_bit == pytest.approx(float(cell.leakage_current_a(np.zeros(1))[0]) * cell.vdd_v,
                                                       rel=1e-3)


def test_transfer_time_is_hops_times_hop_latency_plus_serialisation():
    link = Interconnect()
    assert link.transfer_time_s(3, 320) == pytest.approx(3 * 1e-9 + 320 / 160e9)
    assert link.transfer_time_s(0, 320) == 0.0


def test_ideal_chip_is_unlimited_and_free():
    chip = ChipConfig.ideal()
    assert chip.allocation == "layer_per_pe"
    assert math.isinf(chip.pe.input_buffer_bits) and math.isinf(chip.global_buffer_bits)
    assert chip.interconnect.transfer_time_s(5, 1e6) == 0.0


@pytest.mark.parametrize("build, field, allowed", [
    (lambda: Interconnect(link_bandwidth_bits_per_s=0.0), "link_bandwidth_bits_per_s", "> 0 (inf: unlimited)"),
    (lambda: ProcessingElement(buffer_bandwidth_bits_per_s=0), "buffer_bandwidth_bits_per_s", "> 0"),
    (lambda: ChipConfig(offchip_bandwidth_bits_per_s=-1.0), "offchip_bandwidth_bits_per_s", "> 0"),
    (lambda: Interconnect(topology="torus"), "topology", "['mesh', 'bus']"),
    (lambda: Interconnect(placement="random"), "placement", "['snake', 'row_major']"),
    (lambda: ChipConfig(allocation="spread"), "allocation", "['packed', 'layer_per_pe']"),
    (lambda: ChipConfig(buffers="pooled"), "buffers", "['partitioned', 'shared']"),
    (lambda: ProcessingElement(arrays=4, arrays_per_adc_bank=5), "arrays_per_adc_bank", "[1, 4]"),
    (lambda: ChipConfig(pes=0), "pes", ">= 1"),
    (lambda: ChipConfig(pe={"arrays": 4}), "pe", "ProcessingElement"),
])
def test_bad_chip_parameters_name_the_field_and_what_is_allowed(build, field, allowed):
    with pytest.raises(ParameterError) as info:
        build()
    assert info.value.field == field and allowed in info.value.allowed


def test_chip_table_loads_from_toml_with_unlimited_values_and_full_error_paths():
    chip = from_dict(ChipConfig, tomllib.loads("pes = 4\n[pe]\ninput_buffer_bits = inf\n"
                                               "[interconnect]\ntopology = 'bus'\n"))
    assert chip.pes == 4 and math.isinf(chip.pe.input_buffer_bits) and chip.interconnect.topology == "bus"
    with pytest.raises(ParameterError, match=r"interconnect\.topology = 'torus': allowed: \['mesh', 'bus'\]"):
        from_dict(ChipConfig, {"interconnect": {"topology": "torus"}})
