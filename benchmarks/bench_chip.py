"""Speed of the SimPy chip engine: events per second and the wall time of a 1,000-inference stream.

Run: ``python benchmarks/bench_chip.py [--inferences 1000] [--model NAME ...] [--technology sram ...]
[--json]``. Without ``--model`` every zoo model that maps onto the technology's default arrays
runs, largest (MACs per inference) first; the default chip (`imc.chip.ChipConfig`) takes a
back-to-back stream of ``--inferences`` inputs, the op costs averaged over the digits test images.
``events``: SimPy events processed; ``simulate s``: the event loop alone; ``run_chip s``: the whole
call (op costs from the sample inputs, building the chip, the event loop, the result tables).
Targets on this 2-core machine: >= 1e5 events/s and under 10 s for the largest model's stream.
"""

from __future__ import annotations

import argparse
import json
import time

from imc.arrays import ARRAYS
from imc.mapping import map_layers

from imc.chip import ChipConfig, run_chip
from imc.errors import MappingError, ParameterError
from imc.nn import zoo
from imc.nn.data import load_digits


def mapped_models(names: list[str], array) -> list[tuple[str, object, object]]:
    """(name, model, plan) of the models that map onto ``array``, most MACs first."""
    found = []
    for name in names:
        model, _ = zoo.load(name)
        try:
            found.append((name, model, map_layers(model.ops, array.geometry(), "xnor")))
        except (MappingError, ParameterError):
            continue
    return sorted(found, key=lambda entry: -entry[1].macs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inferences", type=int, default=1000)
    parser.add_argument("--model", nargs="+", default=list(zoo.RECIPES.keys()))
    parser.add_argument("--technology", nargs="+", default=["sram"], choices=sorted(ARRAYS.keys()))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    images = load_digits().x_test
    rows = []
    for technology in args.technology:
        array = ARRAYS.get(technology)()
        for name, model, plan in mapped_models(args.model, array):
            started = time.perf_counter()
            result = run_chip(plan, array, model.encode(images), ChipConfig(), args.inferences)
            total = time.perf_counter() - started
            rows.append({"technology": technology, "model": name, "macs": model.macs, "tiles": plan.n_arrays,
                         "inferences": args.inferences, "events": result.events, "simulate_s": result.wall_s,
                         "run_chip_s": total, "events_per_s": result.events / result.wall_s,
                         "throughput_inf_per_s": result.throughput_inf_per_s})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'technology':<10} {'model':<20} {'MACs':>7} {'tiles':>5} {'events':>9} {'simulate s':>10} "
          f"{'run_chip s':>10} {'events/s':>9} {'chip inf/s':>10}")
    for r in rows:
        print(f"{r['technology']:<10} {r['model']:<20} {r['macs']:7d} {r['tiles']:5d} {r['events']:9d} "
              f"{r['simulate_s']:10.2f} {r['run_chip_s']:10.2f} {r['events_per_s']:9.3g} {r['throughput_inf_per_s']:10.3g}")


if __name__ == "__main__":
    main()
