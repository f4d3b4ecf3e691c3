"""The store of a sweep: one Parquet file per finished design point, written atomically.

Layout of a store directory::

    manifest.json        the base design (every field but chips, with the sweep's seed) and its hash
    points/<key>.parquet one row per simulated chip (columns chip, accuracy); the point's params and
                         its report (`imc.Report.to_dict`, without the per-chip list) in the file's
                         metadata under b"imc"
    results.parquet      the table the last sweep returned (pandas.read_parquet reads it)

A point's key is a hash of its full design, so a grid extended with new values finds the points it
already has, and a point asked for more chips keeps its first ones (chip i draws from chip seed i
whatever the count) and simulates only the new ones. Every file is written to a temporary name in
the same directory, flushed to disk and renamed over its final name (`os.replace`), so a killed
sweep leaves whole points or none; temporary files are never read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from imc.errors import ParameterError
from imc.report import Report

STORE_FORMAT = 1
META_KEY = b"imc"


def canonical(data) -> str:
    """Canonical JSON of plain data: sorted keys, no whitespace (floats as their shortest repr)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def digest(data) -> str:
    """Short content hash (SHA-256, 16 hex digits) of plain data."""
    return hashlib.sha256(canonical(data).encode()).hexdigest()[:16]


def atomic_write(path: Path, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _leaves(data, prefix: str = "") -> dict:
    """Dotted paths of the leaves of nested dicts."""
    if not isinstance(data, dict):
        return {prefix: data}
    return {k: v for key, value in data.items()
            for k, v in _leaves(value, f"{prefix}.{key}" if prefix else key).items()}


def _differences(stored: dict, given: dict, limit: int = 3) -> str:
    """The first ``limit`` leaves in which two base designs differ, as "path old -> new"."""
    a, b = _leaves(stored), _leaves(given)
    changed = [f"{path} {a.get(path)!r} -> {b.get(path)!r}"
               for path in sorted(set(a) | set(b)) if a.get(path) != b.get(path)]
    return ", ".join(changed[:limit]) + (f" and {len(changed) - limit} more" if len(changed) > limit else "")


class Store:
    """Finished points of one sweep, in directory ``root`` (None: in memory only, for this run).

    ``base``: the base design every point changes; a directory holding a sweep of another base
    design (or seed) is refused, never mixed in.
    """

    def __init__(self, root: str | Path | None, base: dict):
        self.root = None if root is None else Path(root).expanduser()
        self._reports: dict[str, Report] = {}
        if self.root is not None:
            self._open(base)

    def _open(self, base: dict) -> None:
        manifest = {"imc_sweep_store": STORE_FORMAT, "base_sha256": digest(base), "base": base}
        path = self.root / "manifest.json"
        if path.is_file():
            stored = json.loads(path.read_text())
            if stored.get("base_sha256") != manifest["base_sha256"]:
                changed = _differences(stored.get("base", {}), base)
                raise ParameterError("out", str(self.root), f"holds a sweep of another base design ({changed}); "
                                     "allowed: the same base design and seed, or a new directory")
            return
        if self.root.exists():
            if not self.root.is_dir() or any(self.root.iterdir()):
                raise ParameterError("out", str(self.root), "exists and is not an imc sweep store (no manifest.json); "
                                     "allowed: a new or empty directory, or a store of the same sweep")
        (self.root / "points").mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: f.write(json.dumps(manifest, indent=2).encode()))

    def _file(self, key: str) -> Path:
        return self.root / "points" / f"{key}.parquet"

    def get(self, key: str) -> Report | None:
        """The stored report of point ``key`` over every chip simulated so far (None: not stored)."""
        if key not in self._reports and self.root is not None and self._file(key).is_file():
            import pyarrow.parquet as pq

            table = pq.read_table(self._file(key))
            meta = json.loads(table.schema.metadata[META_KEY])
            meta["report"]["accuracy"]["per_chip"] = table.column("accuracy").to_numpy()
            self._reports[key] = Report.from_dict(meta["report"])
        return self._reports.get(key)

    def chips(self, key: str) -> int:
        """Chips of point ``key`` simulated so far."""
        report = self.get(key)
        return 0 if report is None else report.chip_accuracy.size

    def report(self, key: str, chips: int) -> Report:
        """The report of point ``key`` over its first ``chips`` chips."""
        report = self.get(key)
        return dataclasses.replace(report, chip_accuracy=report.chip_accuracy[:chips],
                                   config={**report.config, "chips": chips})

    def put(self, key: str, params: dict, report: Report) -> None:
        """Store point ``key`` (its params and its report over every chip simulated so far)."""
        if self.root is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            data = report.to_dict()
            del data["accuracy"]["per_chip"]
            table = pa.table({"chip": np.arange(report.chip_accuracy.size, dtype=np.int64),
                              "accuracy": np.asarray(report.chip_accuracy, dtype=np.float64)})
            table = table.replace_schema_metadata({META_KEY: canonical({"key": key, "params": params, "report": data})})
            atomic_write(self._file(key), lambda f: pq.write_table(table, f))
        self._reports[key] = report

    def write_results(self, frame: pd.DataFrame) -> Path | None:
        """Write the table of the last sweep to results.parquet (None without a directory)."""
        if self.root is None:
            return None
        path = self.root / "results.parquet"
        atomic_write(path, lambda f: frame.to_parquet(f, index=False))
        return path
