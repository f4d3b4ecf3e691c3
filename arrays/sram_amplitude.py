"""Multi-bit word-line amplitude inputs on SRAM (6T/8T) arrays: one cycle per k-bit input vector.

A k-bit input code c in 0..N (N = 2^k - 1) drives its row's word line to a DAC level V(c); a cell
storing 1 sinks I(V(c)) from its precharged bit line, so the bit-line drop sums input x stored bit
in one evaluation instead of k bit-serial cycles (IMAC: Ali, Jaiswal, Kodge, Agrawal, Chakraborty
& Roy, "IMAC: in-memory multi-bit multiplication and accumulation in 6T SRAM array", IEEE TCAS-I
67(8), 2020). The cell current is not linear in V_WL (alpha-power law above threshold,
exponential below: `imc.devices.SRAMBitCell.cell_current_a`), so the choice of levels decides
whether the product is right.

Level choice (``SRAMArray.dac_levels``):

* ``"linear"``: V(c) = c / N V_WL, the uniform resistor-string taps of `WordLineDAC.voltages_v`.
  The nominal cell then carries N I(c / N V_WL) / I(V_WL) code steps instead of c: a systematic
  error set by the I(V) curve. Measured with the 65 nm `SRAM6T` at V_WL = 0.7 V and 4-bit codes:
  codes 1..8 carry less than 0.32 steps, code 9 carries 0.88 instead of 9 (the worst level,
  -8.1 steps), and uniformly random codes on random bits read the column sums 59 % low (their
  mean). That the discharge is not linear in the input voltage was pointed out for earlier
  in-SRAM multi-bit MACs by Chen, Lu, Pang, Wang, Zhuo & Yin, "Nonlinear quantization for
  in-SRAM multi-bit MAC design", CSTIC 2021 (doi:10.1109/CSTIC52283.2021.9461589), and by
  Seyedfaraji, Mesgari & Rehman, "AID: accuracy improvement of analog discharge-based in-SRAM
  multiplication accelerator",
  arXiv:2204.07387, 2022 (the access transistor's near-quadratic law). The IMAC abstract reports
  a study of circuit non-idealities and process variation on LeNet-5 / VGG accuracy but does not
  say which levels its DAC uses; this module makes no claim about them.
* ``"current_linear"`` (default): levels calibrated on the nominal cell so that
  I_nom(V(c)) = c / N I_nom(V_WL), by inverting the device's nominal I(V) with Brent's method.
  This is what a designer does: pre-distort the word-line voltage so that the cell current, and
  with it the bit-line drop, is linear in the code -- AID's root-function gate drive and the
  non-linearly spaced pulse-amplitude levels of Saragada & Das, "Process-variation-aware
  in-memory computation with improved linearity using on-chip configurable current-steering
  thermometric DAC", IEEE TCAS-I, 2024 (doi:10.1109/TCSI.2024.3422883). Nominal chips then compute x @ states exactly.
  What it costs: every level is its own reference voltage, not a tap of a uniform ladder. At
  65 nm / 0.7 V / 4 bits, V(1) = 0.426 V (at threshold) and the gaps shrink from 39 mV (codes
  1-2) to 14.5 mV (codes 14-15) against a uniform 46.7 mV step, so the levels need a reference
  about 1.7 bits finer than k bits or N trimmed taps; they track only the nominal device, so
  a global process or temperature shift of I(V) moves every level (hence the post-silicon
  calibration of Saragada & Das); and the mean level is higher (0.55 V against 0.35 V for
  uniform random codes), so the word lines draw more charge.

Mismatch: each cell's current relative to nominal at V(c) comes from the chip's threshold shifts
through `SRAMBitCell.relative_current_tabulated` (one cached table per level voltage). Low codes
sit at low overdrive, near or below threshold, where a threshold shift changes the current
exponentially: at 65 nm the per-cell relative spread is 0.17 at code 15 and 0.80 at code 1
(4-bit current-linear levels), and its mean rises above 1 (1.18 at code 1).

Column sums are in code steps, one step being I_nom(V_WL) / N, summed by level decomposition:
sum_c [x == c] @ W_c, one float32 GEMM per non-zero level present (ARCHITECTURE.md, performance
design), then `SRAMArray.sense` (bit-line discharge, column ADC, rescaling) with the full scale
in code steps, r N for r rows; the word-line pulse is N times the binary pulse of the same full
scale, so that r N steps swing the bit line by ``v_swing_v``. The discharge leaves its linear
range at the saturation knee of V_WL, the highest level's; cells at lower levels stay saturated
down to lower bit-line voltages, so this is the conservative (earliest-compressing) choice.

Notebook use::

    array = SRAMArray(rows=64, cols=32, input_bits=4, adc=ColumnADC(bits=10))
    chip = sample_amplitude_instance(array, 1, np.random.default_rng(0))
    counts = amplitude_counts(array, codes, chip.programmed(states), chip.adcs[0])
    amplitude_op_cost(array, codes, states), bit_serial_op_cost(array, codes, states)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq

from imc.arrays.converters import ADCInstance, WordLineDAC
from imc.arrays.base import OpCost
from imc.devices.base import check_states
from imc.devices.sram import SRAMBitCell, SRAMInstance
from imc.errors import ParameterError, int_in_range, require

if TYPE_CHECKING:  # the array module reads its levels from here
    from imc.arrays.sram_array import SRAMArray

WORD_LINE_FLOOR_V = float(np.finfo(np.float64).tiny)  # smallest positive float: the bottom of (0, vdd_v] V


@dataclass(frozen=True, eq=False)
class WordLineLevels:
    """The DAC levels of an array's k-bit codes, indexed by code 0..N.

    ``voltages_v``: word-line voltage V(c) (V), V(0) = 0 (word line off), V(N) = V_WL;
    ``steps``: the nominal cell's current at V(c) in code steps, N I_nom(V(c)) / I_nom(V_WL),
    0 at code 0 (c itself for current-linear levels, to Brent's tolerance).
    """

    voltages_v: np.ndarray
    steps: np.ndarray


@dataclass(frozen=True, eq=False)
class AmplitudeInstance:
    """Static state of one chip's arrays for amplitude reads.

    ``level_cells``: (n_arrays, N, rows, cols) float32; level_cells[a, c - 1] is every cell's
    read current at V(c) in code steps (I_cell(V(c)) / (I_nom(V_WL) / N)): ``steps[c]`` times the
    cell's current relative to the nominal cell at V(c). ``adcs``: each array's column-ADC instance.
    """

    level_cells: np.ndarray
    adcs: list[ADCInstance]

    def programmed(self, states: np.ndarray, array_index: int = 0) -> np.ndarray:
        """(N, r, c) float32 level weights of array ``array_index`` holding the 0/1 ``states`` (r, c)
        in its first r rows and c columns: cells storing 0 sink no current."""
        n_arrays, _, rows, cols = self.level_cells.shape
        int_in_range("array_index", array_index, 0, n_arrays - 1)
        states = check_states(states, 2)
        require("states", states.shape, states.ndim == 2 and states.shape[0] <= rows and states.shape[1] <= cols,
                f"must be a matrix of at most {rows} x {cols}")
        r, c = states.shape
        return self.level_cells[array_index, :, :r, :c] * states.astype(np.float32)


def word_line_levels(array: SRAMArray) -> WordLineLevels:
    """The DAC levels of ``array`` (its ``input_bits``, ``dac_levels``, ``v_wl_v`` and device), cached.

    Current-linear levels need code 1's current I_nom(V_WL) / N above the cell's current with its
    word line just above 0 V; otherwise a ParameterError names ``input_bits`` and the most bits
    that fit.
    """
    _top_code(array)
    return _levels(array.device, float(array.v_wl_v), array.input_bits, array.dac_levels)


@lru_cache(maxsize=64)
def _levels(device: SRAMBitCell, v_wl_v: float, bits: int, dac_levels: str) -> WordLineLevels:
    top = 2 ** bits - 1
    codes = np.arange(top + 1)
    i_full_a = device.read_current_a(v_wl_v)
    if dac_levels == "linear":
        voltages = WordLineDAC(bits=bits).voltages_v(codes, v_wl_v)
    else:
        i_floor_a = device.read_current_a(WORD_LINE_FLOOR_V)
        if i_full_a / top <= i_floor_a:
            most = math.ceil(math.log2(i_full_a / i_floor_a + 1)) - 1  # largest k with 2^k - 1 < I(V_WL) / I_floor
            raise ParameterError("input_bits", bits,
                                 f"current_linear levels put code 1 at I(v_wl_v)/(2^k - 1) = {i_full_a / top:.3g} A, "
                                 f"below the {i_floor_a:.3g} A the nominal cell carries with its word line just "
                                 f"above 0 V (the device allows word lines in (0, {device.vdd_v}] V); allowed at "
                                 f"v_wl_v = {v_wl_v} V: input_bits <= {most}, a higher v_wl_v, or "
                                 "dac_levels = 'linear'")
        voltages = np.zeros(top + 1)
        voltages[top] = v_wl_v
        for code in range(1, top):
            voltages[code] = brentq(lambda v, target_a: device.read_current_a(v) - target_a, WORD_LINE_FLOOR_V,
                                    v_wl_v, args=(code / top * i_full_a,), xtol=1e-15,
                                    rtol=4 * np.finfo(np.float64).eps)
    steps = np.array([0.0] + [top * device.read_current_a(float(v)) / i_full_a for v in voltages[1:]])
    voltages.flags.writeable = False
    steps.flags.writeable = False
    return WordLineLevels(voltages, steps)


def sample_amplitude_instance(array: SRAMArray, n_arrays: int, rng: np.random.Generator,
                              variation: bool = True) -> AmplitudeInstance:
    """Static state of ``n_arrays`` arrays of one chip for amplitude reads.

    Draws through `SRAMArray.sample_silicon`, so the same ``rng`` state gives the same silicon as a
    binary chip: level N (V = V_WL) is N times its relative cell currents. Without variation every cell is the
    nominal one (``steps[c]`` at code c) and the ADCs lose their random offset, gain and DNL.
    Memory: N float32 copies of the array, 4 N rows cols bytes per array.
    """
    int_in_range("n_arrays", n_arrays, 1)
    silicon, adcs = array.sample_silicon(n_arrays, rng, variation)
    shape = (n_arrays, array.rows, array.cols)
    mismatch = None if silicon is None else silicon.instance(np.ones(shape, dtype=np.int8))
    cells = level_currents(array, mismatch, shape, range(1, word_line_levels(array).steps.size))
    return AmplitudeInstance(np.ascontiguousarray(np.moveaxis(cells, 0, 1)), adcs)


def level_currents(array: SRAMArray, mismatch: SRAMInstance | None, shape: tuple[int, ...], codes) -> np.ndarray:
    """Every cell's read current at each DAC level V(c), c in ``codes``, in code steps: (len(codes),
    *shape) float32, ``steps[c]`` times the cell's current relative to nominal at V(c) (from the
    threshold shifts ``mismatch`` of ``shape`` cells; None: nominal cells)."""
    levels = word_line_levels(array)
    if mismatch is None:
        return np.stack([np.full(shape, levels.steps[code], dtype=np.float32) for code in codes])
    return np.stack([array.device.relative_current_tabulated(mismatch, float(levels.voltages_v[code]))
                     * np.float32(levels.steps[code]) for code in codes])


def level_column_sums(codes: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Column sums in code steps, float32 (..., batch, c): sum over codes c >= 1 of
    [codes == c] @ cells[..., c - 1, :, :], one float32 GEMM per non-zero code present.

    codes: (..., batch, r) integer codes in [0, N]; cells: (..., N, r, c) level weights (see
    `AmplitudeInstance.programmed`). The level decomposition of ARCHITECTURE.md: exact for any
    per-level cell response, as each row sits at one level.
    """
    shape = np.broadcast_shapes(codes.shape[:-2], cells.shape[:-3]) + (codes.shape[-2], cells.shape[-1])
    out = np.zeros(shape, dtype=np.float32)
    counts = np.bincount(codes.reshape(-1).astype(np.intp), minlength=cells.shape[-3] + 1)
    for code in np.flatnonzero(counts[1:]) + 1:
        out += np.matmul((codes == code).astype(np.float32), cells[..., code - 1, :, :])
    return out


