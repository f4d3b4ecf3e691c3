import pytest

from imc import ConfigError, SimConfig, load_config
from imc.config import from_dict, to_dict


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
