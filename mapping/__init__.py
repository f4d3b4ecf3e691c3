"""imc.mapping: place integer layer matrices on arrays (tiling, sign encodings, utilisation)."""

from imc.mapping.encodings import ENCODINGS, OffsetReferenceEncoding, XnorEncoding
from imc.mapping.errors import MappingError
from imc.mapping.plan import LayerPlacement, MappingPlan, Tile, map_layers
from imc.mapping.spec import LayerSpec, run_layers

__all__ = ["ENCODINGS", "LayerPlacement", "LayerSpec", "MappingError", "MappingPlan",
           "OffsetReferenceEncoding", "Tile", "XnorEncoding", "map_layers", "run_layers"]
