"""ONNX import and export: hand-built QONNX and QDQ graphs against their reference executors
(qonnx, onnxruntime), zoo round trips, bad files, data sets from files in `imc simulate`."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from imc.cli import main
from imc.config import ConfigError, load_config
from imc.errors import ParameterError
from imc.mapping.spec import LayerSpec, PoolSpec
from imc.nn import ModelFileError, load_onnx, save_onnx, zoo
from imc.nn.data import load_digits
from imc.nn.network import InputEncoder
from imc.nn.onnx import ThresholdEncoder

QONNX = "qonnx.custom_op.general"
MAX_LEVEL = 16
RNG_SEED = 7


def dyadic(rng, shape, low=-8, high=8, denominator=8):
    """Random multiples of 1 / denominator: every float32 operation on them stays exact."""
    return (rng.integers(low, high + 1, size=shape) / denominator).astype(np.float32)


def build(path, nodes, inits, in_shape, out_dim, qonnx=0, opset=13):
    """Write a single-input, single-output graph (input 'x', output 'y'); qonnx: the QONNX opset (0: none)."""
    init = [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])], init)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(QONNX, qonnx)] if qonnx else [])
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def node(op, inputs, output, **attrs):
    domain = QONNX if op in ("Quant", "BipolarQuant", "MultiThreshold", "Trunc") else ""
    return helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs)


def images(rng, n, shape):
    """Pixel levels (n, H, W, C) and the graph input (n, C, H, W) = levels / MAX_LEVEL."""
    pixels = rng.integers(0, MAX_LEVEL + 1, size=(n, *shape))
    x = np.moveaxis(pixels, -1, 1) / MAX_LEVEL
    return pixels, x.reshape(n, *x.shape[1:]).astype(np.float32)


def run_ort(path, x, names=()):
    """onnxruntime's output and the tensors ``names`` (as extra graph outputs)."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    types = {v.name: v for v in model.graph.value_info}
    model.graph.output.extend(types[name] for name in names)
    session = ort.InferenceSession(model.SerializeToString())
    outs = session.run(["y", *names], {"x": x})
    return outs[0], dict(zip(names, outs[1:]))


