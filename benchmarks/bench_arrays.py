"""Simulated MACs/s of one resistive array per fidelity level, against this machine's float32 GEMM.

Run: ``python benchmarks/bench_arrays.py [--rows 256] [--cols 256] [--batch 1024] [--bits 4]``.
Levels, each adding to the one before: ideal (no variation, Ohmic cells, 16-bit ADC); static
variation (device-to-device + write-verify + stuck cells); + read noise; + ADC non-idealities
(8 bits, offset, gain, INL, DNL); + IR drop (65 nm passive-array wires; the fast solver gives
the transfer matrix once per call, then every cycle is a GEMM).
Simulated MACs = batch x rows x cols (one k-bit input times one multi-level weight each); the
GEMM reference is a float32 (batch x rows) @ (rows x cols) product of the same size, timed in
the same run. A bit-serial array evaluates k cycles per input, so its ceiling is the GEMM rate
/ k (one such GEMM per cycle); each level prints its rate as % of the GEMM and of that ceiling.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from timing import best_time

from imc.arrays import ColumnADC, CrossbarWires, ResistiveArray, array_cycles
from imc.devices import RRAM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--cols", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--bits", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    device = RRAM(r_access_ohm=0.0, level_spacing="conductance")
    states = rng.integers(0, device.levels, (args.rows, args.cols))
    x = rng.integers(0, 2 ** args.bits, (args.batch, args.rows))
    a = rng.random((args.batch, args.rows), dtype=np.float32)
    b = rng.random((args.rows, args.cols), dtype=np.float32)
    gemm = args.batch * args.rows * args.cols / best_time(lambda: a @ b, 20)
    macs = args.batch * args.rows * args.cols
    noisy_adc = ColumnADC(bits=8, sigma_offset_lsb=0.5, sigma_gain_rel=0.01, inl_lsb=0.5, sigma_dnl_lsb=0.2)
    base = ResistiveArray(rows=args.rows, cols=args.cols, input_bits=args.bits, ohmic=True, device=device,
                          adc=ColumnADC(bits=16))
    levels = [
        ("ideal", base, False, False),
        ("static variation", base, True, False),
        ("+ read noise", base, True, True),
        ("+ ADC non-idealities (8 bits)", dataclasses.replace(base, adc=noisy_adc), True, True),
        ("+ IR drop", dataclasses.replace(base, adc=noisy_adc, wires=CrossbarWires.passive_65nm()), True, True),
    ]
    cycles = array_cycles(base.input_scheme, args.bits)
    ceiling = gemm / cycles
    print(f"float32 GEMM ({args.batch}x{args.rows} @ {args.rows}x{args.cols}): {gemm / 1e9:.2f} GMAC/s; "
          f"{base.input_scheme}, {cycles} cycles: ceiling GEMM / cycles = {ceiling / 1e9:.2f} GMAC/s")
    print(f"{'level':<32} {'ms':>8} {'GMAC/s':>8} {'% GEMM':>7} {'% ceiling':>9}  mean relative error")
    for name, array, variation, noise in levels:
        chip = array.sample_instance(states, np.random.default_rng(1), variation=variation)
        read_rng = np.random.default_rng(2) if noise else None
        seconds = best_time(lambda: array.matvec(chip, x, read_rng), 5)
        error = np.abs(array.matvec(chip, x, read_rng) - x @ states).mean() / (x @ states).mean()
        rate = macs / seconds
        print(f"{name:<32} {seconds * 1e3:8.1f} {rate / 1e9:8.3f} {100 * rate / gemm:7.1f} {100 * rate / ceiling:9.1f}"
              f"  {error:.2e}")


if __name__ == "__main__":
    main()
