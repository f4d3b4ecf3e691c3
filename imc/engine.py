"""Functional engine: what the arrays output, for many Monte-Carlo chip instances at once.

Every tile's column sums are one batched float32 GEMM of the input signs and the chips'
folded cells; bit-line physics, each chip's column ADCs and the decoding of counts run in
one fused Numba kernel per tile, which also adds the partial sums of row tiles. Chip ``i``
draws its static variation from ``SeedSequence(seed).spawn(chips)[i]``, so results do not
depend on how chips are chunked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from imc.arrays import ArrayInstance, SRAMArray
from imc.arrays.converters import ColumnConversion
from imc.devices.validation import int_in_range
from imc.mapping import ENCODINGS, CountDecoding, MappingPlan, Tile, active
from imc.mapping.spec import run_layers


def chip_seeds(seed: int, chips: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chip instance."""
    return np.random.SeedSequence(seed).spawn(chips)


def sample_chips(array: SRAMArray, plan: MappingPlan, seeds: list[np.random.SeedSequence],
                 variation: bool) -> list[ArrayInstance]:
    """Static state (cells and column ADCs) of every array of each of the given chips."""
    return [array.sample_instance(plan.n_arrays, np.random.default_rng(s), variation) for s in seeds]


BLOCK_BYTES = 2 ** 20  # one layer's int32 pre-activations of one input block on one chip


