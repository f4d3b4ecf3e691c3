import numpy as np  # noqa: F401 -- loads the BLAS the limits act on

from imc.threads import _controller, blas_threads


def blas_thread_counts():
    return [pool["num_threads"] for pool in _controller().info() if pool["user_api"] == "blas"]


def test_a_limit_holds_inside_its_context_and_is_undone_after_it():
    before = blas_thread_counts()
    assert before
    with blas_threads(1):
        assert blas_thread_counts() == [1] * len(before)
        with blas_threads(None):
            assert blas_thread_counts() == [1] * len(before)
    assert blas_thread_counts() == before
