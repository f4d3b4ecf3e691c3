"""The neutral layer spec: what the mapper needs to know about one network layer.

`imc.nn` exports a network as a list of integer operations: `LayerSpec` (an integer
matrix-vector product with its digital output stage; convolutions as im2col matrices),
`PoolSpec` (max pooling of integer codes) and `FlattenSpec`. The mapper and the engines
consume them without knowing the network classes that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from imc.errors import MappingError
from imc.mapping._kernels import SCAN_THRESHOLDS, search_table, table_passed, thresholds_passed, two_level_codes

BINARY_LEVELS = (-1, 1)


@dataclass(frozen=True)
class ConvGeometry:
    """A 2-D convolution in NHWC layout: kernel (kh, kw), stride, zero padding, input (H, W, C)."""

    kernel: tuple[int, int]
    stride: int
    padding: int
    in_shape: tuple[int, int, int]

    @property
    def out_shape(self) -> tuple[int, int]:
        h, w, _ = self.in_shape
        kh, kw = self.kernel
        return ((h + 2 * self.padding - kh) // self.stride + 1, (w + 2 * self.padding - kw) // self.stride + 1)

    def im2col(self, x: np.ndarray) -> np.ndarray:
        """(..., H, W, C) -> patches (..., Ho, Wo, kh*kw*C) in (kh, kw, C) order, zero padded."""
        p = self.padding
        if p:
            x = np.pad(x, [(0, 0)] * (x.ndim - 3) + [(p, p), (p, p), (0, 0)])
        kh, kw = self.kernel
        windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(-3, -2))
        windows = windows[..., ::self.stride, ::self.stride, :, :, :]   # (..., Ho, Wo, C, kh, kw)
        windows = np.moveaxis(windows, -3, -1)                          # (..., Ho, Wo, kh, kw, C)
        return windows.reshape(*windows.shape[:-3], kh * kw * x.shape[-1])


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One layer as an integer matrix-vector product followed by a digital output stage.

    The layer computes ``z = x @ weights`` on integer input codes ``x`` (last axis ``n_in``;
    for a convolution, the im2col patches of the input feature map, see ``conv``) and then
    either

    * ``thresholds`` (quantized activations): output code ``levels[#{k : z >= thresholds[k]}]``
      per output; a BatchNorm and the next layer's activation quantizer folded into integer
      comparator thresholds (for a BNN, one threshold per column and levels {-1, +1}:
      Courbariaux et al., "Binarized Neural Networks", NeurIPS 2016, Sec. 2); or
    * ``scale``/``offset`` (a final classifier): ``y = scale * z + offset`` (float logits).

    With ``part_gains`` (parts, n_out) the matrix holds ``parts`` integer blocks side by side (columns
    p n_out .. (p + 1) n_out - 1 for part p), each read on the arrays as a layer of its own, and the
    digital periphery combines them, u = sum_p part_gains[p] * z_p (float), before the output stage
    (then on u): how a ternary layer with unequal positive and negative values +W_p / -W_n (TTQ: Zhu,
    Han, Mao & Dally, "Trained Ternary Quantization", ICLR 2017) maps exactly, as two binary masks.

    Attributes:
        name: layer name, used in reports.
        weights: integer matrix, shape ``(n_in, columns)``, columns = parts x n_out.
        weight_bits: bits of one weight code (1: values in {-1, +1}).
        input_bits: bits of one input code (1: values in {-1, +1}, or 0 for zero padding).
        input_signed: k-bit input codes in two's complement, [-2^(k-1), 2^(k-1) - 1] (else [0, 2^k - 1]).
        thresholds: integer thresholds, shape ``(n_out,)`` for binary outputs or
            ``(levels - 1, n_out)``; or None.
        levels: the integer output codes, ascending (default {-1, +1}).
        scale, offset: float affine output stage, shape ``(n_out,)``, or None.
        conv: the convolution geometry when the layer is a convolution, else None.
    """

    name: str
    weights: np.ndarray
    weight_bits: int = 1
    input_bits: int = 1
    thresholds: np.ndarray | None = None
    levels: tuple[int, ...] | np.ndarray = BINARY_LEVELS
    scale: np.ndarray | None = None
    offset: np.ndarray | None = None
    conv: ConvGeometry | None = None
    part_gains: np.ndarray | None = None
    input_signed: bool = False

    def __post_init__(self) -> None:
        w = np.asarray(self.weights)
        if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] < 1:
            raise MappingError(f"layer {self.name!r}: weights must be a non-empty 2-D matrix "
                               f"(n_in, n_out), got shape {w.shape}")
        if not np.issubdtype(w.dtype, np.integer):
            raise MappingError(f"layer {self.name!r}: weights must be integers, got dtype {w.dtype}")
        if not (isinstance(self.weight_bits, int) and 1 <= self.weight_bits <= 16):
            raise MappingError(f"layer {self.name!r}: weight_bits = {self.weight_bits!r}, allowed 1..16")
        if not (isinstance(self.input_bits, int) and 1 <= self.input_bits <= 16):
            raise MappingError(f"layer {self.name!r}: input_bits = {self.input_bits!r}, allowed 1..16")
        if not isinstance(self.input_signed, bool):
            raise MappingError(f"layer {self.name!r}: input_signed = {self.input_signed!r}, allowed true or false")
        if self.weight_bits == 1 and not np.all(np.abs(w) == 1):
            raise MappingError(f"layer {self.name!r}: 1-bit weights must be -1 or +1, "
                               f"found values {np.unique(w)[:5]}")
        if np.unique(w).size > 2 ** self.weight_bits:
            raise MappingError(f"layer {self.name!r}: {np.unique(w).size} distinct weight values do not "
                               f"fit in weight_bits = {self.weight_bits}")
        has_threshold = self.thresholds is not None
        has_affine = self.scale is not None and self.offset is not None
        if has_threshold == has_affine:
            raise MappingError(f"layer {self.name!r}: give either thresholds or both "
                               "scale and offset as the output stage")
        n_out = w.shape[1]
        if self.part_gains is not None:
            gains = np.asarray(self.part_gains, dtype=np.float64)
            if gains.ndim != 2 or gains.shape[0] < 2 or gains.shape[0] * gains.shape[1] != n_out \
                    or not np.all(np.isfinite(gains)):
                raise MappingError(f"layer {self.name!r}: part_gains must be finite, of shape (parts >= 2, "
                                   f"columns / parts) for the {n_out} weight columns, got {gains.shape}")
            object.__setattr__(self, "part_gains", gains)
            n_out = gains.shape[1]
        if has_threshold:
            t = np.asarray(self.thresholds)
            levels = np.asarray(self.levels)
            if t.shape[-1] != n_out or t.ndim not in (1, 2):
                raise MappingError(f"layer {self.name!r}: thresholds must have shape ({n_out},) or "
                                   f"(levels - 1, {n_out}), got {t.shape}")
            if t.reshape(-1, n_out).shape[0] != levels.size - 1:
                raise MappingError(f"layer {self.name!r}: {levels.size} output levels need "
                                   f"{levels.size - 1} thresholds per output, got {t.reshape(-1, n_out).shape[0]}")
        for field in ("scale", "offset"):
            value = getattr(self, field)
            if value is not None and np.shape(value) != (n_out,):
                raise MappingError(f"layer {self.name!r}: {field} must have shape ({n_out},), "
                                   f"got {np.shape(value)}")
        if self.conv is not None:
            kh, kw = self.conv.kernel
            if kh * kw * self.conv.in_shape[2] != w.shape[0]:
                raise MappingError(f"layer {self.name!r}: a {kh}x{kw} convolution over "
                                   f"{self.conv.in_shape[2]} channels needs {kh * kw * self.conv.in_shape[2]} "
                                   f"weight rows, got {w.shape[0]}")
        object.__setattr__(self, "weights", w.astype(np.int8 if np.abs(w).max() < 128 else np.int32))
        object.__setattr__(self, "levels", np.asarray(self.levels, dtype=np.int32))

    @property
    def n_in(self) -> int:
        return self.weights.shape[0]

    @property
    def columns(self) -> int:
        """Columns of the weight matrix: what the arrays hold (parts x n_out with ``part_gains``)."""
        return self.weights.shape[1]

    @property
    def n_out(self) -> int:
        """Outputs of the layer."""
        return self.columns if self.part_gains is None else self.part_gains.shape[1]

    @property
    def output_positions(self) -> int:
        """Output pixels of a convolution (1 for a dense layer)."""
        return int(np.prod(self.conv.out_shape)) if self.conv else 1

    @property
    def macs(self) -> int:
        """Multiply-accumulates per input sample."""
        return self.n_in * self.n_out * self.output_positions

    @property
    def binary(self) -> bool:
        """Binary weights and inputs, binary (sign) or float outputs."""
        return self.weight_bits == 1 and self.input_bits == 1

    def output(self, z: np.ndarray) -> np.ndarray:
        """Apply the digital output stage to integer pre-activations ``z`` (last axis ``columns``;
        with ``part_gains`` first combined into n_out float values)."""
        if self.part_gains is not None:
            z = sum(gain * z[..., p * self.n_out:(p + 1) * self.n_out] for p, gain in enumerate(self.part_gains))
        if self.thresholds is None:
            return self.scale * z + self.offset
        t = np.asarray(self.thresholds).reshape(-1, self.n_out)
        levels = self.levels.astype(np.int8 if np.abs(self.levels).max() < 128 else np.int32)
        flat = np.ascontiguousarray(z).reshape(-1, self.n_out)
        if t.shape[0] == 1:  # one comparator per output (binary outputs)
            codes = two_level_codes(flat, self._thresholds[0], int(levels[0]), int(levels[1]),
                                    np.empty(flat.shape, levels.dtype))
            return codes.reshape(z.shape)
        passed = np.empty(flat.shape, dtype=np.int16)
        if self._search is None:
            thresholds_passed(flat, self._thresholds, passed)
        else:
            table_passed(flat, *self._search, passed)
        passed = passed.reshape(z.shape)
        if self._level_step is None:
            return np.take(levels, passed)
        codes = passed.astype(np.int32)  # evenly spaced levels: level0 + step * passed, without a gather
        step, first = self._level_step
        if step != 1:
            codes *= step
        if first != 0:
            codes += first
        return codes.astype(levels.dtype, copy=False)

    @cached_property
    def _level_step(self) -> tuple[int, int] | None:
        """(step, first level) of evenly spaced output levels (a uniform quantizer's), else None."""
        steps = np.diff(self.levels)
        return (int(steps[0]), int(self.levels[0])) if np.all(steps == steps[0]) else None

    @cached_property
    def _thresholds(self) -> np.ndarray:
        """(levels - 1, n_out) float64 thresholds, each column ascending (the count of thresholds passed
        does not depend on their order) and C-contiguous for the output kernel (float64 compares integer
        pre-activations exactly below 2^53)."""
        return np.ascontiguousarray(np.sort(np.asarray(self.thresholds, dtype=np.float64).reshape(-1, self.n_out),
                                            axis=0))

    @cached_property
    def _search(self) -> tuple[np.ndarray, ...] | None:
        """The guided search's tables of more than `SCAN_THRESHOLDS` thresholds per output (`search_table`),
        built once; None for fewer."""
        return search_table(self._thresholds) if self._thresholds.shape[0] > SCAN_THRESHOLDS else None

    def matvec_input(self, x: np.ndarray) -> np.ndarray:
        """The matrix input for layer input ``x``: x itself, or its im2col patches for a convolution."""
        return self.conv.im2col(x) if self.conv else x


