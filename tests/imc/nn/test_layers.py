import numpy as np
import pytest
from scipy import stats

from imc.errors import ParameterError
from imc.nn.layers import (AvgPool2d, BatchNorm, Conv2d, Dense, Flatten, HardTanh, Layer,
                           MaxPool2d, QuantizeActivation, ReLU)
from imc.nn.quantizers import make_quantizer


def numeric_gradient(loss, array, step=1e-6):
    """Central differences of the scalar ``loss()`` w.r.t. each entry of ``array`` (perturbed in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + step
        plus = loss()
        array[index] = original - step
        minus = loss()
        array[index] = original
        grad[index] = (plus - minus) / (2 * step)
    return grad


def assert_gradients_match(layer, x, train=True, noise_seed=None):
    """Input and parameter gradients of ``layer`` equal finite differences of sum(out * upstream)."""
    def forward():
        rng = None if noise_seed is None else np.random.default_rng(noise_seed)
        return layer.forward(x, train=train, rng=rng)

    upstream = np.random.default_rng(99).normal(size=forward().shape)
    loss = lambda: float(np.sum(forward() * upstream))  # noqa: E731
    forward()
    grad_x = layer.backward(upstream)
    analytic = {key: value.copy() for key, value in layer.grads.items()}
    assert set(analytic) == set(layer.params)
    np.testing.assert_allclose(grad_x, numeric_gradient(loss, x), rtol=1e-6, atol=1e-7)
    for key, param in layer.params.items():
        np.testing.assert_allclose(analytic[key], numeric_gradient(loss, param), rtol=1e-6, atol=1e-7,
                                   err_msg=key)


def naive_conv(x, weight, bias, stride, padding):
    """Direct cross-correlation, one output pixel at a time (reference for tiny inputs only)."""
    kh, kw, _, c_out = weight.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    ho = (xp.shape[1] - kh) // stride + 1
    wo = (xp.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, c_out))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nabc,abco->no", patch, weight) + bias
    return out


# --- finite-difference gradient checks (float64, quantizer-free) ---------------------------

def test_dense_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    layer = Dense(5, 4, rng, bias=True)
    layer.params["bias"][:] = rng.normal(size=4)
    assert_gradients_match(layer, rng.normal(size=(3, 5)))


@pytest.mark.parametrize("stride, padding, kernel", [(1, 0, 3), (2, 0, 3), (1, 1, (2, 3)), (2, 1, 2)])
def test_conv2d_gradients_match_finite_differences(stride, padding, kernel):
    rng = np.random.default_rng(stride * 10 + padding)
    c_in, c_out = rng.integers(1, 4), rng.integers(1, 4)
    h, w = rng.integers(4, 7, size=2)
    layer = Conv2d(int(c_in), int(c_out), kernel, rng, stride=stride, padding=padding, bias=True)
    layer.params["bias"][:] = rng.normal(size=c_out)
    assert_gradients_match(layer, rng.normal(size=(2, h, w, c_in)))


def test_noisy_dense_gradients_go_through_the_same_noise_sample():
    rng = np.random.default_rng(1)
    layer = Dense(4, 3, rng, bias=True, weight_noise_rel=0.3)
    assert_gradients_match(layer, rng.normal(size=(5, 4)), noise_seed=7)


def test_noisy_conv2d_gradients_go_through_the_same_noise_sample():
    rng = np.random.default_rng(2)
    layer = Conv2d(2, 3, 3, rng, stride=2, padding=1, weight_noise_rel=0.3)
    assert_gradients_match(layer, rng.normal(size=(2, 5, 5, 2)), noise_seed=7)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 3)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_gradients_match_finite_differences(shape, train):
    rng = np.random.default_rng(3)
    layer = BatchNorm(3)
    layer.params["gamma"][:] = [1.5, -0.7, 0.3]
    layer.params["beta"][:] = [0.1, 0.2, -0.3]
    layer.running_mean[:] = [0.2, -0.1, 0.4]
    layer.running_var[:] = [0.5, 2.0, 1.3]
    assert_gradients_match(layer, rng.normal(size=shape), train=train)


@pytest.mark.parametrize("layer", [MaxPool2d(2), MaxPool2d((2, 3), stride=1), AvgPool2d(2),
                                   AvgPool2d(3, stride=2), Flatten(), ReLU(), HardTanh()],
                         ids=lambda layer: type(layer).__name__)
def test_parameter_free_layer_gradients_match_finite_differences(layer):
    # Distinct values away from the kinks (0 for ReLU, +-1 for HardTanh, ties for max-pool).
    x = np.random.default_rng(4).permutation(np.linspace(-2.05, 2.05, 2 * 5 * 6 * 2)).reshape(2, 5, 6, 2)
    assert_gradients_match(layer, x)


# --- convolution forward ---------------------------------------------------------------------

@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (1, 1), (2, 1), (3, 2)])
def test_conv2d_forward_equals_naive_convolution(stride, padding):
    rng = np.random.default_rng(5)
    layer = Conv2d(3, 4, 3, rng, stride=stride, padding=padding, bias=True)
    layer.params["bias"][:] = rng.normal(size=4)
    x = rng.normal(size=(2, 7, 6, 3))
    expected = naive_conv(x, layer.params["weight"], layer.params["bias"], stride, padding)
    out = layer.forward(x)
    assert out.shape == expected.shape == layer.output_shape(x.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_im2col_keeps_integer_inputs_exact_and_orders_columns_kh_kw_cin():
    layer = Conv2d(2, 1, (2, 3), np.random.default_rng(0), padding=(0, 1))
    x = np.arange(1 * 3 * 3 * 2).reshape(1, 3, 3, 2)
    cols = layer.im2col(x)
    assert cols.dtype == x.dtype and cols.shape == (2 * 3, 2 * 3 * 2)
    # Output pixel (0, 0) covers rows 0..1 and columns -1..1 (column -1 is padding).
    expected = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))[0, 0:2, 0:3, :].ravel()
    assert cols[0].tolist() == expected.tolist()


def test_conv2d_output_shape_formula():
    layer = Conv2d(3, 5, (3, 2), np.random.default_rng(0), stride=(2, 1), padding=1)
    assert layer.output_shape((4, 9, 6, 3)) == (4, (9 + 2 - 3) // 2 + 1, (6 + 2 - 2) // 1 + 1, 5)


# --- pooling closed forms ------------------------------------------------------------------

def test_max_and_avg_pool_forward_on_a_ramp():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    assert MaxPool2d(2).forward(x)[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
    assert AvgPool2d(2).forward(x)[0, :, :, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert MaxPool2d(2, stride=1).forward(x)[0, :, :, 0].tolist() == [[5, 6, 7], [9, 10, 11], [13, 14, 15]]


def test_max_pool_backward_routes_to_the_first_maximum_and_accumulates_overlaps():
    pool = MaxPool2d(2)
    x = np.array([[1, 1, 0, 9], [1, 1, 9, 0]], dtype=float).reshape(1, 2, 4, 1)
    pool.forward(x)
    grad = pool.backward(np.array([2.0, 3.0]).reshape(1, 1, 2, 1))
    assert grad[0, :, :, 0].tolist() == [[2, 0, 0, 3], [0, 0, 0, 0]]

    overlapping = MaxPool2d(2, stride=1)
    x = np.array([[0, 0, 0], [0, 5, 0], [0, 0, 0]], dtype=float).reshape(1, 3, 3, 1)
    overlapping.forward(x)
    grad = overlapping.backward(np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1))
    assert grad[0, :, :, 0].tolist() == [[0, 0, 0], [0, 10, 0], [0, 0, 0]]


def test_avg_pool_backward_spreads_evenly_and_skips_uncovered_pixels():
    pool = AvgPool2d(2)
    pool.forward(np.zeros((1, 5, 4, 1)))
    grad = pool.backward(np.arange(1.0, 5.0).reshape(1, 2, 2, 1))
    assert grad[0, :, :, 0].tolist() == [[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5],
                                         [0.75, 0.75, 1.0, 1.0], [0.75, 0.75, 1.0, 1.0], [0, 0, 0, 0]]


def test_pooling_keeps_channels_and_samples_apart():
    x = np.random.default_rng(6).normal(size=(3, 4, 6, 5))
    np.testing.assert_array_equal(MaxPool2d(2).forward(x), x.reshape(3, 2, 2, 3, 2, 5).max(axis=(2, 4)))
    np.testing.assert_allclose(AvgPool2d(2).forward(x), x.reshape(3, 2, 2, 3, 2, 5).mean(axis=(2, 4)))


# --- BatchNorm -----------------------------------------------------------------------------

def test_batchnorm_train_normalises_with_batch_statistics_and_updates_running_ones():
    rng = np.random.default_rng(7)
    x = rng.normal(loc=[3.0, -2.0], scale=[2.0, 0.5], size=(10, 4, 4, 2))
    bn = BatchNorm(2, momentum=0.9, eps=1e-5)
    out = bn.forward(x, train=True)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 1, 2)), var / (var + 1e-5), rtol=1e-12)
    m = 10 * 4 * 4
    np.testing.assert_allclose(bn.running_mean, 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * var * m / (m - 1), rtol=1e-12)


def test_batchnorm_eval_uses_running_statistics_and_leaves_them_unchanged():
    bn = BatchNorm(3, eps=0.01)
    bn.params["gamma"][:] = [2.0, 1.0, -1.0]
    bn.params["beta"][:] = [0.5, 0.0, 1.0]
    bn.running_mean[:] = [1.0, 2.0, 3.0]
    bn.running_var[:] = [0.99, 3.99, 0.24]
    x = np.array([[2.0, 4.0, 3.5], [0.0, 0.0, 3.0]])
    out = bn.forward(x, train=False)
    np.testing.assert_allclose(out, [[2.5, 1.0, 0.0], [-1.5, -1.0, 1.0]], rtol=1e-12)
    assert bn.running_mean.tolist() == [1.0, 2.0, 3.0] and bn.running_var.tolist() == [0.99, 3.99, 0.24]


def test_batchnorm_running_statistics_converge_to_the_population():
    rng = np.random.default_rng(8)
    bn = BatchNorm(1, momentum=0.5)
    for _ in range(60):
        bn.forward(rng.normal(4.0, 3.0, size=(400, 1)), train=True)
    np.testing.assert_allclose(bn.running_mean, [4.0], atol=0.5)
    np.testing.assert_allclose(bn.running_var, [9.0], rtol=0.2)


# --- Flatten -------------------------------------------------------------------------------

def test_flatten_round_trip_is_c_order():
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    flatten = Flatten()
    out = flatten.forward(x)
    assert out.shape == (2, 60) and out[1, 5 * 4 + 1] == x[1, 1, 0, 1]
    np.testing.assert_array_equal(flatten.backward(out), x)


# --- initialisation ------------------------------------------------------------------------

@pytest.mark.parametrize("layer, fans", [(Dense(300, 200, np.random.default_rng(9)), 500),
                                         (Conv2d(16, 32, 3, np.random.default_rng(9)), 9 * 48)])
def test_glorot_uniform_bounds_and_variance(layer, fans):
    weight = layer.params["weight"]
    limit = np.sqrt(6.0 / fans)
    assert np.abs(weight).max() <= limit and np.abs(weight).max() > 0.99 * limit
    # Variance of U(-a, a) is a^2 / 3 = 2 / (fan_in + fan_out); 6-sigma band for the sample variance.
    n = weight.size
    sigma_var = np.sqrt((limit**4 / 5 - (limit**2 / 3) ** 2) / n)
    assert abs(weight.var() - limit**2 / 3) < 6 * sigma_var


# --- noise injection -----------------------------------------------------------------------

def test_weight_noise_is_reproducible_per_seed_and_off_at_zero():
    layer = Dense(6, 4, np.random.default_rng(10), weight_noise_rel=0.2)
    x = np.random.default_rng(11).normal(size=(3, 6))
    first = layer.forward(x, train=True, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(layer.forward(x, train=True, rng=np.random.default_rng(1)), first)
    assert not np.allclose(layer.forward(x, train=True, rng=np.random.default_rng(2)), first)
    # the noise also applies in inference (to evaluate robustness) until it is switched off
    np.testing.assert_array_equal(layer.forward(x, train=False, rng=np.random.default_rng(1)), first)
    layer.weight_noise_rel = 0.0
    np.testing.assert_array_equal(layer.forward(x, train=False), x @ layer.params["weight"])


def test_zero_weight_noise_is_deterministic_and_needs_no_rng():
    layer = Conv2d(2, 3, 2, np.random.default_rng(12))
    x = np.random.default_rng(13).normal(size=(2, 4, 4, 2))
    np.testing.assert_array_equal(layer.forward(x, train=True), layer.forward(x, train=False))


def test_weight_noise_has_the_stated_relative_std():
    sigma, n_in, n_out = 0.2, 150, 200
    layer = Dense(n_in, n_out, np.random.default_rng(14), weight_noise_rel=sigma)
    # Identity input: the output is the noisy weight matrix itself.
    noisy = layer.forward(np.eye(n_in), train=True, rng=np.random.default_rng(15))
    relative = noisy / layer.params["weight"] - 1
    n = relative.size
    lower, upper = (n - 1) * relative.var(ddof=1) / stats.chi2.ppf([0.9995, 0.0005], n - 1)
    assert lower < sigma**2 < upper
    assert abs(relative.mean()) < 4 * sigma / np.sqrt(n)


def test_weight_noise_in_training_needs_an_rng():
    layer = Dense(3, 2, np.random.default_rng(0), weight_noise_rel=0.1)
    with pytest.raises(ParameterError) as info:
        layer.forward(np.ones((1, 3)), train=True)
    assert info.value.field == "rng"


# --- quantized layers ----------------------------------------------------------------------

@pytest.mark.parametrize("make_layer, x_shape", [
    (lambda q: Dense(5, 4, np.random.default_rng(16), weight_quantizer=q), (3, 5)),
    (lambda q: Conv2d(2, 3, 2, np.random.default_rng(16), padding=1, weight_quantizer=q), (2, 3, 3, 2)),
], ids=["dense", "conv2d"])
def test_sign_quantized_layer_uses_sign_weights_and_clips_latent_after_update(make_layer, x_shape):
    quantizer = make_quantizer("ste_sign")
    layer = make_layer(quantizer)
    latent = layer.params["weight"]
    latent.flat[:3] = [3.0, -2.0, 0.5]
    binary = np.where(latent >= 0, 1.0, -1.0)
    np.testing.assert_array_equal(layer.effective_weight(), binary)
    x = np.random.default_rng(17).normal(size=x_shape)
    reference = Dense(5, 4, np.random.default_rng(0)) if len(x_shape) == 2 else \
        Conv2d(2, 3, 2, np.random.default_rng(0), padding=1)
    reference.params["weight"][...] = binary
    np.testing.assert_allclose(layer.forward(x, train=True), reference.forward(x), rtol=1e-12)
    # Straight-through gradient: the float gradient of the binary weights, zero where |W| > 1.
    upstream = np.random.default_rng(18).normal(size=reference.forward(x).shape)
    layer.backward(upstream)
    reference.backward(upstream)
    np.testing.assert_allclose(layer.grads["weight"], reference.grads["weight"] * (np.abs(latent) <= 1))
    assert quantizer.latent_clip is not None
    layer.after_update()
    assert latent.flat[:3].tolist() == [quantizer.latent_clip, -quantizer.latent_clip, 0.5]
    assert layer.params["weight"] is latent


def test_unclipped_quantizer_leaves_latent_weights_alone():
    quantizer = make_quantizer("dorefa_weight", bits=2)
    assert quantizer.latent_clip is None
    layer = Dense(3, 2, np.random.default_rng(19), weight_quantizer=quantizer)
    layer.params["weight"].flat[0] = 5.0
    before = layer.params["weight"].copy()
    layer.after_update()
    np.testing.assert_array_equal(layer.params["weight"], before)


def test_ttq_scales_are_layer_params_with_finite_difference_gradients():
    quantizer = make_quantizer("ttq")
    layer = Dense(6, 5, np.random.default_rng(20), weight_quantizer=quantizer)
    assert {"weight", "weight_quantizer.w_pos", "weight_quantizer.w_neg"} <= set(layer.params)
    for key, value in quantizer.params.items():
        assert layer.params[f"weight_quantizer.{key}"] is value
    x = np.random.default_rng(21).normal(size=(4, 6))
    upstream = np.random.default_rng(22).normal(size=(4, 5))
    loss = lambda: float(np.sum(layer.forward(x, train=True) * upstream))  # noqa: E731
    layer.forward(x, train=True)
    layer.backward(upstream)
    for key in ("weight_quantizer.w_pos", "weight_quantizer.w_neg"):
        analytic = layer.grads[key].copy()
        assert np.all(analytic != 0)
        numeric = numeric_gradient(loss, layer.params[key])
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, err_msg=key)


def test_pact_alpha_is_a_quantize_activation_param_and_gets_a_gradient():
    quantizer = make_quantizer("pact", bits=2)
    layer = QuantizeActivation(quantizer)
    assert set(layer.params) == {f"quantizer.{key}" for key in quantizer.params}
    assert all(layer.params[f"quantizer.{key}"] is value for key, value in quantizer.params.items())
    x = np.linspace(-1.0, 20.0, 50).reshape(5, 10)
    layer.forward(x, train=True)
    layer.backward(np.ones_like(x))
    assert set(layer.grads) == set(layer.params)
    assert all(np.any(grad != 0) for grad in layer.grads.values())


def test_quantize_activation_applies_sign_and_its_ste():
    layer = QuantizeActivation(make_quantizer("ste_sign"))
    x = np.array([[-2.0, -0.5, 0.0, 0.7, 1.5]])
    assert layer.forward(x, train=True).tolist() == [[-1, -1, 1, 1, 1]]
    assert layer.backward(np.full_like(x, 3.0)).tolist() == [[0, 3, 3, 3, 0]]
    assert layer.params == {} and layer.grads == {}


# --- protocol and bad input ----------------------------------------------------------------

def test_base_layer_has_no_params_and_a_no_op_after_update():
    assert isinstance(ReLU(), Layer) and ReLU().params == {} and ReLU().grads == {}
    assert ReLU().after_update() is None


def test_params_are_live_arrays_that_in_place_updates_reach():
    layer = Dense(3, 2, np.random.default_rng(23), bias=True)
    layer.params["bias"] -= 1.0
    np.testing.assert_array_equal(layer.forward(np.zeros((1, 3))), [[-1.0, -1.0]])


@pytest.mark.parametrize("build, field", [
    (lambda: Dense(0, 3, np.random.default_rng(0)), "n_in"),
    (lambda: Dense(3, 2.5, np.random.default_rng(0)), "n_out"),
    (lambda: Dense(3, 2, 0), "rng"),
    (lambda: Dense(3, 2, np.random.default_rng(0), weight_quantizer="ste_sign"), "weight_quantizer"),
    (lambda: Dense(3, 2, np.random.default_rng(0), bias=1), "bias"),
    (lambda: Dense(3, 2, np.random.default_rng(0), weight_noise_rel=-0.1), "weight_noise_rel"),
    (lambda: Conv2d(0, 2, 3, np.random.default_rng(0)), "c_in"),
    (lambda: Conv2d(1, 2, 0, np.random.default_rng(0)), "kernel_size"),
    (lambda: Conv2d(1, 2, (3, 3, 3), np.random.default_rng(0)), "kernel_size"),
    (lambda: Conv2d(1, 2, 3, np.random.default_rng(0), stride=0), "stride"),
    (lambda: Conv2d(1, 2, 3, np.random.default_rng(0), padding=-1), "padding"),
    (lambda: BatchNorm(0), "n"),
    (lambda: BatchNorm(3, momentum=1.0), "momentum"),
    (lambda: BatchNorm(3, eps=0.0), "eps"),
    (lambda: MaxPool2d(0), "size"),
    (lambda: AvgPool2d(2, stride=(1, 0)), "stride"),
    (lambda: QuantizeActivation(None), "quantizer"),
])
def test_bad_constructor_arguments_name_the_field(build, field):
    with pytest.raises(ParameterError) as info:
        build()
    assert info.value.field == field


@pytest.mark.parametrize("layer, x", [
    (Dense(4, 2, np.random.default_rng(0)), np.ones((3, 5))),
    (Dense(4, 2, np.random.default_rng(0)), np.ones(4)),
    (Conv2d(3, 2, 3, np.random.default_rng(0)), np.ones((1, 5, 5, 2))),
    (Conv2d(3, 2, 3, np.random.default_rng(0)), np.ones((1, 2, 5, 3))),
    (Conv2d(3, 2, 3, np.random.default_rng(0)), np.ones((5, 5, 3))),
    (BatchNorm(3), np.ones((4, 2))),
    (BatchNorm(3), np.ones((1, 3))),
    (MaxPool2d(3), np.ones((1, 2, 4, 1))),
    (AvgPool2d(2), np.ones((4, 4))),
    (Flatten(), np.ones(4)),
], ids=["dense-features", "dense-1d", "conv-channels", "conv-too-small", "conv-3d", "bn-features",
        "bn-one-sample", "maxpool-too-small", "avgpool-2d", "flatten-1d"])
def test_bad_input_shape_names_x(layer, x):
    with pytest.raises(ParameterError) as info:
        layer.forward(x, train=True)
    assert info.value.field == "x.shape"


def test_conv2d_padding_lets_a_small_input_through():
    layer = Conv2d(1, 1, 3, np.random.default_rng(0), padding=1)
    assert layer.forward(np.ones((1, 1, 1, 1))).shape == (1, 1, 1, 1)


def test_gradient_of_the_wrong_shape_names_grad():
    layer = Conv2d(2, 3, 2, np.random.default_rng(0))
    layer.forward(np.ones((1, 4, 4, 2)))
    with pytest.raises(ParameterError) as info:
        layer.backward(np.ones((1, 3, 3, 2)))
    assert info.value.field == "grad.shape"
