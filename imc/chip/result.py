"""What a run of the SimPy chip reports: timing per inference, throughput, utilisation, where time
was lost, energy and power over time. Data first (arrays and DataFrames), plots second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imc.chip.config import ChipConfig


@dataclass(frozen=True, eq=False)
class ChipResult:
    """One stream of ``inferences`` through the chip.

    * ``arrivals_s`` / ``completions_s``: when each inference was offered to the chip and when
      its output was back at the host (s);
    * ``trace``: one row per hardware event (a unit held by a layer, tile, inference and output
      position): ``start_s``, ``end_s``, ``unit``, ``kind``, ``layer`` ("chip" for the input and
      output path), ``tile`` (array index, -1 off the arrays), ``inference``, ``position``,
      ``energy_j``;
    * ``event_energy_j``: the trace's energies by component (J), row for row;
    * ``units``: every unit with its ``kind``, ``capacity`` and ``busy_s``;
    * ``layers``: per layer, seconds ``busy`` (computing at its uncontended pace) and lost
      waiting for ``inputs``, for ``resources`` (arrays, ADC banks, digital units, buffer
      ports, links held by others) and for ``space`` in its output buffer;
    * ``buffers``: every buffer's ``capacity_bits`` and ``peak_bits``;
    * ``energy_j``: dynamic energy of the whole stream (J), by energy row (layers, and "input"
      for delivering the chip's inputs) x component;
    * ``leakage_w``: static power by source (W); ``makespan_s``: simulated time;
    * ``events``: SimPy events processed; ``wall_s``: the simulation's wall-clock time.
    """

    config: ChipConfig
    arrivals_s: np.ndarray
    completions_s: np.ndarray
    trace: pd.DataFrame
    event_energy_j: pd.DataFrame
    units: pd.DataFrame
    layers: pd.DataFrame
    buffers: pd.DataFrame
    energy_j: pd.DataFrame
    leakage_w: dict[str, float]
    makespan_s: float
    events: int
    wall_s: float

    @property
    def inferences(self) -> int:
        return self.completions_s.size

    @property
    def latencies_s(self) -> np.ndarray:
        """Per-inference latency, arrival to output (s)."""
        return self.completions_s - self.arrivals_s

    def latency_stats(self) -> dict[str, float]:
        """First inference, median, p99, mean and largest latency (s)."""
        lat = self.latencies_s
        return {"first": float(lat[0]), "median": float(np.median(lat)), "p99": float(np.percentile(lat, 99)),
                "mean": float(lat.mean()), "max": float(lat.max())}

    @property
    def throughput_inf_per_s(self) -> float:
        """Steady-state throughput: completions per second over the middle half of the stream (the
        pipeline's filling before it and its draining after it left out)."""
        done = np.sort(self.completions_s)
        first = done.size // 4
        last = max(3 * done.size // 4, first + 1)
        return (last - first) / (done[last] - done[first])

    @property
    def utilisation(self) -> pd.Series:
        """Busy fraction of every unit over the simulated time (busy / (capacity x makespan))."""
        return (self.units["busy_s"] / (self.units["capacity"] * self.makespan_s)).rename("utilisation")

    @property
    def utilisation_by_kind(self) -> pd.Series:
        """Mean utilisation of the units of each kind."""
        return self.utilisation.groupby(self.units["kind"]).mean()

    @property
    def time_lost_s(self) -> pd.DataFrame:
        """Per layer, seconds lost waiting for inputs, resources and buffer space."""
        return self.layers[["inputs", "resources", "space"]]

    @property
    def bottleneck(self) -> str:
        """The layer that was computing or waiting for resources the longest: the stage setting the pace."""
        return str((self.layers["busy"] + self.layers["resources"]).idxmax())

    @property
    def dynamic_energy_j(self) -> float:
        return float(self.energy_j.to_numpy().sum())

    @property
    def leakage_energy_j(self) -> float:
        """Static power x simulated time (J)."""
        return sum(self.leakage_w.values()) * self.makespan_s

    @property
    def energy_per_inference_j(self) -> float:
        """(Sum of the events' op costs + leakage x simulated time) / inferences (J)."""
        return (self.dynamic_energy_j + self.leakage_energy_j) / self.inferences

    @property
    def energy_by_component_j(self) -> dict[str, float]:
        """Energy per inference by component, leakage included (J)."""
        parts = {key: float(value) / self.inferences for key, value in self.energy_j.sum(axis=0).items()}
        return {**parts, "leakage": self.leakage_energy_j / self.inferences}

    def power_w(self, bins: int = 200) -> pd.DataFrame:
        """Power over time (W): each event's energy spread evenly over its duration, in ``bins``
        equal intervals of the simulated time (index: interval start, s), one column per
        component plus the constant leakage."""
        edges = np.linspace(0.0, self.makespan_s, bins + 1)
        starts, ends = self.trace["start_s"].to_numpy(), self.trace["end_s"].to_numpy()
        columns = {key: _binned_energy(starts, ends, self.event_energy_j[key].to_numpy(), edges) / np.diff(edges)
                   for key in self.event_energy_j.columns}
        columns["leakage"] = np.full(bins, sum(self.leakage_w.values()))
        return pd.DataFrame(columns, index=pd.Index(edges[:-1], name="time_s"))

    def summary(self) -> dict:
        """The headline numbers as a flat dict (for reports and sweeps)."""
        stats = self.latency_stats()
        return {"inferences": self.inferences, "latency_first_s": stats["first"], "latency_median_s": stats["median"],
                "latency_p99_s": stats["p99"], "throughput_inf_per_s": float(self.throughput_inf_per_s),
                "energy_per_inference_j": self.energy_per_inference_j, "bottleneck": self.bottleneck,
                "utilisation_by_kind": self.utilisation_by_kind.to_dict(), "events": self.events}

    def plot_timeline(self, inferences: int = 3, ax=None):
        """Gantt chart of the first ``inferences`` on every tile's array (`imc.chip.plots`)."""
        from imc.chip.plots import plot_timeline
        return plot_timeline(self, inferences, ax)

    def plot_utilisation(self, ax=None):
        """Bars of every unit's utilisation, coloured by kind (`imc.chip.plots`)."""
        from imc.chip.plots import plot_utilisation
        return plot_utilisation(self, ax)

    def plot_power(self, bins: int = 200, ax=None):
        """Stacked power over time by component (`imc.chip.plots`)."""
        from imc.chip.plots import plot_power
        return plot_power(self, bins, ax)


def _binned_energy(starts: np.ndarray, ends: np.ndarray, energy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Energy (J) falling in each interval of ``edges`` when event i spends ``energy[i]`` evenly
    over [starts[i], ends[i]] (instantaneous events in the interval they happen in)."""
    timed = (ends > starts) & (energy > 0)
    instant = (ends <= starts) & (energy > 0)
    binned = np.histogram(starts[instant], edges, weights=energy[instant])[0].astype(float)
    if not timed.any():
        return binned
    rate = energy[timed] / (ends[timed] - starts[timed])
    times = np.concatenate([starts[timed], ends[timed]])
    order = np.argsort(times, kind="stable")
    times, power = times[order], np.cumsum(np.concatenate([rate, -rate])[order])
    cumulative = np.concatenate([[0.0], np.cumsum(power[:-1] * np.diff(times))])
    return binned + np.diff(np.interp(edges, times, cumulative))
