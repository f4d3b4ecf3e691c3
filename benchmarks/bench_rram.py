"""Speed of the RRAM device model: cells sampled per second and each Numba kernel against its NumPy reference.

Run: ``python benchmarks/bench_rram.py [--size N] [--repeats R]``. Every timing is the best of
R runs on an N x N array (default 1024 x 1024) with the default `imc.devices.rram.RRAM`,
after one warm-up call (Numba compilation and caches excluded).
"""

from __future__ import annotations

import argparse

import numpy as np

from imc.devices import _kernels_rram as kernels
from imc.devices.rram import RRAM
from timing import best_time



def kernel_cases(device: RRAM, n: int, rng: np.random.Generator) -> dict:
    """Kernel name -> (kernel call, reference call) on ``n`` cells with realistic inputs."""
    target = device.level_conductances_s[rng.integers(0, device.levels, n)]
    first = target * device.d2d_factors(n, rng)
    frozen = rng.random(n) < device.p_stuck_hrs + device.p_stuck_lrs
    nu = device.drift_exponents(n, rng)
    seed = np.uint64(12345)
    counters = np.arange(n, dtype=np.uint64)
    wv_args = (target, first, frozen, seed, device.tolerance_rel, device.write_gain, device.sigma_pulse_rel,
               device.max_iterations, device.pulse_energy_per_siemens_j)
    wv_out = (np.empty(n), np.empty(n, np.int32), np.empty(n, np.bool_), np.empty(n))
    iv_args = (target, device.v_read_v, device.v0_v, device.r_access_ohm)
    log_ratio = np.log(3.15e7)
    return {
        "counter_normals": (lambda: kernels.counter_normals(seed, counters, np.empty(n)),
                            lambda: kernels.counter_normal_reference(seed, counters)),
        "write_verify": (lambda: kernels.write_verify(*wv_args, *wv_out),
                         lambda: kernels.write_verify_reference(*wv_args)),
        "series_current (1T1R)": (lambda: kernels.series_current(*iv_args, np.empty(n)),
                                  lambda: kernels.series_current_reference(*iv_args)),
        "drift": (lambda: kernels.drift(target, nu, frozen, log_ratio, np.empty(n)),
                  lambda: kernels.drift_reference(target, nu, frozen, log_ratio)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    device = RRAM()
    n = args.size * args.size
    rng = np.random.default_rng(0)
    states = rng.integers(0, device.levels, (args.size, args.size))
    t_sample = best_time(lambda: device.sample_instance(states, np.random.default_rng(1)), args.repeats)
    instance = device.sample_instance(states, np.random.default_rng(1))
    print(f"RRAM {args.size}x{args.size}: {n / t_sample:,.0f} cells sampled/s "
          f"({t_sample * 1e3:.1f} ms per instance, {instance.iterations.mean():.2f} write-verify pulses/cell)")
    t_read = best_time(lambda: device.read_current_a(instance, np.random.default_rng(2)), args.repeats)
    t_age = best_time(lambda: device.age(instance, 3.15e7), args.repeats)
    print(f"noisy read current: {n / t_read:,.0f} cells/s; age: {n / t_age:,.0f} cells/s")

    print(f"{'kernel':<24}{'Numba (ms)':>12}{'NumPy ref (ms)':>16}{'speed-up':>10}")
    for name, (kernel, reference) in kernel_cases(device, n, rng).items():
        t_kernel = best_time(kernel, args.repeats)
        t_reference = best_time(reference, args.repeats)
        print(f"{name:<24}{t_kernel * 1e3:>12.2f}{t_reference * 1e3:>16.2f}{t_reference / t_kernel:>9.1f}x")


if __name__ == "__main__":
    main()
