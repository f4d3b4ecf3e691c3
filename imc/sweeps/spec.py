"""Sweep files: a TOML description of a sweep, as ``imc sweep GRID.toml`` reads it.

```toml
base = "design.toml"         # a design file (relative to this file), or a [base] table; default: built in
chips = 20                   # optional: chips per point (default: the base's)
seed = 0                     # optional: their root seed (default: the base's)
yield_target = 0.95          # optional: accuracy of the yield columns (default: 1 point below software)

[grid]                       # a cartesian product of dotted paths ...
"array.adc.bits" = [4, 6, 8]
"array.rows" = [128, 256]

# ... or [[points]] tables (one per design point), or a space-filling sample:
# [sample]
# n = 16
# method = "lhs"             # lhs | sobol | halton
# log = ["conditions.time_s"]
# [sample.ranges]
# "conditions.time_s" = [1.0, 3.15e8]

[adaptive]                   # optional: add chips until the 95 % interval is narrow enough
width = 0.005
max_chips = 400
statistic = "mean"           # or "yield"
```
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from imc.config import read_toml, relative_to
from imc.errors import require
from imc.sweeps.grid import Sample
from imc.sweeps.run import Adaptive

GRID_KINDS = ("grid", "points", "sample")
KEYS = ("base", *GRID_KINDS, "chips", "seed", "yield_target", "adaptive")


@dataclass(frozen=True)
class SweepSpec:
    """A sweep as a file describes it: the arguments of `imc.sweeps.sweep` but the executor's."""

    base: dict | str | None
    grid: dict | list | Sample
    chips: int | None = None
    seed: int | None = None
    yield_target: float | None = None
    adaptive: Adaptive | None = None


def _table(name: str, value, cls):
    """``cls`` built from the table ``value`` of the sweep file, its keys checked first."""
    require(name, value, isinstance(value, dict), f"must be a table of {cls.__name__} fields")
    fields = dataclasses.fields(cls)
    for key in value:
        require(f"{name}.{key}", value[key], key in [f.name for f in fields],
                f"unknown key; allowed keys of [{name}]: {[f.name for f in fields]}")
    missing = [f.name for f in fields if f.default is dataclasses.MISSING and f.name not in value]
    require(name, value, not missing, f"needs the keys {missing}")
    return cls(**value)


def load_sweep(path: str | Path) -> SweepSpec:
    """The sweep a TOML file describes (see the module docstring); errors name the key."""
    data = read_toml(path, "sweep file")
    for key in data:
        require(key, data[key], key in KEYS, f"unknown key; allowed keys of a sweep file: {list(KEYS)}")
    given = [kind for kind in GRID_KINDS if kind in data]
    require("grid", given, len(given) == 1, f"a sweep file needs exactly one of {list(GRID_KINDS)}")
    base = data.get("base")
    require("base", base, base is None or isinstance(base, (str, dict)),
            "must be the path of a design file or a table of design fields")
    if isinstance(base, str):
        base = str((path.parent / base).expanduser())
    elif isinstance(base, dict):  # its model file and dataset_path, like a design file's, relative to this file
        base = relative_to(base, path.parent)
    grid = _table("sample", data["sample"], Sample) if given == ["sample"] else data[given[0]]
    adaptive = _table("adaptive", data["adaptive"], Adaptive) if "adaptive" in data else None
    return SweepSpec(base, grid, data.get("chips"), data.get("seed"), data.get("yield_target"), adaptive)
