"""Model zoo: small trained networks shipped inside the package, and their recipes.

Each entry names the data set, the network description and the training recipe, so that
``imc train NAME`` retrains it reproducibly (same seed, same split -> same weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imc.errors import ParameterError
from imc.nn.data import load_dataset
from imc.nn.io import ModelFileError, load_model, save_model
from imc.nn.network import IntegerModel, Sequential
from imc.nn.train import TrainConfig, train
from imc.registry import Registry

ZOO_DIR = Path(__file__).parent

SIGN = {"name": "ste_sign"}
THERMOMETER = {"encoding": "thermometer", "thresholds": [3, 7, 11, 15]}


def _dense(units: int, weights: dict) -> dict:
    return {"type": "dense", "units": units, "weight_quantizer": weights}


def _conv(channels: int, weights: dict) -> dict:
    return {"type": "conv", "channels": channels, "kernel": 3, "padding": 1, "weight_quantizer": weights}


def _block(matrix: dict, activation: dict, pool: bool = False) -> list[dict]:
    block = [matrix, {"type": "batchnorm"}, {"type": "activation", "quantizer": activation}]
    return block + ([{"type": "maxpool", "size": 2}] if pool else [])


def _dorefa_cnn(w_bits: tuple[int, int, int], a_bits: tuple[int, int], first_activation: str = "dorefa_activation") -> dict:
    """Two 3x3 conv blocks (16 and 32 channels, 2x2 max pooling) and a dense classifier."""
    return {"input": {"encoding": "uniform", "bits": 4},
            "layers": [*_block(_conv(16, {"name": "dorefa_weight", "bits": w_bits[0]}),
                               {"name": first_activation, "bits": a_bits[0]}, pool=True),
                       *_block(_conv(32, {"name": "dorefa_weight", "bits": w_bits[1]}),
                               {"name": "dorefa_activation", "bits": a_bits[1]}, pool=True),
                       {"type": "flatten"},
                       _dense(10, {"name": "dorefa_weight", "bits": w_bits[2]}), {"type": "batchnorm"}]}


@dataclass(frozen=True)
class Recipe:
    """How a zoo model is built and trained."""

    dataset: str
    description: dict
    bits: str
    summary: str
    train: TrainConfig = field(default_factory=TrainConfig)


RECIPES = Registry("zoo model")
RECIPES.register("bnn_mlp_digits")(Recipe(
    "digits",
    {"input": THERMOMETER,
     "layers": [{"type": "flatten"}, *_block(_dense(256, SIGN), SIGN), *_block(_dense(128, SIGN), SIGN),
                _dense(10, SIGN), {"type": "batchnorm"}]},
    bits="W1/A1", summary="BNN MLP 256-256-128-10, thermometer input (Hubara et al. 2016)"))
RECIPES.register("xnor_cnn_digits")(Recipe(
    "digits",
    {"input": THERMOMETER,
     "layers": [*_block(_conv(32, {"name": "xnor_weight"}), SIGN, pool=True),
                *_block(_conv(64, {"name": "xnor_weight"}), SIGN, pool=True),
                {"type": "flatten"}, _dense(10, {"name": "xnor_weight"}), {"type": "batchnorm"}]},
    bits="W1/A1", summary="XNOR-Net CNN: 2 conv (32, 64) + dense, scaled binary weights (Rastegari et al. 2016)",
    train=TrainConfig(epochs=40)))
RECIPES.register("ternary_mlp_digits")(Recipe(
    "digits",
    {"input": {"encoding": "uniform", "bits": 4},
     "layers": [{"type": "flatten"},
                *_block(_dense(256, {"name": "twn"}), {"name": "dorefa_activation", "bits": 2}),
                *_block(_dense(128, {"name": "twn"}), {"name": "dorefa_activation", "bits": 2}),
                _dense(10, {"name": "twn"}), {"type": "batchnorm"}]},
    bits="W2(ternary)/A2", summary="TWN MLP 64-256-128-10, ternary weights (Li et al. 2016), 2-bit activations"))
RECIPES.register("ttq_mlp_digits")(Recipe(
    "digits",
    {"input": {"encoding": "uniform", "bits": 4},
     "layers": [{"type": "flatten"},
                *_block(_dense(256, {"name": "ttq"}), {"name": "dorefa_activation", "bits": 2}),
                *_block(_dense(128, {"name": "ttq"}), {"name": "dorefa_activation", "bits": 2}),
                _dense(10, {"name": "ttq"}), {"type": "batchnorm"}]},
    bits="W2(ternary, +W_p/-W_n)/A2",
    summary="TTQ MLP 64-256-128-10, trained ternary weights with unequal scales (Zhu et al. 2017), 2-bit activations"))
RECIPES.register("dorefa2_cnn_digits")(Recipe(
    "digits", _dorefa_cnn((2, 2, 2), (2, 2)), bits="W2/A2",
    summary="DoReFa CNN 16-32 conv + dense, 2-bit weights and activations (Zhou et al. 2016)",
    train=TrainConfig(epochs=40)))
RECIPES.register("dorefa4_cnn_digits")(Recipe(
    "digits", _dorefa_cnn((4, 4, 4), (4, 4)), bits="W4/A4",
    summary="DoReFa CNN 16-32 conv + dense, 4-bit weights and activations (Zhou et al. 2016)",
    train=TrainConfig(epochs=40)))
RECIPES.register("mixed_cnn_digits")(Recipe(
    "digits", _dorefa_cnn((8, 2, 4), (4, 2), first_activation="pact"), bits="W8-2-4/A4-2",
    summary="Mixed precision CNN: 8-bit first conv, 2-bit second conv, 4-bit classifier; PACT then "
            "DoReFa activations (Choi et al. 2018)",
    train=TrainConfig(epochs=40)))


def path_of(name: str) -> Path:
    if name not in RECIPES:
        raise ParameterError("model", name, f"not in the zoo; allowed: {sorted(RECIPES)} "
                             "or a path to a .npz model file or a quantized .onnx graph")
    return ZOO_DIR / f"{name}.npz"


def build(name: str) -> tuple[Sequential, Recipe]:
    """An untrained network of zoo entry ``name``, initialised with its recipe's seed."""
    path_of(name)
    recipe = RECIPES[name]
    data = load_dataset(recipe.dataset)
    return Sequential(recipe.description, data.image_shape, data.max_level, seed=recipe.train.seed), recipe


