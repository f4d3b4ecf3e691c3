"""Exact integer export of a quantized `Sequential` network.

Each quantized Dense/Conv2d layer becomes a `LayerSpec`: its weight codes as an integer
matrix (a convolution as its im2col matrix) and an output stage. With input values
``s_in * code + o_in`` and weights ``s_w * q``, the pre-activation is ``A0 * z + B0`` with
``z = codes @ q`` an integer, A0 = s_in s_w and B0 = o_in s_w sum(q) + bias. A following
BatchNorm (Ioffe & Szegedy, ICML 2015, inference form) gives ``y = A z + B`` with
A = gamma A0 / sigma and B = gamma (B0 - mu) / sigma + beta. A following activation quantizer
outputs level k when y passes k of its thresholds b_k; for A > 0, ``y >= b`` is
``z >= ceil((b - B) / A)`` because z is an integer, and for A < 0 the weight column is negated
so that every comparison is ``>=`` (the BNN folding of Courbariaux et al., NeurIPS 2016,
generalised to k-bit activations). The last matrix layer keeps ``A z + B`` as float logits.
Max pooling and flattening act on the integer codes directly (every stage is monotone).

A TTQ layer (values +W_p / 0 / -W_n, not affine in its codes: Zhu et al., ICLR 2017) exports as two
0/1 masks side by side, z+ and z- counting the inputs on its +1 and -1 codes, combined digitally
(`LayerSpec.part_gains`): ``y = A+ z+ + A- z- + B`` with A+ = s_in W_p, A- = -s_in W_n (times the
BatchNorm gain), and a following activation quantizer compares ``A+ z+ + A- z-`` with the float
thresholds b_k - B.
"""

from __future__ import annotations

import numpy as np

from imc.errors import ParameterError
from imc.mapping.spec import ConvGeometry, FlattenSpec, LayerSpec, PoolSpec
from imc.nn import layers as L


def _fail(layer_index: int, layer, reason: str):
    raise ParameterError(f"layers[{layer_index}]", type(layer).__name__, reason)


def _square(layer_index: int, layer, name: str, pair: tuple[int, int]) -> int:
    if pair[0] != pair[1]:
        _fail(layer_index, layer, f"{name} {pair} is not square; integer export supports square {name}s")
    return int(pair[0])


