import numpy as np
import pytest

from imc.arrays.base import cycle_planes
from imc.errors import MappingError
from imc.mapping import WEIGHT_ENCODINGS, InputPlanes
from imc.mapping.slicing import AffineCodes, pair_difference, slice_codes, slices


def dorefa(rng, bits, shape):
    return 2 * rng.integers(0, 2 ** bits, shape) - (2 ** bits - 1)


WEIGHTS = {
    "binary": lambda rng, shape: rng.choice([-1, 1], shape),
    "ternary": lambda rng, shape: rng.choice([-1, 0, 1], shape),
    "dorefa2": lambda rng, shape: dorefa(rng, 2, shape),
    "dorefa4": lambda rng, shape: dorefa(rng, 4, shape),
    "dorefa8": lambda rng, shape: dorefa(rng, 8, shape),
    "negative_ints": lambda rng, shape: rng.integers(-9, -2, shape),
}


def decode(states, groups, planes, paired=False):
    """What ideal arrays report: every (plane, group) count converted exactly (a balanced pair's
    difference), shift-and-added."""
    z = 0
    for drive, significance in planes:
        counts = pair_difference(np.rint(drive @ states.astype(np.float64)).astype(np.int64), paired)
        for group in groups:
            z = z + significance * group.decoding.apply(counts[:, group.columns])
    return z


@pytest.mark.parametrize("encoding", sorted(WEIGHT_ENCODINGS))
@pytest.mark.parametrize("kind", sorted(WEIGHTS))
@pytest.mark.parametrize("cell_bits", [1, 2, 4])
@pytest.mark.parametrize("input_bits", [1, 2, 4])
def test_slices_and_planes_decode_to_the_exact_integer_product(encoding, kind, cell_bits, input_bits):
    rng = np.random.default_rng(cell_bits * 10 + input_bits)
    w = WEIGHTS[kind](rng, (37, 11))
    x = rng.integers(-1, 2, (20, 37)) if input_bits == 1 else rng.integers(0, 2 ** input_bits, (20, 37))
    layout = WEIGHT_ENCODINGS[encoding].for_layer(w, "layer", cell_bits)
    states, groups = layout.place(w)
    assert states.max() < 2 ** cell_bits and states.shape[1] == 11 * layout.columns_per_output + layout.reference_columns
    planes = cycle_planes(*InputPlanes(input_bits).drives(x))
    np.testing.assert_array_equal(decode(states, groups, planes, layout.paired), x @ w)


def test_affine_codes_of_the_quantizers_of_the_zoo():
    rng = np.random.default_rng(0)
    assert AffineCodes.of(dorefa(rng, 4, (50, 50)), "d") == AffineCodes(2, -15, 4)  # 2u - 15, u < 16
    assert AffineCodes.of(np.array([[-1, 0, 1]]), "t") == AffineCodes(1, -1, 2)
    assert AffineCodes.of(np.array([[-1, 1]]), "b") == AffineCodes(2, -1, 1)
    with pytest.raises(MappingError, match="layer 'wide': weights need 17-bit codes"):
        AffineCodes.of(np.array([[0, 1, 2 ** 17 - 1]]), "wide")


def test_ternary_weights_map_without_waste_on_differential_pairs():
    layout = WEIGHT_ENCODINGS["differential"].for_layer(np.array([[-1, 0, 1]]), "t", cell_bits=1)
    assert layout.columns_per_output == 2 and layout.reference_columns == 0  # one 1-bit cell per sign


def test_balanced_pairs_interleave_the_signs_and_decode_one_converted_column_per_slice():
    """w = 5, -3 on 2-bit cells: slices (1, 1) and (0, 1) of +5 = 0b101 on the even columns, of 3 = 0b011
    on the odd ones, each pair one converted column worth 1 and 4 per count."""
    layout = WEIGHT_ENCODINGS["balanced"].for_layer(np.array([[5, -3]]), "b", cell_bits=2)
    states, groups = layout.place(np.array([[5, -3]]))
    np.testing.assert_array_equal(states, [[1, 0, 0, 3, 1, 0, 0, 0]])
    assert [(g.columns.start, g.columns.stop, g.decoding.gain) for g in groups] == [(0, 2, 1), (2, 4, 4)]
    assert layout.paired and layout.columns_per_output == 4
    np.testing.assert_array_equal(pair_difference(states.astype(int), True), [[1, -3, 1, 0]])


def test_slices_cover_every_bit_once():
    assert slices(8, 3) == [(0, 3), (3, 3), (6, 2)]
    codes = np.arange(256)
    rebuilt = sum(slice_codes(codes, shift, width) << shift for shift, width in slices(8, 3))
    np.testing.assert_array_equal(rebuilt, codes)


def test_input_planes_are_bit_serial_cycles_or_signed_planes():
    x = np.array([[5, 0, 3]])
    planes = cycle_planes(*InputPlanes(3).drives(x))
    assert [s for _, s in planes] == [1, 2, 4]
    np.testing.assert_array_equal(sum(s * d for d, s in planes), x)
    signed = cycle_planes(*InputPlanes(1).drives(np.array([[1, 0, -1]])))
    assert [s for _, s in signed] == [1, -1]
    np.testing.assert_array_equal(sum(s * d for d, s in signed), [[1, 0, -1]])


def test_cells_per_weight_of_each_signed_encoding_for_4_bit_dorefa_weights_on_1_bit_cells():
    """Odd levels -15..15: offset stores u = (w + 15) / 2 in 4 bits (+ one reference column per
    tile), differential |w| on both signs (2 x 4 bits), two's complement 5 bits (4 + sign)."""
    w = dorefa(np.random.default_rng(0), 4, (16, 8))
    per_output = {key: WEIGHT_ENCODINGS[key].for_layer(w, "d", 1).columns_per_output for key in WEIGHT_ENCODINGS}
    assert per_output == {"offset": 4, "differential": 8, "balanced": 8, "twos_complement": 5}
    assert WEIGHT_ENCODINGS["offset"].for_layer(w, "d", 1).reference_columns == 1
