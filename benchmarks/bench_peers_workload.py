"""The peers' Monte-Carlo workload through imc's public API, against float32 GEMM in the same run.

Run: ``python benchmarks/bench_peers_workload.py [--batch 10000] [--chips 4] [--weights ...] [--cell-levels ...]
[--json]``.

The workload (issue 15, the one CrossSim and aihwkit were measured on): a 784-512-512-10 MLP with
weights U(-1, 1) and inputs U(0, 1) (seeded), ReLU between layers, a batch of 10,000 inputs and a
relative Gaussian weight variation of 0.1 redrawn for every Monte-Carlo instance (chip), its drawing
included in the time. Rows:

* NumPy by hand: W (1 + 0.1 N) then the three float32 GEMMs; the same with 8-bit inputs, weights and
  outputs (uniform DAC and ADC quantisers);
* imc, RRAM: 8-bit signed weights (each ``--weights`` encoding) sliced by the mapper over the Ohmic 1T1R cells
  of 128 x 128 crossbars, for each of ``--cell-levels``: 16 levels (4 bits, two slices of an 8-bit weight, the
  default cell) and 128 (7 bits: one cell per weight part, unsliced -- CrossSim's default core, a balanced
  one-sided pair subtracted in the crossbar; levels that fine need a +-0.2 % verify band, the narrower
  acceptance range of aihwkit's ``ReRamCMONoiseModel``, and have been shown on chip: 2,048 levels in Rao et
  al., "Thousands of conductance levels in memristors integrated on CMOS", Nature 615, 823, 2023), 8-bit
  inputs (``--inputs``: pulse widths, word-line amplitudes or bit-serial planes), 8-bit activations (ReLU
  then a uniform 8-bit quantiser folded into 255 thresholds), 8-bit column ADCs with calibrated ranges;
  each cell's conductance G (1 + 0.1 N) on its first (open-loop) programming pulse (no write-verify, no
  stuck cells, drift or read noise);
* imc, SRAM: the network binarized (sign weights, inputs above 1/2, sign activations) on 256 x 128 6T
  arrays with XNOR encoding, 8-bit ADCs, Pelgrom mismatch of every cell (the default static variation).

imc runs through `imc.engine.chip_accuracies` (the path of ``imc simulate``: chips programmed and run
in threads, BLAS single-threaded per thread); the accuracy it reports is the agreement of each chip's
classes with the float network's (the binarized software network's on SRAM). Simulated MACs = chips x
batch x 668,672 logical MACs; the GEMM rate is that of the three float32 layer GEMMs of the batch,
measured in the same run: before the first row and after every imc row, the fastest of these the
reference (this virtual machine's GEMM rate moves by up to 1.5x within minutes). The logits' relative deviation ||y - y_ref|| / ||y_ref|| (on 1,000 inputs, the
mean over the timed chips and its range; y_ref the float network, or on SRAM the binarized software
network) shows that the variation was applied; a nominal chip's (quantisation and ADCs only) is listed
beside it.
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np
from timing import best_time

from imc import engine, load_config
from imc.mapping import WEIGHT_ENCODINGS, LayerSpec, map_layers
from imc.mapping.calibration import set_adc_range
from imc.mapping.spec import run_layers

SIZES = (784, 512, 512, 10)
SIGMA_REL = 0.1
BITS = 8
DEVIATION_INPUTS = 1000


def workload(batch: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """The float weights (U(-1, 1)) and inputs (U(0, 1)) of the workload."""
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-1, 1, (n_in, n_out)).astype(np.float32) for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]
    return weights, rng.random((batch, SIZES[0]), dtype=np.float32)


def float_network(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Logits of the float MLP: ReLU between the layers."""
    for index, w in enumerate(weights):
        x = x @ w
        if index < len(weights) - 1:
            x = np.maximum(x, 0)
    return x


def dequantised(values: np.ndarray, full_scale: float, signed: bool) -> np.ndarray:
    """``values`` through a uniform 8-bit quantiser over [-full_scale, full_scale] (signed) or [0, full_scale]."""
    top = 2 ** (BITS - 1) - 1 if signed else 2 ** BITS - 1
    codes = np.clip(np.rint(values * (top / full_scale)), -top if signed else 0, top)
    return (codes * (full_scale / top)).astype(np.float32)


def numpy_by_hand(weights, x, rng, quantised: bool) -> np.ndarray:
    """One Monte-Carlo instance by hand: varied weights, three GEMMs; with ``quantised``, 8-bit inputs
    (DAC), weights and layer outputs (ADC) over each one's largest magnitude."""
    for index, w in enumerate(weights):
        w = w * (1 + SIGMA_REL * rng.standard_normal(w.shape, dtype=np.float32))
        if quantised:
            x = dequantised(x, float(x.max()), False) @ dequantised(w, float(np.abs(w).max()), True)
            x = dequantised(x, float(np.abs(x).max()), True)
        else:
            x = x @ w
        if index < len(weights) - 1:
            x = np.maximum(x, 0)
    return x


