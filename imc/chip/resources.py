"""The chip's SimPy resources: units held for a while (arrays, ADC banks, digital units, buffer
ports, links), buffers with a capacity in bits, and the interconnect's routes.

A `Unit` is a `simpy.Resource` with a name and a kind, holding ``capacity`` users at a time. A
`Buffer` follows SimPy's resource pattern (``simpy/resources/base.py``): ``reserve`` and ``take``
are put and get events whose conditions are `Buffer._do_put` (room for the bits, first come first
served) and `Buffer._do_get` (the datum with that key has arrived), so a full buffer
back-pressures whoever writes into it.
"""

from __future__ import annotations

import math

import simpy
from simpy.core import BoundClass
from simpy.resources.base import BaseResource, Get, Put

from imc.chip.config import Interconnect


class Unit(simpy.Resource):
    """A hardware unit that serves ``capacity`` holders at a time; ``kind`` groups units in reports,
    ``uid`` (set by `imc.chip.processes.Chip.register`) numbers it in the trace."""

    def __init__(self, env: simpy.Environment, name: str, kind: str, capacity: int = 1):
        super().__init__(env, capacity)
        self.name, self.kind = name, kind


class Reserve(Put):
    """Wait for room for ``bits`` in the buffer and claim it."""

    def __init__(self, buffer: Buffer, bits: float):
        self.bits = bits
        super().__init__(buffer)


class Take(Get):
    """Wait for the datum ``key`` to arrive, remove it and free its bits; the event's value is its size."""

    def __init__(self, buffer: Buffer, key: tuple):
        self.key = key
        super().__init__(buffer)


class Buffer(BaseResource):
    """``capacity`` bits (inf: unlimited) holding data keyed (data index, inference).

    A writer first ``reserve``s room (credit-based flow control: nothing is sent without space at
    the receiver), moves the data, then ``deposit``s it; a reader ``take``s a datum by its key.
    ``peak_bits``: the largest claimed occupancy so far.
    """

    reserve = BoundClass(Reserve)
    take = BoundClass(Take)

    def __init__(self, env: simpy.Environment, name: str, capacity_bits: float):
        super().__init__(env, capacity_bits)
        self.name = name
        self.level = 0.0
        self.peak_bits = 0.0
        self.data: dict[tuple, float] = {}

    def deposit(self, key: tuple, bits: float) -> None:
        """Data ``key`` of ``bits`` (reserved before) has arrived: wake its reader."""
        self.data[key] = bits
        self._trigger_get(None)

    def _do_put(self, event: Reserve) -> bool:
        if self.level + event.bits > self._capacity:
            return False  # first come first served: later requests wait behind this one
        self.level += event.bits
        self.peak_bits = max(self.peak_bits, self.level)
        event.succeed()
        return True

    def _do_get(self, event: Take) -> bool:
        bits = self.data.pop(event.key, None)
        if bits is not None:
            self.level -= bits
            event.succeed(bits)
        return True  # readers of other data are not held up by this one

    def describe(self) -> str:
        """Occupancy, for deadlock reports."""
        return f"{self.name} holds {self.level:g} of {self._capacity:g} bits"


class Network:
    """The interconnect's links and routes between its nodes (0: the global buffer; PE p: node p + 1).

    Mesh: node j sits at row j // columns and column j % columns (reversed on odd rows for the
    "snake" placement); a route goes along the row first, then the column (XY routing), over one
    `Unit` per link and direction. Bus: one `Unit` that every route crosses once.
    """

    def __init__(self, env: simpy.Environment, spec: Interconnect, nodes: int):
        self.spec = spec
        self.routes: dict[tuple[int, int], tuple[Unit, ...]] = {}
        if spec.topology == "bus":
            self._links = {"bus": Unit(env, "bus", "link")}
            return
        self.columns = spec.mesh_columns or math.ceil(math.sqrt(nodes))
        grid = [(r, c) for r in range(-(-nodes // self.columns)) for c in range(self.columns)]
        self._links = {(a, b): Unit(env, f"link {a}->{b}", "link") for a in grid for b in grid
                       if abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1}

    @property
    def links(self) -> list[Unit]:
        return list(self._links.values())

    def position(self, node: int) -> tuple[int, int]:
        """(row, column) of a node on the mesh."""
        row, column = divmod(node, self.columns)
        if self.spec.placement == "snake" and row % 2:
            column = self.columns - 1 - column
        return row, column

    @staticmethod
    def _hops(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """The links (from, to) of the XY route from mesh position a to b."""
        hops, (row, column) = [], a
        while column != b[1]:
            step = (row, column + (1 if b[1] > column else -1))
            hops.append(((row, column), step))
            column = step[1]
        while row != b[0]:
            step = (row + (1 if b[0] > row else -1), column)
            hops.append(((row, column), step))
            row = step[0]
        return hops

    def route(self, src: int, dst: int) -> tuple[Unit, ...]:
        """The links a transfer from node ``src`` to ``dst`` holds, in route order (none within a node)."""
        if (src, dst) not in self.routes:
            if src == dst:
                links = ()
            elif self.spec.topology == "bus":
                links = (self._links["bus"],)
            else:
                links = tuple(self._links[hop] for hop in self._hops(self.position(src), self.position(dst)))
            self.routes[src, dst] = links
        return self.routes[src, dst]
