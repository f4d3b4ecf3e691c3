"""Data sets, loaders for local files, and input encodings.

Every data set holds integer images of shape (n, H, W, C) as ``uint8`` (all levels fit in
0..255; convert before doing arithmetic) and ``int64`` labels. The built-in set is
scikit-learn's bundled copy of the UCI optical digits; MNIST, Fashion-MNIST and CIFAR-10
are read from files the user already has. Nothing is ever downloaded. ``DATASETS`` maps each
name to its loader; `load_dataset` checks the name and the path.

A missing, truncated or mis-shaped file raises `ParameterError` with field ``path``, the
offending path as value, and what was expected.
"""

from __future__ import annotations

import gzip
import math
import pickle
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache, partial
from os import PathLike
from pathlib import Path

import numpy as np

from imc.errors import ParameterError, int_in_range, require
from imc.registry import Registry

DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0
DIGITS_MAX_LEVEL = 16
BYTE_MAX_LEVEL = 255

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"

MNIST_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
               "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
MNIST_IMAGE_SHAPES = ((28, 28), (28, 28, 1))
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"
CIFAR10_ROW = 3 * 32 * 32

DATASETS = Registry("dataset")

# Exceptions that unpickling corrupt bytes may raise (the pickle docs list the first five).
_UNPICKLING_ERRORS = (pickle.UnpicklingError, AttributeError, EOFError, ImportError, IndexError,
                      KeyError, TypeError, ValueError)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split of integer images.

    x_train, x_test: (n, H, W, C) integer pixel values in 0..max_level;
    y_train, y_test: (n,) int64 labels in 0..n_classes-1;
    max_level: the largest pixel value the format allows (digits 16, 8-bit images 255).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    max_level: int

    def __post_init__(self):
        int_in_range("n_classes", self.n_classes, 2)
        int_in_range("max_level", self.max_level, 1)
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            require(f"x_{split}.shape", x.shape, x.ndim == 4 and x.shape[1:] == self.x_train.shape[1:],
                    f"must be (n, H, W, C) with the image shape of x_train {self.x_train.shape[1:]}")
            require(f"x_{split}.dtype", x.dtype, x.dtype.kind in "iu", "must be an integer type")
            require(f"y_{split}.shape", y.shape, y.shape == (len(x),),
                    f"must be ({len(x)},), one label per image")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of one image."""
        return tuple(int(s) for s in self.x_train.shape[1:])


@DATASETS.register("digits")
def load_digits() -> Dataset:
    """scikit-learn digits with the project's fixed split, as (n, 8, 8, 1) images, levels 0..16.

    Split: stratified, 20 % test, ``random_state=0`` -> 1437 train / 360 test samples.
    Source: Alpaydin & Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
    Learning Repository, 1998 (scikit-learn bundles its 1797-sample test part).
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    x = bunch.data.astype(np.uint8).reshape(-1, 8, 8, 1)
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y)
    return Dataset("digits", x_train, y_train, x_test, y_test, n_classes=10, max_level=DIGITS_MAX_LEVEL)


def _file_error(path, allowed: str) -> ParameterError:
    return ParameterError("path", str(path), allowed)


