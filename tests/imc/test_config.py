import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import imc
from imc import ConfigError, SimConfig, load_config
from imc.arrays import SRAMArray
from imc.cli import main
from imc.config import from_dict, to_dict
from imc.devices import SRAM6T, SRAM8T, XNORSRAM
from imc.devices.sram import NODES

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_default_config_is_the_built_in_design():
    config = load_config()
    assert config == SimConfig()
    assert (config.array.rows, config.array.cols, config.mapping.encoding) == (256, 128, "xnor")


def test_toml_file_loads_into_the_same_dataclasses(tmp_path):
    path = tmp_path / "design.toml"
    path.write_text('chips = 5\nseed = 3\n[array]\nrows = 128\nv_wl_v = 0.8\n'
                    '[array.adc]\nbits = 6\n[array.device]\na_vt_v_m = 2e-9\n[mapping]\nencoding = "offset"\n')
    config = load_config(path)
    assert (config.chips, config.seed, config.array.rows, config.array.adc.bits) == (5, 3, 128, 6)
    assert config.array.device.a_vt_v_m == 2e-9 and config.mapping.encoding == "offset"
    assert from_dict(SimConfig, to_dict(config)) == config


@pytest.mark.parametrize("data, field, allowed", [
    ({"chips": 0}, "chips", "[1, 100000]"),
    ({"chipz": 3}, "chipz", "unknown key"),
    ({"array": {"rows": -4}}, "array.rows", "integer"),
    ({"array": {"rows": 2.5}}, "array.rows", "int"),
    ({"array": {"adc": {"bits": 0}}}, "array.adc.bits", "[1, 16]"),
    ({"array": {"device": {"c_bl_cell_f": -1e-15}}}, "array.device.c_bl_cell_f", "> 0"),
    ({"array": {"device": {"nope": 1}}}, "array.device.nope", "unknown key"),
    ({"array": 5}, "array", "table"),
    ({"variation": "yes"}, "variation", "bool"),
    ({"dataset": "imagenet"}, "dataset", "digits"),
    ({"mapping": {"encoding": "ternary"}}, "mapping.encoding", "xnor"),
    ({"array": {"device": {"kind": "sram10t"}}}, "array.device.kind", "['sram6t', 'sram8t', 'sram_xnor']"),
    ({"array": {"device": {"kind": "rram"}}}, "array.device.kind", "SRAMArray.device holds one of ['sram6t'"),
    ({"array": {"kind": "resistive", "device": {"kind": "sram6t"}}}, "array.device.kind",
     "ResistiveArray.device holds one of ['fefet', 'pcm', 'rram', 'skyrmion', 'stt_mram']"),
    ({"array": {"kind": "dram", "device": {"kind": "rram"}}}, "array.device.kind", "holds one of ['dram']"),
    ({"array": {"kind": "flash"}}, "array.kind", "['dram', 'resistive', 'sram', 'sram_charge']"),
    ({"array": {"kind": "resistive", "sensing": "sense_amp"}}, "array.sensing", "unknown key"),
    ({"array": {"kind": "resistive", "input_scheme": "thermometer"}}, "array.input_scheme", "bit_serial"),
    ({"array": {"kind": "dram"}, "mapping": {"encoding": "offset"}}, "mapping.encoding", "encodings ['xnor']"),
    ({"conditions": {"time_s": -1.0}}, "conditions.time_s", ">= 0"),
    ({"conditions": {"time_s": float("inf")}}, "conditions.time_s", "finite"),
    ({"conditions": {"ir_drop": True}}, "conditions.ir_drop", "IR drop is modelled for: ['resistive']"),
    ({"conditions": {"read_noise": 1}}, "conditions.read_noise", "bool"),
    ({"dataset": "mnist"}, "dataset_path", "nothing is downloaded"),
    ({"dataset": "mnist", "dataset_path": "/no/such/dir"}, "dataset_path", "existing"),
    ({"dataset_path": "/tmp"}, "dataset_path", "digits is built in"),
    ({"array": {"device": {"kind": 6}}}, "array.device.kind", "must be of type str"),
    ({"array": {"device": {"node": "14nm"}}}, "array.device.node", "['130nm', '22nm', '28nm', '45nm', '65nm']"),
    ({"array": {"device": {"kind": "sram_xnor", "node": 22}}}, "array.device.node", "must be of type str"),
    ({"array": {"device": {"kind": "sram8t", "v_write_trip_v": 0.3}}}, "array.device.v_write_trip_v",
     "unknown key; allowed keys for SRAM8T"),
    ({"array": {"device": {"kind": "sram8t", "node": "22nm", "vdd_v": "high"}}}, "array.device.vdd_v", "float"),
    ({"array": {"device": {"kind": "sram_xnor"}}, "mapping": {"encoding": "offset"}}, "mapping.encoding",
     "'sram_xnor' cells supports the encodings ['xnor']"),
])
def test_bad_config_names_field_value_and_what_is_allowed(data, field, allowed):
    with pytest.raises(ConfigError) as info:
        load_config(data)
    assert info.value.field == field
    assert allowed in str(info.value) and repr(info.value.value) in str(info.value)