def integer_layers(weights: list[np.ndarray], x_calibration: np.ndarray) -> tuple[list[LayerSpec], float]:
    """The MLP as imc's integer op list: 8-bit weight codes round(127 w), 8-bit input codes round(255 x),
    each hidden layer's ReLU quantised to 8 bits with a step of its 99.9th-percentile pre-activation
    over 255 on ``x_calibration`` (255 thresholds), the classifier affine. Returns the layers and the
    factor turning the classifier's integer sums into float logits."""
    layers, codes, scale = [], np.rint(x_calibration * 255), 1 / 255
    for index, w in enumerate(weights[:-1]):
        w_codes = np.rint(w * 127).astype(np.int64)
        z = codes @ w_codes
        step = max(1.0, float(np.quantile(np.maximum(z, 0), 0.999)) / 255)
        thresholds = np.outer(np.arange(1, 256), np.full(w.shape[1], step)).round().astype(np.int64)
        layers.append(LayerSpec(f"fc{index}", w_codes, BITS, BITS, thresholds=thresholds, levels=np.arange(256)))
        codes, scale = layers[-1].output(np.rint(z).astype(np.int64)).astype(np.float64), scale * step / 127
    last = weights[-1]
    layers.append(LayerSpec(f"fc{len(weights) - 1}", np.rint(last * 127).astype(np.int64), BITS, BITS,
                            scale=np.ones(last.shape[1]), offset=np.zeros(last.shape[1])))
    return layers, scale / 127


RRAM_DEVICE = {"kind": "rram", "level_spacing": "conductance", "d2d_distribution": "gaussian",
               "sigma_d2d_rel": SIGMA_REL, "max_iterations": 1, "p_stuck_hrs": 0.0, "p_stuck_lrs": 0.0,
               "nu_mean": 0.0, "nu_sigma": 0.0}


FINE_TOLERANCE_REL = 0.002  # the verify band of cells with more levels than the default's +-2 % fits (docstring)


def rram_design(inputs: str, weights: str, levels: int) -> dict:
    drivers = {} if inputs == "bit_serial" else {"input_scheme": inputs}
    device = {**RRAM_DEVICE, "levels": levels, **({"tolerance_rel": FINE_TOLERANCE_REL} if levels > 16 else {})}
    return {"array": {"kind": "resistive", "ohmic": True, "input_bits": BITS, "adc": {"bits": BITS},
                      "device": device, **drivers},
            "conditions": {"read_noise": False},
            "mapping": {"weights": weights, "inputs": inputs, "adc_range": "calibrated"}}


def binarized_layers(weights: list[np.ndarray]) -> list[LayerSpec]:
    """The MLP binarized: sign weights, sign activations (threshold 0), an affine classifier."""
    layers = []
    for index, w in enumerate(weights):
        signs = np.where(w >= 0, 1, -1).astype(np.int8)
        last = index == len(weights) - 1
        layers.append(LayerSpec(f"fc{index}", signs, scale=np.ones(w.shape[1]) if last else None,
                                offset=np.zeros(w.shape[1]) if last else None,
                                thresholds=None if last else np.zeros(w.shape[1], np.int64)))
    return layers


def imc_row(name, layers, design, x_codes, labels, x_calibration, chips, repeats, reference, to_logits, agreement):
    """Time ``chips`` instances of ``layers`` on ``design`` through the engine (``labels``: the classes of
    the network named ``agreement``); the deviation of one chip."""
    config = load_config(design)
    array = config.chip_array
    plan = map_layers(layers, array.geometry(), config.mapping.encoding, config.mapping.weights,
                      inputs=config.mapping.inputs)
    plan = set_adc_range(plan, config.mapping.adc_range, x_calibration)
    accuracy = []
    seconds = best_time(lambda: accuracy.append(engine.chip_accuracies(plan, array, x_codes, labels, 0, chips, True,
                                                                       config.conditions)), repeats)
    few = x_codes[:DEVIATION_INPUTS]
    varied = engine.sample_chips(array, plan, engine.chip_seeds(0, chips), True, config.conditions)
    nominal = engine.sample_chips(array, plan, engine.chip_seeds(0, 1), False, config.conditions)
    deviations = [relative_deviation(to_logits(y), reference)
                  for y in engine.hardware_logits(plan, array, few, varied + nominal)]
    return {"system": "imc", "variant": name, "chips": chips, "seconds": seconds, "arrays": plan.n_arrays,
            "agreement": float(np.mean(accuracy[-1])), "agreement_with": agreement,
            "deviation": float(np.mean(deviations[:-1])), "deviation_nominal_chip": deviations[-1],
            "deviation_range": [min(deviations[:-1]), max(deviations[:-1])]}