def amplitude_counts(array: SRAMArray, codes, cells: np.ndarray, adc: ADCInstance,
                     full_scale_steps: int | None = None) -> np.ndarray:
    """Digitised column sums, in code steps, of k-bit word-line amplitude inputs (int32, (..., batch, c)).

    codes: (..., batch, r) integer input codes in [0, 2^input_bits - 1], row i driven to V(codes_i);
    cells: (..., N, r, c) level weights of the programmed cells (`AmplitudeInstance.programmed`);
    adc: the array's column-ADC instance; full_scale_steps: the column sum that swings the bit
    line by ``v_swing_v`` (default r N, every row at the top code on a stored 1).
    The sums go through `SRAMArray.sense` like binary reads. Exact, x @ states, when the cells
    are nominal, the levels current-linear and the ADC ideal with 2^bits - 1 >= full_scale_steps.
    """
    top = _top_code(array)
    codes = _check_codes(array, codes)
    cells = np.asarray(cells)
    require("cells", cells.shape, cells.ndim >= 3 and cells.shape[-3] == top,
            f"must be (..., {top}, rows, cols): one weight matrix per non-zero code (AmplitudeInstance.programmed)")
    require("cells", cells.shape, cells.shape[-2] <= array.rows and cells.shape[-1] <= array.cols,
            f"must fit in {array.rows} x {array.cols}")
    require("codes", codes.shape, codes.shape[-1] == cells.shape[-2],
            f"last axis must equal the cells' row count {cells.shape[-2]}")
    full_scale = cells.shape[-2] * top if full_scale_steps is None else full_scale_steps
    int_in_range("full_scale_steps", full_scale, 1)
    return array.sense(level_column_sums(codes, cells), full_scale, adc)