def test_missing_and_malformed_files_are_reported(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("chips = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_replace_validates_like_loading():
    assert SimConfig().replace(chips=4).chips == 4
    with pytest.raises(ConfigError, match="chips"):
        SimConfig().replace(chips=-1)


@pytest.mark.parametrize("kind, model, ports", [("sram6t", SRAM6T, 1), ("sram8t", SRAM8T, 1),
                                                ("sram_xnor", XNORSRAM, 2)])
def test_device_kind_selects_the_sram_cell(kind, model, ports):
    array = load_config({"array": {"rows": 128, "device": {"kind": kind}}}).array
    assert type(array.device) is model and array.device == model()
    assert array.logical_rows == 128 * ports


def test_default_kind_is_the_6t_cell_with_fields_overridden():
    device = load_config({"array": {"device": {"a_vt_v_m": 2e-9}}}).array.device
    assert device == SRAM6T(a_vt_v_m=2e-9)


@pytest.mark.parametrize("kind, model", [("sram6t", SRAM6T), ("sram_xnor", XNORSRAM)])
def test_node_starts_from_that_nodes_parameters_and_fields_override_them(kind, model):
    at_22 = load_config({"array": {"device": {"kind": kind, "node": "22nm"}}}).array.device
    assert at_22 == model.at_node("22nm") and at_22 != model()
    assert (at_22.vdd_v, at_22.a_vt_v_m) == (NODES["22nm"]["vdd_v"], NODES["22nm"]["a_vt_v_m"])
    tuned = load_config({"array": {"device": {"kind": kind, "node": "22nm", "a_vt_v_m": 2e-9}}}).array.device
    assert tuned == model.at_node("22nm", a_vt_v_m=2e-9) and tuned.vdd_v == at_22.vdd_v


@pytest.mark.parametrize("kind", ["sram6t", "sram8t", "sram_xnor"])
def test_saved_config_records_the_kind_and_loads_back(kind):
    config = load_config({"seed": 2, "array": {"device": {"kind": kind, "node": "22nm", "a_vt_v_m": 2e-9}}})
    saved = json.loads(json.dumps(to_dict(config)))
    assert saved["array"]["device"]["kind"] == kind
    assert load_config(saved) == config
    assert config.replace(chips=3) == dataclasses.replace(config, chips=3)


def test_an_unregistered_cell_is_saved_by_class_name_and_refused_on_loading():
    @dataclasses.dataclass(frozen=True)
    class CustomCell(SRAM6T):
        pass

    config = SimConfig(array=SRAMArray(device=CustomCell()))
    assert config.replace(seed=5).array.device == CustomCell()
    with pytest.raises(ConfigError, match="array.device.kind = 'CustomCell'"):
        load_config(to_dict(config))


def test_example_xnor_design_loads():
    config = load_config(EXAMPLES / "sram_xnor_22nm.toml")
    assert config.array.device == XNORSRAM.at_node("22nm", a_vt_v_m=1.7e-9)
    assert config.array.logical_rows == 2 * config.array.rows


@pytest.mark.parametrize("kind", ["sram8t", "sram_xnor"])
def test_toml_selected_cell_simulates_exactly_without_variation_and_runs_with_it(kind, tmp_path, capsys):
    """9-bit ADCs resolve the XNOR cell's 256 inputs per column (0..256); 8 bits cannot."""
    path = tmp_path / "design.toml"
    path.write_text(f'[array.adc]\nbits = 9\n[array.device]\nkind = "{kind}"\n')
    assert main(["simulate", str(path), "--chips", "2", "--no-variation", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"]["per_chip"] == [report["accuracy"]["software"]] * 2
    assert report["config"]["array"]["device"]["kind"] == kind
    assert load_config(report["config"]) == load_config(path).replace(chips=2, variation=False)
    varied = imc.simulate(load_config(path).replace(chips=2))
    assert varied.chip_accuracy.shape == (2,) and np.all(varied.chip_accuracy > 0.9)


def test_an_input_scheme_the_array_does_not_drive_is_refused_naming_the_drivers_it_has():
    with pytest.raises(ConfigError, match=r"mapping.inputs = 'amplitude': the 'sram' array's word-line drivers "
                                          r"offer \['bit_serial'\]"):
        from_dict(SimConfig, {"mapping": {"inputs": "amplitude"}})
    with pytest.raises(ConfigError, match=r"mapping.inputs = 'dac'.*allowed: \['bit_serial', 'amplitude', 'pulse_width'\]"):
        from_dict(SimConfig, {"mapping": {"inputs": "dac"}})
    config = from_dict(SimConfig, {"array": {"input_bits": 4}, "mapping": {"inputs": "amplitude"}})
    assert config.array.geometry().input_schemes == ("bit_serial", "amplitude")


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.toml")))
def test_every_example_design_saves_and_loads_back(example):
    config = load_config(EXAMPLES / f"{example}.toml")
    assert load_config(json.loads(json.dumps(to_dict(config)))) == config


def test_optional_wire_table_loads_and_round_trips():
    config = load_config({"array": {"kind": "resistive", "wires": {"r_wire_row_ohm": 2.0}},
                          "conditions": {"ir_drop": True}})
    assert config.chip_array.wires.r_wire_row_ohm == 2.0
    assert load_config(json.loads(json.dumps(to_dict(config)))) == config


@pytest.mark.parametrize("mapping, field, allowed", [
    ({"weights": "signed"}, "mapping.weights", "['balanced', 'differential', 'offset', 'twos_complement']"),
    ({"rows_per_read": 0}, "mapping.rows_per_read", "[1, 4096]"),
    ({"adc_range": "auto"}, "mapping.adc_range", "['worst_case', 'calibrated', 'fixed']"),
    ({"adc_range": "fixed"}, "mapping.adc_full_scale_count", "integer >= 1"),
    ({"adc_full_scale_count": 100}, "mapping.adc_full_scale_count", "only with adc_range = 'fixed'"),
    ({"adc_range": "calibrated", "calibration_coverage": 0.0}, "mapping.calibration_coverage", "(0, 1]"),
])
def test_bad_mapping_options_name_the_field(mapping, field, allowed):
    with pytest.raises(ConfigError) as info:
        load_config({"mapping": mapping})
    assert info.value.field == field and allowed in str(info.value)
