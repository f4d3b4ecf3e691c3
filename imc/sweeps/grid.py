"""Design points of a sweep: grids of dotted config paths, and how a point changes the base design.

A grid is one of

* a cartesian product: ``{"array.adc.bits": [4, 6, 8], "array.rows": [128, 256]}`` (nested tables
  whose leaves are lists, as TOML writes unquoted dotted keys, mean the same);
* a list of points: ``[{"array.kind": "resistive"}, {"array.adc.bits": 4}]``;
* a space-filling `Sample` of ranges (`scipy.stats.qmc`) for spaces too large for a product.

A point is a dict of dotted config paths (``array.adc.bits``) to values, applied to the full base
design by `apply`. Setting a table's ``kind`` to another model, or its ``node``, starts that table
afresh from the new model's defaults (the point's other keys in it still apply), so
``array.kind = "resistive"`` gives the resistive array's defaults rather than SRAM fields it lacks.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from imc.errors import ParameterError, int_in_range, require

SWEPT_BY_THE_SWEEP = ("chips", "seed")  # top-level fields the sweep sets for every point
SELECTORS = ("kind", "node")  # keys that pick a table's model (see imc.config)
QMC_METHODS = ("lhs", "sobol", "halton")


def _plain(path: str, value):
    """``value`` as a plain Python value (numpy scalars unwrapped); tables and lists element-wise."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {key: _plain(f"{path}.{key}", v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(path, v) for v in value]
    require(path, value, value is None or isinstance(value, (bool, Real, str)),
            "must be a number, a string, a boolean or a table of them")
    return value


def flatten(table: dict, name: str, prefix: str = "") -> dict:
    """Dotted paths of the leaves (non-tables) of the nested table ``name``."""
    require(name, table, isinstance(table, dict), "must be a table of dotted config paths")
    flat = {}
    for key, value in table.items():
        require(f"{name} key", key, isinstance(key, str) and key != "",
                "must be a dotted config path such as 'array.adc.bits'")
        path = f"{prefix}.{key}" if prefix else key
        flat.update(flatten(value, name, path) if isinstance(value, dict) else {path: value})
    return flat


def _check_path(path: str) -> None:
    require("grid key", path, path.split(".")[0] not in SWEPT_BY_THE_SWEEP,
            "chips and seed are set by the sweep for every point (sweep(chips=..., seed=...)), so that "
            "points share chip seeds; allowed: any other dotted field path of the design")
    require("grid key", path, all(path.split(".")), "must be a dotted config path such as 'array.adc.bits'")


def _values(values) -> list:
    """A list of grid values from a list, tuple, range or 1-D numpy array."""
    if isinstance(values, (range, np.ndarray)):
        values = list(values)
    return values


def cartesian(grid: dict) -> list[dict]:
    """Every combination of the listed values, the last path varying fastest."""
    flat = flatten(grid, "grid")
    require("grid", grid, bool(flat), "must name at least one dotted config path")
    lists = {}
    for path, values in flat.items():
        _check_path(path)
        values = _values(values)
        require(f"grid[{path!r}]", values, isinstance(values, (list, tuple)) and len(values) > 0,
                "must be a non-empty list of values")
        lists[path] = [_plain(f"grid[{path!r}]", v) for v in values]
    return [dict(zip(lists, combo)) for combo in itertools.product(*lists.values())]


def listed(points) -> list[dict]:
    """Explicit points, each a (possibly nested) table of dotted paths."""
    require("points", points, isinstance(points, (list, tuple)) and len(points) > 0,
            "must be a non-empty list of tables of dotted config paths")
    result = []
    for i, point in enumerate(points):
        flat = flatten(point, f"points[{i}]")
        for path in flat:
            _check_path(path)
        result.append({path: _plain(f"points[{i}][{path!r}]", v) for path, v in flat.items()})
    return result


