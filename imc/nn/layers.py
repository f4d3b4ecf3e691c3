"""Trainable layers with NumPy forward and backward passes; images are NHWC (batch, H, W, C).

Every layer follows one protocol, given by the base class `Layer`:

- ``params`` and ``grads``: dicts of arrays with the same keys. ``params`` returns the live
  arrays, which the optimiser updates in place. The learnable arrays of a quantizer that a
  layer owns appear under ``"<attribute>.<key>"``, e.g. ``"weight_quantizer.w_pos"`` (Dense,
  Conv2d) or ``"quantizer.alpha"`` (QuantizeActivation).
- ``forward(x, train=False, rng=None)`` returns the output and caches what ``backward`` needs;
  ``rng`` (a ``numpy.random.Generator``) is used only by layers that draw weight noise.
- ``backward(grad) -> grad_input`` takes the loss gradient w.r.t. the output and fills ``grads``.
- ``after_update()`` runs after every optimiser step (latent-weight clipping).

``LAYER_TYPES`` maps a network description's layer ``type`` to its class, which builds the layer
from its table with ``from_description`` (see `imc.nn.network`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from imc.errors import int_in_range, non_negative, positive, require
from imc.nn.quantizers import Quantizer, quantizer_from
from imc.registry import Registry

LAYER_TYPES = Registry("layer type")


def _require_shape(field: str, shape: tuple[int, ...], expected: tuple[int | None, ...]) -> None:
    """Raise ParameterError(``field.shape``) unless ``shape`` matches ``expected`` (None: any size)."""
    ok = len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))
    wanted = ", ".join("*" if e is None else str(e) for e in expected)
    require(f"{field}.shape", tuple(shape), ok, f"must be ({wanted})")


def _pair(field: str, value, low: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``low``, as a (height, width) pair."""
    pair = (value, value) if isinstance(value, int) else value
    ok = (isinstance(pair, (tuple, list)) and len(pair) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) and v >= low for v in pair))
    require(field, value, ok, f"must be an integer >= {low} or a (height, width) pair of them")
    return int(pair[0]), int(pair[1])


def _window_grid(input_shape: tuple[int, ...], channels: int | None, size: tuple[int, int],
                 stride: tuple[int, int]) -> tuple[int, int]:
    """Number of (rows, cols) of ``size`` windows, one every ``stride`` pixels, in an NHWC input."""
    _require_shape("x", input_shape, (None, None, None, channels))
    (_, h, w, _), (kh, kw), (sh, sw) = input_shape, size, stride
    require("x.shape", tuple(input_shape), h >= kh and w >= kw,
            f"(padded) height and width must be at least the window {kh} x {kw}")
    return (h - kh) // sh + 1, (w - kw) // sw + 1


def _windows(x: np.ndarray, size: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """View (n, ho, wo, kh, kw, c) of the kh x kw windows of ``x`` (n, h, w, c), one every stride pixels."""
    (kh, kw), (sh, sw) = size, stride
    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)


