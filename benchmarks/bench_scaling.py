"""How the functional engine's time grows with chips, batch and network width.

Run: ``python benchmarks/bench_scaling.py [--json] [--max-chips 1000]``.

Three scans through `imc.engine.chip_accuracies` (the path of ``imc simulate``), each with the other
two dimensions fixed: chips 1 -> ``--max-chips`` (the built-in BNN on the default SRAM design, the
360 digits test images per chip, static variation), inputs per chip 100 -> 10,000 (one chip; the
digits images repeated) and the hidden width of a random binarized 784-w-w-10 MLP (one chip, 2,000
inputs). Each row gives the time and the time per unit (per chip, per input, per MAC): a constant per
unit is linear growth; the fixed costs (programming a chip, compiling nothing: kernels are warmed up
first) show as the per-unit time falling at small sizes.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from timing import best_time

from imc import engine, load_config
from imc.mapping import LayerSpec, map_layers
from imc.nn import zoo
from imc.nn.data import load_digits


def timed(plan, array, x, labels, chips: int, conditions) -> float:
    return best_time(lambda: engine.chip_accuracies(plan, array, x, labels, 0, chips, True, conditions), 1)


def random_bnn(width: int, rng: np.random.Generator) -> list[LayerSpec]:
    """A binarized 784-width-width-10 MLP with random signs, sign activations and an affine classifier."""
    sizes = (784, width, width, 10)
    layers = []
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.choice(np.array([-1, 1], np.int8), (n_in, n_out))
        last = index == len(sizes) - 2
        layers.append(LayerSpec(f"fc{index}", w, thresholds=None if last else np.zeros(n_out, np.int64),
                                scale=np.ones(n_out) if last else None, offset=np.zeros(n_out) if last else None))
    return layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chips", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = load_config(None)
    array, conditions = config.chip_array, config.conditions
    model, _ = zoo.load(config.model)
    data = load_digits()
    x, labels = model.encode(data.x_test), data.y_test
    plan = map_layers(model.ops, array.geometry(), config.mapping.encoding)
    rows = []
    chips = 1
    while chips <= args.max_chips:
        seconds = timed(plan, array, x, labels, chips, conditions)
        rows.append({"scan": "chips", "size": chips, "seconds": seconds, "per_unit_s": seconds / chips})
        chips *= 10
    for batch in (100, 1000, 10_000):
        repeats = -(-batch // len(x))
        xb, lb = np.tile(x, (repeats, 1, 1, 1))[:batch], np.tile(labels, repeats)[:batch]
        seconds = timed(plan, array, xb, lb, 1, conditions)
        rows.append({"scan": "inputs per chip", "size": batch, "seconds": seconds, "per_unit_s": seconds / batch})
    rng = np.random.default_rng(0)
    signs = np.where(rng.random((2000, 784)) > 0.5, 1, -1).astype(np.int8)
    for width in (128, 256, 512, 1024, 2048):
        layers = random_bnn(width, rng)
        wide = map_layers(layers, array.geometry(), config.mapping.encoding)
        macs = sum(layer.macs for layer in layers) * len(signs)
        seconds = timed(wide, array, signs, np.zeros(len(signs), np.int64), 1, conditions)
        rows.append({"scan": "hidden width", "size": width, "seconds": seconds, "per_unit_s": seconds / macs})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    units = {"chips": "s per chip", "inputs per chip": "s per input", "hidden width": "s per MAC"}
    for row in rows:
        print(f"{row['scan']:<16} {row['size']:>6} {row['seconds']:9.3f} s  "
              f"{row['per_unit_s']:.3e} {units[row['scan']]}")


if __name__ == "__main__":
    main()
