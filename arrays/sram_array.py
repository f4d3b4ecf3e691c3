"""An array of 6T SRAM cells computing binary matrix-vector products on its bit lines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imc.arrays import _kernels_sram
from imc.arrays.converters import ADCInstance, ColumnADC, SenseAmp
from imc.arrays.periphery import DigitalCosts
from imc.devices import _kernels as device_kernels
from imc.devices.sram import SRAM6T
from imc.devices.validation import ParameterError, int_in_range, positive, require

SETTLE_TIME_CONSTANTS = 5.0
SENSING = ("adc", "sense_amp")  # exp(-5) < 1 %: precharge settled to within 1 % of V_DD


@dataclass(frozen=True)
class OpCost:
    """Cost of one array operation: energy (J) per component and latency (s)."""

    energy_j: dict[str, float]
    latency_s: float

    @property
    def total_energy_j(self) -> float:
        return float(sum(self.energy_j.values()))


@dataclass(frozen=True, eq=False)
class ArrayInstance:
    """Static state of the arrays of one chip: relative cell read currents (n_arrays, rows, cols),
    float32, the column-ADC instance of each array and the input-referred offsets (V) of the
    column sense amplifiers (n_arrays, cols)."""

    cells: np.ndarray
    adcs: list[ADCInstance]
    sense_offsets_v: np.ndarray


@dataclass(frozen=True)
class SRAMArray:
    """``rows`` x ``cols`` SRAM cells, word-line drivers, column ADCs (shared through a mux when
    ``adc.columns_per_adc`` > 1).

    With 6T/8T cells a mapped binary weight uses two rows under the XNOR encoding; with the
    two-port XNOR cell (`imc.devices.XNORSRAM`) both complementary paths sit in one physical
    row: ``logical_rows`` = 2 ``rows``, logical row 2i being port 0 (input +1) of row i and
    2i + 1 its port 1 (input -1), each with its own mismatch.

    One operation: precharge every bit line to V_DD, raise the word lines of the active
    rows to ``v_wl_v`` for a pulse, let the conducting cells discharge their bit lines,
    convert every column with its ADC. The pulse is sized so that a column holding the
    full-scale number of conducting cells swings by ``v_swing_v`` (the ADC full scale),
    the usual way such macros are timed (Kang, Gonugondla, Keel & Shanbhag, "An
    energy-efficient VLSI architecture for pattern recognition via deep embedding of
    computation in SRAM", ICASSP 2014). ``v_wl_v`` = 0.7 V: word-line under-drive
    keeps the cell current and the read disturb low, as in that work.
    ``v_swing_v`` = 0.5 V keeps the full-scale swing above the saturation knee, so the
    bit line responds linearly. ``r_precharge_ohm`` = 1 kOhm: a ~1 um wide 65 nm PMOS
    precharge device; precharge lasts 5 R*C_BL.
    """

    rows: int = 256
    cols: int = 128
    v_wl_v: float = 0.7
    v_swing_v: float = 0.5
    r_precharge_ohm: float = 1e3
    device: SRAM6T = field(default_factory=SRAM6T)
    adc: ColumnADC = field(default_factory=ColumnADC)
    sense_amp: SenseAmp = field(default_factory=SenseAmp)
    sensing: str = "adc"
    digital: DigitalCosts = field(default_factory=DigitalCosts)

    def __post_init__(self) -> None:
        int_in_range("rows", self.rows, 2, 4096)
        int_in_range("cols", self.cols, 1, 4096)
        positive("r_precharge_ohm", self.r_precharge_ohm)
        require("sensing", self.sensing, self.sensing in SENSING, f"allowed: {SENSING}")
        self.device.check_word_line(self.v_wl_v)
        require("v_swing_v", self.v_swing_v,
                isinstance(self.v_swing_v, (int, float)) and 0 < self.v_swing_v < self.device.vdd_v,
                f"must be in (0, vdd_v = {self.device.vdd_v}) V")

    @property
    def logical_rows(self) -> int:
        """Word lines the mapper can drive: rows x read ports (an XNOR cell's two ports count as the
        two complementary rows of the XNOR encoding, in one physical row)."""
        return self.rows * self.device.ports

    @property
    def c_bl_f(self) -> float:
        """Bit-line capacitance (F)."""
        return self.rows * self.device.c_bl_cell_f

    @property
    def c_wl_f(self) -> float:
        """Word-line capacitance (F)."""
        return self.cols * self.device.c_wl_cell_f

    @property
    def area_m2(self) -> float:
        """Area of the cell matrix plus its column ADCs (m^2); drivers and digital logic are not
        modelled yet."""
        return self.rows * self.cols * self.device.cell_area_m2 + self.adc.array_cost(self.cols).area_m2

    def pulse_width_s(self, full_scale_count: int) -> float:
        """Word-line pulse (s) that swings a bit line by v_swing_v for ``full_scale_count`` cells."""
        current = full_scale_count * self.device.read_current_a(self.v_wl_v)
        return self.v_swing_v * self.c_bl_f / current

    def read_disturb_probability(self) -> float:
        """Probability that one cell flips in one op whose column reaches full scale.

        The bit line then sits at V_DD - dV(v_swing_v) at the end of the pulse; the cell model
        gives the flip probability at that voltage (0 for read-decoupled cells).
        """
        lowest_v = self.device.vdd_v - float(self.device.bitline_discharge_v(self.v_swing_v, self.v_wl_v))
        return self.device.read_disturb_probability(lowest_v, self.v_wl_v)

    def precharge_time_s(self) -> float:
        return SETTLE_TIME_CONSTANTS * self.r_precharge_ohm * self.c_bl_f

    def sample_instance(self, n_arrays: int, rng: np.random.Generator, variation: bool = True) -> ArrayInstance:
        """Static state of ``n_arrays`` arrays of one chip: cell currents relative to nominal
        (all ones without variation) and each array's column ADCs (without variation their
        random offset, gain and DNL are zero; the systematic INL stays)."""
        shape = (n_arrays, self.rows, self.cols)
        adc = self.adc if variation else self.adc.nominal()
        if variation:
            cells = self.device.relative_current_tabulated(
                self.device.sample_instance(np.ones(shape, dtype=np.int8), rng), self.v_wl_v)
            if self.device.ports > 1:  # (ports, n, rows, cols) -> logical rows port-interleaved
                cells = np.ascontiguousarray(np.moveaxis(cells, 0, -2).reshape(n_arrays, self.logical_rows, self.cols))
        else:
            cells = np.ones((n_arrays, self.logical_rows, self.cols), dtype=np.float32)
        n_adcs = adc.n_adcs(self.cols)
        adcs = [adc.sample_instance(n_adcs, rng) for _ in range(n_arrays)]
        offsets = (self.sense_amp.sample_instance(n_arrays * self.cols, rng).reshape(n_arrays, self.cols)
                   if variation and self.sensing == "sense_amp" else np.zeros((n_arrays, self.cols)))
        return ArrayInstance(cells, adcs, offsets)

    def column_counts(self, word_lines: np.ndarray, cells: np.ndarray, full_scale_count: int,
                      adc: ADCInstance) -> np.ndarray:
        """Digitised popcounts of the columns for a batch of word-line patterns.

        word_lines: (..., batch, r) 0/1 activations of the first r rows.
        cells: (..., r, c) stored-one mask times the cells' relative read current.
        adc: the array's column-ADC instance.
        Returns int32 (..., batch, c): each column's count of conducting activated cells as
        the ADC reports it; exact when cells and ADC are ideal and 2^bits - 1 >= full_scale_count.
        """
        if word_lines.shape[-1] != cells.shape[-2]:
            raise ParameterError("word_lines", word_lines.shape,
                                 f"last axis must equal the cells' row count {cells.shape[-2]}")
        if cells.shape[-2] > self.logical_rows or cells.shape[-1] > self.cols:
            raise ParameterError("cells", cells.shape, f"must fit in {self.logical_rows} x {self.cols}")
        cell_sum = np.ascontiguousarray(np.matmul(word_lines, cells), dtype=np.float32)
        return self.sense(cell_sum, full_scale_count, adc)

    def column_decisions(self, word_lines: np.ndarray, cells: np.ndarray, full_scale_count: int,
                         threshold_counts: np.ndarray, offsets_v: np.ndarray) -> np.ndarray:
        """1-bit sense-amplifier decisions ``count >= threshold`` per column (bool, (..., batch, c)).

        Each column's latch compares its bit-line drop with a reference at the nominal drop of
        ``threshold - 1/2`` conducting cells (a replica/reference bit line), plus its own
        input-referred offset: the BNN comparator of binary SRAM macros, with BatchNorm and sign
        folded into the per-column threshold. Thresholds at or below 0 always pass; above the
        full-scale count never.
        """
        cell_sum = np.ascontiguousarray(np.matmul(word_lines, cells), dtype=np.float64)
        unit_v = self.v_swing_v / full_scale_count
        knee = self.device.knee_v(self.v_wl_v)
        drop = device_kernels.discharge_array(cell_sum * unit_v, self.device.vdd_v, knee, cell_sum)
        reference = self.device.bitline_discharge_v((np.asarray(threshold_counts) - 0.5) * unit_v, self.v_wl_v)
        decisions = self.sense_amp.decide(drop, reference, offsets_v) == 1
        thresholds = np.asarray(threshold_counts)
        return np.where(thresholds <= 0, True, np.where(thresholds > full_scale_count, False, decisions))

    def sense(self, cell_sum: np.ndarray, full_scale_count: int, adc: ADCInstance) -> np.ndarray:
        """Bit-line discharge, column ADC and digital rescaling to counts of column current sums
        (in nominal-cell units, (..., c)): the swing is cell_sum * v_swing / full_scale_count.

        ADCs without INL/DNL run the fused kernel `sense_counts_uniform`; others convert through
        their threshold tables.
        """
        unit_v = self.v_swing_v / full_scale_count
        knee = self.device.knee_v(self.v_wl_v)
        scale = full_scale_count / self.adc.top_code
        if adc.thresholds_lsb is None:
            flat = np.ascontiguousarray(cell_sum.reshape(-1, cell_sum.shape[-1]))
            out = np.empty(flat.shape, dtype=np.int32)
            lsb_eff = (self.v_swing_v / self.adc.top_code) / (1.0 + adc.gain_rel)
            adc_of_col = np.arange(flat.shape[1]) // self.adc.columns_per_adc
            _kernels_sram.sense_counts_uniform(flat, unit_v, self.device.vdd_v, knee, adc_of_col, lsb_eff,
                                               adc.offset_lsb, float(self.adc.top_code), scale, out)
            return out.reshape(cell_sum.shape)
        swing = np.ascontiguousarray(cell_sum, dtype=np.float64) * unit_v
        drop = device_kernels.discharge_array(swing, self.device.vdd_v, knee, swing)
        codes = self.adc.convert(drop, adc, full_scale=self.v_swing_v)
        return np.rint(codes * scale).astype(np.int32)

    def op_cost(self, active_rows: float, column_counts: np.ndarray, full_scale_count: int,
                sense_amp: bool = False) -> OpCost:
        """Energy by component and latency of one operation.

        active_rows: word lines raised (mean over inputs); column_counts: mean conducting
        activated cells per used column. Components: ``bitline`` C_BL*V_DD*dV per column,
        ``wordline`` C_WL*V_WL^2 per raised word line (Rabaey et al., Digital Integrated
        Circuits, 2nd ed., ch. 5, E = C*V^2 for a full-swing node), ``adc`` one conversion per
        used column. Latency: precharge + pulse + conversion.
        """
        unit_v = self.v_swing_v / full_scale_count
        dv = self.device.bitline_discharge_v(np.asarray(column_counts) * unit_v, self.v_wl_v)
        energy = {
            "bitline": float(np.sum(self.device.read_energy_j(dv, self.c_bl_f))),
            "wordline": float(active_rows * self.c_wl_f * self.v_wl_v ** 2),
        }
        if sense_amp:
            energy["sense_amp"] = float(len(column_counts) * self.sense_amp.energy_per_decision_j)
            conversion = self.sense_amp.latency_s
        else:
            energy["adc"] = float(len(column_counts) * self.adc.energy_per_conversion_j)
            conversion = self.adc.array_conversion_time_s(len(column_counts))
        return OpCost(energy, self.precharge_time_s() + self.pulse_width_s(full_scale_count) + conversion)
