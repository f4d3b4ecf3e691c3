"""Published designs as presets: loading (API, design files, CLI), their metadata, bad input, and
the validation table against the published numbers."""

import math
import re
import tomllib
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from imc import presets
from imc.cli import main
from imc.config import IgnoredFieldWarning, load_config, merge_design, to_dict
from imc.errors import ParameterError
from imc.presets.metrics import METRICS, Run
from imc.presets.validate import COLUMNS, format_validation, imc_value, judge, points_of, rows_of, validate

REQUIRED = {"isaac_isca2016", "prime_isca2016", "neurram_nature2022", "jia_jssc2020", "imac_tcasi2020",
            "ambit_micro2017", "choi_coolchips2020", "simba_arxiv2020"}
KEY_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*\s*=")


def test_the_issue_s_designs_are_registered_under_their_paper_s_name():
    assert REQUIRED <= set(presets.PRESETS)
    for name, preset in presets.PRESETS.items():
        assert presets.NAME_PATTERN.match(name) and name.endswith(str(preset.year))
        assert preset.path.parent == presets.FOLDER and preset.doi and preset.network


def test_every_design_field_of_a_preset_file_is_annotated_with_its_source_or_as_an_assumption():
    for preset in presets.PRESETS.values():
        design_part = preset.path.read_text().split("[preset]")[0]
        for line in design_part.splitlines():
            if KEY_LINE.match(line):
                assert "#" in line, f"{preset.name}: {line!r} names no source"


def test_every_published_number_names_its_source_and_a_known_metric_and_incomparable_ones_say_why():
    for preset in presets.PRESETS.values():
        for row in preset.published:
            assert row.metric in METRICS and row.source
            if not row.comparable or METRICS[row.metric].value is None:
                assert row.reason and not (row.comparable and METRICS[row.metric].value is None), preset.name


def test_every_preset_loads_by_name_into_the_design_its_file_describes():
    for name, preset in presets.PRESETS.items():
        config = load_config(name)
        saved = to_dict(config)
        assert saved["array"]["kind"] == preset.design["array"]["kind"] and saved["model"] == preset.design["model"]


def test_no_preset_sets_a_field_without_effect_in_its_design():
    for name in presets.PRESETS:
        with warnings.catch_warnings():
            warnings.simplefilter("error", IgnoredFieldWarning)
            load_config(name)


def test_overrides_deep_merge_onto_the_preset_keeping_its_other_fields():
    config = load_config({"preset": "isaac_isca2016", "chips": 3, "array": {"adc": {"bits": 6}}})
    assert config.chips == 3 and config.array.adc.bits == 6
    assert config.array.adc.columns_per_adc == 128 and config.array.rows == 128 and config.array.device.levels == 4


