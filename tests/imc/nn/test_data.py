import gzip
import pickle

import numpy as np
import pytest

from imc.errors import ParameterError
from imc.nn.data import (DATASETS, MNIST_FILES, Dataset, load_cifar10, load_dataset, load_digits, load_mnist,
                         read_idx, validation_split)

IDX_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
                  np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding written independently of the reader: magic, big-endian sizes, big-endian data."""
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim])
    sizes = b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=False):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def mnist_arrays(seed=0, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_mnist_dir(directory, arrays, gz_suffix=(), compressed=()):
    """The four standard files; keys in gz_suffix get a .gz name, keys in compressed get gzip content."""
    for key, stem in MNIST_FILES.items():
        write_idx(directory / (stem + ".gz" * (key in gz_suffix)), arrays[key], compress=key in compressed)
    return directory


def cifar_batch(rng, n):
    return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, n).tolist(), b"batch_label": b"synthetic"}


def write_cifar_dir(directory, seed=0, n=3):
    rng = np.random.default_rng(seed)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = cifar_batch(rng, n)
        (directory / name).write_bytes(pickle.dumps(batches[name], protocol=2))
    return batches


def assert_names_path(excinfo, path, *fragments):
    message = str(excinfo.value)
    assert excinfo.value.field == "path" and str(path) in message
    for fragment in fragments:
        assert fragment in message


# --- IDX -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip_keeps_values_shape_and_type(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 7).reshape(2, 3, 4).astype(dtype) * (3 if dtype.kind != "u" else 1)
    back = read_idx(write_idx(tmp_path / "a.idx", array, compress))
    assert back.shape == (2, 3, 4) and back.dtype == dtype and back.dtype.isnative
    assert np.array_equal(back, array)


def test_idx_reads_hand_written_big_endian_bytes(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    assert read_idx(path).tolist() == [258, -2]


def test_idx_gzip_is_detected_by_content_not_suffix(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gzipped_without_suffix = write_idx(tmp_path / "plain-name", array, compress=True)
    raw_with_gz_suffix = write_idx(tmp_path / "raw.gz", array, compress=False)
    assert gzipped_without_suffix.read_bytes()[:2] == b"\x1f\x8b"
    assert np.array_equal(read_idx(gzipped_without_suffix), array)
    assert np.array_equal(read_idx(raw_with_gz_suffix), array)


def test_idx_wrong_magic_names_path_and_expected_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01" + bytes(8))
    with pytest.raises(ParameterError) as excinfo:
        read_idx(path)
    assert_names_path(excinfo, path, "magic", "01 00 08 01")


def test_idx_unknown_type_code_is_refused(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ParameterError) as excinfo:
        read_idx(path)
    assert_names_path(excinfo, path, "00 00 0a 01")


@pytest.mark.parametrize("compress", [False, True])
def test_idx_shorter_than_header_dimensions_names_sizes(tmp_path, compress):
    data = idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-5]
    path = tmp_path / "cut.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ParameterError) as excinfo:
        read_idx(path)
    assert_names_path(excinfo, path, "(3, 28, 28)", f"{16 + 3 * 784} bytes", f"{16 + 3 * 784 - 5} bytes")


def test_idx_truncated_header_is_refused(tmp_path):
    path = tmp_path / "cut.idx"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5]))
    with pytest.raises(ParameterError) as excinfo:
        read_idx(path)
    assert_names_path(excinfo, path, "3 dimensions need 16 bytes", "file has 8")


def test_idx_truncated_gzip_stream_names_path(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 28, 28), np.uint8)))[:-12])
    with pytest.raises(ParameterError) as excinfo:
        read_idx(path)
    assert_names_path(excinfo, path, "gzip")


def test_idx_missing_file_names_path(tmp_path):
    with pytest.raises(ParameterError) as excinfo:
        read_idx(tmp_path / "absent")
    assert_names_path(excinfo, tmp_path / "absent", "no such file")


# --- MNIST / Fashion-MNIST -----------------------------------------------------------------------

def test_mnist_directory_round_trip_mixing_raw_and_gzip(tmp_path):
    arrays = mnist_arrays()
    write_mnist_dir(tmp_path, arrays, gz_suffix={"x_train", "y_test"}, compressed={"x_train", "y_train"})
    data = load_mnist(tmp_path)
    assert data.name == "mnist" and data.n_classes == 10 and data.max_level == 255
    assert data.image_shape == (28, 28, 1) and data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    for key in MNIST_FILES:
        assert np.array_equal(getattr(data, key).reshape(arrays[key].shape), arrays[key])


@pytest.mark.parametrize("channel_axis", [False, True])
def test_mnist_npz_round_trip_with_or_without_channel_axis(tmp_path, channel_axis):
    arrays = mnist_arrays(seed=1)
    stored = {k: (v[..., None] if channel_axis and k.startswith("x") else v) for k, v in arrays.items()}
    np.savez(tmp_path / "mnist.npz", **stored)
    data = load_mnist(tmp_path / "mnist.npz", name="fashion_mnist")
    assert data.name == "fashion_mnist" and data.x_test.shape == (4, 28, 28, 1)
    for key in MNIST_FILES:
        assert np.array_equal(getattr(data, key).reshape(arrays[key].shape), arrays[key])


def test_load_dataset_dispatches_file_sets_and_keeps_the_name(tmp_path):
    write_mnist_dir(tmp_path, mnist_arrays())
    assert load_dataset("fashion_mnist", tmp_path).name == "fashion_mnist"
    assert np.array_equal(load_dataset("mnist", tmp_path).x_train, load_mnist(tmp_path).x_train)


@pytest.mark.parametrize("key", list(MNIST_FILES))
def test_mnist_missing_file_names_directory_and_names_looked_for(tmp_path, key):
    write_mnist_dir(tmp_path, mnist_arrays())
    (tmp_path / MNIST_FILES[key]).unlink()
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, tmp_path, f"{MNIST_FILES[key]} and {MNIST_FILES[key]}.gz")


def test_mnist_truncated_image_file_names_that_file(tmp_path):
    write_mnist_dir(tmp_path, mnist_arrays())
    images = tmp_path / MNIST_FILES["x_test"]
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, images, "(4, 28, 28)")


def test_mnist_image_and_label_counts_must_agree(tmp_path):
    arrays = mnist_arrays()
    arrays["y_train"] = arrays["y_train"][:5]
    write_mnist_dir(tmp_path, arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, tmp_path / MNIST_FILES["y_train"], "5 labels", "6 images",
                      str(tmp_path / MNIST_FILES["x_train"]))


def test_mnist_images_must_be_28_by_28(tmp_path):
    arrays = mnist_arrays()
    arrays["x_test"] = np.zeros((4, 27, 28), np.uint8)
    write_mnist_dir(tmp_path, arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, tmp_path / MNIST_FILES["x_test"], "(n, 28, 28) or (n, 28, 28, 1)", "(4, 27, 28)")


def test_mnist_labels_outside_0_to_9_are_refused(tmp_path):
    arrays = mnist_arrays()
    arrays["y_test"][2] = 10
    write_mnist_dir(tmp_path, arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, tmp_path / MNIST_FILES["y_test"], "0..9", "found")


def test_mnist_float_images_are_refused(tmp_path):
    arrays = mnist_arrays()
    arrays["x_train"] = arrays["x_train"].astype(np.float32)
    write_mnist_dir(tmp_path, arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path)
    assert_names_path(excinfo, tmp_path / MNIST_FILES["x_train"], "integer pixel values", "float32")


def test_mnist_npz_pixel_values_above_255_are_refused(tmp_path):
    arrays = mnist_arrays()
    arrays["x_train"] = arrays["x_train"].astype(np.int32)
    arrays["x_train"][0, 0, 0] = 256
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path / "m.npz")
    assert_names_path(excinfo, tmp_path / "m.npz", "0..255", "256")


@pytest.mark.parametrize("key", list(MNIST_FILES))
def test_mnist_npz_without_one_array_names_it(tmp_path, key):
    arrays = mnist_arrays()
    del arrays[key]
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(tmp_path / "m.npz")
    assert_names_path(excinfo, tmp_path / "m.npz", f"lacks {key}")


def test_mnist_truncated_npz_names_path(tmp_path):
    np.savez_compressed(tmp_path / "m.npz", **mnist_arrays())
    path = tmp_path / "m.npz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ParameterError) as excinfo:
        load_mnist(path)
    assert_names_path(excinfo, path, "npz")


def test_mnist_file_that_is_not_npz_and_absent_path_are_refused(tmp_path):
    not_npz = write_idx(tmp_path / "x.idx", np.zeros((2, 28, 28), np.uint8))
    for path in (not_npz, tmp_path / "nowhere"):
        with pytest.raises(ParameterError) as excinfo:
            load_mnist(path)
        assert_names_path(excinfo, path, "t10k-labels-idx1-ubyte", ".npz")


# --- CIFAR-10 ------------------------------------------------------------------------------------

def test_cifar10_round_trip_unpacks_channel_major_rows_to_hwc(tmp_path):
    batches = write_cifar_dir(tmp_path)
    data = load_cifar10(tmp_path)
    assert data.x_train.shape == (15, 32, 32, 3) and data.x_test.shape == (3, 32, 32, 3)
    assert data.image_shape == (32, 32, 3) and data.max_level == 255 and data.name == "cifar10"
    row = batches["data_batch_2"][b"data"][1]
    image = data.x_train[3 + 1]
    for channel in range(3):
        for (r, c) in [(0, 0), (0, 31), (5, 7), (31, 0)]:
            assert image[r, c, channel] == row[channel * 1024 + r * 32 + c]
    expected_train_labels = sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    assert data.y_train.tolist() == expected_train_labels
    assert data.y_test.tolist() == batches["test_batch"][b"labels"]


def test_cifar10_missing_batch_names_directory_and_batch(tmp_path):
    write_cifar_dir(tmp_path)
    (tmp_path / "data_batch_4").unlink()
    with pytest.raises(ParameterError) as excinfo:
        load_cifar10(tmp_path)
    assert_names_path(excinfo, tmp_path, "missing data_batch_4", "test_batch")


def test_cifar10_wrong_data_width_names_batch(tmp_path):
    write_cifar_dir(tmp_path)
    bad = cifar_batch(np.random.default_rng(1), 3)
    bad[b"data"] = bad[b"data"][:, :3000]
    (tmp_path / "test_batch").write_bytes(pickle.dumps(bad))
    with pytest.raises(ParameterError) as excinfo:
        load_cifar10(tmp_path)
    assert_names_path(excinfo, tmp_path / "test_batch", "(n, 3072)", "(3, 3000)")


def test_cifar10_labels_outside_0_to_9_and_count_mismatch_are_refused(tmp_path):
    write_cifar_dir(tmp_path)
    for labels, fragment in [([0, 3, 10], "0..9"), ([0, 3], "2 labels but b'data' has 3 images")]:
        bad = cifar_batch(np.random.default_rng(2), 3)
        bad[b"labels"] = labels
        (tmp_path / "data_batch_1").write_bytes(pickle.dumps(bad))
        with pytest.raises(ParameterError) as excinfo:
            load_cifar10(tmp_path)
        assert_names_path(excinfo, tmp_path / "data_batch_1", fragment)


def test_cifar10_truncated_pickle_and_missing_keys_name_batch(tmp_path):
    write_cifar_dir(tmp_path)
    path = tmp_path / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ParameterError) as excinfo:
        load_cifar10(tmp_path)
    assert_names_path(excinfo, path, "truncated")
    path.write_bytes(pickle.dumps({b"data": np.zeros((1, 3072), np.uint8)}))
    with pytest.raises(ParameterError) as excinfo:
        load_cifar10(tmp_path)
    assert_names_path(excinfo, path, "b'labels'")


# --- digits, registry ----------------------------------------------------------------------------

def test_digits_keeps_its_fixed_stratified_split_as_8x8x1_images():
    digits = load_digits()
    assert (len(digits.y_train), len(digits.y_test)) == (1437, 360)
    assert np.array_equal(np.bincount(digits.y_test), [36, 36, 35, 37, 36, 37, 36, 36, 35, 36])
    assert digits.x_train.shape == (1437, 8, 8, 1) and digits.image_shape == (8, 8, 1)
    assert digits.max_level == 16 and digits.x_train.max() == 16 and digits.x_test.min() == 0
    from sklearn.datasets import load_digits as sk_load_digits
    bunch = sk_load_digits()
    first = np.flatnonzero((bunch.data == digits.x_test[0].reshape(64)).all(axis=1))
    assert np.array_equal(bunch.images[first[0]], digits.x_test[0, :, :, 0])


def test_load_dataset_requires_path_for_file_sets_and_refuses_one_for_digits(tmp_path):
    assert list(DATASETS) == ["digits", "mnist", "fashion_mnist", "cifar10", "npz"]
    for name in list(DATASETS)[1:]:
        with pytest.raises(ParameterError) as excinfo:
            load_dataset(name)
        assert excinfo.value.field == "path"
    with pytest.raises(ParameterError) as excinfo:
        load_dataset("digits", tmp_path)
    assert excinfo.value.field == "path"
    with pytest.raises(ParameterError) as excinfo:
        load_dataset("svhn")
    assert excinfo.value.field == "dataset" and "cifar10" in str(excinfo.value)


def test_dataset_refuses_labels_that_do_not_match_images():
    x = np.zeros((4, 2, 2, 1), np.uint8)
    with pytest.raises(ParameterError) as excinfo:
        Dataset("toy", x, np.zeros(3, np.int64), x, np.zeros(4, np.int64), n_classes=2, max_level=1)
    assert excinfo.value.field == "y_train.shape"


# --- validation split ----------------------------------------------------------------------------

def test_validation_split_is_stratified_disjoint_and_complete():
    y = np.repeat(np.arange(3), [10, 20, 40])
    x = np.arange(len(y)) * 10
    x_tr, y_tr, x_val, y_val = validation_split(x, y, 0.25, np.random.default_rng(7))
    assert np.bincount(y_val).tolist() == [2, 5, 10]          # rint(0.25 * [10, 20, 40]), 2.5 -> 2
    assert np.bincount(y_tr).tolist() == [8, 15, 30]
    assert np.intersect1d(x_tr, x_val).size == 0
    assert np.array_equal(np.sort(np.concatenate([x_tr, x_val])), x)
    assert np.array_equal(y[x_val // 10], y_val) and np.array_equal(y[x_tr // 10], y_tr)


def test_validation_split_is_reproducible_and_seed_dependent():
    digits = load_digits()
    first = validation_split(digits.x_train, digits.y_train, 0.1, np.random.default_rng(3))
    again = validation_split(digits.x_train, digits.y_train, 0.1, np.random.default_rng(3))
    other = validation_split(digits.x_train, digits.y_train, 0.1, np.random.default_rng(4))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[2], other[2])
    assert first[2].shape[1:] == (8, 8, 1)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01, 0.99])
def test_validation_split_refuses_fractions_that_empty_a_part(fraction):
    y = np.repeat(np.arange(2), 5)
    with pytest.raises(ParameterError) as excinfo:
        validation_split(np.zeros(10), y, fraction, np.random.default_rng(0))
    assert excinfo.value.field == "fraction"


def test_validation_split_requires_a_generator():
    with pytest.raises(ParameterError) as excinfo:
        validation_split(np.zeros(4), np.array([0, 0, 1, 1]), 0.5, 0)
    assert excinfo.value.field == "rng"
