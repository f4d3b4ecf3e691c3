import numpy as np
import pytest

from imc.arrays import ColumnADC
from imc.arrays import _kernels_resistive as kernels
from imc.arrays._kernels_converters import threshold_lookup


@pytest.mark.parametrize("bits", [1, 4, 7])
def test_bit_planes_match_numpy_reference(bits):
    x = np.random.default_rng(bits).integers(0, 2 ** bits, (13, 37))
    planes = kernels.bit_planes(x, bits, np.empty((bits * 13, 37), np.float32))
    assert np.array_equal(planes, kernels.bit_planes_reference(x, bits))
    assert np.array_equal((planes.reshape(bits, 13, 37) * 2.0 ** np.arange(bits)[:, None, None]).sum(0), x)


def adc_case(rng, bits, table, columns_per_adc, cols):
    adc = ColumnADC(bits=bits, sigma_offset_lsb=0.7, sigma_gain_rel=0.05, inl_lsb=0.8 * table,
                    sigma_dnl_lsb=0.4 * table, columns_per_adc=columns_per_adc)
    instance = adc.sample_instance(adc.n_adcs(cols), rng)
    thresholds = instance.thresholds_lsb if table else np.empty((instance.n_adcs, 0))
    return adc, instance, thresholds, np.arange(cols) // columns_per_adc


@pytest.mark.parametrize("table", [False, True])
@pytest.mark.parametrize("cycles, columns_per_adc, dtype", [(1, 1, np.float64), (4, 1, np.float32),
                                                            (3, 4, np.float32)])
def test_convert_shift_add_matches_numpy_reference(table, cycles, columns_per_adc, dtype):
    rng = np.random.default_rng(cycles + columns_per_adc)
    batch, cols, full_scale = 50, 19, 300.0
    adc, instance, thresholds, adc_of_col = adc_case(rng, 6, table, columns_per_adc, cols)
    signal = rng.uniform(-20.0, 1.1 * full_scale, (cycles * batch, cols)).astype(dtype)
    signal[::7, ::3] = np.rint(signal[::7, ::3])  # whole level steps, as an ideal array gives
    lsb_eff = adc.lsb(full_scale) / (1.0 + instance.gain_rel)
    scale = full_scale / adc.top_code
    out = np.zeros((batch, cols), np.int64)
    assert kernels.convert_shift_add(signal, cycles, adc_of_col, lsb_eff, instance.offset_lsb, thresholds,
                                     threshold_lookup(thresholds), float(adc.top_code), scale, out) == 0
    reference = kernels.convert_shift_add_reference(signal, cycles, adc_of_col, lsb_eff, instance.offset_lsb,
                                                    thresholds, float(adc.top_code), scale)
    assert np.array_equal(out, reference)
    # and cycle by cycle it is ColumnADC.convert, rescaled and shifted
    codes = adc.convert(signal.reshape(cycles, batch, cols), instance, full_scale=full_scale)
    counts = np.rint(codes * scale).astype(np.int64)
    assert np.array_equal(out, sum(counts[b] << b for b in range(cycles)))


@pytest.mark.parametrize("table", [False, True])
def test_convert_shift_add_counts_values_that_are_not_finite(table):
    rng = np.random.default_rng(5)
    adc, instance, thresholds, adc_of_col = adc_case(rng, 5, table, 1, 6)
    signal = rng.uniform(0, 10, (8, 6))
    signal[1, 2], signal[5, 0], signal[7, 5] = np.nan, np.inf, -np.inf
    out = np.zeros((4, 6), np.int64)
    assert kernels.convert_shift_add(signal, 2, adc_of_col, adc.lsb(10.0) / (1 + instance.gain_rel),
                                     instance.offset_lsb, thresholds, threshold_lookup(thresholds), float(adc.top_code),
                                     1.0, out) == 3
