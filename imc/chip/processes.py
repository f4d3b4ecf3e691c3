"""The SimPy processes of the chip, each reading like the hardware's schedule.

* `Chip.source`: the host offers input i (back to back, or at ``i / arrival_rate``), claims room
  in the global buffer and sends it over the off-chip link;
* `Chip.forward`: a network interface moving datum k of every inference from one buffer to the
  next over the interconnect (claiming room at the receiver first: credit-based flow control);
* `LayerStage.run`: one matrix layer. It waits for its input (prefetched into its input registers
  while it computes the one before), runs every output position as its tiles' ops side by side
  (`LayerStage.tile_op`: a tile holds its array, takes its turn on the ADC bank for the op's
  latency, and its partial sums travel to the layer's first PE when it sits elsewhere), adds them
  on a digital unit, then claims room in its output buffer and writes its output there;
* `Chip.sink`: the host reads the network's output back over the off-chip link.

Events are per (layer, tile, inference, output position), never per cell. Engineering
assumption: a tile's partial sums stay in its array's output registers until the adder tree has
read them, so an array is busy for its op plus the digital stage (as the closed form prices a
layer: ops, then adds, one position after another).
"""

from __future__ import annotations

import simpy

from imc.chip.config import ChipConfig
from imc.chip.costs import StageCosts
from imc.chip.resources import Buffer, Network, Unit

