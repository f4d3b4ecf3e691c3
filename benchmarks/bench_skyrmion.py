"""Speed of the skyrmion racetrack model: cells sampled per second and each Numba kernel against its NumPy reference.

Run: ``python benchmarks/bench_skyrmion.py [--size N] [--repeats R]``. Every timing is the best
of R runs on an N x N array (default 1024 x 1024) after one warm-up call (Numba compilation
excluded). The kernels run with a 4-level cell (three skyrmions per segment) and every write
error on, so the count sampling inverts non-trivial distributions.
"""

from __future__ import annotations

import argparse

import numpy as np

from imc.devices import _kernels_skyrmion as kernels
from imc.devices.skyrmion import SkyrmionRacetrack
from timing import best_time



def kernel_cases(device: SkyrmionRacetrack, size: int, rng: np.random.Generator) -> dict:
    """Kernel name -> (kernel call, reference call) on a ``size`` x ``size`` array."""
    n = size * size
    states, previous = rng.integers(0, device.levels, n), rng.integers(0, device.levels, n)
    sample_args = (states, previous, rng.random(n), rng.random(n), device._write_cdf, device._delete_cdf,
                   size, device.segments_per_track)
    instance = device.sample_instance(states.reshape(size, size), rng)
    read_args = (instance.counts.ravel(), instance.g_p_s.ravel(), instance.tmr.ravel(), device.area_fraction,
                 rng.standard_normal(n), device.read_noise_scale)
    return {
        "sample_counts": (lambda: kernels.sample_counts(*sample_args, np.empty(n, np.int32)),
                          lambda: kernels.sample_counts_reference(*sample_args)),
        "read_conductance": (lambda: kernels.read_conductance(*read_args, np.empty(n)),
                             lambda: kernels.read_conductance_reference(*read_args)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    n = args.size * args.size
    binary = SkyrmionRacetrack()
    states = rng.integers(0, binary.levels, (args.size, args.size))
    t_sample = best_time(lambda: binary.sample_instance(states, np.random.default_rng(1)), args.repeats)
    instance = binary.sample_instance(states, np.random.default_rng(1))
    t_read = best_time(lambda: binary.read(instance, np.random.default_rng(2)), args.repeats)
    t_age = best_time(lambda: binary.age(instance, 3.15e7, np.random.default_rng(3)), args.repeats)
    print(f"skyrmion {args.size}x{args.size} (binary, defaults): {n / t_sample:,.0f} cells sampled/s "
          f"({t_sample * 1e3:.1f} ms per instance); noisy read {n / t_read:,.0f} cells/s; age {n / t_age:,.0f} cells/s")

    multilevel = SkyrmionRacetrack(max_skyrmions=3, segment_length_m=300e-9, p_nucleation_fail=0.05,
                                   p_nucleation_extra=0.01, p_shift_loss=1e-3, p_delete_fail=0.05)
    print(f"{'kernel':<20}{'Numba (ms)':>12}{'NumPy ref (ms)':>16}{'speed-up':>10}")
    for name, (kernel, reference) in kernel_cases(multilevel, args.size, rng).items():
        t_kernel = best_time(kernel, args.repeats)
        t_reference = best_time(reference, args.repeats)
        print(f"{name:<20}{t_kernel * 1e3:>12.2f}{t_reference * 1e3:>16.2f}{t_reference / t_kernel:>9.1f}x")


if __name__ == "__main__":
    main()
