"""Training and inference time of every zoo model on this machine.

Run: ``python benchmarks/bench_zoo.py [--skip-training]``. Training runs each recipe in full
(into a temporary file, the shipped models are untouched); inference times the float model and
its integer export on the digits test split (360 images), best of 3.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from timing import best_time

from imc.nn import zoo
from imc.nn.data import load_digits
from imc.nn.io import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    data = load_digits()
    print(f"{'model':<22} {'bits':<13} {'params':>8} {'accuracy':>9} {'train s':>8} "
          f"{'float infer ms':>15} {'integer infer ms':>17}")
    for name, recipe in zoo.RECIPES.items():
        model, meta = load_model(zoo.path_of(name))
        exported = model.export(name)
        t_float = best_time(lambda: model.predict(data.x_test))
        t_int = best_time(lambda: exported.predict(data.x_test))
        t_train = float("nan")
        if not args.skip_training:
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                zoo.retrain(name, Path(tmp) / "m.npz", progress=False)
                t_train = time.perf_counter() - start
        print(f"{name:<22} {recipe.bits:<13} {meta['info']['parameters']:>8} "
              f"{100 * meta['info']['test_accuracy']:>8.2f}% {t_train:>8.1f} {1e3 * t_float:>15.1f} "
              f"{1e3 * t_int:>17.1f}")


if __name__ == "__main__":
    main()
