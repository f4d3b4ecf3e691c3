"""Save and load models: one ``.npz`` file holding the arrays plus a JSON metadata entry.

Format version 2: arrays ``layers.{i}.{param}`` (and BatchNorm ``running_mean`` /
``running_var``) as listed by `imc.nn.network.state_dict`, and ``meta``: a JSON string with
``format_version``, the network ``description`` (see `imc.nn.network`), ``input_shape``,
``max_level`` and free-form ``info`` (data set, training recipe, accuracy).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from imc.errors import ParameterError
from imc.nn.network import Sequential, load_state_dict, state_dict

FORMAT_VERSION = 2


class ModelFileError(ParameterError):
    """A model file is missing, unreadable, from another format version or incomplete."""

    def __init__(self, path: Path, problem: str):
        super().__init__("model file", str(path), problem)

    def __reduce__(self):
        return type(self), (self.value, self.allowed)


def save_model(model: Sequential, path: str | Path, info: dict | None = None) -> Path:
    path = Path(path)
    meta = {"format_version": FORMAT_VERSION, "description": model.description,
            "input_shape": list(model.input_shape), "max_level": model.max_level, "info": info or {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, meta=np.array(json.dumps(meta)), **state_dict(model))
    return path


def load_model(path: str | Path) -> tuple[Sequential, dict]:
    """Load a model file; returns the model and its metadata. Anything that is not a complete imc
    model file (missing, truncated, not a zip, metadata not a JSON object, a description that does
    not build, non-finite weights) raises `ModelFileError`."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "not found")
    arrays = _read_arrays(path)
    if "meta" not in arrays:
        raise ModelFileError(path, "no 'meta' entry; expected an imc model file")
    meta = _read_meta(path, arrays.pop("meta"))
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(path, f"format_version {version!r} is not supported; this imc reads "
                                   f"version {FORMAT_VERSION} (retrain older models with `imc train`)")
    missing = [k for k in ("description", "input_shape", "max_level") if k not in meta]
    if missing:
        raise ModelFileError(path, f"metadata lacks {missing}")
    not_finite = [key for key, array in arrays.items()
                  if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all()]
    if not_finite:
        raise ModelFileError(path, f"arrays {not_finite[:3]} are not finite numbers")
    try:
        model = Sequential(meta["description"], tuple(meta["input_shape"]), meta["max_level"])
        load_state_dict(model, arrays, source=str(path))
    except ParameterError as exc:
        raise ModelFileError(path, f"{exc.field}: {exc.allowed}") from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, MemoryError) as exc:
        raise ModelFileError(path, f"metadata does not describe a network ({type(exc).__name__}: {exc})") from exc
    return model, meta


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive (no pickles), or a `ModelFileError` saying why not."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, AttributeError) as exc:
        raise ModelFileError(path, f"not a readable .npz archive ({type(exc).__name__}: {exc})") from exc


def _read_meta(path: Path, entry: np.ndarray) -> dict:
    """The metadata of a model file: its ``meta`` entry, a JSON object."""
    try:
        meta = json.loads(str(entry))
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(path, f"'meta' is not JSON ({type(exc).__name__})") from exc
    if not isinstance(meta, dict):
        raise ModelFileError(path, f"'meta' must be a JSON object, got {type(meta).__name__}")
    return meta
