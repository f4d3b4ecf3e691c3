"""The CLI's front door (issue 16, points 1, 2 and 4): bad input of every kind exits 2 with one
line naming the field or path, the value and what is allowed, before any work starts, and never
a traceback; Ctrl-C and SIGTERM stop a run within seconds with one line and exit 130."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from imc import engine
from imc.cli import BAD_INPUT, INTERRUPTED, main
from imc.nn import zoo

UNWRITABLE = "/proc/imc-cannot-create-this"  # not even root may create folders in /proc


def _npz(meta: str) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(meta))
    return buffer.getvalue()


DESIGNS = {  # file content -> what the one-line error must name
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "config = "),
    "utf16": ("chips = 3\n".encode("utf-16"), "config = "),
    "nested": (b"a = " + b"[" * 3000 + b"]" * 3000, "config = "),
    "deep_tables": (b"[" + b"a." * 2000 + b"b]\n", "a = "),
    "a_vt": (b"[array.device]\na_vt_v_m = 1e18\n", "array.device.a_vt_v_m = 1e+18"),
    "v_wl_tiny": (b"[array]\nv_wl_v = 1e-300\n", "array.v_wl_v = 1e-300"),
    "v_wl_huge_int": (b"[array]\nv_wl_v = 1" + b"0" * 400 + b"\n", "array.v_wl_v = 1000"),
    "r_precharge": (b"[array]\nr_precharge_ohm = 1e300\n", "array.r_precharge_ohm = 1e+300"),
    "adc_clock": (b"[array.adc]\nf_clk_hz = 1e-300\n", "array.adc.f_clk_hz = 1e-300"),
    "temperature": (b"[array.device]\ntemperature_k = 1e9\n", "array.device.temperature_k"),
    "transistor": (b"[array.device]\nw_read_m = 1e-2\n", "array.device.w_stack_m"),
    "nan": (b"[conditions]\ntime_s = nan\n", "conditions.time_s = nan"),
    "model_empty": (b'model = "empty.npz"\n', "model file = "),
    "model_not_zip": (b'model = "text.npz"\n', "not a readable .npz archive"),
    "model_truncated": (b'model = "truncated.npz"\n', "model file = "),
    "model_meta_not_json": (b'model = "meta_text.npz"\n', "'meta' is not JSON"),
    "model_meta_not_object": (b'model = "meta_list.npz"\n', "'meta' must be a JSON object"),
}


@pytest.fixture
def folder(tmp_path):
    """A folder with broken model files beside the design files (relative to them)."""
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("not a model")
    (tmp_path / "truncated.npz").write_bytes(zoo.path_of("bnn_mlp_digits").read_bytes()[:5000])
    (tmp_path / "meta_text.npz").write_bytes(_npz("{oops"))
    (tmp_path / "meta_list.npz").write_bytes(_npz(json.dumps([1, 2])))
    (tmp_path / "a_file").write_text("x")
    return tmp_path


def _bad(capsys, *argv, names: str) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == BAD_INPUT and "Traceback" not in err, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("imc: error: ") and names in line, line
    return line


@pytest.mark.parametrize("name", DESIGNS)
def test_a_bad_design_file_exits_2_with_one_line(capsys, folder, name):
    content, names = DESIGNS[name]
    (folder / "design.toml").write_bytes(content)
    _bad(capsys, "simulate", folder / "design.toml", "--chips", "1", "--inferences", "0", "-q", names=names)


@pytest.mark.parametrize("out", ["a_file", "/dev/null", "a_file/below", UNWRITABLE])
def test_an_unusable_out_folder_exits_2_before_any_work(capsys, folder, monkeypatch, out):
    monkeypatch.setattr("imc.api.simulate", lambda *a, **k: pytest.fail("simulated despite a bad --out"))
    path = out if out.startswith("/") else folder / out
    _bad(capsys, "simulate", "--out", path, names=f"--out = '{path}'")
    _bad(capsys, "sweep", folder / "absent.toml", "--out", path, names=f"--out = '{path}'")


@pytest.mark.parametrize("out", [".", "/dev/null", "a_file/m.npz", f"{UNWRITABLE}/m.npz"])
def test_train_checks_its_out_file_before_training(capsys, folder, monkeypatch, out):
    monkeypatch.setattr(zoo, "retrain", lambda *a, **k: pytest.fail("trained despite a bad --out"))
    path = folder if out == "." else out if out.startswith("/") else folder / out
    _bad(capsys, "train", "bnn_mlp_digits", "--out", path, names="--out = ")


def test_an_unknown_zoo_model_to_train_exits_2(capsys):
    _bad(capsys, "train", "no_such_model", names="model = 'no_such_model'")


def test_a_design_needing_tens_of_thousands_of_arrays_is_refused_with_why(capsys, folder):
    (folder / "tiny.toml").write_text("[array]\nrows = 3\ncols = 1\n")
    _bad(capsys, "simulate", folder / "tiny.toml", "-q", names="max_arrays = 16384")


def test_a_design_one_chip_of_which_exceeds_memory_is_refused_up_front(capsys, monkeypatch):
    monkeypatch.setattr(engine, "available_bytes", lambda: 10 ** 6)
    line = _bad(capsys, "simulate", "--chips", "2", "-q", names="array = ")
    assert re.search(r"one chip would need ~[\d.]+ GB, more than 50% of the 0\.0 GB of memory available", line)


def _start(tmp_path, *argv):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "imc", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tempfile.gettempdir())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_run_within_seconds_with_one_line_and_exit_130(tmp_path, signum):
    warm = _start(tmp_path, "simulate", "--chips", "2", "-q")  # compiles and caches the kernels: on a fresh
    assert warm.wait(timeout=300) == 0                          # clone the run below would still be compiling
    process = _start(tmp_path, "simulate", "--chips", "100000", "-j", "2")
    assert "loading and mapping" in process.stderr.readline()
    assert process.stderr.readline().startswith("imc: chips ")  # the chips are running (a fixed wait was too
    process.send_signal(signum)                                   # short when this machine ran slow)
    sent = time.monotonic()
    out, err = process.communicate(timeout=60)
    stopped_s = time.monotonic() - sent
    assert process.returncode == INTERRUPTED and "Traceback" not in err and out == "", err
    assert re.fullmatch(r"imc: interrupted after \d+ of 100000 chips", err.strip().splitlines()[-1]), err
    assert stopped_s < 15, f"took {stopped_s:.1f} s to stop (all queued chips: minutes)"
