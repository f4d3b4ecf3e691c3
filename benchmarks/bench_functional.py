"""Speed of the functional engine: simulated MACs/s against this machine's float32 GEMM rate.

Run: ``python benchmarks/bench_functional.py [--chips N] [--repeats R] [--json]``.
Simulated MACs = chips x test images x network MACs per inference (logical binary MACs;
the XNOR encoding computes twice as many cell products). The GEMM reference is a square
float32 ``numpy.matmul`` of the same machine in the same run, counted as n^3 MACs.
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np

from imc import engine
from imc.arrays import SRAMArray
from imc.config import SimConfig
from imc.mapping import map_layers
from imc.nn import zoo
from imc.nn.data import load_digits
from timing import best_time



def gemm_macs_per_s(n: int = 1024, repeats: int = 5) -> float:
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    a @ b
    return n ** 3 / best_time(lambda: a @ b, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0,
                        help="inputs per chip: the digits test set (360) repeated to this many (0: 360 once); "
                             "large batches amortise the per-chip sampling")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    config = SimConfig()
    model, _ = zoo.load(config.model)
    data = load_digits()
    x = model.encode(data.x_test)
    labels = data.y_test
    if args.batch:
        repeats = -(-args.batch // len(x))
        x, labels = np.tile(x, (repeats, 1, 1, 1))[:args.batch], np.tile(labels, repeats)[:args.batch]
    array = config.array
    plan = map_layers(model.ops, array.logical_rows, array.cols, config.mapping.encoding)
    engine.chip_accuracies(plan, array, x, labels, 0, 2)  # compile the kernels
    gemm = gemm_macs_per_s()
    levels = {
        "ideal (1 nominal chip)": (1, False),
        f"static variation + bit-line + ADC ({args.chips} chips)": (args.chips, True),
    }
    rows = []
    for name, (chips, variation) in levels.items():
        seconds = best_time(lambda: engine.chip_accuracies(plan, array, x, labels, 0, chips, variation),
                            args.repeats)
        simulated = chips * len(x) * model.macs / seconds
        rows.append({"fidelity": name, "chips": chips, "seconds": seconds, "simulated_macs_per_s": simulated,
                     "fraction_of_gemm": simulated / gemm})
    sampling = best_time(lambda: engine.sample_chips(array, plan, engine.chip_seeds(0, args.chips), True), 1)
    cells = args.chips * plan.n_arrays * array.rows * array.cols
    result = {"machine": platform.processor() or platform.machine(), "gemm_f32_macs_per_s": gemm,
              "levels": rows, "cells_sampled_per_s": cells / sampling}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"float32 GEMM (1024^3): {gemm / 1e9:.2f} GMAC/s")
    print(f"cell sampling: {cells / sampling / 1e6:.1f} M cells/s")
    for r in rows:
        print(f"{r['fidelity']:<48} {r['seconds']:7.3f} s  {r['simulated_macs_per_s'] / 1e9:7.3f} GMAC/s "
              f"= {100 * r['fraction_of_gemm']:5.1f} % of GEMM")


if __name__ == "__main__":
    main()