@dataclass(frozen=True)
class PoolSpec:
    """Max pooling of integer codes over ``size`` x ``size`` windows with ``stride`` (NHWC).

    Exact on codes because every output stage maps to ascending codes (monotone)."""

    name: str
    size: int
    stride: int

    def apply(self, x: np.ndarray) -> np.ndarray:
        windows = np.lib.stride_tricks.sliding_window_view(x, (self.size, self.size), axis=(-3, -2))
        return windows[..., ::self.stride, ::self.stride, :, :, :].max(axis=(-2, -1))


@dataclass(frozen=True)
class FlattenSpec:
    """(..., H, W, C) -> (..., H*W*C)."""

    name: str = "flatten"

    def apply(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(*x.shape[:-3], -1)


def exact_integer_matmul(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Integer x @ weights through float64 BLAS: exact while every |sum| < 2^53 (int64 result)."""
    return np.rint(x.astype(np.float64) @ weights.astype(np.float64)).astype(np.int64)


def matrix_layers(ops: list) -> list[LayerSpec]:
    """The matrix layers of an op list, in order."""
    return [op for op in ops if isinstance(op, LayerSpec)]


def run_layers(ops: list, x: np.ndarray, matvec=None) -> np.ndarray:
    """Run a chain of integer ops on input codes ``x`` and return the last op's output.

    ``matvec(index, layer, x) -> z`` computes a matrix layer's integer pre-activations from
    its matrix input (index counts matrix layers only); the default is the exact integer
    product, i.e. the software reference that hardware must reproduce.
    """
    index = 0
    for op in ops:
        if not isinstance(op, LayerSpec):
            x = op.apply(x)
            continue
        patches = op.matvec_input(x)
        if matvec is None:
            z = exact_integer_matmul(patches, op.weights)
        else:
            z = matvec(index, op, patches)
        x = op.output(z)
        index += 1
    return x