def retrain(name: str, out: str | Path | None = None, progress: bool = True, hardware=None) -> tuple[Path, float]:
    """Train zoo model ``name`` from its recipe and save it; returns (path, software test accuracy).
    ``hardware``: a design to train it for (`imc.nn.train.train`), recorded in the file's info."""
    model, recipe = build(name)
    data = load_dataset(recipe.dataset)
    if hardware is not None:
        from imc.nn.hardware import hardware_training
        hardware = hardware_training(hardware)
    history = train(model, data.x_train, data.y_train, recipe.train, progress=progress, hardware=hardware)
    accuracy = float(np.mean(model.export(name).predict(data.x_test) == data.y_test))
    info = {"dataset": recipe.dataset, "summary": recipe.summary, "bits": recipe.bits,
            "train": recipe.train.__dict__, "test_accuracy": accuracy,
            "parameters": model.parameter_count, "history": history.to_dict()}
    if hardware is not None:
        info["hardware"] = hardware.to_dict()
    return save_model(model, out or path_of(name), info), accuracy


def load(name_or_path: str, image_shape: tuple[int, int, int] | None = None,
         max_level: int | None = None) -> tuple[IntegerModel, dict]:
    """Load a zoo model by name, a ``.npz`` model file or a quantized ``.onnx`` graph
    (`imc.nn.onnx.load_onnx`) as its integer model, with its metadata.

    image_shape, max_level: the (H, W, C) images and largest pixel level of the data set it will
    see; a model trained on other images is a `ModelFileError` (an ONNX graph's input is
    pixel / max_level, so it takes the data set's levels).
    """
    if name_or_path.endswith(".onnx"):
        from imc.nn.onnx import DEFAULT_MAX_LEVEL, load_onnx
        model = load_onnx(name_or_path, image_shape, DEFAULT_MAX_LEVEL if max_level is None else max_level)
        return model, {"format": "onnx", "path": name_or_path}
    path = Path(name_or_path) if name_or_path.endswith(".npz") else path_of(name_or_path)
    model, meta = load_model(path)
    trained = (tuple(meta["input_shape"]), meta["max_level"])
    wanted = (tuple(image_shape or trained[0]), trained[1] if max_level is None else max_level)
    if wanted != trained:
        raise ModelFileError(path, f"trained on images (H, W, C) = {trained[0]} with pixel levels 0..{trained[1]}; "
                                   f"the data set has {wanted[0]} with levels 0..{wanted[1]}")
    return model.export(Path(name_or_path).stem), meta
