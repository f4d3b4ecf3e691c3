"""Sign encodings: how {-1, +1} weights and inputs become stored bits and word lines.

An encoding turns a tile of a binary weight matrix into a 0/1 cell pattern, an input
slice into 0/1 word-line activations, and the columns' popcounts back into the signed
partial dot product. Registry: ``ENCODINGS``.
"""

from __future__ import annotations

import numpy as np


class XnorEncoding:
    """Complementary rows: each weight uses two cells (w and not-w), each input two word lines.

    Input x_i raises row 2i when x_i = +1 and row 2i+1 when x_i = -1; row 2i stores
    [w = +1], row 2i+1 stores [w = -1]. A column then counts the matches XNOR(x, w), and
    x.w = 2 * matches - n. This is the complementary-storage XNOR scheme of SRAM BNN
    macros (e.g. Yin, Jiang, Seo & Seok, "XNOR-SRAM", IEEE JSSC 55(6), 2020; Jiang et al.,
    "XNOR-SRAM", VLSI 2018), realised with single-ended 6T bit-line reads.
    """

    name = "xnor"
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

    def full_scale_count(self, n_inputs: int) -> int:
        """Largest count a column can reach: one conducting cell per input."""
        return n_inputs

    def decode(self, counts: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Column counts (..., m) -> partial dot products (..., m)."""
        return 2 * counts - w.shape[0]


class OffsetReferenceEncoding:
    """One row per input storing b = (w+1)/2, plus one reference column of ones.

    Input x_i raises row i when x_i = +1 (a_i = (x_i+1)/2). Column j counts
    P_j = sum a_i b_ij, the reference column counts R = sum a_i, and with the per-column
    constant B_j = sum_i b_ij:  x.w_j = 4 P_j - 2 R - 2 B_j + n, from
    x.w = sum (2a-1)(2b-1) (the offset + reference-column scheme used for signed weights on
    unipolar cells, as in the biased weight encoding of Shafiee et al., "ISAAC", ISCA 2016).
    """

    name = "offset"
    rows_per_input = 1
    reference_columns = 1

    def cell_states(self, w: np.ndarray) -> np.ndarray:
        ones = np.ones((w.shape[0], 1), dtype=np.uint8)
        return np.concatenate([(w > 0).astype(np.uint8), ones], axis=1)

    def word_lines(self, x: np.ndarray) -> np.ndarray:
        return (x > 0).astype(np.float32)

    def full_scale_count(self, n_inputs: int) -> int:
        return n_inputs

    def decode(self, counts: np.ndarray, w: np.ndarray) -> np.ndarray:
        column_ones = (w > 0).sum(axis=0)
        reference = counts[..., -1:]
        return 4 * counts[..., :-1] - 2 * reference - 2 * column_ones + w.shape[0]


ENCODINGS = {cls.name: cls for cls in (XnorEncoding, OffsetReferenceEncoding)}
