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

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from imc.arrays.base import Array, Conditions
from imc.errors import int_in_range
from imc.mapping import MappingPlan
from imc.mapping.spec import run_layers

TIME_STREAM, READ_STREAM = 1, 2  # child streams of a chip's seed sequence
BLOCK_BYTES = 2 ** 20  # one layer's int32 pre-activations of one input block on one chip


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


def sample_chips(array: Array, plan: MappingPlan, seeds: list[np.random.SeedSequence], variation: bool,
                 conditions: Conditions = Conditions()) -> list[Chip]:
    """The chips of the given seeds: the plan's tiles programmed on ``array`` (static variation and
    faults when ``variation``), aged to ``conditions.time_s``, with read noise when ``variation``
    and ``conditions.read_noise`` are on. ``array`` is taken as given: apply `Array.under` first."""
    chips = []
    for seed in seeds:
        states = array.program(plan.tiles, np.random.default_rng(seed), variation)
        states = array.age(states, conditions.time_s, _stream(seed, TIME_STREAM))
        chips.append(Chip(states, _stream(seed, READ_STREAM) if variation and conditions.read_noise else None))
    return chips


def hardware_logits(plan: MappingPlan, array: Array, x: np.ndarray, chips: list[Chip],
                    block: int | None = None) -> np.ndarray:
    """Network outputs computed by the arrays of each chip, (chips, batch, n_out).

    x: (batch, ...) first-op input codes; block: inputs per pass through the network (default: as
    many as keep a layer's pre-activations within BLOCK_BYTES, so that a chip's working set stays
    in cache). Read noise is drawn in (block, layer, tile) order from the chip's read stream, so a
    given design and seed always see the same noise.
    """
    starts = np.cumsum([0] + [placement.n_arrays for placement in plan.layers])
    widest = max(placement.spec.n_out * placement.spec.output_positions for placement in plan.layers)
    block = block or max(1, BLOCK_BYTES // (4 * widest))

    def outputs_of(chip: Chip) -> np.ndarray:
        def matvec(index, layer, x_layer):
            placement, flat = plan.layers[index], x_layer.reshape(-1, layer.n_in)
            states = chip.states[starts[index]:starts[index + 1]]
            if placement.replicas == 1:
                return _accumulate(array, states, flat, chip.read_rng).reshape(*x_layer.shape[:-1], layer.n_out)
            z = np.empty((flat.shape[0], layer.n_out), dtype=np.int32)
            position = np.arange(flat.shape[0]) % layer.output_positions  # rows are (input, output position)
            for replica in range(placement.replicas):
                rows = np.flatnonzero(position % placement.replicas == replica)
                copy = [state for state in states if state.tile.replica == replica]
                z[rows] = _accumulate(array, copy, flat[rows], chip.read_rng)
            return z.reshape(*x_layer.shape[:-1], layer.n_out)

        return np.concatenate([run_layers(plan.ops, x[start:start + block], matvec)
                               for start in range(0, len(x), block)])

    return np.stack([outputs_of(chip) for chip in chips])


def _accumulate(array: Array, states: list, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """A layer's int32 pre-activations (batch, n_out) of matrix inputs x (batch, n_in) from its tiles' states."""
    z = np.zeros((x.shape[0], max(state.tile.outputs.stop for state in states)), dtype=np.int32)
    for state in states:
        array.accumulate(state, x[:, state.tile.inputs], z, rng)
    return z


def chip_accuracies(plan: MappingPlan, array: Array, x: np.ndarray, labels: np.ndarray,
                    seed: int, chips: int, variation: bool = True, conditions: Conditions = Conditions(),
                    chunk: int = 16, progress: bool = False, workers: int | None = None,
                    first: int = 0) -> np.ndarray:
    """Test accuracy of each of ``chips`` chip instances ``first``, ``first + 1``, ..., float64 (chips,).

    Chips go in chunks of at most ``chunk``; ``workers`` threads (default: one per CPU) each
    program a chunk's chips and run them through the network with single-threaded BLAS (the
    random draws, the GEMMs and the sensing kernels release the GIL). Results do not depend on
    chunking or workers. Without variation every chip is the nominal one, so it is simulated once.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    int_in_range("workers", workers, 1)
    int_in_range("chunk", chunk, 1)
    int_in_range("first", first, 0)
    if not variation:
        nominal = sample_chips(array, plan, chip_seeds(seed, 1), False, conditions)
        accuracy = np.mean(hardware_logits(plan, array, x, nominal)[0].argmax(-1) == labels)
        return np.full(chips, accuracy)
    seeds = chip_seeds(seed, first + chips)[first:]
    size = min(chunk, -(-chips // workers))
    result = np.empty(chips)

    def accuracy_of(start: int) -> tuple[int, np.ndarray]:
        instances = sample_chips(array, plan, seeds[start:start + size], variation, conditions)
        return start, np.mean(hardware_logits(plan, array, x, instances).argmax(-1) == labels, axis=-1)

    with (tqdm(total=chips, desc="chips", unit="chip", disable=not progress) as bar,
          threadpool_limits(limits=1 if workers > 1 else None, user_api="blas"),
          ThreadPoolExecutor(workers) as pool):
        for future in as_completed([pool.submit(accuracy_of, start) for start in range(0, chips, size)]):
            start, accuracies = future.result()
            result[start:start + len(accuracies)] = accuracies
            bar.update(len(accuracies))
    return result
