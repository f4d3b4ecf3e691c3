"""Functional engine: what the arrays output, for many Monte-Carlo chip instances.

The engine talks only to the array protocol (`imc.arrays.base`): every chip is its tiles'
programmed states (`Array.program`, then `Array.age` to the time since programming), and a
layer's integer pre-activations are the sum of its tiles' decoded partial sums
(`Array.accumulate`), each array running its own fast path (batched float32 GEMMs and fused
sensing kernels). Chip ``i`` draws from ``SeedSequence(seed).spawn(chips)[i]``: its static
variation from that sequence itself, its time effects and its read noise from two child streams
of it, so results do not depend on how chips are chunked or on how many workers run them.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import weakref
from concurrent.futures import CancelledError
from dataclasses import dataclass

import numpy as np

from imc.arrays.base import Array, Conditions
from imc.errors import Interrupted, ParameterError, int_in_range
from imc.mapping import MappingPlan
from imc.mapping.spec import run_layers
from imc.progress import progress_bar
from imc.threads import blas_threads

TIME_STREAM, READ_STREAM = 1, 2  # child streams of a chip's seed sequence
BLOCK_BYTES = 2 ** 20  # one layer's int32 pre-activations of one input block on one chip
MEMORY_FRACTION = 0.5  # of the machine's available memory, for the chips in flight
MIN_SHARE = 1024  # fewest inputs of one chip a worker takes on (`chip_logits`): fewer do not pay for the threads
_MEASURED = weakref.WeakKeyDictionary()  # plan -> (array, variation, chip_bytes): measured once per design


def chip_seeds(seed: int, chips: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chip instance."""
    return np.random.SeedSequence(seed).spawn(chips)


def _stream(chip_seed: np.random.SeedSequence, stream: int) -> np.random.Generator:
    """A generator of the chip's child stream ``stream`` (independent of its static draws)."""
    return np.random.default_rng(np.random.SeedSequence(chip_seed.entropy,
                                                        spawn_key=(*chip_seed.spawn_key, stream)))


@dataclass(frozen=True, eq=False)
class Chip:
    """One chip instance: the programmed (and aged) state of every tile of the plan, in plan
    order, and the generator of its read noise (None: noiseless reads)."""

    states: list
    read_rng: np.random.Generator | None


def _check(stop: threading.Event | None) -> None:
    """Give up the current chip (`CancelledError`) once ``stop`` is set: the run was interrupted."""
    if stop is not None and stop.is_set():
        raise CancelledError


def sample_chips(array: Array, plan: MappingPlan, seeds: list[np.random.SeedSequence], variation: bool,
                 conditions: Conditions = Conditions(), stop: threading.Event | None = None) -> list[Chip]:
    """The chips of the given seeds: the plan's tiles programmed on ``array`` (static variation and
    faults when ``variation``), aged to ``conditions.time_s``, with read noise when ``variation``
    and ``conditions.read_noise`` are on and the reads draw any (`Array.reads_draw_noise`). ``array``
    is taken as given: apply `Array.under` first.
    ``stop``: an event that, once set, abandons the work between chips."""
    chips = []
    for seed in seeds:
        _check(stop)
        states = array.program(plan.tiles, np.random.default_rng(seed), variation)
        states = array.age(states, conditions.time_s, _stream(seed, TIME_STREAM))
        noisy = variation and conditions.read_noise and array.reads_draw_noise(states)
        chips.append(Chip(states, _stream(seed, READ_STREAM) if noisy else None))
    return chips