def _fold_windows(window_grads: np.ndarray, input_shape: tuple[int, ...],
                  stride: tuple[int, int]) -> np.ndarray:
    """Adjoint of `_windows` (col2im): sum per-window gradients (n, ho, wo, kh, kw, c) onto the input.

    Loops over the kh * kw kernel offsets only; for one offset the windows hit distinct pixels.
    """
    _, ho, wo, kh, kw, _ = window_grads.shape
    sh, sw = stride
    out = np.zeros(input_shape, dtype=window_grads.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += window_grads[:, :, :, i, j]
    return out


class Layer(ABC):
    """Base class: no parameters, ``after_update`` does nothing; subclasses define ``_forward``/``_backward``.

    ``forward`` records the output shape so that ``backward`` can reject a gradient of the wrong shape.
    """

    _quantizer_slots: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._output_shape: tuple[int, ...] | None = None

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Live trainable arrays, including those of owned quantizers as ``"<slot>.<key>"``."""
        return self._with_quantizers("params")

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Gradients of the loss w.r.t. ``params`` (same keys), set by ``backward``."""
        return self._with_quantizers("grads")

    def _with_quantizers(self, kind: str) -> dict[str, np.ndarray]:
        merged = dict(getattr(self, f"_{kind}"))
        for slot in self._quantizer_slots:
            quantizer = getattr(self, slot)
            if quantizer is not None:
                merged.update({f"{slot}.{key}": value for key, value in getattr(quantizer, kind).items()})
        return merged

    def forward(self, x: np.ndarray, train: bool = False,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Output for input ``x``; ``train`` selects training behaviour, ``rng`` feeds training noise."""
        out = self._forward(np.asarray(x), train, rng)
        self._output_shape = out.shape
        return out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. the last forward's input, from ``grad`` w.r.t. its output; fills ``grads``."""
        if self._output_shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        _require_shape("grad", np.shape(grad), self._output_shape)
        return self._backward(np.asarray(grad))

    def after_update(self) -> None:
        """Hook run after each optimiser step; nothing to do by default."""

    @classmethod
    def from_description(cls, description: dict, shape: tuple[int, ...], rng: np.random.Generator,
                         field: str) -> tuple["Layer", tuple[int, ...]]:
        """The layer a network description's table asks for on per-sample inputs of ``shape``, and
        its per-sample output shape; errors name ``field``. Default: no options, shape kept."""
        return cls(), shape

    @abstractmethod
    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        """Implemented by each subclass."""

    @abstractmethod
    def _backward(self, grad: np.ndarray) -> np.ndarray:
        """Implemented by each subclass."""


class _WeightLayer(Layer):
    """Shared core of Dense and Conv2d: a GEMM of input rows with (quantized, noisy) weights.

    Latent float weights W are initialised Glorot-uniform, U(-a, a) with a = sqrt(6 / (fan_in +
    fan_out)) (Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
    networks", AISTATS 2010, Eq. 16). With a quantizer Q the forward pass uses Q(W) and the latent
    weights receive the quantizer's straight-through gradient; after each update they are clipped
    to the quantizer's ``latent_clip`` (Courbariaux, Bengio & David, "BinaryConnect", NeurIPS 2015,
    Algorithm 1). Hardware-aware training: with ``weight_noise_rel`` = s > 0 every forward pass
    uses Q(W) * (1 + s * N(0, 1)), one fresh draw per weight and pass, and the backward pass goes
    through that same sample (the trainer sets s while training and resets it to 0; setting it
    at inference evaluates robustness to weight noise); noise injection during training makes the network tolerate
    weight variation of analog in-memory hardware (Joshi et al., "Accurate deep neural network
    inference using computational phase-change memory", Nature Communications 11, 2473, 2020).
    Here the noise is relative to each weight, like device-to-device conductance variation.
    """

    _quantizer_slots = ("weight_quantizer",)

    def __init__(self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator,
                 weight_quantizer: Quantizer | None, bias: bool, weight_noise_rel: float):
        super().__init__()
        require("rng", rng, isinstance(rng, np.random.Generator), "must be a numpy.random.Generator")
        require("weight_quantizer", weight_quantizer,
                weight_quantizer is None or isinstance(weight_quantizer, Quantizer),
                "must be None or a Quantizer instance, e.g. make_quantizer('ste_sign')")
        require("bias", bias, isinstance(bias, bool), "must be True or False")
        non_negative("weight_noise_rel", weight_noise_rel)
        self.weight_quantizer = weight_quantizer
        self.weight_noise_rel = float(weight_noise_rel)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        self._params["weight"] = rng.uniform(-limit, limit, size=shape)
        self._grads["weight"] = np.zeros(shape)
        if bias:
            self._params["bias"] = np.zeros(shape[-1])
            self._grads["bias"] = np.zeros(shape[-1])
        self._rows: np.ndarray | None = None
        self._noise: np.ndarray | None = None
        self._used_weight: np.ndarray | None = None

    def _quantized(self, train: bool) -> np.ndarray:
        latent = self._params["weight"]
        return latent if self.weight_quantizer is None else self.weight_quantizer.forward(latent, train=train)

    def effective_weight(self) -> np.ndarray:
        """Q(W), the weights inference uses (no noise); W itself without a quantizer."""
        return self._quantized(train=False)

    def _gemm(self, rows: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        """rows (m, fan_in) @ weights (fan_in, n_out) [+ bias]; caches rows and the weights used."""
        weight = self._quantized(train)
        if self.weight_noise_rel > 0:
            require("rng", rng, isinstance(rng, np.random.Generator),
                    "must be a numpy.random.Generator when weight_noise_rel > 0")
            self._noise = 1.0 + self.weight_noise_rel * rng.standard_normal(weight.shape)
            weight = weight * self._noise
        else:
            self._noise = None
        self._rows, self._used_weight = rows, weight
        out = rows @ weight.reshape(rows.shape[1], -1)
        return out + self._params["bias"] if "bias" in self._params else out

    def _gemm_backward(self, grad_rows: np.ndarray) -> np.ndarray:
        """Fill weight/bias gradients from grad_rows (m, n_out); return the gradient w.r.t. rows."""
        used = self._used_weight.reshape(self._rows.shape[1], -1)
        grad_weight = (self._rows.T @ grad_rows).reshape(self._used_weight.shape)
        if self._noise is not None:
            grad_weight = grad_weight * self._noise
        if self.weight_quantizer is not None:
            grad_weight = self.weight_quantizer.backward(grad_weight)
        self._grads["weight"] = grad_weight
        if "bias" in self._params:
            self._grads["bias"] = grad_rows.sum(axis=0)
        return grad_rows @ used.T

    def after_update(self) -> None:
        """Clip the latent weights to [-c, c], c = the quantizer's ``latent_clip`` (if it has one)."""
        clip = None if self.weight_quantizer is None else self.weight_quantizer.latent_clip
        if clip is not None:
            np.clip(self._params["weight"], -clip, clip, out=self._params["weight"])


@LAYER_TYPES.register("dense")
class Dense(_WeightLayer):
    """Fully connected layer: (batch, n_in) -> (batch, n_out) = x @ Q(W) [+ b]; W has shape (n_in, n_out).

    Quantization, noise injection and initialisation as described in `_WeightLayer`.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator,
                 weight_quantizer: Quantizer | None = None, bias: bool = False,
                 weight_noise_rel: float = 0.0):
        int_in_range("n_in", n_in, 1)
        int_in_range("n_out", n_out, 1)
        self.n_in, self.n_out = n_in, n_out
        super().__init__((n_in, n_out), n_in, n_out, rng, weight_quantizer, bias, weight_noise_rel)

    @classmethod
    def from_description(cls, description, shape, rng, field):
        require(field, shape, len(shape) == 1, "a dense layer needs flat inputs: add a flatten layer first")
        weights = quantizer_from(description.get("weight_quantizer"), f"{field}.weight_quantizer")
        layer = cls(shape[0], description["units"], rng, weights, bias=description.get("bias", False))
        return layer, (layer.n_out,)

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        _require_shape("x", x.shape, (None, self.n_in))
        return self._gemm(x, train, rng)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return self._gemm_backward(grad)


@LAYER_TYPES.register("conv")
class Conv2d(_WeightLayer):
    """2-D convolution (cross-correlation), NHWC: (n, h, w, c_in) -> (n, ho, wo, c_out).

    Weights have shape (kh, kw, c_in, c_out). The forward pass unrolls the zero-padded input into
    a matrix of patches (`im2col`) and does one GEMM; the backward pass computes the weight
    gradient as a GEMM and the input gradient by folding the patch gradients back (col2im)
    (Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for Document
    Processing", IWFHR 2006). Glorot fans: kh*kw*c_in and kh*kw*c_out. ``kernel_size``,
    ``stride`` and ``padding`` are an int or a (height, width) pair; quantization and noise
    injection as described in `_WeightLayer`.
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int | tuple[int, int],
                 rng: np.random.Generator, stride: int | tuple[int, int] = 1,
                 padding: int | tuple[int, int] = 0, weight_quantizer: Quantizer | None = None,
                 bias: bool = False, weight_noise_rel: float = 0.0):
        int_in_range("c_in", c_in, 1)
        int_in_range("c_out", c_out, 1)
        self.c_in, self.c_out = c_in, c_out
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = _pair("stride", stride, 1)
        self.padding = _pair("padding", padding, 0)
        kh, kw = self.kernel_size
        super().__init__((kh, kw, c_in, c_out), kh * kw * c_in, kh * kw * c_out, rng,
                         weight_quantizer, bias, weight_noise_rel)
        self._input_shape: tuple[int, ...] | None = None

    @classmethod
    def from_description(cls, description, shape, rng, field):
        require(field, shape, len(shape) == 3, "a convolution needs (H, W, C) inputs")
        weights = quantizer_from(description.get("weight_quantizer"), f"{field}.weight_quantizer")
        layer = cls(shape[2], description["channels"], description["kernel"], rng,
                    stride=description.get("stride", 1), padding=description.get("padding", 0),
                    weight_quantizer=weights, bias=description.get("bias", False))
        return layer, layer.output_shape((1, *shape))[1:]

    def _padded_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _require_shape("x", input_shape, (None, None, None, self.c_in))
        n, h, w, c = input_shape
        ph, pw = self.padding
        return n, h + 2 * ph, w + 2 * pw, c

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """(n, ho, wo, c_out) for an input of shape (n, h, w, c_in); ho = (h + 2*ph - kh) // sh + 1."""
        padded = self._padded_shape(tuple(input_shape))
        ho, wo = _window_grid(padded, self.c_in, self.kernel_size, self.stride)
        return padded[0], ho, wo, self.c_out

    def im2col(self, x: np.ndarray) -> np.ndarray:
        """Patch matrix (n*ho*wo, kh*kw*c_in) of ``x`` (n, h, w, c_in), columns in (kh, kw, c_in) order.

        Row r = (sample, output row, output column) in C order; any dtype (integers too) is kept.
        ``im2col(x) @ weight.reshape(-1, c_out)`` is the convolution as a (n*ho*wo, c_out) matrix.
        """
        x = np.asarray(x)
        n, ho, wo, _ = self.output_shape(x.shape)
        ph, pw = self.padding
        padded = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
        return _windows(padded, self.kernel_size, self.stride).reshape(n * ho * wo, -1)

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        out_shape = self.output_shape(x.shape)
        self._input_shape = x.shape
        return self._gemm(self.im2col(x), train, rng).reshape(out_shape)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        n, ho, wo, _ = grad.shape
        kh, kw = self.kernel_size
        grad_rows = self._gemm_backward(grad.reshape(-1, self.c_out))
        padded = _fold_windows(grad_rows.reshape(n, ho, wo, kh, kw, self.c_in),
                               self._padded_shape(self._input_shape), self.stride)
        (ph, pw), (_, h, w, _) = self.padding, self._input_shape
        return padded[:, ph:ph + h, pw:pw + w]


@LAYER_TYPES.register("batchnorm")
class BatchNorm(Layer):
    """Batch normalisation over every axis but the last: (n, c) or (n, h, w, c) with c = ``n`` features.

    Training normalises with the batch mean and (biased) variance and updates the running
    statistics, running = momentum * running + (1 - momentum) * batch, with the unbiased variance
    m / (m - 1) * var for the running variance (m values per channel); evaluation uses the running
    statistics. y = gamma * (x - mean) / sqrt(var + eps) + beta. Source: Ioffe & Szegedy, "Batch
    Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
    ICML 2015, Algorithm 1 (training) and Algorithm 2 (inference, unbiased variance).
    """

    def __init__(self, n: int, momentum: float = 0.9, eps: float = 1e-5):
        super().__init__()
        int_in_range("n", n, 1)
        require("momentum", momentum,
                isinstance(momentum, (int, float)) and not isinstance(momentum, bool) and 0 <= momentum < 1,
                "must be a number in [0, 1)")
        positive("eps", eps)
        self.n, self.momentum, self.eps = n, float(momentum), float(eps)
        self._params = {"gamma": np.ones(n), "beta": np.zeros(n)}
        self._grads = {"gamma": np.zeros(n), "beta": np.zeros(n)}
        self.running_mean = np.zeros(n)
        self.running_var = np.ones(n)
        self._cache: tuple[np.ndarray, np.ndarray, bool] | None = None

    @classmethod
    def from_description(cls, description, shape, rng, field):
        return cls(shape[-1]), shape

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        require("x.shape", x.shape, x.ndim >= 2 and x.shape[-1] == self.n,
                f"must be (batch, ..., {self.n}) with at least 2 dimensions")
        axes = tuple(range(x.ndim - 1))
        if train:
            m = x.size // self.n
            require("x.shape", x.shape, m >= 2, "training needs at least 2 values per feature")
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            self.running_mean *= self.momentum
            self.running_mean += (1 - self.momentum) * mean
            self.running_var *= self.momentum
            self.running_var += (1 - self.momentum) * var * m / (m - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std, train)
        return self._params["gamma"] * x_hat + self._params["beta"]

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        x_hat, inv_std, train = self._cache
        axes = tuple(range(grad.ndim - 1))
        self._grads["gamma"] = (grad * x_hat).sum(axis=axes)
        self._grads["beta"] = grad.sum(axis=axes)
        g_hat = grad * self._params["gamma"]
        if not train:
            return g_hat * inv_std
        m = grad.size // self.n
        return inv_std / m * (m * g_hat - g_hat.sum(axis=axes) - x_hat * (g_hat * x_hat).sum(axis=axes))


class _Pool2d(Layer):
    """Shared core of the pooling layers: unpadded ``size`` windows, one every ``stride`` (default: size)."""

    def __init__(self, size: int | tuple[int, int], stride: int | tuple[int, int] | None = None):
        super().__init__()
        self.size = _pair("size", size, 1)
        self.stride = self.size if stride is None else _pair("stride", stride, 1)
        self._input_shape: tuple[int, ...] | None = None

    @classmethod
    def from_description(cls, description, shape, rng, field):
        require(field, shape, len(shape) == 3, "pooling needs (H, W, C) inputs")
        layer = cls(description["size"], description.get("stride"))
        return layer, (*_window_grid((1, *shape), None, layer.size, layer.stride), shape[2])

    def _window_matrix(self, x: np.ndarray) -> np.ndarray:
        """Windows of x as (n, ho, wo, kh*kw, c); caches the input shape."""
        ho, wo = _window_grid(x.shape, None, self.size, self.stride)
        n, _, _, c = x.shape
        self._input_shape = x.shape
        return _windows(x, self.size, self.stride).reshape(n, ho, wo, -1, c)

    def _fold(self, window_grads: np.ndarray) -> np.ndarray:
        """Window gradients (n, ho, wo, kh*kw, c) -> input gradient."""
        n, ho, wo, _, c = window_grads.shape
        return _fold_windows(window_grads.reshape(n, ho, wo, *self.size, c), self._input_shape, self.stride)


@LAYER_TYPES.register("maxpool")
class MaxPool2d(_Pool2d):
    """Max pooling, NHWC; the backward pass routes each window's gradient to its (first) maximum.

    Source: Scherer, Müller & Behnke, "Evaluation of Pooling Operations in Convolutional
    Architectures for Object Recognition", ICANN 2010.
    """

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        windows = self._window_matrix(x)
        self._argmax = windows.argmax(axis=3)
        return windows.max(axis=3)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        offsets = np.arange(self.size[0] * self.size[1])[:, None]
        routed = np.where(offsets == self._argmax[:, :, :, None], grad[:, :, :, None], 0.0)
        return self._fold(routed)


@LAYER_TYPES.register("avgpool")
class AvgPool2d(_Pool2d):
    """Average pooling, NHWC; the backward pass spreads each window's gradient evenly over it.

    Source: Scherer, Müller & Behnke, "Evaluation of Pooling Operations in Convolutional
    Architectures for Object Recognition", ICANN 2010.
    """

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        return self._window_matrix(x).mean(axis=3)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        count = self.size[0] * self.size[1]
        n, ho, wo, c = grad.shape
        return self._fold(np.broadcast_to(grad[:, :, :, None] / count, (n, ho, wo, count, c)))


@LAYER_TYPES.register("flatten")
class Flatten(Layer):
    """(n, h, w, c) -> (n, h*w*c) in C order (so (h, w, c) order, as in `Conv2d.im2col`), and back.

    A layout change with no model behind it: the classic bridge from convolutional feature maps to
    fully connected layers (LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to
    document recognition", Proc. IEEE 86(11), 1998).
    """

    @classmethod
    def from_description(cls, description, shape, rng, field):
        return cls(), (int(np.prod(shape)),)

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        require("x.shape", x.shape, x.ndim >= 2, "must be (batch, ...) with at least 2 dimensions")
        self._input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(self._input_shape)


@LAYER_TYPES.register("relu")
class ReLU(Layer):
    """max(x, 0); gradient 1 where x > 0 (Nair & Hinton, "Rectified Linear Units Improve Restricted
    Boltzmann Machines", ICML 2010)."""

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        self._x = x
        return np.maximum(x, 0)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self._x > 0)


@LAYER_TYPES.register("hardtanh")
class HardTanh(Layer):
    """clip(x, -1, 1); gradient 1 where |x| <= 1, else 0 (Htanh in Hubara, Courbariaux, Soudry,
    El-Yaniv & Bengio, "Binarized Neural Networks", NeurIPS 2016)."""

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        self._x = x
        return np.clip(x, -1, 1)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (np.abs(self._x) <= 1)


@LAYER_TYPES.register("activation")
class QuantizeActivation(Layer):
    """Activation quantizer as a layer: Q(x) forward, the quantizer's straight-through gradient backward.

    E.g. sign (BNN), DoReFa k-bit activations, PACT; the straight-through estimator is from
    Bengio, Léonard & Courville, "Estimating or Propagating Gradients Through Stochastic Neurons
    for Conditional Computation", arXiv:1308.3432, 2013. Learnable quantizer arrays (PACT alpha)
    appear in ``params`` as ``"quantizer.<key>"``.
    """

    _quantizer_slots = ("quantizer",)

    def __init__(self, quantizer: Quantizer):
        super().__init__()
        require("quantizer", quantizer, isinstance(quantizer, Quantizer),
                "must be a Quantizer instance, e.g. make_quantizer('ste_sign')")
        self.quantizer = quantizer

    @classmethod
    def from_description(cls, description, shape, rng, field):
        return cls(quantizer_from(description.get("quantizer"), f"{field}.quantizer")), shape

    def _forward(self, x: np.ndarray, train: bool, rng: np.random.Generator | None) -> np.ndarray:
        return self.quantizer.forward(x, train=train)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return self.quantizer.backward(grad)
