"""BLAS thread limits through one cached `threadpoolctl.ThreadpoolController`.

``threadpoolctl.threadpool_limits`` scans the process's loaded libraries on every call (~2-4 ms here,
longer than simulating a nominal chip on a few hundred inputs); the controller scans them once and
its limits cost ~30 us. BLAS is loaded with NumPy, before the first limit.
"""

from __future__ import annotations

from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def blas_threads(limit: int | None):
    """A context in which the BLAS libraries use at most ``limit`` threads (None: as they are)."""
    return _controller().limit(limits=limit, user_api="blas")
