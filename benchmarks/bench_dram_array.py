"""Speed of the DRAM XNOR-popcount array: binary dot products per second for a 256-wide layer.

Run: ``python benchmarks/bench_dram_array.py [--batch B] [--repeats R]``. A 256 x 256 binary layer
on the default DDR3 subarray (8 weight rows of 32 vectors each), against a float32 GEMM of the same
shape on this machine: `dot` without noise (the device's XNOR tables, then GEMMs) with an ideal
and a varied device; `simulate_dot`, every Ambit XNOR (6 AAP + 2 AP per bit line) through the
device model, without and with kT/C sense noise (the latter is what `dot` does given an rng).
Also prints the simulated hardware's own throughput and energy from `dot_cost`.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from imc.arrays.dram_array import DRAMBitwiseArray
from imc.devices.dram import DRAM1T1C
from timing import best_time

N = N_OUT = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    weights = rng.choice([-1, 1], (N_OUT, N))
    x = rng.choice([-1, 1], (args.batch, N))
    products = args.batch * N_OUT

    gemm_w, gemm_x = weights.astype(np.float32), x.astype(np.float32)
    t_gemm = best_time(lambda: gemm_x @ gemm_w.T, args.repeats)
    print(f"float32 GEMM ({args.batch} x {N} x {N_OUT}): {products / t_gemm:12.3e} dot products/s")

    ideal = DRAMBitwiseArray(device=dataclasses.replace(DRAM1T1C(), sigma_c_s_rel=0.0, sigma_sa_offset_v=0.0))
    varied = DRAMBitwiseArray()
    cases = {"dot, ideal device": (ideal, ideal.dot, None),
             "dot, static variation": (varied, varied.dot, None),
             "simulate_dot, static variation": (varied, varied.simulate_dot, None),
             "simulate_dot, + kT/C noise": (varied, varied.simulate_dot, 2)}
    for name, (array, method, seed) in cases.items():
        instance = array.sample_instance(weights, np.random.default_rng(1))
        seconds = best_time(lambda: method(instance, x, None if seed is None else np.random.default_rng(seed)),
                            args.repeats)
        print(f"{name:<31} {products / seconds:12.3e} dot products/s   ({t_gemm / seconds:.2e} of GEMM)")

    array = DRAMBitwiseArray()
    sampling = best_time(lambda: array.sample_instance(weights, np.random.default_rng(1)), args.repeats)
    print(f"sample_instance: {sampling * 1e3:.1f} ms")
    cost = array.dot_cost(args.batch, N, N_OUT)
    print(f"simulated chip: {products / cost.latency_s:.3e} dot products/s, "
          f"{cost.total_energy_j / products * 1e12:.1f} pJ per dot product "
          + ", ".join(f"{k} {v / cost.total_energy_j:.1%}" for k, v in cost.energy_j.items()))


if __name__ == "__main__":
    main()
