"""Simulation configuration: nested frozen dataclasses, loaded from TOML or dicts.

A TOML file mirrors the dataclasses: top-level keys of `SimConfig`, then the tables
``[array]`` (with its own tables such as ``[array.device]``, ``[array.adc]``,
``[array.digital]``), ``[mapping]`` and ``[conditions]``.
Unknown keys, wrong types and out-of-range values raise `ConfigError` naming the full
field path (e.g. ``array.adc.bits``), the value and what is allowed.

The ``[array]`` and ``[array.device]`` tables also pick their model: ``kind`` is its name in
the `imc.arrays.ARRAYS` registry ("sram", the default, "resistive" or "dram") or in the
`imc.devices.DEVICES` registry (the cells the array can hold: `Array.cell_kinds`; for SRAM
"sram6t", the default, "sram8t" and "sram_xnor", for the resistive crossbar "rram" and
"skyrmion"); a device's ``node`` is an optional technology node whose parameters the cell
starts from (`imc.devices.sram.NODES`), and the other keys override fields of that model.
`to_dict` records every ``kind``, so a saved configuration (e.g. a report's) loads back into
the same design.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from imc import presets
from imc.arrays import ARRAYS, Array, Conditions
from imc.chip import ChipConfig
from imc.devices import DEVICES, Device
from imc.errors import ParameterError, finite, int_in_range, require
from imc.mapping import ENCODINGS, WEIGHT_ENCODINGS
from imc.mapping.calibration import ADC_RANGES, CALIBRATION_SCOPES
from imc.mapping.slicing import INPUT_SCHEMES
from imc.nn.data import DATASETS, check_dataset_file
from imc.registry import Registry

SELECTED = ((Array, ARRAYS), (Device, DEVICES))  # field types whose model a table's ``kind`` picks
DEFAULT_ARRAY = "sram"  # the built-in design's array kind (its cell: that array's default)

ConfigError = ParameterError
MAX_ARRAYS = 16_384  # default array budget: the largest published IMC chip, ISAAC, has 168 x 96 = 16,128 crossbars


class IgnoredFieldWarning(UserWarning):
    """A configured field that has no effect in the chosen design (the CLI prints it)."""


@dataclass(frozen=True)
class MappingConfig:
    """How layers are placed: the sign ``encoding`` of binary layers (`imc.mapping.ENCODINGS`); the
    signed-``weights`` encoding of sliced multi-bit layers (`imc.mapping.WEIGHT_ENCODINGS`);
    ``inputs``: how multi-bit inputs reach the word lines (`imc.mapping.slicing.INPUT_SCHEMES`:
    "bit_serial" planes, or one cycle of "amplitude" or "pulse_width" where the array's drivers offer
    it); ``rows_per_read`` word lines per conversion (None: a tile's rows at once); the ADC range
    (`imc.mapping.calibration`): ``adc_range`` "worst_case", "calibrated" (the
    ``calibration_coverage`` quantile of the column counts on ``calibration_inputs`` training images,
    per layer or, with ``calibration_scope`` "column", per column ADC) or "fixed"
    (``adc_full_scale_count`` counts); ``replicas``: copies of every
    convolution's arrays serving its output positions in parallel; ``max_arrays``: the chip's array
    budget (None: `MAX_ARRAYS`)."""

    encoding: str = "xnor"
    weights: str = "offset"
    inputs: str = "bit_serial"
    rows_per_read: int | None = None
    adc_range: str = "worst_case"
    adc_full_scale_count: int | None = None
    calibration_coverage: float = 1.0
    calibration_inputs: int = 256
    calibration_scope: str = "layer"
    replicas: int = 1
    max_arrays: int | None = None

    def __post_init__(self) -> None:
        ENCODINGS.get(self.encoding, "encoding")
        WEIGHT_ENCODINGS.get(self.weights, "weights")
        require("inputs", self.inputs, self.inputs in INPUT_SCHEMES, f"allowed: {list(INPUT_SCHEMES)}")
        if self.rows_per_read is not None:
            int_in_range("rows_per_read", self.rows_per_read, 1, 4096)
        require("adc_range", self.adc_range, self.adc_range in ADC_RANGES, f"allowed: {list(ADC_RANGES)}")
        if self.adc_range == "fixed":
            int_in_range("adc_full_scale_count", self.adc_full_scale_count, 1)
        else:
            require("adc_full_scale_count", self.adc_full_scale_count, self.adc_full_scale_count is None,
                    f"only with adc_range = 'fixed' (adc_range = {self.adc_range!r})")
        require("calibration_coverage", self.calibration_coverage,
                isinstance(self.calibration_coverage, float) and 0 < self.calibration_coverage <= 1, "must be in (0, 1]")
        int_in_range("calibration_inputs", self.calibration_inputs, 1, 100_000)
        require("calibration_scope", self.calibration_scope, self.calibration_scope in CALIBRATION_SCOPES,
                f"allowed: {list(CALIBRATION_SCOPES)}")
        int_in_range("replicas", self.replicas, 1, 1024)
        if self.max_arrays is not None:
            int_in_range("max_arrays", self.max_arrays, 1)


@dataclass(frozen=True)
class SimConfig:
    """Everything one `imc.simulate` run needs. The defaults are the built-in design.

    model: a zoo name, a ``.npz`` model file or a quantized ``.onnx`` graph; dataset: its test data, read from
    ``dataset_path`` unless built in; chips: Monte-Carlo chip instances; seed: the root of every
    random draw; variation: False makes every chip nominal (no static variation, faults or read
    noise: the hardware then matches software); array: any registered array kind with its cell;
    mapping: how layers are placed; conditions: time since programming and which dynamic and
    fault effects are on (`imc.arrays.Conditions`); chip: the chip architecture the SimPy engine
    streams ``inferences`` inputs through (`imc.chip.ChipConfig`; 0 inferences: no chip run).
    """

    model: str = "bnn_mlp_digits"
    dataset: str = "digits"
    dataset_path: str | None = None
    chips: int = 100
    seed: int = 0
    variation: bool = True
    array: Array = field(default_factory=lambda: ARRAYS.get(DEFAULT_ARRAY)())
    mapping: MappingConfig = field(default_factory=MappingConfig)
    conditions: Conditions = field(default_factory=Conditions)
    chip: ChipConfig = field(default_factory=ChipConfig)
    inferences: int = 1000

    def __post_init__(self) -> None:
        require("model", self.model, isinstance(self.model, str) and self.model != "",
                "must be a zoo model name or a path to a .npz model file or a quantized .onnx graph")
        require("dataset", self.dataset, self.dataset in DATASETS, f"allowed: {sorted(DATASETS)}")
        if self.dataset == "digits":
            require("dataset_path", self.dataset_path, self.dataset_path is None, "digits is built in: give no path")
        else:
            require("dataset_path", self.dataset_path, isinstance(self.dataset_path, str)
                    and Path(self.dataset_path).expanduser().exists(),
                    f"dataset = {self.dataset!r} is read from local files: give the path of an existing "
                    "directory or file (nothing is downloaded)")
            check_dataset_file(self.dataset, self.dataset_path)
        int_in_range("chips", self.chips, 1, 100_000)
        int_in_range("inferences", self.inferences, 0, 1_000_000)
        int_in_range("seed", self.seed, 0)
        geometry, kind = self.array.geometry(), _kind(self.array)
        require("mapping.encoding", self.mapping.encoding, self.mapping.encoding in geometry.encodings,
                f"the {kind!r} array of {_kind(self.array.device)!r} cells supports the encodings "
                f"{list(geometry.encodings)}")
        require("mapping.inputs", self.mapping.inputs, self.mapping.inputs in geometry.input_schemes,
                f"the {kind!r} array's word-line drivers offer {list(geometry.input_schemes)} (a word-line DAC "
                "or pulse generator is set by the array's input_bits / input_scheme)")
        self.array.under(self.conditions)  # conditions the array cannot meet (e.g. IR drop without wires)

    @property
    def chip_array(self) -> Array:
        """The array as the conditions have it (`Array.under`): what the engines simulate."""
        return self.array.under(self.conditions)

    def replace(self, **changes) -> "SimConfig":
        """A copy with top-level fields changed, the changes checked like a loaded config."""
        checked = from_dict(SimConfig, changes)
        return dataclasses.replace(self, **{key: getattr(checked, key) for key in changes})


def _registry_of(cls: type) -> Registry | None:
    """The registry whose ``kind`` selects the model of a field declared ``cls`` (None: not selected)."""
    return next((registry for base, registry in SELECTED if isinstance(cls, type) and issubclass(cls, base)), None)


def _kind(obj) -> str:
    """The registry name of a device's or array's model; an unregistered model gets its class name,
    which `from_dict` rejects rather than loading another model."""
    return _registry_of(type(obj)).key_of(obj) or type(obj).__name__


def to_dict(config) -> dict:
    """Nested plain-dict form of a config dataclass (what `from_dict` and TOML take); device and
    array tables start with their model's ``kind``."""
    table = {"kind": _kind(config)} if _registry_of(type(config)) else {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        table[f.name] = to_dict(value) if dataclasses.is_dataclass(value) else value
    return table


def _check_type(path: str, value, expected):
    allowed = typing.get_args(expected) or (expected,)
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        require(path, value, finite(value), "must be a finite number (this integer does not fit a float)")
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
        path = f"{prefix}{key}" if isinstance(key, str) and key.isidentifier() else f"{prefix}{key!r}"
        if key in selectors:
            continue
        if key not in fields:
            raise ConfigError(path, value, f"unknown key; allowed keys for {cls.__name__}: {[*selectors, *fields]}")
        expected = hints[key]
        table = _table_class(expected, value)
        if _registry_of(expected):
            kwargs[key] = _selected_from_dict(cls, fields[key], expected, value, f"{path}.")
        elif table is not None:
            kwargs[key] = from_dict(table, value, f"{path}.")
        else:
            kwargs[key] = _check_type(path, value, expected)
    try:
        built = (make or cls)(**kwargs)
    except ParameterError as exc:
        raise exc.within(prefix[:-1]) if prefix else exc
    _warn_ignored(built, data, prefix)
    return built


def _warn_ignored(obj, data: dict, prefix: str) -> None:
    """Warn about every field the config sets to other than its default that ``obj`` reports
    without effect in its design (``obj.ignored_fields()``: field or ``table.field`` -> why)."""
    for name, why in getattr(obj, "ignored_fields", dict)().items():
        head, _, rest = name.partition(".")
        given = head in data and (not rest or (isinstance(data[head], dict) and rest in data[head]))
        if given and _differs_from_default(obj, name):
            warnings.warn(f"{prefix}{name} has no effect: {why}", IgnoredFieldWarning, stacklevel=2)


def _differs_from_default(obj, dotted: str) -> bool:
    """Whether field ``dotted`` (``name`` or ``table.name``) of dataclass ``obj`` is not its default."""
    *tables, name = dotted.split(".")
    for table in tables:
        obj = getattr(obj, table)
    default = next(f for f in dataclasses.fields(obj) if f.name == name)
    value = default.default_factory() if default.default is dataclasses.MISSING else default.default
    return getattr(obj, name) != value


def _table_class(expected, value) -> type | None:
    """The dataclass a field of type ``expected`` (a dataclass, or an optional one given a table)
    builds from ``value``; None for plain values."""
    if dataclasses.is_dataclass(expected):
        return expected
    options = [t for t in typing.get_args(expected) if dataclasses.is_dataclass(t)]
    return options[0] if options and isinstance(value, dict) else None


def _selected_from_dict(owner, field_: dataclasses.Field, base: type, data: dict, prefix: str):
    """The model (device or array) of field ``owner.field_``, declared a ``base``, from its table.

    ``kind``: the model's registry name (default: the model of the field's default), one of the
    registered subclasses of ``base`` (for a device, one of the owner array's ``cell_kinds``);
    ``node``: for models with ``at_node``, the technology node whose parameters it starts from;
    every other key overrides a field of the model.
    """
    _check_table(base, data, prefix)
    registry = _registry_of(base)
    cell_kinds = getattr(owner, "cell_kinds", None) if registry is DEVICES else None
    allowed = sorted(cell_kinds or [key for key, model in registry.items() if issubclass(model, base)])
    if "kind" in data:
        kind = _check_type(f"{prefix}kind", data["kind"], str)
    else:
        kind = _kind(field_.default_factory() if field_.default is dataclasses.MISSING else field_.default)
    require(f"{prefix}kind", kind, kind in registry, f"allowed: {allowed}")
    model = registry[kind]
    require(f"{prefix}kind", kind, issubclass(model, base) and kind in allowed,
            f"{kind!r} is a {model.__name__}, but {owner.__name__}.{field_.name} holds one of {allowed}")
    selectors = ("kind", "node") if hasattr(model, "at_node") else ("kind",)
    make = model
    if "node" in selectors and "node" in data:
        make = partial(model.at_node, _check_type(f"{prefix}node", data["node"], str))
    return from_dict(model, data, prefix, make=make, selectors=selectors)


def load_config(source: str | Path | dict | None = None, preset: str | None = None) -> SimConfig:
    """A `SimConfig` from a TOML file path, a preset name (`imc.presets.PRESETS`), a dict, or the
    built-in default (None). A dict or design file whose ``preset`` names a preset starts from that
    preset's design, its other keys deep-merged on top (`merge_design`); ``preset`` does the same
    for a ``source`` that names none (or the same one)."""
    if preset is not None:
        return from_dict(SimConfig, with_preset(_on_preset(_design_data(source), preset)))
    if isinstance(source, str) and source in presets.PRESETS:
        return from_dict(SimConfig, presets.design(source))
    return SimConfig() if source is None else from_dict(SimConfig, with_preset(_design_data(source)))


def _design_data(source: str | Path | dict | None) -> dict:
    """The design table of a dict, a TOML file (relative paths taken from its folder) or None (empty)."""
    if source is None or isinstance(source, dict):
        return source or {}
    require("config", source, isinstance(source, (str, Path)), "must be a TOML file path, a preset name, "
            "a dict of fields or None")
    if isinstance(source, str) and not Path(source).suffix and not Path(source).exists():
        raise ConfigError("config", source, f"no such file, and not a preset; presets: {sorted(presets.PRESETS)}")
    return relative_to(read_toml(source, "config"), Path(source).parent)


def _on_preset(data: dict, name: str) -> dict:
    """Design table ``data`` as overrides of preset ``name``; a ``data`` naming another preset is refused."""
    presets.get(name)
    named = data.get("preset")
    require("preset", named, named is None or isinstance(named, dict) or named == name,
            f"the design names preset {named!r} but {name!r} was asked for: name one")
    return {**data, "preset": name}


def with_preset(data: dict) -> dict:
    """``data`` with its ``preset`` resolved: a name starts from that preset's design with the other
    keys merged on top (`merge_design`); a ``[preset]`` table (a preset file's own description of
    its source) is dropped; no ``preset`` key leaves ``data`` as it is."""
    if "preset" not in data:
        return data
    rest = {key: value for key, value in data.items() if key != "preset"}
    name = data["preset"]
    if isinstance(name, dict):
        return rest
    return merge_design(presets.design(name), rest)


def merge_design(base: dict, overrides: dict) -> dict:
    """``overrides`` deep-merged onto design table ``base``: every value of the nested ``overrides`` set
    at its dotted path by the sweep's `imc.sweeps.apply`, so that a table whose ``kind`` (or device
    ``node``) the override changes starts from the new model's defaults, the base's other keys
    belonging to the old one."""
    from imc.sweeps.grid import apply, flatten  # imported here: imc.sweeps imports this module

    return apply(base, flatten(overrides, "config"))


def relative_to(data: dict, folder: Path) -> dict:
    """A design file's table with its relative file paths (a ``model`` file, ``dataset_path``)
    taken from ``folder``, the file's own folder, rather than from the working directory."""
    paths = {key: value for key, value in data.items()
             if key in ("model", "dataset_path") and isinstance(value, str)
             and (key == "dataset_path" or Path(value).suffix) and not Path(value).expanduser().is_absolute()}
    return {**data, **{key: str(folder / value) for key, value in paths.items()}}


def read_toml(path: str | Path, what: str) -> dict:
    """The table of a TOML file; a missing or malformed file is a `ConfigError` on field ``what``."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(what, str(path), "file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(what, str(path), f"not valid TOML ({exc})") from exc
    except (OSError, ValueError) as exc:  # a folder, no permission, not UTF-8 (e.g. binary or UTF-16)
        raise ConfigError(what, str(path), f"cannot be read as UTF-8 text ({exc})") from exc
    except RecursionError as exc:
        raise ConfigError(what, str(path), "tables or arrays nested too deeply to read") from exc