def hardware_logits(plan: MappingPlan, array: SRAMArray, x: np.ndarray, chips: list[ArrayInstance],
                    block: int | None = None) -> np.ndarray:
    """Network outputs computed by the arrays of each chip.

    x: (batch, ...) first-op input codes; chips: the chips' array instances; block: inputs per
    pass through the network (default: as many as keep a layer's pre-activations on one chip
    within BLOCK_BYTES, so that the chip's working set stays in cache and the allocator reuses
    it instead of faulting in fresh pages). Returns (chips, batch, n_out) outputs of the last layer.

    Each tile's cell matrix is folded by the encoding (`SignEncoding.fold`) once, so its column
    sums are one float32 GEMM of the input signs per chip; right after each GEMM, one fused
    kernel discharges the bit lines, converts with the chip's ADCs, decodes and adds the partial
    sums of the row tiles (`SRAMArray.accumulate_counts`).
    """
    tiles = _tile_states(plan, array, chips)

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        latch = uses_sense_amp(array, plan, placement)
        signs = active(x_layer)
        z = np.zeros((len(chips), *x_layer.shape[-2:-1], layer.n_out), dtype=np.int32)
        for state in tiles[index]:
            tile = state.tile
            tile_signs = signs[..., tile.inputs]
            if latch:
                cell_sum = np.stack([shared_or_own(tile_signs, c) @ state.weights[c] for c in range(len(chips))])
                _latch_tile(array, placement, layer, tile, cell_sum + state.base[:, None, :], chips, z)
                continue
            cell_sum = np.empty((1, tile_signs.shape[-2], state.weights.shape[-1]), dtype=np.float32)
            for c in range(len(chips)):  # chip by chip, so each GEMM's output is sensed while in cache
                np.matmul(shared_or_own(tile_signs, c), state.weights[c], out=cell_sum[0])
                array.accumulate_counts(cell_sum, state.base[c:c + 1], placement.full_scale_count,
                                        state.conversion.chip(c), z[c:c + 1], tile.outputs.start,
                                        state.decoding.gain, state.decoding.column_offset,
                                        state.decoding.reference_gain)
        return z

    widest = max(placement.spec.n_out * placement.spec.output_positions for placement in plan.layers)
    block = block or max(1, BLOCK_BYTES // (4 * widest))
    return np.concatenate([run_layers(plan.ops, x[start:start + block], matvec)
                           for start in range(0, len(x), block)], axis=1)


def shared_or_own(signs: np.ndarray, chip: int) -> np.ndarray:
    """Chip ``chip``'s input signs: (batch, n) shared by every chip (the first layer), or its
    slice of per-chip signs (chips, batch, n)."""
    return signs if signs.ndim == 2 else signs[chip]


@dataclass(frozen=True, eq=False)
class _TileState:
    """One tile across the chips: folded cells (chips, n, c) and base (chips, c), the decoding of
    its counts and its column conversion."""

    tile: Tile
    weights: np.ndarray
    base: np.ndarray
    decoding: CountDecoding
    conversion: ColumnConversion


def _tile_states(plan: MappingPlan, array: SRAMArray, chips: list[ArrayInstance]) -> list[list[_TileState]]:
    """Every tile of every layer across the chips: its cells folded by the plan's encoding, its
    count decoding and its column conversion."""
    encoding = ENCODINGS[plan.encoding]()
    cells_all = np.stack([chip.cells for chip in chips])
    states = []
    for placement in plan.layers:
        layer = []
        for tile in placement.tiles:
            rows, cols = tile.states.shape
            weights, base = encoding.fold(tile.states * cells_all[:, tile.array_index, :rows, :cols])
            conversion = array.column_conversion([chip.adcs[tile.array_index] for chip in chips], cols)
            layer.append(_TileState(tile, weights, base, encoding.decoding(tile.weights), conversion))
        states.append(layer)
    return states


def _latch_tile(array: SRAMArray, placement, layer, tile, cell_sum: np.ndarray, chips: list[ArrayInstance],
                z: np.ndarray) -> None:
    """Sign outputs of a one-tile layer decided by the columns' latches, written into z.

    XNOR encoding: z = 2 count - n, so z >= T is count >= ceil((T + n) / 2). The latch decision
    is returned as z = T (pass) or T - 1 (fail), which the layer's sign stage turns back into
    the decision.
    """
    cols = tile.states.shape[1]
    t = np.asarray(layer.thresholds).reshape(-1, layer.n_out)[0, tile.outputs]
    count_thresholds = np.ceil((t + tile.weights.shape[0]) / 2)
    for c, chip in enumerate(chips):
        passed = array.latch_decisions(cell_sum[c], placement.full_scale_count, count_thresholds,
                                       chip.sense_offsets_v[tile.array_index, :cols])
        z[c, ..., tile.outputs] = np.where(passed, t, t - 1)


def uses_sense_amp(array: SRAMArray, plan: MappingPlan, placement) -> bool:
    """Whether a layer's columns are sensed by 1-bit latches instead of ADCs: the array is set
    to ``sensing = "sense_amp"``, the layer has a binary (sign) output, the XNOR encoding makes
    its threshold a fixed count per column, and it fits in one row tile (no partial sums)."""
    spec = placement.spec
    sign_output = (spec.thresholds is not None and np.array_equal(spec.levels, (-1, 1))
                   and np.asarray(spec.thresholds).reshape(-1, spec.n_out).shape[0] == 1)
    return array.sensing == "sense_amp" and plan.encoding == "xnor" and placement.row_tiles == 1 and sign_output


def chip_accuracies(plan: MappingPlan, array: SRAMArray, x: np.ndarray, labels: np.ndarray,
                    seed: int, chips: int, variation: bool = True, chunk: int = 16,
                    progress: bool = False, workers: int | None = None) -> np.ndarray:
    """Test accuracy of each of ``chips`` chip instances, float64 (chips,).

    Chips go in chunks of at most ``chunk``; ``workers`` threads (default: one per CPU) each
    sample a chunk's static variation and run it through the network with single-threaded BLAS
    (the random draws, the table lookup, the GEMMs and the sensing kernel release the GIL).
    Results do not depend on chunking or workers. Without variation every chip is the nominal
    one, so it is simulated once.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    int_in_range("workers", workers, 1)
    int_in_range("chunk", chunk, 1)
    if not variation:
        nominal = sample_chips(array, plan, chip_seeds(seed, 1), variation=False)
        accuracy = np.mean(hardware_logits(plan, array, x, nominal)[0].argmax(-1) == labels)
        return np.full(chips, accuracy)
    seeds = chip_seeds(seed, chips)
    size = min(chunk, -(-chips // workers))
    result = np.empty(chips)

    def accuracy_of(start: int) -> tuple[int, np.ndarray]:
        instances = sample_chips(array, plan, seeds[start:start + size], variation)
        return start, np.mean(hardware_logits(plan, array, x, instances).argmax(-1) == labels, axis=-1)

    with (tqdm(total=chips, desc="chips", unit="chip", disable=not progress) as bar,
          threadpool_limits(limits=1 if workers > 1 else None, user_api="blas"),
          ThreadPoolExecutor(workers) as pool):
        for future in as_completed([pool.submit(accuracy_of, start) for start in range(0, chips, size)]):
            start, accuracies = future.result()
            result[start:start + len(accuracies)] = accuracies
            bar.update(len(accuracies))
    return result
