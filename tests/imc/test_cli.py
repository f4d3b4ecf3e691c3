import json
import os
import subprocess
import sys
import tempfile

import pytest

from imc.cli import main


def run_cli(*args):
    """Run ``python -m imc`` in a separate process, outside the source tree.

    The working directory is the system temp dir so that ``-m`` imports the installed
    package (editable or not), never the source folder ``imc/`` alone.
    """
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "imc", *args], capture_output=True, text=True,
                          env=env, cwd=tempfile.gettempdir())


def test_help_exits_zero():
    result = run_cli("simulate", "--help")
    assert result.returncode == 0 and "--chips" in result.stdout and "--out" in result.stdout


def test_simulate_json_on_stdout_with_seed_and_chips():
    result = run_cli("simulate", "--chips", "3", "--seed", "4", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["config"]["chips"] == 3 and report["config"]["seed"] == 4
    assert len(report["accuracy"]["per_chip"]) == 3


def test_simulate_out_writes_report_and_prints_table(tmp_path, capsys):
    assert main(["simulate", "--chips", "2", "--out", str(tmp_path), "-q"]) == 0
    assert "energy per inference" in capsys.readouterr().out
    assert json.loads((tmp_path / "report.json").read_text())["config"]["chips"] == 2


def test_worker_count_does_not_change_the_chips(capsys):
    runs = []
    for workers in ("1", "2"):
        assert main(["simulate", "--chips", "3", "--workers", workers, "--json"]) == 0
        runs.append(json.loads(capsys.readouterr().out)["accuracy"]["per_chip"])
    assert runs[0] == runs[1]


def test_no_variation_run_matches_software(capsys):
    assert main(["simulate", "--chips", "2", "--no-variation", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["accuracy"]["per_chip"]) == {report["accuracy"]["software"]}


@pytest.mark.parametrize("args, field", [
    (["--chips", "0"], "chips = 0"),
    (["--seed", "-1"], "seed = -1"),
    (["--workers", "0"], "workers = 0"),
])
def test_bad_arguments_exit_2_without_traceback(args, field):
    result = run_cli("simulate", *args)
    assert result.returncode == 2
    assert field in result.stderr and "Traceback" not in result.stderr


def test_bad_config_file_exits_2_naming_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[array]\nrows = -8\n")
    result = run_cli("simulate", str(path))
    assert result.returncode == 2
    assert "array.rows = -8" in result.stderr and "Traceback" not in result.stderr


def test_missing_config_file_exits_2(tmp_path):
    result = run_cli("simulate", str(tmp_path / "absent.toml"))
    assert result.returncode == 2 and "file not found" in result.stderr


def test_unknown_model_in_config_exits_2(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('model = "alexnet"\n')
    result = run_cli("simulate", str(path))
    assert result.returncode == 2 and "model = 'alexnet'" in result.stderr


def test_devices_lists_the_registry(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "sram6t" in out and "a_vt_v_m" in out


def test_train_writes_a_model(tmp_path, capsys):
    assert main(["train", "bnn_mlp_digits", "--out", str(tmp_path / "m.npz"), "-q"]) == 0
    assert (tmp_path / "m.npz").is_file() and "test accuracy" in capsys.readouterr().out


def test_a_multi_bit_cnn_runs_from_the_cli_and_a_cell_that_cannot_slice_it_exits_2(tmp_path):
    path = tmp_path / "cnn.toml"
    path.write_text('model = "dorefa4_cnn_digits"\nchips = 2\n')
    result = run_cli("simulate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [row["cycles"] for row in report["mapping"]] == [4, 4, 4]  # 4-bit inputs, bit-serial
    path.write_text('model = "dorefa4_cnn_digits"\n[array.device]\nkind = "sram_xnor"\n[array.adc]\nbits = 9\n')
    result = run_cli("simulate", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "weights = 'offset': layer 'conv0' has multi-bit weights" in result.stderr


@pytest.mark.parametrize("toml, message", [
    ('[array]\nkind = "resistive"\n[array.device]\nkind = "sram6t"\n',
     "array.device.kind = 'sram6t': 'sram6t' is a SRAM6T, but ResistiveArray.device holds one of "
     "['fefet', 'pcm', 'rram', 'skyrmion', 'stt_mram']"),
    ('[array]\nkind = "dram"\nsensing = "sense_amp"\n', "array.sensing = 'sense_amp': unknown key"),
    ('[conditions]\ntime_s = -5.0\n', "conditions.time_s = -5.0: must be a finite number >= 0"),
    ('[conditions]\ntime_s = inf\n', "conditions.time_s = inf"),
    ('[conditions]\nir_drop = true\n', "conditions.ir_drop = True: the 'sram' array has no wire-resistance model"),
    ('dataset = "mnist"\n', "dataset_path = None: dataset = 'mnist' is read from local files"),
    ('[mapping]\nmax_arrays = 5\n', "layer 'dense1': the plan needs 6 arrays up to this layer (2 for it), above the "
     "budget max_arrays = 5"),
])
def test_bad_technology_choices_exit_2_naming_field_value_and_allowed(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    result = run_cli("simulate", str(path))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_devices_lists_the_array_kinds_and_the_cells_each_holds(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "array kinds" in out and "resistive: cells rram, skyrmion" in out and "dram: cells dram" in out


def test_importing_the_lower_layers_does_not_load_the_system():
    code = ("import sys, imc.devices, imc.arrays, imc.mapping; "
            "print(sorted(m for m in sys.modules if m.startswith('imc.') and m.split('.')[1] in "
            "('engine', 'api', 'report', 'config', 'nn', 'performance', 'cli')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_simulate_runs_the_chip_engine_and_inferences_sets_its_stream(capsys):
    assert main(["simulate", "--chips", "2", "--inferences", "50", "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    chip = report["chip"]
    assert chip["inferences"] == 50 and chip["events"] > 50 * 7  # one event per tile op at least
    # uncontended first inference = the closed-form latency plus the default chip's buffer, link and
    # off-chip transfers, never less
    assert chip["latency_first_s"] >= report["latency_s"]
    assert chip["throughput_inf_per_s"] <= report["throughput_inf_per_s"] * (1 + 1e-9)
    assert main(["simulate", "--chips", "2", "--inferences", "0", "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["chip"] is None


def test_negative_inferences_exit_2():
    result = run_cli("simulate", "--inferences", "-3")
    assert result.returncode == 2 and "inferences = -3" in result.stderr and "Traceback" not in result.stderr
