"""Speed of the DRAM 1T1C model: cells sampled per second and each Numba kernel against its NumPy reference.

Run: ``python benchmarks/bench_dram.py [--repeats R]``. Kernel times are on 1024 x 1024 cells
(the charge-sharing kernel with one cell per bit line, a single-row read, and with three, a TRA).
"""

from __future__ import annotations

import argparse

import numpy as np

from imc.devices import _kernels_dram
from imc.devices.dram import DRAM1T1C
from timing import best_time



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    device = DRAM1T1C()
    rng = np.random.default_rng(0)
    n = 1024 * 1024
    states = rng.integers(0, 2, (1024, 1024))
    sampling = best_time(lambda: device.sample_instance(states, rng), args.repeats)
    print(f"cell sampling: {n / sampling / 1e6:.1f} M cells/s")

    tau = rng.lognormal(1.0, 0.6, n)
    v = rng.uniform(0.0, device.vdd_v, n)
    out = np.empty(n)
    cases = {}
    for k in (1, 3):
        cells_v = rng.uniform(0.0, device.vdd_v, (k, n))
        cells_f = device.c_s_f * (1 + 0.05 * rng.standard_normal((k, n)))
        signs = np.ones(k)
        cases[f"charge_share_signal (k={k})"] = (
            lambda cv=cells_v, cf=cells_f, s=signs: _kernels_dram.charge_share_signal(
                cv, cf, s, device.c_bl_f, device.v_pre_v, out),
            lambda cv=cells_v, cf=cells_f, s=signs: _kernels_dram.charge_share_signal_reference(
                cv, cf, s, device.c_bl_f, device.v_pre_v))
    cases["leak"] = (lambda: _kernels_dram.leak(v, tau, 0.5, out),
                     lambda: _kernels_dram.leak_reference(v, tau, 0.5))
    for name, (kernel, reference) in cases.items():
        kernel()  # compile
        t_kernel = best_time(kernel, args.repeats)
        t_reference = best_time(reference, args.repeats)
        print(f"{name:<28} kernel {t_kernel * 1e3:7.2f} ms   numpy {t_reference * 1e3:7.2f} ms   "
              f"speed-up {t_reference / t_kernel:5.1f}x")


if __name__ == "__main__":
    main()
