"""Functional engine: what the arrays output, for many Monte-Carlo chip instances at once.

Every tile's column sums are one batched GEMM over (chips, batch, rows) x (chips, rows,
cols); bit-line physics, ADC and digital rescaling run in a fused Numba kernel; partial
sums of row tiles are added digitally. Chip ``i`` draws its static variation from
``SeedSequence(seed).spawn(chips)[i]``, so results do not depend on how chips are chunked.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from imc.arrays import SRAMArray
from imc.mapping import ENCODINGS, MappingPlan
from imc.mapping.spec import run_layers


def chip_seeds(seed: int, chips: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chip instance."""
    return np.random.SeedSequence(seed).spawn(chips)


def sample_chips(array: SRAMArray, plan: MappingPlan, seeds: list[np.random.SeedSequence],
                 variation: bool) -> np.ndarray:
    """Static relative cell currents of the given chips: (chips, n_arrays, rows, cols) float32."""
    return np.stack([array.sample_instance(plan.n_arrays, np.random.default_rng(s), variation)
                     for s in seeds])


def hardware_logits(plan: MappingPlan, array: SRAMArray, x: np.ndarray, chip_cells: np.ndarray) -> np.ndarray:
    """Network outputs computed by the arrays of each chip.

    x: (batch, ...) first-op input codes; chip_cells: (chips, n_arrays, rows, cols) relative
    cell currents. Returns (chips, batch, n_out) outputs of the last layer.
    """
    encoding = ENCODINGS[plan.encoding]()
    chips = chip_cells.shape[0]

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        z = np.zeros((chips, *x_layer.shape[-2:-1], layer.n_out), dtype=np.int32)
        for tile in placement.tiles:
            rows, cols = tile.states.shape
            cells = tile.states * chip_cells[:, tile.array_index, :rows, :cols]
            word_lines = encoding.word_lines(x_layer[..., tile.inputs])
            counts = array.column_counts(word_lines, cells, placement.full_scale_count)
            z[..., tile.outputs] += encoding.decode(counts, tile.weights)
        return z

    return run_layers(plan.ops, x, matvec)


def chip_accuracies(plan: MappingPlan, array: SRAMArray, x: np.ndarray, labels: np.ndarray,
                    seed: int, chips: int, variation: bool = True, chunk: int = 16,
                    progress: bool = False) -> np.ndarray:
    """Test accuracy of each of ``chips`` chip instances, float64 (chips,).

    Without variation every chip is the nominal one, so it is simulated once.
    """
    if not variation:
        nominal = sample_chips(array, plan, chip_seeds(seed, 1), variation=False)
        accuracy = np.mean(hardware_logits(plan, array, x, nominal)[0].argmax(-1) == labels)
        return np.full(chips, accuracy)
    seeds = chip_seeds(seed, chips)
    result = np.empty(chips)
    with tqdm(total=chips, desc="chips", unit="chip", disable=not progress) as bar:
        for start in range(0, chips, chunk):
            block = seeds[start:start + chunk]
            logits = hardware_logits(plan, array, x, sample_chips(array, plan, block, variation))
            result[start:start + len(block)] = np.mean(logits.argmax(-1) == labels, axis=-1)
            bar.update(len(block))
    return result