TRACE_COLUMNS = ("start_s", "end_s", "unit", "layer", "tile", "inference", "position", "cost")
NO_LAYER = -1  # trace rows of the chip's input and output path


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (for events per second)."""

    def __init__(self):
        super().__init__()
        self.events = 0

    def step(self) -> None:
        self.events += 1
        super().step()


class Chip:
    """The resources of one simulated chip, the trace of what they did and the costs of it.

    ``trace``: one tuple per hold of a unit (`TRACE_COLUMNS`; layer is a stage index or
    `NO_LAYER`, tile an array index or -1, position -1 off the layers); ``costs``: (energy row,
    {component: J}) per cost id, the events' energies.
    """

    def __init__(self, config: ChipConfig, n_pes: int, layers: list[tuple[int, str]], data_bits: list[int],
                 inferences: int):
        self.env = CountingEnvironment()
        self.config, self.n = config, inferences
        self.units: list[Unit] = []
        self.trace: list[tuple] = []
        self.costs: list[tuple[str, dict[str, float]]] = []
        self.network = Network(self.env, config.interconnect, n_pes + 1)
        self.buffers: list[Buffer] = []
        self.global_in, self.global_out = self.regions("global_buffer", config.global_buffer_bits,
                                                       {"inputs": data_bits[0], "outputs": data_bits[-1]})
        pe = config.pe
        self.inboxes, self.outboxes = [None] * len(layers), [None] * len(layers)
        for p in range(n_pes):
            mine = [k for k, (home, _) in enumerate(layers) if home == p]
            idle = {"idle": 1}  # a PE without layers keeps its (leaking) buffers
            inputs = {layers[k][1]: data_bits[k] for k in mine} or idle
            outputs = {layers[k][1]: data_bits[k + 1] for k in mine} or idle
            for k, inbox, outbox in zip(mine, self.regions(f"pe{p}.input_buffer", pe.input_buffer_bits, inputs),
                                        self.regions(f"pe{p}.output_buffer", pe.output_buffer_bits, outputs)):
                self.inboxes[k], self.outboxes[k] = inbox, outbox
        self.input_ports = [self.unit(f"pe{p}.input_buffer", "buffer_port") for p in range(n_pes)]
        self.output_ports = [self.unit(f"pe{p}.output_buffer", "buffer_port") for p in range(n_pes)]
        self.offchip_in = self.unit("offchip.in", "offchip")
        self.offchip_out = self.unit("offchip.out", "offchip")
        for link in self.network.links:
            self.register(link)
        self.arrivals_s = [0.0] * inferences
        self.completions_s = [float("nan")] * inferences
        self.blocked: dict[str, str] = {}  # process -> what it waits for (buffer waits only: they can deadlock)

    def regions(self, name: str, capacity_bits: float, streams: dict[str, int]) -> list[Buffer]:
        """One buffer for the ``streams`` through it ({name: bits of one datum}): a region for each,
        its capacity in proportion to its datum ("partitioned"), or the whole buffer for all ("shared")."""
        if self.config.buffers == "shared":
            self.buffers.append(Buffer(self.env, name, capacity_bits))
            return [self.buffers[-1]] * len(streams)
        total = sum(streams.values())
        regions = [Buffer(self.env, f"{name}[{stream}]", capacity_bits * bits / total) for stream, bits in streams.items()]
        self.buffers.extend(regions)
        return regions

    def register(self, unit: Unit) -> Unit:
        unit.uid = len(self.units)
        self.units.append(unit)
        return unit

    def unit(self, name: str, kind: str, capacity: int = 1) -> Unit:
        return self.register(Unit(self.env, name, kind, capacity))

    def cost(self, row: str, energy_j: dict[str, float]) -> int:
        """A cost id for events whose energy is ``energy_j`` (J by component), booked on ``row``."""
        self.costs.append((row, energy_j))
        return len(self.costs) - 1

    def hold(self, unit: Unit, duration_s: float, layer: int, tile: int, inference: int, position: int,
             cost: int = -1):
        """Wait for ``unit``, hold it for ``duration_s``, record it (the carwash pattern)."""
        with unit.request() as request:
            yield request
            start = self.env.now
            yield self.env.timeout(duration_s)
        self.trace.append((start, self.env.now, unit.uid, layer, tile, inference, position, cost))

    def transfer(self, src: int, dst: int, bits: float, cost: int, layer: int, tile: int, inference: int,
                 position: int):
        """Move ``bits`` from node ``src`` to ``dst``: claim every link of the route in order, hold
        them for the transfer time (cut-through), release them; ``cost`` is booked per link."""
        route = self.network.route(src, dst)
        if not route:
            return
        requests = []
        for link in route:
            request = link.request()
            requests.append(request)
            yield request
        start = self.env.now
        yield self.env.timeout(self.config.interconnect.transfer_time_s(len(route), bits))
        for link, request in zip(route, requests):
            link.release(request)
            self.trace.append((start, self.env.now, link.uid, layer, tile, inference, position, cost))

    def wait(self, who: str, event: simpy.Event, what: str):
        """Yield a buffer event, noting what ``who`` waits for while it is pending."""
        self.blocked[who] = what
        value = yield event
        del self.blocked[who]
        return value

    def source(self, bits: int, arrival_rate_hz: float | None):
        """The host: input i arrives (at i / rate, or once input i - 1 is in), claims room in the
        global buffer and crosses the off-chip link into it."""
        env, link_s = self.env, bits / self.config.offchip_bandwidth_bits_per_s
        for i in range(self.n):
            if arrival_rate_hz is not None and i / arrival_rate_hz > env.now:
                yield env.timeout(i / arrival_rate_hz - env.now)
            self.arrivals_s[i] = i / arrival_rate_hz if arrival_rate_hz is not None else env.now
            yield from self.wait("host (input)", self.global_in.reserve(bits), f"room for input {i} in "
                                 f"{self.global_in.describe()}")
            yield from self.hold(self.offchip_in, link_s, NO_LAYER, -1, i, -1)
            self.global_in.deposit((0, i), bits)

    def forward(self, datum: int, src: Buffer, src_node: int, dst: Buffer, dst_node: int, cost: int, layer: int):
        """The network interface moving datum ``datum`` of every inference from ``src`` to ``dst``."""
        who = f"transfer of datum {datum} from {src.name} to {dst.name}"
        for i in range(self.n):
            bits = yield from self.wait(who, src.take((datum, i)), f"inference {i} to arrive")
            yield from self.wait(who, dst.reserve(bits), f"room for inference {i} in {dst.describe()}")
            yield from self.transfer(src_node, dst_node, bits, cost, layer, -1, i, -1)
            dst.deposit((datum, i), bits)

    def sink(self, datum: int):
        """The host reading each inference's output from the global buffer over the off-chip link."""
        for i in range(self.n):
            bits = yield from self.wait("host (output)", self.global_out.take((datum, i)), f"output {i}")
            yield from self.hold(self.offchip_out, bits / self.config.offchip_bandwidth_bits_per_s, NO_LAYER, -1, i, -1)
            self.completions_s[i] = self.env.now


class TileSlot:
    """One tile on the chip: its array, ADC bank and node, op latency and cost ids."""

    def __init__(self, array: Unit, bank: Unit, node: int, array_index: int, latency_s: float, cost: int,
                 slice_bits: int, partial_sum_bits: int, to_cost: int, back_cost: int):
        self.array, self.bank, self.node, self.array_index = array, bank, node, array_index
        self.latency_s, self.cost = latency_s, cost
        self.slice_bits, self.partial_sum_bits = slice_bits, partial_sum_bits
        self.to_cost, self.back_cost = to_cost, back_cost


