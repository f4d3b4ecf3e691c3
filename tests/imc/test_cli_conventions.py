"""What a user of a well-kept scientific CLI expects (issue 16, points 3 and 5): a version, progress
in a log, warnings for settings without effect, no overwritten zoo file, paths relative to the
design file, units in CSV headers and readable one-chip plots."""

import json
import shutil
import warnings
from pathlib import Path

import matplotlib
import pytest

from imc.cli import main
from imc.config import IgnoredFieldWarning, load_config
from imc.nn import zoo
from imc.progress import progress_bar
from imc.report import Report


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("imc ")


def test_train_writes_into_the_current_folder_unless_out_names_a_file(tmp_path, monkeypatch, capsys):
    written = []
    monkeypatch.setattr(zoo, "retrain", lambda name, out, progress: (written.append(Path(out)) or Path(out), 0.5))
    monkeypatch.chdir(tmp_path)
    assert main(["train", "bnn_mlp_digits", "-q"]) == 0
    assert written == [Path("bnn_mlp_digits.npz")] and written[0].resolve() != zoo.path_of("bnn_mlp_digits")
    assert main(["train", "bnn_mlp_digits", "--out", str(tmp_path / "sub" / "m.npz"), "-q"]) == 0
    assert written[-1] == tmp_path / "sub" / "m.npz" and (tmp_path / "sub").is_dir()


def test_a_relative_model_path_is_read_from_the_design_files_folder(tmp_path, monkeypatch):
    (tmp_path / "designs").mkdir()
    shutil.copy(zoo.path_of("bnn_mlp_digits"), tmp_path / "designs" / "mine.npz")
    (tmp_path / "designs" / "design.toml").write_text('model = "mine.npz"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config("designs/design.toml").model == str(Path("designs") / "mine.npz")
    assert load_config({"model": "mine.npz"}).model == "mine.npz"  # a dict has no folder: as given
    assert load_config(tmp_path / "designs" / "design.toml").model == str(tmp_path / "designs" / "mine.npz")


@pytest.mark.parametrize("table, field", [
    ({"array": {"adc": {"full_scale": 1.0}}}, "array.adc.full_scale"),
    ({"array": {"adc": {"comparator": {"vdd_v": 1.0}}}}, "array.adc.comparator"),
    ({"array": {"sense_amp": {"vdd_v": 1.0}}}, "array.sense_amp"),
    ({"array": {"dac_r_string_ohm": 5e4}}, "array.dac_r_string_ohm"),
    ({"array": {"kind": "resistive", "adc": {"full_scale": 2.0}}}, "array.adc.full_scale"),
])
def test_a_setting_without_effect_in_the_design_warns_naming_it_and_why(table, field):
    with pytest.warns(IgnoredFieldWarning, match=rf"^{field} has no effect: \w+"):
        load_config(table)


def test_fields_at_their_defaults_or_with_effect_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredFieldWarning)
        load_config({"array": {"sense_amp": {"vdd_v": 1.1}, "adc": {"architecture": "flash",
                                                                    "comparator": {"vdd_v": 1.0}}}})
        load_config({"array": {"sensing": "sense_amp", "sense_amp": {"vdd_v": 1.0}}})


def test_a_run_logs_stages_warnings_and_progress_and_writes_csvs_with_units(tmp_path, capsys):
    matplotlib.use("Agg")
    design = tmp_path / "design.toml"
    design.write_text("chips = 1\ninferences = 20\nvariation = false\n[array.sense_amp]\nvdd_v = 1.0\n")
    assert main(["simulate", str(design), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "imc: warning: array.sense_amp has no effect: latches sense only with sensing = 'sense_amp'" in err
    for stage in ("imc: loading and mapping", "imc: chip engine", "imc: cost model"):
        assert any(line.startswith(stage) for line in err), err
    headers = {name: (tmp_path / "out" / name).read_text().splitlines()[0] for name in ("chips.csv", "energy.csv")}
    assert headers["chips.csv"] == "chip,accuracy_fraction"
    assert all(column.endswith("_j") for column in headers["energy.csv"].split(",")[1:])


def test_a_one_chip_nominal_histogram_has_integer_ticks_and_says_1_nominal_chip(tmp_path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert main(["simulate", "--chips", "1", "--no-variation", "--inferences", "0", "-q", "--out", str(tmp_path)]) == 0
    report = Report.from_dict(json.loads((tmp_path / "report.json").read_text()))
    fig, ax = plt.subplots()
    report.plot_accuracy(ax)
    fig.canvas.draw()
    assert ax.get_legend().get_texts()[0].get_text() == "1 nominal chip"
    assert all(tick == int(tick) for tick in ax.get_yticks())
    plt.close(fig)


def test_line_progress_off_a_terminal_prints_plain_lines(capsys):
    with progress_bar(3, "chips", "chip", enabled=True) as bar:
        bar.interval_s = 0.0
        bar.update(2)
        bar.update(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["imc: chips 2/3 (0 s)", "imc: chips 3/3 (0 s)"] and "\r" not in "".join(lines)