def hardware_logits(plan: MappingPlan, array: Array, x: np.ndarray, chips: list[Chip],
                    block: int | None = None, stop: threading.Event | None = None) -> np.ndarray:
    """Network outputs computed by the arrays of each chip, (chips, batch, n_out).

    x: (batch, ...) first-op input codes; block: inputs per pass through the network (default: as
    many as keep a layer's pre-activations within BLOCK_BYTES, so that a chip's working set stays
    in cache). Read noise is drawn in (block, layer, tile) order from the chip's read stream, so a
    given design and seed always see the same noise. ``stop``: an event that, once set, abandons the
    work between tiles.
    """
    starts = np.cumsum([0] + [placement.n_arrays for placement in plan.layers])
    widest = max(placement.spec.columns * placement.spec.output_positions for placement in plan.layers)
    block = block or max(1, BLOCK_BYTES // (4 * widest))

    def outputs_of(chip: Chip) -> np.ndarray:
        def matvec(index, layer, x_layer):
            placement, flat = plan.layers[index], x_layer.reshape(-1, layer.n_in)
            states = chip.states[starts[index]:starts[index + 1]]
            if placement.replicas == 1:
                return accumulate_layer(array, states, flat, chip.read_rng, stop).reshape(*x_layer.shape[:-1], layer.columns)
            z = np.empty((flat.shape[0], layer.columns), dtype=np.int32)
            position = np.arange(flat.shape[0]) % layer.output_positions  # rows are (input, output position)
            for replica in range(placement.replicas):
                rows = np.flatnonzero(position % placement.replicas == replica)
                copy = [state for state in states if state.tile.replica == replica]
                z[rows] = accumulate_layer(array, copy, flat[rows], chip.read_rng, stop)
            return z.reshape(*x_layer.shape[:-1], layer.columns)

        return np.concatenate([run_layers(plan.ops, x[start:start + block], matvec)
                               for start in range(0, len(x), block)])

    return np.stack([outputs_of(chip) for chip in chips])


def chip_logits(plan: MappingPlan, array: Array, x: np.ndarray, chip: Chip, workers: int = 1,
                stop: threading.Event | None = None) -> np.ndarray:
    """`hardware_logits` of one chip, (batch, n_out): without read noise its inputs go in ``workers``
    contiguous shares of at least `MIN_SHARE` inputs, run in parallel threads with single-threaded BLAS --
    the same numbers, each input's outputs depending on that input alone; with read noise in one pass,
    whose draws follow the inputs' order."""
    shares = 1 if chip.read_rng is not None else max(1, min(workers, len(x) // MIN_SHARE))
    if shares == 1:
        return hardware_logits(plan, array, x, [chip], stop=stop)[0]
    bounds = np.linspace(0, len(x), shares + 1).astype(int)
    stop = threading.Event() if stop is None else stop
    parts = [None] * shares

    def share_logits(index: int) -> tuple[int, np.ndarray]:
        return index, hardware_logits(plan, array, x[bounds[index]:bounds[index + 1]], [chip], stop=stop)[0]

    with blas_threads(1):
        try:
            for index, logits in run_chunks(share_logits, range(shares), shares, stop):
                parts[index] = logits
        except BaseException:
            stop.set()
            raise
    return np.concatenate(parts)


def accumulate_layer(array: Array, states: list, x: np.ndarray, rng: np.random.Generator | None,
                     stop: threading.Event | None = None) -> np.ndarray:
    """A layer's int32 pre-activations (batch, columns) of matrix inputs x (batch, n_in) from its tiles' states."""
    z = np.zeros((x.shape[0], max(state.tile.outputs.stop for state in states)), dtype=np.int32)
    inputs, encoding, drives = None, None, None  # the drives of the last tile's inputs, which the next tiles
    for state in states:                          # of its row of tiles share
        _check(stop)
        tile = state.tile
        x_tile = x[:, tile.inputs]
        if array.input_planes and (tile.inputs != inputs or tile.encoding is not encoding):
            inputs, encoding, drives = tile.inputs, tile.encoding, tile.encoding.drives(x_tile)
        array.accumulate(state, x_tile, z, rng, drives)
    return z


def chip_bytes(array: Array, plan: MappingPlan, variation: bool, sample: int = 8) -> int:
    """Estimated memory (bytes) of one chip: the arrays held by the states of the plan's first tile and
    of its first ``sample`` tiles (the arrays' static state, e.g. ADC threshold tables, and the tiles'
    folded cells), programmed and counted (`state_bytes`), extrapolated linearly to all of the plan's
    tiles. Counted, not traced: `tracemalloc` started and stopped while other threads allocate
    without the GIL (chips of another sweep point being programmed) crashes CPython 3.11. Measured
    once per plan and array: a sweep's chip ranges of one design pay for it once."""
    cached = _MEASURED.get(plan)
    if cached is not None and cached[0] is array and cached[1] == variation:
        return cached[2]
    n = min(sample, len(plan.tiles))
    one, some = (state_bytes(array.program(plan.tiles[:k], np.random.default_rng(0), variation)) for k in (1, n))
    per_tile = (some - one) / (n - 1) if n > 1 else one
    _MEASURED[plan] = (array, variation, int(max(one, one + per_tile * (len(plan.tiles) - 1))))
    return _MEASURED[plan][2]


def state_bytes(value, seen: set | None = None) -> int:
    """Bytes of the distinct NumPy arrays (a view counts its base once) reachable from ``value``
    through dataclass fields, lists, tuples and dicts."""
    seen = set() if seen is None else seen
    if isinstance(value, np.ndarray):
        base = value if value.base is None or not isinstance(value.base, np.ndarray) else value.base
        if id(base) in seen:
            return 0
        seen.add(id(base))
        return base.nbytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return sum(state_bytes(item, seen) for item in value)
    return 0


def available_bytes() -> int:
    """Memory the machine can still give (bytes): MemAvailable of /proc/meminfo, else free pages."""
    try:
        with open("/proc/meminfo") as meminfo:
            return next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def chips_in_flight(array: Array, plan: MappingPlan, variation: bool) -> int:
    """How many chips fit in memory at once (`MEMORY_FRACTION` of the available memory), >= 1; a
    design one chip of which does not fit is refused up front, before any chip is simulated."""
    per_chip, budget = chip_bytes(array, plan, variation), MEMORY_FRACTION * available_bytes()
    if per_chip > budget:
        raise ParameterError("array", f"{len(plan.tiles)} tiles of ~{per_chip / len(plan.tiles) / 1e6:.0f} MB each",
                             f"one chip would need ~{per_chip / 1e9:.1f} GB, more than {MEMORY_FRACTION:.0%} of "
                             f"the {budget / MEMORY_FRACTION / 1e9:.1f} GB of memory available: use fewer or "
                             "larger tiles, or fewer ADC bits with INL/DNL (2^bits thresholds per ADC and chip)")
    return max(1, int(budget // max(per_chip, 1)))


def chip_accuracies(plan: MappingPlan, array: Array, x: np.ndarray, labels: np.ndarray,
                    seed: int, chips: int, variation: bool = True, conditions: Conditions = Conditions(),
                    chunk: int = 16, progress: bool = False, workers: int | None = None,
                    first: int = 0, stop: threading.Event | None = None) -> np.ndarray:
    """Test accuracy of each of ``chips`` chip instances ``first``, ``first + 1``, ..., float64 (chips,).

    Chips go in chunks of at most ``chunk``; ``workers`` threads (default: one per CPU) each
    program a chunk's chips and run them through the network with single-threaded BLAS (the
    random draws, the GEMMs and the sensing kernels release the GIL). Results do not depend on
    chunking or workers. Without variation every chip is the nominal one, so it is simulated once; one
    chip (the nominal one, or ``chips`` = 1) shares its inputs among the workers (`chip_logits`).
    Workers and chunks are bounded so that the chips in flight fit in memory (`chips_in_flight`).
    Ctrl-C (or SIGTERM raised as KeyboardInterrupt) drops the queued chunks, stops the running
    ones at their next tile (`run_chunks`) and raises `imc.errors.Interrupted` with the chips finished.
    ``stop``: an event shared with the caller: set by it, the work stops (`CancelledError`); set here
    on an interrupt or an error.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    int_in_range("workers", workers, 1)
    int_in_range("chunk", chunk, 1)
    int_in_range("first", first, 0)
    in_flight = chips_in_flight(array, plan, variation)
    seeds = chip_seeds(seed, first + chips)[first:]
    if not variation or chips == 1:  # one chip to simulate: its inputs shared by the workers
        stop = threading.Event() if stop is None else stop
        try:
            with progress_bar(chips, "chips", "chip", progress) as bar:
                chip = sample_chips(array, plan, seeds[:1] if variation else chip_seeds(seed, 1), variation,
                                    conditions, stop)[0]
                accuracy = np.mean(chip_logits(plan, array, x, chip, workers, stop).argmax(-1) == labels)
                bar.update(chips)
        except BaseException as exc:
            stop.set()
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(0, chips, "chips") from None
            raise
        return np.full(chips, accuracy)
    workers = min(workers, in_flight)
    size = min(chunk, -(-chips // workers), max(1, in_flight // workers))
    result = np.empty(chips)
    stop = threading.Event() if stop is None else stop

    def accuracy_of(start: int) -> tuple[int, np.ndarray]:
        instances = sample_chips(array, plan, seeds[start:start + size], variation, conditions, stop)
        logits = hardware_logits(plan, array, x, instances, stop=stop)
        return start, np.mean(logits.argmax(-1) == labels, axis=-1)

    done = 0
    with (progress_bar(chips, "chips", "chip", progress) as bar,
          blas_threads(1 if workers > 1 else None)):
        try:
            for start, accuracies in run_chunks(accuracy_of, range(0, chips, size), workers, stop):
                result[start:start + len(accuracies)] = accuracies
                done += len(accuracies)
                bar.update(len(accuracies))
        except BaseException as exc:
            stop.set()
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(done, chips, "chips") from None
            raise
    return result


def run_chunks(work, starts: range, workers: int, stop: threading.Event):
    """``work(start)`` for every start, yielded in completion order, computed by ``workers`` daemon
    threads. The caller sets ``stop`` when it leaves early (Ctrl-C, an error): queued starts are then
    dropped and running ones give up at their next check (`sample_chips`, `hardware_logits`); so
    do the workers when the caller's caller sets it.
    Daemon threads, unlike an executor's, never hold up the caller nor the end of the process
    while one finishes a long array operation. A worker's exception is raised here."""
    jobs, results = queue.SimpleQueue(), queue.SimpleQueue()
    for start in starts:
        jobs.put(start)

    def worker() -> None:
        while not stop.is_set():
            try:
                start = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                results.put((True, work(start)))
            except BaseException as exc:  # noqa: BLE001 -- handed to the caller, which raises it
                results.put((False, exc))

    for _ in range(min(workers, len(starts))):
        threading.Thread(target=worker, name="imc-chips", daemon=True).start()
    for _ in starts:
        ok, value = _next_result(results, stop)
        if not ok:
            raise value
        yield value


def _next_result(results: queue.SimpleQueue, stop: threading.Event, poll_s: float = 0.1):
    """The next (ok, value) a worker put, watching ``stop`` meanwhile (a worker that sees it set
    between two chunks leaves without a result)."""
    while True:
        _check(stop)
        try:
            return results.get(timeout=poll_s)
        except queue.Empty:
            continue