def relative_deviation(y: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(y - reference) / np.linalg.norm(reference))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--chips", type=int, default=4, help="Monte-Carlo instances per imc row")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--inputs", nargs="+", default=["pulse_width", "bit_serial"],
                        choices=["pulse_width", "amplitude", "bit_serial"])
    parser.add_argument("--weights", nargs="+", default=["differential", "balanced"], choices=sorted(WEIGHT_ENCODINGS),
                        help="signed-weight encodings of the RRAM rows (balanced: pairs subtracted before one ADC)")
    parser.add_argument("--cell-levels", nargs="+", type=int, default=[16, 128],
                        help="conductance levels of the RRAM rows' cells (16: two 4-bit slices per weight part; "
                             "128: one 7-bit cell, unsliced)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    weights, x = workload(args.batch)
    reference = float_network(weights, x[:DEVIATION_INPUTS])
    macs = args.batch * sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:]))
    gemm_seconds = [best_time(lambda: float_network(weights, x), 3)]  # again after every imc row: the fastest counts
    rows = []
    for quantised in (False, True):
        rng = np.random.default_rng(1)
        seconds = best_time(lambda: numpy_by_hand(weights, x, rng, quantised), 3)
        y = numpy_by_hand(weights, x[:DEVIATION_INPUTS], np.random.default_rng(1), quantised)
        variant = "W (1 + 0.1 N), three GEMMs" + (" + 8-bit DAC/ADC" if quantised else "")
        rows.append({"system": "NumPy by hand", "variant": variant,
                     "chips": 1, "seconds": seconds, "deviation": relative_deviation(y, reference)})
    labels = float_network(weights, x).argmax(1)
    layers, to_float = integer_layers(weights, x[:256])
    codes = np.rint(x * 255).astype(np.int64)
    software = relative_deviation(to_float * run_layers(layers, codes[:DEVIATION_INPUTS]), reference)
    for inputs in args.inputs:
        for levels in args.cell_levels:
            for encoding in args.weights:
                rows.append(imc_row(f"RRAM 128x128, {encoding} 8-bit weights on {levels}-level cells, 8-bit {inputs} "
                                    "inputs, 8-bit calibrated ADCs", layers, rram_design(inputs, encoding, levels),
                                    codes, labels, codes[:256], args.chips, args.repeats, reference,
                                    lambda z: to_float * z, "the float network"))
                gemm_seconds.append(best_time(lambda: float_network(weights, x), 3))
    signs = np.where(x > 0.5, 1, -1).astype(np.int8)
    binary = binarized_layers(weights)
    binary_reference = run_layers(binary, signs[:DEVIATION_INPUTS]).astype(np.float64)
    sram = imc_row("binarized on SRAM 256x128 6T, XNOR, 8-bit ADCs, Pelgrom mismatch", binary,
                   {"mapping": {"encoding": "xnor"}}, signs, run_layers(binary, signs).argmax(1), None, args.chips,
                   args.repeats, binary_reference, lambda z: z, "the binarized software network")
    rows.append(sram)
    gemm_seconds.append(best_time(lambda: float_network(weights, x), 3))
    gemm_rate = macs / min(gemm_seconds)
    for row in rows:
        row["gmac_per_s"] = row["chips"] * macs / row["seconds"] / 1e9
        row["ratio_to_gemm"] = row["chips"] * macs / row["seconds"] / gemm_rate
    result = {"machine": platform.processor() or platform.machine(), "batch": args.batch,
              "gemm_f32_gmac_per_s": gemm_rate / 1e9, "software_8bit_deviation": software, "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"784-512-512-10 MLP, batch {args.batch}: float32 GEMM of its three layers {gemm_rate / 1e9:.1f} GMAC/s; "
          f"imc's 8-bit software network deviates {software:.3f} from the float one")
    for r in rows:
        extra = (f" ({r['deviation_range'][0]:.3f}-{r['deviation_range'][1]:.3f} over the chips), nominal chip "
                 f"{r['deviation_nominal_chip']:.3f}; classes agree with {r['agreement_with']} on "
                 f"{100 * r['agreement']:.1f} %; {r['arrays']} arrays" if r["system"] == "imc" else "")
        print(f"{r['system']:<14} {r['variant']:<100} {r['chips']:3d} chip(s) in {r['seconds']:7.3f} s "
              f"{r['gmac_per_s']:7.2f} GMAC/s = {r['ratio_to_gemm']:.3f} of GEMM; "
              f"deviation {r['deviation']:.3f}{extra}")


if __name__ == "__main__":
    main()
