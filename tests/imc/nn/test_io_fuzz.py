"""Property tests of the model loader (issue 16, point 6): random bytes, truncated model files and
archives whose metadata is not what an imc model holds all raise `ModelFileError`, never a
BadZipFile, EOFError, JSONDecodeError, AttributeError or a numpy error."""

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imc.nn.io import FORMAT_VERSION, ModelFileError, load_model
from imc.nn.zoo import path_of

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
SHIPPED = path_of("bnn_mlp_digits").read_bytes()
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)


def _refused(tmp_path, content: bytes) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="model file"):
        load_model(path)


def _archive(meta_text: str, **arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(meta_text), **arrays)
    return buffer.getvalue()


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_are_a_model_file_error(tmp_path, content):
    _refused(tmp_path, content)


@FUZZ
@given(st.integers(0, len(SHIPPED) - 1))
def test_a_truncated_model_file_is_a_model_file_error(tmp_path, length):
    _refused(tmp_path, SHIPPED[:length])


@FUZZ
@given(JSON)
def test_metadata_that_is_not_an_imc_description_is_a_model_file_error(tmp_path, meta):
    _refused(tmp_path, _archive(json.dumps(meta)))


@FUZZ
@given(st.dictionaries(st.sampled_from(["description", "input_shape", "max_level", "info"]), JSON))
def test_a_current_version_with_random_fields_is_a_model_file_error(tmp_path, fields):
    _refused(tmp_path, _archive(json.dumps({"format_version": FORMAT_VERSION, **fields})))


@pytest.mark.parametrize("content", [
    b"", b"PK\x03\x04", _archive("{not json"), _archive("[1, 2]"), _archive("[" * 100_000 + "]" * 100_000),
    _archive(json.dumps({"format_version": FORMAT_VERSION, "description": {}, "input_shape": [8, 8, 1],
                         "max_level": 16})),
    _archive(json.dumps({"format_version": FORMAT_VERSION}), weights=np.array([np.nan])),
])
def test_the_issues_broken_model_files_are_model_file_errors(tmp_path, content):
    _refused(tmp_path, content)
