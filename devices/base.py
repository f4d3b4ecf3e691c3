"""What every device model provides, and the registry that `imc devices` reads."""

from __future__ import annotations

from dataclasses import fields

DEVICES: dict[str, type] = {}


def register(key: str):
    """Class decorator: make a device model available under ``key``."""
    def decorate(cls):
        cls.key = key
        DEVICES[key] = cls
        return cls
    return decorate


def describe(device) -> dict:
    """Parameter name -> value for a device instance (SI units are in the names)."""
    return {f.name: getattr(device, f.name) for f in fields(device)}
