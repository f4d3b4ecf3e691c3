"""imc.devices: one cell technology per module (physics, variation, faults, time, cost of one cell op).

Every model subclasses `Device` and registers under a key in `DEVICES` (`imc devices` lists them).
"""

from imc.devices.base import DEVICES, CellCost, Device, describe, register
from imc.devices.dram import DRAM1T1C
from imc.devices.fefet import FeFET
from imc.devices.mram import STTMRAM
from imc.devices.pcm import PCM
from imc.devices.rram import RRAM
from imc.devices.skyrmion import SkyrmionRacetrack
from imc.devices.sram import SRAM6T, SRAM8T, XNORSRAM, SRAMBitCell
from imc.devices.sram_charge import SRAM10TCap
from imc.errors import ParameterError

__all__ = ["DEVICES", "DRAM1T1C", "PCM", "RRAM", "STTMRAM", "CellCost", "Device", "FeFET", "ParameterError", "SRAM6T",
           "SRAM8T", "SRAM10TCap", "SRAMBitCell", "SkyrmionRacetrack", "XNORSRAM", "describe", "register"]