def amplitude_op_cost(array: SRAMArray, codes, states, full_scale_steps: int | None = None) -> OpCost:
    """Energy by component and latency of one amplitude op, averaged over the input vectors ``codes``
    (batch, r) on the 0/1 ``states`` (r, c) of the nominal array.

    `SRAMArray.read_cost` with amplitude inputs: ``wordline`` is one `WordLineDAC` per row through
    `input_cost("amplitude", ...)` at the mean level voltage (the word-line charge C_WL V(c) V_WL
    plus the string's static draw over settling and pulse), ``bitline`` C_BL V_DD dV of the nominal
    column sums in code steps (with linear levels the smaller currents they really draw),
    ``adc`` one conversion per column; latency: precharge + DAC settling + pulse + one conversion.
    """
    codes, states = _check_product(array, codes, states)
    levels = word_line_levels(array)
    rows = states.shape[0]
    full_scale = rows * _top_code(array) if full_scale_steps is None else full_scale_steps
    int_in_range("full_scale_steps", full_scale, 1)
    sums = levels.steps[codes] @ states
    return array.read_cost(rows, sums.mean(axis=0), full_scale, mean_word_line_v=float(levels.voltages_v[codes].mean()))


def bit_serial_op_cost(array: SRAMArray, codes, states) -> OpCost:
    """Energy by component and latency of the same product read bit-serially on the same array with
    binary word lines (no DACs): the baseline of `amplitude_op_cost`.

    Cycle b raises the rows whose bit b is 1 to V_WL and converts every column, full scale r
    cells; the digital periphery shifts and adds the k partial sums (ISAAC: Shafiee et al., ISCA
    2016). Energy: the k binary `SRAMArray.read_cost`s by component, plus ``shift_add``, one add of
    ceil(log2(r N + 1)) bits per column per cycle at `DigitalCosts.add_energy_per_bit_j`. Latency: the k op
    latencies plus the last add, 1 / `DigitalCosts.clock_hz` (each earlier add overlaps the next cycle).
    """
    codes, states = _check_product(array, codes, states)
    binary = replace(array, input_bits=1)
    rows, cols = states.shape
    energy_j: dict[str, float] = {}
    latency_s = 0.0
    for bit in range(array.input_bits):
        plane = (codes >> bit) & 1
        cost = binary.read_cost(float(plane.sum(axis=1).mean()), (plane @ states).mean(axis=0), rows)
        for name, value in cost.energy_j.items():
            energy_j[name] = energy_j.get(name, 0.0) + value
        latency_s += cost.latency_s
    width = math.ceil(math.log2(rows * _top_code(array) + 1))
    energy_j["shift_add"] = array.input_bits * cols * width * array.digital.add_energy_per_bit_j
    return OpCost(energy_j, latency_s + 1.0 / array.digital.clock_hz)


