"""What every device model provides, and the registry that `imc devices` reads.

A device model is a frozen dataclass of physical parameters (SI units in the field names)
that subclasses `Device`. Randomness is split as in ARCHITECTURE.md:

* ``sample_instance(states, rng)`` -- *static*: device-to-device variation and faults of the
  cells of one chip instance, drawn once and reused for every read of that chip;
* ``read(instance, rng)`` -- *dynamic*: the cells' physical response in one read, with
  cycle-to-cycle noise (``rng=None`` gives the noiseless response of the instance);
* ``age(instance, elapsed_s, rng)`` -- time effects (drift, retention loss, thermal decay).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np

from imc.errors import ParameterError
from imc.registry import Registry

DEVICES = Registry("device kind")
register = DEVICES.register  # class decorator: make a device model available under a key


@dataclass(frozen=True)
class CellCost:
    """Energy (J) and latency (s) of one read and one write of one cell."""

    read_energy_j: float
    read_latency_s: float
    write_energy_j: float
    write_latency_s: float


class Device(ABC):
    """Common interface of a cell technology (see the module docstring)."""

    key: ClassVar[str]
    response_unit: ClassVar[str]  # unit of what `read` returns: "A", "S", "V", "skyrmions", ...
    variation_fields: ClassVar[tuple[str, ...]] = ()  # parameters of random variation, faults and noise
    fault_fields: ClassVar[tuple[str, ...]] = ()      # the fault probabilities among them
    read_noise_fields: ClassVar[tuple[str, ...]] = ()  # the scales of the dynamic noise `read` draws among them

    @property
    @abstractmethod
    def levels(self) -> int:
        """Number of distinct states one cell stores."""

    @abstractmethod
    def sample_instance(self, states: np.ndarray, rng: np.random.Generator):
        """Static per-chip realisation of cells programmed to integer ``states``."""

    @abstractmethod
    def read(self, instance, rng: np.random.Generator | None = None) -> np.ndarray:
        """Physical response of every cell of ``instance`` in one read (unit: `response_unit`)."""

    def read_std(self, instance) -> np.ndarray | None:
        """Std of every cell's response in one read (unit `response_unit`), the Gaussian dynamic
        noise `read` draws; None for a device whose reads are noiseless."""
        return None

    def age(self, instance, elapsed_s: float, rng: np.random.Generator | None = None):
        """The instance after ``elapsed_s`` seconds; devices without time effects return it unchanged."""
        return instance

    @abstractmethod
    def cost(self) -> CellCost:
        """Energy and latency of one cell read and write at the default operating point."""

    def nominal(self):
        """The same device with every parameter in ``variation_fields`` set to 0: no random
        variation, faults or noise -- its nominal behaviour."""
        return replace(self, **dict.fromkeys(self.variation_fields, 0.0))

    def without_faults(self):
        """The same device with its fault probabilities (``fault_fields``) set to 0."""
        return replace(self, **dict.fromkeys(self.fault_fields, 0.0))

    def without_read_noise(self):
        """The same device with its read-noise scales (``read_noise_fields``) set to 0: noiseless reads,
        so that `read_std` of its instances is None (or 0) and nothing is folded for a noise never drawn."""
        return replace(self, **dict.fromkeys(self.read_noise_fields, 0.0))

    def describe(self) -> dict:
        """Parameter name -> value (SI units are in the names)."""
        return describe(self)


def describe(device) -> dict:
    """Parameter name -> value for a device instance (SI units are in the names)."""
    return {f.name: getattr(device, f.name) for f in fields(device)}


def check_states(states: np.ndarray, levels: int) -> np.ndarray:
    """Integer states in [0, levels), else a ParameterError naming ``states``."""
    states = np.asarray(states)
    if not np.issubdtype(states.dtype, np.integer):
        raise ParameterError("states", states.dtype, "must be an integer array of cell states")
    if states.size and (states.min() < 0 or states.max() >= levels):
        raise ParameterError("states", (int(states.min()), int(states.max())),
                             f"this device holds {levels} states: values must be in [0, {levels - 1}]")
    return states
