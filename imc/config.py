"""Simulation configuration: nested frozen dataclasses, loaded from TOML or dicts.

A TOML file mirrors the dataclasses: top-level keys of `SimConfig`, then the tables
``[array]``, ``[array.device]``, ``[array.adc]`` (and ``[array.adc.comparator]``),
``[array.digital]`` and ``[mapping]``.
Unknown keys, wrong types and out-of-range values raise `ConfigError` naming the full
field path (e.g. ``array.adc.bits``), the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from imc.arrays import SRAMArray
from imc.devices.validation import ParameterError, int_in_range, require
from imc.mapping import ENCODINGS
from imc.nn.data import DATASETS

ConfigError = ParameterError


@dataclass(frozen=True)
class MappingConfig:
    """How layers are placed: the sign encoding (see `imc.mapping.ENCODINGS`)."""

    encoding: str = "xnor"

    def __post_init__(self) -> None:
        require("encoding", self.encoding, self.encoding in ENCODINGS, f"allowed: {sorted(ENCODINGS)}")


@dataclass(frozen=True)
class SimConfig:
    """Everything one `imc.simulate` run needs. The defaults are the built-in design.

    model: a zoo name or a path to a ``.npz`` model file; dataset: its test data;
    chips: Monte-Carlo chip instances; seed: the root of every random draw;
    variation: False makes every chip nominal (the hardware then matches software).
    """

    model: str = "bnn_mlp_digits"
    dataset: str = "digits"
    chips: int = 100
    seed: int = 0
    variation: bool = True
    array: SRAMArray = field(default_factory=SRAMArray)
    mapping: MappingConfig = field(default_factory=MappingConfig)

    def __post_init__(self) -> None:
        require("model", self.model, isinstance(self.model, str) and self.model != "",
                "must be a zoo model name or a path to a .npz model file")
        require("dataset", self.dataset, self.dataset in DATASETS, f"allowed: {sorted(DATASETS)}")
        int_in_range("chips", self.chips, 1, 100_000)
        int_in_range("seed", self.seed, 0)

    def replace(self, **changes) -> "SimConfig":
        """A copy with top-level fields changed, validated like a loaded config."""
        return from_dict(SimConfig, {**to_dict(self), **changes})


def to_dict(config) -> dict:
    """Nested plain-dict form of a config dataclass (what `from_dict` and TOML take)."""
    return dataclasses.asdict(config)


def _check_type(path: str, value, expected):
    allowed = typing.get_args(expected) or (expected,)
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if int in allowed and bool not in allowed and isinstance(value, bool):
        raise ConfigError(path, value, "must be an integer, got a boolean")
    if not isinstance(value, allowed):
        names = " or ".join(t.__name__ for t in allowed if t is not type(None))
        raise ConfigError(path, value, f"must be of type {names}, got {type(value).__name__}")
    return value


def from_dict(cls, data: dict, prefix: str = ""):
    """Build dataclass ``cls`` from a nested dict, checking keys, types and ranges."""
    if not isinstance(data, dict):
        raise ConfigError(prefix[:-1] or "config", data, f"must be a table of {cls.__name__} fields")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(path, value, f"unknown key; allowed keys here: {names}")
        expected = hints[key]
        if dataclasses.is_dataclass(expected):
            kwargs[key] = from_dict(expected, value, f"{path}.")
        else:
            kwargs[key] = _check_type(path, value, expected)
    try:
        return cls(**kwargs)
    except ParameterError as exc:
        raise exc.within(prefix[:-1]) if prefix else exc


def load_config(source: str | Path | dict | None = None) -> SimConfig:
    """A `SimConfig` from a TOML file path, a dict, or the built-in default (None)."""
    if source is None:
        return SimConfig()
    if isinstance(source, dict):
        return from_dict(SimConfig, source)
    path = Path(source)
    if not path.is_file():
        raise ConfigError("config", str(path), "file not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", str(path), f"not valid TOML ({exc})") from exc
    return from_dict(SimConfig, data)
