"""Published designs as data: one TOML design file per chip, named ``<design>_<venue><year>``.

A preset file is an ordinary design file (the keys and tables of `imc.config.SimConfig`, each
field taken from the paper annotated with its table or figure, every other one marked as an
assumption) plus a ``[preset]`` table describing its source (the file layout of AccelForge's
``examples/arches/compute_in_memory/isaac_isca_2016.yaml``):

.. code-block:: toml

    [preset]
    title = "ISAAC: a convolutional neural network accelerator with in-situ analog arithmetic ..."
    authors = "Shafiee et al."
    venue = "ISCA"
    year = 2016
    doi = "10.1109/ISCA.2016.12"
    technology = "RRAM crossbars, 32 nm CMOS"
    network = "why the zoo network stands in for the paper's"
    assumptions = ["...", "..."]
    validate = { chips = 5, inferences = 200 }   # Monte-Carlo budget of `imc presets --validate`

    [[preset.published]]            # one headline number of the paper
    metric = "tops_per_w"           # a key of `imc.presets.metrics.METRICS`: how imc's value is obtained
    value = 400.0                   # SI units, as the metric's name says
    source = "Table II"
    tolerance = 2.0                 # a factor (imc / published in [1/2, 2]); accuracies: a difference (0.01 = 1 point)
    comparable = true               # false: imc cannot produce this number (the reason says why)
    reason = "..."                  # why imc's value differs (printed when it misses) or is not comparable
    recalled = false                # true: the value is from the paper as recalled, not from stored material
    design = { array = { device = { vdd_v = 1.2 } } }   # optional: the operating point of this number (overrides)
    relative_to = {}                # optional: the value is a trend, metric at design / metric at this point

`PRESETS` registers every file shipped in this package (``imc presets`` lists them);
``imc.load_config("isaac_isca2016")``, ``imc.load_config({"preset": "isaac_isca2016", ...})`` and
``preset = "isaac_isca2016"`` at the top of a design file load one, overrides deep-merged on top
(`imc.config.merge_design`). `imc.presets.validate` runs them against their published numbers.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from imc.errors import ParameterError, int_in_range, require
from imc.registry import Registry

FOLDER = Path(__file__).parent
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*_[a-z]+(19|20)\d\d$")  # <design>_<venue><year>
PUBLISHED_KEYS = ("metric", "value", "source", "tolerance", "comparable", "reason", "recalled", "design",
                  "relative_to")
PRESET_KEYS = ("title", "authors", "venue", "year", "doi", "technology", "network", "assumptions",
               "validate", "published")

PRESETS = Registry("preset")


@dataclass(frozen=True)
class Published:
    """One published headline number: ``metric`` (how imc obtains its side), ``value`` (SI units),
    ``source`` (table or figure), ``tolerance`` (a factor, or points for accuracies), whether imc can
    produce a ``comparable`` number at all, the ``reason`` imc's value differs or cannot be compared,
    whether the value is ``recalled`` from the paper rather than read from stored material, and the
    ``design`` overrides of the preset at which the paper measured it (another supply, precision, ...:
    an operating-point sweep), empty for the preset's own design; with ``relative_to`` (another such
    table) the value is the published trend, the metric at ``design`` over the metric there."""

    metric: str
    value: float
    source: str
    tolerance: float
    comparable: bool = True
    reason: str = ""
    recalled: bool = False
    design: dict = field(default_factory=dict)
    relative_to: dict | None = None


@dataclass(frozen=True)
class Preset:
    """A published design: its registry ``name``, the TOML ``path``, the paper (``title``,
    ``authors``, ``venue``, ``year``, ``doi``), the ``technology``, why its zoo ``network`` stands in,
    its ``assumptions``, the ``published`` numbers, the Monte-Carlo budget of a validation run
    (``validate_chips``, ``validate_inferences``) and the ``design`` table (`imc.config.SimConfig` keys)."""

    name: str
    path: Path
    title: str
    authors: str
    venue: str
    year: int
    doi: str
    technology: str
    network: str
    assumptions: tuple[str, ...]
    published: tuple[Published, ...]
    validate_chips: int
    validate_inferences: int
    design: dict

    @property
    def citation(self) -> str:
        """``Authors, "Title", VENUE YEAR, doi:...``."""
        return f'{self.authors}, "{self.title}", {self.venue} {self.year}, doi:{self.doi}'


def _text(where: str, table: dict, key: str) -> str:
    value = table.get(key)
    require(f"{where}.{key}", value, isinstance(value, str) and value.strip() != "", "must be a non-empty string")
    return value


def _known_keys(where: str, table: dict, allowed: tuple[str, ...]) -> None:
    """A `ParameterError` on the first key of ``table`` not in ``allowed``."""
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ParameterError(f"{where}.{unknown[0]}", table[unknown[0]], f"unknown key; allowed: {list(allowed)}")


def _published(where: str, row) -> Published:
    """A ``[[preset.published]]`` row, checked: known keys, types, a positive tolerance, a reason
    wherever the number is not comparable."""
    require(where, row, isinstance(row, dict), "must be a table of " + ", ".join(PUBLISHED_KEYS))
    _known_keys(where, row, PUBLISHED_KEYS)
    for key in ("value", "tolerance"):
        value = row.get(key)
        require(f"{where}.{key}", value, isinstance(value, (int, float)) and not isinstance(value, bool)
                and value > 0, "must be a number > 0")
    for key in ("comparable", "recalled"):
        require(f"{where}.{key}", row.get(key), isinstance(row.get(key, False), bool), "must be true or false")
    published = Published(_text(where, row, "metric"), float(row["value"]), _text(where, row, "source"),
                          float(row["tolerance"]), row.get("comparable", True), row.get("reason", ""),
                          row.get("recalled", False), row.get("design", {}), row.get("relative_to"))
    for key in ("design", "relative_to"):
        require(f"{where}.{key}", row.get(key), isinstance(row.get(key, {}), dict), "must be a table of overrides")
    require(f"{where}.reason", published.reason, published.comparable or published.reason.strip() != "",
            "a number imc cannot compare needs the reason")
    return published


def parse(path: Path) -> Preset:
    """The `Preset` of TOML file ``path`` (its name: the file's stem); a malformed file is a
    `ParameterError` naming the field."""
    name = path.stem
    require("preset", name, bool(NAME_PATTERN.match(name)), "a preset file is named <design>_<venue><year>.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError("preset", path.name, f"not valid TOML ({exc})") from exc
    meta = data.pop("preset", None)
    where = f"{name}.preset"
    require(where, meta, isinstance(meta, dict), "a preset file needs a [preset] table describing its source")
    _known_keys(where, meta, PRESET_KEYS)
    year = meta.get("year")
    int_in_range(f"{where}.year", year, 1950, 2100)
    require(f"{where}.year", year, name.endswith(str(year)), f"the file name {name!r} ends with the year")
    assumptions = meta.get("assumptions", [])
    require(f"{where}.assumptions", assumptions, isinstance(assumptions, list)
            and all(isinstance(a, str) for a in assumptions), "must be a list of strings")
    budget = meta.get("validate", {})
    require(f"{where}.validate", budget, isinstance(budget, dict) and set(budget) <= {"chips", "inferences"},
            "must be a table of chips and inferences")
    int_in_range(f"{where}.validate.chips", budget.get("chips", 5), 1, 1000)
    int_in_range(f"{where}.validate.inferences", budget.get("inferences", 200), 0, 100_000)
    rows = meta.get("published", [])
    require(f"{where}.published", rows, isinstance(rows, list) and rows, "a preset lists its published numbers")
    return Preset(name, path, _text(where, meta, "title"), _text(where, meta, "authors"), _text(where, meta, "venue"),
                  year, _text(where, meta, "doi"), _text(where, meta, "technology"), _text(where, meta, "network"),
                  tuple(assumptions), tuple(_published(f"{where}.published[{i}]", row) for i, row in enumerate(rows)),
                  budget.get("chips", 5), budget.get("inferences", 200), data)


def get(name: str, field: str = "preset") -> Preset:
    """The registered preset ``name``; an unknown one is a `ParameterError` on ``field`` listing the known ones."""
    return PRESETS.get(name, field)


def design(name: str, field: str = "preset") -> dict:
    """A fresh copy of preset ``name``'s design table (nested dicts), ready for overrides."""
    return copy.deepcopy(get(name, field).design)


def describe(preset: Preset) -> str:
    """A preset as text: its citation, technology, stand-in network, assumptions and published numbers
    (values in SI units, as the metric names say)."""
    lines = [f"{preset.name}: {preset.citation}", f"  technology: {preset.technology}",
             f"  network: {preset.network}", f"  file: {preset.path}", "  assumptions:"]
    lines += [f"    - {assumption}" for assumption in preset.assumptions]
    lines.append("  published:")
    for row in preset.published:
        tolerance = f"tolerance {row.tolerance:g}" if row.comparable else "not comparable"
        lines.append(f"    - {row.metric} = {row.value:g}{' (recalled)' if row.recalled else ''}, {tolerance}: "
                     f"{row.source}")
    return "\n".join(lines)


def _register_shipped() -> None:
    for path in sorted(FOLDER.glob("*.toml")):
        try:
            preset = parse(path)
        except ParameterError as exc:
            raise ParameterError("preset", path.name, f"a shipped preset file is malformed ({exc})") from exc
        PRESETS.register(preset.name)(preset)


_register_shipped()
