"""Functional engine: what the arrays output, for many Monte-Carlo chip instances at once.

Every tile's column sums are one batched float32 GEMM of the input signs and the chips'
folded cells; bit-line physics, each chip's column ADCs and the decoding of counts run in
one fused Numba kernel per tile, which also adds the partial sums of row tiles. Chip ``i``
draws its static variation from ``SeedSequence(seed).spawn(chips)[i]``, so results do not
depend on how chips are chunked.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from imc.arrays import ArrayInstance, SRAMArray
from imc.mapping import ENCODINGS, MappingPlan, active
from imc.mapping.spec import run_layers


def chip_seeds(seed: int, chips: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chip instance."""
    return np.random.SeedSequence(seed).spawn(chips)


def sample_chips(array: SRAMArray, plan: MappingPlan, seeds: list[np.random.SeedSequence],
                 variation: bool) -> list[ArrayInstance]:
    """Static state (cells and column ADCs) of every array of each of the given chips."""
    return [array.sample_instance(plan.n_arrays, np.random.default_rng(s), variation) for s in seeds]


def hardware_logits(plan: MappingPlan, array: SRAMArray, x: np.ndarray, chips: list[ArrayInstance]) -> np.ndarray:
    """Network outputs computed by the arrays of each chip.

    x: (batch, ...) first-op input codes; chips: the chips' array instances.
    Returns (chips, batch, n_out) outputs of the last layer.

    Each tile's cell matrix is folded by the encoding (`SignEncoding.fold`), so its column sums
    are one float32 GEMM of the input signs per chip; one fused kernel per tile then discharges
    the bit lines, converts with each chip's ADCs, decodes and adds the partial sums of the row
    tiles (`SRAMArray.accumulate_counts`).
    """
    encoding = ENCODINGS[plan.encoding]()
    cells_all = np.stack([chip.cells for chip in chips])

    def matvec(index, layer, x_layer):
        placement = plan.layers[index]
        latch = uses_sense_amp(array, plan, placement)
        signs = active(x_layer)
        z = np.zeros((len(chips), *x_layer.shape[-2:-1], layer.n_out), dtype=np.int32)
        for tile in placement.tiles:
            rows, cols = tile.states.shape
            weights, base = encoding.fold(tile.states * cells_all[:, tile.array_index, :rows, :cols])
            cell_sum = column_sums(np.ascontiguousarray(signs[..., tile.inputs]), weights)
            if latch:
                _latch_tile(array, placement, layer, tile, cell_sum + base[:, None, :], chips, z)
                continue
            decoding = encoding.decoding(tile.weights)
            array.accumulate_counts(cell_sum, base, placement.full_scale_count,
                                    [chip.adcs[tile.array_index] for chip in chips], z, tile.outputs.start,
                                    decoding.gain, decoding.column_offset, decoding.reference_gain)
        return z

    return run_layers(plan.ops, x, matvec)


def column_sums(signs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column sums (chips, batch, c) float32 of input signs (batch, n), shared by the chips, or
    (chips, batch, n), times each chip's folded cells (chips, n, c): one BLAS GEMM per chip (a
    loop of plain GEMMs beats NumPy's stacked matmul here by 1.5-2x)."""
    out = np.empty((weights.shape[0], signs.shape[-2], weights.shape[-1]), dtype=np.float32)
    for chip in range(weights.shape[0]):
        np.matmul(signs if signs.ndim == 2 else signs[chip], weights[chip], out=out[chip])
    return out


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
