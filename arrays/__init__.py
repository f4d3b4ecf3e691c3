"""imc.arrays: one array (tile) of cells plus its periphery, with non-idealities and cost per op."""

from imc.arrays.converters import (ADCInstance, ColumnADC, InputScheme, PeripheryCost, SenseAmp, WordLineDAC,
                                   array_cycles, input_cost)
from imc.arrays.dram_array import BinaryLayout, DRAMArrayInstance, DRAMBitwiseArray
from imc.arrays.ir_drop import (CellRead, ConvergenceError, CrossbarSolution, CrossbarWires, cell_conductance_s,
                                ideal_currents, read_cell, relative_error, solve_exact, solve_fast)
from imc.arrays.periphery import DigitalCosts
from imc.arrays.resistive_array import ResistiveArray, ResistiveInstance
from imc.arrays.sram_array import ArrayInstance, OpCost, SRAMArray

__all__ = ["ADCInstance", "ArrayInstance", "BinaryLayout", "CellRead", "DRAMArrayInstance", "DRAMBitwiseArray", "ColumnADC", "ConvergenceError", "CrossbarSolution",
           "CrossbarWires", "DigitalCosts", "InputScheme", "OpCost", "PeripheryCost", "ResistiveArray", "ResistiveInstance", "SRAMArray", "SenseAmp",
           "WordLineDAC", "array_cycles", "cell_conductance_s", "ideal_currents", "input_cost", "read_cell",
           "relative_error", "solve_exact", "solve_fast"]
