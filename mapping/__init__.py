"""imc.mapping: place integer layer matrices on arrays (tiling, sign encodings, utilisation)."""

from imc.mapping.encodings import (ENCODINGS, CountDecoding, LatchDecision, OffsetReferenceEncoding, SignEncoding, XnorEncoding,
                                   active)
from imc.errors import MappingError
from imc.mapping.slicing import WEIGHT_ENCODINGS, ColumnGroup, InputPlanes
from imc.mapping.plan import LayerPlacement, MappingPlan, Tile, map_layers
from imc.mapping.spec import ConvGeometry, FlattenSpec, LayerSpec, PoolSpec, matrix_layers, run_layers

__all__ = ["ColumnGroup", "InputPlanes", "WEIGHT_ENCODINGS", "ENCODINGS", "ConvGeometry", "CountDecoding", "LatchDecision", "SignEncoding", "active", "FlattenSpec", "LayerPlacement", "LayerSpec", "MappingError",
           "MappingPlan", "OffsetReferenceEncoding", "PoolSpec", "Tile", "XnorEncoding", "map_layers",
           "matrix_layers", "run_layers"]