class LayerStage:
    """One matrix layer: its tiles, the digital unit and buffers of its first PE (its home), the
    time it spent computing and waiting (``time_s``: busy, inputs, resources, space)."""

    def __init__(self, chip: Chip, index: int, costs: StageCosts, tiles: list[TileSlot], home: int,
                 digital: Unit, digital_cost: int, out_bits: int):
        self.chip, self.index, self.costs, self.tiles = chip, index, costs, tiles
        self.node = home + 1
        self.digital, self.digital_cost, self.out_bits = digital, digital_cost, out_bits
        self.inbox, self.outbox = chip.inboxes[index], chip.outboxes[index]
        pe = chip.config.pe
        self.in_port, self.out_port = chip.input_ports[home], chip.output_ports[home]
        self.read_s = costs.input_bits / pe.buffer_bandwidth_bits_per_s
        self.write_s = out_bits / pe.buffer_bandwidth_bits_per_s
        link = chip.config.interconnect
        hops = [len(chip.network.route(self.node, t.node)) for t in tiles]
        self.remote = [h > 0 for h in hops]
        uncontended_s = [t.latency_s + link.transfer_time_s(h, t.slice_bits) + link.transfer_time_s(h, t.partial_sum_bits)
                         for t, h in zip(tiles, hops)]
        self.compute_s = costs.positions * (max(uncontended_s) + costs.digital.latency_s)
        self.time_s = dict.fromkeys(("busy", "inputs", "resources", "space"), 0.0)

    def fetch(self, i: int):
        """Read input i from the input buffer into the layer's input registers."""
        yield self.inbox.take((self.index, i))
        yield from self.chip.hold(self.in_port, self.read_s, self.index, -1, i, -1)

    def write(self, i: int):
        """Write output i (its room claimed) into the output buffer, for the network to send on."""
        yield from self.chip.hold(self.out_port, self.write_s, self.index, -1, i, -1)
        self.outbox.deposit((self.index + 1, i), self.out_bits)

    def tile_op(self, tile: TileSlot, remote: bool, i: int, position: int):
        """One op of one tile: its inputs to its PE (if ``remote``: not the layer's home), its
        array held, its turn on the ADC bank for the op's latency, its partial sums back home.
        Returns the array's claim, released by the layer once the partial sums are added."""
        chip = self.chip
        if remote:
            yield from chip.transfer(self.node, tile.node, tile.slice_bits, tile.to_cost, self.index,
                                     tile.array_index, i, position)
        claim = tile.array.request()
        yield claim
        with tile.bank.request() as turn:
            yield turn
            start = chip.env.now
            yield chip.env.timeout(tile.latency_s)
        chip.trace.append((start, chip.env.now, tile.array.uid, self.index, tile.array_index, i, position, tile.cost))
        chip.trace.append((start, chip.env.now, tile.bank.uid, self.index, tile.array_index, i, position, -1))
        if remote:
            yield from chip.transfer(tile.node, self.node, tile.partial_sum_bits, tile.back_cost, self.index,
                                     tile.array_index, i, position)
        return tile.array, claim

    def run(self):
        """The layer's schedule over the stream of inferences."""
        chip, env, name = self.chip, self.chip.env, self.costs.name
        latency_s = self.costs.digital.latency_s
        fetch = env.process(self.fetch(0))
        for i in range(chip.n):
            waited = env.now
            yield from chip.wait(name, fetch, f"input {i} ({self.inbox.describe()})")
            self.time_s["inputs"] += env.now - waited
            if i + 1 < chip.n:
                fetch = env.process(self.fetch(i + 1))
            started = env.now
            for position in range(self.costs.positions):
                claims = yield env.all_of([env.process(self.tile_op(tile, remote, i, position))
                                           for tile, remote in zip(self.tiles, self.remote)])
                yield from chip.hold(self.digital, latency_s, self.index, -1, i, position, self.digital_cost)
                for array, claim in claims.values():
                    array.release(claim)
            self.time_s["busy"] += self.compute_s
            self.time_s["resources"] += max(env.now - started - self.compute_s, 0.0)  # round-off below 0
            waited = env.now
            yield from chip.wait(name, self.outbox.reserve(self.out_bits),
                                 f"room for output {i} in {self.outbox.describe()}")
            self.time_s["space"] += env.now - waited
            env.process(self.write(i))
