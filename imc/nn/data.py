"""Data sets and input encodings.

The built-in data set is scikit-learn's bundled copy of the UCI optical digits
(8x8 images, 17 grey levels 0..16, 1797 samples, 10 classes), so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imc.devices.validation import ParameterError

DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0
DIGITS_MAX_LEVEL = 16


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split: images flattened to (n, features), integer labels (n,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def load_digits() -> Dataset:
    """scikit-learn digits with the project's fixed split.

    Split: stratified, 20 % test, ``random_state=0`` -> 1437 train / 360 test samples.
    Pixels stay integer grey levels 0..16.
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    x = bunch.data.astype(np.int64)
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y)
    return Dataset("digits", x_train, y_train, x_test, y_test, n_classes=10)


DATASETS = {"digits": load_digits}


def load_dataset(name: str) -> Dataset:
    """Load a data set by name (see ``DATASETS``)."""
    if name not in DATASETS:
        raise ParameterError("dataset", name, f"unknown; allowed: {sorted(DATASETS)}")
    return DATASETS[name]()


def thermometer_encode(x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Encode grey levels as binary thermometer codes in {-1, +1}.

    Each feature becomes ``len(thresholds)`` bits, bit k = +1 iff ``x >= thresholds[k]``;
    output shape ``(n, features * len(thresholds))``, feature-major.
    Source: Buckman, Roy, Raffel & Goodfellow, "Thermometer Encoding", ICLR 2018, Sec. 3.
    """
    bits = x[..., :, None] >= np.asarray(thresholds)[None, :]
    return np.where(bits, 1, -1).astype(np.int8).reshape(*x.shape[:-1], -1)
