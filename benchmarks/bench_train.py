"""Training epoch time: plain vs hardware-aware (`imc.nn.train(..., hardware=design)`) on this machine.

Run: ``python benchmarks/bench_train.py [--epochs 3] [--repeats 3]``. Each case trains a zoo recipe
(digits, 1437 training images, batch 64: 23 steps per epoch) for ``--epochs`` epochs and reports the
best of ``--repeats`` runs per epoch (after a warm-up run that compiles the Numba kernels): plain,
then hardware-aware with one training chip per epoch (``refresh = "epoch"``) and with a new chip
mapped from the current weights every 6 steps and every step (``refresh = 6``, ``1``), each with
its ratio to the plain epoch. Times are CPU seconds of this process with one BLAS thread
(`time.process_time`), which other jobs on a shared machine disturb far less than wall time.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from threadpoolctl import threadpool_limits

from imc.config import load_config
from imc.nn import zoo
from imc.nn.data import load_digits
from imc.nn.hardware import HardwareTraining
from imc.nn.train import train

CASES = {  # (zoo model, design fields)
    "BNN, SRAM 6T, A_VT 9 mV um": ("bnn_mlp_digits", {"array": {"device": {"a_vt_v_m": 9.0e-9}}}),
    "ternary, SRAM 6T, calibrated ADCs": ("ternary_mlp_digits", {"mapping": {"adc_range": "calibrated"}}),
    "ternary, RRAM 1T1R, 1 year": ("ternary_mlp_digits", {"array": {"kind": "resistive", "device": {"kind": "rram"}},
                                                          "mapping": {"adc_range": "calibrated"},
                                                          "conditions": {"time_s": 3.15e7}}),
}


def epoch_seconds(name: str, epochs: int, repeats: int, hardware=None) -> float:
    """Best CPU time (s) per epoch of training zoo recipe ``name`` for ``epochs`` epochs."""
    data = load_digits()

    def run():
        model, recipe = zoo.build(name)
        train(model, data.x_train, data.y_train, dataclasses.replace(recipe.train, epochs=epochs),
              progress=False, hardware=hardware)

    run()  # warm-up: Numba kernels compile or load from their cache
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    refreshes = ("epoch", 6, 1)
    threadpool_limits(1, user_api="blas")
    print(f"{'case':<36} {'plain CPU s':>11}" + "".join(f" {f'refresh {r} CPU s':>16} {'ratio':>6}" for r in refreshes))
    for label, (name, fields) in CASES.items():
        design = load_config({"model": name, **fields})
        plain = epoch_seconds(name, args.epochs, args.repeats)
        hardware = [epoch_seconds(name, args.epochs, args.repeats, HardwareTraining(design, r)) for r in refreshes]
        print(f"{label:<36} {plain:>11.3f}" + "".join(f" {t:>16.3f} {t / plain:>6.1f}" for t in hardware))


if __name__ == "__main__":
    main()