def test_a_design_file_naming_a_preset_overrides_it_and_so_does_the_preset_option(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "neurram_nature2022"\nchips = 2\n[array.adc]\nbits = 8\n')
    from_file = load_config(path)
    assert from_file.chips == 2 and from_file.array.adc.bits == 8 and from_file.array.rows == 256
    plain = tmp_path / "plain.toml"
    plain.write_text("chips = 2\n")
    assert load_config(plain, preset="neurram_nature2022").array.rows == 256
    assert load_config(None, preset="jia_jssc2020").array.rows == 2304


def test_a_preset_file_loads_as_an_ordinary_design_file():
    preset = presets.get("jia_jssc2020")
    assert to_dict(load_config(preset.path)) == to_dict(load_config("jia_jssc2020"))


def test_changing_a_table_s_kind_starts_it_from_the_new_model_not_the_preset_s_fields():
    merged = merge_design({"array": {"kind": "resistive", "rows": 128, "device": {"kind": "rram", "levels": 4}}},
                          {"array": {"device": {"kind": "skyrmion"}}})
    assert merged == {"array": {"kind": "resistive", "rows": 128, "device": {"kind": "skyrmion"}}}
    node = merge_design({"device": {"kind": "sram6t", "node": "65nm", "a_vt_v_m": 3e-9}}, {"device": {"node": "22nm"}})
    assert node == {"device": {"kind": "sram6t", "node": "22nm"}}


def test_an_unknown_preset_name_lists_the_known_ones():
    with pytest.raises(ParameterError) as error:
        load_config({"preset": "isaac_isca2061"})
    assert error.value.field == "preset" and "isaac_isca2016" in error.value.allowed
    with pytest.raises(ParameterError) as error:
        load_config("isaac_isca2061")
    assert "isaac_isca2016" in str(error.value)


def test_an_override_of_a_field_the_preset_s_array_lacks_names_its_full_path():
    with pytest.raises(ParameterError) as error:
        load_config({"preset": "ambit_micro2017", "array": {"adc": {"bits": 6}}})
    assert error.value.field == "array.adc" and "DRAMBitwiseArray" in error.value.allowed
    with pytest.raises(ParameterError) as error:
        load_config({"preset": "isaac_isca2016", "array": {"device": {"max_skyrmions": 1}}})
    assert error.value.field == "array.device.max_skyrmions"


def test_a_design_naming_another_preset_than_the_option_is_refused(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "neurram_nature2022"\n')
    with pytest.raises(ParameterError, match="name one"):
        load_config(path, preset="isaac_isca2016")


def test_malformed_preset_files_are_errors_naming_the_field(tmp_path):
    base = presets.get("isaac_isca2016").path.read_text()
    cases = {"isaac.toml": (base, "named <design>_<venue><year>"),
             "isaac_isca2017.toml": (base, "ends with the year"),
             "isaac_isca2016.toml": (base.replace('metric = "chip_power_w"', 'metric = "chip_power_w"\nunit = "W"'),
                                     "unknown key"),
             "isaac_x2016.toml": (base.replace("tolerance = 2.0", "tolerance = -1", 1), "must be a number > 0"),
             "isaac_y2016.toml": (base + "\n[preset\n", "not valid TOML")}
    for file, (text, message) in cases.items():
        path = tmp_path / file
        path.write_text(text)
        with pytest.raises(ParameterError, match=re.escape(message)):
            presets.parse(path)


def test_the_judge_passes_within_the_tolerance_and_lists_every_other_row_as_missing_with_its_reason():
    row = presets.Published("tops_per_w", 400.0, "Table II", 2.0, reason="no fixed ADC energy")
    assert judge(row, False, 201.0) == ("ok", "") and judge(row, False, 799.0) == ("ok", "")
    assert judge(row, False, 199.0) == ("missing", "no fixed ADC energy")
    assert judge(replace(row, reason=""), False, 900.0)[1].startswith("unexplained")
    points = presets.Published("accuracy_loss", 0.0023, "abstract", 0.01)
    assert judge(points, True, 0.0120)[0] == "ok" and judge(points, True, 0.0124)[0] == "missing"
    incomparable = presets.Published("relative_to_baseline", 5.5, "abstract", 2.0, comparable=False, reason="baseline")
    assert judge(incomparable, False, None) == ("missing", "baseline")


def test_a_trend_row_compares_the_ratio_of_imc_s_values_at_two_operating_points():
    class Report:
        def __init__(self, tops_per_w):
            self.tops_per_w = tops_per_w
    row = presets.Published("tops_per_w", 0.48, "Table II", 2.0, design={"array": {"device": {"vdd_v": 1.2}}},
                            relative_to={})
    runs = {"": Run(Report(260.0), None), "array.device.vdd_v = 1.2": Run(Report(130.0), None)}
    assert imc_value(row, METRICS["tops_per_w"], runs) == 0.5
    assert points_of(replace(presets.get("jia_jssc2020"), published=(row,))) == {
        "array.device.vdd_v = 1.2": {"array": {"device": {"vdd_v": 1.2}}}, "": {}}


def test_every_operating_point_of_a_published_number_loads():
    for name, preset in presets.PRESETS.items():
        for row in preset.published:
            for overrides in (row.design, row.relative_to or {}):
                load_config({**overrides, "preset": name})


def test_rows_without_a_simulation_print_as_missing_with_their_reasons():
    frame_rows = rows_of(presets.get("prime_isca2016"), {})
    assert [row["status"] for row in frame_rows] == ["missing"] * 3
    assert "8-bit weights" in frame_rows[0]["reason"] and all("processing unit" in r["reason"] for r in frame_rows[1:])


def test_cli_lists_the_presets_with_their_source(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in REQUIRED) and "ISCA 2016" in out and "Nature 2022" in out
    assert main(["presets", "neurram_nature2022"]) == 0
    assert "doi:10.1038/s41586-022-04992-8" in capsys.readouterr().out


def test_cli_unknown_preset_exits_2_listing_the_known_ones(capsys):
    assert main(["simulate", "--preset", "isac_isca2016", "-q"]) == 2
    assert "isaac_isca2016" in capsys.readouterr().err
    assert main(["presets", "--validate", "nope"]) == 2
    assert "neurram_nature2022" in capsys.readouterr().err


def test_the_presets_ship_as_package_data():
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert "imc.presets" in setuptools["packages"] and setuptools["package-data"]["imc.presets"] == ["*.toml"]


@pytest.mark.slow
def test_cli_simulates_a_preset_with_overrides(capsys):
    assert main(["simulate", "--preset", "isaac_isca2016", "--chips", "2", "--inferences", "0", "-q"]) == 0
    assert "128x128" in capsys.readouterr().out


@pytest.mark.slow
def test_validation_table_meets_each_tolerance_or_lists_the_miss_with_its_reason():
    frame = validate()
    assert list(frame.columns) == list(COLUMNS) and set(frame["preset"]) == set(presets.PRESETS)
    assert len(frame) == sum(len(p.published) for p in presets.PRESETS.values())
    for _, row in frame.iterrows():
        assert row["status"] in ("ok", "missing")
        if row["status"] == "missing":
            assert row["reason"] and not row["reason"].startswith("unexplained"), row["metric"]
        else:
            assert math.isfinite(row["imc"])
    text = format_validation(frame)
    assert all(name in text for name in presets.PRESETS) and "within tolerance" in text
