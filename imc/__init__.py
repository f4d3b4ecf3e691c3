"""imc: simulate in-memory-computing hardware for quantized neural networks.

>>> import imc
>>> report = imc.simulate()            # the built-in default design
>>> print(report.format_table())

The public names are re-exported lazily (PEP 562), so ``import imc.devices`` or
``import imc.arrays`` loads only those layers, never the engine, the zoo or the report.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "simulate": "imc.api",
    "ConfigError": "imc.config",
    "Conditions": "imc.config",
    "MappingConfig": "imc.config",
    "SimConfig": "imc.config",
    "load_config": "imc.config",
    "Report": "imc.report",
    "sweep": "imc.sweeps",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'imc' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
