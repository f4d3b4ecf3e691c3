"""One registry idiom for every pluggable part: devices, arrays, encodings, quantizers, layers,
data sets and presets.

>>> SHAPES = Registry("shape")
>>> @SHAPES.register("square")
... class Square: ...
>>> SHAPES.get("square") is Square, Square.key
(True, 'square')

`get` of an unknown key raises `ParameterError` naming the key and the allowed ones (the
``@register_alias`` + ``get`` pattern of larq's quantizers). A registry is a read-only mapping
(``in``, iteration, ``items()``), so existing ``key in REGISTRY`` and ``REGISTRY[key]`` code
reads as before. A leaf module: it imports only `imc.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from imc.errors import ParameterError


class Registry(Mapping):
    """Named classes (or factories) of one kind; ``what`` names the kind in errors."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, object] = {}

    def register(self, key: str):
        """Decorator: make ``obj`` available as ``key`` and record it as ``obj.key``."""
        def decorate(obj):
            if key in self._entries and self._entries[key] is not obj:
                raise ValueError(f"{self.what} {key!r} is already registered to {self._entries[key]!r}")
            self._entries[key] = obj
            try:
                obj.key = key
            except (AttributeError, TypeError):  # e.g. a function or a builtin: keep its own attributes
                pass
            return obj
        return decorate

    def get(self, key: str, field: str | None = None):
        """The entry registered as ``key``; else a `ParameterError` on ``field`` (default: the kind's name)."""
        if not isinstance(key, str) or key not in self._entries:
            raise ParameterError(field or self.what, key, f"allowed: {sorted(self._entries)}")
        return self._entries[key]

    def key_of(self, obj) -> str | None:
        """The key an entry (or an instance of a registered class) is registered under, or None."""
        target = obj if obj in self._entries.values() else type(obj)
        return next((key for key, entry in self._entries.items() if entry is target), None)

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and key in self._entries

    def __getitem__(self, key: str):
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {sorted(self._entries)})"
