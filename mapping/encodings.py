"""Sign encodings: how {-1, +1} weights and inputs become stored bits and word lines.

An encoding turns a tile of a binary weight matrix into a 0/1 cell pattern, an input
slice into 0/1 word-line activations, and the columns' popcounts back into the signed
partial dot product. Registry: ``ENCODINGS``.

Both encodings raise word lines that are affine in the inputs' signs a = [x > 0], so the
column sums of a cell matrix C fold into one product on a:
``word_lines(x) @ C == active(x) @ W + k`` with ``W, k = fold(C)``; the engine runs that
product (one GEMM with one row per input, half the rows of the XNOR word lines). Their
decoding of counts is affine too (`CountDecoding`), so it fuses into the sensing kernel.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from imc.errors import require
from imc.mapping._kernels import positive_float32
from imc.registry import Registry


@dataclass(frozen=True, eq=False)
class CountDecoding:
    """Column counts -> partial dot products: z_j = gain * count_j + column_offset_j
    + reference_gain * count_ref, where count_ref is the count of the tile's last column
    (a reference column) when ``reference_gain`` is non-zero. ``column_offset``: int32 (n_out,).
    """

    gain: int
    column_offset: np.ndarray
    reference_gain: int = 0

    @property
    def n_out(self) -> int:
        return self.column_offset.shape[0]

    def count_thresholds(self, thresholds: np.ndarray) -> np.ndarray:
        """Smallest count per column whose decoded z reaches ``thresholds`` (n_out,): z >= t is
        count >= ceil((t - column_offset) / gain), for a decoding without a reference column and
        a positive gain (what a per-column latch compares against)."""
        require("decoding", (self.gain, self.reference_gain), self.gain > 0 and self.reference_gain == 0,
                "a latch threshold needs a positive gain and no reference column")
        return np.ceil((np.asarray(thresholds) - self.column_offset) / self.gain).astype(np.int64)

    def apply(self, counts: np.ndarray) -> np.ndarray:
        """Counts (..., n_out [+ 1 reference]) -> int64 partial dot products (..., n_out)."""
        counts = np.asarray(counts, dtype=np.int64)
        z = self.gain * counts[..., :self.n_out] + self.column_offset
        if self.reference_gain:
            z += self.reference_gain * counts[..., self.n_out:self.n_out + 1]
        return z


@dataclass(frozen=True, eq=False)
class LatchDecision:
    """A sign layer's columns read by 1-bit latches instead of ADCs: column j passes when its count
    reaches ``count_thresholds[j]``; the layer then sees z_j = ``passed_z[j]`` or ``failed_z[j]``
    (its threshold t_j or t_j - 1), which its sign stage turns back into the latch's decision."""

    count_thresholds: np.ndarray
    passed_z: np.ndarray
    failed_z: np.ndarray

    @classmethod
    def for_thresholds(cls, decoding: CountDecoding, thresholds: np.ndarray) -> "LatchDecision":
        t = np.asarray(thresholds, dtype=np.int64)
        return cls(decoding.count_thresholds(t), t.astype(np.int32), (t - 1).astype(np.int32))

    def apply(self, passed: np.ndarray) -> np.ndarray:
        """Decisions (..., n_out) bool -> int32 pre-activations (..., n_out)."""
        return np.where(passed, self.passed_z, self.failed_z)


def active(x: np.ndarray) -> np.ndarray:
    """(..., n) inputs in {-1,+1} -> (..., n) float32 signs a = [x > 0] in {0, 1} (`positive_float32`)."""
    rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
    return positive_float32(rows, np.empty(rows.shape, dtype=np.float32)).reshape(x.shape)


