"""Speed of the functional engine: simulated MACs/s against this machine's float32 GEMM rate.

Run: ``python benchmarks/bench_functional.py [--chips 20] [--batch 10000] [--repeats 2] [--json] [--inputs pulse_width]
[--technology sram resistive ...]``. The built-in binarized MLP runs the digits test images
repeated to ``--batch`` inputs per chip (10,000 = the size of the MNIST and CIFAR test sets;
``--batch 0`` runs the 360 digits images once, where programming each chip dominates) through
``imc.engine`` -- the path of ``imc simulate`` -- on every technology. Fidelity levels, each
adding to the one before within a technology:

* sram (256 x 128 6T arrays, XNOR encoding): ideal (one nominal chip, 8-bit ideal ADCs); static
  variation (Pelgrom mismatch of every cell, bit-line discharge); + ADC offset (sigma 0.5 LSB)
  and gain (sigma 1 %); + ADC INL (0.5 LSB bow) and DNL (0.2 LSB, threshold tables); and, instead
  of ADCs, 1-bit latches with offset on the sign layers;
* resistive (128 x 128 1T1R RRAM crossbars, 8-bit ADCs): ideal; static variation (write-verify,
  D2D, stuck-at faults) with noiseless reads; + read noise per read; + ADC offset and gain;
  skyrmion MTJ cells with write errors and shot noise per read; static variation on Ohmic cells
  (linear I-V: amplitude inputs then need no level decomposition); static variation with IR drop
  (the wires' transfer matrix solved per tile and chip; not with pulse-width inputs);
* dram (512 x 8192 Ambit subarrays): ideal; static variation (cell capacitance, SA offsets)
  through the per-chip XNOR tables (no read noise: every noisy XNOR runs the device model).

Simulated MACs = chips x inputs x network MACs per inference (logical binary MACs; the XNOR
encoding stores two cells per weight). The GEMM reference is a square float32 ``numpy.matmul``
of the same machine in the same run, counted as n^3 MACs: measured before the first level and after
every level, the fastest of these the reference (this virtual machine's GEMM rate varies by up to 2x
from minute to minute).
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np
from timing import best_time

from imc import engine, load_config
from imc.mapping import map_layers
from imc.mapping.calibration import set_adc_range
from imc.mapping.slicing import INPUT_SCHEMES
from imc.nn import zoo
from imc.nn.data import load_digits


def gemm_macs_per_s(n: int = 1024, repeats: int = 5) -> float:
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    return n ** 3 / best_time(lambda: a @ b, repeats)


NOISELESS = {"read_noise": False}
OFFSET_GAIN = {"sigma_offset_lsb": 0.5, "sigma_gain_rel": 0.01}
LEVELS = {  # technology -> (fidelity level, design, variation)
    "sram": [
        ("ideal (1 nominal chip)", {}, False),
        ("static variation + bit-line + ideal ADC", {}, True),
        ("+ ADC offset and gain", {"array": {"adc": OFFSET_GAIN}}, True),
        ("+ ADC INL/DNL", {"array": {"adc": {**OFFSET_GAIN, "inl_lsb": 0.5, "sigma_dnl_lsb": 0.2}}}, True),
        ("latch sense amps on sign layers", {"array": {"sensing": "sense_amp"}}, True),
    ],
    "resistive": [
        ("RRAM ideal (1 nominal chip)", {"array": {"kind": "resistive"}}, False),
        ("RRAM static variation + faults", {"array": {"kind": "resistive"}, "conditions": NOISELESS}, True),
        ("RRAM + read noise per read", {"array": {"kind": "resistive"}}, True),
        ("RRAM + ADC offset and gain", {"array": {"kind": "resistive", "adc": OFFSET_GAIN}}, True),
        ("RRAM static, Ohmic cells (linear I-V)", {"array": {"kind": "resistive", "ohmic": True,
                                                             "device": {"level_spacing": "conductance"}},
                                                   "conditions": NOISELESS}, True),
        ("RRAM static + IR drop (128 x 128 wires)", {"array": {"kind": "resistive"},
                                                     "conditions": {**NOISELESS, "ir_drop": True}}, True),
        ("skyrmion static + shot noise per read", {"array": {"kind": "resistive", "device": {"kind": "skyrmion"}}},
         True),
    ],
    "dram": [
        ("ideal (1 nominal chip)", {"array": {"kind": "dram"}, "conditions": NOISELESS}, False),
        ("static variation (XNOR tables)", {"array": {"kind": "dram"}, "conditions": NOISELESS}, True),
    ],
}


def with_drivers(design: dict, technology: str, inputs: str) -> dict:
    """The design with the word-line drivers ``inputs`` needs (none for bit-serial inputs)."""
    if inputs == "bit_serial" or technology == "dram":
        return design
    drivers = {"input_bits": 4} if technology == "sram" else {"input_scheme": inputs, "input_bits": 8}
    return {**design, "array": {**design.get("array", {}), **drivers}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=10_000,
                        help="inputs per chip: the digits test set (360) repeated to this many (0: 360 once)")
    parser.add_argument("--technology", nargs="+", default=sorted(LEVELS), choices=sorted(LEVELS))
    parser.add_argument("--model", default="bnn_mlp_digits", help="zoo model (multi-bit and CNN models: sram and "
                        "resistive technologies; ADC ranges calibrated)")
    parser.add_argument("--inputs", default="bit_serial", choices=INPUT_SCHEMES,
                        help="how multi-bit inputs reach the word lines (mapping.inputs): amplitude runs on SRAM "
                             "with 4-bit word-line DACs and RRAM (Ohmic cells for an exact nominal chip are not "
                             "forced), pulse width on resistive arrays with 8-bit pulse counters")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    model, _ = zoo.load(args.model)
    mapping = {} if args.model == "bnn_mlp_digits" else {"mapping": {"adc_range": "calibrated", "inputs": args.inputs}}
    data = load_digits()
    x, labels = model.encode(data.x_test), data.y_test
    if args.batch:
        repeats = -(-args.batch // len(x))
        x, labels = np.tile(x, (repeats, 1, 1, 1))[:args.batch], np.tile(labels, repeats)[:args.batch]
    gemm = gemm_macs_per_s()  # re-measured after every level: the fastest of them is the reference
    rows = []
    for technology in args.technology:
        for name, design, variation in LEVELS[technology]:
            if args.inputs == "pulse_width" and design.get("conditions", {}).get("ir_drop"):
                continue  # pulse widths are simulated with ideal wires only (the IR drop changes as pulses end)
            config = load_config({**with_drivers(design, technology, args.inputs), **mapping})
            array, chips = config.chip_array, args.chips if variation else 1
            plan = set_adc_range(map_layers(model.ops, array.geometry(), config.mapping.encoding,
                                            inputs=config.mapping.inputs),
                                 config.mapping.adc_range, model.encode(data.x_train[:256]))
            seconds = best_time(lambda: engine.chip_accuracies(plan, array, x, labels, 0, chips, variation,
                                                               config.conditions), args.repeats)
            rows.append({"technology": technology, "fidelity": name, "chips": chips, "inputs_per_chip": len(x),
                         "seconds": seconds, "simulated_macs_per_s": chips * len(x) * model.macs / seconds})
            gemm = max(gemm, gemm_macs_per_s())
    for row in rows:
        row["fraction_of_gemm"] = row["simulated_macs_per_s"] / gemm
    result = {"machine": platform.processor() or platform.machine(), "gemm_f32_macs_per_s": gemm, "levels": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"float32 GEMM (1024^3): {gemm / 1e9:.2f} GMAC/s; {args.model}, {len(x)} inputs per chip")
    for r in rows:
        print(f"{r['technology']:<10} {r['fidelity']:<42} {r['chips']:4d} chips {r['seconds']:7.3f} s "
              f"{r['simulated_macs_per_s'] / 1e9:7.3f} GMAC/s = {100 * r['fraction_of_gemm']:5.1f} % of GEMM")


if __name__ == "__main__":
    main()
