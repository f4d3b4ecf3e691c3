"""Error types and parameter validation shared by every layer of imc (a leaf module: it imports
nothing from imc, so devices, arrays, mapping and the system may all import it).

Every check raises `ParameterError`, whose message names the field, the value and what
is allowed. Nested configurations re-raise it with the enclosing field path prepended.
"""

from __future__ import annotations

import math
from numbers import Integral


class ParameterError(ValueError):
    """A parameter is out of its allowed range or of the wrong kind."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r}: {allowed}")

    def __reduce__(self):
        """Picklable with its three fields, so errors cross process and Dask-worker boundaries."""
        return type(self), (self.field, self.value, self.allowed)

    def within(self, prefix: str) -> "ParameterError":
        """The same error with ``prefix.`` prepended to the field path."""
        return ParameterError(f"{prefix}.{self.field}", self.value, self.allowed)


def require(field: str, value, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParameterError(field, value, allowed)


def positive(field: str, value: float) -> None:
    require(field, value, isinstance(value, (int, float)) and math.isfinite(value) and value > 0,
            "must be a finite number > 0")


def non_negative(field: str, value: float) -> None:
    require(field, value, isinstance(value, (int, float)) and math.isfinite(value) and value >= 0,
            "must be a finite number >= 0")


def probability(field: str, value: float) -> None:
    require(field, value, isinstance(value, (int, float)) and 0.0 <= value <= 1.0,
            "must be a probability in [0, 1]")


def int_in_range(field: str, value: int, low: int, high: int | None = None) -> None:
    ok = isinstance(value, Integral) and not isinstance(value, bool) and value >= low
    ok = ok and (high is None or value <= high)
    bound = f">= {low}" if high is None else f"in [{low}, {high}]"
    require(field, value, ok, f"must be an integer {bound}")


class MappingError(ValueError):
    """A layer cannot be mapped as asked; the message names the layer and the reason."""