def _top_code(array: SRAMArray) -> int:
    require("input_bits", array.input_bits, array.input_bits >= 2,
            "amplitude reads need input_bits >= 2 (1-bit inputs are binary reads: SRAMArray.column_counts)")
    return 2 ** array.input_bits - 1


def _check_codes(array: SRAMArray, codes) -> np.ndarray:
    top = _top_code(array)
    codes = np.asarray(codes)
    require("codes", codes.dtype, np.issubdtype(codes.dtype, np.integer),
            "must be integers (word-line DAC input codes)")
    require("codes", codes.shape, codes.ndim >= 2, "must be (..., batch, rows)")
    if codes.size:
        low, high = int(codes.min()), int(codes.max())
        require("codes", (low, high), low >= 0 and high <= top,
                f"must be in [0, {top}] for input_bits = {array.input_bits}")
    return codes


def _check_product(array: SRAMArray, codes, states) -> tuple[np.ndarray, np.ndarray]:
    codes = _check_codes(array, codes)
    states = check_states(states, 2)
    require("states", states.shape, states.ndim == 2 and states.shape[0] <= array.rows
            and states.shape[1] <= array.cols, f"must be a matrix of at most {array.rows} x {array.cols}")
    require("codes", codes.shape, codes.ndim == 2 and codes.shape[1] == states.shape[0],
            f"must be (batch, {states.shape[0]}): one code per row of states")
    return codes, states