def _read_maybe_gzip(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic (whatever the suffix)."""
    if not path.is_file():
        raise _file_error(path, "no such file")
    raw = path.read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise _file_error(path, f"gzip stream is corrupt or truncated ({err})") from err


def read_idx(path: str | PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian array of its shape.

    Layout: magic ``00 00 <type> <ndim>``; ``ndim`` big-endian uint32 sizes; the data in
    C order, big-endian. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64. The file must hold exactly the bytes its header announces.
    Source: LeCun, Cortes & Burges, "The MNIST database of handwritten digits" (web page
    defining the IDX format), 1998; data from LeCun, Bottou, Bengio & Haffner,
    "Gradient-Based Learning Applied to Document Recognition", Proc. IEEE, 1998.
    """
    path = Path(path)
    raw = _read_maybe_gzip(path)
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in IDX_DTYPES:
        raise _file_error(path, "not an IDX file: expected magic bytes 00 00 <type in 08 09 0b 0c 0d 0e> "
                                f"<ndim>, got {raw[:4].hex(' ') or 'an empty file'}")
    ndim = raw[3]
    header_bytes = 4 + 4 * ndim
    if len(raw) < header_bytes:
        raise _file_error(path, f"truncated IDX header: {ndim} dimensions need {header_bytes} bytes, "
                                f"file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(IDX_DTYPES[raw[2]])
    expected = header_bytes + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise _file_error(path, f"IDX header announces {dtype.name} data of shape {shape}, i.e. "
                                f"{expected} bytes in all, but the file has {len(raw)} bytes")
    data = np.frombuffer(raw, dtype, math.prod(shape), header_bytes).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _checked_images(path, what: str, images: np.ndarray, shapes: tuple[tuple[int, ...], ...],
                    max_level: int) -> np.ndarray:
    """``images`` as uint8 after checking: at least one image, per-image shape in ``shapes``,
    integer values in 0..max_level."""
    allowed = " or ".join(str(("n", *s)).replace("'", "") for s in shapes)
    if images.ndim < 2 or images.shape[1:] not in shapes or len(images) == 0:
        raise _file_error(path, f"{what}: expected images of shape {allowed} with n >= 1, got {images.shape}")
    if images.dtype.kind not in "iu":
        raise _file_error(path, f"{what}: expected integer pixel values, got dtype {images.dtype}")
    low, high = int(images.min()), int(images.max())
    if low < 0 or high > max_level:
        raise _file_error(path, f"{what}: pixel values must lie in 0..{max_level}, found {low}..{high}")
    return images.astype(np.uint8, copy=False)


def _checked_labels(path, what: str, labels: np.ndarray, n_images: int, images_from: str,
                    n_classes: int) -> np.ndarray:
    """``labels`` as int64 after checking: 1-D integers, one per image, in 0..n_classes-1."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise _file_error(path, f"{what}: expected a 1-D integer label array, got shape {labels.shape} "
                                f"and dtype {labels.dtype}")
    if len(labels) != n_images:
        raise _file_error(path, f"{what}: {len(labels)} labels but {images_from} has {n_images} images")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= n_classes:
        raise _file_error(path, f"{what}: labels must lie in 0..{n_classes - 1}, found {low}..{high}")
    return labels.astype(np.int64, copy=False)


def _find_mnist_file(directory: Path, stem: str) -> Path:
    candidates = [directory / stem, directory / f"{stem}.gz"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise _file_error(directory, f"missing {stem}: looked for {' and '.join(c.name for c in candidates)}")


def _read_npz(path: Path, keys, optional=()) -> dict[str, np.ndarray]:
    """The arrays ``keys`` (and those of ``optional`` it has) of an .npz archive; pickled (object)
    arrays are refused."""
    with path.open("rb") as f:
        magic = f.read(len(ZIP_MAGIC))
    if magic != ZIP_MAGIC:
        raise _file_error(path, "not an .npz archive (no zip signature); expected a directory holding "
                                f"{', '.join(MNIST_FILES.values())} (optionally .gz) or an .npz file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in (*keys, *optional) if key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as err:
        raise _file_error(path, f"unreadable or truncated .npz archive ({err})") from err
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise _file_error(path, f"npz archive lacks {', '.join(missing)}; expected arrays {', '.join(keys)}")
    return arrays


def load_mnist(path: str | PathLike, name: str = "mnist") -> Dataset:
    """MNIST or Fashion-MNIST from local files, as (n, 28, 28, 1) uint8 images, levels 0..255.

    ``path`` is either a directory holding ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``
    (each raw or gzip-compressed, optionally with a ``.gz`` suffix), or an ``.npz`` file with
    arrays x_train, y_train, x_test, y_test (the Keras ``mnist.npz`` layout; images
    (n, 28, 28) or (n, 28, 28, 1)). ``name`` labels the result (e.g. "fashion_mnist").
    Sources: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
    Recognition", Proc. IEEE, 1998 (MNIST); Xiao, Rasul & Vollgraf, "Fashion-MNIST: a Novel
    Image Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017
    (same format and file names).
    """
    path = Path(path)
    if path.is_dir():
        files = {key: _find_mnist_file(path, stem) for key, stem in MNIST_FILES.items()}
        sources = {key: (file, read_idx(file)) for key, file in files.items()}
    elif path.is_file():
        sources = {key: (path, array) for key, array in _read_npz(path, tuple(MNIST_FILES)).items()}
    else:
        raise _file_error(path, "no such file or directory; expected a directory holding "
                                f"{', '.join(MNIST_FILES.values())} (optionally .gz) or an .npz file")
    split = {}
    for part in ("train", "test"):
        images_path, images = sources[f"x_{part}"]
        labels_path, labels = sources[f"y_{part}"]
        split[f"x_{part}"] = _checked_images(images_path, f"x_{part}", images, MNIST_IMAGE_SHAPES,
                                             BYTE_MAX_LEVEL).reshape(-1, 28, 28, 1)
        split[f"y_{part}"] = _checked_labels(labels_path, f"y_{part}", labels, len(images),
                                             f"x_{part} ({images_path})", n_classes=10)
    return Dataset(name, **split, n_classes=10, max_level=BYTE_MAX_LEVEL)


DATASETS.register("mnist")(partial(load_mnist, name="mnist"))
DATASETS.register("fashion_mnist")(partial(load_mnist, name="fashion_mnist"))


def _read_cifar10_batch(directory: Path, batch_name: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch as ((n, 32, 32, 3) uint8 images, (n,) int64 labels)."""
    path = directory / batch_name
    if not path.is_file():
        raise _file_error(directory, f"missing {batch_name}: a CIFAR-10 python directory holds "
                                     f"{', '.join(CIFAR10_TRAIN_BATCHES)} and {CIFAR10_TEST_BATCH}")
    try:
        with path.open("rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except _UNPICKLING_ERRORS as err:
        raise _file_error(path, f"unreadable or truncated pickle ({type(err).__name__}: {err})") from err
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        found = sorted(map(repr, batch)) if isinstance(batch, dict) else type(batch).__name__
        raise _file_error(path, f"expected a pickled dict with keys b'data' and b'labels', got {found}")
    data = _checked_images(path, "b'data' (R, G, B planes of 32 x 32 per row)", np.asarray(batch[b"data"]),
                           ((CIFAR10_ROW,),), BYTE_MAX_LEVEL)
    labels = _checked_labels(path, "b'labels'", np.asarray(batch[b"labels"]), len(data), "b'data'",
                             n_classes=10)
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


@DATASETS.register("cifar10")
def load_cifar10(path: str | PathLike) -> Dataset:
    """CIFAR-10 from its "python version" directory, as (n, 32, 32, 3) uint8 RGB images.

    The directory holds pickled dicts ``data_batch_1``..``data_batch_5`` (train, in that
    order) and ``test_batch``, each with b"data" (n x 3072 uint8: the R, G and B planes of a
    32 x 32 image, each row-major) and b"labels" (n values in 0..9).
    Security: unpickling runs code chosen by the file's author, so the batch files must
    come from a trusted source (e.g. the archive published by the authors).
    Source: Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", technical
    report, University of Toronto, 2009.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise _file_error(directory, "expected the CIFAR-10 python directory (cifar-10-batches-py) holding "
                                     f"{', '.join(CIFAR10_TRAIN_BATCHES)} and {CIFAR10_TEST_BATCH}")
    train = [_read_cifar10_batch(directory, name) for name in CIFAR10_TRAIN_BATCHES]
    x_test, y_test = _read_cifar10_batch(directory, CIFAR10_TEST_BATCH)
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    return Dataset("cifar10", x_train, y_train, x_test, y_test, n_classes=10, max_level=BYTE_MAX_LEVEL)


@DATASETS.register("npz")
def load_npz(path: str | PathLike) -> Dataset:
    """A test set of your own: an ``.npz`` file with ``x_test`` (n, H, W) or (n, H, W, C) integer
    pixel levels and ``y_test`` (n,) integer labels; optional ``x_train``/``y_train`` (the images
    that calibrate ADC ranges; default: the test images), ``max_level`` (largest pixel level,
    default 255) and ``n_classes`` (default: the largest label + 1).
    """
    path = Path(path)
    if not path.is_file():
        raise _file_error(path, "no such file; expected an .npz file with arrays x_test and y_test")
    arrays = _read_npz(path, ("x_test", "y_test"), ("x_train", "y_train", "max_level", "n_classes"))
    extra = {key: arrays.pop(key) for key in ("x_train", "y_train", "max_level", "n_classes") if key in arrays}
    for key in ("max_level", "n_classes"):
        if key in extra and (extra[key].size != 1 or extra[key].dtype.kind not in "iu"):
            raise _file_error(path, f"{key}: expected one integer, got {extra[key]!r}")
    max_level = int(extra.get("max_level", BYTE_MAX_LEVEL))
    x_test = arrays["x_test"]
    if x_test.ndim not in (3, 4):
        raise _file_error(path, f"x_test: expected images (n, H, W) or (n, H, W, C), got shape {x_test.shape}")
    x_test = x_test[..., None] if x_test.ndim == 3 else x_test
    shape = x_test.shape[1:]
    n_classes = int(extra.get("n_classes", max(2, int(arrays["y_test"].max(initial=0)) + 1)))
    split = {}
    train = (extra.get("x_train", x_test), extra.get("y_train", arrays["y_test"]))
    for part, x, y in (("test", x_test, arrays["y_test"]), ("train", *train)):
        x = x[..., None] if x.ndim == 3 else x
        split[f"x_{part}"] = _checked_images(path, f"x_{part}", x, (shape,), max_level)
        split[f"y_{part}"] = _checked_labels(path, f"y_{part}", y, len(x), f"x_{part}", n_classes)
    return Dataset(path.stem, **split, n_classes=n_classes, max_level=max_level)


def _stamp(path: Path) -> tuple:
    """What identifies a data set file's (or directory's) content version: names, sizes, mtimes."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists())


@lru_cache(maxsize=4)
def _load_cached(name: str, path: str, stamp: tuple) -> Dataset:
    return DATASETS.get(name, "dataset")(path)


def load_dataset(name: str, path: str | PathLike | None = None) -> Dataset:
    """Load a data set by name (see ``DATASETS``, name -> loader).

    "digits" is built in and takes no path; "mnist" and "fashion_mnist" need the IDX
    directory or .npz file, "cifar10" the python-batches directory, "npz" an .npz file of
    x_test/y_test (`load_npz`). File-based sets are cached while their files are unchanged.
    """
    loader = DATASETS.get(name, "dataset")
    if name == "digits":
        require("path", path, path is None, "digits is built in: give no path")
        return loader()
    require("path", path, path is not None,
            f"{name} is read from local files: give the path to its directory or file (nothing is downloaded)")
    resolved = Path(path).expanduser()
    if not resolved.exists():
        return loader(resolved)  # the loader's own "no such file" error
    return _load_cached(name, str(resolved), _stamp(resolved))


def check_dataset_file(name: str, path: str) -> None:
    """Read (and cache) data set ``name`` from ``path`` now, so a missing, truncated or mis-shaped
    file is an error on field ``dataset_path`` naming the file at config load."""
    try:
        load_dataset(name, path)
    except ParameterError as exc:
        raise ParameterError("dataset_path", path, f"{exc.field} {exc.value!r}: {exc.allowed}") from exc


def validation_split(x: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified random hold-out split for early stopping: (x_train, y_train, x_val, y_val).

    Each class c with n_c samples gives round(fraction * n_c) of them, chosen at random, to
    the validation part (halves round to even); both parts keep the original sample order.
    Every class must keep at least one training sample and the validation part must not be
    empty. x: (n, ...), y: (n,) integer labels.
    Sources: Kohavi, "A Study of Cross-Validation and Bootstrap for Accuracy Estimation and
    Model Selection", IJCAI 1995 (stratified hold-out); Prechelt, "Early Stopping - But
    When?", Neural Networks: Tricks of the Trade, Springer LNCS 1524, 1998.
    """
    x, y = np.asarray(x), np.asarray(y)
    require("rng", rng, isinstance(rng, np.random.Generator), "must be a numpy.random.Generator")
    require("fraction", fraction, isinstance(fraction, (int, float)) and 0.0 < fraction < 1.0,
            "must be a number in (0, 1)")
    require("y.shape", y.shape, y.ndim == 1 and len(y) == len(x) and y.dtype.kind in "iu",
            f"must be ({len(x)},) integer labels, one per sample of x")
    order = rng.permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]
    _, counts = np.unique(y, return_counts=True)
    n_val = np.rint(fraction * counts).astype(np.int64)
    require("fraction", fraction, n_val.sum() > 0 and np.all(n_val < counts),
            f"gives per-class validation counts {n_val.tolist()} from class counts {counts.tolist()}; "
            "needs a non-empty validation part and >= 1 training sample per class")
    rank_in_class = np.arange(len(y)) - np.repeat(np.cumsum(counts) - counts, counts)
    is_val = rank_in_class < np.repeat(n_val, counts)
    train_idx, val_idx = np.sort(order[~is_val]), np.sort(order[is_val])
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def thermometer_encode(x: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Encode grey levels as binary thermometer codes in {-1, +1}.

    Each feature becomes ``len(thresholds)`` bits, bit k = +1 iff ``x >= thresholds[k]``;
    output shape ``(n, features * len(thresholds))``, feature-major.
    Source: Buckman, Roy, Raffel & Goodfellow, "Thermometer Encoding", ICLR 2018, Sec. 3.
    """
    bits = x[..., :, None] >= np.asarray(thresholds)[None, :]
    return np.where(bits, 1, -1).astype(np.int8).reshape(*x.shape[:-1], -1)
