"""The neutral layer spec: what the mapper needs to know about one network layer.

`imc.nn` exports every layer as a `LayerSpec`; the mapper and the functional engine
consume it without knowing anything about the network classes that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imc.mapping.errors import MappingError


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One layer as an integer matrix-vector product followed by a digital output stage.

    The layer computes ``z = x @ weights`` on integer inputs ``x`` (last axis ``n_in``)
    and then either

    * ``thresholds`` (binarised nets): ``y = +1 if z >= threshold else -1`` per output,
      the BatchNorm + sign of a BNN folded into one integer comparator threshold
      per column (Courbariaux et al., "Binarized Neural Networks", NeurIPS 2016, Sec. 2;
      the folding is exact for integer ``z``), or
    * ``scale``/``offset`` (a final classifier): ``y = scale * z + offset`` (float logits).

    Attributes:
        name: layer name, used in reports.
        weights: integer matrix, shape ``(n_in, n_out)``.
        weight_bits: bits per weight; 1 means the values are in {-1, +1}.
        input_bits: bits per input; 1 means the values are in {-1, +1}.
        thresholds: integer comparator thresholds, shape ``(n_out,)``, or None.
        scale, offset: float affine output stage, shape ``(n_out,)``, or None.
    """

    name: str
    weights: np.ndarray
    weight_bits: int = 1
    input_bits: int = 1
    thresholds: np.ndarray | None = None
    scale: np.ndarray | None = None
    offset: np.ndarray | None = None

    def __post_init__(self) -> None:
        w = np.asarray(self.weights)
        if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] < 1:
            raise MappingError(f"layer {self.name!r}: weights must be a non-empty 2-D matrix "
                               f"(n_in, n_out), got shape {w.shape}")
        if not np.issubdtype(w.dtype, np.integer):
            raise MappingError(f"layer {self.name!r}: weights must be integers, got dtype {w.dtype}")
        if self.weight_bits != 1 or self.input_bits != 1:
            raise MappingError(f"layer {self.name!r}: weight_bits={self.weight_bits}, "
                               f"input_bits={self.input_bits}; only binary (1-bit, values "
                               "in {-1, +1}) layers can be mapped so far")
        if not np.all(np.abs(w) == 1):
            raise MappingError(f"layer {self.name!r}: 1-bit weights must be -1 or +1, "
                               f"found values {np.unique(w)[:5]}")
        has_threshold = self.thresholds is not None
        has_affine = self.scale is not None and self.offset is not None
        if has_threshold == has_affine:
            raise MappingError(f"layer {self.name!r}: give either thresholds or both "
                               "scale and offset as the output stage")
        for field in ("thresholds", "scale", "offset"):
            value = getattr(self, field)
            if value is not None and np.shape(value) != (w.shape[1],):
                raise MappingError(f"layer {self.name!r}: {field} must have shape "
                                   f"({w.shape[1]},), got {np.shape(value)}")
        object.__setattr__(self, "weights", w.astype(np.int8))

    @property
    def n_in(self) -> int:
        return self.weights.shape[0]

    @property
    def n_out(self) -> int:
        return self.weights.shape[1]

    @property
    def macs(self) -> int:
        """Multiply-accumulates per input vector."""
        return self.n_in * self.n_out

    def output(self, z: np.ndarray) -> np.ndarray:
        """Apply the digital output stage to integer pre-activations ``z`` (last axis n_out)."""
        if self.thresholds is not None:
            return np.where(z >= self.thresholds, 1, -1).astype(np.int8)
        return self.scale * z + self.offset


def run_layers(layers: list[LayerSpec], x: np.ndarray, matvec=None) -> np.ndarray:
    """Run a chain of layers on inputs ``x`` (..., n_in) and return the last layer's output.

    ``matvec(index, layer, x) -> z`` computes the integer pre-activations; the default is
    the exact integer product, i.e. the software reference that hardware must reproduce.
    """
    for index, layer in enumerate(layers):
        if matvec is None:
            z = x.astype(np.int32) @ layer.weights.astype(np.int32)
        else:
            z = matvec(index, layer, x)
        x = layer.output(z)
    return x
