"""Errors raised by the mapper."""


class MappingError(ValueError):
    """A layer cannot be mapped as asked; the message names the layer and the reason."""
