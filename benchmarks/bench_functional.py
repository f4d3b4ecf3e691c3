"""Speed of the functional engine: simulated MACs/s against this machine's float32 GEMM rate.

Run: ``python benchmarks/bench_functional.py [--chips 20] [--batch 10000] [--repeats 2] [--json]``.
The built-in design (binarized MLP on 256 x 128 6T SRAM arrays, XNOR encoding) runs the digits
test images repeated to ``--batch`` inputs per chip (10,000 = the size of the MNIST and CIFAR
test sets; ``--batch 0`` runs the 360 digits images once, where sampling each chip's 229k
cells dominates). Fidelity levels, each adding to the one before:

* ideal: one nominal chip, 8-bit ideal column ADCs;
* static variation: Pelgrom mismatch of every cell, bit-line discharge, ideal 8-bit ADCs;
* + ADC offset and gain: per-ADC offset (sigma 0.5 LSB) and gain error (sigma 1 %);
* + ADC INL/DNL: 0.5 LSB bow INL and 0.2 LSB DNL (threshold tables);
and, instead of ADCs, 1-bit latches with offset on the sign layers (``sensing = "sense_amp"``).
Simulated MACs = chips x inputs x network MACs per inference (logical binary MACs; the XNOR
encoding stores two cells per weight). The GEMM reference is a square float32 ``numpy.matmul``
of the same machine in the same run, counted as n^3 MACs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform

import numpy as np
from timing import best_time

from imc import engine
from imc.arrays import ColumnADC
from imc.config import SimConfig
from imc.mapping import map_layers
from imc.nn import zoo
from imc.nn.data import load_digits


def gemm_macs_per_s(n: int = 1024, repeats: int = 5) -> float:
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    return n ** 3 / best_time(lambda: a @ b, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=10_000,
                        help="inputs per chip: the digits test set (360) repeated to this many (0: 360 once)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    config = SimConfig()
    model, _ = zoo.load(config.model)
    data = load_digits()
    x, labels = model.encode(data.x_test), data.y_test
    if args.batch:
        repeats = -(-args.batch // len(x))
        x, labels = np.tile(x, (repeats, 1, 1, 1))[:args.batch], np.tile(labels, repeats)[:args.batch]
    base = config.array
    offset_gain = dataclasses.replace(base, adc=ColumnADC(sigma_offset_lsb=0.5, sigma_gain_rel=0.01))
    levels = [
        ("ideal (1 nominal chip)", base, 1, False),
        ("static variation + bit-line + ideal ADC", base, args.chips, True),
        ("+ ADC offset and gain", offset_gain, args.chips, True),
        ("+ ADC INL/DNL", dataclasses.replace(offset_gain, adc=dataclasses.replace(
            offset_gain.adc, inl_lsb=0.5, sigma_dnl_lsb=0.2)), args.chips, True),
        ("latch sense amps on sign layers", dataclasses.replace(base, sensing="sense_amp"), args.chips, True),
    ]
    plan = map_layers(model.ops, base.logical_rows, base.cols, config.mapping.encoding)
    gemm = gemm_macs_per_s()
    rows = []
    for name, array, chips, variation in levels:
        seconds = best_time(lambda: engine.chip_accuracies(plan, array, x, labels, 0, chips, variation),
                            args.repeats)
        simulated = chips * len(x) * model.macs / seconds
        rows.append({"fidelity": name, "chips": chips, "inputs_per_chip": len(x), "seconds": seconds,
                     "simulated_macs_per_s": simulated, "fraction_of_gemm": simulated / gemm})
    sampling = best_time(lambda: engine.sample_chips(base, plan, engine.chip_seeds(0, args.chips), True), 1)
    cells = args.chips * plan.n_arrays * base.rows * base.cols
    result = {"machine": platform.processor() or platform.machine(), "gemm_f32_macs_per_s": gemm,
              "levels": rows, "cells_sampled_per_s": cells / sampling}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"float32 GEMM (1024^3): {gemm / 1e9:.2f} GMAC/s; {len(x)} inputs per chip")
    print(f"cell sampling: {cells / sampling / 1e6:.1f} M cells/s")
    for r in rows:
        print(f"{r['fidelity']:<42} {r['chips']:4d} chips {r['seconds']:7.3f} s "
              f"{r['simulated_macs_per_s'] / 1e9:7.3f} GMAC/s = {100 * r['fraction_of_gemm']:5.1f} % of GEMM")


if __name__ == "__main__":
    main()
