"""Save and load models: one ``.npz`` file holding the arrays plus a JSON metadata entry.

Format (version 1): arrays ``layer{i}.{param}`` for every trainable parameter and
``layer{i}.running_mean`` / ``layer{i}.running_var`` for BatchNorm, and ``meta``: a JSON
string with ``format_version``, ``architecture``, the constructor arguments and free-form
``info`` (data set, training recipe, accuracy).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from imc.nn.layers import BatchNorm
from imc.nn.network import BinaryMLP

FORMAT_VERSION = 1
ARCHITECTURES = {BinaryMLP.architecture: BinaryMLP}


class ModelFileError(ValueError):
    """A model file is missing, unreadable, from a newer format or incomplete."""


def save_model(model: BinaryMLP, path: str | Path, info: dict | None = None) -> Path:
    path = Path(path)
    arrays = {}
    for i, layer in enumerate(model.layers):
        for key, value in layer.params.items():
            arrays[f"layer{i}.{key}"] = value
        if isinstance(layer, BatchNorm):
            arrays[f"layer{i}.running_mean"] = layer.running_mean
            arrays[f"layer{i}.running_var"] = layer.running_var
    meta = {
        "format_version": FORMAT_VERSION,
        "architecture": model.architecture,
        "args": {"n_features": model.n_features, "hidden": list(model.hidden),
                 "n_classes": model.n_classes, "thermometer": model.thermometer.tolist()},
        "info": info or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_model(path: str | Path) -> tuple[BinaryMLP, dict]:
    """Load a model file; returns the model and its metadata."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path}: not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"model file {path}: not a readable .npz archive ({exc})") from exc
    if "meta" not in arrays:
        raise ModelFileError(f"model file {path}: no 'meta' entry; expected an imc model file")
    meta = json.loads(str(arrays.pop("meta")))
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"model file {path}: format_version {version!r} is not supported; "
                             f"this imc reads versions 1..{FORMAT_VERSION}")
    arch = meta.get("architecture")
    if arch not in ARCHITECTURES:
        raise ModelFileError(f"model file {path}: architecture {arch!r} unknown; "
                             f"allowed: {sorted(ARCHITECTURES)}")
    model = ARCHITECTURES[arch](**meta["args"])
    for i, layer in enumerate(model.layers):
        names = list(layer.params)
        if isinstance(layer, BatchNorm):
            names += ["running_mean", "running_var"]
        for key in names:
            name = f"layer{i}.{key}"
            if name not in arrays:
                raise ModelFileError(f"model file {path}: array {name!r} is missing")
            target = layer.params[key] if key in layer.params else getattr(layer, key)
            if arrays[name].shape != target.shape:
                raise ModelFileError(f"model file {path}: array {name!r} has shape "
                                     f"{arrays[name].shape}, expected {target.shape}")
            target[...] = arrays[name]
    return model, meta
