"""imc.devices: one cell technology per module (physics, variation, cost of one cell op)."""

from imc.devices.base import DEVICES, CellCost, Device, describe, register
from imc.devices.sram import SRAM6T, SRAM8T, XNORSRAM, SRAMBitCell
from imc.devices.validation import ParameterError

__all__ = ["DEVICES", "CellCost", "Device", "ParameterError", "SRAM6T", "SRAM8T", "SRAMBitCell",
           "XNORSRAM", "describe", "register"]
