"""Running a sweep: chip ranges of design points on threads, processes or a Dask cluster.

The unit of work is `run_chips`: chips ``start..stop-1`` of one design point, a pure function of
the point's config dict (chip i draws from ``SeedSequence(seed).spawn(...)[i]`` as in
`imc.engine`), so the numbers do not depend on the executor, the worker count, how a point's chips
are split or the order in which ranges finish. A point is stored (`Store.put`) as soon as all its
ranges are back; an interrupted sweep loses only the points still running.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np
import pandas as pd

from imc import engine
from imc.api import Design, design_report, load_design
from imc.config import SimConfig, load_config, to_dict
from imc.errors import ParameterError, int_in_range, positive, require
from imc.progress import progress_bar
from imc.report import Report
from imc.sweeps.grid import expand, apply
from imc.sweeps.store import Store, canonical, digest
from imc.threads import blas_threads

EXECUTORS = ("threads", "processes", "dask")
STATISTICS = ("mean", "yield")
CHIP_CHUNK = 16      # chips programmed and run together inside a task (bounds its memory)
MAX_TASK_CHIPS = 64  # chips of one task at most, so that an interrupt waits for little work


@dataclass(frozen=True)
class Adaptive:
    """Add chips to each point until the 95 % interval of ``statistic`` is at most ``width`` wide.

    statistic: "mean" (Student-t interval of the mean chip accuracy) or "yield" (Wilson interval
    of the yield at the sweep's target); width: the interval's full width as a fraction (0.01 =
    1 percentage point); max_chips: the budget of chips per point. From n chips with an interval
    w wide a point grows to n (w / width)^2 chips (the 1/sqrt(n) law), at least n + 1 and at most
    4 n; the counts depend only on the chips' accuracies, so they are reproducible.
    """

    width: float
    max_chips: int = 1000
    statistic: str = "mean"

    def __post_init__(self) -> None:
        positive("adaptive.width", self.width)
        require("adaptive.width", self.width, self.width < 1, "must be a fraction in (0, 1)")
        int_in_range("adaptive.max_chips", self.max_chips, 2, 100_000)
        require("adaptive.statistic", self.statistic, self.statistic in STATISTICS, f"allowed: {list(STATISTICS)}")

    def interval_width(self, record: dict) -> float:
        """Width of the interval of ``statistic`` in a `Report.to_record` row (NaN for one chip)."""
        prefix = "accuracy_mean" if self.statistic == "mean" else "yield"
        return record[f"{prefix}_high"] - record[f"{prefix}_low"]

    def converged(self, record: dict) -> bool:
        return self.interval_width(record) <= self.width

    def next_chips(self, record: dict) -> int:
        """Chips the point should have next (its current count once converged or at the budget)."""
        chips, width = record["chips"], self.interval_width(record)
        if self.converged(record) or chips >= self.max_chips:
            return chips
        wanted = chips * 4 if math.isnan(width) else math.ceil(chips * (width / self.width) ** 2)
        return min(self.max_chips, max(chips + 1, min(wanted, 4 * chips)))


@dataclass(frozen=True, eq=False)
class ChipRange:
    """What `run_chips` returns: the accuracies of chips start.. (float64), the point's report over
    them when costs were asked for (else None), and the task's runtime (s)."""

    start: int
    accuracy: np.ndarray
    report: Report | None
    runtime_s: float


@lru_cache(maxsize=8)
def _design(config_json: str) -> Design:
    """The loaded model, data, array and mapping of a design (`imc.api.load_design`, cached per process)."""
    return load_design(load_config(json.loads(config_json)))


def run_chips(config: dict, start: int, stop: int, costs: bool = True,
              cancel: threading.Event | None = None) -> ChipRange:
    """Chips ``start..stop-1`` of the design ``config`` (a nested config dict), with the design's
    report over them (software accuracy, energy, latency, mapping) when ``costs``.

    The same chips as in ``imc.simulate(config)`` with ``chips >= stop``: a pure function, safe to
    run in any process. ``cancel``: an event that, once set, abandons the chips (an interrupted sweep).
    """
    started = time.perf_counter()
    design = _design(canonical(config))
    c = design.config
    accuracy = engine.chip_accuracies(design.plan, design.array, design.x, design.data.y_test, c.seed, stop - start,
                                      c.variation, c.conditions, chunk=CHIP_CHUNK, workers=1, first=start,
                                      stop=cancel)
    report = design_report(design, accuracy, 0.0) if costs else None
    return ChipRange(start, accuracy, report, time.perf_counter() - started)


_LIMITS = []  # the BLAS thread limit of a worker process, kept for the process's lifetime


def run_in_one_thread(config: dict, start: int, stop: int, costs: bool = True) -> ChipRange:
    """`run_chips` with one BLAS and one Numba thread, as a task of a process or Dask worker (one a core)."""
    import numba

    if not _LIMITS:
        _LIMITS.append(blas_threads(1))
    numba.set_num_threads(1)
    return run_chips(config, start, stop, costs)


@contextmanager
def _executor(kind: str, workers: int, scheduler):
    """(submit(config, start, stop, costs) -> future of a `ChipRange`, as_completed(futures), parallel
    task slots) of an executor; pending tasks are cancelled on the way out."""
    if kind == "dask":
        from dask.distributed import Client, LocalCluster, as_completed

        owned = []
        if scheduler is None:
            scheduler = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
            owned.append(scheduler)
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        if client is not scheduler:
            owned.insert(0, client)
        futures = []

        def submit(*args):
            futures.append(client.submit(run_in_one_thread, *args, pure=False))
            return futures[-1]

        try:
            yield submit, as_completed, max(1, sum(client.nthreads().values()))
        finally:
            client.cancel(futures)
            for resource in owned:
                resource.close()
        return
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed

    if kind == "processes":
        import multiprocessing

        context = multiprocessing.get_context("forkserver")  # no fork of a process running threads
        context.set_forkserver_preload(["imc.sweeps.run"])
        pool, task = ProcessPoolExecutor(workers, mp_context=context), run_in_one_thread
    else:  # threads: the running tasks stop at their next tile once ``cancel`` is set on the way out
        cancel = threading.Event()
        pool, task = ThreadPoolExecutor(workers), partial(run_chips, cancel=cancel)
    try:
        with blas_threads(1 if kind == "threads" and workers > 1 else None):
            yield (lambda *args: pool.submit(task, *args)), as_completed, workers
    finally:
        if kind == "threads":
            cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _ranges(have: int, need: int, pieces: int) -> list[tuple[int, int]]:
    """Chip ranges covering have..need-1 in about ``pieces`` tasks of at most MAX_TASK_CHIPS chips."""
    size = min(MAX_TASK_CHIPS, max(1, -(-(need - have) // pieces)))
    return [(start, min(start + size, need)) for start in range(have, need, size)]


def _merge(stored: Report | None, parts: list[ChipRange]) -> Report:
    """A point's report over its stored chips followed by the new ranges."""
    parts = sorted(parts, key=lambda part: part.start)
    report = stored or next(part.report for part in parts if part.report is not None)
    accuracy = np.concatenate([report.chip_accuracy if stored else np.empty(0), *(part.accuracy for part in parts)])
    return dataclasses.replace(report, chip_accuracy=accuracy, config={**report.config, "chips": accuracy.size},
                               runtime_s=(stored.runtime_s if stored else 0.0) + sum(p.runtime_s for p in parts))


def _compute(store: Store, points: dict, wanted: dict[str, int], pool, bars) -> None:
    """Simulate the missing chips of the points ``wanted`` (key -> chips), storing each point when done."""
    submit, as_completed, slots = pool
    todo = {key: (store.chips(key), chips) for key, chips in wanted.items() if store.chips(key) < chips}
    pieces = max(1, -(-slots // max(1, len(todo))))
    futures, remaining, parts = {}, defaultdict(int), defaultdict(list)
    for key, (have, need) in todo.items():
        for i, (start, stop) in enumerate(_ranges(have, need, pieces)):
            futures[submit(points[key][1], start, stop, have == 0 and i == 0)] = key
            remaining[key] += 1
    bars[1].total = (bars[1].total or 0) + sum(need - have for have, need in todo.values())
    bars[1].refresh()
    for future in as_completed(list(futures)):
        key = futures[future]
        part = future.result()
        parts[key].append(part)
        bars[1].update(part.accuracy.size)
        remaining[key] -= 1
        if remaining[key] == 0:
            store.put(key, points[key][0], _merge(store.get(key), parts.pop(key)))
            bars[0].update()


def _base(base, chips: int | None, seed: int | None) -> tuple[dict, int]:
    """The base design as a full config dict without ``chips`` (with the sweep's seed), and the chips."""
    config = base if isinstance(base, SimConfig) else load_config(base)
    design = to_dict(config)
    base_chips = design.pop("chips")
    chips = base_chips if chips is None else chips
    int_in_range("chips", chips, 1, 100_000)
    if seed is not None:
        int_in_range("seed", seed, 0)
        design["seed"] = seed
    return design, chips


def _points(design: dict, grid) -> list[tuple[dict, str, dict]]:
    """(params, key, full config dict without chips) of every grid point, each checked by `load_config`."""
    result = []
    for params in expand(grid):
        try:
            config = to_dict(load_config(apply(design, params)))
        except ParameterError as exc:
            raise ParameterError(exc.field, exc.value, f"{exc.allowed} (design point {params})") from None
        del config["chips"]
        result.append((params, digest(config), config))
    return result


def _frame(points, store: Store, chips: dict[str, int], adaptive: Adaptive | None, yield_target: float | None,
           per_chip: bool) -> pd.DataFrame:
    """The tidy table: one row per design point (or per point and chip), swept paths first."""
    names = list(dict.fromkeys(path for params, _, _ in points for path in params))
    rows = []
    for params, key, _ in points:
        report = store.report(key, chips[key])
        swept = {name: params.get(name) for name in names}
        if per_chip:
            rows.append(pd.DataFrame({**swept, "point": key, "chip": np.arange(report.chip_accuracy.size),
                                      "accuracy": report.chip_accuracy}))
            continue
        record = report.to_record(yield_target)
        rows.append({**swept, "point": key, **record,
                     **({"converged": adaptive.converged(record)} if adaptive else {})})
    if per_chip:
        return pd.concat(rows, ignore_index=True)
    frame = pd.DataFrame(rows)
    components = sorted(c for c in frame if c.startswith("energy_") and c != "energy_per_inference_j")
    frame[components] = frame[components].fillna(0.0)  # a component a technology lacks costs nothing
    columns = [c for c in frame if c not in components]
    at = columns.index("energy_per_inference_j") + 1
    return frame[columns[:at] + components + columns[at:]]


def format_table(frame: pd.DataFrame) -> str:
    """The summary ``imc sweep`` prints: swept paths, chips, accuracy (%), yield (%) with its 95 %
    interval, energy (pJ), latency (ns), TOPS/W, one line per point."""
    swept = list(frame.columns[:frame.columns.get_loc("point")])
    table = frame[swept + ["chips"]].copy()
    table["acc mean %"] = (100 * frame["accuracy_mean"]).round(2)
    table["std"] = (100 * frame["accuracy_std"]).round(2)
    table["min %"] = (100 * frame["accuracy_min"]).round(2)
    table["yield %"] = [f"{100 * y:.0f} [{100 * lo:.0f}, {100 * hi:.0f}]"
                         for y, lo, hi in zip(frame["yield"], frame["yield_low"], frame["yield_high"])]
    table["energy pJ"] = (1e12 * frame["energy_per_inference_j"]).round(1)
    table["latency ns"] = (1e9 * frame["latency_s"]).round(1)
    table["TOPS/W"] = frame["tops_per_w"].round(1)
    if "converged" in frame:
        table["converged"] = frame["converged"]
    target = frame["yield_target"].unique()
    note = f"yield at accuracy >= {100 * target[0]:.2f} %" if target.size == 1 else "yield at 1 point below software"
    points = f"{len(frame)} design point{'s' if len(frame) != 1 else ''}"
    return f"{table.to_string(index=False)}\n{points}; {note} (95 % Wilson interval)"


def sweep(base=None, grid=None, *, chips: int | None = None, seed: int | None = None, out=None,
          workers: int | None = None, executor: str = "threads", scheduler=None, adaptive: Adaptive | None = None,
          yield_target: float | None = None, per_chip: bool = False, progress: bool = False) -> pd.DataFrame:
    """Simulate every design point of ``grid`` on ``base`` and return a tidy DataFrame.

    base: the design every point changes (a `SimConfig`, dict, TOML path or None: the built-in one);
    grid: a dict of dotted paths to lists (cartesian product), a list of points or a `Sample`
    (`imc.sweeps.grid`); chips, seed: Monte-Carlo chips per point and their root seed (default: the
    base's), shared by every point (common random numbers: chip i of every point has the same seed,
    so differences between points are paired); out: a store directory (`imc.sweeps.store`) that makes
    the sweep resumable (finished points are never recomputed, extra chips extend stored points);
    executor: "threads", "processes" (``workers`` of each, default one per CPU) or "dask" on
    ``scheduler`` (a `dask.distributed.Client` or a scheduler address; None: a local cluster of
    ``workers`` processes); adaptive: add chips per point until an interval is narrow enough
    (`Adaptive`); yield_target: the accuracy of the yield columns (default: 1 point below software).

    Returns one row per point: the swept paths, ``point`` (the point's key in the store) and its
    `Report.to_record` (plus ``converged`` in adaptive mode); with ``per_chip``, one row per point
    and chip (``chip``, ``accuracy``) instead. The numbers do not depend on the executor or workers.
    """
    design, chips = _base(base, chips, seed)
    workers = (os.cpu_count() or 1) if workers is None else workers
    int_in_range("workers", workers, 1)
    require("executor", executor, executor in EXECUTORS, f"allowed: {list(EXECUTORS)}")
    require("scheduler", scheduler, scheduler is None or executor == "dask",
            "a Dask scheduler needs executor = 'dask'")
    require("adaptive", adaptive, adaptive is None or isinstance(adaptive, Adaptive), "must be an imc.sweeps.Adaptive")
    if adaptive is not None:
        require("adaptive.max_chips", adaptive.max_chips, adaptive.max_chips >= chips,
                f"must be at least the chips each point starts from ({chips})")
    require("yield_target", yield_target, yield_target is None or isinstance(yield_target, (int, float))
            and 0 <= yield_target <= 1, "must be an accuracy in [0, 1] or None (1 point below software)")
    points = _points(design, grid)
    store = Store(out, design)
    unique = {key: (params, config) for params, key, config in points}
    target = dict.fromkeys(unique, chips)
    done = sum(store.chips(key) >= chips for key in unique)
    with (progress_bar(len(unique), "points", "point", progress, initial=done) as point_bar,
          progress_bar(None, "chips", "chip", progress) as chip_bar,
          _executor(executor, workers, scheduler) as pool):
        while True:
            _compute(store, unique, target, pool, (point_bar, chip_bar))
            grown = {key: adaptive.next_chips(store.report(key, n).to_record(yield_target))
                     for key, n in target.items()} if adaptive else target
            if grown == target:
                break
            point_bar.total += sum(grown[key] > target[key] for key in target)
            target = grown
    summary = _frame(points, store, target, adaptive, yield_target, per_chip=False)
    store.write_results(summary)
    return _frame(points, store, target, adaptive, yield_target, per_chip=True) if per_chip else summary
