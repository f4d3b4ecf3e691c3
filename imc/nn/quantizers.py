"""Quantizers of the literature: forward quantisation and straight-through-estimator (STE) gradients.

Every quantizer is a small class with

- ``quantize(x) -> QuantizedTensor``: integer codes with their scale and offset,
  ``values = codes * scale + offset``;
- ``forward(x, train)``: the quantized values, computed as ``quantize(x).values()`` so the
  float path and the integer path agree bit for bit; it caches the input;
- ``backward(grad)``: the STE gradient w.r.t. the cached input, filling ``grads`` for the
  learnable parameters in ``params``.

Activation quantizers (`ActivationQuantizer`) are monotone staircases with data-independent
scale: ``codes = integer_levels()[#{j : x >= thresholds()[j]}]``. They compute their codes
exactly that way, so a downstream comparator on a monotone pre-activation reproduces them.
Rounding is half-up, ``floor(v + 0.5)`` (never NumPy's half-to-even ``np.round``), which is
what counting ``x >= (j - 1/2) step`` thresholds gives.

``make_quantizer(name, **options)`` builds one from the registry ``QUANTIZERS``
(``quantizer_from`` from a network description's table). Mixed precision is one quantizer per
layer, each with its own ``bits``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import inspect
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from imc.errors import ParameterError, int_in_range, positive, require
from imc.registry import Registry

MAX_BITS = 16

QUANTIZERS = Registry("quantizer")


@dataclass(frozen=True, eq=False)
class QuantizedTensor:
    """Integer codes with the affine map back to real values: ``values = codes * scale + offset``.

    codes: int32, the input's shape. scale, offset: float64, shape () (per tensor), (C,) (per
    channel, the last axis), or any shape that broadcasts to ``codes`` (XNOR-Net activations,
    one scale per position). bits: bits needed to store one code, ceil(log2(number of levels)).
    """

    codes: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    bits: int

    def __post_init__(self):
        require("codes", self.codes.dtype, self.codes.dtype == np.int32, "codes must be int32")
        require("scale", self.scale.shape, self.scale.shape == self.offset.shape,
                f"scale and offset must have the same shape (offset {self.offset.shape})")
        trailing = self.codes.shape[len(self.codes.shape) - len(self.scale.shape):]
        require("scale", self.scale.shape, len(self.scale.shape) <= len(self.codes.shape) and all(
                    s in (1, c) for s, c in zip(self.scale.shape, trailing)),
                f"must broadcast to the codes' shape {self.codes.shape}")
        int_in_range("bits", self.bits, 1, MAX_BITS)

    def values(self) -> np.ndarray:
        """The real values the codes stand for (float64, the codes' shape)."""
        return self.codes * self.scale + self.offset


def _checked_input(x) -> np.ndarray:
    """``x`` as a float64 array; non-finite entries raise `ParameterError`."""
    x = np.asarray(x, dtype=np.float64)
    bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
    require("x", f"{bad} non-finite entries", bad == 0, "quantizer inputs must be finite")
    return x


def _reduction_axes(x: np.ndarray, per_channel: bool) -> tuple[int, ...]:
    """Axes a weight statistic averages over: all (per tensor) or all but the last (per channel)."""
    require("x", x.shape, x.size > 0, "needs a non-empty array to compute its scale")
    if per_channel:
        require("x", x.shape, x.ndim >= 2, "per-channel quantization needs shape (..., channels)")
        return tuple(range(x.ndim - 1))
    return tuple(range(x.ndim))


def _channel_shaped(stat: np.ndarray, per_channel: bool) -> np.ndarray:
    """A keepdims statistic as a QuantizedTensor scale: shape (C,) per channel, () per tensor."""
    return stat.reshape(stat.shape[-1]) if per_channel else stat.reshape(())


def _round_half_up(v: np.ndarray) -> np.ndarray:
    """Nearest integer with ties up, floor(v + 0.5), as int32."""
    return np.floor(v + 0.5).astype(np.int32)


def _sign_codes(x: np.ndarray) -> np.ndarray:
    """+1 where x >= 0, else -1 (sign(0) = +1 so every code is binary), int32."""
    return np.where(x >= 0, 1, -1).astype(np.int32)


def _check_bool(field: str, value) -> None:
    require(field, value, isinstance(value, bool), "must be True or False")


class Quantizer(ABC):
    """Base class: ``forward`` goes through ``quantize().values()`` and caches the input.

    Subclasses implement ``_quantize(x)`` (x already checked) and ``_backward(x, grad)``.
    ``latent_clip``: weights quantized by this quantizer are clipped to [-c, c] after each
    optimiser step (BinaryConnect: Courbariaux, Bengio & David, "BinaryConnect", NeurIPS 2015);
    None means no clipping.
    """

    key: ClassVar[str]
    latent_clip: ClassVar[float | None] = None

    def __init__(self, bits: int):
        self.bits = bits
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(bits={self.bits})"

    def quantize(self, x: np.ndarray) -> QuantizedTensor:
        """Integer codes, scale and offset of ``x``."""
        return self._quantize(_checked_input(x))

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Quantized values of ``x`` (float64); ``train`` does not change a quantizer's output."""
        x = _checked_input(x)
        self._x = x
        return self._values(x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """STE gradient w.r.t. the input of the last ``forward``; fills ``grads``."""
        require("grad", None if self._x is None else np.shape(grad),
                self._x is not None and np.shape(grad) == self._x.shape,
                "backward needs a preceding forward(x) and a gradient of x's shape "
                f"{None if self._x is None else self._x.shape}")
        return self._backward(self._x, np.asarray(grad, dtype=np.float64))

    def _values(self, x: np.ndarray) -> np.ndarray:
        return self._quantize(x).values()

    @abstractmethod
    def _quantize(self, x: np.ndarray) -> QuantizedTensor:
        """Implemented by each subclass."""

    @abstractmethod
    def _backward(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Implemented by each subclass."""


class ActivationQuantizer(Quantizer):
    """A monotone staircase with data-independent levels, usable as comparator thresholds.

    ``quantize(x).codes == integer_levels()[#{j : x >= b_j}]`` holds exactly because the codes
    are computed that way (a binary search of x among the thresholds), and
    ``values = scale * code + offset``. Subclasses give ``thresholds``, ``integer_levels`` and
    ``_scale_offset``.
    """

    @abstractmethod
    def thresholds(self) -> np.ndarray:
        """Ascending input-domain boundaries b_1..b_{L-1} (float64)."""

    @abstractmethod
    def integer_levels(self) -> np.ndarray:
        """The L integer codes, ascending (int32)."""

    @abstractmethod
    def _scale_offset(self) -> tuple[float, float]:
        """Implemented by each subclass."""

    def _quantize(self, x: np.ndarray) -> QuantizedTensor:
        passed = np.searchsorted(self.thresholds(), x, side="right")
        scale, offset = self._scale_offset()
        return QuantizedTensor(self.integer_levels()[passed], np.array(scale, dtype=np.float64),
                               np.array(offset, dtype=np.float64), self.bits)


@QUANTIZERS.register("ste_sign")
class SignSTE(ActivationQuantizer):
    """Binary sign, +1 if x >= 0 else -1, with the hard-tanh straight-through estimator.

    Codes are the values {-1, +1} (scale 1, offset 0, 1 bit); threshold 0. Backward:
    ``grad * 1{|x| <= 1}``. Used for weights (BinaryConnect, with latent weights clipped to
    [-1, 1]) and for activations. Source: Hubara, Courbariaux, Soudry, El-Yaniv & Bengio,
    "Binarized Neural Networks", NeurIPS 2016 (deterministic sign and the STE
    g_r = g_q 1_{|r| <= 1}).
    """

    latent_clip = 1.0

    def __init__(self, bits: int = 1):
        require("bits", bits, bits == 1, "ste_sign stores 1-bit codes; must be 1")
        super().__init__(bits)

    def thresholds(self) -> np.ndarray:
        return np.array([0.0])

    def integer_levels(self) -> np.ndarray:
        return np.array([-1, 1], dtype=np.int32)

    def _scale_offset(self) -> tuple[float, float]:
        return 1.0, 0.0

    def _backward(self, x, grad):
        return grad * (np.abs(x) <= 1.0)


class _ScaledSign(Quantizer):
    """XNOR-Net's scaled binarisation: sign(x) times the mean |x| over ``_axes(x)``.

    Backward, as in XNOR-Net's gradient of the scaled sign,
    ``dC/dx_i = dC/dx~_i (1/n + scale * 1{|x_i| <= 1})`` with n the number of entries
    averaged into the scale: the 1/n term is the diagonal of the Jacobian of the mean |x|
    (sign(x_i)^2 / n); the cross terms sign(x_i) sign(x_j) / n are dropped, as in the paper.
    Source: Rastegari, Ordonez, Redmon & Farhadi, "XNOR-Net: ImageNet Classification Using
    Binary Convolutional Neural Networks", ECCV 2016.
    """

    def __init__(self, bits: int = 1):
        require("bits", bits, bits == 1, f"{self.key} stores 1-bit codes; must be 1")
        super().__init__(bits)

    @abstractmethod
    def _axes(self, x: np.ndarray) -> tuple[int, ...]:
        """Implemented by each subclass."""

    def _scale(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """Mean |x| over ``_axes`` (keepdims) and the number n of entries in each mean."""
        axes = self._axes(x)
        return np.abs(x).mean(axis=axes, keepdims=True), int(np.prod([x.shape[a] for a in axes]))

    def _backward(self, x, grad):
        scale, n = self._scale(x)
        return grad * (1.0 / n + scale * (np.abs(x) <= 1.0))


@QUANTIZERS.register("xnor_weight")
class XNORWeight(_ScaledSign):
    """XNOR-Net / BWN weights: alpha * sign(W), alpha = mean |W| per output channel (last axis).

    Codes ±1, scale alpha of shape (C,), offset 0. Input shape (..., C), e.g. (n_in, n_out) or
    (kh, kw, c_in, c_out); n = the number of weights per output channel. Latent weights are
    clipped to [-1, 1], the window of the STE. Source: see `_ScaledSign` (Rastegari et al.,
    ECCV 2016, Binary-Weight-Networks).
    """

    latent_clip = 1.0

    def _axes(self, x):
        return _reduction_axes(x, per_channel=True)

    def _quantize(self, x):
        scale, _ = self._scale(x)
        alpha = _channel_shaped(scale, per_channel=True)
        return QuantizedTensor(_sign_codes(x), alpha, np.zeros_like(alpha), self.bits)


@QUANTIZERS.register("xnor_activation")
class XNORActivation(_ScaledSign):
    """XNOR-Net binary inputs: sign(x) times K = mean |x| over the channel (last) axis at each position.

    ``quantize(x)`` returns codes ±1 and a scale of shape ``x.shape[:-1] + (1,)``: the scale is
    DATA-DEPENDENT (it changes with every input), so this is not an `ActivationQuantizer` and
    cannot be folded into fixed comparator thresholds. The spatial k x k box filter that
    XNOR-Net applies to K for a convolution belongs to the layer that uses it; here n = C.
    Source: see `_ScaledSign` (Rastegari et al., ECCV 2016: the matrix A and K of XNOR-Networks).
    """

    def _axes(self, x):
        require("x", x.shape, x.ndim >= 1 and x.shape[-1] > 0, "needs a channel (last) axis")
        return (x.ndim - 1,)

    def _quantize(self, x):
        scale, _ = self._scale(x)
        return QuantizedTensor(_sign_codes(x), scale, np.zeros_like(scale), self.bits)


@QUANTIZERS.register("twn")
class TWN(Quantizer):
    """Ternary weight networks: codes {-1, 0, +1} times alpha, threshold Delta = 0.7 mean |W|.

    Code +1 where W > Delta, -1 where W < -Delta, 0 where |W| <= Delta; alpha = mean of |W| over
    |W| > Delta (0 if no weight exceeds Delta, i.e. all weights are 0). Per output channel (last
    axis, scale shape (C,)) or per tensor (scale shape ()). Backward: identity STE. No latent
    clipping (None): Delta and alpha scale with the weights, so there is no fixed range to clip
    to. Source: Li, Zhang & Liu, "Ternary Weight Networks", arXiv:1605.04711, 2016 (the
    approximate solution Delta* = 0.7 E|W|, alpha* = mean |W_i| over i with |W_i| > Delta*).
    """

    DELTA_FACTOR: ClassVar[float] = 0.7

    def __init__(self, bits: int = 2, per_channel: bool = True):
        require("bits", bits, bits == 2, "twn stores 2-bit (ternary) codes; must be 2")
        _check_bool("per_channel", per_channel)
        super().__init__(bits)
        self.per_channel = per_channel

    def __repr__(self):
        return f"TWN(per_channel={self.per_channel})"

    def _quantize(self, x):
        axes = _reduction_axes(x, self.per_channel)
        magnitude = np.abs(x)
        delta = self.DELTA_FACTOR * magnitude.mean(axis=axes, keepdims=True)
        above = magnitude > delta
        count = above.sum(axis=axes, keepdims=True)
        total = np.where(above, magnitude, 0.0).sum(axis=axes, keepdims=True)
        alpha = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        alpha = _channel_shaped(alpha, self.per_channel)
        codes = np.where(above, _sign_codes(x), 0).astype(np.int32)
        return QuantizedTensor(codes, alpha, np.zeros_like(alpha), self.bits)

    def _backward(self, x, grad):
        return grad


@QUANTIZERS.register("ttq")
class TTQ(Quantizer):
    """Trained ternary quantization: values +W_p / 0 / -W_n with learned W_p, W_n (per tensor).

    Threshold Delta = t * max|W| (t = 0.05): code +1 where W > Delta, -1 where W < -Delta, 0
    otherwise. Because W_p != W_n the values are NOT affine in the codes {-1, 0, 1}, and a
    `QuantizedTensor` (one scale and one offset) cannot hold them exactly: ``quantize`` raises
    `ParameterError`; use ``ternary_codes(x)`` and ``scales()`` instead. ``forward`` is
    ``where(code > 0, W_p, where(code < 0, -W_n, 0))``.

    Backward (the paper's scaled gradients): latent ``dL/dW = W_p g`` where code = +1, ``g``
    where code = 0, ``W_n g`` where code = -1; ``dL/dW_p = sum of g over code +1`` and
    ``dL/dW_n = -(sum of g over code -1)``. The minus sign is the chain rule of the value -W_n
    (the paper writes the sum without it; its reference code, differentiating
    sign(w) * W_n, has it). W_p and W_n start at 1.0 as in that code. No latent clipping
    (None): the threshold is relative to max|W|. Source: Zhu, Han, Mao & Dally, "Trained
    Ternary Quantization", ICLR 2017.
    """

    def __init__(self, bits: int = 2, threshold: float = 0.05, w_pos: float = 1.0, w_neg: float = 1.0):
        require("bits", bits, bits == 2, "ttq stores 2-bit (ternary) codes; must be 2")
        require("threshold", threshold, isinstance(threshold, (int, float)) and 0.0 < threshold < 1.0,
                "must be a fraction of max|W| in (0, 1)")
        positive("w_pos", w_pos)
        positive("w_neg", w_neg)
        super().__init__(bits)
        self.threshold = float(threshold)
        self.params = {"w_pos": np.array(float(w_pos)), "w_neg": np.array(float(w_neg))}
        self.grads = {"w_pos": np.array(0.0), "w_neg": np.array(0.0)}

    def __repr__(self):
        return f"TTQ(threshold={self.threshold})"

    def _quantize(self, x):
        raise ParameterError("quantizer", self.key,
                             "TTQ values +W_p / 0 / -W_n are not affine in its integer codes; "
                             "use ternary_codes(x) and scales()")

    def ternary_codes(self, x: np.ndarray) -> np.ndarray:
        """Codes in {-1, 0, +1} (int32, the shape of x)."""
        x = _checked_input(x)
        magnitude = np.abs(x)
        require("x", x.shape, x.size > 0, "needs a non-empty array to compute its threshold")
        return np.where(magnitude > self.threshold * magnitude.max(), _sign_codes(x), 0).astype(np.int32)

    def scales(self) -> tuple[float, float]:
        """(W_p, W_n): code +1 stands for +W_p, code -1 for -W_n."""
        return float(self.params["w_pos"]), float(self.params["w_neg"])

    def _values(self, x):
        codes = self.ternary_codes(x)
        w_pos, w_neg = self.scales()
        return np.where(codes > 0, w_pos, np.where(codes < 0, -w_neg, 0.0))

    def _backward(self, x, grad):
        codes = self.ternary_codes(x)
        w_pos, w_neg = self.scales()
        self.grads["w_pos"] = np.array(grad[codes > 0].sum())
        self.grads["w_neg"] = np.array(-grad[codes < 0].sum())
        return grad * np.where(codes > 0, w_pos, np.where(codes < 0, w_neg, 1.0))


@QUANTIZERS.register("dorefa_weight")
class DoReFaWeight(Quantizer):
    """DoReFa-Net k-bit weights through tanh normalisation (per tensor).

    k >= 2: w~ = tanh(w) / (2 max|tanh(w)|) + 1/2, u = floor((2^k - 1) w~ + 1/2), code
    q = 2u - (2^k - 1) (odd integers in [-(2^k - 1), 2^k - 1]), scale 1/(2^k - 1), offset 0,
    i.e. w_q = 2 quantize_k(w~) - 1. Backward: STE through the rounding and the exact gradient
    of the tanh normalisation t/M (t = tanh(w), M = max|t|), including the term through M at its
    arg-max: dL/dw_i = g_i (1 - t_i^2) / M - [i = m] sign(t_m)(1 - t_m^2) / M^2 sum_j g_j t_j.
    k = 1: sign(w) * E|w| (codes ±1, scale mean |w|) with the identity STE.
    No latent clipping (None): the normalisation bounds the quantized weights whatever the
    latent ones. Source: Zhou, Wu, Ni, Zhou, Wen & Zou, "DoReFa-Net: Training Low Bitwidth
    Convolutional Neural Networks with Low Bitwidth Gradients", arXiv:1606.06160, 2016.
    """

    def __init__(self, bits: int = 1):
        int_in_range("bits", bits, 1, MAX_BITS)
        super().__init__(bits)

    def _normalised(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        """tanh(x) and M = max|tanh(x)| (> 0 required)."""
        t = np.tanh(x)
        require("x", x.shape, x.size > 0, "needs a non-empty array to normalise")
        m = float(np.abs(t).max())
        require("x", "all zeros", m > 0, "DoReFa weight normalisation divides by max|tanh(w)|; "
                "needs a non-zero weight")
        return t, m

    def _quantize(self, x):
        if self.bits == 1:
            require("x", x.shape, x.size > 0, "needs a non-empty array to compute its scale")
            return QuantizedTensor(_sign_codes(x), np.array(np.abs(x).mean()), np.array(0.0), 1)
        levels = 2 ** self.bits - 1
        t, m = self._normalised(x)
        u = _round_half_up(levels * (t / (2.0 * m) + 0.5))
        return QuantizedTensor(2 * u - levels, np.array(1.0 / levels), np.array(0.0), self.bits)

    def _backward(self, x, grad):
        if self.bits == 1:
            return grad
        t, m = self._normalised(x)
        slope = 1.0 - t * t
        result = grad * slope / m
        top = np.unravel_index(np.argmax(np.abs(t)), t.shape)
        result[top] -= np.sign(t[top]) * slope[top] / m ** 2 * float((grad * t).sum())
        return result


class _ClippedUniform(ActivationQuantizer):
    """k-bit uniform staircase on [0, upper]: codes 0..2^k-1, scale upper/(2^k-1), offset 0.

    Thresholds (j - 1/2) upper / (2^k - 1), j = 1..2^k-1: counting the passed thresholds is
    round-half-up of clip(x, 0, upper) (2^k - 1) / upper. Subclasses give ``_upper()``.
    """

    def __init__(self, bits: int):
        int_in_range("bits", bits, 1, MAX_BITS)
        super().__init__(bits)

    @abstractmethod
    def _upper(self) -> float:
        """Implemented by each subclass."""

    def thresholds(self):
        levels = 2 ** self.bits - 1
        return (np.arange(1, levels + 1) - 0.5) * self._upper() / levels

    def integer_levels(self):
        return np.arange(2 ** self.bits, dtype=np.int32)

    def _scale_offset(self):
        return self._upper() / (2 ** self.bits - 1), 0.0


@QUANTIZERS.register("dorefa_activation")
class DoReFaActivation(_ClippedUniform):
    """DoReFa-Net k-bit activations: quantize_k(clip(x, 0, 1)) = round((2^k - 1) x) / (2^k - 1).

    Codes 0..2^k-1, scale 1/(2^k - 1), thresholds (j - 1/2)/(2^k - 1). Backward: STE
    ``grad * 1{0 <= x <= 1}`` (the clip's derivative, identity through the rounding).
    Source: Zhou et al., "DoReFa-Net", arXiv:1606.06160, 2016.
    """

    def __init__(self, bits: int = 2):
        super().__init__(bits)

    def _upper(self):
        return 1.0

    def _backward(self, x, grad):
        return grad * ((x >= 0.0) & (x <= 1.0))


@QUANTIZERS.register("pact")
class PACT(_ClippedUniform):
    """PACT: y = clip(x, 0, alpha) with a learned clipping level alpha, then k-bit uniform.

    y_q = round(y (2^k - 1) / alpha) alpha / (2^k - 1): codes 0..2^k-1, scale alpha/(2^k - 1),
    thresholds (j - 1/2) alpha / (2^k - 1). Backward (the paper's STE): dy_q/dx = 1{0 <= x < alpha},
    dy_q/dalpha = 1{x >= alpha}, so ``grads["alpha"] = sum(grad * 1{x >= alpha})``.
    ``params["alpha"]`` is a 0-d array (initial value ``alpha``, default 10.0, in the units of x)
    and must stay > 0. Source: Choi, Wang, Venkataramani, Chuang, Srinivasan & Gopalakrishnan,
    "PACT: Parameterized Clipping Activation for Quantized Neural Networks", arXiv:1805.06085,
    2018.
    """

    def __init__(self, bits: int = 4, alpha: float = 10.0):
        positive("alpha", alpha)
        super().__init__(bits)
        self.params = {"alpha": np.array(float(alpha))}
        self.grads = {"alpha": np.array(0.0)}

    def __repr__(self):
        return f"PACT(bits={self.bits}, alpha={float(self.params['alpha'])})"

    def _upper(self):
        alpha = float(self.params["alpha"])
        require("alpha", alpha, np.isfinite(alpha) and alpha > 0, "PACT clipping level must stay > 0")
        return alpha

    def _backward(self, x, grad):
        alpha = self._upper()
        self.grads["alpha"] = np.array(grad[x >= alpha].sum())
        return grad * ((x >= 0.0) & (x < alpha))


@QUANTIZERS.register("uniform")
class Uniform(Quantizer):
    """k-bit uniform weight quantizer, symmetric or asymmetric, per tensor or per output channel.

    symmetric: codes in [-(2^(k-1) - 1), 2^(k-1) - 1], scale max|x| / (2^(k-1) - 1), offset 0
    (k >= 2). asymmetric: codes 0..2^k-1, scale (max - min)/(2^k - 1), offset min (k >= 1); unlike
    Jacob et al., the offset is min itself, not an integer zero-point, so 0 need not be a level.
    Codes are floor(v + 0.5) of (x - offset)/scale. A constant tensor or channel (zero range)
    gets scale 1 with codes 0, which represents it exactly. Per channel means along the last axis
    (scale shape (C,)). Backward: identity STE. Source: Jacob, Kligys, Chen, Zhu, Tang, Howard,
    Adam & Kalenichenko, "Quantization and Training of Neural Networks for Efficient
    Integer-Arithmetic-Only Inference", CVPR 2018 (the affine map r = S (q - Z)).
    """

    def __init__(self, bits: int = 8, symmetric: bool = True, per_channel: bool = False):
        _check_bool("symmetric", symmetric)
        _check_bool("per_channel", per_channel)
        int_in_range("bits", bits, 2 if symmetric else 1, MAX_BITS)
        super().__init__(bits)
        self.symmetric = symmetric
        self.per_channel = per_channel

    def __repr__(self):
        return f"Uniform(bits={self.bits}, symmetric={self.symmetric}, per_channel={self.per_channel})"

    def _quantize(self, x):
        axes = _reduction_axes(x, self.per_channel)
        if self.symmetric:
            span, steps = np.abs(x).max(axis=axes, keepdims=True), 2 ** (self.bits - 1) - 1
            offset = np.zeros_like(span)
        else:
            offset = x.min(axis=axes, keepdims=True)
            span, steps = x.max(axis=axes, keepdims=True) - offset, 2 ** self.bits - 1
        scale = np.where(span > 0, span / steps, 1.0)
        codes = _round_half_up((x - offset) / scale)
        return QuantizedTensor(codes, _channel_shaped(scale, self.per_channel),
                               _channel_shaped(offset, self.per_channel), self.bits)

    def _backward(self, x, grad):
        return grad


def make_quantizer(name: str, **options) -> Quantizer:
    """A new quantizer from its registry name and options, e.g. ``make_quantizer("pact", bits=4)``."""
    return _build(QUANTIZERS.get(name, "quantizer"), options, f"quantizer.{name}")


def quantizer_from(description: dict | None, field: str) -> Quantizer | None:
    """The quantizer of a network description's ``{"name": ..., **options}`` table (None: none);
    errors name ``field``, the table's path in the description."""
    if description is None:
        return None
    require(field, description, isinstance(description, dict) and "name" in description,
            "must be a table with a 'name' and the quantizer's options")
    options = {k: v for k, v in description.items() if k != "name"}
    return _build(QUANTIZERS.get(description["name"], f"{field}.name"), options, field)


def _build(cls: type, options: dict, field: str) -> Quantizer:
    """``cls(**options)``, once every option is one of its parameters."""
    allowed = inspect.signature(cls).parameters
    unknown = sorted(set(options) - set(allowed))
    require(field, unknown, not unknown, f"unknown options; allowed: {sorted(allowed)}")
    return cls(**options)
