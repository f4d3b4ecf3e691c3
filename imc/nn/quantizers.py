"""Quantizers: forward quantisation and straight-through-estimator (STE) gradients.

Each quantizer is a small class with ``forward(x)`` and ``backward(x, grad)``; the
registry ``QUANTIZERS`` maps a short name to the class.
"""

from __future__ import annotations

import numpy as np


class SignSTE:
    """Binary sign with the hard-tanh straight-through estimator.

    Forward: ``+1 if x >= 0 else -1`` (sign(0) = +1, so outputs are always binary).
    Backward: the gradient passes where ``|x| <= 1`` and is zero elsewhere.
    Source: Courbariaux, Hubara, Soudry, El-Yaniv & Bengio, "Binarized Neural
    Networks", NeurIPS 2016, Sec. 1 (deterministic sign; STE gradient g * 1_{|r| <= 1}).
    """

    name = "ste_sign"

    @staticmethod
    def forward(x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, 1.0, -1.0).astype(x.dtype)

    @staticmethod
    def backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return grad * (np.abs(x) <= 1.0)


QUANTIZERS = {SignSTE.name: SignSTE}
