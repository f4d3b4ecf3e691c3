"""Cost of a sweep: its overhead per point against the point's own simulation, and the speed-up of
2 worker processes over 1.

Run: ``python benchmarks/bench_sweep.py [--chips 20] [--points 6] [--json]``. The built-in design
with ``--points`` ADC resolutions (3.. bits), ``--chips`` chips each:

* overhead: the sweep into a fresh store on one thread (config checks, chip ranges, Parquet
  writes, the table) against ``imc.simulate`` of the same points on one thread, and against the
  simulation time the sweep itself records per point (``runtime_s``);
* speed-up: the same sweep with ``executor="processes"`` and 1, then 2 workers, each into a fresh
  store, after one warm-up sweep that starts the process server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import imc


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=20)
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    grid = {"array.adc.bits": list(range(3, 3 + args.points))}
    imc.sweep(None, {"array.adc.bits": [8]}, chips=2, workers=1)  # warm: imports, Numba cache
    simulate_s, _ = timed(lambda: [imc.simulate({"chips": args.chips, "array": {"adc": {"bits": b}}}, workers=1)
                                   for b in grid["array.adc.bits"]])
    with tempfile.TemporaryDirectory() as tmp:
        sweep_s, frame = timed(lambda: imc.sweep(None, grid, chips=args.chips, workers=1, out=os.path.join(tmp, "t")))
        resume_s, _ = timed(lambda: imc.sweep(None, grid, chips=args.chips, workers=1, out=os.path.join(tmp, "t")))
        imc.sweep(None, {"array.adc.bits": [8]}, chips=2, executor="processes", workers=2)  # start the process server
        process_s = {w: timed(lambda: imc.sweep(None, grid, chips=args.chips, executor="processes", workers=w,
                                                out=os.path.join(tmp, f"p{w}")))[0] for w in (1, 2)}
    recorded_s = float(frame["runtime_s"].sum())
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "points": args.points, "chips": args.chips,
        "simulate_s_per_point": simulate_s / args.points,
        "sweep_s_per_point": sweep_s / args.points,
        "overhead_vs_simulate_pct": 100 * (sweep_s - simulate_s) / simulate_s,
        "overhead_vs_recorded_pct": 100 * (sweep_s - recorded_s) / recorded_s,
        "resume_s": resume_s,
        "processes_1_s": process_s[1], "processes_2_s": process_s[2],
        "speedup_2_over_1": process_s[1] / process_s[2],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['machine']}: {args.points} points x {args.chips} chips")
    print(f"  simulate, one thread      {result['simulate_s_per_point']:.3f} s/point")
    print(f"  sweep, one thread         {result['sweep_s_per_point']:.3f} s/point: overhead "
          f"{result['overhead_vs_simulate_pct']:+.1f} % vs simulate, "
          f"{result['overhead_vs_recorded_pct']:+.1f} % vs its recorded simulation time")
    print(f"  resume (nothing to do)    {resume_s:.3f} s")
    print(f"  processes: 1 worker {process_s[1]:.2f} s, 2 workers {process_s[2]:.2f} s: "
          f"speed-up {result['speedup_2_over_1']:.2f}x")


if __name__ == "__main__":
    main()
