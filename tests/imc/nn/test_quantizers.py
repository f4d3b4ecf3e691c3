"""Quantizers: exact levels and scales, integer codes, STE gradients, thresholds, registry, errors."""

import numpy as np
import pytest

from imc.errors import ParameterError
from imc.nn.quantizers import (
    PACT, QUANTIZERS, TTQ, TWN, ActivationQuantizer, DoReFaActivation, DoReFaWeight, Quantizer,
    QuantizedTensor, SignSTE, Uniform, XNORActivation, XNORWeight, make_quantizer)

RNG_SEED = 1234

# Every quantizer whose forward goes through quantize() (TTQ is not affine in its codes), with
# the closed interval its codes must lie in.
AFFINE = [
    (lambda: SignSTE(), -1, 1),
    (lambda: XNORWeight(), -1, 1),
    (lambda: XNORActivation(), -1, 1),
    (lambda: TWN(per_channel=True), -1, 1),
    (lambda: TWN(per_channel=False), -1, 1),
    (lambda: DoReFaWeight(bits=1), -1, 1),
    (lambda: DoReFaWeight(bits=3), -7, 7),
    (lambda: DoReFaActivation(bits=3), 0, 7),
    (lambda: PACT(bits=2, alpha=1.5), 0, 3),
    (lambda: Uniform(bits=4, symmetric=True, per_channel=True), -7, 7),
    (lambda: Uniform(bits=3, symmetric=False, per_channel=False), 0, 7),
]

ACTIVATION = [
    lambda: SignSTE(),
    lambda: DoReFaActivation(bits=1),
    lambda: DoReFaActivation(bits=2),
    lambda: DoReFaActivation(bits=4),
    lambda: PACT(bits=3, alpha=2.5),
    lambda: PACT(bits=5, alpha=0.7),
]