def run_qonnx(path, x):
    """The qonnx executor's output and every tensor of the graph."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes
    model = ModelWrapper(str(path))
    model.set_tensor_shape("x", list(x.shape))
    context = execute_onnx(model.transform(InferShapes()), {"x": x}, return_full_exec_context=True)
    return context["y"], context


def layer_outputs(model, pixels):
    """The output codes of every matrix layer, in order (NHWC)."""
    x, outs = model.encode(pixels), []
    for op in model.ops:
        x = op.output(np.rint(op.matvec_input(x).astype(np.float64) @ op.weights).astype(np.int64)) \
            if isinstance(op, LayerSpec) else op.apply(x)
        if isinstance(op, LayerSpec):
            outs.append(x)
    return outs


def nhwc(tensor):
    return np.moveaxis(tensor, 1, -1) if tensor.ndim == 4 else tensor


def assert_same_codes(ours, reference, step):
    assert np.array_equal(ours, np.rint(nhwc(reference) / step).astype(np.int64))
    assert np.allclose(nhwc(reference) / step, np.rint(nhwc(reference) / step), atol=0)


# --- QONNX graphs (Brevitas export_qonnx style) ---------------------------------------------------
def qonnx_kbit(path, rng):
    """4-bit input, 3-bit narrow weights, Conv + BatchNorm + Relu + 2-bit unsigned Quant, max pool,
    flatten, Gemm with per-channel 4-bit weights and an 8-bit quantized bias."""
    inits = {"s_in": np.float32(1 / 16), "zero": np.float32(0), "b4": np.float32(4), "b3": np.float32(3),
             "b2": np.float32(2), "wc": dyadic(rng, (4, 1, 3, 3), -3, 3, 4), "s_wc": np.float32(0.25),
             "bc": dyadic(rng, (4,)), "gamma": np.array([2, -1, 0.5, 1], np.float32), "beta": dyadic(rng, (4,)),
             "mean": dyadic(rng, (4,)), "var": np.array([1, 4, 0.25, 16], np.float32), "s_a": np.float32(0.5),
             "wd": (rng.integers(-7, 8, (10, 36)) * 0.125).astype(np.float32),
             "s_wd": (2.0 ** rng.integers(-4, -1, (10, 1))).astype(np.float32), "bd": dyadic(rng, (10,)),
             "s_b": np.float32(1 / 8), "b8": np.float32(8)}
    inits["wd"] = (np.rint(inits["wd"] / 0.125) * inits["s_wd"]).astype(np.float32)
    nodes = [node("Quant", ["x", "s_in", "zero", "b4"], "xq", signed=0, narrow=0, rounding_mode="ROUND"),
             node("Quant", ["wc", "s_wc", "zero", "b3"], "wcq", signed=1, narrow=1),
             node("Conv", ["xq", "wcq", "bc"], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("BatchNormalization", ["conv", "gamma", "beta", "mean", "var"], "bn", epsilon=0.0),
             node("Relu", ["bn"], "relu"),
             node("Quant", ["relu", "s_a", "zero", "b2"], "act", signed=0, narrow=0),
             node("MaxPool", ["act"], "pool", kernel_shape=[2, 2], strides=[2, 2]),
             node("Flatten", ["pool"], "flat", axis=1),
             node("Quant", ["wd", "s_wd", "zero", "b4"], "wdq", signed=1, narrow=0),
             node("Quant", ["bd", "s_b", "zero", "b8"], "bdq", signed=1, narrow=0),
             node("Gemm", ["flat", "wdq", "bdq"], "y", transB=1)]
    return build(path, nodes, inits, (1, 6, 6), 10, qonnx=1), {"act": 0.5}


def qonnx_bipolar(path, rng):
    """Bipolar input (x - 1/2 >= 0), BipolarQuant weights and activations, signed 1-bit Quant weights."""
    inits = {"half": np.float32(0.5), "one": np.float32(1.0), "zero": np.float32(0), "b1": np.float32(1),
             "wc": dyadic(rng, (8, 1, 3, 3)), "gamma": dyadic(rng, (8,), 1, 8), "beta": dyadic(rng, (8,)),
             "mean": dyadic(rng, (8,)), "var": np.ones(8, np.float32), "wd": dyadic(rng, (288, 10)),
             "s_wd": np.float32(0.5), "bd": dyadic(rng, (10,))}
    nodes = [node("Sub", ["x", "half"], "centred"), node("BipolarQuant", ["centred", "one"], "xq"),
             node("BipolarQuant", ["wc", "one"], "wcq"),
             node("Conv", ["xq", "wcq"], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("BatchNormalization", ["conv", "gamma", "beta", "mean", "var"], "bn", epsilon=0.0),
             node("BipolarQuant", ["bn", "one"], "act"), node("Flatten", ["act"], "flat"),
             node("Quant", ["wd", "s_wd", "zero", "b1"], "wdq", signed=1, narrow=0),
             node("MatMul", ["flat", "wdq"], "mm"), node("Add", ["mm", "bd"], "y")]
    return build(path, nodes, inits, (1, 6, 6), 10, qonnx=1), {"act": 1.0}


def qonnx_ternary(path, rng, trunc_version=1):
    """Flat input through a MultiThreshold, ternary (2-bit narrow) weights, per-channel
    MultiThreshold activations truncated to 1 bit by Trunc (v1, or v2 with an output scale)."""
    t = np.sort(dyadic(rng, (8, 3), -16, 16, 2), axis=1)
    inits = {"t_in": np.array([[0.25, 0.5, 0.75]], np.float32), "w1": dyadic(rng, (16, 8), -2, 2, 2),
             "s_w": np.float32(0.5), "zero": np.float32(0), "b2": np.float32(2), "k": dyadic(rng, (8,), 1, 8, 2),
             "c": dyadic(rng, (8,)), "t": t, "one": np.float32(1.0), "b1": np.float32(1),
             "w2": dyadic(rng, (8, 4), -2, 2, 2), "two": np.float32(2.0)}
    nodes = [node("MultiThreshold", ["x", "t_in"], "xq"),
             node("Quant", ["w1", "s_w", "zero", "b2"], "w1q", signed=1, narrow=1),
             node("MatMul", ["xq", "w1q"], "mm1"), node("Mul", ["mm1", "k"], "scaled"),
             node("Add", ["scaled", "c"], "pre"),
             node("MultiThreshold", ["pre", "t"], "act"),
             node("Trunc", ["act", "one", "zero", "b2", *(["two"] if trunc_version == 2 else []), "b1"], "trunc",
                  rounding_mode="FLOOR", **({"signed": 0} if trunc_version == 2 else {})),
             node("Quant", ["w2", "s_w", "zero", "b2"], "w2q", signed=1, narrow=1),
             node("MatMul", ["trunc", "w2q"], "y")]
    return build(path, nodes, inits, (16,), 4, qonnx=trunc_version), {"trunc": 2.0 if trunc_version == 2 else 1.0}


QONNX_GRAPHS = {"kbit": (qonnx_kbit, (6, 6, 1)), "bipolar": (qonnx_bipolar, (6, 6, 1)),
                "ternary": (qonnx_ternary, (4, 4, 1)),
                "ternary_trunc_v2": (lambda path, rng: qonnx_ternary(path, rng, trunc_version=2), (4, 4, 1))}


@pytest.mark.parametrize("kind", sorted(QONNX_GRAPHS))
def test_qonnx_graph_imports_exactly_against_the_qonnx_executor(kind, tmp_path):
    make, shape = QONNX_GRAPHS[kind]
    rng = np.random.default_rng(RNG_SEED)
    path, steps = make(tmp_path / f"{kind}.onnx", rng)
    pixels, x = images(rng, 64, shape)
    if kind.startswith("ternary"):
        x = x.reshape(len(x), -1)
    model = load_onnx(path, shape, MAX_LEVEL)
    reference, context = run_qonnx(path, x)
    ours = layer_outputs(model, pixels)
    for (name, step), codes in zip(steps.items(), ours):
        assert_same_codes(codes, context[name], step)
        assert len(np.unique(codes)) > 1
    assert np.allclose(model.logits(pixels), reference, rtol=1e-6, atol=1e-5)


def test_qonnx_quantizer_kinds_give_the_expected_bits(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    bits = {kind: [(op.weight_bits, op.input_bits) for op in load_onnx(make(tmp_path / f"{kind}.onnx", rng)[0],
                                                                       shape, MAX_LEVEL).layers]
            for kind, (make, shape) in QONNX_GRAPHS.items()}
    assert bits == {"kbit": [(3, 4), (4, 2)], "bipolar": [(1, 1), (1, 1)], "ternary": [(2, 2), (2, 1)],
                    "ternary_trunc_v2": [(2, 2), (2, 1)]}
    encoder = load_onnx(tmp_path / "bipolar.onnx", (6, 6, 1), MAX_LEVEL).encoder
    assert encoder == InputEncoder("thermometer", MAX_LEVEL, (8,))


# --- QDQ graphs (torch.onnx / onnxruntime quantization style) --------------------------------------
def qdq_conv(path, rng):
    """torchvision's Normalize as Sub/Div, QuantizeLinear/DequantizeLinear around Conv (per-channel
    weights) and MatMul, Relu, max pool, NHWC Transpose + Reshape, bias Add."""
    o = 4
    inits = {"mean": np.float32(0.25), "std": np.float32(0.5), "s_in": np.float32(1 / 8), "zp": np.uint8(0),
             "wc": rng.integers(-8, 8, (o, 1, 3, 3)).astype(np.int8),
             "s_wc": (2.0 ** rng.integers(-3, 0, o)).astype(np.float32), "zp_wc": np.zeros(o, np.int8),
             "bc": dyadic(rng, (o,)), "s_a": np.float32(0.125), "shape": np.array([0, -1], np.int64),
             "wd": rng.integers(-100, 100, (36, 10)).astype(np.int8),
             "s_wd": (2.0 ** rng.integers(-9, -6, 10)).astype(np.float32),
             "zp_wd": np.zeros(10, np.int8), "bd": dyadic(rng, (10,))}
    nodes = [node("Sub", ["x", "mean"], "centred"), node("Div", ["centred", "std"], "normalized"),
             node("QuantizeLinear", ["normalized", "s_in", "zp"], "xq"),
             node("DequantizeLinear", ["xq", "s_in", "zp"], "xd"),
             node("DequantizeLinear", ["wc", "s_wc", "zp_wc"], "wcd", axis=0),
             node("Conv", ["xd", "wcd", "bc"], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("Relu", ["conv"], "relu"), node("QuantizeLinear", ["relu", "s_a", "zp"], "act"),
             node("DequantizeLinear", ["act", "s_a", "zp"], "actd"),
             node("MaxPool", ["actd"], "pool", kernel_shape=[2, 2], strides=[2, 2]),
             node("Transpose", ["pool"], "nhwc", perm=[0, 2, 3, 1]), node("Reshape", ["nhwc", "shape"], "flat"),
             node("DequantizeLinear", ["wd", "s_wd", "zp_wd"], "wdd", axis=1),
             node("MatMul", ["flat", "wdd"], "mm"), node("Add", ["mm", "bd"], "y")]
    return build(path, nodes, inits, (1, 6, 6), 10), {"act": 1.0}


def qlinear(path, rng):
    """QLinearConv (per-channel weight scales, int32 bias), max pool and flatten on uint8,
    QLinearMatMul, then MatMulInteger, Cast and a float scale and bias."""
    o = 4
    inits = {"s_in": np.float32(1 / 16), "zp": np.uint8(0), "wc": rng.integers(-8, 8, (o, 1, 3, 3)).astype(np.int8),
             "s_wc": (2.0 ** rng.integers(-3, 0, o)).astype(np.float32), "zp_wc": np.zeros(o, np.int8),
             "s_y": np.float32(0.25), "bc": rng.integers(-64, 64, o).astype(np.int32),
             "wh": rng.integers(-100, 100, (36, 16)).astype(np.int8), "zp_wh": np.int8(0),
             "s_wh": np.float32(2 ** -6), "s_h": np.float32(0.5),
             "wd": rng.integers(-100, 100, (16, 10)).astype(np.int8), "zp_wd": np.int8(0),
             "s_d": np.float32(0.5 * 2 ** -7), "bd": dyadic(rng, (10,))}
    nodes = [node("QuantizeLinear", ["x", "s_in", "zp"], "xq"),
             node("QLinearConv", ["xq", "s_in", "zp", "wc", "s_wc", "zp_wc", "s_y", "zp", "bc"], "act",
                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("MaxPool", ["act"], "pool", kernel_shape=[2, 2], strides=[2, 2]), node("Flatten", ["pool"], "flat"),
             node("QLinearMatMul", ["flat", "s_y", "zp", "wh", "s_wh", "zp_wh", "s_h", "zp"], "hidden"),
             node("MatMulInteger", ["hidden", "wd", "zp", "zp_wd"], "mm"),
             node("Cast", ["mm"], "mmf", to=TensorProto.FLOAT),
             node("Mul", ["mmf", "s_d"], "scaled"), node("Add", ["scaled", "bd"], "y")]
    return build(path, nodes, inits, (1, 6, 6), 10), {"act": 1.0, "hidden": 1.0}


def conv_integer(path, rng):
    """ConvInteger with a float rescale, Relu, and QuantizeLinear + Clip + DequantizeLinear (the
    QCDQ form of a 3-bit activation), then PyTorch's x.view(x.size(0), -1) and a QDQ Gemm."""
    o = 4
    inits = {"s_in": np.float32(1 / 16), "zp": np.uint8(0), "wc": rng.integers(-8, 8, (o, 1, 3, 3)).astype(np.int8),
             "zp_w": np.int8(0), "k": (2.0 ** rng.integers(-6, -3, (1, o, 1, 1))).astype(np.float32),
             "bc": dyadic(rng, (1, o, 1, 1)), "s_a": np.float32(0.5), "lo": np.uint8(0), "hi": np.uint8(7),
             "wd": rng.integers(-100, 100, (10, 144)).astype(np.int8), "s_wd": np.float32(2 ** -7),
             "bd": dyadic(rng, (10,)), "first": np.array(0, np.int64), "axis0": np.array([0], np.int64),
             "rest": np.array([-1], np.int64)}
    nodes = [node("QuantizeLinear", ["x", "s_in", "zp"], "xq"),
             node("ConvInteger", ["xq", "wc", "zp", "zp_w"], "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             node("Cast", ["conv"], "convf", to=TensorProto.FLOAT), node("Mul", ["convf", "k"], "scaled"),
             node("Add", ["scaled", "bc"], "pre"), node("Relu", ["pre"], "relu"),
             node("QuantizeLinear", ["relu", "s_a", "zp"], "q"), node("Clip", ["q", "lo", "hi"], "act"),
             node("DequantizeLinear", ["act", "s_a", "zp"], "actd"),
             node("Shape", ["actd"], "shape"), node("Gather", ["shape", "first"], "batch", axis=0),
             node("Unsqueeze", ["batch", "axis0"], "batch1"), node("Concat", ["batch1", "rest"], "target", axis=0),
             node("Reshape", ["actd", "target"], "flat"),  # x.view(x.size(0), -1)
             node("DequantizeLinear", ["wd", "s_wd", "zp_w"], "wdd"),
             node("Gemm", ["flat", "wdd", "bd"], "y", transB=1)]
    return build(path, nodes, inits, (1, 6, 6), 10), {"act": 1.0}


QDQ_GRAPHS = {"qdq_conv": qdq_conv, "qlinear": qlinear, "conv_integer": conv_integer}


@pytest.mark.parametrize("kind", sorted(QDQ_GRAPHS))
def test_qdq_graph_imports_exactly_against_onnxruntime(kind, tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    path, steps = QDQ_GRAPHS[kind](tmp_path / f"{kind}.onnx", rng)
    pixels, x = images(rng, 64, (6, 6, 1))
    model = load_onnx(path, (6, 6, 1), MAX_LEVEL)
    reference, tensors = run_ort(path, x, tuple(steps))
    for (name, step), codes in zip(steps.items(), layer_outputs(model, pixels)):
        assert_same_codes(codes, tensors[name], step)
        assert len(np.unique(codes)) > 2
    assert np.allclose(model.logits(pixels), reference, rtol=1e-6, atol=1e-5)


def test_qcdq_clip_narrows_the_activation_bits(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    model = load_onnx(conv_integer(tmp_path / "c.onnx", rng)[0], (6, 6, 1), MAX_LEVEL)
    assert [layer.input_bits for layer in model.layers] == [5, 3]  # pixel / 16 in steps of 1/16: codes 0..16
    assert np.array_equal(model.layers[0].levels, np.arange(8))


# --- zoo round trip -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return load_digits()


def assert_same_integer_model(a, b):
    assert a.encoder == b.encoder and len(a.ops) == len(b.ops)
    for x, y in zip(a.ops, b.ops):
        assert type(x) is type(y)
        if not isinstance(x, LayerSpec):
            assert x == y
            continue
        assert (x.name, x.weight_bits, x.input_bits, x.conv) == (y.name, y.weight_bits, y.input_bits, y.conv)
        assert np.array_equal(x.weights, y.weights) and np.array_equal(x.levels, y.levels)
        if x.thresholds is None:
            assert y.thresholds is None
            assert np.allclose(x.scale, y.scale, rtol=1e-6) and np.allclose(x.offset, y.offset, rtol=1e-6, atol=1e-6)
        else:
            assert np.array_equal(np.reshape(x.thresholds, (-1, x.n_out)), np.reshape(y.thresholds, (-1, y.n_out)))


@pytest.mark.parametrize("name", sorted(zoo.RECIPES))
def test_zoo_model_round_trips_through_qdq_onnx(name, tmp_path, digits):
    model, meta = zoo.load(name)
    if any(getattr(layer, "part_gains", None) is not None for layer in model.layers):
        with pytest.raises(ParameterError, match="several weight parts with float gains"):
            save_onnx(model, tmp_path / f"{name}.onnx")  # TTQ's +W_p / -W_n: two scales per column
        return
    path = save_onnx(model, tmp_path / f"{name}.onnx")
    x = (np.moveaxis(digits.x_test, -1, 1) / digits.max_level).astype(np.float32)
    logits = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    assert np.array_equal(logits.argmax(1), model.predict(digits.x_test))
    assert np.allclose(logits, model.logits(digits.x_test), rtol=1e-5, atol=1e-5)
    assert_same_integer_model(load_onnx(path, tuple(meta["input_shape"]), digits.max_level), model)


def test_exported_graph_is_plain_qdq(tmp_path):
    model, _ = zoo.load("dorefa2_cnn_digits")
    ops = {n.op_type for n in onnx.load(str(save_onnx(model, tmp_path / "m.onnx"))).graph.node}
    assert ops == {"QuantizeLinear", "DequantizeLinear", "Conv", "MatMul", "Mul", "Add", "Clip", "MaxPool", "Flatten"}


def test_an_encoder_that_is_no_zoo_encoder_stays_a_threshold_encoder(tmp_path):
    path, _ = qonnx_kbit(tmp_path / "k.onnx", np.random.default_rng(RNG_SEED))
    model = load_onnx(path, (6, 6, 1), MAX_LEVEL)  # codes clip(pixel, 0, 15): no zoo encoder
    assert isinstance(model.encoder, ThresholdEncoder)
    assert np.array_equal(model.encode(np.arange(17).reshape(1, 17, 1, 1)).ravel(), np.minimum(np.arange(17), 15))
    assert isinstance(model.ops[1], PoolSpec)


@pytest.mark.parametrize("kind", sorted(QONNX_GRAPHS) + sorted(QDQ_GRAPHS))
def test_imported_graph_re_exports_to_qdq_and_back_to_the_same_integer_model(kind, tmp_path):
    """Power-of-two scales put pre-activations exactly on rounding ties; the export keeps them exact."""
    rng = np.random.default_rng(RNG_SEED)
    make, shape = QONNX_GRAPHS.get(kind) or (QDQ_GRAPHS[kind], (6, 6, 1))
    model = load_onnx(make(tmp_path / "in.onnx", rng)[0], shape, MAX_LEVEL)
    path = save_onnx(model, tmp_path / "out.onnx", shape)
    pixels, x = images(rng, 64, shape)
    logits = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    assert np.allclose(logits, model.logits(pixels), rtol=1e-6, atol=1e-5)
    assert_same_integer_model(load_onnx(path, shape, MAX_LEVEL), model)


# --- bad files -------------------------------------------------------------------------------------
def unquantized(path, rng):
    inits = {"s": np.float32(1 / 16), "zp": np.uint8(0), "w": dyadic(rng, (10, 36))}
    nodes = [node("QuantizeLinear", ["x", "s", "zp"], "xq"), node("DequantizeLinear", ["xq", "s", "zp"], "xd"),
             node("Flatten", ["xd"], "flat"), node("Gemm", ["flat", "w"], "y", transB=1)]
    return build(path, nodes, inits, (1, 6, 6), 10)


def with_softmax(path, rng):
    model = onnx.load(str(qdq_conv(path, rng)[0]))
    model.graph.node[-1].output[0] = "logits"
    model.graph.node.append(helper.make_node("Softmax", ["logits"], ["y"], name="probabilities"))
    onnx.save(model, str(path))
    return path


def with_opset(opset):
    def make(path, rng):
        model = onnx.load(str(qdq_conv(path, rng)[0]))
        model.opset_import[0].version = opset
        onnx.save(model, str(path))
        return path
    return make


def truncated(path, rng):
    data = qdq_conv(path, rng)[0].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def not_onnx(path, rng):
    path.write_text("model = 'this is a TOML file, not an ONNX graph'\n")
    return path


BAD_FILES = {
    "truncated": (truncated, "not a readable ONNX file"),
    "not_onnx": (not_onnx, "not a readable ONNX file"),
    "unsupported_op": (with_softmax, "node 'probabilities' (Softmax): unsupported op"),
    "old_opset": (with_opset(7), "ONNX opset 7; supported: 10..21"),
    "new_opset": (with_opset(30), "ONNX opset 30; supported: 10..21"),
    "unquantized_weights": (unquantized, "node 'y' (Gemm): weight 'w' is not quantized"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_onnx_file_is_a_clear_error(kind, tmp_path):
    make, message = BAD_FILES[kind]
    path = make(tmp_path / "bad.onnx", np.random.default_rng(RNG_SEED))
    with pytest.raises(ModelFileError) as error:
        load_onnx(path, (6, 6, 1), MAX_LEVEL)
    assert message in str(error.value) and str(path) in str(error.value)


def test_input_shape_mismatch_names_both_shapes(tmp_path):
    path, _ = qdq_conv(tmp_path / "m.onnx", np.random.default_rng(RNG_SEED))
    with pytest.raises(ModelFileError, match=r"shape \(1, 6, 6\), but the data set's images .* \(28, 28, 1\)"):
        load_onnx(path, (28, 28, 1), 255)


def npz_dataset(path, rng, shape=(6, 6), n=40, classes=10, label=None):
    """A test set in an .npz file; labels cycle through the classes, or are ``label(images)``."""
    x = rng.integers(0, MAX_LEVEL + 1, (n, *shape)).astype(np.uint8)
    y = (np.arange(n) % classes) if label is None else label(x[..., None])
    np.savez(path, x_test=x, y_test=y.astype(np.int64), max_level=np.int64(MAX_LEVEL), n_classes=np.int64(classes))
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_onnx_file_exits_2_from_the_cli(kind, tmp_path, capsys):
    rng = np.random.default_rng(RNG_SEED)
    BAD_FILES[kind][0](tmp_path / "bad.onnx", rng)
    npz_dataset(tmp_path / "data.npz", rng)
    config = tmp_path / "net.toml"
    config.write_text('model = "bad.onnx"\ndataset = "npz"\ndataset_path = "data.npz"\nchips = 1\ninferences = 0\n')
    assert main(["simulate", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert BAD_FILES[kind][1] in err and "Traceback" not in err


# --- data sets from files in imc simulate ---------------------------------------------------------------
def idx_file(path, array):
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    path.write_bytes(header + array.tobytes())


def mnist_dir(folder, rng, n=12):
    folder.mkdir()
    for part in ("train", "t10k"):
        idx_file(folder / f"{part}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        idx_file(folder / f"{part}-labels-idx1-ubyte", np.arange(n) % 10)
    return folder


def cifar_dir(folder, rng, n=4):
    import pickle
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8), b"labels": list(range(n))}
        (folder / name).write_bytes(pickle.dumps(batch))
    return folder


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist", "cifar10", "npz"])
def test_file_data_sets_load_at_config_time(dataset, tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    makers = {"mnist": lambda: mnist_dir(tmp_path / "m", rng), "fashion_mnist": lambda: mnist_dir(tmp_path / "f", rng),
              "cifar10": lambda: cifar_dir(tmp_path / "c", rng), "npz": lambda: npz_dataset(tmp_path / "d.npz", rng)}
    path = makers[dataset]()
    config = load_config({"dataset": dataset, "dataset_path": str(path)})
    assert config.dataset_path == str(path)


@pytest.mark.parametrize("damage, message", [
    ("truncate_idx", "IDX header announces"), ("missing_labels", "missing t10k-labels-idx1-ubyte"),
    ("npz_2d", "x_test: expected images (n, H, W) or (n, H, W, C), got shape (40, 36)"),
    ("npz_no_labels", "npz archive lacks y_test"), ("npz_label_count", "3 labels but x_test has 40 images"),
])
def test_missing_or_mis_shaped_data_file_fails_at_config_load_naming_the_path(damage, message, tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    if damage in ("truncate_idx", "missing_labels"):
        dataset, path = "mnist", mnist_dir(tmp_path / "m", rng)
        if damage == "truncate_idx":
            target = path / "t10k-images-idx3-ubyte"
            target.write_bytes(target.read_bytes()[:-5])
        else:
            (path / "t10k-labels-idx1-ubyte").unlink()
            target = path  # the folder that lacks it
    else:
        dataset, path = "npz", tmp_path / "d.npz"
        x = rng.integers(0, 17, (40, 6, 6)).astype(np.uint8)
        arrays = {"npz_2d": {"x_test": x.reshape(40, -1), "y_test": np.zeros(40, np.int64)},
                  "npz_no_labels": {"x_test": x}, "npz_label_count": {"x_test": x, "y_test": np.zeros(3, np.int64)}}
        np.savez(path, **arrays[damage])
        target = path
    with pytest.raises(ConfigError) as error:
        load_config({"dataset": dataset, "dataset_path": str(path)})
    assert error.value.field == "dataset_path" and message in str(error.value) and str(target) in str(error.value)


def test_a_zoo_model_on_a_data_set_of_other_images_exits_2(tmp_path, capsys):
    folder = mnist_dir(tmp_path / "m", np.random.default_rng(RNG_SEED))
    config = tmp_path / "mnist.toml"
    config.write_text(f'dataset = "mnist"\ndataset_path = "{folder}"\nchips = 1\ninferences = 0\n')
    assert main(["simulate", str(config), "-q"]) == 2
    assert "trained on images (H, W, C) = (8, 8, 1) with pixel levels 0..16; the data set has (28, 28, 1)" \
        in capsys.readouterr().err


def test_an_onnx_graph_simulates_on_rram_from_a_design_file_and_matches_software(tmp_path, capsys):
    """The README walk-through: a QONNX network (as Brevitas exports it), a test set of your own in
    an .npz file, an RRAM design file; with variation off the chips reproduce the software."""
    rng = np.random.default_rng(RNG_SEED)
    path, _ = qonnx_kbit(tmp_path / "net.onnx", rng)
    npz_dataset(tmp_path / "test_set.npz", rng, label=load_onnx(path, (6, 6, 1), MAX_LEVEL).predict)
    (tmp_path / "net.toml").write_text(
        'model = "net.onnx"\ndataset = "npz"\ndataset_path = "test_set.npz"\nchips = 2\nvariation = false\n'
        'inferences = 20\n[array]\nkind = "resistive"\n[array.device]\nkind = "rram"\n[array.adc]\nbits = 8\n')
    assert main(["simulate", str(tmp_path / "net.toml"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_test"] == 40 and report["config"]["array"]["device"]["kind"] == "rram"
    assert report["accuracy"]["software"] == 1.0  # labelled by the network itself
    assert report["accuracy"]["per_chip"] == [1.0, 1.0]


def test_an_onnx_graph_whose_input_does_not_match_the_data_set_exits_2(tmp_path, capsys):
    rng = np.random.default_rng(RNG_SEED)
    qdq_conv(tmp_path / "net.onnx", rng)
    folder = mnist_dir(tmp_path / "m", rng)
    (tmp_path / "net.toml").write_text(f'model = "net.onnx"\ndataset = "mnist"\ndataset_path = "{folder}"\n')
    assert main(["simulate", str(tmp_path / "net.toml"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "input 'x' has per-sample shape (1, 6, 6), but the data set's images (H, W, C) = (28, 28, 1) need " \
           "(1, 28, 28)" in err and "Traceback" not in err


def qdq_signed_hidden(path, rng):
    """A QDQ MLP whose hidden activation is int8 with zero point 0 and no Relu: signed 8-bit codes."""
    inits = {"s_in": np.float32(1 / 16), "zp": np.uint8(0), "zp8": np.int8(0), "shape": np.array([0, -1], np.int64),
             "wh": rng.integers(-8, 8, (36, 12)).astype(np.int8), "s_wh": np.float32(2 ** -3),
             "bh": dyadic(rng, (12,)), "s_h": np.float32(0.125),
             "wd": rng.integers(-8, 8, (12, 10)).astype(np.int8), "s_wd": np.float32(2 ** -4), "bd": dyadic(rng, (10,))}
    nodes = [node("QuantizeLinear", ["x", "s_in", "zp"], "xq"), node("DequantizeLinear", ["xq", "s_in", "zp"], "xd"),
             node("Reshape", ["xd", "shape"], "flat"),
             node("DequantizeLinear", ["wh", "s_wh", "zp8"], "whd"), node("MatMul", ["flat", "whd"], "mh"),
             node("Add", ["mh", "bh"], "pre"), node("QuantizeLinear", ["pre", "s_h", "zp8"], "hidden"),
             node("DequantizeLinear", ["hidden", "s_h", "zp8"], "hd"),
             node("DequantizeLinear", ["wd", "s_wd", "zp8"], "wdd"), node("MatMul", ["hd", "wdd"], "md"),
             node("Add", ["md", "bd"], "y")]
    return build(path, nodes, inits, (1, 6, 6), 10)


def test_signed_multi_bit_activations_import_exactly_and_map_bit_for_bit(tmp_path):
    from imc import engine
    from imc.arrays import ColumnADC, ResistiveArray
    from imc.mapping import map_layers
    rng = np.random.default_rng(RNG_SEED)
    path = qdq_signed_hidden(tmp_path / "signed.onnx", rng)
    pixels, x = images(rng, 64, (6, 6, 1))
    model = load_onnx(path, (6, 6, 1), MAX_LEVEL)
    reference, tensors = run_ort(path, x, ("hidden",))
    hidden = layer_outputs(model, pixels)[0]
    assert np.array_equal(hidden, tensors["hidden"].astype(np.int64)) and hidden.min() < -1
    second = model.layers[1]
    assert second.input_signed and second.input_bits == 8
    assert np.allclose(model.logits(pixels), reference, rtol=1e-6, atol=1e-5)
    save_onnx(model, tmp_path / "again.onnx")
    again = load_onnx(tmp_path / "again.onnx", (6, 6, 1), MAX_LEVEL)
    assert again.layers[1].input_signed and np.allclose(again.logits(pixels), model.logits(pixels))
    array = ResistiveArray(adc=ColumnADC(bits=12))
    plan = map_layers(model.ops, array.geometry(), weights="differential")
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), variation=False)
    assert np.array_equal(engine.hardware_logits(plan, array, model.encode(pixels), nominal)[0], model.logits(pixels))
