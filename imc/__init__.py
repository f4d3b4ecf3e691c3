"""imc: simulate in-memory-computing hardware for quantized neural networks.

>>> import imc
>>> report = imc.simulate()            # the built-in default design
>>> print(report.format_table())
"""

from imc.api import simulate
from imc.config import ConfigError, MappingConfig, SimConfig, load_config
from imc.report import Report

__version__ = "0.1.0"
__all__ = ["ConfigError", "MappingConfig", "Report", "SimConfig", "load_config", "simulate"]
