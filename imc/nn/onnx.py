"""Quantized ONNX networks in and out: `load_onnx` imports QONNX and QDQ graphs into the integer
op list the mapper consumes (an `IntegerModel`); `save_onnx` writes an integer model as a
standard QDQ graph that onnxruntime runs.

Import walks the graph in its (topological) node order and keeps, for the running activation,
either a pending pre-activation ``y = a z + b`` (per channel, optionally clipped to
``[lo, hi]`` by Relu/Clip) over the integer product ``z`` of the last matrix layer, or the
integer codes that a quantizer made of it. A quantizer after a pre-activation becomes integer
comparator thresholds on ``z``: for a monotone quantizer with level boundaries beta_k,
``y >= beta_k`` is ``z >= ceil((beta_k - b) / a)`` (``z > ...`` where the quantizer's rounding
puts the tie below), the folding of `imc.nn.export`. The graph's float input is the pixel level
divided by the data set's ``max_level`` (torchvision's ``ToTensor`` convention), so the first
quantizer becomes thresholds on pixel levels: the input encoder.

Quantizers (specs: ONNX operator docs, https://onnx.ai/onnx/operators/; QONNX custom ops,
https://github.com/fastmachinelearning/qonnx/tree/main/docs/qonnx-custom-ops; Pappalardo et al.,
"QONNX: Representing Arbitrary-Precision Quantized Neural Networks", arXiv:2206.07527, 2022):

* ``QuantizeLinear`` (opset 10/13): ``q = saturate(round_half_even(x / s) + zp)``, per tensor on
  activations, per axis on weights; ``DequantizeLinear``: ``(q - zp) s``;
* QONNX ``Quant``: ``(round(clip(x / s + zp, min, max)) - zp) s`` with ``signed``, ``narrow`` and
  ``rounding_mode`` ROUND (half even), FLOOR or CEIL; a signed 1-bit Quant is bipolar (x / s + zp >= 0);
* QONNX ``BipolarQuant``: ``s`` if ``x >= 0`` else ``-s``; ``MultiThreshold``:
  ``out_scale * #{k : x >= T[c, k]} + out_bias``; ``Trunc`` on integer codes (v1 and v2,
  see `_Importer.trunc`), e.g. ``(floor(round(x / s + zp) / 2^(in - out)) - zp) s``;
* ``Sign``, ``QLinearConv``, ``QLinearMatMul``, ``ConvInteger``, ``MatMulInteger``.

Integer codes are ``value / s``: code 0 is value 0, so zero padding stays exact. ONNX Flatten of
an NCHW tensor orders features (C, H, W); the op list flattens (H, W, C), so the next dense
layer's weight rows are permuted. Weight bits are the least bits of an affine code of the
layer's weights (`imc.mapping.slicing.AffineCodes`). Everything else is a `ModelFileError`
naming the node, its op type and what is supported.

Export (`save_onnx`) writes the inverse: integer weights through DequantizeLinear, and every
threshold stage as a uniform quantizer of an affine map of z (see `save_onnx`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imc.errors import ParameterError
from imc.mapping.spec import ConvGeometry, FlattenSpec, LayerSpec, PoolSpec
from imc.nn.export import _z_bounds as z_bounds
from imc.nn.io import ModelFileError
from imc.nn.network import InputEncoder, IntegerModel

OPSET_RANGE = (10, 21)
EXPORT_OPSET = 13
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")
DEFAULT_MAX_LEVEL = 255
LAYOUT_OPS = ("Identity", "Dropout", "Cast", "Flatten", "Reshape", "Transpose", "MaxPool", "Gather", "Shape")
ELEMENTWISE_OPS = ("Add", "Sub", "Mul", "Div", "BatchNormalization", "Relu", "Clip")
QUANTIZER_OPS = ("QuantizeLinear", "DequantizeLinear", "Quant", "BipolarQuant", "MultiThreshold", "Trunc", "Sign")
MATRIX_OPS = ("Conv", "Gemm", "MatMul", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger")
SUPPORTED = ", ".join(LAYOUT_OPS + ELEMENTWISE_OPS + QUANTIZER_OPS + MATRIX_OPS + ("Constant",))
_NCHW_TO_NHWC, _NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)
_ARITHMETIC = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}


@dataclass(frozen=True, eq=False)
class ThresholdEncoder:
    """Pixel levels -> input codes by per-channel integer thresholds: an imported input quantizer.

    Code channel j reads pixel channel ``channel_index[j]`` and outputs
    ``levels[#{k : x >= thresholds[k, j]}]``; ``max_level``: the largest pixel level.
    """

    max_level: int
    channel_index: np.ndarray
    thresholds: np.ndarray
    levels: np.ndarray
    encoding = "thresholds"

    def codes(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)[..., self.channel_index]
        passed = np.zeros(x.shape, dtype=np.int64)
        for row in self.thresholds:
            passed += x >= row
        return self.levels[passed].astype(np.int32)

    def channels(self, c: int) -> int:
        return len(self.channel_index)

    def __eq__(self, other) -> bool:
        return isinstance(other, ThresholdEncoder) and self.max_level == other.max_level and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ("channel_index", "thresholds", "levels"))

    __hash__ = None


@dataclass
class _Stage:
    """A producer of integer codes: a matrix layer (weights) or the input encoder (weights None).

    Its output stage is filled in as the graph is read: thresholds and level ``values`` with
    their quantum ``step`` (value = step * code), or the float ``scale``/``offset`` of logits."""

    name: str
    z_low: np.ndarray
    z_high: np.ndarray
    weights: np.ndarray | None = None
    conv: ConvGeometry | None = None
    input_bits: int = 1
    input_signed: bool = False
    channel_index: np.ndarray | None = None
    thresholds: np.ndarray | None = None
    values: np.ndarray | None = None
    step: float | None = None
    levels: np.ndarray | None = None
    scale: np.ndarray | None = None
    offset: np.ndarray | None = None
    consumed: bool = False


@dataclass
class _Pre:
    """A pending pre-activation ``clip(a z + b, lo, hi)`` per channel of ``stage``'s product z;
    ``post``: max pools to run on the codes once a quantizer has made them."""

    stage: _Stage
    a: np.ndarray
    b: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    post: list = field(default_factory=list)


@dataclass
class _Act:
    """The running activation: per-sample ONNX shape (C, H, W) or (F,), layout, and its state
    (``pre``, or the codes of ``stage``, as the raw integers of a QuantizeLinear when ``raw``)."""

    shape: tuple[int, ...]
    pre: _Pre | None = None
    stage: _Stage | None = None
    raw: tuple[float, int] | None = None
    nhwc: bool = False
    rows: np.ndarray | None = None

    @property
    def channels(self) -> int:
        return self.shape[-1] if self.nhwc or len(self.shape) == 1 else self.shape[0]


@dataclass(frozen=True)
class _QConst:
    """A quantized constant: integer ``codes`` and ``scale`` (broadcastable), value = scale * codes."""

    codes: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True)
class _Quantizer:
    """A monotone quantizer: level ``values`` (ascending), ``bounds`` (L-1, n or 1) where level k+1
    starts (``y >= bound``, or ``y > bound`` where ``strict``), the ``step`` of its codes, and
    ``raw`` (scale, zero point) when its output is a QuantizeLinear's integer tensor."""

    values: np.ndarray
    bounds: np.ndarray
    strict: np.ndarray
    step: float
    raw: tuple[float, int] | None = None

    def apply(self, y: np.ndarray) -> np.ndarray:
        """The quantized values of scalars ``y`` (a quantizer with one set of bounds)."""
        b, s = self.bounds[:, :1], np.broadcast_to(self.strict, self.bounds.shape)[:, :1]
        passed = ((y[None, :] > b) | (~s & (y[None, :] == b))).sum(0)
        return self.values[passed]


def _round_half_even_bounds(levels: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Where round_half_even(u) + offset reaches each level after the first: u >= q - offset - 1/2,
    strictly when q - offset is odd (rint(j - 1/2) = j iff j is even)."""
    j = levels[1:] - offset
    return j - 0.5, (j % 2) == 1


def _uniform(scale: float, zero_point: float, q_min: int, q_max: int, mode: str, zp_first: bool) -> _Quantizer:
    """Uniform quantizer with levels (q - zp) * scale, q in [q_min, q_max]; ``zp_first``: the zero
    point is added before rounding (QONNX Quant) instead of after (QuantizeLinear)."""
    q = np.arange(q_min, q_max + 1, dtype=np.float64)
    if mode == "ROUND":
        u, strict = _round_half_even_bounds(q, 0.0 if zp_first else zero_point)
        u = u - zero_point if zp_first else u
    elif mode == "FLOOR":
        u, strict = q[1:] - zero_point, np.zeros(len(q) - 1, bool)
    else:  # CEIL
        u, strict = q[1:] - 1 - zero_point, np.ones(len(q) - 1, bool)
    return _Quantizer((q - zero_point) * scale, (u * scale)[:, None], strict[:, None], scale)


def _quantize_linear(scale: float, zero_point: int, q_min: int, q_max: int) -> _Quantizer:
    """QuantizeLinear: its integers are the output (``raw``), to be dequantized with the same scale and zero point."""
    q = _uniform(scale, zero_point, q_min, q_max, "ROUND", zp_first=False)
    return _Quantizer(q.values, q.bounds, q.strict, scale, (scale, zero_point))


def _bipolar(scale: float, zero: float = 0.0) -> _Quantizer:
    return _Quantizer(np.array([-scale, scale]), np.array([[zero]]), np.array([[False]]), scale)


def _along(x: np.ndarray, param, axis: int) -> np.ndarray:
    """A per-tensor (scalar) or per-axis (1-D) parameter shaped to broadcast along ``axis`` of x."""
    param = np.asarray(param)
    if param.size <= 1:
        return param.reshape(())
    shape = [1] * x.ndim
    shape[axis] = param.size
    return param.reshape(shape)


def _weight_bits(weights: np.ndarray) -> int:
    """1 for {-1, +1}, else the bits of the affine code w = a u + b (`AffineCodes`), at least 2
    (a 1-bit `LayerSpec` holds {-1, +1} only)."""
    values = np.unique(weights)
    if np.all(np.abs(values) == 1):
        return 1
    step = int(np.gcd.reduce(values - values[0])) if values.size > 1 else 1
    return max(2, math.ceil(math.log2((int(values[-1] - values[0]) // step) + 1)))


def _hwc_rows(c: int, h: int, w: int) -> np.ndarray:
    """For each feature of an NCHW tensor flattened in (C, H, W) order, its index in (H, W, C) order."""
    return np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).ravel()


class _Importer:
    """One pass over a graph (see the module docstring); `model()` returns the result."""

    def __init__(self, path: Path, graph, image_shape, max_level: int):
        from onnx import numpy_helper
        self.path, self.graph, self.max_level = path, graph, max_level
        self.consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.acts: dict[str, _Act] = {}
        self.read: set[str] = set()
        self.ops: list = []
        self.encoder: _Stage | None = None
        self.matrix_count = 0
        self._start(image_shape)

    # -- errors and lookups -------------------------------------------------------------------
    def fail(self, node, problem: str):
        raise ModelFileError(self.path, f"node {node.name or '(unnamed)'!r} ({node.op_type}): {problem}")

    def act(self, node, index: int = 0) -> _Act:
        """The activation a node reads; each activation feeds one node (a chain, no branches)."""
        name = node.input[index]
        if name not in self.acts:
            kind = "a constant" if name in self.consts else "not produced by an earlier node"
            self.fail(node, f"input {name!r} is {kind}; expected the network's activation")
        if name in self.read:
            self.fail(node, f"activation {name!r} already feeds another node; supported: a chain of layers "
                            "(no branches or residual connections)")
        self.read.add(name)
        return self.acts[name]

    def const(self, node, index: int, default=None):
        if index >= len(node.input) or node.input[index] == "":
            if default is None:
                self.fail(node, f"input {index} is missing")
            return default
        name = node.input[index]
        if name not in self.consts:
            self.fail(node, f"input {name!r} must be a constant (initializer or Constant node)")
        value = self.consts[name]
        if isinstance(value, tuple):  # integers of a folded QuantizeLinear: (codes, scale)
            self.fail(node, f"input {name!r} is the output of a QuantizeLinear; expected a DequantizeLinear first")
        return value.scale * value.codes if isinstance(value, _QConst) else value  # e.g. a Quant on a bias

    def attr(self, node, name: str, default=None):
        from onnx import helper
        for a in node.attribute:
            if a.name == name:
                value = helper.get_attribute_value(a)
                return value.decode() if isinstance(value, bytes) else value
        return default

    # -- the graph input: pixel levels / max_level ---------------------------------------------
    def _start(self, image_shape) -> None:
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise ModelFileError(self.path, f"the graph has {len(inputs)} inputs; imc imports single-input networks")
        tensor = inputs[0]
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.type.tensor_type.shape.dim)
        sample = dims[1:]
        if len(dims) not in (2, 4) or None in sample:
            raise ModelFileError(self.path, f"input {tensor.name!r} has shape {dims}; supported: (N, C, H, W) "
                                            "or (N, F) with fixed C, H, W, F")
        if image_shape is None:
            image_shape = (sample[1], sample[2], sample[0]) if len(sample) == 3 else _square_image(sample[0])
        if image_shape is None:
            raise ModelFileError(self.path, f"a flat input of {sample[0]} features needs the data set's image shape "
                                            "(give image_shape, or simulate it with a data set)")
        h, w, c = image_shape
        expected = (c, h, w) if len(sample) == 3 else (h * w * c,)
        if tuple(sample) != expected:
            raise ModelFileError(self.path, f"input {tensor.name!r} has per-sample shape {tuple(sample)}, but the "
                                            f"data set's images (H, W, C) = {tuple(image_shape)} need {expected}")
        self.encoder = _Stage("input", np.zeros(c), np.full(c, float(self.max_level)), channel_index=np.arange(c))
        ones = np.ones(c)
        pre = _Pre(self.encoder, ones / self.max_level, 0 * ones, -np.inf * ones, np.inf * ones)
        act = _Act(tuple(sample), pre=pre)
        if len(sample) == 1:
            self.ops.append(FlattenSpec())
            act.rows = _hwc_rows(c, h, w)
        self.acts[tensor.name] = act

    # -- walking -------------------------------------------------------------------------------
    def run(self) -> IntegerModel:
        for node in self.graph.node:
            self.visit(node)
        outputs = list(self.graph.output)
        if len(outputs) != 1:
            raise ModelFileError(self.path, f"the graph has {len(outputs)} outputs; expected one (the logits)")
        act = self.acts.get(outputs[0].name)
        if act is None or act.pre is None or act.pre.post or np.isfinite(act.pre.lo).any() \
                or np.isfinite(act.pre.hi).any() or act.pre.stage is self.encoder:
            raise ModelFileError(self.path, f"output {outputs[0].name!r} must be the float output of the last "
                                            "Conv/Gemm/MatMul (logits), with no quantizer, Relu, Clip, pooling or "
                                            "Softmax after it")
        act.pre.stage.scale, act.pre.stage.offset = act.pre.a, act.pre.b
        return self.model()

    def visit(self, node) -> None:
        if node.domain in QONNX_DOMAINS:
            handler = {"Quant": self.quant, "BipolarQuant": self.bipolar_quant, "MultiThreshold": self.multithreshold,
                       "Trunc": self.trunc}.get(node.op_type)
        elif node.domain in ("", "ai.onnx"):
            handler = getattr(self, f"op_{node.op_type}", None)
        else:
            handler = None
        if len(node.output) != 1 and node.op_type not in ("Dropout",):
            self.fail(node, f"has {len(node.output)} outputs; expected one")
        known = node.domain in QONNX_DOMAINS or node.domain in ("", "ai.onnx")
        if known and all(name in self.consts for name in node.input if name) and node.op_type != "Constant":
            return self.fold(node)
        if handler is None:
            self.fail(node, f"unsupported op (domain {node.domain!r}); supported: {SUPPORTED}, QONNX ops in domains "
                            f"{QONNX_DOMAINS}")
        result = handler(node)
        if isinstance(result, _Act):
            self.acts[node.output[0]] = result
        elif result is not None:
            self.consts[node.output[0]] = result

    def fold(self, node) -> None:
        """Constant folding of layout ops and quantizers on weights (kept as `_QConst`)."""
        handler = {"QuantizeLinear": self.const_quantize_linear, "DequantizeLinear": self.const_dequantize_linear,
                   "Quant": self.const_quant, "BipolarQuant": self.const_bipolar, "Identity": self.const_identity,
                   "Cast": self.const_identity, "Transpose": self.const_transpose, "Reshape": self.const_reshape,
                   "Gather": self.const_gather, "Unsqueeze": self.const_unsqueeze, "Squeeze": self.const_squeeze,
                   "Concat": self.const_concat,
                   **{op: self.const_arithmetic for op in _ARITHMETIC}}.get(node.op_type)
        if handler is None:
            self.fail(node, "constant folding supports QuantizeLinear, DequantizeLinear, Quant, BipolarQuant, "
                            f"Identity, Cast, Transpose, Reshape, Gather, Unsqueeze, Squeeze, Concat and "
                            f"{', '.join(_ARITHMETIC)}")
        self.consts[node.output[0]] = handler(node)

    # -- constants -------------------------------------------------------------------------------
    def op_Constant(self, node):
        from onnx import numpy_helper
        value = self.attr(node, "value")
        if value is None:
            self.fail(node, "only the 'value' attribute is supported")
        return numpy_helper.to_array(value)

    def _axis_shape(self, node, x: np.ndarray, param: np.ndarray) -> np.ndarray:
        """A (De)QuantizeLinear scale or zero point shaped to broadcast along the node's ``axis`` of x."""
        return _along(x, param, self.attr(node, "axis", 1))

    def const_quantize_linear(self, node):
        x, s = self.const(node, 0), self.const(node, 1)
        zp = self.const(node, 2, np.zeros((), np.uint8))
        low, high = _int_range(node, self, zp)
        s, zpb = self._axis_shape(node, x, s), self._axis_shape(node, x, zp)
        return np.clip(np.rint(x / s) + zpb, low, high).astype(zp.dtype), s

    def const_dequantize_linear(self, node):
        x = self.consts[node.input[0]]
        if isinstance(x, tuple):  # from a folded QuantizeLinear: (integers, scale)
            x = x[0]
        if not np.issubdtype(np.asarray(x).dtype, np.integer):
            self.fail(node, "dequantizes a float constant; expected integer codes")
        s = self._axis_shape(node, x, self.const(node, 1))
        zp = self._axis_shape(node, x, self.const(node, 2, np.zeros((), x.dtype)))
        return _QConst(x.astype(np.int64) - zp.astype(np.int64), np.asarray(s, np.float64))

    def const_quant(self, node):
        x, s, zp, bits = (np.asarray(self.const(node, i), np.float64) for i in range(4))
        mode = self._quant_params(node, s, zp, bits, weights=True)
        if bits.item() == 1 and self.attr(node, "signed", 1):
            return _QConst(np.where(x / s + zp >= 0, 1, -1).astype(np.int64), s)
        rounding = {"ROUND": np.rint, "FLOOR": np.floor, "CEIL": np.ceil}[mode]
        low, high = _quant_range(self, node, bits)
        codes = rounding(np.clip(x / s + zp, low, high)) - zp
        return _QConst(codes.astype(np.int64), s)

    def const_bipolar(self, node):
        x, s = np.asarray(self.const(node, 0)), np.asarray(self.const(node, 1), np.float64)
        return _QConst(np.where(x >= 0, 1, -1).astype(np.int64), s)

    def const_identity(self, node):
        return self.consts[node.input[0]]

    def const_arithmetic(self, node):
        operands = [self.consts[name] for name in node.input]
        if any(not isinstance(v, np.ndarray) for v in operands):
            self.fail(node, "arithmetic on a quantized constant; supported on plain constants only")
        return _ARITHMETIC[node.op_type](*operands)

    def const_transpose(self, node):
        return np.transpose(self.consts[node.input[0]], self.attr(node, "perm"))

    def const_reshape(self, node):
        return np.reshape(self.const(node, 0), tuple(self.const(node, 1)))

    def const_gather(self, node):
        return np.take(self.const(node, 0), self.const(node, 1), axis=self.attr(node, "axis", 0))

    def const_unsqueeze(self, node):
        axes = self.attr(node, "axes") or [int(a) for a in self.const(node, 1)]
        return np.expand_dims(self.const(node, 0), tuple(axes))

    def const_squeeze(self, node):
        axes = self.attr(node, "axes") or ([int(a) for a in self.const(node, 1)] if len(node.input) > 1 else None)
        return np.squeeze(self.const(node, 0), None if axes is None else tuple(axes))

    def const_concat(self, node):
        return np.concatenate([self.const(node, i) for i in range(len(node.input))], axis=self.attr(node, "axis"))

    def op_Shape(self, node):
        """The shape of an activation, batch size 1 (``x.view(x.size(0), -1)`` exports Shape -> Gather
        -> Unsqueeze -> Concat -> Reshape); reading a shape does not consume the activation."""
        name = node.input[0]
        if name not in self.acts or self.attr(node, "start") is not None or self.attr(node, "end") is not None:
            self.fail(node, "supported: the full shape of the network's activation")
        return np.array([1, *self.acts[name].shape], np.int64)

    # -- quantizers on activations -----------------------------------------------------------------
    def _quant_params(self, node, s, zp, bits, weights: bool) -> str:
        mode = self.attr(node, "rounding_mode", "ROUND")
        if mode not in ("ROUND", "FLOOR", "CEIL"):
            self.fail(node, f"rounding_mode {mode!r}; supported: ROUND, FLOOR, CEIL")
        if np.any(s <= 0) or (not weights and s.size != 1):
            self.fail(node, f"scale {s.ravel()[:4]}: activations need one positive scale (per tensor)")
        if np.any(zp != np.rint(zp)) or zp.size != 1 or bits.size != 1 or bits.item() != int(bits.item()):
            self.fail(node, "zero point and bit width must be scalar integers")
        return mode

    def quant(self, node):
        act = self.act(node)
        s, zp, bits = (np.asarray(self.const(node, i), np.float64) for i in (1, 2, 3))
        mode = self._quant_params(node, s, zp, bits, weights=False)
        s, zp = float(s.item()), float(zp.item())
        if bits.item() == 1 and self.attr(node, "signed", 1):
            return self.quantize(node, act, _bipolar(s, -zp * s))
        low, high = _quant_range(self, node, bits)
        return self.quantize(node, act, _uniform(s, zp, low, high, mode, zp_first=True))

    def bipolar_quant(self, node):
        s = np.asarray(self.const(node, 1), np.float64)
        if s.size != 1 or s.item() <= 0:
            self.fail(node, "activations need one positive scale")
        return self.quantize(node, self.act(node), _bipolar(float(s.item())))

    def multithreshold(self, node):
        act = self.act(node)
        t = np.sort(np.asarray(self.const(node, 1), np.float64), axis=1)
        if t.ndim != 2 or t.shape[0] not in (1, act.channels) or self.attr(node, "data_layout", "NCHW") != "NCHW":
            self.fail(node, f"thresholds of shape {t.shape}; supported: (1, K) or (channels, K), NCHW layout")
        scale, bias = float(self.attr(node, "out_scale", 1.0)), float(self.attr(node, "out_bias", 0.0))
        if scale <= 0:
            self.fail(node, f"out_scale = {scale}; supported: > 0")
        values = bias + scale * np.arange(t.shape[1] + 1)
        return self.quantize(node, act, _Quantizer(values, t.T, np.zeros((t.shape[1], 1), bool), scale))

    def op_Sign(self, node):
        values, bounds = np.array([-1.0, 0.0, 1.0]), np.zeros((2, 1))
        return self.quantize(node, self.act(node), _Quantizer(values, bounds, np.array([[False], [True]]), 1.0))

    def op_QuantizeLinear(self, node):
        act = self.act(node)
        s = np.asarray(self.const(node, 1), np.float64)
        zp = self.const(node, 2, np.zeros((), np.uint8))
        if s.size != 1 or zp.size != 1 or s.item() <= 0 or self.attr(node, "block_size", 0):
            self.fail(node, "activations need a per-tensor positive scale and zero point")
        low, high = _int_range(node, self, zp)
        return self.quantize(node, act, _quantize_linear(float(s.item()), int(zp.item()), low, high))

    def op_DequantizeLinear(self, node):
        act = self.act(node)
        s = np.asarray(self.const(node, 1), np.float64)
        zp = self.const(node, 2, np.zeros((), np.uint8))
        if act.raw is None:
            self.fail(node, "dequantizes a tensor that is not the output of a QuantizeLinear")
        if s.size != 1 or zp.size != 1 or (float(s.item()), int(zp.item())) != act.raw:
            self.fail(node, f"scale/zero point {s.ravel()[:2]}/{np.ravel(zp)[:2]} differ from the QuantizeLinear's "
                            f"{act.raw}; supported: matching QuantizeLinear/DequantizeLinear pairs")
        return _Act(act.shape, stage=act.stage, nhwc=act.nhwc, rows=act.rows)

    def trunc(self, node):
        """QONNX Trunc on codes: v1 (x, scale, zeropt, in_bits, out_bits) drops in - out low bits,
        ``(rnd(round(x / s + zp) / 2^(in - out)) - zp) s``; v2 (x, scale, zeropt, in_bits, out_scale,
        out_bits) with t = 2^round(log2(out_scale / s)) is
        ``(rnd(clip(round(x / s + zp) / t, min, max)) - zp / t) out_scale`` (qonnx trunc_v1/v2)."""
        act = self.act(node)
        if len(node.input) not in (5, 6) or act.stage is None:
            self.fail(node, "supported: Trunc (five or six inputs) on quantized codes")
        s, zp, b_in, *rest = (float(np.asarray(self.const(node, i)).item()) for i in range(1, len(node.input)))
        mode = self.attr(node, "rounding_mode", "FLOOR")
        rounding = {"FLOOR": np.floor, "CEIL": np.ceil, "ROUND": np.rint}.get(mode)
        if rounding is None:
            self.fail(node, f"rounding_mode {mode!r}; supported: FLOOR, CEIL, ROUND")
        if len(rest) == 1:
            def truncate(v):
                return (rounding(np.rint(v / s + zp) / 2.0 ** (b_in - rest[0])) - zp) * s
            return self.map_codes(node, act, truncate, s)
        out_scale, b_out = rest
        t = 2.0 ** np.round(np.log2(out_scale / s))
        low, high = _quant_range(self, node, np.asarray(b_out))
        def truncate_v2(v):
            return (rounding(np.clip(np.rint(v / s + zp) / t, low, high)) - zp / t) * out_scale
        return self.map_codes(node, act, truncate_v2, out_scale)

    def quantize(self, node, act: _Act, quantizer: _Quantizer) -> _Act:
        """A quantizer after a pre-activation (thresholds) or on codes (a monotone map of the levels)."""
        if act.raw is not None:
            self.fail(node, "quantizes the integer output of a QuantizeLinear; expected a DequantizeLinear first")
        if act.pre is None:
            if quantizer.bounds.shape[1] != 1:
                self.fail(node, "per-channel thresholds on codes are not supported")
            out = self.map_codes(node, act, quantizer.apply, quantizer.step)
            out.raw = quantizer.raw
            return out
        pre, stage = act.pre, act.pre.stage
        if quantizer.bounds.shape[1] not in (1, len(pre.a)):
            self.fail(node, f"{quantizer.bounds.shape[1]} threshold channels for {len(pre.a)} channels")
        self.flip_negative(node, pre)
        stage.thresholds, stage.values = _thresholds(pre, stage, quantizer)
        stage.step = quantizer.step
        self.ops.extend(pre.post)
        return _Act(act.shape, stage=stage, raw=quantizer.raw, nhwc=act.nhwc, rows=act.rows)

    def flip_negative(self, node, pre: _Pre) -> None:
        """Make every a >= 0 by negating the weight columns (and z bounds) where a < 0."""
        flip = pre.a < 0
        if not flip.any():
            return
        stage = pre.stage
        if stage.weights is None:
            self.fail(node, "the input is scaled by a negative factor before its quantizer; not supported")
        stage.weights[:, flip] *= -1
        stage.z_low[flip], stage.z_high[flip] = -stage.z_high[flip], -stage.z_low[flip]
        pre.a = np.abs(pre.a)

    def map_codes(self, node, act: _Act, function, step: float) -> _Act:
        """Codes through a monotone non-decreasing map of their values; merged levels lose a threshold."""
        stage = act.stage
        if stage is None or stage.consumed:
            self.fail(node, "expected quantized codes here")
        values = np.asarray(function(stage.values), np.float64)
        if np.any(np.diff(values) < 0):
            self.fail(node, "maps the codes by a decreasing function; only monotone non-decreasing maps are exact")
        keep = np.concatenate([[True], np.diff(values) > 0])
        stage.values, stage.thresholds, stage.step = values[keep], stage.thresholds[keep[1:]], step
        return _Act(act.shape, stage=stage, nhwc=act.nhwc, rows=act.rows)

    # -- elementwise -------------------------------------------------------------------------------
    def channel_vector(self, node, act: _Act, const) -> np.ndarray:
        """A scalar or per-channel constant (ONNX broadcasting on the activation) as one value per channel."""
        c = np.asarray(const, np.float64)
        n = act.channels
        if c.size == 1:
            return np.full(n, c.item())
        on_input = act.pre is not None and act.pre.stage is self.encoder and len(act.shape) == 1
        shape = (1,) * (len(act.shape) + 1 - c.ndim) + c.shape
        axis = len(shape) - 1 if act.nhwc or len(act.shape) == 1 else 1
        if on_input or shape[axis] != n or any(s != 1 for i, s in enumerate(shape) if i != axis):
            self.fail(node, f"constant of shape {c.shape}; supported: a scalar or one value per channel ({n})")
        return c.ravel()

    def affine(self, node, act: _Act, k: np.ndarray, t: np.ndarray) -> _Act:
        """y -> k y + t per channel, on a pre-activation (clip bounds follow) or on codes (k > 0 scalar)."""
        if act.pre is None:
            if act.raw is not None or np.ptp(k) or np.ptp(t) or k[0] <= 0:
                self.fail(node, "scales quantized codes by a per-channel, negative or raw-integer factor")
            return self.map_codes(node, act, lambda v: k[0] * v + t[0], act.stage.step * k[0])
        pre = act.pre
        if pre.stage is self.encoder and len(act.shape) == 1:
            k, t = k[:1].repeat(len(pre.a)), t[:1].repeat(len(pre.a))
        with np.errstate(invalid="ignore"):
            ends = np.sort(np.stack([k * pre.lo + t, k * pre.hi + t]), axis=0)
        ends = np.where(k == 0, [[-np.inf], [np.inf]], ends)
        new = _Pre(pre.stage, pre.a * k, pre.b * k + t, ends[0], ends[1], pre.post)
        return _Act(act.shape, pre=new, nhwc=act.nhwc, rows=act.rows)

    def _binary_operands(self, node) -> tuple[_Act, np.ndarray, bool]:
        first = node.input[0] in self.acts
        act = self.act(node, 0 if first else 1)
        return act, self.channel_vector(node, act, self.const(node, 1 if first else 0)), first

    def op_Add(self, node):
        act, c, _ = self._binary_operands(node)
        return self.affine(node, act, np.ones_like(c), c)

    def op_Sub(self, node):
        act, c, first = self._binary_operands(node)
        return self.affine(node, act, np.ones_like(c) * (1 if first else -1), -c if first else c)

    def op_Mul(self, node):
        act, c, _ = self._binary_operands(node)
        return self.affine(node, act, c, np.zeros_like(c))

    def op_Div(self, node):
        act, c, first = self._binary_operands(node)
        if not first or np.any(c == 0):
            self.fail(node, "supported: activation / non-zero constant")
        return self.affine(node, act, 1 / c, np.zeros_like(c))

    def op_BatchNormalization(self, node):
        act = self.act(node)
        as_channels = (lambda v: np.reshape(v, (-1, 1, 1))) if len(act.shape) == 3 and not act.nhwc else np.asarray
        gamma, beta, mean, var = (self.channel_vector(node, act, as_channels(self.const(node, i))) for i in range(1, 5))
        k = gamma / np.sqrt(var + self.attr(node, "epsilon", 1e-5))
        return self.affine(node, act, k, beta - mean * k)

    def op_Relu(self, node):
        return self.clip(node, self.act(node), 0.0, np.inf)

    def op_Clip(self, node):
        if self.attr(node, "min") is not None or self.attr(node, "max") is not None:
            low, high = self.attr(node, "min", -np.inf), self.attr(node, "max", np.inf)
        else:
            low = float(np.asarray(self.const(node, 1, np.array(-np.inf))).item())
            high = float(np.asarray(self.const(node, 2, np.array(np.inf))).item())
        return self.clip(node, self.act(node), low, high)

    def clip(self, node, act: _Act, low: float, high: float) -> _Act:
        if act.pre is not None:
            pre = act.pre
            new = _Pre(pre.stage, pre.a, pre.b, np.maximum(pre.lo, low), np.minimum(pre.hi, high), pre.post)
            return _Act(act.shape, pre=new, nhwc=act.nhwc, rows=act.rows)
        if act.raw is not None:  # QCDQ: Clip between QuantizeLinear and DequantizeLinear, in integer units
            s, zp = act.raw
            out = self.map_codes(node, act, lambda v: (np.clip(np.rint(v / s) + zp, low, high) - zp) * s, s)
            out.raw = act.raw
            return out
        return self.map_codes(node, act, lambda v: np.clip(v, low, high), act.stage.step)

    # -- layout ------------------------------------------------------------------------------------
    def op_Identity(self, node):
        return self.act(node)

    op_Dropout = op_Identity

    def op_Cast(self, node):
        act = self.act(node)
        if act.raw is not None:
            self.fail(node, "casts the integers of a QuantizeLinear; expected a DequantizeLinear")
        return act

    def op_Transpose(self, node):
        act = self.act(node)
        perm = tuple(self.attr(node, "perm", ()))
        wanted = _NHWC_TO_NCHW if act.nhwc else _NCHW_TO_NHWC
        if len(act.shape) != 3 or perm != wanted:
            self.fail(node, f"perm {perm}; supported: {_NCHW_TO_NHWC} and back on 4-D activations")
        shape = tuple(act.shape[i - 1] for i in perm[1:])
        return _Act(shape, act.pre, act.stage, act.raw, not act.nhwc, act.rows)

    def op_Flatten(self, node):
        if self.attr(node, "axis", 1) != 1:
            self.fail(node, "supported: axis = 1")
        return self.flatten(node, self.act(node))

    def op_Reshape(self, node):
        act = self.act(node)
        target = [int(v) for v in self.const(node, 1)]
        size = int(np.prod(act.shape))
        if len(target) == 2 and target[1] in (-1, size) and target[0] in (-1, 0, 1):
            return self.flatten(node, act) if len(act.shape) == 3 else act
        if len(target) == len(act.shape) + 1 and tuple(target[1:]) == act.shape:
            return act
        self.fail(node, f"shape {target}; supported: flattening to (N, {size}) or the same shape")

    def flatten(self, node, act: _Act) -> _Act:
        if len(act.shape) == 1:
            return act
        if act.pre is not None:
            self.fail(node, "flattens a pre-activation; supported: flattening quantized codes")
        self.ops.append(FlattenSpec())
        c, h, w = (act.shape[2], act.shape[0], act.shape[1]) if act.nhwc else act.shape
        rows = np.arange(c * h * w) if act.nhwc else _hwc_rows(c, h, w)
        return _Act((c * h * w,), stage=act.stage, raw=act.raw, rows=rows)

    def op_MaxPool(self, node):
        act = self.act(node)
        kernel, strides = tuple(self.attr(node, "kernel_shape")), tuple(self.attr(node, "strides", (1, 1)))
        pads, dilations = tuple(self.attr(node, "pads", (0,) * 4)), tuple(self.attr(node, "dilations", (1, 1)))
        if (len(act.shape) != 3 or act.nhwc or len(set(kernel)) != 1 or len(set(strides)) != 1 or any(pads)
                or set(dilations) != {1} or self.attr(node, "auto_pad", "NOTSET") not in ("NOTSET", "VALID")):
            self.fail(node, f"kernel {kernel}, strides {strides}, pads {pads}, dilations {dilations}; supported: "
                            "square kernels and strides, no padding, no dilation, NCHW")
        c, h, w = act.shape
        size, stride = kernel[0], strides[0]
        out = ((h - size) // stride + 1, (w - size) // stride + 1)
        if self.attr(node, "ceil_mode", 0) and ((h - size) % stride or (w - size) % stride):
            self.fail(node, "ceil_mode = 1 with partial windows is not supported")
        pool = PoolSpec("maxpool", size, stride)
        pre = act.pre
        if pre is not None:
            if pre.stage is self.encoder:
                self.fail(node, "pools the float input before its quantizer; not supported")
            pre = _Pre(pre.stage, pre.a, pre.b, pre.lo, pre.hi, [*pre.post, pool])
        else:
            self.ops.append(pool)
        return _Act((c, *out), pre=pre, stage=act.stage, raw=act.raw)

    def op_Gather(self, node):
        act = self.act(node)
        index = np.asarray(self.const(node, 1)).astype(np.int64)
        pre = act.pre
        if (pre is None or pre.stage is not self.encoder or len(act.shape) != 3 or self.attr(node, "axis", 0) != 1
                or index.ndim != 1 or np.isfinite(pre.lo).any() or np.isfinite(pre.hi).any()):
            self.fail(node, "supported: Gather along the channel axis of the float input (e.g. a thermometer code)")
        index = np.where(index < 0, index + len(pre.a), index)
        stage = pre.stage
        stage.channel_index, stage.z_low, stage.z_high = (stage.channel_index[index], stage.z_low[index],
                                                          stage.z_high[index])
        new = _Pre(stage, pre.a[index], pre.b[index], pre.lo[index], pre.hi[index])
        return _Act((len(index), *act.shape[1:]), pre=new)

    # -- matrix layers -----------------------------------------------------------------------------
    def input_codes(self, node, act: _Act, raw: bool) -> tuple[float, int, int]:
        """Consume ``act``'s codes as a matrix layer's input: (step, code min, code max); fixes the
        producing stage's integer levels."""
        stage = act.stage
        if stage is None or (act.raw is not None) != raw or stage.consumed:
            want = "the integers of a QuantizeLinear" if raw else "quantized (dequantized) activations"
            self.fail(node, f"its input is not {want}: every matrix layer needs quantized inputs")
        codes = stage.values / stage.step
        if not np.allclose(codes, np.rint(codes), rtol=0, atol=1e-6):
            self.fail(node, f"input levels {stage.values[:4]} are not integer multiples of their scale {stage.step}")
        codes = np.rint(codes).astype(np.int64)
        stage.levels, stage.consumed = codes, True
        return stage.step, int(codes.min()), int(codes.max())

    def weights(self, node, index: int) -> _QConst:
        name = node.input[index]
        value = self.consts.get(name)
        if isinstance(value, _QConst):
            return value
        if value is None:
            self.fail(node, f"weight {name!r} must be a constant")
        self.fail(node, f"weight {name!r} is not quantized: expected integer codes through DequantizeLinear, "
                        "QONNX Quant or BipolarQuant")

    def per_output(self, node, scale: np.ndarray, codes_shape: tuple, axis: int) -> np.ndarray:
        full = np.broadcast_to(scale, codes_shape)
        vector = np.moveaxis(full, axis, 0).reshape(codes_shape[axis], -1)
        if np.any(vector != vector[:, :1]):
            self.fail(node, "weight scales vary along an input axis; supported: per-tensor or per-output-channel")
        return vector[:, 0].astype(np.float64)

    def matrix(self, node, act: _Act, weights: np.ndarray, step: float, w_scale: np.ndarray, bias,
               conv: ConvGeometry | None, codes_range, out_shape) -> _Act:
        name = f"{'conv' if conv else 'dense'}{self.matrix_count}"
        self.matrix_count += 1
        low, high = z_bounds(*codes_range, weights)
        bits, signed = _input_bits(*codes_range)
        stage = _Stage(name, low.astype(np.float64), high.astype(np.float64), weights, conv, bits, input_signed=signed)
        self.ops.append(stage)
        n = weights.shape[1]
        pre = _Pre(stage, step * w_scale, np.broadcast_to(np.asarray(bias, np.float64), (n,)).copy(),
                   np.full(n, -np.inf), np.full(n, np.inf))
        return _Act(out_shape, pre=pre)

    def conv(self, node, act: _Act, codes: np.ndarray, bias, step: float, w_scale, codes_range) -> _Act:
        kernel = codes.shape[2:]
        strides, pads = tuple(self.attr(node, "strides", (1, 1))), tuple(self.attr(node, "pads", (0,) * 4))
        dilations = tuple(self.attr(node, "dilations", (1, 1)))
        if (len(act.shape) != 3 or act.nhwc or codes.ndim != 4 or len(set(strides)) != 1
                or len(set(pads)) != 1 or set(dilations) != {1} or self.attr(node, "group", 1) != 1
                or self.attr(node, "auto_pad", "NOTSET") != "NOTSET" or codes.shape[1] != act.shape[0]):
            self.fail(node, f"kernel {kernel}, strides {strides}, pads {pads}, dilations {dilations}, group "
                            f"{self.attr(node, 'group', 1)}; supported: 2-D NCHW, equal strides and equal pads on "
                            "every side, no dilation, group 1")
        c, h, w = act.shape
        geometry = ConvGeometry((kernel[0], kernel[1]), strides[0], pads[0], (h, w, c))
        matrix = codes.transpose(2, 3, 1, 0).reshape(-1, codes.shape[0])
        return self.matrix(node, act, matrix, step, w_scale, bias, geometry, codes_range,
                           (codes.shape[0], *geometry.out_shape))

    def dense(self, node, act: _Act, codes: np.ndarray, bias, step: float, w_scale, codes_range) -> _Act:
        """codes: (F, n_out) in the ONNX feature order."""
        if len(act.shape) != 1 or codes.ndim != 2 or codes.shape[0] != act.shape[0]:
            self.fail(node, f"weights {codes.shape} for input features {act.shape}; expected (F, n_out) on a flat "
                            "input")
        matrix = np.empty_like(codes)
        matrix[act.rows if act.rows is not None else np.arange(len(codes))] = codes
        return self.matrix(node, act, matrix, step, w_scale, bias, None, codes_range, (codes.shape[1],))

    def op_Conv(self, node):
        act = self.act(node)
        w = self.weights(node, 1)
        step, *codes_range = self.input_codes(node, act, raw=False)
        bias = self.const(node, 2, np.zeros(()))
        return self.conv(node, act, w.codes, bias, step, self.per_output(node, w.scale, w.codes.shape, 0), codes_range)

    def op_MatMul(self, node):
        act = self.act(node)
        w = self.weights(node, 1)
        step, *codes_range = self.input_codes(node, act, raw=False)
        return self.dense(node, act, w.codes, 0.0, step, self.per_output(node, w.scale, w.codes.shape, 1), codes_range)

    def op_Gemm(self, node):
        act = self.act(node)
        w = self.weights(node, 1)
        if self.attr(node, "transA", 0):
            self.fail(node, "transA = 1 is not supported")
        step, *codes_range = self.input_codes(node, act, raw=False)
        trans = bool(self.attr(node, "transB", 0))
        scale = self.per_output(node, w.scale, w.codes.shape, 0 if trans else 1) * self.attr(node, "alpha", 1.0)
        bias = np.asarray(self.const(node, 2, np.zeros(())), np.float64) * self.attr(node, "beta", 1.0)
        return self.dense(node, act, w.codes.T if trans else w.codes, bias.ravel() if bias.size > 1 else bias,
                          step, scale, codes_range)

    def _integer_input(self, node, act: _Act, zero_point, scale=None) -> tuple[float, int, int]:
        """Consume the integers of a QuantizeLinear whose zero point (and scale, when given) the node repeats."""
        zp = np.asarray(zero_point)
        s = None if scale is None else np.asarray(scale, np.float64)
        ok = act.raw is not None and zp.size == 1 and int(zp.item()) == act.raw[1]
        if not ok or (s is not None and (s.size != 1 or float(s.item()) != act.raw[0])):
            self.fail(node, f"input scale/zero point differ from its QuantizeLinear's {act.raw}")
        return self.input_codes(node, act, raw=True)

    def _integer_weights(self, node, index: int, zp_index: int, axis: int) -> np.ndarray:
        q = np.asarray(self.const(node, index))
        if not np.issubdtype(q.dtype, np.integer):
            self.fail(node, "weights are not integers")
        zp = np.asarray(self.const(node, zp_index, np.zeros((), q.dtype)))
        return q.astype(np.int64) - _along(q, zp, axis).astype(np.int64)


    def op_ConvInteger(self, node):
        act = self.act(node)
        _, *codes_range = self._integer_input(node, act, self.const(node, 2, np.zeros((), np.uint8)))
        codes = self._integer_weights(node, 1, 3, 0)
        return self.conv(node, act, codes, 0.0, 1.0, np.ones(codes.shape[0]), codes_range)

    def op_MatMulInteger(self, node):
        act = self.act(node)
        _, *codes_range = self._integer_input(node, act, self.const(node, 2, np.zeros((), np.uint8)))
        codes = self._integer_weights(node, 1, 3, 1)
        return self.dense(node, act, codes, 0.0, 1.0, np.ones(codes.shape[1]), codes_range)

    def _qlinear_output(self, node, out: _Act, y_scale, y_zp) -> _Act:
        low, high = _int_range(node, self, y_zp)
        s, zp = float(np.asarray(y_scale).item()), int(np.asarray(y_zp).item())
        return self.quantize(node, out, _quantize_linear(s, zp, low, high))

    def op_QLinearConv(self, node):
        act = self.act(node)
        step, *codes_range = self._integer_input(node, act, self.const(node, 2), self.const(node, 1))
        codes = self._integer_weights(node, 3, 5, 0)
        w_scale = self.per_output(node, _along(codes, np.asarray(self.const(node, 4), np.float64), 0),
                                  codes.shape, 0)
        bias = np.asarray(self.const(node, 8, np.zeros((), np.int32)), np.float64) * step * w_scale
        out = self.conv(node, act, codes, bias, step, w_scale, codes_range)
        return self._qlinear_output(node, out, self.const(node, 6), self.const(node, 7))

    def op_QLinearMatMul(self, node):
        act = self.act(node)
        step, *codes_range = self._integer_input(node, act, self.const(node, 2), self.const(node, 1))
        codes = self._integer_weights(node, 3, 5, 1)
        w_scale = self.per_output(node, _along(codes, np.asarray(self.const(node, 4), np.float64), 1),
                                  codes.shape, 1)
        out = self.dense(node, act, codes, 0.0, step, w_scale, codes_range)
        return self._qlinear_output(node, out, self.const(node, 6), self.const(node, 7))

    # -- result ------------------------------------------------------------------------------------
    def model(self) -> IntegerModel:
        enc = self.encoder
        if enc.levels is None:
            raise ModelFileError(self.path, "the graph input never reaches a quantizer feeding a matrix layer")
        encoder = _as_input_encoder(ThresholdEncoder(self.max_level, enc.channel_index,
                                                     enc.thresholds.astype(np.int64), enc.levels))
        ops = [_layer(self.path, op) if isinstance(op, _Stage) else op for op in self.ops]
        return IntegerModel(self.path.stem, encoder, ops)


def _thresholds(pre: _Pre, stage: _Stage, quantizer: _Quantizer) -> tuple[np.ndarray, np.ndarray]:
    """Integer thresholds on z (levels - 1, n) of quantizer(clip(a z + b, lo, hi)), a >= 0, and the
    level values that remain: levels outside every channel's clip range are dropped, and for the
    input encoder the levels no pixel level reaches."""
    n = len(pre.a)
    beta = np.broadcast_to(quantizer.bounds, (len(quantizer.values) - 1, n))
    strict = np.broadcast_to(quantizer.strict, beta.shape)
    low, high = stage.z_low[None, :], stage.z_high[None, :] + 1
    a, b = pre.a[None, :], pre.b[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (beta - b) / a
        exact = np.where(strict, np.floor(u) + 1, np.ceil(u))
    passes = (b > beta) | (~strict & (b == beta))
    t = np.where(a == 0, np.where(passes, low, high), exact)
    always = (beta < pre.lo[None, :]) | (~strict & (beta == pre.lo[None, :]))
    never = (beta > pre.hi[None, :]) | (strict & (beta == pre.hi[None, :]))
    t = np.clip(np.where(always, low, np.where(never, high, t)), low, high)
    if stage.weights is None:  # the input: pixel levels span exactly [z_low, z_high]
        always, never = always | (t <= low), never | (t >= high)
    first = int(always.sum(0).min())
    last = int((beta.shape[0] - never.sum(0)).max())
    values, t = quantizer.values[first:last + 1], t[first:last]
    if len(values) == 3 and values[1] == 0 and values[0] == -values[2] and np.array_equal(t[0], t[1]):
        values, t = values[[0, 2]], t[:1]  # sign idiom: a zero level no input reaches
    return t, values


def _input_bits(low: int, high: int) -> tuple[int, bool]:
    """(bits, signed) of a matrix layer's input codes in [low, high]: 1 for {-1, 0, 1} (binary
    activations and zero padding), two's complement for other negative codes, else unsigned."""
    if set(range(low, high + 1)) <= {-1, 0, 1}:
        return 1, False
    if low < 0:
        return max((-low - 1).bit_length(), high.bit_length()) + 1, True
    return max(1, math.ceil(math.log2(high + 1))), False


def _layer(path: Path, stage: _Stage) -> LayerSpec:
    weight_bits = _weight_bits(stage.weights)
    if stage.scale is not None:
        return LayerSpec(stage.name, stage.weights, weight_bits, stage.input_bits, scale=stage.scale,
                         offset=stage.offset, conv=stage.conv, input_signed=stage.input_signed)
    if stage.levels is None:
        raise ModelFileError(path, f"the codes of layer {stage.name!r} feed no later matrix layer; supported: a "
                                   "chain of layers ending in logits")
    return LayerSpec(stage.name, stage.weights, weight_bits, stage.input_bits,
                     thresholds=stage.thresholds.astype(np.int64), levels=stage.levels, conv=stage.conv,
                     input_signed=stage.input_signed)


def _as_input_encoder(encoder: ThresholdEncoder):
    """The zoo's `InputEncoder` with the same codes on every pixel level, if there is one."""
    c = int(encoder.channel_index.max()) + 1
    pixels = np.repeat(np.arange(encoder.max_level + 1), c).reshape(-1, 1, 1, c)
    codes = encoder.codes(pixels)
    k = len(encoder.channel_index) // c
    candidates = []
    repeated = np.array_equal(encoder.channel_index, np.repeat(np.arange(c), k))
    if k >= 1 and np.array_equal(encoder.levels, (-1, 1)) and repeated:
        first_pixel = tuple(int(v) for v in encoder.thresholds[0, :k])
        candidates.append(InputEncoder("thermometer", encoder.max_level, first_pixel))
    top = int(encoder.levels.max())
    if np.array_equal(encoder.levels, np.arange(top + 1)) and np.array_equal(encoder.channel_index, np.arange(c)) \
            and top >= 1 and (top + 1) & top == 0:
        candidates.append(InputEncoder("uniform", encoder.max_level, bits=int(math.log2(top + 1))))
    for candidate in candidates:
        if np.array_equal(candidate.codes(pixels), codes):
            return candidate
    return encoder


def _square_image(features: int) -> tuple[int, int, int] | None:
    """A square one-channel image of ``features`` pixels, or None."""
    side = math.isqrt(features)
    return (side, side, 1) if side * side == features else None


def _export_error(what: str, problem: str) -> ParameterError:
    return ParameterError("save_onnx", what, problem)


def _int_range(node, importer: _Importer, zero_point) -> tuple[int, int]:
    from onnx import helper
    dtype = np.asarray(zero_point).dtype
    output_dtype = importer.attr(node, "output_dtype", 0)
    if output_dtype:
        dtype = helper.tensor_dtype_to_np_dtype(output_dtype)
    if dtype not in (np.uint8, np.int8, np.uint16, np.int16):
        importer.fail(node, f"integer type {dtype}; supported: uint8, int8, uint16, int16")
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _quant_range(importer: _Importer, node, bits) -> tuple[int, int]:
    """QONNX Quant's integer range for ``signed``, ``narrow`` and bit width b."""
    b = int(np.asarray(bits).item())
    signed, narrow = importer.attr(node, "signed", 1), importer.attr(node, "narrow", 0)
    if not 1 <= b <= 16:
        importer.fail(node, f"bit width {b}; supported: 1..16")
    if signed:
        return -(2 ** (b - 1)) + (1 if narrow else 0), 2 ** (b - 1) - 1
    return 0, 2 ** b - 1 - (1 if narrow else 0)


def _read_model(path: Path):
    import onnx
    from google.protobuf.message import DecodeError
    if not path.is_file():
        raise ModelFileError(path, "not found")
    try:
        model = onnx.load(str(path))
    except (DecodeError, ValueError, OSError, RuntimeError) as exc:
        raise ModelFileError(path, f"not a readable ONNX file ({type(exc).__name__}: {exc})") from exc
    if not model.graph.node:
        raise ModelFileError(path, "not an ONNX model (no graph nodes); expected a file written by onnx.save or "
                                   "torch.onnx.export")
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    version = opsets.get("ai.onnx")
    if version is None or not OPSET_RANGE[0] <= version <= OPSET_RANGE[1]:
        raise ModelFileError(path, f"ONNX opset {version}; supported: {OPSET_RANGE[0]}..{OPSET_RANGE[1]} "
                                   "(re-export with e.g. torch.onnx.export(..., opset_version=13))")
    return model


def load_onnx(path: str | Path, image_shape: tuple[int, int, int] | None = None,
              max_level: int = DEFAULT_MAX_LEVEL) -> IntegerModel:
    """Import a quantized ONNX network (QONNX or QDQ) as an `IntegerModel` (see the module docstring).

    path: the ``.onnx`` file; image_shape: the data set's (H, W, C), checked against the graph's
    input (default: read from a 4-D input); max_level: the data set's largest pixel level (the
    graph's input is pixel / max_level).
    """
    path = Path(path)
    model = _read_model(path)
    return _Importer(path, model.graph, image_shape, int(max_level)).run()


# -- export ----------------------------------------------------------------------------------------
def _encoder_stage(encoder, image_channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(channel_index, thresholds (L-1, C'), levels) of an input encoder, from its codes on every level."""
    if isinstance(encoder, ThresholdEncoder):
        return encoder.channel_index, encoder.thresholds, encoder.levels
    m, c = encoder.max_level, image_channels
    pixels = np.repeat(np.arange(m + 1), c).reshape(-1, 1, 1, c)
    codes = encoder.codes(pixels).reshape(m + 1, -1)
    k = codes.shape[1] // c
    levels = np.unique(codes)
    thresholds = np.array([[np.argmax(col >= lv) if (col >= lv).any() else m + 1 for col in codes.T]
                           for lv in levels[1:]])
    return np.repeat(np.arange(c), k), thresholds, levels


def _passing(c: float, d: float, parity: int, n: int) -> np.ndarray:
    """The integer thresholds of round_half_even((z - c) / d + 1/2 + parity) into levels 1..n: z passes
    level k at t = c + (k - 1) d, and at an exact tie (t an integer) only when k + parity is even."""
    t = c + d * np.arange(n)
    tie = t == np.rint(t)
    return np.where(tie, np.where((np.arange(1, n + 1) + parity) % 2 == 0, t, t + 1), np.ceil(t))


def _exact_progression(t: np.ndarray, low: float, high: float, parity: int) -> tuple[float, float] | None:
    """(c, d), d a power of two and c a multiple of it (so float32 computes ties exactly), whose
    `_passing` thresholds equal ``t`` on the reachable range; None if there is none."""
    reach = np.flatnonzero((t > low) & (t <= high))
    if reach.size < 2:
        return None
    i0 = reach[0]
    steps = {(t[j] - t[i0] + delta) / (j - i0) for j in reach[1:] for delta in (-1, 0, 1)}
    for d in sorted(x for x in steps if x > 0 and math.frexp(x)[0] == 0.5):
        for c in sorted({float(t[i] - i * d - shift) for i in reach for shift in (0, 1)}):
            found = np.clip(_passing(c, d, parity, len(t)), low, high + 1)
            if np.array_equal(found, np.clip(t, low, high + 1)):
                return c, d
    return None


def _progression(t: np.ndarray, low: float, high: float) -> tuple[float, float] | None:
    """(c, d) with c + i d inside (t_i - 1, t_i] for the reachable thresholds t_i (<= low for
    always-passed, > high for never-passed ones) by the largest margin a small linear program
    finds; None unless the margin exceeds float32 rounding of z at the z range (16 eps |z|, at
    least 1e-3), so that onnxruntime and `load_onnx` see the same thresholds."""
    from scipy.optimize import linprog
    rows, bounds = [], []
    for i, ti in enumerate(t):
        if ti <= low:
            rows.append([1, i, 1]), bounds.append(low)
        elif ti > high:
            rows.append([-1, -i, 1]), bounds.append(-high)
        else:
            rows.extend([[1, i, 1], [-1, -i, 1]]), bounds.extend([ti, 1 - ti])
    result = linprog([0, 0, -1], A_ub=rows, b_ub=bounds, bounds=[(None, None), (1e-6, None), (None, 0.5)])
    needed = max(1e-3, 16 * float(np.finfo(np.float32).eps) * max(abs(low), abs(high), 1.0))
    return (float(result.x[0]), float(result.x[1])) if result.success and result.x[2] >= needed else None


def _uniform_stage(thresholds: np.ndarray, levels: np.ndarray, low, high) -> tuple[np.ndarray, int]:
    """Per column (c, d) and one tie parity with which round_half_even((z - c) / d + 1/2 + parity)
    reproduces the integer thresholds: by a margin where it can (`_progression`), else with exact
    ties (`_exact_progression`, e.g. thresholds from power-of-two scales)."""
    for parity in (0, 1):
        found = []
        for col, lo, hi in zip(thresholds.T, low, high):
            cd = _progression(col, lo, hi) or _exact_progression(col, lo, hi, parity + int(levels[0]))
            if cd is None:
                break
            found.append(cd)
        else:
            return np.array(found), parity
    raise _export_error(f"thresholds {col.tolist()}", "not those of a uniform quantizer: a QDQ graph cannot "
                                                         "express them")


class _Writer:
    """Builds the QDQ graph node by node."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, value: np.ndarray, stem: str = "c") -> str:
        from onnx import numpy_helper
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], stem: str, **attrs) -> str:
        from onnx import helper
        out = self.name(stem)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def channel(self, values: np.ndarray, rank: int) -> str:
        shape = (1, -1, 1, 1) if rank == 4 else (1, -1)
        return self.const(np.asarray(values, np.float32).reshape(shape))

    def stage(self, y: str, z_scale: float, thresholds: np.ndarray, levels: np.ndarray, low, high, rank: int) -> str:
        """Codes of ``levels`` where z = y / z_scale passes ``thresholds``: per-channel Mul/Add, Clip,
        QuantizeLinear (scale 1) and DequantizeLinear; binary levels by the sign idiom 2(z - T) + 1."""
        levels = np.asarray(levels)
        if np.array_equal(levels, (-1, 1)):
            k, t, lo, hi = 2.0 / z_scale + 0 * thresholds[0], 1.0 - 2.0 * thresholds[0], -1.0, 1.0
            parity = 0
        elif np.array_equal(levels, np.arange(levels[0], levels[0] + len(levels))):
            cd, parity = _uniform_stage(thresholds, levels, low, high)
            k = 1.0 / (z_scale * cd[:, 1])
            t = 0.5 - cd[:, 0] / cd[:, 1] + levels[0] + parity
            lo, hi = float(levels[0] + parity), float(levels[-1] + parity)
        else:
            raise _export_error(f"levels {levels.tolist()}", "neither {-1, +1} nor consecutive integers: a QDQ graph "
                                                             "cannot express them")
        y = self.node("Mul", [y, self.channel(k, rank)], "scale")
        y = self.node("Add", [y, self.channel(t, rank)], "shift")
        y = self.node("Clip", [y, self.const(np.float32(lo)), self.const(np.float32(hi))], "clip")
        zero = self.const(np.int8(parity) if lo < 0 else np.uint8(parity))
        one = self.const(np.float32(1.0))
        q = self.node("QuantizeLinear", [y, one, zero], "quant")
        return self.node("DequantizeLinear", [q, one, zero], "dequant")

    def weights(self, w: np.ndarray) -> str:
        dtype = np.int8 if np.abs(w).max() < 128 else np.int32
        return self.node("DequantizeLinear", [self.const(w.astype(dtype), "w"), self.const(np.float32(1.0)),
                                              self.const(dtype(0))], "weight")


def save_onnx(model: IntegerModel, path: str | Path, image_shape: tuple[int, int, int] | None = None) -> Path:
    """Write an integer model as a QDQ ONNX graph (opset 13) that onnxruntime runs.

    Input ``x``: float (N, C, H, W), pixel levels / max_level; output ``logits`` (N, classes).
    Weights are integer codes through DequantizeLinear (scale 1), so every Conv/MatMul computes
    the exact integer z in float32 (|z| < 2^24); each threshold stage is a per-channel Mul/Add,
    a Clip and a QuantizeLinear of scale 1, ``round_half_even((z - c) / d + 1/2)``, with c, d per
    column found by a linear program that keeps every threshold away from a rounding tie, or, for
    thresholds that came from exact ties (power-of-two scales), a power-of-two d that reproduces
    the ties exactly (`_uniform_stage`); binary stages use the sign idiom
    ``clip(2 (z - T) + 1, -1, 1)``. `load_onnx` reads the file back into the same integer model.
    Thresholds no uniform quantizer gives, levels other than {-1, +1} or consecutive integers,
    and TTQ layers of two weight parts are a `ParameterError`. image_shape: (H, W, C) of the input
    images (default: from the first convolution, or a square one-channel image).
    """
    import onnx
    from onnx import TensorProto, helper
    path = Path(path)
    image_shape = image_shape or _export_image_shape(model)
    h, w, c = image_shape
    writer = _Writer()
    index, thresholds, levels = _encoder_stage(model.encoder, c)
    y = "x"
    if not np.array_equal(index, np.arange(c)):
        y = writer.node("Gather", [y, writer.const(index.astype(np.int64))], "expand", axis=1)
    m = model.encoder.max_level
    y = writer.stage(y, 1.0 / m, thresholds, levels, np.zeros(len(index)), np.full(len(index), m), 4)
    shape, codes_range, rows = (len(index), h, w), (int(levels.min()), int(levels.max())), None
    for op in model.ops:
        y, shape, codes_range, rows = _export_op(writer, op, y, shape, codes_range, rows)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c, h, w])]
    writer.nodes[-1].output[0] = "logits"
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", shape[0]])]
    graph = helper.make_graph(writer.nodes, model.name, inputs, outputs, writer.inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", EXPORT_OPSET)],
                                   producer_name="imc")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model, str(path))
    return path


def _export_image_shape(model: IntegerModel) -> tuple[int, int, int]:
    first = model.layers[0]
    per_pixel = model.encoder.channels(1)
    if first.conv is not None:
        h, w, c = first.conv.in_shape
        return h, w, c // per_pixel
    shape = _square_image(first.n_in // per_pixel)
    if shape is None:
        raise _export_error(f"model {model.name!r}", "its first layer is dense on a non-square input: give image_shape")
    return shape


def _export_op(writer: _Writer, op, y: str, shape: tuple, codes_range, rows):
    """One op of the list as QDQ nodes; returns the new tensor, its per-sample ONNX shape, its code
    range and, for a flat tensor, the imc (H, W, C) index of each ONNX (C, H, W) feature."""
    if isinstance(op, FlattenSpec):
        return writer.node("Flatten", [y], "flatten", axis=1), (int(np.prod(shape)),), codes_range, _hwc_rows(*shape)
    if isinstance(op, PoolSpec):
        c, h, w = shape
        out = writer.node("MaxPool", [y], "pool", kernel_shape=[op.size] * 2, strides=[op.stride] * 2)
        return out, (c, (h - op.size) // op.stride + 1, (w - op.size) // op.stride + 1), codes_range, None
    if getattr(op, "part_gains", None) is not None:
        raise _export_error(f"layer {op.name!r}", "a layer of several weight parts with float gains (TTQ) has no "
                                                  "QDQ form: ONNX quantizes a tensor with one scale per output channel")
    weights = op.weights.astype(np.int64)
    if op.conv is not None:
        kh, kw = op.conv.kernel
        onnx_w = weights.reshape(kh, kw, op.conv.in_shape[2], op.n_out).transpose(3, 2, 0, 1)
        p = op.conv.padding
        z = writer.node("Conv", [y, writer.weights(onnx_w)], "conv", kernel_shape=[kh, kw],
                        strides=[op.conv.stride] * 2, pads=[p] * 4)
        out_shape, rank = (op.n_out, *op.conv.out_shape), 4
    else:
        z = writer.node("MatMul", [y, writer.weights(weights[rows if rows is not None else slice(None)])], "matmul")
        out_shape, rank = (op.n_out,), 2
    if op.thresholds is None:
        z = writer.node("Mul", [z, writer.channel(op.scale, rank)], "scale")
        return writer.node("Add", [z, writer.channel(op.offset, rank)], "offset"), out_shape, None, None
    low, high = z_bounds(*codes_range, weights)
    t = np.asarray(op.thresholds).reshape(-1, op.n_out)
    out = writer.stage(z, 1.0, t, op.levels, low, high, rank)
    return out, out_shape, (int(op.levels.min()), int(op.levels.max())), None
