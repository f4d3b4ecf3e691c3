"""Every physical parameter of every registered device, array and periphery model, and of the
chip, has a range a real device or circuit can have: NaN, inf, 1e300 and (where 0 is not the
lower bound) 1e-300 are refused when the model is built, naming the field (issue 16, point 2)."""

import dataclasses
import math
from numbers import Real

import pytest

from imc.arrays import ARRAYS, Conditions
from imc.arrays.converters import ColumnADC, SenseAmp, WordLineDAC
from imc.arrays.ir_drop import CrossbarWires
from imc.arrays.periphery import DigitalCosts
from imc.chip.config import ChipConfig, Interconnect, Leakage, ProcessingElement
from imc.config import load_config
from imc.devices import DEVICES
from imc.errors import UNIT_RANGES, ParameterError

MODELS = [*DEVICES.values(), *ARRAYS.values(), ColumnADC, SenseAmp, WordLineDAC, DigitalCosts, CrossbarWires,
          Conditions, ProcessingElement, Interconnect, Leakage, ChipConfig]


def _bad_values(name: str) -> list[float]:
    bounds = next((b for b in UNIT_RANGES if name.endswith(b[0])), None)
    if bounds is None:
        return [math.nan]
    return [math.nan, 1e300, 10 ** 400] + ([1e-300] if bounds[1] > 0 else [])


CASES = [(model, f.name, bad) for model in MODELS for f in dataclasses.fields(model())
         if isinstance(getattr(model(), f.name), Real) and not isinstance(getattr(model(), f.name), bool)
         and f.type not in ("int", int) for bad in _bad_values(f.name)]


@pytest.mark.parametrize("model, name, bad", CASES, ids=[f"{m.__name__}.{n}={b:.0e}" if isinstance(b, float) else
                                                         f"{m.__name__}.{n}=10**400" for m, n, b in CASES])
def test_implausible_or_non_finite_parameters_are_refused_naming_the_field(model, name, bad):
    with pytest.raises(ParameterError) as info:
        dataclasses.replace(model(), **{name: bad})
    assert name in info.value.field


@pytest.mark.parametrize("table, path", [
    ({"array": {"device": {"a_vt_v_m": 1e18}}}, "array.device.a_vt_v_m"),
    ({"array": {"v_wl_v": 1e-300}}, "array.v_wl_v"),
    ({"array": {"r_precharge_ohm": 1e300}}, "array.r_precharge_ohm"),
    ({"array": {"adc": {"f_clk_hz": 1e-300}}}, "array.adc.f_clk_hz"),
    ({"array": {"v_wl_v": 10 ** 400}}, "array.v_wl_v"),
    ({"array": {"device": {"temperature_k": 1e9}}}, "array.device.temperature_k"),
    ({"array": {"device": {"w_read_m": 1e-2}}}, "array.device.w_stack_m"),  # the read stack cannot carry i_read_a
])
def test_the_issues_absurd_settings_are_refused_at_load_time(table, path):
    with pytest.raises(ParameterError) as info:
        load_config(table)
    assert info.value.field == path