def finite_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f at x, one entry at a time."""
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        out[i] = (f(x + step) - f(x - step)) / (2 * h)
    return out


# ---------------------------------------------------------------- shared contract


@pytest.mark.parametrize("make, low, high", AFFINE)
def test_forward_is_quantize_values_bit_for_bit_and_codes_are_int32_in_range(make, low, high):
    x = np.random.default_rng(RNG_SEED).normal(0.0, 1.5, size=(3, 2, 4, 5))
    quantizer = make()
    quantized = quantizer.quantize(x)
    y = quantizer.forward(x, train=True)
    assert y.dtype == np.float64 and quantized.codes.dtype == np.int32
    assert np.array_equal(y, quantized.values())
    assert quantized.codes.shape == x.shape
    assert low <= quantized.codes.min() and quantized.codes.max() <= high
    assert len(np.unique(quantized.codes)) <= 2 ** quantized.bits
    assert quantized.bits == quantizer.bits


@pytest.mark.parametrize("make", ACTIVATION)
def test_activation_codes_count_the_thresholds_passed_including_exact_hits(make):
    quantizer = make()
    bounds, levels = quantizer.thresholds(), quantizer.integer_levels()
    assert np.all(np.diff(bounds) > 0) and np.all(np.diff(levels) > 0)
    assert len(levels) == len(bounds) + 1
    rng = np.random.default_rng(RNG_SEED)
    x = np.concatenate([rng.uniform(bounds[0] - 2, bounds[-1] + 2, 5000), bounds,
                        np.nextafter(bounds, -np.inf), np.nextafter(bounds, np.inf)])
    quantized = quantizer.quantize(x)
    passed = (x[:, None] >= bounds[None, :]).sum(axis=1)
    assert np.array_equal(quantized.codes, levels[passed])
    assert np.array_equal(quantized.values(), quantized.scale * levels[passed] + quantized.offset)


@pytest.mark.parametrize("make", ACTIVATION[1:])
def test_uniform_activation_codes_are_round_half_up_of_the_clipped_input(make):
    quantizer = make()
    upper = float(quantizer.params["alpha"]) if "alpha" in quantizer.params else 1.0
    x = np.random.default_rng(RNG_SEED).uniform(-1, upper + 1, 5000)
    expected = np.floor(np.clip(x, 0, upper) * (2 ** quantizer.bits - 1) / upper + 0.5)
    assert np.array_equal(quantizer.quantize(x).codes, expected)


def test_quantized_tensor_values_are_codes_times_scale_plus_offset_per_channel():
    codes = np.array([[0, 1, 3], [2, 3, 1]], dtype=np.int32)
    quantized = QuantizedTensor(codes, np.array([0.5, 1.0, 2.0]), np.array([-1.0, 0.0, 1.0]), 2)
    assert np.array_equal(quantized.values(), [[-1.0, 1.0, 7.0], [0.0, 3.0, 3.0]])


def test_quantized_tensor_rejects_float_codes_and_mismatched_scale():
    with pytest.raises(ParameterError, match="codes"):
        QuantizedTensor(np.zeros(3), np.array(1.0), np.array(0.0), 1)
    with pytest.raises(ParameterError, match="scale"):
        QuantizedTensor(np.zeros((2, 3), dtype=np.int32), np.ones(2), np.zeros(2), 1)


def test_non_finite_input_raises():
    with pytest.raises(ParameterError, match="finite"):
        SignSTE().forward(np.array([0.0, np.nan]))
    with pytest.raises(ParameterError, match="finite"):
        Uniform().quantize(np.array([[1.0, np.inf]]))


def test_backward_needs_forward_and_a_gradient_of_the_input_shape():
    quantizer = DoReFaActivation(bits=2)
    with pytest.raises(ParameterError, match="grad"):
        quantizer.backward(np.ones(3))
    quantizer.forward(np.ones((2, 3)))
    with pytest.raises(ParameterError, match=r"\(2, 3\)"):
        quantizer.backward(np.ones(3))


# ---------------------------------------------------------------- registry and validation


def test_registry_names_match_classes_and_make_quantizer_builds_them():
    assert set(QUANTIZERS) == {"ste_sign", "xnor_weight", "xnor_activation", "twn", "ttq",
                               "dorefa_weight", "dorefa_activation", "pact", "uniform"}
    for name, cls in QUANTIZERS.items():
        assert cls.key == name and issubclass(cls, Quantizer)
        assert type(make_quantizer(name)) is cls
    quantizer = make_quantizer("uniform", bits=3, symmetric=False, per_channel=True)
    assert (quantizer.bits, quantizer.symmetric, quantizer.per_channel) == (3, False, True)


def test_activation_quantizers_with_fixed_scale_expose_thresholds_xnor_activation_does_not():
    fixed = {name for name, cls in QUANTIZERS.items() if issubclass(cls, ActivationQuantizer)}
    assert fixed == {"ste_sign", "dorefa_activation", "pact"}
    assert not hasattr(XNORActivation(), "thresholds")


def test_unknown_quantizer_name_raises_with_the_allowed_names():
    with pytest.raises(ParameterError) as error:
        make_quantizer("binaryconnect")
    assert error.value.field == "quantizer" and error.value.value == "binaryconnect"
    assert "ste_sign" in error.value.allowed and "pact" in error.value.allowed


def test_unknown_quantizer_option_raises():
    with pytest.raises(ParameterError, match="alpha"):
        make_quantizer("dorefa_activation", alpha=2.0)


@pytest.mark.parametrize("name, options", [
    ("ste_sign", {"bits": 2}),
    ("xnor_weight", {"bits": 2}),
    ("twn", {"bits": 3}),
    ("ttq", {"bits": 1}),
    ("dorefa_weight", {"bits": 0}),
    ("dorefa_weight", {"bits": 17}),
    ("dorefa_activation", {"bits": 2.0}),
    ("dorefa_activation", {"bits": True}),
    ("pact", {"bits": 0}),
    ("uniform", {"bits": 1, "symmetric": True}),
    ("uniform", {"bits": 0, "symmetric": False}),
])
def test_bad_bits_raise(name, options):
    with pytest.raises(ParameterError) as error:
        make_quantizer(name, **options)
    assert error.value.field == "bits"


@pytest.mark.parametrize("name, options, field", [
    ("pact", {"alpha": 0.0}, "alpha"),
    ("ttq", {"threshold": 1.5}, "threshold"),
    ("ttq", {"w_neg": -1.0}, "w_neg"),
    ("twn", {"per_channel": 1}, "per_channel"),
    ("uniform", {"symmetric": "yes"}, "symmetric"),
])
def test_bad_options_raise_naming_the_field(name, options, field):
    with pytest.raises(ParameterError) as error:
        make_quantizer(name, **options)
    assert error.value.field == field


def test_one_bit_asymmetric_uniform_is_allowed_for_mixed_precision():
    quantized = make_quantizer("uniform", bits=1, symmetric=False).quantize(np.array([[0.0, 2.0]]))
    assert quantized.codes.tolist() == [[0, 1]] and float(quantized.scale) == 2.0


def test_latent_clip_is_one_for_the_binary_sign_quantizers_only():
    clip = {name: cls.latent_clip for name, cls in QUANTIZERS.items()}
    assert clip == {"ste_sign": 1.0, "xnor_weight": 1.0, "xnor_activation": None, "twn": None, "ttq": None,
                    "dorefa_weight": None, "dorefa_activation": None, "pact": None, "uniform": None}


# ---------------------------------------------------------------- SignSTE


def test_sign_maps_zero_to_plus_one_with_unit_scale():
    quantized = SignSTE().quantize(np.array([-2.0, -0.5, -0.0, 0.0, 1e-300, 3.0]))
    assert quantized.codes.tolist() == [-1, -1, 1, 1, 1, 1]
    assert (float(quantized.scale), float(quantized.offset), quantized.bits) == (1.0, 0.0, 1)
    assert SignSTE().thresholds().tolist() == [0.0] and SignSTE().integer_levels().tolist() == [-1, 1]


def test_sign_ste_passes_the_gradient_only_where_abs_x_at_most_one():
    quantizer = SignSTE()
    quantizer.forward(np.array([-1.5, -1.0, -0.3, 0.0, 1.0, 1.0001]))
    grad = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert quantizer.backward(grad).tolist() == [0.0, 2.0, 3.0, 4.0, 5.0, 0.0]


# ---------------------------------------------------------------- XNOR-Net

W_XNOR = np.array([[1.0, -2.0], [-3.0, 0.5], [0.5, 1.5]])


def test_xnor_weight_alpha_is_mean_abs_per_output_channel():
    quantized = XNORWeight().quantize(W_XNOR)
    assert np.allclose(quantized.scale, [4.5 / 3, 4.0 / 3], rtol=0, atol=1e-15)
    assert quantized.codes.tolist() == [[1, -1], [-1, 1], [1, 1]]
    assert np.array_equal(quantized.values(), np.sign(W_XNOR) * quantized.scale)


def test_xnor_weight_alpha_of_a_conv_kernel_averages_all_axes_but_the_last():
    w = np.random.default_rng(RNG_SEED).normal(size=(3, 3, 2, 5))
    quantized = XNORWeight().quantize(w)
    assert quantized.scale.shape == (5,)
    assert np.allclose(quantized.scale, np.abs(w).reshape(-1, 5).mean(axis=0), rtol=1e-14)


def test_xnor_weight_gradient_is_the_papers_one_over_n_plus_alpha_ste():
    quantizer = XNORWeight()
    quantizer.forward(W_XNOR)
    grad = np.array([[0.3, -1.0], [2.0, 0.7], [-0.4, 1.1]])
    alpha = np.array([4.5 / 3, 4.0 / 3])
    expected = grad * (1.0 / 3 + alpha * (np.abs(W_XNOR) <= 1.0))
    assert np.allclose(quantizer.backward(grad), expected, rtol=1e-14)
    # |W| > 1: the STE term vanishes and only 1/n is left.
    assert quantizer.backward(np.ones_like(W_XNOR))[1, 0] == pytest.approx(1.0 / 3, rel=1e-14)


def test_xnor_weight_one_over_n_term_is_the_finite_difference_through_alpha():
    """d(alpha_c sign(W_ic)) / dW_ic = sign(W_ic)^2 / n away from 0: the term the STE adds to."""
    w = np.random.default_rng(RNG_SEED).normal(size=(4, 3))
    quantizer = XNORWeight()
    quantizer.forward(w)
    alpha = quantizer.quantize(w).scale
    for i in np.ndindex(w.shape):
        unit = np.zeros_like(w)
        unit[i] = 1.0
        diagonal = finite_difference(lambda v: XNORWeight().forward(v)[i], w)[i]
        assert quantizer.backward(unit)[i] - alpha[i[1]] * (abs(w[i]) <= 1) == pytest.approx(diagonal, rel=1e-6)


def test_xnor_activation_scale_is_mean_abs_over_channels_at_each_position_and_data_dependent():
    x = np.array([[[1.0, -3.0, 0.5], [-0.2, 0.2, 0.5]]])  # (1, 2, 3): two positions, three channels
    quantized = XNORActivation().quantize(x)
    assert quantized.scale.shape == (1, 2, 1)
    assert np.allclose(quantized.scale[..., 0], [[4.5 / 3, 0.3]], rtol=1e-15)
    assert quantized.codes.tolist() == [[[1, -1, 1], [-1, 1, 1]]]
    assert not np.array_equal(XNORActivation().quantize(2 * x).scale, quantized.scale)


def test_xnor_activation_gradient_uses_one_over_channels_and_the_position_scale():
    x = np.array([[2.0, -0.5], [0.25, -0.75]])
    quantizer = XNORActivation()
    quantizer.forward(x)
    grad = np.array([[1.0, 2.0], [3.0, -4.0]])
    k = np.array([[1.25], [0.5]])
    assert np.allclose(quantizer.backward(grad), grad * (0.5 + k * (np.abs(x) <= 1)), rtol=1e-15)


# ---------------------------------------------------------------- TWN

W_TERNARY = np.array([[0.9, -0.1], [-1.2, 0.38], [0.05, 0.6]])


def test_twn_per_tensor_delta_and_alpha_by_hand():
    # mean|W| = 3.23 / 6, Delta = 0.3768 (0.38 passes it; a factor 0.75 would not);
    # |W| > Delta: 0.9, 1.2, 0.38, 0.6 -> alpha = 3.08 / 4 = 0.77.
    quantized = TWN(per_channel=False).quantize(W_TERNARY)
    assert quantized.codes.tolist() == [[1, 0], [-1, 1], [0, 1]]
    assert quantized.scale.shape == () and float(quantized.scale) == pytest.approx(0.77, rel=1e-15)
    assert quantized.bits == 2


def test_twn_per_channel_delta_and_alpha_by_hand():
    # column 0: mean 2.15/3, Delta 0.5017, alpha (0.9 + 1.2)/2; column 1: mean 1.08/3, Delta 0.252,
    # alpha (0.38 + 0.6)/2.
    quantized = TWN().quantize(W_TERNARY)
    assert quantized.codes.tolist() == [[1, 0], [-1, 1], [0, 1]]
    assert quantized.scale.shape == (2,)
    assert np.allclose(quantized.scale, [1.05, 0.49], rtol=1e-15)
    assert np.array_equal(quantized.values(), quantized.codes * quantized.scale)


def test_twn_of_zero_weights_is_zero_with_zero_alpha():
    quantized = TWN().quantize(np.zeros((3, 2)))
    assert not quantized.codes.any() and not quantized.scale.any()


def test_twn_and_uniform_gradients_are_the_identity():
    x = np.random.default_rng(RNG_SEED).normal(size=(4, 3))
    grad = np.random.default_rng(RNG_SEED + 1).normal(size=(4, 3))
    for quantizer in (TWN(), Uniform(bits=3, per_channel=True)):
        quantizer.forward(x)
        assert np.array_equal(quantizer.backward(grad), grad)


# ---------------------------------------------------------------- TTQ

W_TTQ = np.array([[0.5, -0.01], [-2.0, 0.1], [0.09, -0.11]])  # Delta = 0.05 * 2.0 = 0.1


def test_ttq_codes_threshold_at_t_max_abs_and_values_use_both_scales():
    quantizer = TTQ(w_pos=1.5, w_neg=0.5)
    assert quantizer.ternary_codes(W_TTQ).tolist() == [[1, 0], [-1, 0], [0, -1]]  # |0.1| <= Delta -> 0
    assert quantizer.scales() == (1.5, 0.5)
    assert quantizer.forward(W_TTQ).tolist() == [[1.5, 0.0], [-0.5, 0.0], [0.0, -0.5]]


def test_ttq_scales_start_at_one():
    quantizer = TTQ()
    assert quantizer.scales() == (1.0, 1.0) and quantizer.params["w_pos"].shape == ()


def test_ttq_quantize_raises_because_values_are_not_affine_in_the_codes():
    with pytest.raises(ParameterError, match="not affine") as error:
        TTQ().quantize(W_TTQ)
    assert error.value.field == "quantizer"


def test_ttq_gradients_are_the_papers_scaled_gradients():
    quantizer = TTQ(w_pos=1.5, w_neg=0.5)
    quantizer.forward(W_TTQ)
    grad = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert quantizer.backward(grad).tolist() == [[1.5, 2.0], [1.5, 4.0], [5.0, 3.0]]
    assert float(quantizer.grads["w_pos"]) == 1.0
    assert float(quantizer.grads["w_neg"]) == -(3.0 + 6.0)


def test_ttq_scale_gradients_match_finite_differences():
    w = np.random.default_rng(RNG_SEED).normal(size=(5, 4))
    grad = np.random.default_rng(RNG_SEED + 1).normal(size=(5, 4))
    quantizer = TTQ(w_pos=0.8, w_neg=1.3)
    quantizer.forward(w)
    quantizer.backward(grad)
    for key in ("w_pos", "w_neg"):
        def loss(value, key=key):
            probe = TTQ(**{"w_pos": 0.8, "w_neg": 1.3, key: float(value[()])})
            return float((grad * probe.forward(w)).sum())
        fd = finite_difference(loss, quantizer.params[key].copy(), h=1e-4)
        assert float(quantizer.grads[key]) == pytest.approx(float(fd), rel=1e-8)


def test_ttq_reads_its_scales_from_params_updated_in_place():
    quantizer = TTQ()
    quantizer.params["w_pos"] -= 0.25
    assert quantizer.forward(W_TTQ)[0, 0] == 0.75


# ---------------------------------------------------------------- DoReFa

W_DOREFA = np.array([[0.3, -1.0], [2.0, 0.0]])


def test_dorefa_weight_two_bit_codes_are_odd_and_match_the_tanh_normalisation_by_hand():
    # w~ = tanh(w) / (2 tanh 2) + 1/2 -> 3 w~ = 1.953, 0.315, 3, 1.5 -> u = 2, 0, 3, 2 (1.5 rounds up).
    quantized = DoReFaWeight(bits=2).quantize(W_DOREFA)
    assert quantized.codes.tolist() == [[1, -3], [3, 1]]
    assert float(quantized.scale) == pytest.approx(1 / 3, rel=1e-15) and float(quantized.offset) == 0.0
    t = np.tanh(W_DOREFA)
    paper = 2 * np.floor(3 * (t / (2 * np.abs(t).max()) + 0.5) + 0.5) / 3 - 1
    assert np.allclose(quantized.values(), paper, rtol=0, atol=1e-15)


def test_dorefa_weight_one_bit_is_sign_times_mean_abs():
    quantized = DoReFaWeight(bits=1).quantize(W_DOREFA)
    assert quantized.codes.tolist() == [[1, -1], [1, 1]]
    assert float(quantized.scale) == pytest.approx(3.3 / 4, rel=1e-15)


def test_dorefa_weight_gradient_is_the_finite_difference_of_the_unrounded_normalisation():
    w = np.random.default_rng(RNG_SEED).normal(size=(4, 3))
    grad = np.random.default_rng(RNG_SEED + 1).normal(size=(4, 3))
    quantizer = DoReFaWeight(bits=4)
    quantizer.forward(w)

    def unrounded(v):  # 2 w~ - 1 = tanh(v) / max|tanh(v)|
        return float((grad * np.tanh(v) / np.abs(np.tanh(v)).max()).sum())

    assert np.allclose(quantizer.backward(grad), finite_difference(unrounded, w), rtol=1e-6, atol=1e-9)


def test_dorefa_weight_one_bit_gradient_is_the_identity():
    quantizer = DoReFaWeight(bits=1)
    quantizer.forward(W_DOREFA)
    assert np.array_equal(quantizer.backward(W_DOREFA + 1.0), W_DOREFA + 1.0)


def test_dorefa_weight_of_all_zeros_raises_for_multibit():
    with pytest.raises(ParameterError, match="max"):
        DoReFaWeight(bits=2).quantize(np.zeros((2, 2)))


def test_dorefa_activation_levels_thresholds_and_scale():
    quantizer = DoReFaActivation(bits=2)
    assert np.allclose(quantizer.thresholds(), [0.5 / 3, 1.5 / 3, 2.5 / 3], rtol=1e-15)
    assert quantizer.integer_levels().tolist() == [0, 1, 2, 3]
    quantized = quantizer.quantize(np.array([-1.0, 0.1, 0.2, 0.6, 0.9, 1.0, 4.0]))
    assert quantized.codes.tolist() == [0, 0, 1, 2, 3, 3, 3]
    assert float(quantized.scale) == pytest.approx(1 / 3, rel=1e-15)


def test_dorefa_activation_ste_passes_inside_zero_one_inclusive():
    quantizer = DoReFaActivation(bits=2)
    quantizer.forward(np.array([-0.1, 0.0, 0.5, 1.0, 1.1]))
    assert quantizer.backward(np.full(5, 2.0)).tolist() == [0.0, 2.0, 2.0, 2.0, 0.0]


# ---------------------------------------------------------------- PACT


def test_pact_rounds_half_up_at_exact_half_steps():
    # alpha = 3, k = 2: scale 1, thresholds 0.5, 1.5, 2.5; np.round would give 0 for 0.5 and 2 for 2.5.
    quantizer = PACT(bits=2, alpha=3.0)
    assert quantizer.thresholds().tolist() == [0.5, 1.5, 2.5]
    quantized = quantizer.quantize(np.array([-1.0, 0.49, 0.5, 1.5, 2.5, 2.9, 3.0, 7.0]))
    assert quantized.codes.tolist() == [0, 0, 1, 2, 3, 3, 3, 3]
    assert float(quantized.scale) == 1.0


def test_pact_gradients_are_the_papers_ste_for_x_and_alpha():
    quantizer = PACT(bits=2, alpha=3.0)
    quantizer.forward(np.array([-1.0, 0.0, 1.0, 2.999, 3.0, 5.0]))
    grad = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert quantizer.backward(grad).tolist() == [0.0, 2.0, 3.0, 4.0, 0.0, 0.0]
    assert float(quantizer.grads["alpha"]) == 11.0


def test_pact_alpha_gradient_is_the_finite_difference_where_inputs_are_clipped():
    x = np.random.default_rng(RNG_SEED).uniform(2.5, 6.0, size=(4, 3))  # all above alpha = 2
    grad = np.random.default_rng(RNG_SEED + 1).normal(size=(4, 3))
    quantizer = PACT(bits=3, alpha=2.0)
    quantizer.forward(x)
    quantizer.backward(grad)
    fd = finite_difference(lambda a: float((grad * PACT(bits=3, alpha=float(a[()])).forward(x)).sum()),
                           np.array(2.0), h=1e-4)
    assert float(quantizer.grads["alpha"]) == pytest.approx(float(fd), rel=1e-8)


def test_pact_alpha_is_a_learnable_zero_d_parameter_that_must_stay_positive():
    quantizer = PACT(bits=2)
    assert float(quantizer.params["alpha"]) == 10.0 and quantizer.params["alpha"].shape == ()
    quantizer.params["alpha"] -= 7.0
    assert quantizer.thresholds().tolist() == [0.5, 1.5, 2.5]
    quantizer.params["alpha"] -= 3.0
    with pytest.raises(ParameterError, match="alpha"):
        quantizer.forward(np.ones(2))


# ---------------------------------------------------------------- Uniform


def test_uniform_symmetric_rounds_half_up_with_scale_max_abs_over_qmax():
    # max|x| = 7, 4 bits -> qmax 7, scale 1; np.round would give 0, 2, -2 for 0.5, 2.5, -1.5.
    x = np.array([[-7.0, 0.5], [2.5, -1.5], [-0.5, 7.0]])
    quantized = Uniform(bits=4).quantize(x)
    assert quantized.codes.tolist() == [[-7, 1], [3, -1], [0, 7]]
    assert float(quantized.scale) == 1.0 and float(quantized.offset) == 0.0


def test_uniform_asymmetric_offset_is_min_and_scale_is_range_over_levels():
    quantized = Uniform(bits=2, symmetric=False).quantize(np.array([[-1.0, 0.5], [0.0, 2.0]]))
    assert quantized.codes.tolist() == [[0, 2], [1, 3]]
    assert (float(quantized.scale), float(quantized.offset)) == (1.0, -1.0)


def test_uniform_per_channel_scales_differ_from_the_per_tensor_scale():
    # 3 bits: qmax 3; channel maxima 3 and 0.75 -> scales 1 and 0.25; the tensor's maximum 3 -> 1.
    x = np.array([[1.0, -0.375], [-3.0, 0.75], [0.5, 0.125]])
    per_channel = Uniform(bits=3, per_channel=True).quantize(x)
    per_tensor = Uniform(bits=3).quantize(x)
    assert per_channel.scale.tolist() == [1.0, 0.25] and per_tensor.scale.shape == ()
    assert float(per_tensor.scale) == 1.0
    assert per_channel.codes[:, 1].tolist() == [-1, 3, 1]  # -1.5 rounds up to -1, 0.5 up to 1
    assert per_tensor.codes[:, 1].tolist() == [0, 1, 0]


def test_uniform_asymmetric_per_channel_constant_channel_gets_scale_one_and_exact_values():
    x = np.array([[2.0, -1.0], [2.0, 3.0]])
    quantized = Uniform(bits=2, symmetric=False, per_channel=True).quantize(x)
    assert quantized.scale.tolist() == [1.0, 4.0 / 3] and quantized.offset.tolist() == [2.0, -1.0]
    assert quantized.codes.tolist() == [[0, 0], [0, 3]]
    assert np.array_equal(quantized.values(), x)


@pytest.mark.parametrize("bits", [2, 3, 8])
@pytest.mark.parametrize("symmetric", [True, False])
def test_uniform_codes_stay_in_range_and_error_is_at_most_half_a_step(bits, symmetric):
    x = np.random.default_rng(RNG_SEED + bits).normal(0.3, 2.0, size=(6, 5, 4))
    quantized = Uniform(bits=bits, symmetric=symmetric, per_channel=True).quantize(x)
    low, high = (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2 ** bits - 1)
    assert low <= quantized.codes.min() and quantized.codes.max() <= high
    assert np.all(np.abs(quantized.values() - x) <= quantized.scale / 2 * (1 + 1e-12))
