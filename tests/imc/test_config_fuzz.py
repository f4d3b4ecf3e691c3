"""Property tests of `imc.load_config` (issue 16, point 6): whatever the tables, values or file
bytes, loading either gives a config or raises the project's own `ParameterError`, never a
TypeError, OverflowError, RecursionError or UnicodeDecodeError."""

import dataclasses
import typing
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imc.config import IgnoredFieldWarning, SELECTED, SimConfig, load_config
from imc.errors import ParameterError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NASTY_NUMBERS = st.sampled_from([0, -1, 1, 2, 3, 10 ** 400, -(10 ** 400), 2 ** 63, 0.0, -0.0, 1e-300, 1e300,
                                 float("nan"), float("inf"), -float("inf"), 0.5, 1e-9, 1e9])
SCALARS = st.one_of(NASTY_NUMBERS, st.integers(), st.floats(), st.booleans(), st.text(max_size=8), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)


def _models(declared) -> list[type]:
    """The classes a field declared ``declared`` can hold: the registered models of a selected
    base (arrays, devices), else the dataclass itself."""
    registry = next((r for base, r in SELECTED if isinstance(declared, type) and issubclass(declared, base)), None)
    if registry is None:
        return [declared]
    return [model for model in registry.values() if issubclass(model, declared)]


def table(cls, depth: int = 0) -> st.SearchStrategy[dict]:
    """Random tables shaped like dataclass ``cls``: any subset of its fields, each a nasty value,
    a value of another type or (for nested dataclasses) a random table of a model it may hold."""
    hints = typing.get_type_hints(cls)
    fields = {}
    for f in dataclasses.fields(cls):
        nested = [t for t in (typing.get_args(hints[f.name]) or (hints[f.name],)) if dataclasses.is_dataclass(t)]
        if nested and depth < 3:
            options = [_selected(model, depth) for base in nested for model in _models(base)]
            fields[f.name] = st.one_of(*options, VALUES)
        else:
            fields[f.name] = VALUES
    return st.fixed_dictionaries({}, optional={**fields, "unknown_key": VALUES})


def _selected(model, depth):
    key = getattr(model, "key", None)
    kind = {"kind": st.just(key)} if key else {}
    return st.builds(lambda picked, rest: {**picked, **rest}, st.fixed_dictionaries(kind), table(model, depth + 1))


def _loads_or_refuses(source) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredFieldWarning)
        try:
            assert isinstance(load_config(source), SimConfig)
        except ParameterError as exc:
            assert exc.field and exc.allowed


@FUZZ
@given(table(SimConfig))
def test_random_tables_load_or_raise_the_projects_error(data):
    _loads_or_refuses(data)


@FUZZ
@given(st.dictionaries(st.text(max_size=10), VALUES, max_size=5))
def test_random_top_level_keys_load_or_raise_the_projects_error(data):
    _loads_or_refuses(data)


@pytest.mark.parametrize("source", [False, True, 3, 2.5, b"chips = 3", ["chips"], object()])
def test_a_source_that_is_neither_path_nor_dict_is_a_parameter_error(source):
    with pytest.raises(ParameterError, match="config"):
        load_config(source)


@FUZZ
@given(st.binary(max_size=200))
def test_random_file_bytes_load_or_raise_the_projects_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "design.toml"
    path.write_bytes(content)
    _loads_or_refuses(path)


@pytest.mark.parametrize("content", [
    "chips = 3".encode("utf-16"), b"\x89PNG\r\n\x1a\n\x00\x00", b"a = " + b"[" * 5000 + b"]" * 5000,
    b"[" + b"a." * 3000 + b"b]\n", b"x = {" * 2000, b"chips = 10" + b"0" * 400, b"chips = 1e400",
])
def test_binary_utf16_and_deeply_nested_files_are_parameter_errors(tmp_path, content):
    path = tmp_path / "design.toml"
    path.write_bytes(content)
    with pytest.raises(ParameterError):
        load_config(path)


def test_folders_and_missing_files_are_parameter_errors(tmp_path):
    for path in (tmp_path, tmp_path / "absent.toml", f"{tmp_path}/a\x00b.toml"):
        with pytest.raises(ParameterError, match="config"):
            load_config(path)
