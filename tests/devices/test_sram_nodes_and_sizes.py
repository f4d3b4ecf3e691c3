"""SRAM technology nodes (`imc.devices.sram.NODES`) and transistor sizes as device parameters."""

import math

import pytest

from imc.devices import ParameterError
from imc.devices.sram import NODES, SRAM6T, SRAM8T, XNORSRAM


@pytest.mark.parametrize("node, vdd, vth0, area", [("130nm", 1.3, 0.3782, 2.09e-12), ("65nm", 1.1, 0.429, 0.57e-12),
                                                    ("45nm", 1.0, 0.469, 0.346e-12), ("28nm", 0.9, 0.49396, 0.120e-12),
                                                    ("22nm", 0.8, 0.503, 0.092e-12)])
def test_nodes_carry_their_ptm_supply_threshold_and_published_cell_area(node, vdd, vth0, area):
    cell = SRAM6T.at_node(node)
    assert (cell.vdd_v, cell.vth0_v, cell.cell_area_m2) == pytest.approx((vdd, vth0, area))
    assert cell.read_current_a(cell.vdd_v) == pytest.approx(NODES[node]["i_read_a"], rel=1e-9)
    assert SRAM8T.at_node(node).cell_area_m2 == pytest.approx(1.3 * area)
    assert XNORSRAM.at_node(node).cell_area_m2 == pytest.approx(2.0 * area)


def test_node_a_vt_scales_with_oxide_thickness():
    toxe_nm = {"130nm": 2.25, "65nm": 1.85, "45nm": 1.25, "28nm": 1.15, "22nm": 1.05}   # PTM NMOS cards (28: 32 nm HP)
    for node, toxe in toxe_nm.items():
        assert NODES[node]["a_vt_v_m"] == pytest.approx(3.0e-9 * toxe / 1.85, rel=0.02)


def test_mismatch_sigma_follows_the_transistor_area():
    cell = SRAM6T()
    for scale in (0.5, 2.0, 4.0):
        bigger = SRAM6T(w_read_m=cell.w_read_m * scale, w_stack_m=cell.w_stack_m * scale)
        assert bigger.sigma_vth_v == pytest.approx(cell.sigma_vth_v / math.sqrt(scale), rel=1e-12)
        assert bigger.sigma_vth_stack_v == pytest.approx(cell.sigma_vth_stack_v / math.sqrt(scale), rel=1e-12)


def test_drive_per_square_reproduces_the_calibrated_cell_and_makes_sizes_set_the_current():
    cell = SRAM6T()
    sized = SRAM6T(drive_a_per_square=cell.drive_per_square_a)
    for v_wl in (0.5, 0.7, 1.1):
        assert sized.read_current_a(v_wl) == pytest.approx(cell.read_current_a(v_wl), rel=1e-9)
    assert SRAM6T(w_read_m=200e-9).read_current_a(1.1) == pytest.approx(35e-6)   # calibrated: sizes don't move it
    wider = SRAM6T(drive_a_per_square=cell.drive_per_square_a, w_read_m=200e-9, w_stack_m=400e-9)
    assert wider.read_current_a(1.1) == pytest.approx(2 * 35e-6, rel=1e-6)        # both W doubled: I ~ W/L
    longer = SRAM6T(drive_a_per_square=cell.drive_per_square_a, l_read_m=130e-9)
    assert longer.read_current_a(1.1) < 35e-6


def test_bad_drive_per_square_names_the_field():
    with pytest.raises(ParameterError) as error:
        SRAM6T(drive_a_per_square=5.0)
    assert error.value.field == "drive_a_per_square"


def test_28nm_node_sits_between_45_and_22nm_and_shrinks_the_transistors_with_the_gate_length():
    node = NODES["28nm"]
    assert node["l_read_m"] == node["l_stack_m"] == 28e-9
    assert node["w_read_m"] == pytest.approx(100e-9 * 28 / 65, rel=0.01)
    assert node["w_stack_m"] == pytest.approx(2 * node["w_read_m"])
    for key in ("cell_area_m2", "c_bl_cell_f", "c_wl_cell_f", "vdd_v"):
        assert NODES["22nm"][key] <= node[key] < NODES["45nm"][key], key
    pitch = math.sqrt(0.120 / 0.57)
    assert node["c_bl_cell_f"] == pytest.approx(1.0e-15 * pitch, rel=0.01)
    cell = SRAM6T.at_node("28nm")
    assert cell.sigma_vth_v == pytest.approx(1.86e-9 / math.sqrt(43e-9 * 28e-9), rel=1e-9)


def test_unknown_node_lists_the_known_ones():
    with pytest.raises(ParameterError) as error:
        SRAM6T.at_node("32nm")
    assert error.value.field == "node"
    assert all(node in str(error.value) for node in NODES)