def _z_bounds(codes_min: int, codes_max: int, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output bounds of z = x @ weights for input codes in [codes_min, codes_max] (and 0 padding)."""
    low_code, high_code = min(codes_min, 0), max(codes_max, 0)
    pos, neg = np.clip(weights, 0, None).sum(0), np.clip(weights, None, 0).sum(0)
    return low_code * pos + high_code * neg, high_code * pos + low_code * neg


def code_value(quantizer) -> tuple[float, float]:
    """(value per code, value of code 0) of an activation quantizer's codes."""
    code = quantizer.quantize(np.zeros(1))
    return float(np.asarray(code.scale).ravel()[0]), float(np.asarray(code.offset).ravel()[0])


def weight_codes(layer_index: int, layer, n_out: int):
    """(integer weight matrix, code bits, per-output scale s_w, None) of a layer's quantized weights, or
    for TTQ (0/1 masks of its +1 and -1 codes side by side, 2, None, the values (W_p, -W_n) they stand for)."""
    quantizer = layer.weight_quantizer
    if hasattr(quantizer, "ternary_codes"):
        codes = quantizer.ternary_codes(layer.params["weight"]).reshape(-1, n_out)
        w_pos, w_neg = quantizer.scales()
        masks = np.concatenate([codes > 0, codes < 0], axis=1).astype(np.int64)
        return masks, quantizer.bits, None, np.array([w_pos, -w_neg], dtype=np.float64)
    quantized = quantizer.quantize(layer.params["weight"])
    if np.any(np.asarray(quantized.offset) != 0):
        _fail(layer_index, layer, f"weight quantizer {quantizer.key!r} has a non-zero offset; export needs "
                                  "symmetric weight codes")
    s_w = np.broadcast_to(np.asarray(quantized.scale, dtype=np.float64), (n_out,))
    return quantized.codes.reshape(-1, n_out).astype(np.int64), quantized.bits, s_w, None


def _integer_thresholds(weights: np.ndarray, a: np.ndarray, b: np.ndarray, boundaries: np.ndarray,
                        codes_min: int, codes_max: int) -> np.ndarray:
    """Integer thresholds on z of y = a z + b against the activation's ``boundaries`` (module
    docstring); negates the weight columns of a < 0 in place so that every comparison is >=."""
    flip = a < 0
    weights[:, flip] *= -1
    magnitude = np.abs(a)
    low, high = _z_bounds(codes_min, codes_max, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.ceil((boundaries[:, None] - b[None, :]) / magnitude[None, :])
    constant = np.where(b[None, :] >= boundaries[:, None], low[None, :], high[None, :] + 1)
    thresholds = np.where(magnitude[None, :] == 0, constant, exact)
    return np.clip(thresholds, low[None, :], high[None, :] + 1).astype(np.int64)


def export_integer(model, name: str):
    """`IntegerModel` of ``model`` whose integer path reproduces the float inference exactly."""
    from imc.nn.network import IntegerModel

    encoder = model.encoder
    h, w, c = model.input_shape
    shape = (h, w, encoder.channels(c))
    scale_in, offset_in, bits_in = encoder.scale, 0.0, encoder.code_bits
    codes_min, codes_max = (-1, 1) if encoder.encoding == "thermometer" else (0, 2 ** encoder.bits - 1)
    ops, layers, i = [], model.layers, 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, L.Flatten):
            ops.append(FlattenSpec())
            shape, i = (int(np.prod(shape)),), i + 1
            continue
        if isinstance(layer, L.MaxPool2d):
            size, stride = _square(i, layer, "size", layer.size), _square(i, layer, "stride", layer.stride)
            ops.append(PoolSpec("maxpool", size, stride))
            shape = ((shape[0] - size) // stride + 1, (shape[1] - size) // stride + 1, shape[2])
            i += 1
            continue
        if not isinstance(layer, (L.Dense, L.Conv2d)):
            _fail(i, layer, "cannot be exported on its own: integer nets allow Dense/Conv2d [+ BatchNorm] "
                            "[+ activation quantizer], max pooling and flatten")
        quantizer = layer.weight_quantizer
        if quantizer is None:
            _fail(i, layer, "has float weights: give it a weight_quantizer to export it")
        n_out = layer.params["weight"].shape[-1]
        weights, bits, s_w, part_values = weight_codes(i, layer, n_out)
        geometry = None
        if isinstance(layer, L.Conv2d):
            geometry = ConvGeometry(tuple(layer.kernel_size), _square(i, layer, "stride", layer.stride),
                                    _square(i, layer, "padding", layer.padding), shape)
            if geometry.padding and offset_in != 0:
                _fail(i, layer, "zero padding needs inputs whose code 0 means value 0")
        if part_values is None:
            a = scale_in * s_w
            b = offset_in * s_w * weights.sum(0) + layer.params.get("bias", 0.0)
        else:  # per part and output: the value each mask's count stands for
            values = np.repeat(part_values[:, None], n_out, axis=1)
            a = scale_in * values
            b = offset_in * (values * weights.sum(0).reshape(values.shape)).sum(0) + layer.params.get("bias", 0.0)
        j = i + 1
        if j < len(layers) and isinstance(layers[j], L.BatchNorm):
            bn = layers[j]
            gamma, beta = bn.params["gamma"], bn.params["beta"]
            sigma = np.sqrt(bn.running_var + bn.eps)
            a, b = gamma * a / sigma, gamma * (b - bn.running_mean) / sigma + beta
            j += 1
        layer_name = f"{'conv' if geometry else 'dense'}{len([op for op in ops if isinstance(op, LayerSpec)])}"
        if j < len(layers) and isinstance(layers[j], L.QuantizeActivation):
            activation = layers[j].quantizer
            if not hasattr(activation, "thresholds"):
                _fail(j, layers[j], f"activation quantizer {activation.key!r} has a data-dependent scale "
                                    "and no integer thresholds")
            boundaries = np.asarray(activation.thresholds(), dtype=np.float64)
            levels = np.asarray(activation.integer_levels())
            if part_values is not None:
                ops.append(LayerSpec(layer_name, weights, weight_bits=bits, input_bits=bits_in,
                                     thresholds=boundaries[:, None] - b[None, :], levels=levels, conv=geometry,
                                     part_gains=a))
            else:
                ops.append(LayerSpec(layer_name, weights, weight_bits=bits, input_bits=bits_in, conv=geometry,
                                     thresholds=_integer_thresholds(weights, a, b, boundaries, codes_min, codes_max),
                                     levels=levels))
            scale_in, offset_in = code_value(activation)
            bits_in, codes_min, codes_max = activation.bits, int(levels.min()), int(levels.max())
            j += 1
        else:
            if j != len(layers):
                _fail(j, layers[j], "only the last Dense/Conv2d may end without an activation quantizer")
            parts = {} if part_values is None else {"part_gains": a}
            ops.append(LayerSpec(layer_name, weights, weight_bits=bits, input_bits=bits_in, conv=geometry,
                                 scale=a if part_values is None else np.ones(n_out), offset=b, **parts))
        shape = (*geometry.out_shape, n_out) if geometry else (n_out,)
        i = j
    return IntegerModel(name, encoder, ops)
