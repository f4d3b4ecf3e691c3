"""``run_chip``: a stream of inferences through the SimPy chip, from a plan, an array and a chip."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from imc.arrays import Array
from imc.chip.config import ChipConfig
from imc.chip.costs import StageCosts, stage_costs
from imc.chip.processes import NO_LAYER, TRACE_COLUMNS, Chip, LayerStage, TileSlot
from imc.chip.result import ChipResult
from imc.errors import int_in_range, positive, require
from imc.mapping import MappingPlan

INPUT_ROW = "input"  # energy row of delivering the chip's inputs to the first layer


class DeadlockError(ValueError):
    """The chip stopped with inferences unfinished: every process left waits on a full or empty
    buffer. The message names each waiting process and what it waits for."""


def run_chip(plan: MappingPlan, array: Array, x: np.ndarray, chip: ChipConfig, inferences: int,
             arrival_rate_hz: float | None = None) -> ChipResult:
    """Simulate ``inferences`` inputs streaming through ``chip`` running ``plan`` on ``array``.

    ``x``: first-op input codes of sample inputs (batch, ...); every op is priced at its mean cost
    over them (`imc.chip.costs`). ``arrival_rate_hz``: inputs arrive at i / rate (None: back to
    back, each as soon as the one before is in the global buffer). Raises `ParameterError` for a
    chip that cannot hold the plan and `DeadlockError` when the stream cannot finish.
    """
    require("chip", type(chip).__name__, isinstance(chip, ChipConfig), "must be an imc.chip.ChipConfig")
    int_in_range("inferences", inferences, 2)
    if arrival_rate_hz is not None:
        positive("arrival_rate_hz", arrival_rate_hz)
    stages = stage_costs(plan, array, x)
    slots, n_pes = allocate(plan, chip)
    data_bits = [s.input_bits for s in stages] + [stages[-1].output_bits]
    homes = [layer_slots[0][0] for layer_slots in slots]
    check_buffers(chip, stages, homes, data_bits)
    sim = Chip(chip, n_pes, [(home, stage.name) for home, stage in zip(homes, stages)], data_bits, inferences)
    layers = _build_layers(sim, plan, stages, slots, homes, data_bits)
    _start(sim, layers, homes, data_bits, arrival_rate_hz)
    started = time.perf_counter()
    sim.env.run()
    wall_s = time.perf_counter() - started
    if any(math.isnan(t) for t in sim.completions_s):
        done = sum(not math.isnan(t) for t in sim.completions_s)
        waits = "; ".join(f"{who} waits for {what}" for who, what in sim.blocked.items())
        raise DeadlockError(f"the chip deadlocked at t = {sim.env.now:.4g} s with {done} of {inferences} "
                            f"inferences done: {waits}. Enlarge those buffers, partition them (buffers = 'partitioned') "
                            "or give the layers PEs of their own (allocation = 'layer_per_pe')")
    return _result(sim, layers, n_pes * chip.pe.arrays, array, wall_s)


def allocate(plan: MappingPlan, chip: ChipConfig) -> tuple[list[list[tuple[int, int]]], int]:
    """(PE, slot) of every tile of every layer, in plan order, and the chip's PE count."""
    per_pe, slots, taken = chip.pe.arrays, [], 0
    for placement in plan.layers:
        if chip.allocation == "layer_per_pe":
            taken = -(-taken // per_pe) * per_pe
        slots.append([divmod(taken + j, per_pe) for j in range(len(placement.tiles))])
        taken += len(placement.tiles)
    needed = -(-taken // per_pe)
    if chip.pes is not None:
        require("chip.pes", chip.pes, chip.pes >= needed,
                f"the plan's {plan.n_arrays} arrays need {needed} PEs of {per_pe} arrays ({chip.allocation!r} "
                f"allocation): allowed pes >= {needed}, or none to size the chip to the plan")
    return slots, chip.pes or needed


def check_buffers(chip: ChipConfig, stages: list[StageCosts], homes: list[int], data_bits: list[int]) -> None:
    """Every buffer holds one datum of every stream through it: all at once in their regions when
    partitioned, the largest when shared."""
    def check(field: str, capacity: float, data: dict[str, int], what: str) -> None:
        partitioned = chip.buffers == "partitioned" and len(data) > 1
        need = sum(data.values()) if partitioned else max(data.values())
        sizes = ", ".join(f"{name}: {bits}" for name, bits in data.items())
        require(field, capacity, capacity >= need, f"must hold one {what} ({sizes} bits)"
                f"{' at once, in its partitions' if partitioned else ''}: >= {need} bits")

    for p in sorted(set(homes)):
        mine = [k for k, home in enumerate(homes) if home == p]
        check("chip.pe.input_buffer_bits", chip.pe.input_buffer_bits,
              {stages[k].name: data_bits[k] for k in mine}, f"input of each layer on PE {p}")
        check("chip.pe.output_buffer_bits", chip.pe.output_buffer_bits,
              {stages[k].name: data_bits[k + 1] for k in mine}, f"output of each layer on PE {p}")
    check("chip.global_buffer_bits", chip.global_buffer_bits, {"input": data_bits[0], "output": data_bits[-1]},
          "input and one output of the network")


def _transfer_cost(sim: Chip, row: str, bits: float) -> int:
    return sim.cost(row, {"interconnect": bits * sim.config.interconnect.energy_per_bit_hop_j})


def _build_layers(sim: Chip, plan: MappingPlan, stages: list[StageCosts], slots: list, homes: list[int],
                  data_bits: list[int]) -> list[LayerStage]:
    """Arrays, ADC banks and digital units of the PEs, and one `LayerStage` per matrix layer."""
    pe = sim.config.pe
    n_pes = len(sim.input_ports)
    banks = [[sim.unit(f"pe{p}.adc_bank{b}", "adc_bank") for b in range(pe.adc_bank(pe.arrays - 1) + 1)]
             for p in range(n_pes)]
    digital = [sim.unit(f"pe{p}.digital", "digital", pe.digital_units) for p in range(n_pes)]
    layers = []
    for k, (placement, stage) in enumerate(zip(plan.layers, stages)):
        tiles = [TileSlot(sim.unit(f"array{tile.array_index}", "array"), banks[p][pe.adc_bank(slot)], p + 1,
                          tile.array_index, op.latency_s, sim.cost(stage.name, op.energy_j),
                          slice_bits, psum_bits, _transfer_cost(sim, stage.name, slice_bits),
                          _transfer_cost(sim, stage.name, psum_bits))
                 for tile, (p, slot), op, slice_bits, psum_bits
                 in zip(placement.tiles, slots[k], stage.tiles, stage.slice_bits, stage.partial_sum_bits)]
        layers.append(LayerStage(sim, k, stage, tiles, homes[k], digital[homes[k]],
                                 sim.cost(stage.name, stage.digital.energy_j), data_bits[k + 1]))
    return layers


def _start(sim: Chip, layers: list[LayerStage], homes: list[int], data_bits: list[int],
           arrival_rate_hz: float | None) -> None:
    """The host, the network interfaces along the data path and the layers."""
    env, last = sim.env, len(layers)
    env.process(sim.source(data_bits[0], arrival_rate_hz))
    env.process(sim.forward(0, sim.global_in, 0, sim.inboxes[0], homes[0] + 1,
                            _transfer_cost(sim, INPUT_ROW, data_bits[0]), NO_LAYER))
    for k, layer in enumerate(layers):
        to_buffer, to_node = (sim.inboxes[k + 1], homes[k + 1] + 1) if k + 1 < last else (sim.global_out, 0)
        env.process(sim.forward(k + 1, sim.outboxes[k], homes[k] + 1, to_buffer, to_node,
                                _transfer_cost(sim, layer.costs.name, data_bits[k + 1]), k))
        env.process(layer.run())
    env.process(sim.sink(last))


def _result(sim: Chip, layers: list[LayerStage], chip_arrays: int, array: Array, wall_s: float) -> ChipResult:
    """The trace and its energies as tables, utilisation, waits, buffers and leakage."""
    config, names = sim.config, [layer.costs.name for layer in layers]
    trace = pd.DataFrame(sim.trace, columns=list(TRACE_COLUMNS))
    cost_ids = trace.pop("cost").to_numpy()
    costs = pd.DataFrame([energy for _, energy in sim.costs]).fillna(0.0)
    event_energy = pd.DataFrame(np.where(cost_ids[:, None] >= 0, costs.to_numpy()[cost_ids], 0.0),
                                columns=costs.columns)
    booked = [sim.costs[c][0] if c >= 0 else INPUT_ROW for c in cost_ids]   # no-cost events add 0 J anywhere
    energy = event_energy.groupby(booked).sum().reindex([INPUT_ROW, *names], fill_value=0.0)
    energy.index.name = "layer"
    trace.insert(3, "kind", [sim.units[u].kind for u in trace["unit"]])
    trace["unit"] = [sim.units[u].name for u in trace["unit"]]
    trace["layer"] = [names[k] if k != NO_LAYER else "chip" for k in trace["layer"]]
    trace["energy_j"] = event_energy.sum(axis=1)
    units = pd.DataFrame({"kind": [u.kind for u in sim.units], "capacity": [u.capacity for u in sim.units]},
                         index=pd.Index([u.name for u in sim.units], name="unit"))
    units["busy_s"] = (trace["end_s"] - trace["start_s"]).groupby(trace["unit"]).sum().reindex(units.index,
                                                                                                fill_value=0.0)
    buffers = pd.DataFrame({"capacity_bits": [b.capacity for b in sim.buffers],
                            "peak_bits": [b.peak_bits for b in sim.buffers]},
                           index=pd.Index([b.name for b in sim.buffers], name="buffer"))
    array_w = config.leakage.array_w if config.leakage.array_w is not None else array.leakage_power_w()
    held_bits = np.where(np.isinf(buffers["capacity_bits"]), buffers["peak_bits"], buffers["capacity_bits"])
    leakage = {"arrays": chip_arrays * array_w, "buffers": float(held_bits.sum()) * config.leakage.buffer_w_per_bit}
    waits = pd.DataFrame([layer.time_s for layer in layers], index=pd.Index(names, name="layer"))
    return ChipResult(config, np.asarray(sim.arrivals_s), np.asarray(sim.completions_s), trace, event_energy,
                      units, waits, buffers, energy, leakage, float(sim.env.now), sim.env.events, wall_s)
