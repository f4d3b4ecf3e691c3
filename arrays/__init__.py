"""imc.arrays: one array (tile) of cells plus its periphery, with non-idealities and cost per op."""

from imc.arrays.base import ARRAYS, Array, ArrayGeometry, Conditions, OpCost
from imc.arrays.converters import (ADCInstance, ColumnADC, InputScheme, PeripheryCost, SenseAmp, WordLineDAC,
                                   array_cycles, input_cost)
from imc.arrays.dram_array import BinaryLayout, DRAMArrayInstance, DRAMBitwiseArray, DRAMTileState
from imc.arrays.ir_drop import (CellRead, ConvergenceError, CrossbarSolution, CrossbarWires, cell_conductance_s,
                                ideal_currents, read_cell, relative_error, solve_exact, solve_fast,
                                transfer_matrix)
from imc.arrays.periphery import DigitalCosts, accumulator_bits
from imc.arrays.resistive_array import ResistiveArray, ResistiveInstance, ResistiveTileState
from imc.arrays.sram_array import ArrayInstance, SRAMArray, SRAMTileState
from imc.arrays.sram_charge import ChargeInstance, ChargeSRAMArray, ChargeTileState
from imc.arrays.sram_amplitude import (AmplitudeInstance, WordLineLevels, amplitude_counts, amplitude_op_cost,
                                       bit_serial_op_cost, level_column_sums, sample_amplitude_instance,
                                       word_line_levels)

__all__ = ["accumulator_bits", "Array", "ArrayGeometry", "ARRAYS", "Conditions", "DRAMTileState", "ResistiveTileState",
           "SRAMTileState", "ADCInstance", "amplitude_counts", "amplitude_op_cost", "AmplitudeInstance", "array_cycles",
           "ArrayInstance", "BinaryLayout", "bit_serial_op_cost", "cell_conductance_s", "CellRead",
           "ChargeInstance", "ChargeSRAMArray", "ChargeTileState",
           "ColumnADC", "ConvergenceError", "CrossbarSolution", "CrossbarWires", "DigitalCosts",
           "DRAMArrayInstance", "DRAMBitwiseArray", "ideal_currents", "input_cost", "InputScheme",
           "level_column_sums", "OpCost", "PeripheryCost", "read_cell", "relative_error", "ResistiveArray",
           "ResistiveInstance", "sample_amplitude_instance", "SenseAmp", "solve_exact", "solve_fast",
           "SRAMArray", "transfer_matrix", "word_line_levels", "WordLineDAC", "WordLineLevels"]
