"""imc.arrays: one array (tile) of cells plus its periphery, with non-idealities and cost per op."""

from imc.arrays.periphery import ADC, DigitalCosts
from imc.arrays.sram_array import OpCost, SRAMArray

__all__ = ["ADC", "DigitalCosts", "OpCost", "SRAMArray"]
