"""The ``imc`` command line: simulate, sweep, train, presets, devices.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (config, arguments, files, output paths,
all checked before any work starts), 130 interrupted by Ctrl-C or SIGTERM (a sweep keeps its
finished points). Warnings (e.g. a config field without effect in the design) go to stderr as
``imc: warning: ...``; progress goes to stderr too, as a bar on a terminal and as a line every few
seconds elsewhere (``-q``: none).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from imc.arrays import ARRAYS
from imc.chip import DeadlockError
from imc.devices import DEVICES, describe
from imc.errors import MappingError, ParameterError, require
from imc.nn.io import ModelFileError

BAD_INPUT = 2
INTERRUPTED = 130
BAD_INPUT_ERRORS = (ParameterError, MappingError, ModelFileError, DeadlockError)


def _simulate(args) -> int:
    from imc.api import simulate
    from imc.config import load_config

    if args.out:
        writable_dir("--out", args.out)
    config = load_config(args.config, preset=args.preset)
    changes = {k: v for k, v in (("chips", args.chips), ("seed", args.seed), ("inferences", args.inferences))
               if v is not None}
    if args.no_variation:
        changes["variation"] = False
    if changes:
        config = config.replace(**changes)
    report = simulate(config, progress=not args.quiet, workers=args.workers)
    if args.out:
        paths = report.save(args.out)
        if not args.json:
            print(f"wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    print(report.to_json() if args.json else report.format_table())
    return 0


def writable_dir(option: str, path: Path) -> Path:
    """Output folder ``path`` of ``option``, created now (before any work) and writable, else a
    `ParameterError` saying why (an existing file, a device such as /dev/null, a path under a file,
    no permission)."""
    require(option, str(path), not path.exists() or path.is_dir(), "exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(option, str(path), f"must be a folder imc can create ({exc.strerror})") from exc
    require(option, str(path), os.access(path, os.W_OK | os.X_OK), "must be a writable folder (no permission)")
    return path


def writable_file(option: str, path: Path) -> Path:
    """Output file ``path`` of ``option``: a regular file (or none yet) in a folder created now and
    writable, else a `ParameterError` saying why."""
    require(option, str(path), not path.exists() or path.is_file(), "must be a file path, not a folder or device")
    writable_dir(option, path.parent)
    require(option, str(path), not path.exists() or os.access(path, os.W_OK), "must be writable (no permission)")
    return path


def _stop(signum, frame):
    raise KeyboardInterrupt


def _sweep(args) -> int:
    from imc.sweeps import format_table, load_sweep, sweep

    writable_dir("--out", args.out)
    spec = load_sweep(args.grid)
    try:
        frame = sweep(spec.base, spec.grid, chips=spec.chips if args.chips is None else args.chips,
                      seed=spec.seed if args.seed is None else args.seed, out=args.out, workers=args.workers,
                      executor="dask" if args.scheduler else args.executor, scheduler=args.scheduler,
                      adaptive=spec.adaptive, yield_target=spec.yield_target,
                      progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"imc: interrupted: finished points are kept in {args.out}; rerun the same command to resume",
              file=sys.stderr)
        return INTERRUPTED
    print(format_table(frame))
    print(f"wrote {args.out / 'results.parquet'}", file=sys.stderr)
    return 0


def _train(args) -> int:
    from imc.nn import zoo

    zoo.RECIPES.get(args.model, "model")
    out = writable_file("--out", args.out or Path(f"{args.model}.npz"))
    require("--refresh", args.refresh, args.refresh is None or args.hardware is not None, "only with --hardware")
    options = {}  # retrain's keywords beyond the plain recipe
    if args.hardware:
        from imc.config import load_config
        from imc.nn.hardware import HardwareTraining
        refresh = args.refresh or "epoch"
        refresh = int(refresh) if refresh.isdigit() else refresh
        options["hardware"] = HardwareTraining(load_config(args.hardware), refresh)
    path, accuracy = zoo.retrain(args.model, out, progress=not args.quiet, **options)
    trained_for = f" for {args.hardware}" if args.hardware else ""
    print(f"{args.model}{trained_for}: software test accuracy {100 * accuracy:.2f} %, saved to {path}")
    return 0


def _presets(args) -> int:
    from imc import presets

    if args.validate:
        from imc.presets.validate import format_validation, markdown_table, validate

        names = [args.name] if args.name else None
        for name in names or ():
            presets.get(name)
        frame = validate(names, chips=args.chips, inferences=args.inferences, workers=args.workers,
                         progress=not args.quiet)
        print(markdown_table(frame) if args.markdown else format_validation(frame))
    elif args.name:
        print(presets.describe(presets.get(args.name)))
    else:
        for preset in presets.PRESETS.values():
            print(f"{preset.name:<20} {preset.authors.split(',')[0]} et al., {preset.venue} {preset.year}: "
                  f"{preset.technology}")
        print("\nimc presets NAME: its source, assumptions and published numbers; imc simulate --preset NAME: "
              "run it; imc presets --validate: imc beside every published number")
    return 0


def _devices(args) -> int:
    for key, cls in DEVICES.items():
        print(f"{key}: {cls.__doc__.strip().splitlines()[0]}")
        for name, value in describe(cls()).items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            print(f"  {name:<22} {shown}")
    print("\narray kinds ([array] kind = ...; [array.device] kind = one of its cells):")
    for key, cls in ARRAYS.items():
        print(f"  {key}: cells {', '.join(cls.cell_kinds)} -- {cls.__doc__.strip().splitlines()[0]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imc", description="Simulate in-memory-computing hardware "
                                     "for quantized neural networks.")
    parser.add_argument("--version", action="version", version=f"imc {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    sim = commands.add_parser("simulate", help="simulate a design (default: the built-in design)",
                              description="Run the functional engine over Monte-Carlo chip instances "
                              "and the closed-form cost model; print a summary table.")
    sim.add_argument("config", nargs="?", type=Path, help="TOML configuration file (default: built-in design)")
    sim.add_argument("--preset", help="start from a published design (imc presets lists them); CONFIG, if given, "
                     "overrides its fields")
    sim.add_argument("--chips", type=int, help="number of Monte-Carlo chip instances (overrides the config)")
    sim.add_argument("--seed", type=int, help="root random seed (overrides the config)")
    sim.add_argument("--inferences", type=int,
                     help="inferences streamed through the SimPy chip engine (default 1000; 0: skip it)")
    sim.add_argument("--no-variation", action="store_true", help="nominal chips: no process variation")
    sim.add_argument("--out", type=Path, help="directory for report.json, CSV tables and plots")
    sim.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    sim.add_argument("-j", "--workers", type=int,
                     help="threads simulating chips (default: one per CPU; results do not depend on it)")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(run=_simulate)

    sweep = commands.add_parser("sweep", help="simulate a grid of design points, resumably",
                                description="Simulate every design point of a sweep file (a base design and a "
                                "grid of dotted config paths) over Monte-Carlo chips; finished points are stored "
                                "in OUT, so rerunning the command resumes; print a summary table.")
    sweep.add_argument("grid", type=Path, help="sweep file (TOML: base, grid / points / sample, adaptive)")
    sweep.add_argument("--out", type=Path, required=True, help="store directory (resumable; results.parquet)")
    sweep.add_argument("--chips", type=int, help="Monte-Carlo chips per point (overrides the sweep file)")
    sweep.add_argument("--seed", type=int, help="root random seed shared by every point (overrides the sweep file)")
    sweep.add_argument("-j", "--workers", type=int,
                       help="threads or processes (default: one per CPU; results do not depend on it)")
    sweep.add_argument("--executor", choices=["threads", "processes", "dask"], default="threads",
                       help="where chips run (default: threads; dask without --scheduler: a local cluster)")
    sweep.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://host:8786 (implies dask)")
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sweep.set_defaults(run=_sweep)

    train = commands.add_parser("train", help="retrain a zoo model from its recipe, optionally for a design",
                                description="Retrain a zoo model reproducibly (fixed seed and split), for "
                                "software or, with --hardware, for the chips of a design.")
    train.add_argument("model", help="zoo model name, e.g. bnn_mlp_digits")
    train.add_argument("--out", type=Path, help="output .npz (default: MODEL.npz in the current folder; "
                       "the installed zoo file changes only when --out names it)")
    train.add_argument("--hardware", type=Path, help="design TOML to train for: every training forward pass "
                       "carries the errors of that design's chips (seeds disjoint from imc simulate's)")
    train.add_argument("--refresh", metavar="epoch|N",
                       help="with --hardware: a training chip per epoch (default; the epoch's starting weights on "
                       "it) or a new one mapped from the current weights every N steps (1: exact; slower, stronger)")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    pre = commands.add_parser("presets", help="list the published designs, or validate imc against them",
                              description="List the presets (published chips as design files), show one, or "
                              "simulate each beside its published numbers (--validate).")
    pre.add_argument("name", nargs="?", help="a preset: show its source, assumptions and published numbers")
    pre.add_argument("--validate", action="store_true",
                     help="simulate every preset (or NAME) and print published vs imc, ratio and tolerance")
    pre.add_argument("--markdown", action="store_true", help="with --validate: the table as Markdown (the README's)")
    pre.add_argument("--chips", type=int, help="Monte-Carlo chips per preset (default: each preset's budget)")
    pre.add_argument("--inferences", type=int, help="inferences through the chip engine (default: each preset's)")
    pre.add_argument("-j", "--workers", type=int, help="threads simulating chips (results do not depend on it)")
    pre.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pre.set_defaults(run=_presets)

    devices = commands.add_parser("devices", help="list device models, their default parameters, and the array kinds")
    devices.set_defaults(run=_devices)
    return parser


def _version() -> str:
    try:
        return version("imc")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"imc: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _stop)  # SIGTERM stops like Ctrl-C
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except BAD_INPUT_ERRORS as exc:
        print(f"imc: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stdout = open(os.devnull, "w")
        return 0
    except OSError as exc:  # e.g. the disk filled up while writing the outputs
        print(f"imc: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        print(f"imc: {str(exc) or 'interrupted'}", file=sys.stderr)
        return INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
