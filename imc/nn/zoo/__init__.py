"""Model zoo: small trained networks shipped inside the package, and their recipes.

Each entry names the data set, the architecture and the training recipe, so that
``imc train NAME`` retrains it reproducibly (same seed, same split -> same weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imc.devices.validation import ParameterError
from imc.nn.data import load_dataset
from imc.nn.io import load_model, save_model
from imc.nn.network import BinaryMLP, IntegerModel
from imc.nn.train import TrainConfig, train

ZOO_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Recipe:
    """How a zoo model is built and trained."""

    dataset: str
    hidden: tuple[int, ...]
    thermometer: tuple[int, ...]
    train: TrainConfig = field(default_factory=TrainConfig)
    description: str = ""


RECIPES = {
    "bnn_mlp_digits": Recipe(
        dataset="digits",
        hidden=(256, 128),
        thermometer=(3, 7, 11, 15),
        description="Binarized MLP 256-256-128-10 (binary weights and activations, "
                    "4-level thermometer input) on scikit-learn digits",
    ),
}


def path_of(name: str) -> Path:
    if name not in RECIPES:
        raise ParameterError("model", name, f"not in the zoo; allowed: {sorted(RECIPES)} "
                             "or a path to a .npz model file")
    return ZOO_DIR / f"{name}.npz"


def retrain(name: str, out: str | Path | None = None, progress: bool = True) -> tuple[Path, float]:
    """Train zoo model ``name`` from its recipe and save it; returns (path, test accuracy)."""
    default_path = path_of(name)  # raises for a name that is not in the zoo
    recipe = RECIPES[name]
    data = load_dataset(recipe.dataset)
    model = BinaryMLP(data.x_train.shape[1], recipe.hidden, data.n_classes,
                      recipe.thermometer, seed=recipe.train.seed)
    train(model, data.x_train, data.y_train, recipe.train, progress=progress)
    accuracy = float(np.mean(model.export().predict(data.x_test) == data.y_test))
    info = {"dataset": recipe.dataset, "description": recipe.description,
            "train": recipe.train.__dict__, "test_accuracy": accuracy}
    return save_model(model, out or default_path, info), accuracy


def load(name_or_path: str) -> tuple[IntegerModel, dict]:
    """Load a zoo model by name, or a model file by path, as its integer export."""
    path = Path(name_or_path) if name_or_path.endswith(".npz") else path_of(name_or_path)
    model, meta = load_model(path)
    return model.export(Path(name_or_path).stem), meta
