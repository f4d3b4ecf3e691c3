"""Error types and parameter validation shared by every layer of imc (a leaf module: it imports
nothing from imc, so devices, arrays, mapping and the system may all import it).

Every check raises `ParameterError`, whose message names the field, the value and what
is allowed. Nested configurations re-raise it with the enclosing field path prepended.
"""

from __future__ import annotations

import dataclasses
import math
import reprlib
from numbers import Integral, Real


_SHORT = reprlib.Repr()  # a value in a message: no megabyte or too deeply nested reprs
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxlong, _SHORT.maxother = 3, 160, 40, 160
_SHORT.maxdict = _SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = 6


class ParameterError(ValueError):
    """A parameter is out of its allowed range or of the wrong kind."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {_SHORT.repr(value)}: {allowed}")

    def __reduce__(self):
        """Picklable with its three fields, so errors cross process and Dask-worker boundaries."""
        return type(self), (self.field, self.value, self.allowed)

    def within(self, prefix: str) -> "ParameterError":
        """The same error with ``prefix.`` prepended to the field path."""
        return ParameterError(f"{prefix}.{self.field}", self.value, self.allowed)


def require(field: str, value, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParameterError(field, value, allowed)


def finite(value) -> bool:
    """True for a real number (not a bool) that is finite as a float: NaN, +-inf and integers too
    large for a float (``10**400``) are not."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def positive(field: str, value: float) -> None:
    require(field, value, finite(value) and value > 0, "must be a finite number > 0")


def non_negative(field: str, value: float) -> None:
    require(field, value, finite(value) and value >= 0, "must be a finite number >= 0")


def probability(field: str, value: float) -> None:
    require(field, value, finite(value) and 0.0 <= value <= 1.0, "must be a probability in [0, 1]")


def in_range(field: str, value: float, low: float, high: float, reason: str, *, zero: bool = False) -> None:
    """A finite number in [low, high] (or exactly 0 when ``zero``: an ideal or absent element);
    ``reason`` says why real devices and circuits stay in that range."""
    ok = finite(value) and (low <= value <= high or (zero and value == 0))
    require(field, value, ok, f"must be {'0 or ' if zero else ''}in [{low:g}, {high:g}]: {reason}")


# Plausible magnitudes of a non-zero physical quantity, by the SI-unit suffix of its field name
# (longest suffix first): (suffix, low, high, unit, reason). Whether 0 or a negative value is
# allowed stays the field's own check; these only refuse what no device or circuit can have.
UNIT_RANGES = (
    ("_bits_per_s", 1e3, 1e15, "bit/s", "links and buffers of chips move kbit/s to Pbit/s"),
    ("_j_per_step", 1e-18, 1e-9, "J", "Walden FOMs of published ADCs are 0.1 fJ to 100 pJ per step"),
    ("_w_per_bit", 1e-18, 1e-3, "W/bit", "SRAM and register leakage is aW to mW per bit"),
    ("_a_per_m", 1e-9, 1e3, "A/m", "MOSFET off currents per gate width are 1 fA/um to 1 mA/um"),
    ("_ohm_m2", 1e-14, 1e-8, "Ohm*m^2", "MTJ resistance-area products are 0.01-10,000 Ohm*um^2"),
    ("_ohm_m", 1e-9, 1e-2, "Ohm*m", "resistivities of metals and thin films are 1e-9 to 1e-2 Ohm*m"),
    ("_a_m2", 1e6, 1e14, "A/m^2", "spin-torque and spin-orbit write current densities are 1e6-1e14 A/m^2"),
    ("_m_s", 1e-3, 1e4, "m/s", "domain-wall and skyrmion velocities are mm/s to km/s"),
    ("_v_m", 1e-11, 1e-7, "V*m", "published Pelgrom A_VT are 1-10 mV*um (1e-9 to 1e-8 V*m)"),
    ("_c_m2", 1e-4, 10, "C/m^2", "ferroelectric remanent polarizations are 1-100 uC/cm^2"),
    ("_m2", 1e-20, 1e-4, "m^2", "areas of cells and circuits are 0.01 nm^2 to 1 cm^2"),
    ("_bits", 1, 1e12, "bit", "on-chip buffers hold one bit to a terabit"),
    ("_ohm", 1e-3, 1e13, "Ohm", "resistances of wires, devices and ladders are mOhm to 10 TOhm"),
    ("_hz", 1, 1e13, "Hz", "clocks and attempt frequencies are 1 Hz to 10 THz"),
    ("_lsb", 0, 1e4, "LSB", "converter errors beyond 10^4 LSB are not a converter"),
    ("_rel", 0, 10, "(relative)", "a relative spread beyond 1000 % is not a device"),
    ("_v", 1e-6, 100, "V", "signals and supplies of memory circuits are uV to 100 V"),
    ("_f", 1e-19, 1e-9, "F", "capacitances of cells, lines and circuits are 0.1 aF to 1 nF"),
    ("_s", 1e-15, 1e10, "s", "from a femtosecond to three centuries"),
    ("_m", 1e-10, 1e-2, "m", "device and wire dimensions are 0.1 nm to 1 cm"),
    ("_a", 1e-15, 1, "A", "cell and circuit currents are fA to 1 A"),
    ("_j", 1e-24, 1e-3, "J", "energies of one device or circuit event are yJ to mJ"),
    ("_w", 1e-15, 100, "W", "chip and array powers are fW to 100 W"),
    ("_k", 1, 1000, "K", "circuits operate from cryogenic temperatures to well below 1000 K"),
)


def plausible(obj, unlimited: tuple[str, ...] = ()) -> None:
    """Check that every real-valued field of dataclass ``obj`` whose name ends in a suffix of
    `UNIT_RANGES` is finite and, unless 0, of a magnitude a real device or circuit can have
    (NaN, inf and ``10**400`` fail; so do ``a_vt_v_m = 1e18`` and ``v_wl_v = 1e-300``);
    ``unlimited``: fields where ``math.inf`` stands for no limit."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        bounds = next((b for b in UNIT_RANGES if f.name.endswith(b[0])), None)
        if bounds is None or not isinstance(value, Real) or isinstance(value, bool) or value == 0 \
                or (f.name in unlimited and value == math.inf):
            continue
        _, low, high, unit, reason = bounds
        require(f.name, value, finite(value) and low <= abs(value) <= high,
                f"must be finite, of magnitude in [{low:g}, {high:g}] {unit}: {reason}")


def int_in_range(field: str, value: int, low: int, high: int | None = None) -> None:
    ok = isinstance(value, Integral) and not isinstance(value, bool) and value >= low
    ok = ok and (high is None or value <= high)
    bound = f">= {low}" if high is None else f"in [{low}, {high}]"
    require(field, value, ok, f"must be an integer {bound}")


class MappingError(ValueError):
    """A layer cannot be mapped as asked; the message names the layer and the reason."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM after ``done`` of ``total`` units of work (e.g. chips)."""

    def __init__(self, done: int, total: int, what: str):
        self.done, self.total, self.what = done, total, what
        super().__init__(f"interrupted after {done} of {total} {what}")

    def __reduce__(self):
        return type(self), (self.done, self.total, self.what)
