import dataclasses
import pickle

import pytest

from imc.errors import (Interrupted, MappingError, ParameterError, in_range, non_negative, plausible,
                        positive, probability)
from imc.nn.io import ModelFileError


@pytest.mark.parametrize("error", [ParameterError("array.adc.bits", 0, "must be in [1, 16]"),
                                   ModelFileError("m.npz", "not a zip file"), MappingError("layer 'q': too wide")])
def test_errors_cross_process_boundaries_unchanged(error):
    """Sweep workers (processes, Dask) raise them; the user must get the same message, not a TypeError."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    if isinstance(error, ParameterError):
        assert (copy.field, copy.value, copy.allowed) == (error.field, error.value, error.allowed)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10 ** 400, True, "1", None])
def test_every_numeric_check_refuses_nan_inf_huge_ints_and_non_numbers(value):
    checks = [lambda: positive("x_v", value), lambda: non_negative("x_v", value), lambda: probability("p", value),
              lambda: in_range("x_v", value, 0, 1, "reason")]
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # types are the fields' own checks
        checks.append(lambda: plausible(Quantity(value)))
    for check in checks:
        with pytest.raises(ParameterError, match="x_v|p ="):
            check()


@dataclasses.dataclass(frozen=True)
class Quantity:
    x_v: object = 1.0
    count: object = 1e300  # no unit suffix: not a physical quantity of UNIT_RANGES


@pytest.mark.parametrize("value, ok", [(1.0, True), (0, True), (-0.5, True), (1e-300, False), (1e300, False),
                                       (1e-6, True), (100.0, True), (100.1, False)])
def test_plausible_bounds_the_magnitude_of_a_unit_field_but_leaves_zero_and_sign_to_the_field(value, ok):
    if ok:
        plausible(Quantity(value))
    else:
        with pytest.raises(ParameterError, match=r"x_v = .*finite, of magnitude in \[1e-06, 100\] V"):
            plausible(Quantity(value))


def test_plausible_takes_the_longest_unit_suffix_and_lets_unlimited_fields_be_inf():
    @dataclasses.dataclass(frozen=True)
    class Mixed:
        a_vt_v_m: float = 3e-9     # V*m, not m
        link_bits_per_s: float = float("inf")

    plausible(Mixed(), unlimited=("link_bits_per_s",))
    with pytest.raises(ParameterError, match="a_vt_v_m = 1e-05: .*Pelgrom"):
        plausible(Mixed(a_vt_v_m=1e-5), unlimited=("link_bits_per_s",))
    with pytest.raises(ParameterError, match="link_bits_per_s = inf"):
        plausible(Mixed())


def test_in_range_names_the_reason_and_allows_zero_only_when_asked():
    in_range("r_ohm", 0, 1, 10, "why", zero=True)
    with pytest.raises(ParameterError, match=r"r_ohm = 0: must be in \[1, 10\]: why"):
        in_range("r_ohm", 0, 1, 10, "why")


def test_interrupted_says_how_far_the_run_got_and_is_a_keyboard_interrupt():
    error = pickle.loads(pickle.dumps(Interrupted(3, 10, "chips")))
    assert isinstance(error, KeyboardInterrupt) and str(error) == "interrupted after 3 of 10 chips"