@dataclass(frozen=True)
class Sample:
    """``n`` space-filling design points over ranges of dotted config paths (`scipy.stats.qmc`).

    ranges: path -> (low, high); two integers give integers low..high inclusive, otherwise floats
    in [low, high). log: paths sampled log-uniformly (low > 0), e.g. ``conditions.time_s``.
    method: "lhs" (Latin hypercube, any n), "sobol" (scrambled Sobol', n a power of 2) or "halton";
    seed: the sample's own seed (the chips' seed is the sweep's).
    """

    ranges: dict
    n: int
    method: str = "lhs"
    seed: int = 0
    log: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", flatten(self.ranges, "sample.ranges"))
        object.__setattr__(self, "log", tuple(self.log))
        require("sample.ranges", self.ranges, bool(self.ranges), "must name at least one dotted config path")
        int_in_range("sample.n", self.n, 1, 1_000_000)
        int_in_range("sample.seed", self.seed, 0)
        require("sample.method", self.method, self.method in QMC_METHODS, f"allowed: {list(QMC_METHODS)}")
        require("sample.n", self.n, self.method != "sobol" or self.n & (self.n - 1) == 0,
                "Sobol' points keep their balance only in powers of 2; allowed: 1, 2, 4, 8, ... "
                "(or method = 'lhs')")
        for path, bounds in self.ranges.items():
            _check_path(path)
            name = f"sample.ranges[{path!r}]"
            require(name, bounds, isinstance(bounds, (list, tuple)) and len(bounds) == 2
                    and all(isinstance(b, Real) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
                    and bounds[0] < bounds[1], "must be [low, high], two finite numbers with low < high")
            require(name, bounds, path not in self.log or bounds[0] > 0, "a log-uniform range needs low > 0")
        for path in self.log:
            require("sample.log", path, path in self.ranges, f"must name paths of sample.ranges: {list(self.ranges)}")

    def points(self) -> list[dict]:
        """The sample's design points, the same for the same seed."""
        from scipy.stats import qmc

        engine = {"lhs": qmc.LatinHypercube, "sobol": qmc.Sobol, "halton": qmc.Halton}[self.method]
        unit = engine(d=len(self.ranges), seed=self.seed).random(self.n)
        columns = {}
        for u, (path, (low, high)) in zip(unit.T, self.ranges.items()):
            if isinstance(low, Integral) and isinstance(high, Integral):
                columns[path] = [int(v) for v in np.minimum(low + np.floor(u * (high - low + 1)), high)]
            elif path in self.log:
                columns[path] = [float(v) for v in np.exp(np.log(low) + u * (np.log(high) - np.log(low)))]
            else:
                columns[path] = [float(v) for v in low + u * (high - low)]
        return [dict(zip(columns, values)) for values in zip(*columns.values())]


def expand(grid) -> list[dict]:
    """The design points of a grid: a dict (cartesian product), a list of points or a `Sample`."""
    if isinstance(grid, Sample):
        return grid.points()
    if isinstance(grid, dict):
        return cartesian(grid)
    if isinstance(grid, (list, tuple)):
        return listed(grid)
    raise ParameterError("grid", grid, "must be a dict of dotted paths to lists of values (cartesian product), "
                         "a list of points, or an imc.sweeps.Sample")


def _selector_first(path: str) -> tuple:
    """Order in which `apply` sets paths: table resets (kind, then node) outer tables first, then the rest."""
    parts = path.split(".")
    return (0, len(parts), SELECTORS.index(parts[-1])) if parts[-1] in SELECTORS else (1, 0, 0)


def apply(design: dict, point: dict) -> dict:
    """The nested config dict of ``design`` (a full `imc.config.to_dict`) with ``point`` set."""
    config = copy.deepcopy(design)
    for path in sorted(point, key=_selector_first):
        *tables, key = path.split(".")
        table = config
        for depth, name in enumerate(tables):
            inner = table.get(name)
            if inner is None:  # an optional table the design leaves out, e.g. array.wires
                inner = table[name] = {}
            require(path, point[path], isinstance(inner, dict),
                    f"{'.'.join(tables[:depth + 1])} is {inner!r}, not a table, so it has no field {key!r}")
            table = inner
        value = point[path]
        if key == "kind" and table.get("kind") != value:
            table.clear()
        elif key == "node":
            kind = table.get("kind")
            table.clear()
            if kind is not None:
                table["kind"] = kind
        table[key] = value
    return config
