import pickle

import pytest

from imc.errors import MappingError, ParameterError
from imc.nn.io import ModelFileError


@pytest.mark.parametrize("error", [ParameterError("array.adc.bits", 0, "must be in [1, 16]"),
                                   ModelFileError("m.npz", "not a zip file"), MappingError("layer 'q': too wide")])
def test_errors_cross_process_boundaries_unchanged(error):
    """Sweep workers (processes, Dask) raise them; the user must get the same message, not a TypeError."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    if isinstance(error, ParameterError):
        assert (copy.field, copy.value, copy.allowed) == (error.field, error.value, error.allowed)