class SignEncoding(ABC):
    """How a tile of {-1,+1} weights and inputs uses 0/1 cells and word lines."""

    key: str
    rows_per_input: int
    reference_columns: int
    steps = 1  # largest drive of one word line in one cycle: raised or not

    @abstractmethod
    def cell_states(self, w: np.ndarray) -> np.ndarray:
        """(n, m) weights -> (rows_per_input n, m + reference_columns) uint8 stored bits."""

    @abstractmethod
    def word_lines(self, x: np.ndarray) -> np.ndarray:
        """(..., n) inputs -> (..., rows_per_input n) float32 word-line activations in {0, 1}."""

    @abstractmethod
    def fold(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell matrix (..., rows, m) -> (W (..., n, m), k (..., m)), word_lines(x) @ cells ==
        active(x) @ W + k."""

    @abstractmethod
    def decoding(self, w: np.ndarray) -> CountDecoding:
        """The affine map from a tile's column counts to its partial dot products."""

    def fold_inputs(self, x: np.ndarray) -> np.ndarray:
        """The left operand of the folded product: the inputs' signs `active` (float32)."""
        return active(x)

    def drives(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """Every array cycle's drive stacked (cycles * batch, n) float32, and each cycle's significance:
        one cycle, the folded drive `fold_inputs` with significance 1."""
        return self.fold_inputs(x), (1,)

    def full_scale_count(self, n_inputs: int) -> int:
        """Largest count a column can reach: one conducting cell per input."""
        return n_inputs

    def decode(self, counts: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Column counts (..., m [+ reference]) -> int64 partial dot products (..., m)."""
        return self.decoding(w).apply(counts)


ENCODINGS = Registry("sign encoding")


@ENCODINGS.register("xnor")
class XnorEncoding(SignEncoding):
    """Complementary rows: each weight uses two cells (w and not-w), each input two word lines.

    Input x_i raises row 2i when x_i = +1 and row 2i+1 when x_i = -1; row 2i stores
    [w = +1], row 2i+1 stores [w = -1]. A column then counts the matches XNOR(x, w), and
    x.w = 2 * matches - n. This is the complementary-storage XNOR scheme of SRAM BNN
    macros (e.g. Yin, Jiang, Seo & Seok, "XNOR-SRAM", IEEE JSSC 55(6), 2020; Jiang et al.,
    "XNOR-SRAM", VLSI 2018), realised with single-ended 6T bit-line reads.
    """

    rows_per_input = 2
    reference_columns = 0

    def cell_states(self, w: np.ndarray) -> np.ndarray:
        """(n, m) weights in {-1,+1} -> (2n, m) uint8 stored bits."""
        states = np.empty((2 * w.shape[0], w.shape[1]), dtype=np.uint8)
        states[0::2] = w > 0
        states[1::2] = w < 0
        return states

    def word_lines(self, x: np.ndarray) -> np.ndarray:
        """(..., n) inputs in {-1,+1} -> (..., 2n) float32 activations in {0, 1}."""
        wl = np.empty((*x.shape[:-1], 2 * x.shape[-1]), dtype=np.float32)
        wl[..., 0::2] = x > 0
        wl[..., 1::2] = x < 0
        return wl

    def fold(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell matrix (..., 2n, m) -> (W (..., n, m), k (..., m)) with word_lines(x) @ cells ==
        active(x) @ W + k: row 2i is driven by a_i and row 2i+1 by 1 - a_i."""
        return cells[..., 0::2, :] - cells[..., 1::2, :], cells[..., 1::2, :].sum(axis=-2)

    def decoding(self, w: np.ndarray) -> CountDecoding:
        """x.w = 2 * matches - n for the tile's (n, m) weights."""
        return CountDecoding(2, np.full(w.shape[1], -w.shape[0], dtype=np.int32))


@ENCODINGS.register("offset")
class OffsetReferenceEncoding(SignEncoding):
    """One row per input storing b = (w+1)/2, plus one reference column of ones.

    Input x_i raises row i when x_i = +1 (a_i = (x_i+1)/2). Column j counts
    P_j = sum a_i b_ij, the reference column counts R = sum a_i, and with the per-column
    constant B_j = sum_i b_ij:  x.w_j = 4 P_j - 2 R - 2 B_j + n, from
    x.w = sum (2a-1)(2b-1) (the offset + reference-column scheme used for signed weights on
    unipolar cells, as in the biased weight encoding of Shafiee et al., "ISAAC", ISCA 2016).
    """

    rows_per_input = 1
    reference_columns = 1

    def cell_states(self, w: np.ndarray) -> np.ndarray:
        ones = np.ones((w.shape[0], 1), dtype=np.uint8)
        return np.concatenate([(w > 0).astype(np.uint8), ones], axis=1)

    def word_lines(self, x: np.ndarray) -> np.ndarray:
        return active(x)

    def fold(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The word lines are the signs themselves: W = cells, k = 0."""
        return cells, np.zeros((*cells.shape[:-2], cells.shape[-1]), dtype=cells.dtype)

    def decoding(self, w: np.ndarray) -> CountDecoding:
        """x.w_j = 4 P_j - 2 R - 2 B_j + n for the tile's (n, m) weights."""
        column_ones = (w > 0).sum(axis=0)
        return CountDecoding(4, (w.shape[0] - 2 * column_ones).astype(np.int32), reference_gain=-2)


