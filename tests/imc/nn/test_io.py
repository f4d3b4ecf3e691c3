import json

import numpy as np
import pytest

from imc.devices import ParameterError
from imc.nn.data import load_digits
from imc.nn.io import ModelFileError, load_model, save_model
from imc.nn.network import Sequential

DESCRIPTION = {"input": {"encoding": "uniform", "bits": 3},
               "layers": [{"type": "conv", "channels": 3, "kernel": 3, "weight_quantizer": {"name": "ste_sign"}},
                          {"type": "batchnorm"}, {"type": "activation", "quantizer": {"name": "pact", "bits": 2}},
                          {"type": "flatten"}, {"type": "dense", "units": 10, "weight_quantizer": {"name": "twn"}},
                          {"type": "batchnorm"}]}


def small_model(seed=3):
    model = Sequential(DESCRIPTION, (8, 8, 1), 16, seed=seed)
    model.layers[1].running_mean[:] = [0.5, -1.0, 2.0]
    model.layers[2].quantizer.params["alpha"][...] = 3.5
    return model


def test_save_load_roundtrip_keeps_every_array_and_prediction(tmp_path):
    data = load_digits()
    model = small_model()
    path = save_model(model, tmp_path / "m.npz", info={"note": "x"})
    loaded, meta = load_model(path)
    assert meta["info"] == {"note": "x"} and meta["format_version"] == 2
    assert np.array_equal(loaded.predict(data.x_test), model.predict(data.x_test))
    assert float(loaded.layers[2].quantizer.params["alpha"]) == 3.5


def _rewrite(path, drop=None, meta_change=None):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files if k != drop}
    meta = json.loads(str(arrays["meta"]))
    meta.update(meta_change or {})
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


def test_loading_a_newer_format_version_fails_clearly(tmp_path):
    path = save_model(small_model(), tmp_path / "m.npz")
    _rewrite(path, meta_change={"format_version": 99})
    with pytest.raises(ModelFileError, match="format_version 99"):
        load_model(path)


def test_loading_a_file_with_a_missing_array_names_it(tmp_path):
    path = save_model(small_model(), tmp_path / "m.npz")
    _rewrite(path, drop="layers.1.running_var")
    with pytest.raises(ModelFileError, match="layers.1.running_var"):
        load_model(path)


def test_loading_garbage_or_missing_files_names_the_path(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="garbage.npz"):
        load_model(garbage)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "absent.npz")


def test_model_file_errors_are_parameter_errors_naming_the_file(tmp_path):
    with pytest.raises(ParameterError) as info:
        load_model(tmp_path / "absent.npz")
    assert info.value.field == "model file" and "absent.npz" in str(info.value)
