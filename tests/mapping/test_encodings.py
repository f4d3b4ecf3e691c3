import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from imc.mapping import ENCODINGS, active


def binary(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


@settings(max_examples=60, deadline=None)
@given(n_in=st.integers(1, 40), n_out=st.integers(1, 12), batch=st.integers(1, 6),
       encoding=st.sampled_from(sorted(ENCODINGS)), seed=st.integers(0, 2**31))
def test_encoding_decodes_popcounts_to_the_exact_dot_product(n_in, n_out, batch, encoding, seed):
    rng = np.random.default_rng(seed)
    w, x = binary(rng, (n_in, n_out)), binary(rng, (batch, n_in))
    enc = ENCODINGS[encoding]()
    counts = (enc.word_lines(x) @ enc.cell_states(w)).astype(np.int64)
    assert counts.max(initial=0) <= enc.full_scale_count(n_in)
    assert np.array_equal(enc.decode(counts, w), x.astype(np.int64) @ w)


@settings(max_examples=60, deadline=None)
@given(n_in=st.integers(1, 40), n_out=st.integers(1, 12), batch=st.integers(1, 6),
       encoding=st.sampled_from(sorted(ENCODINGS)), seed=st.integers(0, 2**31))
def test_folded_cells_give_the_word_line_column_sums(n_in, n_out, batch, encoding, seed):
    """word_lines(x) @ C == active(x) @ W + k for any cell matrix C (real-valued, as under
    variation), and exactly for the ideal 0/1 pattern."""
    rng = np.random.default_rng(seed)
    w, x = binary(rng, (n_in, n_out)), binary(rng, (batch, n_in))
    enc = ENCODINGS[encoding]()
    states = enc.cell_states(w)
    cells = states * rng.normal(1.0, 0.1, states.shape)
    weights, base = enc.fold(cells)
    assert weights.shape == (n_in, states.shape[1]) and base.shape == (states.shape[1],)
    np.testing.assert_allclose(active(x) @ weights + base, enc.word_lines(x) @ cells, rtol=1e-12, atol=1e-12)
    ideal_weights, ideal_base = enc.fold(states.astype(np.float32))
    assert np.array_equal(active(x) @ ideal_weights + ideal_base, enc.word_lines(x) @ states)


def test_fold_works_on_stacked_chips():
    enc = ENCODINGS["xnor"]()
    cells = np.random.default_rng(0).random((3, 8, 5))
    weights, base = enc.fold(cells)
    for chip in range(3):
        single = enc.fold(cells[chip])
        assert np.array_equal(weights[chip], single[0]) and np.array_equal(base[chip], single[1])
