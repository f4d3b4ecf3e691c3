"""Speed of the crossbar IR-drop solvers: exact sparse nodal solve against the Numba line relaxation.

Run: ``python benchmarks/bench_ir_drop.py [--sizes 64 128 256] [--batch B] [--repeats R]``. Each
timing is the best of R solves of a batch of B binary input vectors (word lines at the default
`imc.devices.RRAM` read voltage or 0 V) on a square array of default RRAM conductances drawn
uniformly between its HRS and LRS, with the default 1T1R 65 nm `CrossbarWires` (after one
warm-up call: Numba compilation excluded). Also printed: the relaxation iterations, the fast
solver's deviation from the exact one and the IR-drop error against the ideal v @ G.
"""

from __future__ import annotations

import argparse

import numpy as np

from imc.arrays.ir_drop import (CrossbarWires, cell_conductance_s, ideal_currents, relative_error, solve_exact,
                                solve_fast)
from imc.devices.rram import RRAM
from timing import best_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    device, wires = RRAM(), CrossbarWires()
    rng = np.random.default_rng(0)
    print(f"batch {args.batch}, wires {wires}")
    print(f"{'array':>9}{'exact (s)':>11}{'fast (s)':>10}{'speed-up':>10}{'iters':>7}{'fast-exact':>12}"
          f"{'IR error':>10}")
    for n in args.sizes:
        g = rng.uniform(device.g_off_s, device.g_on_s, (n, n))
        v = device.v_read_v * (rng.random((args.batch, n)) < 0.5)
        t_exact = best_time(lambda: solve_exact(g, v, wires), args.repeats)
        t_fast = best_time(lambda: solve_fast(g, v, wires), args.repeats)
        exact = solve_exact(g, v, wires)
        fast = solve_fast(g, v, wires, return_nodes=True)
        ideal = ideal_currents(cell_conductance_s(g, wires.r_access_ohm), v)
        print(f"{n:>4}x{n:<4}{t_exact:>11.3f}{t_fast:>10.4f}{t_exact / t_fast:>9.1f}x{fast.iterations.max():>7}"
              f"{relative_error(fast.column_currents_a, exact):>12.1e}{relative_error(exact, ideal):>10.2%}")


if __name__ == "__main__":
    main()
