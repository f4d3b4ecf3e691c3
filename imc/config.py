"""Simulation configuration: nested frozen dataclasses, loaded from TOML or dicts.

A TOML file mirrors the dataclasses: top-level keys of `SimConfig`, then the tables
``[array]``, ``[array.device]``, ``[array.adc]`` (and ``[array.adc.comparator]``),
``[array.digital]`` and ``[mapping]``.
Unknown keys, wrong types and out-of-range values raise `ConfigError` naming the full
field path (e.g. ``array.adc.bits``), the value and what is allowed.

A device table such as ``[array.device]`` also picks the model: ``kind`` is its name in the
`imc.devices.DEVICES` registry (for the SRAM array one of the SRAM cells "sram6t", the default,
"sram8t" and "sram_xnor"), ``node`` an optional technology node whose parameters the cell starts
from (`imc.devices.sram.NODES`), and the other keys override fields of that model. `to_dict`
records ``kind``, so a saved configuration (e.g. a report's) loads back into the same design.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from imc.arrays import SRAMArray
from imc.devices import DEVICES, Device
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
        cell = self.array.device
        require("mapping.encoding", self.mapping.encoding, cell.ports == 1 or self.mapping.encoding == "xnor",
                f"the {cell.ports}-port cell array.device.kind = {_device_kind(cell)!r} stores the complementary "
                "rows of the 'xnor' encoding in its ports; allowed: 'xnor'")
        require("array.input_bits", self.array.input_bits, self.array.input_bits == 1,
                "the simulator maps binary layers (1-bit inputs) so far, so it drives binary word "
                "lines; allowed: 1 (multi-bit word-line amplitude runs at array level: "
                "imc.arrays.sram_amplitude)")

    def replace(self, **changes) -> "SimConfig":
        """A copy with top-level fields changed, the changes checked like a loaded config."""
        checked = from_dict(SimConfig, changes)
        return dataclasses.replace(self, **{key: getattr(checked, key) for key in changes})


def _device_kind(device: Device) -> str:
    """The `DEVICES` name of a device's model; an unregistered model gets its class name, which
    `from_dict` rejects rather than loading another model."""
    model = type(device)
    key = getattr(model, "key", None)
    return key if DEVICES.get(key) is model else model.__name__


def to_dict(config) -> dict:
    """Nested plain-dict form of a config dataclass (what `from_dict` and TOML take); device
    tables start with their model's ``kind``."""
    table = {"kind": _device_kind(config)} if isinstance(config, Device) else {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        table[f.name] = to_dict(value) if dataclasses.is_dataclass(value) else value
    return table


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


def _check_table(cls, data, prefix: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(prefix[:-1] or "config", data, f"must be a table of {cls.__name__} fields")


def from_dict(cls, data: dict, prefix: str = "", *, make=None, selectors: tuple[str, ...] = ()):
    """Build dataclass ``cls`` from a nested dict, checking keys, types and ranges.

    make: what builds ``cls`` from the checked fields (default: ``cls``); selectors: keys of
    ``data`` that chose ``cls`` and ``make`` (see `_device_from_dict`), allowed and skipped here.
    """
    _check_table(cls, data, prefix)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key in selectors:
            continue
        if key not in fields:
            raise ConfigError(path, value, f"unknown key; allowed keys for {cls.__name__}: {[*selectors, *fields]}")
        expected = hints[key]
        if isinstance(expected, type) and issubclass(expected, Device):
            kwargs[key] = _device_from_dict(cls, fields[key], expected, value, f"{path}.")
        elif dataclasses.is_dataclass(expected):
            kwargs[key] = from_dict(expected, value, f"{path}.")
        else:
            kwargs[key] = _check_type(path, value, expected)
    try:
        return (make or cls)(**kwargs)
    except ParameterError as exc:
        raise exc.within(prefix[:-1]) if prefix else exc


def _device_from_dict(owner, field_: dataclasses.Field, base: type, data: dict, prefix: str) -> Device:
    """The device of field ``owner.field_`` (declared a ``base``) from its table.

    ``kind``: the model's `DEVICES` name (default: the model of the field's default), one of
    the subclasses of ``base``; ``node``: for models with ``at_node``, the technology node whose
    parameters the device starts from; every other key overrides a field of the model.
    """
    _check_table(base, data, prefix)
    allowed = sorted(key for key, model in DEVICES.items() if issubclass(model, base))
    if "kind" in data:
        kind = _check_type(f"{prefix}kind", data["kind"], str)
    else:
        kind = _device_kind(field_.default_factory() if field_.default is dataclasses.MISSING else field_.default)
    require(f"{prefix}kind", kind, kind in DEVICES, f"allowed: {allowed}")
    model = DEVICES[kind]
    require(f"{prefix}kind", kind, issubclass(model, base),
            f"{kind!r} is a {model.__name__}, but {owner.__name__}.{field_.name} needs one of the "
            f"{base.__name__} models: {allowed}")
    selectors = ("kind", "node") if hasattr(model, "at_node") else ("kind",)
    make = model
    if "node" in selectors and "node" in data:
        make = partial(model.at_node, _check_type(f"{prefix}node", data["node"], str))
    return from_dict(model, data, prefix, make=make, selectors=selectors)


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
