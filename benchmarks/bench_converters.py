"""Column ADC conversions per second: the Numba kernel against its NumPy reference.

Run: ``python benchmarks/bench_converters.py``. Sizes: 4096 input vectors x 1024 columns
(float32), 8-bit and 12-bit ADCs with offset, gain error, INL and DNL, 4 columns per ADC.
"""

from __future__ import annotations

import numpy as np

from imc.arrays import _kernels_converters as kernels
from imc.arrays.converters import ColumnADC
from timing import best_time

BATCH, COLS = 4096, 1024


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.05, 1.05, size=(BATCH, COLS)).astype(np.float32)
    n = x.size
    t_round = best_time(lambda: np.clip(np.rint(x * np.float32(255)), 0, 255).astype(np.int32))
    print(f"ideal NumPy clip(rint) baseline      {n / t_round / 1e6:8.1f} M conversions/s")
    for bits in (8, 12):
        adc = ColumnADC(bits=bits, sigma_offset_lsb=0.3, sigma_gain_rel=0.01, inl_lsb=1.0, sigma_dnl_lsb=0.2,
                        columns_per_adc=4)
        instance = adc.sample_instance(adc.n_adcs(COLS), rng)
        adc_of_col = np.arange(COLS, dtype=np.int64) // 4
        lsb_eff = (1.0 / adc.top_code) / (1.0 + instance.gain_rel)
        t_kernel = best_time(lambda: adc.convert(x, instance, full_scale=1.0))
        t_ref = best_time(lambda: kernels.convert_codes_reference(x, adc_of_col, lsb_eff, instance.offset_lsb,
                                                                  instance.thresholds_lsb), 1)
        print(f"{bits:2d}-bit non-ideal ADC  numba {n / t_kernel / 1e6:8.1f} M conv/s   "
              f"numpy {n / t_ref / 1e6:8.1f} M conv/s   speed-up {t_ref / t_kernel:5.1f}x")


if __name__ == "__main__":
    main()
