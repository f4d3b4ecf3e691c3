"""imc.devices: one cell technology per module (physics, variation, cost of one cell op)."""

from imc.devices.base import DEVICES, describe, register
from imc.devices.sram import SRAM6T
from imc.devices.validation import ParameterError

__all__ = ["DEVICES", "SRAM6T", "ParameterError", "describe", "register"]
